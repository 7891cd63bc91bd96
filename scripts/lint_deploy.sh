#!/usr/bin/env bash
# `make lint`, deployment part: the container image definition (hadolint) and the systemd unit
# (systemd-analyze verify, on a copy whose paths and user point into this checkout, so what it checks exists).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

"$VENV/bin/hadolint" --config deploy/docker/.hadolint.yaml deploy/docker/Dockerfile
echo "lint: deploy/docker/Dockerfile: hadolint clean"

if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "lint: deploy/systemd/painfaq.service: not verified (systemd-analyze is not installed here)"
  exit 0
fi
unit_dir=$(mktemp -d)
trap 'rm -rf "$unit_dir"' EXIT
sed -e "s#/opt/painfaq#$PWD#g" -e "s#^User=painfaq#User=$(id -un)#" -e "s#^Group=painfaq#Group=$(id -gn)#" \
  -e "s#^EnvironmentFile=/etc/painfaq/production.env#EnvironmentFile=-/etc/painfaq/production.env#" \
  deploy/systemd/painfaq.service >"$unit_dir/painfaq.service"
systemd-analyze verify "$unit_dir/painfaq.service"
echo "lint: deploy/systemd/painfaq.service: systemd-analyze verify clean"
