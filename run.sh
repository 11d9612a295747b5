#!/usr/bin/env bash
# Runs the whole platform on this machine: installs what is missing, builds once (Release: optimized code, which
# the tests' Debug build is not), starts AppHost.
# AppHost prints the router URL, the dashboard URL and the development token; Ctrl+C stops everything.
# Arguments go to AppHost, e.g. ./run.sh --Ports:router-http=9090 --data-dir /tmp/carto
set -euo pipefail
cd "$(dirname "$0")"

scripts/install-dependencies.sh
dotnet build CartoSelfHosted.sln -c Release --nologo -v quiet -clp:ErrorsOnly
exec dotnet artifacts/bin/AppHost/release/AppHost.dll "$@"
