"""--device handling on every machine, Chainer's start-up shims, and GPU tests where a GPU exists."""
import os
import subprocess
import sys
import types

import numpy as np
import pytest

from chainer_vae import device as devmod
from chainer_vae.device import resolve_device
from chainer_vae.errors import DeviceError
from conftest import ROOT


def gpu_problem():
    """None when CuPy and a CUDA device are usable, else why not (the skip reason)."""
    try:
        resolve_device("@cupy:0")
        return None
    except DeviceError as e:
        return str(e)


GPU_SKIP = gpu_problem()
needs_gpu = pytest.mark.skipif(GPU_SKIP is not None, reason="no usable GPU: %s" % GPU_SKIP)


@pytest.mark.parametrize("spec", ["-1", "@numpy", -1])
def test_cpu_specifiers(spec):
    device = resolve_device(spec)
    assert device.xp is np


@pytest.mark.parametrize("spec", ["gpu", "@cupy:x", "@intel64"])
def test_bad_specifiers_are_one_clear_sentence(spec):
    with pytest.raises(DeviceError) as info:
        resolve_device(spec)
    assert str(spec) in str(info.value) and "\n" not in str(info.value)


@pytest.mark.skipif(GPU_SKIP is None, reason="a GPU is usable here")
@pytest.mark.parametrize("spec", ["0", "@cupy:0"])
def test_gpu_without_gpu_names_what_is_missing(spec):
    with pytest.raises(DeviceError) as info:
        resolve_device(spec)
    message = str(info.value)
    assert "GPU 0" in message and ("CuPy" in message or "CUDA" in message)


@pytest.mark.skipif(GPU_SKIP is None, reason="a GPU is usable here")
def test_script_with_unusable_gpu_exits_with_one_line(tmp_path):
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "experiments", "fig4_mnist_loss.py"),
                           "--device", "0", "--smoke", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --device 0"), proc.stderr
    assert "Traceback" not in proc.stderr
    assert not list(tmp_path.iterdir())  # checked before any data was loaded or file written


# ------------------------------------------------------------------ each cause, one line
# Every cause is reproduced on a CPU: the driver probes are replaced and CuPy is a fake module.
class FakeCudaError(RuntimeError):
    def __init__(self, status, text):
        super().__init__(text)
        self.status = status


def fake_cupy(driver=12080, runtime=12090, count=1, count_error=None, compute_error=None):
    """A module that answers what device._cupy_problem asks CuPy."""
    def device_count():
        if count_error:
            raise count_error
        return count

    class Device:
        def __init__(self, index):
            pass

        def __enter__(self):
            if compute_error:
                raise compute_error
            return self

        def __exit__(self, *exc):
            return False

    runtime_mod = types.SimpleNamespace(driverGetVersion=lambda: driver, runtimeGetVersion=lambda: runtime,
                                        getDeviceCount=device_count)
    cupy = types.ModuleType("cupy")
    cupy.cuda = types.SimpleNamespace(runtime=runtime_mod, Device=Device)
    cupy.float32 = np.float32
    cupy.arange = np.arange
    return cupy


@pytest.fixture
def driver(monkeypatch):
    """This machine seems to have an NVIDIA driver (its device node and libcuda)."""
    monkeypatch.setattr(devmod, "driver_files", lambda: ["/dev/nvidia0", "/dev/nvidiactl"])
    monkeypatch.setattr(devmod, "libcuda_loads", lambda: True)


def one_line_error(spec="0"):
    with pytest.raises(DeviceError) as info:
        resolve_device(spec)
    message = str(info.value)
    assert "\n" not in message and message.startswith("--device %s asks for GPU" % spec), message
    return message


def test_no_driver_is_named_before_cupy_is_asked(monkeypatch):
    monkeypatch.setattr(devmod, "driver_files", lambda: [])
    monkeypatch.setattr(devmod, "libcuda_loads", lambda: False)
    monkeypatch.setitem(sys.modules, "cupy", None)  # were CuPy asked, "not installed" would come out
    message = one_line_error()
    assert "no NVIDIA driver" in message and "/dev/nvidia" in message and "libcuda.so.1" in message


@pytest.mark.parametrize("files,libcuda", [(["/dev/nvidia0"], False), ([], True)])
def test_either_driver_sign_is_enough_to_ask_cupy(monkeypatch, files, libcuda):
    monkeypatch.setattr(devmod, "driver_files", lambda: files)
    monkeypatch.setattr(devmod, "libcuda_loads", lambda: libcuda)
    monkeypatch.setitem(sys.modules, "cupy", None)
    assert "CuPy is not installed" in one_line_error()


def test_cupy_not_installed_names_the_requirements_file(monkeypatch, driver):
    monkeypatch.setitem(sys.modules, "cupy", None)
    message = one_line_error("@cupy:0")
    assert "CuPy is not installed (pip install -r requirements-gpu.txt)" in message


def test_driver_too_old_names_both_cuda_versions(monkeypatch, driver):
    monkeypatch.setitem(sys.modules, "cupy", fake_cupy(driver=12080, runtime=13000))
    message = one_line_error()
    assert "driver is too old" in message and "CUDA 12.8" in message and "CUDA 13.0 wheels" in message
    assert "need CUDA 13.x (a driver >= 580)" in message
    monkeypatch.setitem(sys.modules, "cupy", fake_cupy(driver=11040, runtime=12090))  # cupy-cuda12x
    message = one_line_error()
    assert "CUDA 11.4" in message and "need CUDA 12.x (a driver >= 525)" in message


def test_insufficient_driver_error_is_the_too_old_sentence(monkeypatch, driver):
    error = FakeCudaError(35, "cudaErrorInsufficientDriver: CUDA driver version is insufficient")
    monkeypatch.setitem(sys.modules, "cupy", fake_cupy(driver=12020, runtime=12090, count_error=error))
    message = one_line_error()
    assert "driver is too old" in message and "CUDA 12.2" in message and "need CUDA 12.9" in message


def test_insufficient_driver_without_a_driver_version_says_no_driver_answers(monkeypatch, driver):
    error = FakeCudaError(35, "cudaErrorInsufficientDriver: CUDA driver version is insufficient")
    monkeypatch.setitem(sys.modules, "cupy", fake_cupy(driver=0, count_error=error))
    assert "no NVIDIA driver answers" in one_line_error()


@pytest.mark.parametrize("spec,count,expected", [
    ("1", 1, "has no GPU 1: it has 1 (GPU 0)"),
    ("@cupy:4", 2, "has no GPU 4: it has 2 (GPUs 0 to 1)"),
    ("0", 0, "the NVIDIA driver sees no GPU"),
])
def test_no_gpu_with_that_number(monkeypatch, driver, spec, count, expected):
    monkeypatch.setitem(sys.modules, "cupy", fake_cupy(count=count))
    assert expected in one_line_error(spec)


def test_no_device_error_says_the_driver_sees_no_gpu(monkeypatch, driver):
    error = FakeCudaError(100, "cudaErrorNoDevice: no CUDA-capable device is detected")
    monkeypatch.setitem(sys.modules, "cupy", fake_cupy(count_error=error))
    assert "sees no GPU" in one_line_error()


def test_first_computation_failure_names_cudas_error(monkeypatch, driver):
    error = FakeCudaError(209, "cudaErrorNoKernelImageForDevice: no kernel image is available")
    monkeypatch.setitem(sys.modules, "cupy", fake_cupy(compute_error=error))
    assert "a first computation on GPU 0 failed (cudaErrorNoKernelImageForDevice" in one_line_error()


def test_a_usable_gpu_passes_the_checks(monkeypatch, driver):
    monkeypatch.setitem(sys.modules, "cupy", fake_cupy())
    assert devmod._cupy_problem(0) is None


def test_optional_libraries_folded_into_one_line():
    both = devmod.optional_libraries_note({"cudnn": False, "nccl": False})
    assert both.count("\n") == 0 and "no cuDNN (CuPy 14 has none)" in both and "slower" in both
    assert "im2col + cuBLAS" in both and "n_step_lstm_base" in both
    assert "NCCL not found" in both and "pure_nccl" in both
    assert "NCCL" not in devmod.optional_libraries_note({"cudnn": False, "nccl": True})
    assert devmod.optional_libraries_note({"cudnn": True, "nccl": True}) is None


def test_optional_libraries_note_printed_once(monkeypatch, capsys):
    monkeypatch.setattr(devmod, "_NOTED", [])
    monkeypatch.setattr(devmod, "optional_libraries", lambda: {"cudnn": False, "nccl": False})
    monkeypatch.delenv("OMPI_COMM_WORLD_RANK", raising=False)
    monkeypatch.delenv("PMI_RANK", raising=False)
    devmod._note_once()
    devmod._note_once()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("note: no cuDNN")


def test_optional_libraries_note_only_on_rank_0(monkeypatch, capsys):
    monkeypatch.setattr(devmod, "_NOTED", [])
    monkeypatch.setattr(devmod, "optional_libraries", lambda: {"cudnn": False, "nccl": False})
    monkeypatch.setenv("OMPI_COMM_WORLD_RANK", "1")
    devmod._note_once()
    assert capsys.readouterr().err == ""


def test_optional_library_warnings_are_silenced_at_import():
    # The texts CuPy 14.2 and Chainer 7.8.1 warn with when cuDNN (which CuPy 14 never has) and
    # NCCL are absent; another warning still shows.
    code = ("import warnings, chainer_vae\n"
            "warnings.warn('\\nnccl library could not be loaded.\\n\\nReason: ImportError (libnccl.so.2: cannot "
            "open shared object file)\\n\\nYou can install the library by:\\n  $ pip install nvidia-nccl-cu13')\n"
            "warnings.warn('\\ncutensor library could not be loaded.\\n\\nReason: ImportError (libcutensor.so.2)')\n"
            "warnings.warn('cuDNN is not enabled.\\nPlease reinstall CuPy after you install cudnn')\n"
            "warnings.warn('something else')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "something else" in proc.stderr
    assert "could not be loaded" not in proc.stderr and "cuDNN is not enabled" not in proc.stderr


def test_chainer_imports_on_numpy_2_without_numpy_distutils_pkg_resources_or_any_shim():
    """The patched wheel (wheels/, 7.8.1+numpy2) imports by itself, before chainer_vae, where
    numpy.distutils and pkg_resources do not exist (Python >= 3.12, setuptools >= 81), and its
    code paths that used np.sctypes (F.as_strided) work; chainer_vae then patches no module."""
    code = ("import sys, warnings\n"
            "warnings.simplefilter('error', DeprecationWarning)\n"
            "for m in ('numpy.distutils', 'numpy.distutils.system_info', 'pkg_resources'):\n"
            "    sys.modules[m] = None\n"
            "import chainer, numpy as np\n"
            "import chainer.functions as F\n"
            "F.gaussian_kl_divergence(np.zeros((2, 2), 'f'), np.zeros((2, 2), 'f'))\n"
            "x = chainer.Variable(np.arange(6, dtype='f'))\n"
            "y = F.as_strided(x, (2, 2), (2, 1))\n"
            "y.grad = np.ones((2, 2), 'f'); y.backward()\n"
            "import chainer_vae\n"
            "from chainer_vae import compat\n"
            "print(chainer.__version__, np.__version__.split('.')[0], repr(compat.APPLIED))\n")
    env = {k: v for k, v in os.environ.items() if k != "CHAINER_WARN_VERSION_MISMATCH"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["7.8.1+numpy2", "2", "[]"]  # chainer came first: apply() left it alone


def test_compat_patches_no_module():
    code = ("import sys, chainer_vae, chainer\n"
            "from chainer_vae import compat\n"
            "print(repr(compat.APPLIED).replace(' ', ''), 'numpy.distutils' in sys.modules)\n")
    env = {k: v for k, v in os.environ.items() if k != "CHAINER_WARN_VERSION_MISMATCH"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["['CHAINER_WARN_VERSION_MISMATCH=0']", "False"]


@needs_gpu
def test_gpu_training_matches_cpu_statistically(tmp_path):
    from chainer_vae.train import loop
    from chainer_vae.model import make_decoder, make_encoder
    from chainer_vae.model.vae import VAELoss
    rng = np.random.RandomState(0)
    x, xt = rng.rand(256, 784).astype(np.float32), rng.rand(64, 784).astype(np.float32)
    results = {}
    for spec in ("@numpy", "@cupy:0"):
        np.random.seed(0)
        model = VAELoss(make_encoder("mlp", "mnist", 2), make_decoder("mlp", "mnist", 2))
        h = loop.train(model, x, xt, loop.Settings(run_dir=str(tmp_path / spec), epochs=2,
                           device=resolve_device(spec), progress=False))
        results[spec] = h[-1]["test"]["loss"]
        assert model.device.xp.__name__ == ("numpy" if spec == "@numpy" else "cupy")
    # Different random streams on the two devices: same model and maths, so close, not equal.
    assert results["@cupy:0"] == pytest.approx(results["@numpy"], rel=0.05)


@needs_gpu
def test_gpu_encode_decode_return_host_arrays():
    from chainer_vae.model import apply
    from chainer_vae.model import make_decoder, make_encoder
    from chainer_vae.model.vae import VAELoss
    model = VAELoss(make_encoder("mlp", "mnist", 2), make_decoder("mlp", "mnist", 2))
    model.to_device(resolve_device("@cupy:0"))
    mu = apply.encode(model, np.zeros((5, 784), np.float32))
    assert isinstance(mu, np.ndarray) and mu.shape == (5, 2)
    assert isinstance(apply.decode(model, mu), np.ndarray)


def test_readme_gpu_commands_work_pasted():
    # Issue 25: a bare `python` after `.venv/bin/pip install` ran the system Python.
    import re
    with open(os.path.join(ROOT, "README.md")) as f:
        section = f.read().split("\n## GPU\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    active = False
    for line in block.splitlines():
        command = line.split("#", 1)[0]
        active = active or ". .venv/bin/activate" in command
        if re.search(r"(^|&& |; )(python|pip) ", command.strip()):
            assert active or ".venv/bin/" in command, line
    assert re.search(r"\d+(\.\d+)? GB of downloads", section) and "make gpu-check" in section
