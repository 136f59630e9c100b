import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "data")

# The workplace's real MNIST cache (CI sets CHAINER_DATASET_ROOT to it as well).
if "CHAINER_DATASET_ROOT" not in os.environ and os.path.isdir(os.path.join(SHARED, "mnist", "pfnet")):
    os.environ["CHAINER_DATASET_ROOT"] = os.path.join(SHARED, "mnist")

import chainer_vae  # noqa: E402,F401  (compatibility shims before any test imports chainer)
from chainer_vae.cli import threads  # noqa: E402

threads.limit()  # the scripts' one BLAS thread, for the tests that train in this process


@pytest.fixture
def mnist_root():
    root = os.environ.get("CHAINER_DATASET_ROOT")
    if not root or not os.path.exists(os.path.join(root, "pfnet", "chainer", "mnist", "train.npz")):
        pytest.skip("no MNIST cache (set CHAINER_DATASET_ROOT to a Chainer dataset root)")
    return root


@pytest.fixture
def lute_dir():
    path = os.path.join(SHARED, "midi", "bach_lute")
    if not os.path.isdir(path):
        pytest.skip("the paper's lute MIDI files are not beside this checkout (../shared/data/midi)")
    return path


# CHAINER_VAE_TEST_CPU=1: report each test's CPU seconds (this process and the children it
# waited for), so the suite's CPU budget (README: ~4 CPU-minutes) is checked on a loaded machine
# too, where wall times say little.
_CPU = {}


def _cpu_seconds():
    import resource
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    start = _cpu_seconds()
    yield
    _CPU[item.nodeid] = _cpu_seconds() - start


def pytest_terminal_summary(terminalreporter):
    if os.environ.get("CHAINER_VAE_TEST_CPU") and _CPU:
        terminalreporter.write_line("CPU seconds: %.0f in all; the most:" % sum(_CPU.values()))
        for nodeid, seconds in sorted(_CPU.items(), key=lambda kv: -kv[1])[:30]:
            terminalreporter.write_line("%7.1f  %s" % (seconds, nodeid))
