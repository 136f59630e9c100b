"""Paths and places in the latent space: interpolations, slow walks, class means and attribute vectors.

* ``lerp`` and ``slerp`` (spherical, Shoemake 1985; White 2016 "Sampling generative networks"
  recommends it for Gaussian latents, whose mass lies near a sphere of radius sqrt(d), where
  a straight line's middle points are atypically short).
* ``random_walk``: z_{t+1} = sqrt(1 - s^2) z_t + s e_t, e_t ~ N(0, I): each point is still a
  draw from the prior N(0, I), and neighbours are close (correlation sqrt(1 - s^2)).
* ``class_stats``: per class, the mean and spread of its windows' posterior means -- where the
  class sits (paper, section 1); ``attribute_vector``: mean of class b minus mean of class a.
"""
import numpy as np


def lerp(a, b, n):
    """n points from a to b on the straight line (both ends included)."""
    t = np.linspace(0, 1, n)[:, None]
    return ((1 - t) * np.asarray(a, np.float64) + t * np.asarray(b, np.float64)).astype(np.float32)


def slerp(a, b, n):
    """n points from a to b on the great circle through them (both ends included); norms are
    interpolated linearly, so the path stays at the prior's typical radius."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        return lerp(a, b, n)
    cos = np.clip(np.dot(a / na, b / nb), -1.0, 1.0)
    omega = np.arccos(cos)
    t = np.linspace(0, 1, n)[:, None]
    if omega < 1e-6:
        return lerp(a, b, n)
    directions = (np.sin((1 - t) * omega) * (a / na) + np.sin(t * omega) * (b / nb)) / np.sin(omega)
    return (directions * ((1 - t) * na + t * nb)).astype(np.float32)


def random_walk(rng, n, dim, step):
    """n points of a slow walk that stays distributed as N(0, I); step in (0, 1]."""
    z = np.empty((n, dim), np.float64)
    z[0] = rng.standard_normal(dim)
    keep = np.sqrt(1 - step ** 2)
    for i in range(1, n):
        z[i] = keep * z[i - 1] + step * rng.standard_normal(dim)
    return z.astype(np.float32)


def chain(points, per_leg):
    """Spherical interpolation through ``points`` in turn, ``per_leg`` new points per leg."""
    path = [np.asarray(points[0], np.float32)[None]]
    for a, b in zip(points[:-1], points[1:]):
        path.append(slerp(a, b, per_leg + 1)[1:])
    return np.concatenate(path)


def class_stats(mu, labels, n_classes):
    """Per class c: (mean, std) of the rows of mu whose label is c (None for an empty class)."""
    mu, labels = np.asarray(mu), np.asarray(labels)
    out = []
    for c in range(n_classes):
        rows = mu[labels == c]
        out.append((rows.mean(axis=0), rows.std(axis=0)) if len(rows) else None)
    return out


def attribute_vector(mu, labels, a, b):
    """Mean latent code of class b minus that of class a: adding it moves a piece from a towards b."""
    mu, labels = np.asarray(mu), np.asarray(labels)
    return (mu[labels == b].mean(axis=0) - mu[labels == a].mean(axis=0)).astype(np.float32)


def nearest_class(z, means):
    """Index of the class mean nearest to each row of z (Euclidean)."""
    d = ((np.asarray(z)[:, None, :] - np.asarray(means)[None]) ** 2).sum(axis=-1)
    return d.argmin(axis=1)
