#!/usr/bin/env bash
# How long the platform takes to come up and to go away, on this machine, as a person runs it:
#   cold  — AppHost started on an empty data folder (initdb, migrations, provisioning) until the router's
#           /api/v3/health answers 200 with every service Healthy;
#   warm  — the same, reusing the data folder (median of 3);
#   stop  — SIGTERM (what Ctrl+C does) until AppHost and every process it started are gone;
#   idle  — the proportional set size (PSS: shared pages split among the processes that share them) of every process
#           of a warm platform left alone for 30 s, and their sum.
# The references are the bar of the foundation issue (healthy within 2 minutes of a cold start, ≤ 3 GB idle PSS), and
# the same figures of the platform's own orchestrator before AppHost became a .NET Aspire one (commit 0b433d8, or
# STARTUP_REFERENCE=<commit>), built in a worktree under .data/bench/ and measured in the same run, one after the other.
# STARTUP_REFERENCE=none measures only today's AppHost.
# Runs on its own free ports and temporary data folders, beside any running platform.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

reference=${STARTUP_REFERENCE:-0b433d8}
dotnet build CartoSelfHosted.sln -c Release --nologo -v quiet -clp:ErrorsOnly >/dev/null
if [[ $reference != none ]]; then
  worktree=.data/bench/startup-reference
  if [[ $(git -C "$worktree" rev-parse HEAD 2>/dev/null) != $(git rev-parse "$reference^{commit}") ]]; then
    rm -rf "$worktree"
    git worktree prune
    git worktree add --detach "$worktree" "$reference" >/dev/null
  fi
  (cd "$worktree" && dotnet build CartoSelfHosted.sln -c Release --nologo -v quiet -clp:ErrorsOnly >/dev/null)
fi
data=$(mktemp -d /tmp/carto-startup.XXXXXX)
chmod 755 "$data" # PostgreSQL runs as its own user, which must be able to enter the data folder
trap 'rm -rf "$data"' EXIT

choose_platform_ports
router=${PLATFORM_PORTS[router-http]}

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

# Prints "<seconds to healthy> <seconds to stop>" of the AppHost of checkout $1 on data folder $2; with $3 = footprint,
# also writes the idle footprint to $2.footprint before stopping.
start_and_stop() {
  local checkout=$1 folder=$2 begin healthy stopped pid processes
  begin=$(now)
  (cd "$checkout" && exec dotnet artifacts/bin/AppHost/release/AppHost.dll --data-dir "$folder" "${PLATFORM_PORT_ARGS[@]}") \
    >"$folder.out" 2>&1 &
  pid=$!
  until curl -sf "http://127.0.0.1:$router/api/v3/health" 2>/dev/null | grep -q '"status":"Healthy"'; do
    if ! kill -0 "$pid" 2>/dev/null || awk -v t="$(seconds "$begin" "$(now)")" 'BEGIN { exit !(t > 180) }'; then
      kill -TERM "$pid" 2>/dev/null || true
      echo "the platform of $checkout did not become healthy:" >&2
      cat "$folder.out" >&2
      exit 1
    fi
    sleep 0.05
  done
  healthy=$(now)
  if [[ ${3:-} == footprint ]]; then
    sleep 30
    idle_footprint "$pid" >"$folder.footprint"
  fi
  processes=$(platform_processes "$pid")
  kill -TERM "$pid"
  # shellcheck disable=SC2086 # one pid per word
  while kill -0 $processes 2>/dev/null; do sleep 0.05; done
  stopped=$(now)
  echo "$(seconds "$begin" "$healthy") $(seconds "$healthy" "$stopped")"
}

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# Sets <prefix>_cold, _warm (median of 3), _stop (median of 4) and _pss_mib / _processes for the AppHost of checkout $2.
measure() {
  local prefix=$1 checkout=$2 folder="$data/$1" cold stop warm mode run warm_runs=() stops=()
  mkdir -m 755 "$folder"
  read -r cold stop < <(start_and_stop "$checkout" "$folder")
  stops+=("$stop")
  for run in 1 2 3; do
    mode=''
    if ((run == 3)); then mode=footprint; fi
    read -r warm stop < <(start_and_stop "$checkout" "$folder" "$mode")
    warm_runs+=("$warm")
    stops+=("$stop")
  done
  printf -v "${prefix}_cold" '%s' "$cold"
  printf -v "${prefix}_warm" '%s' "$(median "${warm_runs[@]}")"
  printf -v "${prefix}_stop" '%s' "$(median "${stops[@]}")"
  printf -v "${prefix}_pss_mib" '%s' "$(awk '{ s += $1 } END { printf "%.0f", s / 1024 }' "$folder.footprint")"
  printf -v "${prefix}_processes" '%s' "$(wc -l <"$folder.footprint")"
}

measure new .
old_cold='' old_warm='' old_stop='' old_pss_mib='' old_processes=''
if [[ $reference != none ]]; then
  measure old "$worktree"
fi
old() { if [[ -n $1 ]]; then echo "$1$2 ($reference)"; else echo "-"; fi; }

printf '%-44s %10s   %s\n' "startup, on $(nproc) cores" "Aspire" "reference"
printf '%-44s %9ss   %s\n' "cold start to healthy (empty data folder)" "$new_cold" "120 s (the issue's bar); $(old "$old_cold" " s")"
printf '%-44s %9ss   %s\n' "warm start to healthy (median of 3)" "$new_warm" "$(old "$old_warm" " s")"
printf '%-44s %9ss   %s\n' "stop, SIGTERM to no process left (median)" "$new_stop" "$(old "$old_stop" " s")"
printf '%-44s %6s MiB   %s\n' "idle PSS, summed over every process" "$new_pss_mib" "3072 MiB (the issue's bar); $(old "$old_pss_mib" " MiB")"
printf '%-44s %10s   %s\n' "processes" "$new_processes" "$(old "$old_processes" "")"
echo
echo "idle PSS per process, Aspire (KiB, pid, command):"
cat "$data/new.footprint"
if [[ $reference != none ]]; then
  echo
  echo "idle PSS per process, $reference (KiB, pid, command):"
  cat "$data/old.footprint"
fi
