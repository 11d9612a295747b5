#!/usr/bin/env bash
# The messaging backbone's throughput and latency next to the Pub/Sub emulator's own, measured in one run:
#   publish      — outbox rows published per second (API commit → marked sent) vs raw batch publishes;
#   end-to-end   — messages per second from the API's commit to the handler's commit vs raw pull+acknowledge;
#   latency      — API commit → handler done (p50/p99), at light load and under full load, vs raw publish → pull.
# Goal (issue "Messaging backbone"): end-to-end ≥ 50% of the raw pull+ack rate, p50 latency under 100 ms.
# Usage: bench/messaging.sh [messages]   (default 20000). Runs its own PostgreSQL and emulator beside the tests' ones.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-dependencies.sh
dotnet build bench/MessagingBench --nologo -v quiet -clp:ErrorsOnly >/dev/null
trap 'scripts/test-servers.sh stop bench' EXIT
# A heap that leaves the JVM room: at 256 MB (the tests' setting) its garbage collector, not the path, would be measured.
PUBSUB_EMULATOR_HEAP=1g scripts/test-servers.sh start bench
source .data/bench-servers.env
dotnet artifacts/bin/MessagingBench/debug/MessagingBench.dll "$@"
