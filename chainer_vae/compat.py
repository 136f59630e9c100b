"""Quiet start-up of Chainer 7.8.1 (its last release, frozen since 2020) on today's stacks.

Applied by ``chainer_vae/__init__.py``; it patches no module. What made Chainer importable on
NumPy 2 and Python 3.12+ is in the Chainer wheel itself (``wheels/``, 7.8.1+numpy2: its start-up
no longer imports ``numpy.distutils`` or ``pkg_resources``, and ``np.sctypes`` is gone; see
wheels/README.md), so the stubs this module used to install are no longer needed.

What is left, all about warnings on a GPU machine:

* CuPy 14 (``cupy-cuda13x``, requirements-gpu.txt) has no cuDNN at all, and NCCL and cuTENSOR
  are optional wheels: ``import chainer`` then makes CuPy and Chainer print multi-line warnings
  on every start, even of a CPU run. Those are silenced here (``OPTIONAL_LIBRARY_WARNINGS``),
  and ``chainer_vae.device`` says once, in one line, what is missing and what it costs when a GPU
  is used.
* Chainer's version check names ``cupy<8``; where it can run (a venv with ``pkg_resources``) a
  CuPy it knows by name would be reported as a mismatch, so ``CHAINER_WARN_VERSION_MISMATCH=0``.

The CUDA 13 libraries need no help: CuPy 14 finds pip's ``nvidia-*`` wheels (``nvidia/cu13/lib``)
itself, through its dependency cuda-pathfinder, so this module preloads nothing (the CUDA 12
preload it had for CuPy 13 is gone with CuPy 13).
"""
import os
import sys
import warnings

APPLIED = []  # what apply() changed, for `python -m chainer_vae.compat` and the tests

# The warnings CuPy (cupy/_environment.py) and Chainer (chainer/backends/cuda.py) give at
# `import chainer` when the optional cuDNN, NCCL or cuTENSOR libraries are absent: each is
# matched from the start of its text, so no other warning is hidden.
OPTIONAL_LIBRARY_WARNINGS = (
    r"\s*(cudnn|nccl|cutensor) library could not be loaded",
    r"cuDNN is not enabled",
)


def silence_optional_library_warnings():
    for pattern in OPTIONAL_LIBRARY_WARNINGS:
        warnings.filterwarnings("ignore", message=pattern, category=UserWarning)


def apply():
    silence_optional_library_warnings()
    if "chainer" in sys.modules:
        return
    if "CHAINER_WARN_VERSION_MISMATCH" not in os.environ:
        os.environ["CHAINER_WARN_VERSION_MISMATCH"] = "0"
        APPLIED.append("CHAINER_WARN_VERSION_MISMATCH=0")


if __name__ == "__main__":
    apply()
    import chainer
    import numpy
    print("python", sys.version.split()[0], "numpy", numpy.__version__, "chainer", chainer.__version__,
          "applied:", ", ".join(APPLIED) or "nothing")
