"""A folder of images -> train/test sets for the VAE, laid out like the MIDI class folders.

Layout (as ``data/midi/corpus.py``): sub-folders of ``image_dir`` are the classes, sorted by name; a class
takes the images at any depth of its folder, in sorted order, folder by folder; hidden files
and folders (``.DS_Store``, macOS ``._x.png``) are skipped.  A folder with images and no
sub-folders is one class named after the folder.  Images lying beside class folders belong to
no class: the report says so.  Candidates are the files whose extension Pillow opens (67 of
them: .png .jpg .bmp .gif .webp .tif ...); other files are counted in one report line.  A file
that cannot be used is skipped with one report line naming it and the cause (``images/file.py``
lists every conversion and cause), and so is an entry that is no usable file (a symbolic link
that loops or leads nowhere, a link to a folder inside a class, a pipe or device:
``data/classes.py``'s ``entry_problem``); no single file aborts the folder, and nothing but
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
batch by ``Pixels`` (``images/pixels.py``); the folder is scanned and built by ``images/folder.py``,
each file read by ``images/file.py``; conversion runs on all cores and the whole build is cached,
keyed by the files' bytes (``images/cache.py``).
"""
import dataclasses
import os
import re

import numpy as np

from chainer_vae.data import fingerprint as _fingerprint
from chainer_vae.data.images.folder import build, image_extensions, scan  # noqa: F401  (this API)
from chainer_vae.data.images.pixels import Pixels
from chainer_vae.errors import ConfigError, DataError
from chainer_vae.files import display_name


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

    @property
    def tag(self):
        """The folder's name in file-name characters: what its outputs and runs are named after
        (``fig4_mnist_loss_<tag>.png``, ``runs/images_<tag>-...``), as MnistData.tag names the fallback's."""
        return re.sub(r"[^A-Za-z0-9._-]+", "-", self.source).strip("-.") or "images"

    def fingerprint(self):
        """The data fingerprint runs.fit computes for (train_x, test_x): it hashes the stored
        uint8 pixels and the rows of each split."""
        return _fingerprint(self.train_x, self.test_x)


def load_image_folder(image_dir, size=28, channels=1, test_fraction=0.2, seed=0, cache_dir=None,
                      progress=True, fit="crop", background=0, workers=None):
    """An ImageData of the folder's images (module docstring; conversions: images/file.py).

    size: side of the square images; channels: 1 (grey, mode "L") or 3 (RGB); fit: "crop"
    (largest centred square) or "pad" (whole image, borders ``background``); background: the
    grey level under transparent pixels and in pad borders (0 = black).  cache_dir: None (the
    default cache), a folder, or False (no cache).  workers: conversion processes (all cores).
    """
    if not 0 < test_fraction < 1:
        raise ConfigError(f"need 0 < test_fraction < 1, not {test_fraction!r}")
    pixels, rows, classes, report, stats = build(image_dir, size, channels, fit, background,
                                                 cache_dir, progress, workers)
    source = display_name(os.path.basename(os.path.abspath(os.fspath(image_dir))))
    index = {c: i for i, c in enumerate(classes)}
    labels = np.array([index[cls] for cls, _ in rows], np.int32)
    counts = np.bincount(labels, minlength=len(classes))
    # From here on names are for people (console, figures, JSON): undecodable bytes escaped.
    classes, report = [display_name(c) for c in classes], [display_name(line) for line in report]
    for c in (c for c, n in zip(classes, counts) if not n):
        report.append(f"class '{c}' dropped: no usable images")
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
