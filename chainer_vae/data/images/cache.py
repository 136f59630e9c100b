"""Converting image files on all cores, and the per-folder build cache of their pixels.

* ``convert_all`` reads images (``file.read_image``) on all cores through the builder MIDI folders
  use too (``data/isolate.py``): a file that crashes its worker, or takes over ``FILE_SECONDS``,
  is skipped by name and every other file is converted.
* A build, ``<cache>/<settings>-<folder>-<key>.npy`` (uint8 (N, D), memory-mapped on reuse) and ``.json``
  (what became of every file, the report, a BLAKE2b digest of the pixels): the key hashes every
  file's bytes, class and relative path and the conversion settings (size, channels, fit,
  background, reader version, Pillow version).  Both files are written atomically; a missing,
  truncated or altered build (digest mismatch) is a miss, never an error.
* On a miss, images whose bytes the newest earlier build with the same settings already holds
  are copied from it, not converted: adding or changing a few files of a 100,000-image folder
  converts only those.  That earlier build of the same folder is then deleted (superseded).

``cache_dir=None`` uses ``$CHAINER_VAE_CACHE/images``, else ``<checkout>/.cache/images``
(``~/.cache/chainer_vae/images`` for an installed package); ``cache_dir=False`` disables caching
(the pixels are then held in memory).
"""
import contextlib
import functools
import glob
import hashlib
import json
import os
import sys
import tempfile

import numpy as np

from chainer_vae.data import isolate
from chainer_vae.data.images import file
from chainer_vae import files
from chainer_vae.files import atomic_path

READER_VERSION = 2  # bump when read_image's output changes meaning (2: truncated JPEGs skipped)
FILE_SECONDS = 30   # one image in a worker; the slowest valid 64 MP PNG decodes in ~2 s


def default_cache_dir():
    return files.cache_dir("images")


def file_key(path):
    """BLAKE2b-128 of the file's bytes, read in 1 MiB blocks; ImageSkip when unreadable."""
    h = hashlib.blake2b(digest_size=16)
    try:
        with open(path, "rb") as f:
            while block := f.read(1 << 20):
                h.update(block)
        return h.hexdigest()
    except OSError as e:
        raise file.ImageSkip(path, f"cannot read: {e.strerror or e}") from None


def settings_id(settings):
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]


def _digest(pixels, rows=8192):
    h = hashlib.blake2b(digest_size=16)
    for i in range(0, len(pixels), rows):
        h.update(memoryview(np.ascontiguousarray(pixels[i:i + rows])).cast("B"))
    return h.hexdigest()


# ----------------------------------------------------------------------------- conversion
def _read_image(settings, path):
    """(pixels or None, note or cause) for one file (data/isolate.py runs it, with its alarm)."""
    try:
        return file.read_image(path, settings["size"], settings["channels"], settings["fit"], settings["background"])
    except file.ImageSkip as e:
        return None, e.cause


def convert_all(jobs, settings, workers=None, on_done=None):
    """Yield (i, pixels or None, note or cause) for every (i, path) of ``jobs``, in any order;
    on_done(n) after every n results.  ``workers``: processes (default: all cores)."""
    return isolate.convert_all(jobs, functools.partial(_read_image, settings), seconds=FILE_SECONDS,
                               workers=workers, on_done=on_done, who="the image reader")


# ----------------------------------------------------------------------------- builds
class ImageCache:
    """Builds named ``<settings id>-<folder id>-<build key>``: the settings id (conversion
    settings) finds earlier builds to copy from, the folder id (its absolute path) the builds
    a new one supersedes."""

    def __init__(self, directory):
        self.dir = None if directory is False else os.fspath(directory or default_cache_dir())

    def _base(self, sid, fid, key):
        return os.path.join(self.dir, f"{sid}-{fid}-{key}")

    def load_build(self, sid, fid, key):
        """(memory-mapped uint8 pixels, record) of a finished, intact build, or None."""
        if self.dir is None:
            return None
        try:
            return self._open(self._base(sid, fid, key))
        except Exception:  # missing, truncated, altered, foreign: a cache never breaks a load
            return None

    @staticmethod
    def _open(base):
        with open(base + ".json") as f:
            record = json.load(f)
        pixels = np.load(base + ".npy", mmap_mode="r", allow_pickle=False)
        if pixels.dtype != np.uint8 or pixels.shape != (record["n"], record["dim"]):
            raise ValueError("shape")
        if _digest(pixels) != record["digest"]:
            raise ValueError("digest")
        return pixels, record

    def _builds(self, pattern):
        """Build bases matching ``pattern``, newest first."""
        found = []
        for path in glob.glob(os.path.join(glob.escape(self.dir), pattern + ".json")):
            try:
                found.append((os.path.getmtime(path), path[:-5]))
            except OSError:
                pass
        return [base for _, base in sorted(found, reverse=True)]

    def previous(self, sid, fid):
        """{file key: (pixels, row, note) or cause} from the newest intact build with these settings,
        this folder's first, else {}: what a partial rebuild copies instead of converting."""
        if self.dir is None:
            return {}
        for base in self._builds(f"{sid}-{fid}-*") + self._builds(f"{sid}-*"):
            try:
                pixels, record = self._open(base)
            except Exception:  # noqa: BLE001 - a damaged build is no source
                continue
            return {key: (pixels, row, text) if row is not None else text
                    for _, _, key, row, text in record["files"]}
        return {}

    def scratch(self, n, dim):
        """Rows for the images to convert: an unlinked file in the cache folder (so a crash
        leaves nothing behind), or memory when uncached."""
        if self.dir is not None:
            try:
                os.makedirs(self.dir, exist_ok=True)
                fd, path = tempfile.mkstemp(prefix=".scratch.", suffix=".tmp.npy", dir=self.dir)
                os.close(fd)
                try:
                    return np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8, shape=(max(n, 1), dim))
                finally:
                    os.unlink(path)  # the mapping stays valid
            except OSError:
                pass
        return np.zeros((max(n, 1), dim), np.uint8)

    def save_build(self, sid, fid, key, sources, dim, record):
        """Write the build: row r of the result is ``sources[r] = (array, row)``; returns the
        memory-mapped pixels (or an in-memory array when uncached or the disk refuses)."""
        n = len(sources)
        if self.dir is not None:
            base = self._base(sid, fid, key)
            try:
                with atomic_path(base + ".npy") as tmp:
                    out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=(n, dim))
                    _gather(out, sources)
                    record = dict(record, n=n, dim=dim, digest=_digest(out))
                    out.flush()
                    del out
                with atomic_path(base + ".json") as tmp, open(tmp, "w") as f:
                    json.dump(record, f)
                for old in self._builds(f"{sid}-{fid}-*"):  # superseded builds of this folder
                    if old != base:
                        for p in (old + ".json", old + ".npy"):
                            with contextlib.suppress(OSError):
                                os.remove(p)
                return np.load(base + ".npy", mmap_mode="r")
            except OSError as e:
                print(f"warning: not caching the image build in {self.dir}: {e}", file=sys.stderr)
        out = np.zeros((n, dim), np.uint8)
        _gather(out, sources)
        return out


def _gather(out, sources, block=8192):
    """out[r] = array[row] for (array, row) = sources[r], a block of rows at a time."""
    for start in range(0, len(sources), block):
        part = sources[start:start + block]
        by_array = {}
        for r, (arr, row) in enumerate(part):
            by_array.setdefault(id(arr), (arr, [], []))
            by_array[id(arr)][1].append(start + r)
            by_array[id(arr)][2].append(row)
        for arr, dst, src in by_array.values():
            out[np.asarray(dst)] = arr[np.asarray(src)]
