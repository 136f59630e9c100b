"""A simple digit classifier to judge decoded images: multinomial logistic regression in NumPy.

Trained on the training images by minibatch SGD with momentum on the mean cross-entropy plus an
L2 penalty (no SciPy or scikit-learn needed), seeded; ~89 % on the paper's MNIST test images.
It asks of a reconstruction or a generated image one question: which digit does it look like?
"""
import hashlib
import inspect
import json
import os

import numpy as np

from chainer_vae import files
from chainer_vae.data import fingerprint


def softmax(a):
    e = np.exp(a - a.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class Logistic:
    def __init__(self, n_in, n_classes):
        self.W = np.zeros((n_in, n_classes))
        self.b = np.zeros(n_classes)

    def loss_and_grads(self, x, y, l2):
        p = softmax(x @ self.W + self.b)
        n = len(x)
        loss = -np.mean(np.log(p[np.arange(n), y] + 1e-300)) + 0.5 * l2 * np.sum(self.W ** 2)
        p[np.arange(n), y] -= 1
        return loss, x.T @ p / n + l2 * self.W, p.mean(axis=0)

    def fit(self, x, y, epochs=20, batch=100, lr=0.05, momentum=0.9, l2=1e-4, seed=0):
        # An array is made float64 once; rows that are cut per batch (an image folder's Pixels:
        # uint8 kept, float32 per batch) become float64 a batch at a time -- the same values.
        x = np.asarray(x, dtype=np.float64) if isinstance(x, np.ndarray) else _Rows(x)
        rng = np.random.RandomState(seed)
        vw, vb = np.zeros_like(self.W), np.zeros_like(self.b)
        for _ in range(epochs):
            perm = rng.permutation(len(x))
            for i in range(0, len(x), batch):
                idx = perm[i:i + batch]
                _, gw, gb = self.loss_and_grads(x[idx], y[idx], l2)
                vw, vb = momentum * vw - lr * gw, momentum * vb - lr * gb
                self.W += vw
                self.b += vb
        return self

    def predict(self, x, block=8192):
        if isinstance(x, np.ndarray):  # one product, as always (BLAS rounds per shape)
            return np.argmax(np.asarray(x, dtype=np.float64) @ self.W + self.b, axis=1)
        return np.concatenate([np.zeros(0, np.int64)] + [
            np.argmax(np.asarray(x[i:i + block], dtype=np.float64) @ self.W + self.b, axis=1)
            for i in range(0, len(x), block)])


class _Rows:
    """Rows of x as float64 when indexed (x: anything indexed like an array of rows)."""

    def __init__(self, x):
        self.x = x

    def __len__(self):
        return len(self.x)

    def __getitem__(self, index):
        return np.asarray(self.x[index], dtype=np.float64)


def train(x, y, **kwargs):
    """A classifier of x's rows (an array, or Pixels) into the classes 0 .. max(y)."""
    return Logistic(x.shape[1], int(y.max()) + 1).fit(x, y, **kwargs)


FIT_VERSION = "logistic-sgd-1"  # changes when fit's maths or defaults do: a new key


def key(x, y, seed=0):
    """What a trained classifier is a function of: the training rows and labels, the seed and
    fit's defaults (a hash)."""
    defaults = {k: p.default for k, p in inspect.signature(Logistic.fit).parameters.items()
                if p.default is not inspect.Parameter.empty}
    text = json.dumps([FIT_VERSION, fingerprint(x, np.asarray(y)), dict(defaults, seed=seed)], sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def cached(x, y, seed=0):
    """train(x, y, seed=seed), fitted once: its weights are looked up by ``key`` in the shipped
    models (models/judge-<key>.npz, so a fresh clone's Figs. 2 and the analyses need not fit it)
    and in the cache folder, and saved to the cache after a fit.  The same weights, bit for bit."""
    name = "judge-%s.npz" % key(x, y, seed)
    folders = [f for f in (files.models_folder(), files.cache_dir("judge")) if f]
    for folder in folders:
        path = os.path.join(folder, name)
        if os.path.exists(path):
            try:
                with np.load(path) as npz:
                    model = Logistic(*npz["W"].shape)
                    model.W, model.b = npz["W"], npz["b"]
                return model
            except (OSError, ValueError, KeyError):
                pass  # a damaged cache file: fitted again below
    model = train(x, y, seed=seed)
    try:
        path = os.path.join(files.cache_dir("judge"), name)
        with files.atomic_path(path) as tmp:
            with open(tmp, "wb") as f:
                np.savez_compressed(f, W=model.W, b=model.b)
    except OSError:
        pass  # an unwritable cache only costs the next fit
    return model
