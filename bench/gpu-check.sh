#!/usr/bin/env bash
# The GPU check, for a lent GPU machine (no network, at most 64 MiB carried per call). Prints one
# JSON object on stdout; progress goes to stderr. Under 8 minutes: a 50-step training and two
# short latency runs.
#
#   bash bench/gpu-check.sh pack     # here: the ORT CUDA provider (272 MB; 177 MB zstd) cut into
#                                    # 48 MiB parts under .efficientbert/gpu-carry/, one per call
#   bash bench/gpu-check.sh          # there (or here, up to the point where a GPU is needed)
#
# What it uses there: node and node_modules as carried or already present; the provider either in
# node_modules (setup:gpu) or reassembled from the carried parts; CUDA 13 + cuDNN 9 from the
# image's PyTorch venv (/opt/torch/.venv: the same nvidia-* wheels setup:gpu installs), else from
# .efficientbert/native/cuda13. Steps:
#   1. the published EfficientBERT (paper preset, seeded random weights) exported to ONNX,
#   2. served on CUDA vs CPU (bench/gpu-check-serve.ts: p50 b1 s128, rows/s at batch 32),
#   3. 50 supernet KD steps on the tensorflow backend (bench/train-step.ts), with
#      @tensorflow/tfjs-node-gpu when `npm run setup:native -- --gpu` built it.
set -uo pipefail
cd "$(dirname "$0")/.."
NATIVE="${EFFICIENTBERT_NATIVE_DIR:-$PWD/.efficientbert/native}"
CARRY="$PWD/.efficientbert/gpu-carry"
BIN="node_modules/onnxruntime-node/bin/napi-v6/linux/x64"
PROVIDER=libonnxruntime_providers_cuda.so

if [ "${1:-}" = pack ]; then
  [ -f "$BIN/$PROVIDER" ] || { echo "run npm run setup:gpu first" >&2; exit 1; }
  mkdir -p "$CARRY" && rm -f "$CARRY"/$PROVIDER.zst.*
  zstd -q -19 -T0 -c "$BIN/$PROVIDER" | split -b 48M -d - "$CARRY/$PROVIDER.zst."
  cp "$BIN"/libonnxruntime_providers_shared.so "$CARRY/"
  ls -l "$CARRY" >&2
  echo "carry each part in its own call (carry: [\".efficientbert/gpu-carry/<part>\"]), then run bench/gpu-check.sh" >&2
  exit 0
fi

start=$SECONDS
log() { echo "gpu-check: $*" >&2; }
json_str() { python3 -c 'import json,sys; print(json.dumps(sys.stdin.read().strip()))'; }

# The device: nvidia-smi is the first thing that needs the hardware.
gpu="null"
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  gpu="$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | head -n1 | json_str)"
fi
log "gpu: $gpu"

# The provider: in node_modules already, or reassembled from carried parts.
if [ ! -f "$BIN/$PROVIDER" ] && ls "$CARRY/$PROVIDER.zst."* >/dev/null 2>&1; then
  log "reassembling $PROVIDER from $(ls "$CARRY/$PROVIDER.zst."* | wc -l) carried parts"
  cat "$CARRY/$PROVIDER.zst."* | zstd -q -d -o "$BIN/$PROVIDER" && cp "$CARRY"/libonnxruntime_providers_shared.so "$BIN/"
fi
provider_found=false
[ -f "$BIN/$PROVIDER" ] && provider_found=true

# CUDA 13 libraries: the image's torch venv, else what setup:gpu installed.
libdirs=""
for root in /opt/torch/.venv/lib/python3*/site-packages/nvidia "$NATIVE/cuda13/nvidia"; do
  [ -d "$root" ] || continue
  libdirs="$(find "$root" -maxdepth 2 -name lib -type d | sort | paste -sd:)"
  [ -n "$libdirs" ] && break
done
log "provider found: $provider_found; CUDA libraries: ${libdirs:-none}"

# 1. The published EfficientBERT, exported once.
repo="$PWD/.efficientbert/gpu-check-repo"
model="$repo/efficientbert/1/model.onnx"
if [ ! -f "$model" ]; then
  log "exporting the published EfficientBERT (paper preset, random init)"
  bin/efficientbert export --preset paper --random-init --out "$repo" >&2 || log "export failed"
fi

# 2. Serving, CUDA vs CPU, in one process with the library path set (as the server's launcher does).
serve="$(LD_LIBRARY_PATH="$libdirs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" timeout 240 \
  node --import tsx bench/gpu-check-serve.ts "$model" --iterations 50 2>/dev/null | tail -n1)"
[ -n "$serve" ] || serve='{"failed":"bench/gpu-check-serve.ts printed nothing"}'

# 3. Training: 50 KD steps on the tensorflow backend (GPU kernels only with tfjs-node-gpu).
if node -e "require('@tensorflow/tfjs-node-gpu')" >/dev/null 2>&1; then
  cu12="$(find "$NATIVE/cuda12/nvidia" -maxdepth 2 -name lib -type d 2>/dev/null | sort | paste -sd:)"
  train="$(LD_LIBRARY_PATH="$cu12" TF_CPP_MIN_LOG_LEVEL=1 timeout 300 \
    node --import tsx bench/train-step.ts --backend tensorflow --steps 50 2>/dev/null | tail -n1)"
  [ -n "$train" ] || train='{"failed":"train-step printed nothing"}'
else
  train='{"skipped":"@tensorflow/tfjs-node-gpu is not installed (npm run setup:native -- --gpu; its TensorFlow GPU library and CUDA 12 wheels, ~4 GB, cannot be carried in 64 MiB calls)"}'
fi

cat <<EOF
{"gpu":$gpu,"providerFound":$provider_found,"cudaLibraries":$(printf %s "$libdirs" | json_str),"serve":$serve,"train":$train,"seconds":$((SECONDS - start))}
EOF
