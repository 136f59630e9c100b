"""Make Chainer 7.8.1 (the last release, frozen since 2020) importable on today's stacks.

Applied by ``chainer_vae/__init__.py`` before anything imports Chainer.  Chainer's start-up
(``chainer/_environment_check.py``) imports two things that recent stacks lack:

* ``numpy.distutils.system_info`` -- removed for Python >= 3.12, and broken on setuptools >= 74
  (it imports ``distutils.msvccompiler``).  Chainer only calls ``get_info('blas_opt')`` on macOS
  to warn about Accelerate, so a stub whose ``get_info`` returns ``{}`` loses nothing.
* ``pkg_resources`` -- only used to compare optional dependency versions (CuPy, iDeep) and warn.
  A stub that reports every optional package as absent silences that check and nothing else.

We never touch a working module: a stub is installed only when the real import fails.

GPU: CuPy 13 wheels (the newest that accept NumPy 1.x) expect the CUDA 12 libraries (NVRTC,
cuBLAS, cuRAND, cuSPARSE, cuSOLVER, cuFFT) on the loader's path; CuPy 13 only preloads cuDNN,
cuTENSOR and NCCL from pip wheels by itself. When the `nvidia-*-cu12` wheels of
requirements-gpu.txt are installed, their libraries are preloaded here (by absolute path, with
RTLD_GLOBAL), so CuPy's own loads by soname find them without LD_LIBRARY_PATH. Chainer imports
CuPy while it is imported, so this too must run first.
CuPy 13 is newer than the ``cupy<8`` that Chainer 7.8.1 names; the mismatch is known and
harmless for what this project uses, so the noisy version warning is turned off.
cuDNN and NCCL are optional: without them ``import chainer`` makes CuPy and Chainer print three
multi-line warnings (23 lines in all, on every start, even of a CPU run). Those three are
silenced here (``OPTIONAL_LIBRARY_WARNINGS``), and ``chainer_vae.device`` says once, in one line,
what is missing and what it costs when a GPU is used.
"""
import importlib
import os
import sys
import types
import warnings

APPLIED = []  # names of the stubs installed, for `python -m chainer_vae.compat` and the tests


def _importable(name):
    try:
        with warnings.catch_warnings():  # numpy.distutils' own DeprecationWarning: the probe is ours
            warnings.simplefilter("ignore", DeprecationWarning)
            importlib.import_module(name)
        return True
    except Exception:  # ImportError, or ModuleNotFoundError from inside numpy.distutils
        sys.modules.pop(name, None)
        return False


def _stub_numpy_distutils():
    import numpy
    pkg = types.ModuleType("numpy.distutils")
    pkg.__path__ = []
    info = types.ModuleType("numpy.distutils.system_info")
    info.get_info = lambda name, notfound_action=0: {}
    pkg.system_info = info
    sys.modules["numpy.distutils"] = pkg
    sys.modules["numpy.distutils.system_info"] = info
    numpy.distutils = pkg


def _stub_pkg_resources():
    mod = types.ModuleType("pkg_resources")

    class ResolutionError(Exception):
        pass

    class DistributionNotFound(ResolutionError):
        pass

    class VersionConflict(ResolutionError):
        pass

    def require(*requirements):
        raise DistributionNotFound(requirements)

    def get_distribution(name):
        raise DistributionNotFound(name)

    mod.ResolutionError = ResolutionError
    mod.DistributionNotFound = DistributionNotFound
    mod.VersionConflict = VersionConflict
    mod.require = require
    mod.get_distribution = get_distribution
    sys.modules["pkg_resources"] = mod


# Load order matters: later libraries link against earlier ones. cuDNN 8 (optional, the
# nvidia-cudnn-cu12 8.9 wheel): CuPy 13 looks for it only by soname, and libcudnn.so.8 opens its
# sub-libraries by soname too, so they are preloaded first.
CUDA_WHEEL_LIBS = (
    ("cuda_runtime", "libcudart.so.12"), ("cuda_nvrtc", "libnvrtc.so.12"),
    ("nvjitlink", "libnvJitLink.so.12"), ("cublas", "libcublasLt.so.12"),
    ("cublas", "libcublas.so.12"), ("curand", "libcurand.so.10"), ("cufft", "libcufft.so.11"),
    ("cusparse", "libcusparse.so.12"), ("cusolver", "libcusolver.so.11"),
    ("cudnn", "libcudnn_ops_infer.so.8"), ("cudnn", "libcudnn_ops_train.so.8"),
    ("cudnn", "libcudnn_cnn_infer.so.8"), ("cudnn", "libcudnn_cnn_train.so.8"),
    ("cudnn", "libcudnn_adv_infer.so.8"), ("cudnn", "libcudnn_adv_train.so.8"),
    ("cudnn", "libcudnn.so.8"),
)

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


def preload_cuda_wheels():
    """Preload the CUDA libraries that pip's nvidia-*-cu12 wheels installed; return their paths."""
    import ctypes
    import importlib.util
    spec = importlib.util.find_spec("cupy")
    if spec is None:
        return []  # no CuPy: the CPU path, nothing to do
    loaded = []
    for base in sys.path:
        root = os.path.join(base or ".", "nvidia")
        if not os.path.isdir(root):
            continue
        for package, soname in CUDA_WHEEL_LIBS:
            path = os.path.join(root, package, "lib", soname)
            if os.path.exists(path):
                try:
                    ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
                    loaded.append(path)
                except OSError:
                    pass  # resolve_device() reports what CuPy itself cannot load
        break
    return loaded


def apply():
    silence_optional_library_warnings()
    if "chainer" in sys.modules:
        return
    os.environ.setdefault("CHAINER_WARN_VERSION_MISMATCH", "0")
    if not _importable("numpy.distutils.system_info"):
        _stub_numpy_distutils()
        APPLIED.append("numpy.distutils")
    if not _importable("pkg_resources"):
        _stub_pkg_resources()
        APPLIED.append("pkg_resources")
    if os.environ.get("CHAINER_VAE_NO_CUDA_PRELOAD") != "1":
        try:
            if preload_cuda_wheels():
                APPLIED.append("cuda-wheel-preload")
        except Exception:
            pass  # never let GPU discovery break the CPU path


if __name__ == "__main__":
    apply()
    import chainer
    print("python", sys.version.split()[0], "chainer", chainer.__version__,
          "stubs:", ", ".join(APPLIED) or "none needed")
