#!/usr/bin/env bash
# Install sam2_jupyter and the SAM2 stack into one Python environment.
#
# The single list of install steps: Binder's postBuild runs it, and
# tests/test_install.py runs it in a clean virtual environment. Settings:
#   PYTHON         the interpreter to install into (default: python)
#   TORCH          torch and torchvision requirements, space-separated (default
#                  torch==2.14.1 torchvision==0.29.1: a matching pair, which sam2's
#                  automatic mask generator needs; torch alone is enough to track)
#   TORCH_INDEX    index for torch, e.g. https://download.pytorch.org/whl/cpu
#                  (CPU wheels, no CUDA download); empty: the default index
#   EXTRAS         package extras (default formats,batch,demo,edgetam)
#   EDITABLE       non-empty: an editable install (development; what `make` does)
#   PACKAGE        what to install instead of this folder, e.g. a built wheel
#                  (then no Node.js is needed: the wheel holds the bundled widget)
#   FETCH_WEIGHTS  a model name (e.g. tiny) to download into the cache now
set -euo pipefail
PY=${PYTHON:-python}
TORCH=${TORCH:-torch==2.14.1 torchvision==0.29.1}
EXTRAS=${EXTRAS-formats,batch,demo,edgetam}
cd "$(dirname "$0")/.."

$PY -m pip install -q -U pip setuptools wheel
# $TORCH is one requirement or several (torch and torchvision): split on spaces.
if [ -n "${TORCH_INDEX:-}" ]; then
    # shellcheck disable=SC2086
    $PY -m pip install -q --index-url "$TORCH_INDEX" $TORCH
else
    # shellcheck disable=SC2086
    $PY -m pip install -q $TORCH
fi
# sam2 is source-only and builds against the installed torch; --no-deps keeps pip
# from replacing the torch / torchvision pair above with other builds.
$PY -m pip install -q "hydra-core>=1.3.2" "iopath>=0.1.10" pillow tqdm numpy
SAM2_BUILD_CUDA=0 $PY -m pip install -q --no-build-isolation --no-deps sam2==1.1.0
# Building the package bundles the widget's JavaScript (npm + esbuild).
SOURCE=${PACKAGE:-.}
TARGET=$SOURCE
[ -n "$EXTRAS" ] && TARGET="$SOURCE[$EXTRAS]"
if [ -n "${EDITABLE:-}" ]; then
    $PY -m pip install -q -e "$TARGET"
else
    $PY -m pip install -q "$TARGET"
fi
if [ -n "${FETCH_WEIGHTS:-}" ]; then
    $PY -c "import sam2_jupyter as sj; print(sj.load_model('$FETCH_WEIGHTS', device='cpu'))"
fi
