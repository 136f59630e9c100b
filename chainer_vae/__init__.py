"""chainer-vae: the VAE of "Variational autoencoder to generate images and music" in Chainer."""
from chainer_vae.cli import threads as _threads

_threads.apply()  # one BLAS thread unless chosen otherwise; before NumPy loads (threads.py)

from chainer_vae import compat as _compat  # noqa: E402

_compat.apply()  # before anything imports chainer (Python 3.12, setuptools>=74)

__version__ = "0.1.0"
