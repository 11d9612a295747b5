#!/usr/bin/env bash
# The workspace's figures (issue 16), through bench/WorkspaceBench:
#   catalog listing — GET /api/v3/connections/carto_dw/resources/{schema} of a schema of 1,000 tables, whole
#                     (page_size=1000) and its first page of 30;
#   search          — GET /api/v3/search over 10,000 resources (datasets, maps, connections), typical queries walked round
#                     and the worst one (a single letter). Goal: < 50 ms.
# Each next to the statement workspace-api runs for it (CatalogStore's, SearchStore's) over a plain Npgsql pool:
# PostgreSQL alone. A warm-up round, then alternating rounds; every round printed, then the medians with their spread.
# Usage: bench/workspace.sh   (WORKSPACE_REQUESTS a pass, default 300; WORKSPACE_CONCURRENCY, default 1;
#        WORKSPACE_ROUNDS, default 3). Starts its own PostgreSQL, Redis and Pub/Sub emulator
#        (scripts/test-servers.sh start bench-workspace) beside the tests' ones, and workspace-api (Release) on a free port.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-dependencies.sh
dotnet build bench/WorkspaceBench -c Release --nologo -v quiet -clp:ErrorsOnly >/dev/null
trap 'scripts/test-servers.sh stop bench-workspace' EXIT
scripts/test-servers.sh start bench-workspace
source .data/bench-workspace-servers.env
dotnet artifacts/bin/WorkspaceBench/release/WorkspaceBench.dll --postgres "$TEST_POSTGRES" --redis "$TEST_REDIS" \
  --pubsub "$TEST_PUBSUB_EMULATOR_HOST" --workspace-api artifacts/bin/WorkspaceApi/release/WorkspaceApi.dll \
  --requests "${WORKSPACE_REQUESTS:-300}" --concurrency "${WORKSPACE_CONCURRENCY:-1}" --rounds "${WORKSPACE_ROUNDS:-3}"
