"""BLAS threads for the scripts: one by default, set at run time by the command line.

The paper's products are small (a batch of 32 against a 784x500 or 15600x1000 matrix) and the
rest of a step (Adam, the elementwise maths, Chainer's bookkeeping) runs on one core anyway.
On the 2-core machines this project targets, a second OpenBLAS thread gained nothing on an idle
machine and doubled the MNIST epoch time when other processes held the cores (BENCHMARKS.md).

``limit()`` is called by ``cli.flags.parse``, so importing ``chainer_vae`` changes nothing; it
uses threadpoolctl (scikit-learn's library for this), which resizes the already loaded BLAS.
Your choice wins: nothing is changed when OPENBLAS_NUM_THREADS, OMP_NUM_THREADS or
MKL_NUM_THREADS is set, or when CHAINER_VAE_BLAS_THREADS is set (a number, or ``auto`` for the
BLAS library's own default).

Kernels: OpenBLAS picks them by CPU model when it loads. NumPy 2's OpenBLAS (0.3.31 with NumPy
2.4, 0.3.34 with 2.5) knows newer CPUs than NumPy 1.26's 0.3.23, which gave a model it did not know
its generic kernels. On a CPU that OpenBLAS still does not know, the one setting is OpenBLAS's
own variable, set before Python starts: ``OPENBLAS_CORETYPE=SkylakeX`` (AVX-512) or ``Haswell``
(AVX2 + FMA); README "Speed on a CPU". Nothing here chooses kernels or restarts a script.
"""
import os

USER_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
DEFAULT = 1  # BENCHMARKS.md: "BLAS threads"


def choice():
    """The number of BLAS threads to set, or None to leave the BLAS as the user configured it."""
    if any(v in os.environ for v in USER_VARS):
        return None
    text = os.environ.get("CHAINER_VAE_BLAS_THREADS", str(DEFAULT)).strip()
    if not text or text.lower() == "auto":
        return None
    try:
        return max(1, int(text))
    except ValueError:
        return DEFAULT


def limit():
    """Set the BLAS thread count for this process (``choice()``); returns what was set, or None."""
    n = choice()
    if n is None:
        return None
    from threadpoolctl import threadpool_limits
    threadpool_limits(limits=n, user_api="blas")
    return n


if __name__ == "__main__":
    print(limit() or "BLAS threads left as chosen: %s" % {v: os.environ.get(v) for v in USER_VARS})
