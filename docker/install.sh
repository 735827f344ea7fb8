#!/bin/sh
# The image's Python install steps, kept in one file so that they are the same everywhere: the
# Dockerfile runs it, and docker/check_install.sh runs it in a clean venv where no Docker engine
# exists. Run from the build context's root (the folder holding pyproject.toml).
#   PYTHON              interpreter to install into (default: python3, the image's)
#   IMPRESSIONS_ORT_GPU onnxruntime-gpu requirement that replaces the CPU onnxruntime (the
#                       generator's CUDA execution provider); empty: keep the CPU build
set -eu
PYTHON="${PYTHON:-python3}"
ORT_GPU="${IMPRESSIONS_ORT_GPU-onnxruntime-gpu==1.32.0}"

# numpy<2 and the rest are pinned in pyproject.toml (the Python backend stub's numpy ABI).
"$PYTHON" -m pip install --no-cache-dir -e '.[postgres]'
if [ -n "$ORT_GPU" ]; then
  "$PYTHON" -m pip uninstall -y onnxruntime
  "$PYTHON" -m pip install --no-cache-dir "$ORT_GPU"
else
  echo "install.sh: IMPRESSIONS_ORT_GPU is empty: the CPU onnxruntime stays"
fi
"$PYTHON" -c "import numpy, onnxruntime, python_models, release; assert numpy.__version__ < '2'"
