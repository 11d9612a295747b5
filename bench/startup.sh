#!/usr/bin/env bash
# How long the platform takes to come up and to go away, on this machine, as a person runs it:
#   cold  — AppHost started on an empty data folder (initdb, migrations, provisioning) until the router's
#           /api/v3/health answers 200 with every service Healthy;
#   warm  — the same, reusing the data folder (median of 3);
#   stop  — SIGTERM (what Ctrl+C does) until AppHost and every process it started are gone;
#   idle  — the proportional set size (PSS: shared pages split among the processes that share them) of every process
#           of a warm platform left alone for 30 s, and their sum.
# The references are the bar of the foundation issue (healthy within 2 minutes of a cold start), and the figures of the
# platform's own orchestrator before AppHost became a .NET Aspire one (commit 0b433d8, measured by this script's
# method on this machine): OLD_* below.
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

OLD_COLD=8.0 OLD_WARM=6.3 OLD_STOP=1.0 OLD_PSS_MIB=OLD_PSS OLD_PROCESSES=OLD_COUNT

now() { date +%s.%N; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# AppHost, and every process under it or under the DCP processes that watch it (DCP's, started by AppHost, outlive
# their parent by design and name it with --monitor).
platform_processes() {
  local apphost=$1
  ps -e -o pid=,ppid=,args= | awk -v root="$apphost" '
    { parent[$1] = $2; if ($0 ~ ("--monitor " root "( |$)")) watched[$1] = 1 }
    END {
      for (pid in parent) {
        for (p = pid; p != "" && p > 1; p = parent[p]) if (p == root || p in watched) { print pid; break }
      }
    }'
}

# Prints one line per process ("<PSS KiB> <pid> <what>"), largest first.
idle_footprint() {
  local pid pss what
  for pid in $(platform_processes "$1"); do
    pss=$(awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup" 2>/dev/null) || continue
    [[ -n $pss ]] || continue
    what=$(tr '\0' ' ' <"/proc/$pid/cmdline" | cut -c1-90)
    echo "$pss $pid $what"
  done | sort -rn
}

# Prints "<seconds to healthy> <seconds to stop>"; with $1 = footprint, also writes the idle footprint to
# $data/footprint before stopping.
start_and_stop() {
  local begin healthy stopped pid processes
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
  if [[ ${1:-} == footprint ]]; then
    sleep 30
    idle_footprint "$pid" >"$data/footprint"
  fi
  processes=$(platform_processes "$pid")
  kill -TERM "$pid"
  # shellcheck disable=SC2086 # one pid per word
  while kill -0 $processes 2>/dev/null; do sleep 0.05; done
  stopped=$(now)
  echo "$(seconds "$begin" "$healthy") $(seconds "$healthy" "$stopped")"
}

read -r cold cold_stop < <(start_and_stop)
warm_runs=()
stops=("$cold_stop")
for run in 1 2 3; do
  mode=''
  if ((run == 3)); then mode=footprint; fi
  read -r warm stop < <(start_and_stop "$mode")
  warm_runs+=("$warm")
  stops+=("$stop")
done
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

printf '%-44s %8s   %s\n' "startup, on $(nproc) cores" "measured" "reference"
printf '%-44s %7ss   %s\n' "cold start to healthy (empty data folder)" "$cold" "120 s (the issue's bar); $OLD_COLD s (old AppHost)"
printf '%-44s %7ss   %s\n' "warm start to healthy (median of 3)" "$(median "${warm_runs[@]}")" "$OLD_WARM s (old AppHost)"
printf '%-44s %7ss   %s\n' "stop, SIGTERM to no process left (median)" "$(median "${stops[@]}")" "$OLD_STOP s (old AppHost)"
pss_mib=$(awk '{ s += $1 } END { printf "%.0f", s / 1024 }' "$data/footprint")
processes=$(wc -l <"$data/footprint")
printf '%-44s %5s MiB   %s\n' "idle PSS, summed over $processes processes" "$pss_mib" \
  "$OLD_PSS_MIB MiB over $OLD_PROCESSES processes (old AppHost); 3072 MiB (the issue's bar)"
echo
echo "idle PSS per process (KiB, pid, command):"
cat "$data/footprint"
