#!/usr/bin/env bash
# Location data services (lds-api's geocoding, routing and isolines) through the router, next to the statements it runs
# on their own:
#   router — GET /api/v3/lds/geocoding/geocode and /reverse, a POST of a batch of addresses, GET /api/v3/lds/routing (car)
#            and /isolines (on foot, 300/600/900 s), through router-http;
#   direct — the same requests to lds-api itself, without the router: where the time beyond the SQL goes;
#   pool   — the very statements lds-api runs (its own Geocoder: lds.geocode, lds.reverse_geocode, the batch's lateral
#            joins 1,000 addresses a statement; its own RoadRouter: pgr_dijkstraVia, pgr_drivingDistance + ST_ConcaveHull)
#            over a plain Npgsql pool, as the warehouse's administrator.
# The addresses are places of the gazetteer written "name, admin1, country"; the points are 0.01° from places.
# All sides at the same concurrency through one runner (bench/LdsBench), in alternating rounds after warm-up rounds (2 minutes of them): p50,
# p99 and requests/s of every round, the batch's addresses/s, then the medians, their spread and router ÷ pool.
# Goal (issue 19): within 1.3× of the plain SQL.
# Usage: bench/lds.sh   (LDS_CONCURRENCY, default 16; LDS_ROUNDS, default 5; LDS_REQUESTS a pass, 2000; LDS_ROUTE_REQUESTS a
# pass, 200; LDS_BATCH, 10000; LDS_WARMUP, seconds of warm-up rounds, 120)
# Runs the platform (Release) on free ports with a temporary data folder, beside any running platform; lds-api loads its
# gazetteer at that first start, which the script waits for.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

concurrency=${LDS_CONCURRENCY:-16}
rounds=${LDS_ROUNDS:-5}
requests=${LDS_REQUESTS:-2000}
route_requests=${LDS_ROUTE_REQUESTS:-200}
batch=${LDS_BATCH:-10000}
warmup=${LDS_WARMUP:-120}

# Node.js and the gazetteer's npm packages come with the platform's own dependencies.
scripts/install-dependencies.sh
# What ./run.sh runs: the Release build (LdsBench included, it is in the solution).
dotnet build CartoSelfHosted.sln -c Release --nologo -v quiet -clp:ErrorsOnly >/dev/null

start_bench_platform lds

router="http://127.0.0.1:${PLATFORM_PORTS[router-http]}"
echo "waiting for lds-api to load its gazetteer and road network..."
started=$SECONDS
until curl -sf -o /dev/null -H "Authorization: Bearer $BENCH_TOKEN" "$router/api/v3/lds/geocoding/geocode?address=Paris"; do
  ((SECONDS - started < 300)) || { echo "error: the gazetteer was not loaded within 300 s" >&2; exit 1; }
  sleep 1
done
until curl -sf -o /dev/null -H "Authorization: Bearer $BENCH_TOKEN" "$router/api/v3/lds/routing?origin=11.94,57.68&destination=11.99,57.72"; do
  ((SECONDS - started < 300)) || { echo "error: the road network was not loaded within 300 s" >&2; exit 1; }
  sleep 1
done
echo "loaded within $((SECONDS - started)) s of the platform being healthy"

printf '\ngeocoding on %s cores, %s places in the gazetteer\n' "$(nproc)" "$("${WAREHOUSE[@]}" -tAc "SELECT count(*) FROM lds.places")"
dotnet artifacts/bin/LdsBench/release/LdsBench.dll --router "$router" --direct "http://127.0.0.1:${PLATFORM_PORTS[lds-api]}" --token "$BENCH_TOKEN" \
  --warehouse "Host=127.0.0.1;Port=${PLATFORM_PORTS[postgres]};Username=postgres;Password=$PGPASSWORD;Database=warehouse" \
  --concurrency "$concurrency" --rounds "$rounds" --requests "$requests" --route-requests "$route_requests" --batch "$batch" --warmup "$warmup"
