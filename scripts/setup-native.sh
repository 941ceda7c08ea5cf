#!/usr/bin/env bash
# `npm run setup:native [-- --gpu]`: TensorFlow's native kernels for training, from registries only.
#
# @tensorflow/tfjs-node's install script downloads libtensorflow and a prebuilt binding from
# Google's storage (unreachable here), so `npm ci` drops it. PyPI's TensorFlow wheels carry the C
# API it is written against: the headers (tensorflow/include/tensorflow/c/) and the TF_*/TFE_*
# symbols in libtensorflow_cc.so.2. So this script
#   1. downloads tensorflow-cpu (or, with --gpu, tensorflow plus its [and-cuda] libraries),
#   2. installs tfjs-node(-gpu) 4.22.0 from npm without its scripts into .efficientbert/native,
#   3. builds its binding with node-gyp against those headers and libraries (Node's headers from
#      the Node installation: npm_config_nodedir, nothing downloaded), ~10 s on 2 cores,
#   4. places the package in node_modules/@tensorflow/ (its own dependencies nested inside it;
#      tfjs-core and tfjs-backend-cpu are the project's, so there is one engine), where
#      efficientbert/model/backend.ts finds it and picks the `tensorflow` backend.
# Optional: without it training runs on wasm. Safe to re-run: a working install is left as it is.
# TF 2.21.0 is the version checked with tfjs-node 4.22 (its binding compiles unchanged against it).
set -euo pipefail
cd "$(dirname "$0")/.."

TF_VERSION=2.21.0
TFJS_VERSION=4.22.0
variant=cpu
[ "${1:-}" = "--gpu" ] && variant=gpu
if [ "$variant" = gpu ]; then
  pkg=tfjs-node-gpu wheel_name=tensorflow
else
  pkg=tfjs-node wheel_name=tensorflow-cpu
fi
NATIVE="${EFFICIENTBERT_NATIVE_DIR:-$PWD/.efficientbert/native}"
WHEELS="$NATIVE/wheels"
TF_DIR="$NATIVE/$wheel_name-$TF_VERSION"
PREFIX="$NATIVE/npm-$pkg"
TARGET="node_modules/@tensorflow/$pkg"
pip=(python3 -m pip --disable-pip-version-check)
start=$SECONDS

if node -e "require('@tensorflow/$pkg')" >/dev/null 2>&1; then
  echo "setup:native: @tensorflow/$pkg already loads; nothing to do"
  exit 0
fi
mkdir -p "$WHEELS"

# 1. TensorFlow's C API: headers and the two shared libraries, out of the wheel.
if [ ! -f "$TF_DIR/lib/libtensorflow_cc.so.2" ]; then
  if ! ls "$WHEELS"/"${wheel_name//-/_}"-"$TF_VERSION"-*.whl >/dev/null 2>&1; then
    echo "==> downloading $wheel_name==$TF_VERSION (PyPI)"
    "${pip[@]}" download --quiet --no-deps --only-binary=:all: -d "$WHEELS" "$wheel_name==$TF_VERSION"
  fi
  echo "==> extracting the TensorFlow C API into $TF_DIR"
  rm -rf "$TF_DIR.part"
  python3 - "$(ls "$WHEELS"/"${wheel_name//-/_}"-"$TF_VERSION"-*.whl | head -n1)" "$TF_DIR.part" <<'PY'
import os, shutil, sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
# The C API headers include tsl/ and xla/tsl/ headers (status, ctstring); nothing else is needed.
prefixes = ("tensorflow/include/tensorflow/c/", "tensorflow/include/tensorflow/core/platform/",
            "tensorflow/include/tsl/", "tensorflow/include/xla/tsl/")
libs = ("tensorflow/libtensorflow_cc.so.2", "tensorflow/libtensorflow_framework.so.2")
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.endswith("/"):
            continue
        if name.startswith(prefixes):
            dest = os.path.join(out, "include", name[len("tensorflow/include/"):])
        elif name in libs:
            dest = os.path.join(out, "lib", os.path.basename(name))
        else:
            continue
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with z.open(name) as src, open(dest, "wb") as dst:
            shutil.copyfileobj(src, dst)
PY
  mv "$TF_DIR.part" "$TF_DIR"
fi
if [ "$variant" = gpu ] && [ ! -f "$NATIVE/cuda12/.installed" ]; then
  # tensorflow[and-cuda]'s CUDA 12 + cuDNN 9 wheels. libtensorflow dlopens them by soname, so the
  # training process needs $NATIVE/cuda12/nvidia/*/lib on LD_LIBRARY_PATH (bench/gpu-check.sh sets it).
  echo "==> installing tensorflow[and-cuda]==$TF_VERSION's CUDA 12 libraries (PyPI nvidia-*-cu12)"
  reqs="$("${pip[@]}" download --quiet --no-deps -d "$WHEELS" "tensorflow==$TF_VERSION" >/dev/null &&
    python3 - "$(ls "$WHEELS"/tensorflow-"$TF_VERSION"-*.whl | head -n1)" <<'PY'
import re, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
    for line in z.read(meta).decode().splitlines():
        m = re.match(r"Requires-Dist: (nvidia-[^;]+);.*extra == .and-cuda.", line)
        if m:
            print(m.group(1).replace(" ", ""))
PY
  )"
  # shellcheck disable=SC2086
  "${pip[@]}" install --quiet --no-deps --target "$NATIVE/cuda12" $reqs
  touch "$NATIVE/cuda12/.installed"
fi

# 2. The npm package, without its download script.
if [ ! -d "$PREFIX/node_modules/@tensorflow/$pkg" ]; then
  echo "==> npm install --ignore-scripts @tensorflow/$pkg@$TFJS_VERSION (into $PREFIX)"
  mkdir -p "$PREFIX"
  echo '{"private": true}' >"$PREFIX/package.json"
  npm install --prefix "$PREFIX" --ignore-scripts --no-audit --no-fund --no-package-lock --silent \
    "@tensorflow/$pkg@$TFJS_VERSION"
fi

# 3. The binding, built against the wheel's C API.
built="$PREFIX/node_modules/@tensorflow/$pkg"
if [ -z "$(find "$built/lib" -name tfjs_binding.node 2>/dev/null)" ]; then
  echo "==> building the tfjs binding against TensorFlow $TF_VERSION (node-gyp, Node headers from $(dirname "$(dirname "$(command -v node)")"))"
  rm -rf "$built/deps" && mkdir -p "$built/deps/lib"
  cp -r "$TF_DIR/include" "$built/deps/include"
  # binding.gyp links -ltensorflow -ltensorflow_framework with rpath $ORIGIN/../../deps/lib.
  ln -f "$TF_DIR/lib/libtensorflow_cc.so.2" "$TF_DIR/lib/libtensorflow_framework.so.2" "$built/deps/lib/" 2>/dev/null ||
    cp "$TF_DIR/lib/libtensorflow_cc.so.2" "$TF_DIR/lib/libtensorflow_framework.so.2" "$built/deps/lib/"
  ln -sf libtensorflow_cc.so.2 "$built/deps/lib/libtensorflow.so"
  ln -sf libtensorflow_framework.so.2 "$built/deps/lib/libtensorflow_framework.so"
  (cd "$built" && npm_config_nodedir="$(dirname "$(dirname "$(command -v node)")")" \
    "$PREFIX/node_modules/.bin/node-pre-gyp" install --build-from-source --silent)
fi

# 4. Into the project's node_modules (hard links where the file system allows: the library is 790 MB).
echo "==> placing @tensorflow/$pkg in node_modules"
rm -rf "$TARGET.part" && mkdir -p "$TARGET.part/node_modules"
cp -al "$built/." "$TARGET.part/" 2>/dev/null || cp -a "$built/." "$TARGET.part/"
for dep in "$PREFIX"/node_modules/* "$PREFIX"/node_modules/@*/*; do
  rel="${dep#"$PREFIX"/node_modules/}"
  case "$rel" in
    @tensorflow/"$pkg" | @tensorflow/tfjs-core | @tensorflow/tfjs-backend-cpu | .bin) continue ;;
    @*/*) ;;
    @*) continue ;; # a scope folder: its packages come through @*/*
  esac
  [ -d "$dep" ] || continue
  mkdir -p "$TARGET.part/node_modules/$(dirname "$rel")"
  cp -al "$dep" "$TARGET.part/node_modules/$rel" 2>/dev/null || cp -a "$dep" "$TARGET.part/node_modules/$rel"
done
rm -rf "$TARGET" && mv "$TARGET.part" "$TARGET"

node -e "const tf = require('@tensorflow/$pkg'); if (tf.getBackend() !== 'tensorflow') process.exit(1)"
echo "setup:native: @tensorflow/$pkg $TFJS_VERSION on TensorFlow $TF_VERSION ($wheel_name) ready in $((SECONDS - start)) s"
