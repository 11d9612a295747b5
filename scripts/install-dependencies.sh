#!/usr/bin/env bash
# Installs the Debian packages the platform runs on, when they are missing. Idempotent; needs root or sudo.
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
