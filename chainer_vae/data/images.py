"""A folder of images -> train/test sets for the VAE, laid out like the MIDI class folders.

Layout (as ``corpus.py``): sub-folders of ``image_dir`` are the classes, sorted by name; a class
takes the images at any depth of its folder, in sorted order, folder by folder; hidden files
and folders (``.DS_Store``, macOS ``._x.png``) are skipped.  A folder with images and no
sub-folders is one class named after the folder.  Images lying beside class folders belong to
no class: the report says so.  Candidates are the files whose extension Pillow opens (67 of
them: .png .jpg .bmp .gif .webp .tif ...); other files are counted in one report line.  A file
that cannot be used is skipped with one report line naming it and the cause (``image_file.py``
lists every conversion and cause); no single file aborts the folder, and nothing but
``DataError`` (or ``ConfigError`` for bad settings) leaves ``load_image_folder``.

Every image becomes ``size * size * channels`` intensities in [0, 1] (uint8 / 255), flattened
channel-last -- row by row, pixel by pixel, R G B within a pixel (``x.reshape(-1, size, size,
channels)`` gives the images back).  A Bernoulli likelihood on these (the paper's loss) treats
every channel of every pixel as its own soft target: the decoder's output k is the mean
intensity of value k, and -log p(x|z) = -sum_k [x_k log y_k + (1 - x_k) log(1 - y_k)] over all
3 * size^2 values for colour, so colour images weigh 3x grey ones and the channels are
conditionally independent given z (not a probability of the grey levels: as with MNIST's grey
pixels, the loss is a cross-entropy with soft targets).

Split, per class (seeded): shuffle the class's images, the first ``n - round(n * test_fraction)``
train, the rest test -- the corpus's window split.  Labels (``train_y``, ``test_y``) only colour
and judge the latent space; they never enter training.

The pixels are stored once as uint8, memory-mapped from the cache, and served as float32 per
batch by ``Pixels`` (``pixels.py``); conversion runs on all cores and the whole build is cached,
keyed by the files' bytes (``imagecache.py``).
"""
import collections
import dataclasses
import hashlib
import json
import os
import time

import numpy as np

from chainer_vae.data import fingerprint as _fingerprint
from chainer_vae.data import image_file, imagecache
from chainer_vae.data.pixels import Pixels
from chainer_vae.errors import ConfigError, DataError
from chainer_vae.progress import Progress


@dataclasses.dataclass
class ImageData:
    train_x: Pixels      # (N, size * size * channels) float32 in [0, 1] per batch, uint8 stored
    train_y: np.ndarray  # (N,) int32 class index
    test_x: Pixels
    test_y: np.ndarray
    classes: list        # class names, sorted; index = label
    report: list         # one line per skipped or ignored file, then a summary line
    source: str          # the folder's name (no machine path: goes into figures and JSON)
    description: str     # "name: N images in K classes, size S, channels C"
    size: int
    channels: int
    train_files: list    # paths relative to the folder, in train_x's row order
    test_files: list
    conversions: dict    # conversion note -> number of images it was applied to

    @property
    def image_shape(self):
        return (self.size, self.size, self.channels)

    def fingerprint(self):
        """The data fingerprint runs.fit computes for (train_x, test_x): it hashes the stored
        uint8 pixels and the rows of each split."""
        return _fingerprint(self.train_x, self.test_x)


def image_extensions():
    """The file extensions of the formats Pillow opens (by its registry, lower case)."""
    from PIL import Image
    Image.init()
    return frozenset(ext for ext, fmt in Image.EXTENSION.items() if fmt in Image.OPEN)


def scan(image_dir, report):
    """(classes, [(class, path)]) in sorted order, per the layout in the module docstring."""
    exts, others = image_extensions(), collections.Counter()

    def images_in(folder):
        out = []
        try:
            names = sorted(os.listdir(folder))
        except OSError as e:  # unreadable sub-folder: its files are not in the data
            report.append(f"skipped: folder {folder}: cannot list it ({e.strerror or e})")
            return out
        for name in names:
            path = os.path.join(folder, name)
            if name.startswith(".") or not os.path.isfile(path):
                continue
            ext = os.path.splitext(name)[1].lower()
            if ext in exts:
                out.append(path)
            else:
                others[ext or "(none)"] += 1
        return out

    try:
        subdirs = sorted(d for d in os.listdir(image_dir)
                         if not d.startswith(".") and os.path.isdir(os.path.join(image_dir, d)))
    except OSError as e:
        raise DataError(f"cannot list image folder {image_dir}: {e.strerror or e}") from None
    class_dirs = [(d, os.path.join(image_dir, d)) for d in subdirs] or \
        [(os.path.basename(os.path.abspath(image_dir)), image_dir)]
    if subdirs:
        loose = images_in(image_dir)
        if loose:
            names = ", ".join(os.path.basename(f) for f in loose[:5]) + (", ..." if len(loose) > 5 else "")
            report.append(f"ignored: {len(loose)} image file{'s' * (len(loose) != 1)} directly in "
                          f"{image_dir} ({names}): with sub-folders present, each sub-folder is a class")
    files = []
    for cls, d in class_dirs:
        for folder, dirs, _ in os.walk(d):
            dirs[:] = sorted(x for x in dirs if not x.startswith("."))
            files += [(cls, path) for path in images_in(folder)]
    if others:
        kinds = ", ".join(f"{e}: {n}" for e, n in others.most_common(5)) + (", ..." if len(others) > 5 else "")
        n = sum(others.values())
        report.append(f"ignored: {n} file{'s' * (n != 1)} whose extension no Pillow reader opens ({kinds})")
    return [cls for cls, _ in class_dirs], files


def _bar(label, total, progress, unit):
    bar, started, done = Progress(progress and total > 0), time.perf_counter(), [0]

    def on_done(n):
        done[0] += n
        bar.bar(label, done[0], total, started, unit=unit)
    return on_done


def _keys(files, progress, name):
    """[(class, path, content key)] for the readable files; report lines for the others."""
    keyed, lines = [], []
    on_done = _bar(f"hashing images in {name}", len(files), progress, "files")
    for cls, path in files:
        try:
            keyed.append((cls, path, imagecache.file_key(path)))
        except DataError as e:
            lines.append(f"skipped: {e}")
        on_done(1)
    return keyed, lines


def build(image_dir, size=28, channels=1, fit="crop", background=0, cache_dir=None,
          progress=True, workers=None):
    """Convert (or map from the cache) every image of the folder.

    Returns (pixels uint8 (N, D), files [(class, relative path)] of the N rows, classes,
    report lines, stats): stats["converted"] files were read and converted now, stats["reused"]
    had their outcome (pixels or skip reason) in the cache (both count distinct contents);
    stats["conversions"] counts the conversion notes of the N images."""
    image_file.check_settings(size, channels, fit, background)
    image_dir = os.fspath(image_dir)
    if not os.path.isdir(image_dir):
        raise DataError(f"image folder {image_dir} does not exist or is not a folder")
    name, report = os.path.basename(os.path.abspath(image_dir)), []
    classes, files = scan(image_dir, report)
    keyed, lines = _keys(files, progress, name)
    report += lines
    from PIL import __version__ as pillow
    settings = {"reader": imagecache.READER_VERSION, "pillow": pillow, "size": int(size),
                "channels": int(channels), "fit": fit, "background": int(background),
                "max_pixels": image_file.MAX_PIXELS}
    dim = size * size * channels
    sid = imagecache.settings_id(settings)
    fid = hashlib.sha256(os.path.abspath(image_dir).encode()).hexdigest()[:8]
    rel = [(cls, os.path.relpath(path, image_dir), k) for cls, path, k in keyed]
    key = hashlib.sha256(json.dumps([settings, rel]).encode()).hexdigest()[:32]
    cache = imagecache.ImageCache(cache_dir)

    warm = cache.load_build(sid, fid, key)
    if warm is not None:
        pixels, record = warm
        stats = {"converted": 0, "reused": len({f[2] for f in record["files"]})}
    else:
        pixels, record, stats = _convert(cache, sid, fid, key, settings, keyed, rel, dim,
                                         image_dir, name, progress, workers)
    rows, conversions = [], collections.Counter()
    for cls, path, _, row, text in record["files"]:
        if row is None:
            report.append(f"skipped: {os.path.join(image_dir, path)}: {text}")
        else:
            rows.append((cls, path))
            for note in filter(None, text.split(", ")):
                conversions[note] += 1
    stats["conversions"] = dict(conversions)
    return pixels, rows, classes, report, stats


def _convert(cache, sid, fid, key, settings, keyed, rel, dim, image_dir, name, progress, workers):
    previous = cache.previous(sid, fid)
    first = {}  # content key -> the first path with those bytes: each is converted once
    for _, path, k in keyed:
        first.setdefault(k, path)
    done, todo = {}, []
    for k in first:
        got = previous.get(k)
        if got is None:
            todo.append(k)
        else:
            done[k] = got
    scratch = cache.scratch(len(todo), dim)
    on_done = _bar(f"converting images in {name}", len(todo), progress, "images")
    for i, pixels, text in imagecache.convert_all([(i, first[k]) for i, k in enumerate(todo)],
                                                  settings, workers, on_done):
        if pixels is None:
            done[todo[i]] = text
        else:
            scratch[i] = pixels
            done[todo[i]] = (scratch, i, text)
    sources, files = [], []
    for (cls, path, k) in rel:
        got = done[k]
        if isinstance(got, str):
            files.append([cls, path, k, None, got])
        else:
            files.append([cls, path, k, len(sources), got[2]])
            sources.append(got[:2])
    record = {"folder": os.path.abspath(image_dir), "settings": settings, "files": files}
    pixels = cache.save_build(sid, fid, key, sources, dim, record)
    return pixels, record, {"converted": len(todo), "reused": len(first) - len(todo)}


def load_image_folder(image_dir, size=28, channels=1, test_fraction=0.2, seed=0, cache_dir=None,
                      progress=True, fit="crop", background=0, workers=None):
    """An ImageData of the folder's images (module docstring; conversions: image_file.py).

    size: side of the square images; channels: 1 (grey, mode "L") or 3 (RGB); fit: "crop"
    (largest centred square) or "pad" (whole image, borders ``background``); background: the
    grey level under transparent pixels and in pad borders (0 = black).  cache_dir: None (the
    default cache), a folder, or False (no cache).  workers: conversion processes (all cores).
    """
    if not 0 < test_fraction < 1:
        raise ConfigError(f"need 0 < test_fraction < 1, not {test_fraction!r}")
    pixels, rows, classes, report, stats = build(image_dir, size, channels, fit, background,
                                                 cache_dir, progress, workers)
    source = os.path.basename(os.path.abspath(os.fspath(image_dir)))
    index = {c: i for i, c in enumerate(classes)}
    labels = np.array([index[cls] for cls, _ in rows], np.int32)
    counts = np.bincount(labels, minlength=len(classes))
    for c in (c for c, n in zip(classes, counts) if not n):
        report.append(f"class {c!r} dropped: no usable images")
    kept = [c for c, n in zip(classes, counts) if n]
    if not kept:
        reasons = "; ".join(report[:3]) + (f"; and {len(report) - 3} more" if len(report) > 3 else "")
        raise DataError(f"no usable images in {image_dir}: {reasons or 'no image files found'}")
    relabel = np.cumsum(counts > 0) - 1  # old label -> label among the kept classes
    labels = relabel[labels].astype(np.int32)

    rng = np.random.RandomState(seed)
    train, test = [], []
    for ci in range(len(kept)):
        members = np.flatnonzero(labels == ci)
        perm = members[rng.permutation(len(members))]
        n_train = len(perm) - int(round(len(perm) * test_fraction))
        train.append(perm[:n_train])
        test.append(perm[n_train:])
    train, test = np.concatenate(train), np.concatenate(test)
    n_skipped = sum(line.startswith("skipped") for line in report)
    conv = ", ".join(f"{n} {note}" for note, n in sorted(stats["conversions"].items()))
    report.append(f"{source}: {len(rows)} images in {len(kept)} classes ("
                  + ", ".join(f"{c}: {n}" for c, n in zip(classes, counts) if n)
                  + f"), {n_skipped} file{'s' * (n_skipped != 1)} skipped; {len(train)} train / {len(test)} test "
                  f"(test_fraction={test_fraction}, seed={seed}); size {size}, channels {channels}, "
                  f"fit={fit}; {stats['reused']} files from cache, {stats['converted']} converted"
                  + (f"; conversions: {conv}" if conv else ""))
    return ImageData(
        train_x=Pixels(pixels, train), train_y=labels[train], test_x=Pixels(pixels, test),
        test_y=labels[test], classes=kept, report=report, source=source,
        description=f"{source}: {len(rows)} images in {len(kept)} classes, size {size}, channels {channels}",
        size=size, channels=channels, train_files=[rows[i][1] for i in train],
        test_files=[rows[i][1] for i in test], conversions=stats["conversions"])
