"""chainer-vae: the VAE of "Variational autoencoder to generate images and music" in Chainer.

Importing it does one thing: ``compat.apply()``, which quiets Chainer's start-up warnings about
optional GPU libraries (compat.py; Chainer itself imports on NumPy 2 as the wheel in wheels/).
"""
from chainer_vae import compat as _compat

_compat.apply()  # before anything imports chainer

__version__ = "0.1.0"
