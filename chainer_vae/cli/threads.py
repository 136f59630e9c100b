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
"""
import os
import sys

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



# ----------------------------------------------------------------------------- OpenBLAS's kernels
# OpenBLAS picks its kernels by CPU model; a model it does not know gets its generic "Prescott"
# (SSE3) ones. NumPy 1.26's OpenBLAS 0.3.23 does so on this project's Xeon host (CPUID model 207,
# AVX-512), where its SkylakeX kernels made the MNIST epoch 1.45x faster (BENCHMARKS.md, "OpenBLAS's
# kernels"). The kernels are chosen when the library loads, so the only way to change them is the
# environment of a new process: ``use_cpu_kernels`` restarts the script once with
# OPENBLAS_CORETYPE set, and only where OpenBLAS fell back to its generic kernels and the CPU's own
# flags carry every instruction the chosen kernels use.
GENERIC = "Prescott"
KERNELS = (("SkylakeX", {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"}),
           ("Haswell", {"avx2", "fma"}))
RESTARTED = "CHAINER_VAE_BLAS_RESTARTED"  # set in the restarted process: never a second restart


def cpu_flags(path="/proc/cpuinfo"):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def openblas_architecture():
    """The kernels NumPy's OpenBLAS chose in this process (threadpoolctl), or None.  SciPy brings
    its own, newer OpenBLAS (``scipy.libs``), which may know the CPU; NumPy's (``numpy.libs``, or
    ``numpy/.dylibs``) computes the model."""
    from threadpoolctl import threadpool_info
    found = [i.get("architecture") for i in threadpool_info()
             if i.get("internal_api") == "openblas" and os.sep + "numpy" in i.get("filepath", "")]
    return found[0] if len(found) == 1 else None


def better_kernels(architecture, flags):
    """The OPENBLAS_CORETYPE to use instead of ``architecture``, or None: only in place of the
    generic fallback, and only kernels whose instructions ``flags`` all has."""
    if architecture != GENERIC:
        return None
    for name, needs in KERNELS:
        if needs <= flags:
            return name
    return None


def use_cpu_kernels(say=lambda s: print(s, file=sys.stderr, flush=True)):
    """Restart this script (os.execv, same arguments) with OPENBLAS_CORETYPE set when OpenBLAS fell
    back to its generic kernels on a CPU with better ones; nothing when the user set
    OPENBLAS_CORETYPE, after one restart, or under an MPI launcher."""
    from chainer_vae import parallel
    if "OPENBLAS_CORETYPE" in os.environ or RESTARTED in os.environ or parallel.launched_processes() > 1:
        return None
    kernels = better_kernels(openblas_architecture(), cpu_flags())
    if kernels is None:
        return None
    say("OpenBLAS does not know this CPU and chose its generic kernels: restarting with "
        "OPENBLAS_CORETYPE=%s, its kernels for this CPU's instructions (set OPENBLAS_CORETYPE to choose)" % kernels)
    env = dict(os.environ, OPENBLAS_CORETYPE=kernels, **{RESTARTED: "1"})
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


if __name__ == "__main__":
    print(limit() or "BLAS threads left as chosen: %s" % {v: os.environ.get(v) for v in USER_VARS})
