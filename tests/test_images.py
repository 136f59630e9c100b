"""Image folders (chainer_vae/data/images/): exact round trip, colour, damaged files, the cache.

Every folder is made here in tmp_path: MNIST digits re-saved as PNG (real MNIST when its cache
is beside the checkout, else synthetic digits), synthetic colour shapes in five formats, every
kind of damaged image the reader must survive, and a few hundred seeded mutants of valid files.
"""
import io
import os
import random
import struct
import time
import zlib

import numpy as np
import pytest
from PIL import Image, ImageDraw, features

from chainer_vae.train import loop as training
from chainer_vae.data.images import cache as imagecache, file as image_file
from chainer_vae.data.images import load_image_folder
from chainer_vae.data.images.pixels import Pixels
from chainer_vae.errors import ConfigError, DataError

CALL_LIMIT_S = 5.0  # any one damaged file; valid ones take ~1 ms, the slowest mutants ~50 ms


def load(path, **kw):
    kw.setdefault("progress", False)
    kw.setdefault("cache_dir", os.path.join(os.path.dirname(os.fspath(path)), "cache"))
    return load_image_folder(path, **kw)


def rows_by_file(data):
    """{relative path: float32 row} over both splits."""
    out = {}
    for x, files in ((data.train_x, data.train_files), (data.test_x, data.test_files)):
        values = x[:]
        out.update(zip(files, values))
    return out


# ----------------------------------------------------------------------------- (a) MNIST
def digits(per_class=12):
    """(uint8 (N, 28, 28), labels): real MNIST when its cache is available, else synthetic."""
    from chainer_vae.data import mnist
    try:
        data = mnist.load_mnist("mnist", per_class_train=per_class, per_class_test=1, mirrors=(),
                                progress=False)
        x = np.rint(data.train_x * 255).astype(np.uint8).reshape(-1, 28, 28)
        assert np.array_equal(x.astype(np.float32) / np.float32(255), data.train_x.reshape(-1, 28, 28))
        return x, data.train_y, data
    except DataError:
        pass
    rng = np.random.RandomState(0)
    x = np.zeros((10 * per_class, 28, 28), np.uint8)
    y = np.repeat(np.arange(10), per_class).astype(np.int32)
    for i, d in enumerate(y):  # a stroke per digit: a thick bar at an angle of the class
        im = Image.new("L", (28, 28))
        a = np.pi * d / 10
        c, s = 14 + 9 * np.cos(a), 14 + 9 * np.sin(a)
        ImageDraw.Draw(im).line((28 - c, 28 - s, c, s), fill=int(rng.randint(128, 256)), width=3)
        x[i] = np.asarray(im)
    return x, y, None


def test_mnist_digits_round_trip_exactly(tmp_path):
    x, y, mnist_data = digits()
    root = tmp_path / "digits"
    for i, (img, label) in enumerate(zip(x, y)):
        folder = root / str(label) / ("deep" if i % 3 == 0 else "")
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(img, "L").save(folder / f"{i:05d}.png")
    data = load(root)
    assert data.classes == [str(d) for d in range(10)]
    assert data.description == f"digits: {len(x)} images in 10 classes, size 28, channels 1"
    assert len(data.train_x) + len(data.test_x) == len(x)
    assert data.train_x.shape[1] == 784 and data.train_x.dtype == np.float32
    by_file = rows_by_file(data)
    for i, (img, label) in enumerate(zip(x, y)):
        rel = os.path.join(str(label), "deep" if i % 3 == 0 else "", f"{i:05d}.png").replace(os.sep + os.sep, os.sep)
        row = by_file[os.path.normpath(rel)]
        expected = (mnist_data.train_x[i] if mnist_data is not None
                    else img.reshape(-1).astype(np.float32) / np.float32(255))
        assert row.dtype == np.float32 and np.array_equal(row, expected), rel
    for files, labels in ((data.train_files, data.train_y), (data.test_files, data.test_y)):
        assert [f.split(os.sep)[0] for f in files] == [data.classes[c] for c in labels]
    # 80/20 per class, every class on both sides
    counts = np.bincount(data.test_y, minlength=10)
    assert (counts == round(len(x) / 10 * 0.2)).all()
    assert not data.conversions


def test_pixels_train_exactly_like_the_float_arrays(tmp_path):
    """The training loop takes Pixels unchanged (a Windows to it), with the same history as the
    float32 arrays: batches are cast on the fly to the very same floats."""
    from chainer_vae.device import resolve_device
    from chainer_vae.model import make_decoder, make_encoder
    from chainer_vae.model.vae import VAELoss
    rng = np.random.RandomState(3)
    u8 = rng.randint(0, 256, (80, 784)).astype(np.uint8)
    train, test = Pixels(u8, np.arange(64)), Pixels(u8, np.arange(64, 80))
    histories = []
    for tx, ex in ((train, test), (np.asarray(train), np.asarray(test))):
        np.random.seed(0)
        model = VAELoss(make_encoder("mlp", "mnist", 2), make_decoder("mlp", "mnist", 2))
        h = training.train(model, tx, ex, training.Settings(run_dir=str(tmp_path / str(len(histories))), epochs=2,
                           device=resolve_device("@numpy"), progress=False))
        histories.append([(r["train"], r["test"]) for r in h])
    assert histories[0] == histories[1]
    from chainer_vae.model import apply  # the analyses' batched encoder slices Pixels like an array
    assert np.array_equal(apply.encode(model, test, batch_size=5), apply.encode(model, np.asarray(test), batch_size=5))
    assert np.asarray(train).dtype == np.float32 and np.array_equal(train[3], u8[3] / np.float32(255))
    assert train.subset(slice(2, 5)).uint8().tolist() == u8[2:5].tolist()


# ----------------------------------------------------------------------------- (b) colour
FORMATS = [("png", "PNG"), ("bmp", "BMP"), ("jpg", "JPEG"), ("gif", "GIF")] + (
    [("webp", "WEBP")] if features.check("webp") else [])
LOSSLESS = {"png", "bmp", "webp"}  # webp saved lossless here; GIF quantizes to a palette


def shape_image(kind, w, h, colour, background=(0, 0, 0), radius=0.4):
    """A filled circle, square or triangle of ``radius`` x the shorter side, centred."""
    im = Image.new("RGB", (w, h), background)
    draw, s = ImageDraw.Draw(im), min(w, h)
    cx, cy, r = w / 2, h / 2, s * radius
    if kind == "circle":
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
    elif kind == "square":
        draw.rectangle((cx - r, cy - r, cx + r, cy + r), fill=colour)
    else:
        draw.polygon([(cx, cy - r), (cx + r, cy + r), (cx - r, cy + r)], fill=colour)
    return im


def test_colour_shapes_in_mixed_formats(tmp_path):
    rng = np.random.RandomState(1)
    root, made = tmp_path / "shapes", {}
    for kind in ("circle", "square", "triangle"):
        (root / kind).mkdir(parents=True)
        for i in range(10):
            ext, fmt = FORMATS[i % len(FORMATS)]
            w, h = int(rng.randint(28, 120)), int(rng.randint(28, 120))
            colour = tuple(int(c) for c in rng.randint(60, 256, 3))
            kw = {"quality": 95} if fmt == "JPEG" else {"lossless": True} if fmt == "WEBP" else {}
            shape_image(kind, w, h, colour).save(root / kind / f"{i}.{ext}", fmt, **kw)
            made[os.path.join(kind, f"{i}.{ext}")] = colour
    data = load(root, channels=3)
    assert data.classes == ["circle", "square", "triangle"]
    assert data.train_x.shape[1] == 28 * 28 * 3
    assert len(data.train_x) + len(data.test_x) == 30 and not [r for r in data.report if r.startswith("skipped")]
    for files, labels in ((data.train_files, data.train_y), (data.test_files, data.test_y)):
        assert [f.split(os.sep)[0] for f in files] == [data.classes[c] for c in labels]
    for rel, row in rows_by_file(data).items():
        img = np.rint(row * 255).reshape(28, 28, 3)  # channel-last
        centre, corner = img[13:15, 13:15].reshape(-1, 3).mean(0), img[0, 0]
        tol = 2 if rel.rsplit(".", 1)[1] in LOSSLESS else 40
        assert np.abs(centre - made[rel]).max() <= tol, (rel, centre, made[rel])
        assert corner.max() <= tol, rel  # the background stays black
    # the same folder in grey: luma of the fill colour
    grey = rows_by_file(load(root, channels=1))
    rel = next(r for r in grey if r.endswith(".png"))
    r, g, b = made[rel]
    assert abs(grey[rel].reshape(28, 28)[14, 14] * 255 - (0.299 * r + 0.587 * g + 0.114 * b)) <= 1.5


def test_channel_order_crop_and_pad(tmp_path):
    a = np.zeros((28, 56, 3), np.uint8)  # wide: red left quarter, green middle, blue right quarter
    a[:, :14, 0] = 255
    a[:, 14:42, 1] = 255
    a[:, 42:, 2] = 255
    (tmp_path / "one").mkdir()
    Image.fromarray(a).save(tmp_path / "one" / "wide.png")
    crop = load(tmp_path / "one", channels=3, test_fraction=0.5).train_x.uint8().reshape(28, 28, 3)
    assert (crop[:, :, 1] == 255).all() and (crop[:, :, [0, 2]] == 0).all()  # the centred square: green
    pad = load(tmp_path / "one", channels=3, fit="pad", background=0,
               cache_dir=str(tmp_path / "c2")).train_x.uint8().reshape(28, 28, 3)
    assert (pad[:7] == 0).all() and (pad[21:] == 0).all()  # borders above and below
    assert (pad[7:21, :7, 0] == 255).all() and (pad[7:21, 7:21, 1] == 255).all() and (pad[7:21, 21:, 2] == 255).all()


def test_layout_rules(tmp_path):
    root = tmp_path / "lay"
    for rel in ("b/x.png", "a/deep/er/y.png", "a/z.png", ".hidden/h.png", "a/.git/g.png", "a/._z.png"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        Image.new("L", (28, 28), 9).save(root / rel, "PNG")
    Image.new("L", (28, 28)).save(root / "loose.png")
    (root / "a" / "readme.txt").write_text("not an image")
    data = load(root, test_fraction=0.4)
    assert data.classes == ["a", "b"]
    assert sorted(data.train_files + data.test_files) == [os.path.join("a", "deep", "er", "y.png"),
                                                          os.path.join("a", "z.png"), os.path.join("b", "x.png")]
    assert any("loose.png" in line and "ignored" in line for line in data.report)
    assert any(".txt: 1" in line for line in data.report)
    single = load(root / "a" / "deep" / "er", cache_dir=str(tmp_path / "c1"), test_fraction=0.5)
    assert single.classes == ["er"] and single.train_files == ["y.png"]  # no sub-folders: one class
    with pytest.raises(DataError, match="does not exist"):
        load(tmp_path / "nope")
    with pytest.raises(DataError, match="no usable images"):
        (tmp_path / "empty" / "k").mkdir(parents=True)
        load(tmp_path / "empty")
    with pytest.raises(ConfigError):
        load(root, channels=2)
    with pytest.raises(ConfigError):
        load(root, test_fraction=0)


# ----------------------------------------------------------------------------- (c) damaged
def png_chunk(tag, body):
    return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))


def png_bytes(w, h, rows=None, bit_depth=8, colour_type=0):
    """A PNG whose header claims w x h; ``rows``: the raw scanlines (default: one zero byte)."""
    ihdr = struct.pack(">IIBBBBB", w, h, bit_depth, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
            + png_chunk(b"IDAT", zlib.compress(rows if rows is not None else b"\0", 9)) + png_chunk(b"IEND", b""))


def encoded(im, fmt, **kw):
    b = io.BytesIO()
    im.save(b, fmt, **kw)
    return b.getvalue()


def valid_seeds():
    rng = np.random.RandomState(5)
    grey = Image.fromarray(rng.randint(0, 256, (33, 47), dtype=np.uint8))
    rgb = shape_image("circle", 64, 48, (200, 90, 30))
    return [("grey.png", encoded(grey, "PNG")), ("rgb.png", encoded(rgb, "PNG")),
            ("rgb.jpg", encoded(rgb, "JPEG", quality=90)), ("grey.jpg", encoded(grey, "JPEG")),
            ("prog.jpg", encoded(rgb, "JPEG", progressive=True))]


def damaged_files(folder):
    """{file name: expected outcome} -- "skip" or the conversion note it must carry."""
    folder.mkdir(parents=True, exist_ok=True)
    seeds = dict(valid_seeds())
    files = {
        "truncated.png": (seeds["rgb.png"][:len(seeds["rgb.png"]) // 2], "skip"),
        "truncated.jpg": (seeds["rgb.jpg"][:len(seeds["rgb.jpg"]) // 2], "skip"),
        "zero.png": (b"", "skip"),
        "text.png": (b"this is a text file, not a picture\n" * 3, "skip"),
        "claims_50000.png": (png_bytes(50000, 50000), "skip"),  # DecompressionBombError
        # a real bomb on the warning side of Pillow's guard: 9000 x 9000 zeros, 80 kB compressed
        "bomb.png": (png_bytes(9000, 9000, (b"\0" * 9001) * 9000), "skip"),
        "zero_width.png": (png_bytes(0, 10), "skip"),
        "bad_crc.png": (seeds["grey.png"][:20] + bytes([seeds["grey.png"][20] ^ 0xFF]) + seeds["grey.png"][21:], "skip"),
        "i16.png": (encoded(Image.fromarray(np.full((30, 30), 65535, np.uint16)), "PNG"), "16-bit scaled to 8-bit"),
        "cmyk.jpg": (encoded(Image.new("CMYK", (40, 40), (0, 255, 255, 0)), "JPEG"), "CMYK to RGB"),
        "rgba.png": (encoded(Image.new("RGBA", (28, 28), (255, 255, 255, 0)), "PNG"), "alpha composited"),
        "la.png": (encoded(Image.new("LA", (28, 28), (255, 0)), "PNG"), "alpha composited"),
        "one_by_one.png": (encoded(Image.new("L", (1, 1), 200), "PNG"), ""),
        "float.tif": (encoded(Image.fromarray(np.ones((9, 9), np.float32)), "TIFF"), "skip"),
        "jpeg_named.png": (seeds["grey.jpg"], ""),
        "anim.gif": (encoded(Image.new("L", (28, 28), 10), "GIF", save_all=True,
                             append_images=[Image.new("L", (28, 28), 250)]), "first frame"),
    }
    pal = Image.new("P", (28, 28))
    pal.putpalette([255, 255, 255, 255, 0, 0] + [0] * 762)
    pal.paste(1, (0, 0, 14, 28))
    files["palette_transparent.png"] = (encoded(pal, "PNG", transparency=0), "alpha composited")
    for name, (data, _) in files.items():
        (folder / name).write_bytes(data)
    return {name: outcome for name, (_, outcome) in files.items()}


def test_damaged_images_are_converted_or_skipped_by_name(tmp_path):
    expected = damaged_files(tmp_path / "bad" / "k")
    Image.new("L", (28, 28), 3).save(tmp_path / "bad" / "k" / "good.png")
    t = time.perf_counter()
    data = load(tmp_path / "bad", test_fraction=0.5)
    assert time.perf_counter() - t < 30
    skipped = [line for line in data.report if line.startswith("skipped: ")]
    for name, outcome in expected.items():
        lines = [line for line in skipped if os.sep + name + ":" in line]
        assert len(lines) == (outcome == "skip"), (name, lines)
    assert len(skipped) == sum(o == "skip" for o in expected.values())
    notes = {}
    for name, outcome in expected.items():
        if outcome != "skip":
            px, note = image_file.read_image(str(tmp_path / "bad" / "k" / name))
            notes[name] = note
            assert note == outcome, name
    assert sum(data.conversions.values()) == sum(1 for n in notes.values() if n)
    by_file = rows_by_file(data)
    k = lambda name: by_file[os.path.join("k", name)].reshape(28, 28)  # noqa: E731
    assert (k("i16.png") == 1).all()                  # 65535 -> 255
    assert (k("rgba.png") == 0).all()                 # transparent white over black
    assert (k("la.png") == 0).all()
    assert (k("palette_transparent.png")[:, 20:] == 0).all()  # the transparent colour: black
    assert np.allclose(k("palette_transparent.png")[:, :10] * 255, 0.299 * 255, atol=1)  # red, luma
    assert (k("one_by_one.png") * 255 == 200).all()
    bomb = next(line for line in skipped if "claims_50000" in line)
    assert "50000 x 50000" in bomb and "too many pixels" in bomb


def mutants(n, seed=0):
    """n seeded mutants of the valid seeds: byte flips, truncation, junk, chunk damage, header
    damage, duplicated or deleted spans."""
    seeds, rng = valid_seeds(), random.Random(seed)
    for k in range(n):
        name, data = seeds[k % len(seeds)]
        b = bytearray(data)
        how = k // len(seeds) % 7
        if how == 0:
            for _ in range(rng.randint(1, 8)):
                b[rng.randrange(len(b))] = rng.randrange(256)
        elif how == 1:
            b = b[:rng.randrange(1, len(b))]
        elif how == 2:
            i = rng.randrange(len(b))
            b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
        elif how == 3:  # the header's first 32 bytes (sizes, depths, markers)
            for _ in range(rng.randint(1, 3)):
                b[rng.randrange(min(32, len(b)))] = rng.randrange(256)
        elif how == 4:
            i = rng.randrange(len(b))
            del b[i:i + rng.randint(1, 200)]
        elif how == 5:
            i, j = sorted(rng.randrange(len(b)) for _ in range(2))
            b[j:j] = b[i:j]
        else:  # a lying size field in the first 64 bytes: 0xFF runs
            i = rng.randrange(min(64, len(b)))
            b[i:i + 4] = b"\xff\xff\xff\xff"
        yield f"m{k:03d}_{how}_{name}", bytes(b)


def test_mutants_end_in_a_skip_or_an_image_quickly(tmp_path):
    folder = tmp_path / "mut" / "k"
    folder.mkdir(parents=True)
    slow, outcomes = [], {"ok": 0, "skip": 0}
    for name, data in mutants(350):
        path = folder / name
        path.write_bytes(data)
        t = time.perf_counter()
        try:
            px, _ = image_file.read_image(str(path), 28, 1)
            assert px.dtype == np.uint8 and px.shape == (784,)
            outcomes["ok"] += 1
        except image_file.ImageSkip as e:
            assert str(e).startswith(str(path)) and e.cause
            outcomes["skip"] += 1
        took = time.perf_counter() - t
        if took > CALL_LIMIT_S:
            slow.append((name, took))
    assert not slow
    assert outcomes["ok"] > 20 and outcomes["skip"] > 100, outcomes
    # the same files through the process pool and the build: one line per skipped file
    data = load(tmp_path / "mut", channels=3, workers=2)
    skipped = [line for line in data.report if line.startswith("skipped")]
    assert len(skipped) + len(data.train_x) + len(data.test_x) == 350


def test_a_worker_that_dies_costs_only_its_file(tmp_path, monkeypatch):
    folder = tmp_path / "crash" / "k"
    folder.mkdir(parents=True)
    for i in range(40):
        Image.new("L", (28, 28), i).save(folder / f"{i:02d}.png")
    real = image_file.read_image

    def crashing(path, *a, **kw):
        if path.endswith("17.png"):
            os._exit(3)  # as a segfaulting decoder or the OOM killer would end the worker
        if path.endswith("23.png"):
            time.sleep(60)  # a hang: the per-file alarm ends it
        return real(path, *a, **kw)
    monkeypatch.setattr(image_file, "read_image", crashing)
    monkeypatch.setattr(imagecache, "FILE_SECONDS", 1)
    t = time.perf_counter()
    data = load(tmp_path / "crash", workers=2, test_fraction=0.5)
    assert time.perf_counter() - t < 30
    skipped = [line for line in data.report if line.startswith("skipped")]
    assert len(skipped) == 2 and len(data.train_x) + len(data.test_x) == 38
    assert any("17.png" in s and "died" in s for s in skipped)
    assert any("23.png" in s and "took over" in s for s in skipped)


# ----------------------------------------------------------------------------- (d) cache
def small_folder(root, n=24):
    rng = np.random.RandomState(2)
    for i in range(n):
        d = root / ("ab"[i % 2])
        d.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.randint(0, 256, (32, 40), dtype=np.uint8)).save(d / f"{i}.png")
    (root / "a" / "broken.png").write_bytes(b"junk")


def test_warm_rebuild_converts_nothing_and_gives_identical_arrays(tmp_path, monkeypatch):
    small_folder(tmp_path / "f")
    cold = load(tmp_path / "f")
    assert "0 files from cache, 25 converted" in cold.report[-1]

    def no_conversion(*a, **kw):
        raise AssertionError("a warm rebuild converted an image")
    monkeypatch.setattr(imagecache, "convert_all", no_conversion)
    warm = load(tmp_path / "f")
    assert "25 files from cache, 0 converted" in warm.report[-1]
    assert isinstance(warm.train_x.u8, np.memmap)
    assert np.array_equal(np.asarray(cold.train_x), np.asarray(warm.train_x))
    assert np.array_equal(cold.test_y, warm.test_y) and cold.train_files == warm.train_files
    assert cold.report == [line.replace("25 files from cache, 0 converted", "0 files from cache, 25 converted")
                           for line in warm.report]
    assert cold.fingerprint() == warm.fingerprint()
    monkeypatch.undo()
    uncached = load(tmp_path / "f", cache_dir=False)
    assert np.array_equal(np.asarray(uncached.test_x), np.asarray(cold.test_x))


def test_a_changed_file_changes_the_fingerprint_and_converts_only_itself(tmp_path):
    small_folder(tmp_path / "f")
    before = load(tmp_path / "f")
    Image.new("L", (32, 40), 7).save(tmp_path / "f" / "a" / "0.png")
    after = load(tmp_path / "f")
    assert after.fingerprint() != before.fingerprint()
    assert "24 files from cache, 1 converted" in after.report[-1]
    assert len(os.listdir(tmp_path / "cache")) == 2  # the superseded build was removed
    assert (rows_by_file(after)[os.path.join("a", "0.png")] == np.float32(7) / 255).all()
    again = load(tmp_path / "f", seed=1)  # another split of the same pixels: another fingerprint
    assert again.fingerprint() != after.fingerprint()


@pytest.mark.parametrize("damage", ["truncate_npy", "garbage_npy", "flip_pixel", "garbage_json",
                                    "truncate_json", "delete_npy"])
def test_a_corrupt_cache_is_a_miss(tmp_path, damage):
    small_folder(tmp_path / "f")
    first = load(tmp_path / "f")
    # (copies: damaging a mapped file in place would fault its map -- the cache itself only
    # ever replaces files, so a build in use stays valid)
    first_x, first_fp = np.asarray(first.train_x), first.fingerprint()
    del first
    npy = next(p for p in (tmp_path / "cache").iterdir() if p.suffix == ".npy")
    js = npy.with_suffix(".json")
    raw = npy.read_bytes()
    if damage == "truncate_npy":
        npy.write_bytes(raw[:len(raw) // 2])
    elif damage == "garbage_npy":
        npy.write_bytes(os.urandom(len(raw)))
    elif damage == "flip_pixel":
        npy.write_bytes(raw[:-5] + bytes([raw[-5] ^ 1]) + raw[-4:])
    elif damage == "garbage_json":
        js.write_text("{not json")
    elif damage == "truncate_json":
        js.write_text(js.read_text()[:100])
    else:
        npy.unlink()
    again = load(tmp_path / "f")
    assert "0 files from cache, 25 converted" in again.report[-1]
    assert np.array_equal(np.asarray(again.train_x), first_x)
    assert again.fingerprint() == first_fp
    assert "25 files from cache, 0 converted" in load(tmp_path / "f").report[-1]  # rewritten


def test_settings_are_part_of_the_key(tmp_path):
    small_folder(tmp_path / "f")
    a = load(tmp_path / "f", size=16)
    b = load(tmp_path / "f", size=16, channels=3)
    c = load(tmp_path / "f", size=16, fit="pad")
    assert a.train_x.shape[1] == 256 and b.train_x.shape[1] == 768
    assert len({a.fingerprint(), b.fingerprint(), c.fingerprint()}) == 3
    assert "0 files from cache" in c.report[-1]


def test_an_unwritable_cache_still_loads(tmp_path):
    small_folder(tmp_path / "f")
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("a file where the cache folder would go")
    data = load(tmp_path / "f", cache_dir=str(blocker / "images"))
    assert len(data.train_x) + len(data.test_x) == 24


def test_large_jpeg_decoded_at_reduced_scale_matches_a_full_decode(tmp_path):
    yy, xx = np.mgrid[0:1500, 0:2000]
    rgb = np.stack([xx * 255 // 1999, yy * 255 // 1499, (xx + yy) * 255 // 3498], -1).astype(np.uint8)
    path = tmp_path / "big.jpg"
    Image.fromarray(rgb).save(path, quality=95)
    got, note = image_file.read_image(str(path), 28, 3)
    with Image.open(path) as im:  # the reference: full decode, centre square, area average
        ref = np.asarray(im.convert("RGB").resize((28, 28), Image.Resampling.BOX, box=(250, 0, 1750, 1500)))
    assert note == "" and np.abs(got.reshape(28, 28, 3).astype(int) - ref).max() <= 3


def test_pixels_go_to_an_accelerator_in_blocks(monkeypatch):
    """to_device on a device whose array module is not NumPy (a stand-in for CuPy): the rows
    are copied block by block into one device array, and take() gives the same floats."""
    import types
    fake_xp = types.SimpleNamespace(empty=np.empty, arange=np.arange)
    sent = []
    device = types.SimpleNamespace(xp=fake_xp, send=lambda a: sent.append(a.shape) or np.array(a))
    u8 = np.random.RandomState(0).randint(0, 256, (50, 12)).astype(np.uint8)
    px = Pixels(u8, np.arange(49, -1, -2))
    on = px.to_device(device, block=8)
    assert sent == [(8, 12)] * 3 + [(1, 12)]
    index = np.array([3, 0, 24])
    assert np.array_equal(on.take(index), px.take(index))
    assert Pixels(u8).to_device(types.SimpleNamespace(xp=np)).u8 is u8  # the CPU keeps the map


@pytest.mark.parametrize("background", [0, 255])
def test_alpha_is_composited_as_if_before_resizing(tmp_path, background):
    rng = np.random.RandomState(4)
    rgba = rng.randint(0, 256, (70, 90, 4)).astype(np.uint8)
    path = tmp_path / "a.png"
    Image.fromarray(rgba, "RGBA").save(path)
    got, note = image_file.read_image(str(path), 28, 3, background=background)
    a = rgba[..., 3:] / 255.0  # the reference: composite at full size, then the area average
    full = np.rint(rgba[..., :3] * a + background * (1 - a)).astype(np.uint8)
    ref = np.asarray(Image.fromarray(full).resize((28, 28), Image.Resampling.BOX, box=(10, 0, 80, 70)))
    assert note == "alpha composited"  # Pillow's premultiplied 8-bit intermediate rounds: <= 3/255
    assert np.abs(got.reshape(28, 28, 3).astype(int) - ref).max() <= 3
    padded, _ = image_file.read_image(str(path), 28, 1, fit="pad", background=background)
    assert (padded.reshape(28, 28)[:3] == background).all()  # pad borders: the background too


def test_a_copied_folder_reuses_the_converted_pixels(tmp_path):
    import shutil
    small_folder(tmp_path / "f")
    first = load(tmp_path / "f")
    shutil.copytree(tmp_path / "f", tmp_path / "copy")
    (tmp_path / "copy" / "b" / "1.png").unlink()
    copy = load(tmp_path / "copy")  # another folder: its own build, the pixels copied over
    assert "24 files from cache, 0 converted" in copy.report[-1]
    assert len(copy.train_x) + len(copy.test_x) == 23
    same = rows_by_file(first)
    assert all(np.array_equal(row, same[rel]) for rel, row in rows_by_file(copy).items())
    assert len(os.listdir(tmp_path / "cache")) == 4  # both builds kept: neither supersedes the other
