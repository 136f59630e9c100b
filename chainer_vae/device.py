"""--device: Chainer's specifiers (-1, @numpy, 0, @cupy:0), with one sentence naming the cause when unusable.

A GPU that cannot be used is one line naming the first cause found, in this order:

1. no NVIDIA driver: no /dev/nvidia* device and no loadable libcuda.so.1 (looked at before CuPy
   is imported, so no CUDA error code stands in for it);
2. CuPy is not installed (``pip install -r requirements-gpu.txt``), or does not import;
3. the driver is too old for the CUDA of CuPy's wheels (both CUDA versions named; CUDA 13, the
   ``cupy-cuda13x`` of requirements-gpu.txt, needs a driver >= 580);
4. no GPU with that number (how many there are);
5. a first computation on the GPU fails (CUDA's error).

CuPy 14 (the first CuPy for NumPy 2, which this project needs) has no cuDNN at all: Chainer reports
``cudnn_enabled`` False and runs convolutions as im2col + cuBLAS matrix products and its LSTM
(``L.NStepLSTM``) with ``n_step_lstm_base``, its own CUDA kernels and cuBLAS; same maths, slower
for the conv/LSTM architectures only (the paper's MLPs never use cuDNN). NCCL is an optional wheel
(``nvidia-nccl-cu13``, for ``--communicator pure_nccl``). CuPy's and Chainer's warnings about
these are silenced at import (``chainer_vae.compat``); once a GPU is usable, what is missing and
what it costs is one line on stderr instead (``optional_libraries``).
"""
import ctypes
import glob
import os
import sys

import chainer

from chainer_vae.errors import DeviceError

INSTALL = "pip install -r requirements-gpu.txt"
CUDA_ERROR_INSUFFICIENT_DRIVER = 35
CUDA_ERROR_NO_DEVICE = 100
WHEELS_CUDA = 13  # requirements-gpu.txt: cupy-cuda13x, when CuPy cannot say
MIN_DRIVER = {12: 525, 13: 580}  # the oldest Linux driver for each CUDA major (NVIDIA's table)


def _normalise(spec):
    spec = str(spec).strip()
    try:
        n = int(spec)
    except ValueError:
        return spec
    return "@numpy" if n < 0 else "@cupy:%d" % n


def _first_line(e):
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__


def cuda_version(v):
    """CUDA's integer version (12090) as text ('12.9')."""
    return "%d.%d" % (v // 1000, v % 1000 // 10)


def driver_files():
    """The NVIDIA driver's device nodes on this machine (/dev/nvidia0, /dev/nvidiactl, ...; WSL's /dev/dxg)."""
    return sorted(glob.glob("/dev/nvidia*") + glob.glob("/dev/dxg"))


def libcuda_loads():
    """Whether the driver's user-space library, libcuda.so.1, can be loaded."""
    try:
        ctypes.CDLL("libcuda.so.1")
        return True
    except OSError:
        return False


def driver_problem():
    """'no NVIDIA driver ...' when this machine has none (no device node, no libcuda), else None."""
    if driver_files() or libcuda_loads():
        return None
    return ("this machine has no NVIDIA driver (no /dev/nvidia* device, and libcuda.so.1 does not "
            "load): CUDA cannot run here")


def _too_old(driver, runtime):
    """The driver-too-old sentence, naming the driver's CUDA version and the wheels' (0: unknown)."""
    major = runtime // 1000 if runtime else WHEELS_CUDA
    wheels = "CuPy's CUDA %s wheels" % (cuda_version(runtime) if runtime else major)
    if driver and runtime and driver // 1000 == runtime // 1000:  # same major, still refused
        need = "CUDA %s" % cuda_version(runtime)
    else:
        need = "CUDA %d.x" % major
    have = "it supports CUDA %s, and " % cuda_version(driver) if driver else ""
    driver_min = " (a driver >= %d)" % MIN_DRIVER[major] if major in MIN_DRIVER else ""
    return ("the NVIDIA driver is too old: %s%s need %s%s; update the driver"
            % (have, wheels, need, driver_min))


def _versions(runtime):
    """(driver's CUDA version, CuPy's runtime version) as integers; 0 where unknown."""
    out = []
    for name in ("driverGetVersion", "runtimeGetVersion"):
        try:
            out.append(int(getattr(runtime, name)()))
        except Exception:
            out.append(0)
    return out


def _cupy_problem(index):
    """Why CuPy device `index` cannot be used, or None when it can."""
    problem = driver_problem()
    if problem:
        return problem
    try:
        import cupy
    except ModuleNotFoundError as e:
        if (e.name or "cupy").split(".")[0] == "cupy":
            return "CuPy is not installed (%s)" % INSTALL
        return "CuPy does not import (%s); reinstall with `%s`" % (_first_line(e), INSTALL)
    except Exception as e:  # a CUDA library missing at import, a NumPy it was not built for
        return "CuPy does not import (%s); reinstall with `%s`" % (_first_line(e), INSTALL)
    runtime = cupy.cuda.runtime
    driver, wheels = _versions(runtime)
    if driver and wheels and driver // 1000 < wheels // 1000:
        return _too_old(driver, wheels)
    try:
        count = runtime.getDeviceCount()
    except Exception as e:
        status = getattr(e, "status", None)
        if status == CUDA_ERROR_INSUFFICIENT_DRIVER or "InsufficientDriver" in str(e):
            if not driver:  # libcuda is there, but no driver answers (e.g. a container's stub)
                return ("no NVIDIA driver answers (cudaDriverGetVersion reports none, though "
                        "libcuda.so.1 or /dev/nvidia* exists): is the kernel module loaded?")
            return _too_old(driver, wheels)
        if status == CUDA_ERROR_NO_DEVICE or "NoDevice" in str(e):
            return "the NVIDIA driver sees no GPU on this machine (%s)" % _first_line(e)
        return "CUDA is not usable (%s)" % _first_line(e)
    if count == 0:
        return "the NVIDIA driver sees no GPU on this machine"
    if index >= count:
        return "this machine has no GPU %d: it has %d (%s)" % (
            index, count, "GPU 0" if count == 1 else "GPUs 0 to %d" % (count - 1))
    try:
        with cupy.cuda.Device(index):
            (cupy.arange(4, dtype=cupy.float32) * 2).sum().item()  # loads the CUDA runtime and compiler
    except Exception as e:
        return "a first computation on GPU %d failed (%s)" % (index, _first_line(e))
    return None


def optional_libraries():
    """{'cudnn': bool, 'nccl': bool}: which optional CUDA libraries CuPy/Chainer loaded (after
    ``import chainer`` with CuPy present)."""
    from chainer.backends import cuda
    found = {"cudnn": getattr(cuda, "cudnn", None) is not None, "nccl": False}
    try:
        import cupy.cuda.nccl as nccl
        found["nccl"] = bool(getattr(nccl, "available", False))
    except Exception:
        pass
    return found


def optional_libraries_note(found=None):
    """One line saying which optional libraries are missing and what that costs, or None."""
    found = optional_libraries() if found is None else found
    parts = []
    if not found["cudnn"]:
        parts.append("no cuDNN (CuPy 14 has none): conv networks run as im2col + cuBLAS and the LSTM on "
                     "Chainer's n_step_lstm_base (same maths, slower; the paper's MLPs do not use cuDNN)")
    if not found["nccl"]:
        parts.append("NCCL not found: --communicator pure_nccl is unavailable (pip install nvidia-nccl-cu13)")
    return ("note: " + "; ".join(parts) + ".") if parts else None


_NOTED = []


def _note_once(stream=None):
    """Print optional_libraries_note() once per process (on rank 0 only under mpiexec)."""
    if _NOTED:
        return
    _NOTED.append(True)
    rank = os.environ.get("OMPI_COMM_WORLD_RANK", os.environ.get("PMI_RANK", "0"))
    note = optional_libraries_note()
    if note and rank == "0":
        (stream or sys.stderr).write(note + "\n")


def resolve_device(spec="@numpy"):
    """Return a chainer.backends.Device for a Chainer device specifier, or raise DeviceError."""
    name = _normalise(spec)
    if name.startswith("@cupy"):
        try:
            index = int(name.split(":", 1)[1]) if ":" in name else 0
        except ValueError:
            raise DeviceError("--device %s: not a device (use -1, @numpy, 0 or @cupy:0)" % spec)
        problem = _cupy_problem(index)
        if problem:
            raise DeviceError("--device %s asks for GPU %d, but %s." % (spec, index, problem))
        _note_once()
    elif name.startswith("@intel64") or name.startswith("native"):
        raise DeviceError("--device %s: only NumPy (-1, @numpy) and CuPy (0, @cupy:0) are supported" % spec)
    try:
        return chainer.get_device(name)
    except Exception:
        raise DeviceError("--device %s: not a device; accepted: -1 or @numpy (the CPU), a GPU number 0, 1, ... "
                          "or @cupy:0, @cupy:1, ..." % spec) from None
