"""BLAS threads: one by default, set before NumPy loads (``import chainer_vae`` first).

The paper's products are small (a batch of 32 against a 784x500 or 15600x1000 matrix) and the
rest of a step (Adam, the elementwise maths, Chainer's bookkeeping) runs on one core anyway.
On the 2-core machines this project targets, a second OpenBLAS thread gained nothing on an idle
machine and doubled the MNIST epoch time when other processes held the cores (BENCHMARKS.md).

Your choice wins: nothing is changed when OPENBLAS_NUM_THREADS, OMP_NUM_THREADS or
MKL_NUM_THREADS is set, or when CHAINER_VAE_BLAS_THREADS is set (a number, or ``auto`` for the
BLAS library's own default).  Too late once NumPy is imported: then this does nothing.
"""
import os
import sys

USER_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
APPLIED = {}  # what was set, for tests and `python -m chainer_vae.cli.threads`


def apply(default="1"):
    if "numpy" in sys.modules or any(v in os.environ for v in USER_VARS):
        return
    n = os.environ.get("CHAINER_VAE_BLAS_THREADS", default).strip()
    if n.lower() == "auto" or not n:
        return
    for var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = APPLIED[var] = n


if __name__ == "__main__":
    apply()
    print(APPLIED or "BLAS threads left as chosen: %s" % {v: os.environ.get(v) for v in USER_VARS})
