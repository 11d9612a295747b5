#!/usr/bin/env bash
# How long the platform takes to come up and to go away, on this machine, as a person runs it:
#   cold  — AppHost started on an empty data folder (initdb, migrations, provisioning) until the router's
#           /api/v3/health answers 200 with every service Healthy;
#   warm  — the same, reusing the data folder (median of 3);
#   stop  — SIGTERM (what Ctrl+C does) until AppHost and every process it started are gone.
# The reference is the bar of the foundation issue: healthy within 2 minutes of a cold start.
# Runs on its own free ports and a temporary data folder, beside any running platform.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

dotnet build CartoSelfHosted.sln -c Release --nologo -v quiet -clp:ErrorsOnly >/dev/null
data=$(mktemp -d /tmp/carto-startup.XXXXXX)
chmod 755 "$data" # PostgreSQL runs as its own user, which must be able to enter the data folder
trap 'rm -rf "$data"' EXIT

choose_platform_ports
args=(--data-dir "$data" "${PLATFORM_PORT_ARGS[@]}")
router=${PLATFORM_PORTS[router-http]}

now() { date +%s.%N; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# Prints "<seconds to healthy> <seconds to stop>".
start_and_stop() {
  local begin healthy stopped pid
  begin=$(now)
  dotnet artifacts/bin/AppHost/release/AppHost.dll "${args[@]}" >"$data/apphost.out" 2>&1 &
  pid=$!
  until curl -sf "http://127.0.0.1:$router/api/v3/health" 2>/dev/null | grep -q '"status":"Healthy"'; do
    if ! kill -0 "$pid" 2>/dev/null || awk -v t="$(seconds "$begin" "$(now)")" 'BEGIN { exit !(t > 180) }'; then
      kill -TERM "$pid" 2>/dev/null || true
      echo "the platform did not become healthy:" >&2
      cat "$data/apphost.out" >&2
      exit 1
    fi
    sleep 0.05
  done
  healthy=$(now)
  kill -TERM "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  stopped=$(now)
  echo "$(seconds "$begin" "$healthy") $(seconds "$healthy" "$stopped")"
}

read -r cold cold_stop < <(start_and_stop)
warm_runs=()
stops=("$cold_stop")
for _ in 1 2 3; do
  read -r warm stop < <(start_and_stop)
  warm_runs+=("$warm")
  stops+=("$stop")
done
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

printf '%-44s %8s   %s\n' "startup, on $(nproc) cores" "measured" "reference"
printf '%-44s %7ss   %s\n' "cold start to healthy (empty data folder)" "$cold" "120 s (the issue's bar)"
printf '%-44s %7ss   %s\n' "warm start to healthy (median of 3)" "$(median "${warm_runs[@]}")" "cold start"
printf '%-44s %7ss   %s\n' "stop, SIGTERM to no process left (median)" "$(median "${stops[@]}")" ""
