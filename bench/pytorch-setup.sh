#!/usr/bin/env bash
# Installs PyTorch for the CPU baseline of `npm run bench -- train-step`, from PyPI only, into
# .efficientbert/native/torch (gitignored). PyPI has no CPU-only Linux torch wheel (that index is
# PyTorch's own, unreachable here): the PyPI build links its CUDA libraries and refuses to import
# without them, so they come along (no GPU is used). `--no-deps` skips triton and the CUDA
# compiler packages that CPU training never loads. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET="${EFFICIENTBERT_NATIVE_DIR:-$PWD/.efficientbert/native}/torch"
TORCH_VERSION=2.11.0
[ -f "$TARGET/.installed-$TORCH_VERSION" ] && exit 0
start=$SECONDS
echo "==> installing torch==$TORCH_VERSION and the CUDA 13 libraries its import loads (PyPI) into $TARGET" >&2
python3 -m pip --disable-pip-version-check install --quiet --no-deps --target "$TARGET" --upgrade \
  "torch==$TORCH_VERSION" filelock typing-extensions sympy mpmath networkx jinja2 markupsafe fsspec numpy \
  'nvidia-cuda-runtime~=13.0' 'nvidia-cublas~=13.0' 'nvidia-cufft~=12.0' 'nvidia-curand~=10.0' \
  'nvidia-cusolver~=12.0' 'nvidia-cusparse~=12.6' 'nvidia-nvjitlink~=13.0' 'nvidia-cuda-cupti~=13.0' \
  'nvidia-cufile~=1.15' 'nvidia-cuda-nvrtc~=13.0' 'nvidia-cudnn-cu13==9.19.0.56' \
  'nvidia-cusparselt-cu13==0.8.0' 'nvidia-nccl-cu13==2.28.9' 'nvidia-nvshmem-cu13==3.4.5' >&2
touch "$TARGET/.installed-$TORCH_VERSION"
echo "==> torch ready in $((SECONDS - start)) s ($(du -sh "$TARGET" | cut -f1))" >&2
