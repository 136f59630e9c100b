"""Shared pieces of the benchmarks: thread settings, machine details, interleaved timing.

Every benchmark times *ours* and its *peer* side by side in one process, interleaved
(A B C, A B C, ...), several repeats, and reports medians and the median of the per-round
ratios, so a load spike on a shared machine hits both sides alike.

Import this module before NumPy: ``setup_threads()`` must set the BLAS thread variables before
NumPy (and its OpenBLAS) loads.
"""
import argparse
import os
import platform
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
# Before anything here imports Chainer (machine() does): chainer_vae/compat.py's start-up settings.
# It loads no NumPy, so setup_threads() still comes first.
import chainer_vae  # noqa: E402,F401

THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def parser(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="a few steps, one repeat: checks it runs")
    p.add_argument("--repeats", type=int, default=None, help="interleaved rounds (default 5, quick 1)")
    p.add_argument("--threads", type=int, default=None,
                   help="BLAS/torch threads for both sides (default: $OPENBLAS_NUM_THREADS, else 1)")
    p.add_argument("--no-torch", action="store_true", help="skip the PyTorch peer")
    p.add_argument("--peer-malloc", choices=("default", "ours"), default="default",
                   help="glibc malloc for the peers: as their users run them (default), or with the "
                        "setting our scripts make (cli/allocator.py); ours and the floor always run with it")
    return p


OURS_MALLOC = ("ours", "matmul floor (numpy)")


def as_run(fns, peer_malloc="default"):
    """Each side with the malloc its users get: ours (and the floor) with the scripts' setting
    (cli/allocator.py), the peers with glibc's default unless peer_malloc is "ours".  mallopt is
    process-wide, so it is set before each call (microseconds)."""
    from chainer_vae.cli import allocator

    def wrap(name, fn):
        setting = (allocator.reuse_freed_memory if name in OURS_MALLOC or peer_malloc == "ours"
                   else allocator.glibc_default)

        def run():
            setting()
            return fn()
        return run
    print("malloc: ours with the scripts' setting, peers with %s" % (
        "the same" if peer_malloc == "ours" else "glibc's default (as their users run them)"))
    return {name: wrap(name, fn) for name, fn in fns.items()}


def setup_threads(argv=None):
    """Read --threads from argv early and export it before NumPy/torch load; returns the count."""
    argv = sys.argv[1:] if argv is None else argv
    n = None
    for i, a in enumerate(argv):
        if a == "--threads" and i + 1 < len(argv):
            n = int(argv[i + 1])
        elif a.startswith("--threads="):
            n = int(a.split("=", 1)[1])
    if n is None:
        n = int(os.environ.get("OPENBLAS_NUM_THREADS", "1"))
    if "numpy" in sys.modules and any(os.environ.get(v) != str(n) for v in THREAD_VARS):
        print("warning: numpy was imported before the thread setting; --threads may not apply",
              file=sys.stderr)
    for var in THREAD_VARS:
        os.environ[var] = str(n)
    return n


def import_torch(disabled=False):
    """torch, or None with one line saying why the peer is skipped."""
    if disabled:
        print("peer skipped: --no-torch")
        return None
    try:
        import torch
    except Exception as e:  # ImportError, or a broken install
        print("peer skipped: PyTorch is not importable here (%s); run with the benchmark venv "
              "(make bench, or .venv-bench/bin/python)" % (str(e).splitlines()[0] if str(e) else type(e).__name__))
        return None
    return torch


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def steady_state():
    """Load the optimizer's Numba pass now: the benchmarks time a long run's steady state, and
    train/optim.py loads it only once a run has done enough updates to repay loading it.  And set
    malloc as the scripts do (cli/allocator.py)."""
    import numpy as np
    from chainer_vae.cli import allocator
    from chainer_vae.train import optim
    allocator.reuse_freed_memory()  # as_run() sets each side's before its calls
    if isinstance(optim._numba_update, str):
        optim._numba_update = optim._compile_numba()
    if callable(optim._numba_update):  # compile (or load from the cache) now, not in a timed round
        for dtype in (np.float32, np.float64):
            a = np.zeros(4, dtype)
            optim._numba_update(a, a.copy(), a.copy(), np.ones(4, dtype), *[dtype(0.1)] * 6)
    return "Numba pass" if callable(optim._numba_update) else "NumPy chunks (no Numba)"


def machine(threads, torch=None):
    import chainer
    import numpy as np
    parts = ["CPU: %s, %d logical cores" % (cpu_model(), os.cpu_count() or 0),
             "threads: %d (OPENBLAS_NUM_THREADS=%s)" % (threads, os.environ.get("OPENBLAS_NUM_THREADS")),
             "python %s, numpy %s, chainer %s" % (platform.python_version(), np.__version__, chainer.__version__)]
    if torch is not None:
        parts.append("torch %s" % torch.__version__)
    parts.append("Adam update: %s" % steady_state())
    try:
        load = os.getloadavg()
        parts.append("load avg %.2f %.2f %.2f" % load)
    except OSError:
        pass
    return "; ".join(parts)


def interleaved(fns, repeats, warmup=True):
    """Run each of fns (name -> zero-argument callable) once per round, in turn; seconds per name."""
    if warmup:
        for fn in fns.values():
            fn()
    times = {name: [] for name in fns}
    for r in range(repeats):
        order = list(fns) if r % 2 == 0 else list(reversed(list(fns)))  # alternate who goes first
        for name in order:
            t = time.perf_counter()
            fns[name]()
            times[name].append(time.perf_counter() - t)
    return times


def report(times, ours, peer=None, unit="s", scale=1.0, label="per epoch"):
    """Print each implementation's median (min..max) and ours' ratio to the others."""
    width = max(len(n) for n in times)
    print("%-*s  %10s  %21s" % (width, "implementation", "median " + unit, "min .. max"))
    for name, ts in times.items():
        ts = [t * scale for t in ts]
        print("%-*s  %10.3f  %9.3f .. %9.3f" % (width, name, statistics.median(ts), min(ts), max(ts)))
    result = {"median": {n: statistics.median(ts) * scale for n, ts in times.items()}}
    for other in times:
        if other == ours:
            continue
        per_round = [a / b for a, b in zip(times[ours], times[other])]
        ratio = statistics.median(per_round)
        result.setdefault("ratio", {})[other] = ratio
        tag = "  <- the goal's peer" if other == peer else ""
        print("ratio %s / %s (%s, median of rounds): %.2f%s" % (ours, other, label, ratio, tag))
    return result


# Linux starts a child's ru_maxrss at its parent's resident size at fork (exec keeps the
# forked copy's high-water mark), so a benchmark that has grown would inflate every child's
# peak: children are started by this small launcher, whose own ~10 MB is then the floor.
_LAUNCH = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
sys.stderr.write("\\nPEAK_RSS_KB %d\\n" % usage.ru_maxrss)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_child(cmd, env=None):
    """(peak RSS of the child in MB, wall s, stdout): the rusage of the command alone, started
    from a small launcher (above).  A failing child stops the benchmark with the end of its output."""
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _LAUNCH] + list(cmd), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, cwd=ROOT, env=env)
    out, _, peak = proc.stdout.rpartition("\nPEAK_RSS_KB ")
    if proc.returncode:
        raise SystemExit("child failed (%d): %s\n%s" % (proc.returncode, " ".join(cmd), out[-3000:]))
    return int(peak.split()[0]) / 1024.0, time.perf_counter() - t, out
