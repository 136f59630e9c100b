"""chainer-vae: the VAE of "Variational autoencoder to generate images and music" in Chainer."""
from chainer_vae import compat as _compat

_compat.apply()  # before anything imports chainer (Python 3.12, setuptools>=74)

__version__ = "0.1.0"
