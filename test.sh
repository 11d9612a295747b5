#!/usr/bin/env bash
# Runs every test: installs what is missing, builds once, starts real servers (PostgreSQL + PostGIS, Redis, the
# Pub/Sub emulator, Azurite and s3rver) on free loopback ports, runs every test project, stops the servers whatever the
# outcome, and ends with one line: "N passed, N failed" (", N skipped" when any were).
set -euo pipefail
cd "$(dirname "$0")"

# Chromium: the browser tests drive Debian's own (headless, through Playwright). Node.js and npm come with the
# platform's own dependencies (the gazetteer's data is installed with npm).
scripts/install-dependencies.sh chromium
# CARTO's own JS client, which the compatibility test drives, the deck.gl page the browser test bundles, the open
# data the import tests upload, and the SMTP server the accounts tests send links to (versions pinned by their
# package-lock.json files).
(cd tests/AppHost.Tests/CartoClient && npm ci --no-audit --no-fund --silent)
(cd tests/Integration.Tests/SmtpSink && npm ci --no-audit --no-fund --silent)
(cd tests/AppHost.Tests/DeckGlPage && npm ci --no-audit --no-fund --silent)
(cd tests/AppHost.Tests/ImportData && npm ci --no-audit --no-fund --silent)
dotnet build CartoSelfHosted.sln --nologo -v quiet -clp:ErrorsOnly

trap 'scripts/test-servers.sh stop' EXIT
scripts/test-servers.sh start
# shellcheck source=/dev/null
source .data/test-servers.env

log=.data/test-output.log
status=0
# One test project at a time (-m:1): the AppHost tests boot the whole platform and wait on it under time limits;
# on two cores the integration tests beside them would only compete for the CPU.
dotnet test CartoSelfHosted.sln -m:1 --no-build --nologo --blame-hang-timeout 10m \
  --logger "console;verbosity=normal" 2>&1 | tee "$log" || status=$?

# Each test project ends with a block: "Total tests: T", then "Passed: P", "Failed: F", "Skipped: S" (a count of 0 is
# left out), then "Total time: …".
read -r projects_reported passed failed skipped < <(awk '
  /^Total tests: [0-9]+$/ { blocks++; inblock = 1; next }
  inblock && /^ +Passed: [0-9]+$/ { p += $2 }
  inblock && /^ +Failed: [0-9]+$/ { f += $2 }
  inblock && /^ +Skipped: [0-9]+$/ { s += $2 }
  /^ *Total time:/ { inblock = 0 }
  END { print blocks + 0, p + 0, f + 0, s + 0 }' "$log")

# A CI log is often read from its end only: name each failed test there again, with the first lines of its message
# (the stack trace stays in the full log above).
if ((failed > 0)); then
  echo "Failed tests:"
  awk '
    /^  Failed [^ ]/ { shown = 0; inmessage = 1; print; next }
    /^  (Stack Trace:|Passed |Skipped )/ { inmessage = 0; next }
    inmessage && shown < 12 { print; shown++ }' "$log"
fi

projects=$(find tests -name '*.Tests.csproj' | wc -l)
if [[ $projects_reported -ne $projects ]]; then
  echo "error: $projects test projects, but $projects_reported reported results (one crashed or hung)" >&2
  status=1
fi

summary="$passed passed, $failed failed"
if ((skipped > 0)); then summary+=", $skipped skipped"; fi
echo "$summary"
exit "$status"
