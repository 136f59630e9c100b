"""Big arrays reuse freed memory instead of fresh pages from the kernel (glibc's malloc).

glibc serves every block above 32 MB with its own ``mmap`` and gives it back at ``free``; the
MIDI model's weight gradients (62 MB and 31 MB, new at every backward) and the Bernoulli terms'
temporaries then come back as fresh pages at every step, which the kernel zeroes and faults in
one by one: about 900 page faults and 8 % of a MIDI training step on this project's 2-core
machine (BENCHMARKS.md, "Below the model").  ``mallopt(M_MMAP_MAX, 0)`` serves them from the heap
instead, where the next step's block of the same size reuses the one just freed, and
``M_TRIM_THRESHOLD`` keeps up to TRIM (128 MB) of freed memory at the heap's top rather than returning it.
Peak memory is unchanged (measured); nothing changes a number, only where memory comes from.

``reuse_freed_memory()`` is called by ``cli.flags.parse`` (so importing ``chainer_vae`` changes
nothing), on glibc only; ``CHAINER_VAE_MALLOC=default``, or glibc's own ``MALLOC_MMAP_MAX_`` /
``MALLOC_TRIM_THRESHOLD_`` set by you, leaves malloc as it is.
"""
import ctypes
import functools
import os
import platform

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_MMAP_MAX = -1, -3, -4  # glibc's malloc.h
# Bytes of freed memory kept at the heap's top: room for the biggest block a MIDI step frees (its
# 62 MB weight gradient) with some to spare -- no page faults measured with 64, 128 or 512 MB, but at
# 64 MB a freed 64 MB block is handed back -- and no more, since all that it keeps mapped counts
# against an address-space limit (RLIMIT_AS, which tests/test_big_folder.py sets).
TRIM = 128 << 20
USER_VARS = ("MALLOC_MMAP_MAX_", "MALLOC_TRIM_THRESHOLD_")


@functools.lru_cache(maxsize=None)
def _mallopt():
    """glibc's mallopt, or None; looked up once (platform.libc_ver reads the Python binary)."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return None
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return mallopt


def reuse_freed_memory():
    """Apply the setting above to this process; returns True if it was applied."""
    if os.environ.get("CHAINER_VAE_MALLOC", "") == "default" or any(v in os.environ for v in USER_VARS):
        return False
    mallopt = _mallopt()
    return mallopt is not None and bool(mallopt(M_MMAP_MAX, 0)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM))


def glibc_default():
    """Back to what a process that never called mallopt settles into over a long run: blocks up
    to 32 MB from the heap (glibc raises its mmap threshold to the largest block freed, up to
    that maximum), bigger ones mmapped, trim at twice the threshold.  For the benchmarks, which
    time a peer (PyTorch) in the same process as its users run it."""
    mallopt = _mallopt()
    return (mallopt is not None and bool(mallopt(M_MMAP_MAX, 65536)) and bool(mallopt(M_MMAP_THRESHOLD, 32 << 20))
            and bool(mallopt(M_TRIM_THRESHOLD, 64 << 20)))
