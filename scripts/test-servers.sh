#!/usr/bin/env bash
# Starts (or stops) the real servers the integration tests talk to, as plain processes on free loopback ports:
# PostgreSQL + PostGIS (twice: the platform's own cluster, and one that stands for a database users run themselves and
# add as a connection), Redis, the Pub/Sub emulator, RabbitMQ (scripts/rabbitmq-server.sh: guest/guest, vhost "/"; a
# test makes a vhost of its own with that script's ctl, or runs a broker of its own with its run), and object storage's
# servers: Azurite (Azure Blob) and s3rver (S3), from npm (scripts/storage-servers, pinned by its package-lock.json).
# State lives in .data/NAME-servers/ (in /tmp when the postgres and rabbitmq users cannot reach .data/) and is thrown
# away.
#   scripts/test-servers.sh start [NAME]   # prints nothing but errors; writes .data/NAME-servers.env for `source`
#   scripts/test-servers.sh stop [NAME]
# NAME (default "test") keeps sets apart: the benchmarks run their own beside the tests' ones.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
instance=${2:-test}
[[ $instance =~ ^[a-z0-9-]+$ ]] || { echo "error: NAME is lower-case letters, digits and dashes" >&2; exit 2; }
# The environment for the tests; the servers' own files live in $state.
env_file="$root/.data/$instance-servers.env"
pg_bin=/usr/lib/postgresql/15/bin
emulator=/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator
rabbitmq="$root/scripts/rabbitmq-server.sh"
storage_servers="$root/scripts/storage-servers"
# Azurite's one account, whose name and key are public (Microsoft's documentation gives them): not a secret.
azurite_key='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

# shellcheck source=lib.sh
source "$root/scripts/lib.sh"

# PostgreSQL and RabbitMQ run as their system users when we are root: their files go where those users can reach them.
mkdir -p "$root/.data"
if [[ $(id -u) -ne 0 ]] || reachable_by_others "$root/.data"; then
  state="$root/.data/$instance-servers"
else
  state="/tmp/carto-$instance-servers-$(printf '%s' "$root" | sha256sum | cut -c1-12)"
fi

as_postgres() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

wait_for() { # description, seconds, command...
  local what=$1 seconds=$2; shift 2
  for ((i = 0; i < seconds * 10; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "error: $what did not come up in ${seconds}s" >&2
  return 1
}

stop() {
  [[ -d $state ]] || return 0
  for cluster in pg external-pg; do
    if [[ -f $state/$cluster/data/postmaster.pid ]]; then
      as_postgres "$pg_bin/pg_ctl" -D "$state/$cluster/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
  done
  for pidfile in "$state"/*.pid; do
    [[ -f $pidfile ]] || continue
    pid=$(cat "$pidfile")
    # The emulator's launcher exec's java, and RabbitMQ's the Erlang VM; pkill -P catches anything they started (the
    # broker's epmd dies with it anyway).
    pkill -KILL -P "$pid" 2>/dev/null || true
    kill -KILL "$pid" 2>/dev/null || true
  done
  rm -rf "$state" "$env_file"
}

# A PostgreSQL cluster in $state/$1 on port $2 whose superuser postgres has password $3. PostgreSQL refuses to run as
# root: the postgres system user owns its folder when we are root.
start_postgres() {
  local dir=$state/$1 port=$2 password=$3
  mkdir -p "$dir/run"
  (umask 077 && printf '%s' "$password" > "$dir/pwfile")
  if [[ $(id -u) -eq 0 ]]; then chown -R postgres:postgres "$dir"; fi
  as_postgres "$pg_bin/initdb" -D "$dir/data" -U postgres --pwfile "$dir/pwfile" \
    --auth-host=scram-sha-256 --auth-local=peer --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1
  rm -f "$dir/pwfile"
  as_postgres "$pg_bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 30 \
    -o "-p $port -k $dir/run -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" start >/dev/null
}

# Azurite and s3rver from npm, installed again only when their lock file changed (npm ci empties node_modules first).
install_storage_servers() {
  if ! cmp -s "$storage_servers/package-lock.json" "$storage_servers/node_modules/.installed-package-lock.json"; then
    (cd "$storage_servers" && npm ci --no-audit --no-fund --silent && cp package-lock.json node_modules/.installed-package-lock.json)
  fi
}

start() {
  stop
  install_storage_servers
  mkdir -p "$state"
  chmod 755 "$state"
  local pg_port external_pg_port redis_port pubsub_port rabbitmq_port azurite_port s3_port password external_password
  pg_port=$(free_port); external_pg_port=$(free_port); redis_port=$(free_port); pubsub_port=$(free_port)
  rabbitmq_port=$(free_port); azurite_port=$(free_port); s3_port=$(free_port)
  password=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
  external_password=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
  start_postgres pg "$pg_port" "$password"
  start_postgres external-pg "$external_pg_port" "$external_password"

  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize yes --pidfile "$state/redis.pid" --logfile "$state/redis.log"

  JAVA_OPTS="-Xmx${PUBSUB_EMULATOR_HEAP:-256m}" setsid "$emulator" --host=127.0.0.1 --port="$pubsub_port" >"$state/pubsub.log" 2>&1 </dev/null &
  echo $! > "$state/pubsub.pid"

  # In the foreground of its own session (the script execs the broker, so this pid is the broker's); it boots in ~6 s,
  # while the others start.
  setsid "$rabbitmq" run "$state/rabbitmq" "$rabbitmq_port" >"$state/rabbitmq.log" 2>&1 </dev/null &
  echo $! > "$state/rabbitmq.pid"

  # On disk, not in memory: the tests upload files larger than a part (S3 multipart, Azure blocks).
  mkdir -p "$state/azurite" "$state/s3rver"
  setsid "$storage_servers/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort "$azurite_port" --location "$state/azurite" \
    --silent --skipApiVersionCheck --disableTelemetry >"$state/azurite.log" 2>&1 </dev/null &
  echo $! > "$state/azurite.pid"
  setsid "$storage_servers/node_modules/.bin/s3rver" --directory "$state/s3rver" --address 127.0.0.1 --port "$s3_port" --silent \
    >"$state/s3rver.log" 2>&1 </dev/null &
  echo $! > "$state/s3rver.pid"

  wait_for "redis" 10 redis-cli -p "$redis_port" ping
  wait_for "the Pub/Sub emulator" 30 curl -sf "http://127.0.0.1:$pubsub_port/"
  # Any HTTP answer will do (both refuse an anonymous request); curl fails only while nothing listens.
  wait_for "Azurite" 30 curl -s -o /dev/null "http://127.0.0.1:$azurite_port/"
  wait_for "s3rver" 30 curl -s -o /dev/null "http://127.0.0.1:$s3_port/"
  # RabbitMQ opens its AMQP port last of all, once booted.
  wait_for "RabbitMQ" 60 bash -c "exec 3<>/dev/tcp/127.0.0.1/$rabbitmq_port"

  cat > "$env_file" <<ENV
export TEST_POSTGRES='Host=127.0.0.1;Port=$pg_port;Username=postgres;Password=$password'
export TEST_EXTERNAL_POSTGRES='Host=127.0.0.1;Port=$external_pg_port;Username=postgres;Password=$external_password'
export TEST_REDIS='127.0.0.1:$redis_port'
export TEST_PUBSUB_EMULATOR_HOST='127.0.0.1:$pubsub_port'
export TEST_PUBSUB_EMULATOR_LAUNCHER='$emulator'
export TEST_RABBITMQ='amqp://guest:guest@127.0.0.1:$rabbitmq_port/'
# The broker's folder, for \`\$TEST_RABBITMQ_SCRIPT ctl \$TEST_RABBITMQ_STATE add_vhost …\`; a test's own broker
# (\`\$TEST_RABBITMQ_SCRIPT run DIR PORT\`) takes a new DIR beside it.
export TEST_RABBITMQ_STATE='$state/rabbitmq'
export TEST_RABBITMQ_SCRIPT='$rabbitmq'
export TEST_AZURITE_BLOB='DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$azurite_key;BlobEndpoint=http://127.0.0.1:$azurite_port/devstoreaccount1'
# s3rver takes one fixed key pair, S3RVER and S3RVER.
export TEST_S3_ENDPOINT='http://127.0.0.1:$s3_port'
ENV
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop [NAME]" >&2; exit 2 ;;
esac
