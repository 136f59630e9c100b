#!/bin/sh
# The GPU check on a stock GPU machine without network (README "GPU"): its own Python 3.12 with
# NumPy 2, CuPy 14 for CUDA 13, SciPy and matplotlib, plus the wheels `make gpu-wheels` put in
# .wheels-gpu/ (carried here with the checkout). Installs those into a temporary folder -- nothing
# into the machine's Python -- and runs tools/gpu_check.py with the arguments given:
#   sh tools/gpu_check_offline.sh --midi-dir /path/to/bach_lute
#   sh tools/gpu_check_offline.sh --device -1 --quick            # the same on a CPU
# PYTHON (default python3) and WHEELS (default .wheels-gpu) choose others.
set -eu
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
WHEELS=${WHEELS:-.wheels-gpu}
ls "$WHEELS"/*.whl >/dev/null 2>&1 || { echo "error: no wheels in $WHEELS: run \`make gpu-wheels\` where pip works, and carry $WHEELS here" >&2; exit 2; }
# What tools/gpu_wheels.py assumes this machine has (MACHINE_HAS), checked before anything is installed.
"$PYTHON" - <<'PY' || exit 2
import importlib, sys
missing = []
for name in ("numpy", "cupy", "scipy", "matplotlib"):
    try:
        importlib.import_module(name)
    except Exception as e:
        missing.append("%s (%s)" % (name, str(e).splitlines()[0] if str(e) else type(e).__name__))
import numpy
if int(numpy.__version__.split(".")[0]) < 2:
    missing.append("NumPy 2 (this Python has %s)" % numpy.__version__)
if missing:
    sys.exit("error: this Python (%s) lacks what the carried wheels assume: %s"
             % (sys.executable, "; ".join(missing)))
PY
TARGET=$(mktemp -d "${TMPDIR:-/tmp}/chainer-vae-site.XXXXXX")
trap 'rm -rf "$TARGET"' EXIT
"$PYTHON" -m pip install -q --no-index --no-deps --disable-pip-version-check --target "$TARGET" "$WHEELS"/*.whl
echo "installed $(ls "$WHEELS"/*.whl | wc -l | tr -d ' ') wheels from $WHEELS into $TARGET (removed at the end)"
PYTHONPATH="$TARGET:$(pwd)${PYTHONPATH:+:$PYTHONPATH}" "$PYTHON" tools/gpu_check.py "$@"
