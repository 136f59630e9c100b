"""Folder -> pixels: the layout scan, content keys, and the cached build (for ``data/images/__init__.py``).

``scan`` applies the class-folder layout of ``data/images``; ``build`` hashes every file, maps
the build from the cache or converts what it lacks (``imagecache``), and returns the uint8
pixels with the file of every row and the report.
"""
import collections
import hashlib
import json
import os
import time

from chainer_vae.data.classes import check_root, class_files, entry_problem
from chainer_vae.data.images import cache as imagecache, file as image_file
from chainer_vae.errors import DataError
from chainer_vae.progress import Progress


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
            if name.startswith("."):
                continue
            why = entry_problem(path, in_class=folder != image_dir)
            if why:  # every entry is used or named: loops, dangling links, pipes, devices
                report.append(f"skipped: {path}: {why}")
                continue
            if not os.path.isfile(path):
                continue  # a folder: the class's walk reads it
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
    classes, files = class_files(image_dir, subdirs, images_in, "image", report)
    if others:
        kinds = ", ".join(f"{e}: {n}" for e, n in others.most_common(5)) + (", ..." if len(others) > 5 else "")
        n = sum(others.values())
        report.append(f"ignored: {n} file{'s' * (n != 1)} whose extension no Pillow reader opens ({kinds})")
    return classes, files


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
    check_root(image_dir, "image folder", " (pass the folder that holds the images)")
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
    fid = hashlib.sha256(os.fsencode(os.path.abspath(image_dir))).hexdigest()[:8]
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
