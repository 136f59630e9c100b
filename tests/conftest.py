import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "data")

import chainer_vae  # noqa: E402,F401  (before any test imports chainer: chainer_vae/compat.py)
from chainer_vae.cli import threads  # noqa: E402

threads.limit()  # the scripts' one BLAS thread, for the tests that train in this process


def load_script(path, name=None):
    """A script of the checkout (tools/, experiments/; ``path`` relative to it) as a module, its
    ``main`` not run: the tests call its functions."""
    import importlib.util
    path = os.path.join(ROOT, path)
    spec = importlib.util.spec_from_file_location(name or os.path.basename(path)[:-3], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def find_mnist_root():
    """The Chainer dataset root whose MNIST cache the scripts would read, found exactly as they
    find it (chainer_vae.data.mnist.cache_dirs: $CHAINER_DATASET_ROOT, else ~/.chainer/dataset,
    then ../shared/data/mnist beside the checkout); None when none holds both splits."""
    from chainer_vae.data import mnist
    for cache in mnist.cache_dirs():
        if all(os.path.exists(os.path.join(cache, s + ".npz")) for s in ("train", "test")):
            return os.path.dirname(os.path.dirname(os.path.dirname(cache)))  # <root>/pfnet/chainer/mnist
    return None


@pytest.fixture
def mnist_root():
    root = find_mnist_root()
    if root is None:
        pytest.skip("no real MNIST cache where the scripts look ($CHAINER_DATASET_ROOT, ~/.chainer/dataset, "
                    "../shared/data/mnist)")
    return root


@pytest.fixture
def lute_dir():
    path = os.path.join(SHARED, "midi", "bach_lute")
    if not os.path.isdir(path):
        pytest.skip("the paper's lute MIDI files are not beside this checkout (../shared/data/midi)")
    return path


# CHAINER_VAE_TEST_CPU=1: report each test's CPU seconds (this process and the children it
# waited for), so the suite's CPU time (README: Two commands on a fresh clone) is measured on a
# loaded machine too, where wall times say little.
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
