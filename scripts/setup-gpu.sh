#!/usr/bin/env bash
# `npm run setup:gpu`: the ONNX Runtime CUDA execution provider for onnxruntime-node, from PyPI only.
#
# onnxruntime-node's own install script downloads libonnxruntime_providers_{shared,cuda,tensorrt}.so
# from NuGet, which is not reachable here. PyPI's onnxruntime-gpu of the same version is the same
# build (same git commit id as the npm core) and carries the same three files in onnxruntime/capi/,
# so they are copied to exactly where that script would put them:
#   node_modules/onnxruntime-node/bin/napi-v6/linux/x64/
# The CUDA 13 + cuDNN 9 user-space libraries the provider loads are PyPI packages too; they are
# installed with `pip install --target` under .efficientbert/native/cuda13 (gitignored), and the
# inference server's launcher puts their lib folders on LD_LIBRARY_PATH (services/inference/launch.ts).
# The driver (libcuda.so.1) is the one thing no package provides: it comes with the GPU.
#
# Safe to re-run: wheels already downloaded and files already in place are skipped.
# EFFICIENTBERT_NATIVE_DIR moves the install root (default .efficientbert/native).
set -euo pipefail
cd "$(dirname "$0")/.."

ORT_VERSION="$(node -p "require('onnxruntime-node/package.json').version")"
NATIVE="${EFFICIENTBERT_NATIVE_DIR:-$PWD/.efficientbert/native}"
WHEELS="$NATIVE/wheels"
CUDA_DIR="$NATIVE/cuda13"
BIN="node_modules/onnxruntime-node/bin/napi-v6/linux/x64"
# What onnxruntime-gpu $ORT_VERSION links against (readelf -d on its provider libraries) plus what
# it dlopens at run time (cuDNN, cuFFT, NVRTC): the set its own setup metadata names for CUDA 13.
CUDA_PACKAGES=(
  'nvidia-cuda-runtime~=13.0' 'nvidia-cublas~=13.0' 'nvidia-curand~=10.0'
  'nvidia-cufft~=12.0' 'nvidia-cuda-nvrtc~=13.0' 'nvidia-cudnn-cu13~=9.0'
)
pip=(python3 -m pip --disable-pip-version-check)
start=$SECONDS

[ "$(uname -s)/$(uname -m)" = "Linux/x86_64" ] || { echo "setup:gpu: only linux/x64 has a CUDA provider" >&2; exit 1; }
mkdir -p "$WHEELS" "$CUDA_DIR"

# 1. The provider libraries, from the onnxruntime-gpu wheel of the npm package's exact version.
providers=(libonnxruntime_providers_shared.so libonnxruntime_providers_cuda.so libonnxruntime_providers_tensorrt.so)
missing=0
for f in "${providers[@]}"; do [ -f "$BIN/$f" ] || missing=1; done
if [ "$missing" = 1 ]; then
  if ! ls "$WHEELS"/onnxruntime_gpu-"$ORT_VERSION"-*.whl >/dev/null 2>&1; then
    echo "==> downloading onnxruntime-gpu==$ORT_VERSION (PyPI)"
    "${pip[@]}" download --quiet --no-deps --only-binary=:all: -d "$WHEELS" "onnxruntime-gpu==$ORT_VERSION"
  fi
  wheel="$(ls "$WHEELS"/onnxruntime_gpu-"$ORT_VERSION"-*.whl | head -n1)"
  echo "==> copying the CUDA/TensorRT provider libraries into $BIN"
  python3 - "$wheel" "$BIN" "${providers[@]}" <<'PY'
import os, shutil, sys, zipfile
wheel, dest, names = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(wheel) as z:
    for name in names:
        tmp = os.path.join(dest, name + ".part")
        with z.open(f"onnxruntime/capi/{name}") as src, open(tmp, "wb") as out:
            shutil.copyfileobj(src, out)
        os.chmod(tmp, 0o755)
        os.replace(tmp, os.path.join(dest, name))  # atomic: a half-copied file is never loaded
PY
fi

# 2. The CUDA 13 and cuDNN 9 libraries (pip skips what --target already satisfies only with
#    --upgrade-strategy, so a marker per package set decides instead).
marker="$CUDA_DIR/.installed"
wanted="${CUDA_PACKAGES[*]}"
if [ "$(cat "$marker" 2>/dev/null)" != "$wanted" ]; then
  echo "==> downloading and installing CUDA 13 + cuDNN 9 user-space libraries (PyPI nvidia-*)"
  "${pip[@]}" download --quiet --no-deps --only-binary=:all: -d "$WHEELS" "${CUDA_PACKAGES[@]}"
  "${pip[@]}" install --quiet --no-deps --no-index --find-links "$WHEELS" --target "$CUDA_DIR" --upgrade \
    "${CUDA_PACKAGES[@]}"
  echo "$wanted" >"$marker"
fi

libdirs="$(find "$CUDA_DIR/nvidia" -mindepth 2 -maxdepth 2 -name lib -type d | sort | paste -sd:)"
echo "setup:gpu: ready in $((SECONDS - start)) s: providers in $BIN; CUDA libraries $libdirs ($(du -sh "$CUDA_DIR" | cut -f1))"
