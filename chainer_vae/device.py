"""--device: Chainer's specifiers (-1, @numpy, 0, @cupy:0), with one clear sentence when unusable."""
import chainer

from chainer_vae.errors import DeviceError


def _normalise(spec):
    spec = str(spec).strip()
    try:
        n = int(spec)
    except ValueError:
        return spec
    return "@numpy" if n < 0 else "@cupy:%d" % n


def _cupy_problem(index):
    """Why CuPy device `index` cannot be used, or None when it can."""
    try:
        import cupy
    except Exception as e:  # ImportError, or a missing CUDA library at import
        return ("CuPy is not importable (%s); install the GPU extras with "
                "`pip install -r requirements-gpu.txt`" % (str(e).splitlines()[0] if str(e) else type(e).__name__))
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:
        return "CUDA is not usable (%s)" % (str(e).splitlines()[0],)
    if index >= count:
        return "this machine has %d CUDA device(s)" % count
    try:
        with cupy.cuda.Device(index):
            (cupy.arange(4, dtype=cupy.float32) * 2).sum().item()  # loads the CUDA runtime and compiler
    except Exception as e:
        return "a first computation on GPU %d failed (%s)" % (index, str(e).splitlines()[0])
    return None


def resolve_device(spec="@numpy"):
    """Return a chainer.backend.Device for a Chainer device specifier, or raise DeviceError."""
    name = _normalise(spec)
    if name.startswith("@cupy"):
        try:
            index = int(name.split(":", 1)[1]) if ":" in name else 0
        except ValueError:
            raise DeviceError("--device %s: not a device (use -1, @numpy, 0 or @cupy:0)" % spec)
        problem = _cupy_problem(index)
        if problem:
            raise DeviceError("--device %s asks for GPU %d, but %s." % (spec, index, problem))
    elif name.startswith("@intel64") or name.startswith("native"):
        raise DeviceError("--device %s: only NumPy (-1, @numpy) and CuPy (0, @cupy:0) are supported" % spec)
    try:
        return chainer.get_device(name)
    except Exception as e:
        raise DeviceError("--device %s: not a usable device (%s); use -1, @numpy, 0 or @cupy:0"
                          % (spec, str(e).splitlines()[0] if str(e) else type(e).__name__))
