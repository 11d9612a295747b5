#!/usr/bin/env bash
# The messaging backbone's throughput and latency on both brokers, each next to the broker's own, measured in one run:
#   publish      — outbox rows published per second (API commit → marked sent) vs raw publishes (the emulator's batch
#                  publish; RabbitMQ's with publisher confirms);
#   end-to-end   — messages per second from the API's commit to the handler's commit vs raw consume+acknowledge
#                  (the emulator's pull+ack; RabbitMQ's consumer on the platform's quorum queue);
#   stages       — the same, each stage alone: the dispatcher publishing a backlog, then the subscriber handling it;
#   latency      — API commit → handler done (p50/p99), at light load and under full load, vs raw publish → consume.
# The platform's path is the same code on both, Messaging:Broker=pubsub or rabbitmq, and RabbitMQ's is also put next
# to Pub/Sub's. Goals: Pub/Sub (issue "Messaging backbone") end-to-end ≥ 50% of raw pull+ack, p50 under 100 ms;
# RabbitMQ (issue 20) end-to-end ≥ 50% of raw consume+ack, p50 under 50 ms.
# Usage: bench/messaging.sh [messages] [rounds] [together|alone]   (default 20000 3 together: the subscriber commits
# waiting messages together, as a subscription of short handlers does; alone, a transaction per message). Runs its own
# PostgreSQL, emulator and RabbitMQ beside the tests' ones.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-dependencies.sh
dotnet build bench/MessagingBench --nologo -v quiet -clp:ErrorsOnly >/dev/null
trap 'scripts/test-servers.sh stop bench' EXIT
# A heap that leaves the JVM room: at 256 MB (the tests' setting) its garbage collector, not the path, would be measured.
PUBSUB_EMULATOR_HEAP=1g scripts/test-servers.sh start bench
source .data/bench-servers.env
dotnet artifacts/bin/MessagingBench/debug/MessagingBench.dll "$@"
