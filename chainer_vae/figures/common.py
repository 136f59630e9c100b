"""What every figure module shares: headless matplotlib, wrapped titles, atomic saving.

Every drawing function in chainer_vae.figures takes plain arrays or history lists and an output
path, writes the PNG atomically and returns the path.
"""
import textwrap

import matplotlib

matplotlib.use("Agg")  # headless: figures are files, never windows
import matplotlib.pyplot as plt  # noqa: E402

from chainer_vae import files  # noqa: E402


def wrap(title, width=95):
    """Long titles (they name the data actually used) wrap instead of running off the figure."""
    return "\n".join(textwrap.wrap(title, width))


def save(fig, path, dpi=110, tight=True):
    """Write ``fig`` to ``path`` atomically, close it and return the path."""
    if tight:
        fig.tight_layout()
    files.save_figure(fig, path, dpi=dpi)
    plt.close(fig)
    return path
