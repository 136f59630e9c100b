"""Damaged digits for the completion (Sec. 4) and denoising (Sec. 1) experiments, and their scores.

Masks hide part of an image (hidden pixels set to 0, the background); noise is Gaussian (added,
then clipped to [0, 1]) or salt-and-pepper (a fraction of the pixels set to 0 or 1 at random).
Images are (n, 784) rows of 28 x 28 pixels in [0, 1].
"""
import numpy as np

SIDE = 28
MASKS = ("left", "right", "top", "bottom", "centre", "random")


def mask(kind, n=1, seed=0, side=SIDE, square=14, fraction=0.5):
    """(n, side*side) bool: True where a pixel is hidden.  'centre': a square x square block in
    the middle; 'random': each pixel hidden with probability ``fraction`` (seeded, per image)."""
    m = np.zeros((side, side), dtype=bool)
    half, lo = side // 2, (side - square) // 2
    if kind == "left":
        m[:, :half] = True
    elif kind == "right":
        m[:, half:] = True
    elif kind == "top":
        m[:half] = True
    elif kind == "bottom":
        m[half:] = True
    elif kind == "centre":
        m[lo:lo + square, lo:lo + square] = True
    elif kind == "random":
        return np.random.RandomState(seed).random_sample((n, side * side)) < fraction
    else:
        raise ValueError("unknown mask %r (choose from %s)" % (kind, ", ".join(MASKS)))
    return np.broadcast_to(m.ravel(), (n, side * side)).copy()


def hide(x, hidden):
    """x with the hidden pixels set to 0."""
    return np.where(hidden, np.float32(0), x).astype(np.float32)


def gaussian(x, sigma, seed=0):
    noisy = x + sigma * np.random.RandomState(seed).standard_normal(x.shape)
    return np.clip(noisy, 0, 1).astype(np.float32)


def salt_and_pepper(x, fraction, seed=0):
    rng = np.random.RandomState(seed)
    hit = rng.random_sample(x.shape) < fraction
    return np.where(hit, (rng.random_sample(x.shape) < 0.5).astype(np.float32), x).astype(np.float32)


def mse(a, b, where=None):
    """Mean squared error per image (n,), over the pixels ``where`` is True (all by default)."""
    d = (np.asarray(a, dtype=np.float64) - b) ** 2
    if where is None:
        return d.mean(axis=1)
    return (d * where).sum(axis=1) / np.maximum(where.sum(axis=1), 1)


def psnr(a, b):
    """Peak signal-to-noise ratio per image in dB, for a peak of 1: 10 log10(1 / MSE)."""
    return 10 * np.log10(1.0 / np.maximum(mse(a, b), 1e-12))
