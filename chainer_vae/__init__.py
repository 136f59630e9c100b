"""chainer-vae: the VAE of "Variational autoencoder to generate images and music" in Chainer.

Importing it does one thing: ``compat.apply()``, which Chainer 7.8.1 needs in order to import at
all on today's Python and setuptools (compat.py says what it installs, and only where missing).
"""
from chainer_vae import compat as _compat

_compat.apply()  # before anything imports chainer (Python 3.12, setuptools>=74)

__version__ = "0.1.0"
