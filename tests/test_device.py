"""--device handling on every machine, Chainer's start-up shims, and GPU tests where a GPU exists."""
import os
import subprocess
import sys

import numpy as np
import pytest

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


def test_shims_make_chainer_importable_without_numpy_distutils_and_pkg_resources():
    # What Python 3.12 (no numpy.distutils) and a venv without setuptools look like.
    code = ("import sys\n"
            "for m in ('numpy.distutils', 'numpy.distutils.system_info', 'pkg_resources'):\n"
            "    sys.modules[m] = None\n"
            "import chainer_vae, chainer\n"
            "from chainer_vae import compat\n"
            "import chainer.functions as F, numpy as np\n"
            "F.gaussian_kl_divergence(np.zeros((2, 2), 'f'), np.zeros((2, 2), 'f'))\n"
            "print(','.join(compat.APPLIED))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "numpy.distutils,pkg_resources"


def test_cuda_preload_is_a_no_op_without_cupy_wheels():
    from chainer_vae import compat
    try:
        import cupy  # noqa: F401
    except Exception:
        assert compat.preload_cuda_wheels() == []


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
