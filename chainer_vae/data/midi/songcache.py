"""Converting MIDI files to packed songs: on all cores, cached per song and per folder.

* Per song: ``<cache>/<sha256>.npz`` holds a converted song (the (T, 20) packed steps and its
  metadata) under a key hashing the file's bytes and the conversion settings; any folder with
  the same bytes reuses it.  A missing, truncated or foreign entry is only a miss (and rewritten).
* Per folder build: ``<cache>/corpus/<key>.npy`` holds all of a build's songs back to back and
  ``<key>.json`` what became of every file; the key hashes every file's bytes and the settings,
  so a warm rebuild reads the files once to hash them, maps the songs from disk and converts
  nothing.  The songs are memory-mapped: a corpus need not fit in RAM.
* Cache misses are converted on all cores (the reader is CPU-bound pure Python) by the builder
  image folders use too (``data/isolate.py``): crash isolation and a per-file time limit.

``cache_dir=None`` uses ``$CHAINER_VAE_CACHE/notestate``, else ``<checkout>/.cache/notestate``
(``~/.cache/chainer_vae/notestate`` for an installed package); ``cache_dir=False`` disables.
"""
import dataclasses
import functools
import hashlib
import json
import os
import sys

import numpy as np

from chainer_vae.data import isolate
from chainer_vae.data.midi import notestate as M
from chainer_vae.data.midi.windows import N_BYTES, pack
from chainer_vae import files
from chainer_vae.errors import DataError
from chainer_vae.files import atomic_path
from chainer_vae.data.midi.authors import read_authors, SIXTEENTHS_PER_QUARTER

CACHE_VERSION = 2  # 2: packed per step; bump when the conversion changes meaning
FILE_SECONDS = 120  # one MIDI file in a worker (a lute file of ~10 KB reads in about 0.01 s): only a runaway hits it


def default_cache_dir():
    return files.cache_dir("notestate")


def read_capped(path, max_bytes=None):
    """A file's bytes; DataError when unreadable or over ``max_bytes`` (not read past it)."""
    try:
        with open(path, "rb") as f:
            data = f.read() if max_bytes is None else f.read(max_bytes + 1)
    except OSError as e:
        raise DataError(f"cannot read {path}: {e.strerror or e}") from e
    if max_bytes is not None and len(data) > max_bytes:
        raise DataError(f"{path}: file larger than {max_bytes:,} bytes (the reader's cap); "
                        f"not a song this model can use")
    return data


class SongCache:
    def __init__(self, directory):
        self.dir = None if directory is False else os.fspath(directory or default_cache_dir())
        self.hits = self.misses = 0

    @staticmethod
    def key(data, kind):
        tag = f"{kind}/v{CACHE_VERSION}/lo{M.LOWEST_PITCH}/n{M.N_PITCHES}/spq{M.STEPS_PER_QUARTER}/"
        return hashlib.sha256(tag.encode() + data).hexdigest()

    def load(self, key):
        """(packed (T, 20) uint8, meta) or None."""
        if self.dir is None:
            return None
        try:
            with np.load(os.path.join(self.dir, key + ".npz"), allow_pickle=False) as z:
                meta = json.loads(str(z["meta"]))
                packed = z["packed"]
            if packed.shape != (meta["n_steps"], N_BYTES) or packed.dtype != np.uint8:
                return None
        except Exception:  # missing, truncated, foreign: a cache must never break a load
            return None
        self.hits += 1
        return packed, meta

    def save(self, key, packed, meta):
        self.misses += 1
        if self.dir is None:
            return
        try:
            with atomic_path(os.path.join(self.dir, key + ".npz")) as tmp:
                with open(tmp, "wb") as f:
                    np.savez_compressed(f, packed=packed, meta=json.dumps(meta))
        except OSError as e:  # read-only or full disk: carry on uncached, say so once
            print(f"warning: not caching converted songs in {self.dir}: {e}", file=sys.stderr)
            self.dir = None

    # ------------------------------------------------------------------ whole builds
    def load_build(self, key):
        """(memory-mapped packed songs, record) of a finished build, or None."""
        if self.dir is None:
            return None
        base = os.path.join(self.dir, "corpus", key)
        try:
            with open(base + ".json") as f:
                record = json.load(f)
            packed = np.load(base + ".npy", mmap_mode="r")
            if packed.shape != (record["total_steps"], N_BYTES):
                return None
        except Exception:
            return None
        return packed, record

    def save_build(self, key, parts, record):
        """Write the songs ``parts`` back to back (no second copy in memory) and the record;
        return the memory-mapped result (or the songs concatenated when uncached)."""
        total = sum(len(p) for p in parts)
        if self.dir is not None:
            base = os.path.join(self.dir, "corpus", key)
            try:
                with atomic_path(base + ".npy") as tmp:
                    out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=(total, N_BYTES))
                    row = 0
                    for p in parts:
                        out[row:row + len(p)] = p
                        row += len(p)
                    out.flush()
                    del out
                with atomic_path(base + ".json") as tmp, open(tmp, "w") as f:
                    json.dump(dict(record, total_steps=total), f)
                return np.load(base + ".npy", mmap_mode="r")
            except OSError as e:
                print(f"warning: not caching the corpus in {self.dir}: {e}", file=sys.stderr)
        return np.concatenate(parts) if parts else np.zeros((0, N_BYTES), np.uint8)


def convert_midi(path):
    """One MIDI file -> (packed, meta dict); DataError for unusable files."""
    matrix, info = M.read_notestate(path)
    return pack(matrix), dataclasses.asdict(info)


def convert_midi_authors(path):
    """One MIDI file read as the authors' midi_manipulation did (``authors.py``) -> (packed, meta
    dict); meta["stopped_by"] is [numerator, tick, step] of the time signature that ended the
    reading, or None."""

    reading = read_authors(path)
    meta = dataclasses.asdict(reading.info)
    meta["stopped_by"] = None if reading.stopped_by is None else [
        reading.stopped_by[0], reading.stopped_by[1], reading.stopped_by[1] // (reading.resolution // SIXTEENTHS_PER_QUARTER)]
    return pack(reading.matrix), meta


# --reader: how a MIDI file becomes a song, and the cache kind of its songs (a song read one way
# is never taken for the other's).
READERS = {"ours": (convert_midi, "midi"), "authors": (convert_midi_authors, "midi-authors")}


def _job(cache_dir, convert, item):
    """Worker: convert, cache, and return the song -- or the report line that skips it.  One
    file never aborts a corpus: anything but a DataError (even MemoryError) is the reader's
    fault, reported by name (tests/test_midi_fuzz.py holds the reader to DataError only)."""
    path, key = item
    try:
        packed, meta = convert(path)
    except DataError as e:
        return None, f"skipped: {e}"
    except Exception as e:  # noqa: BLE001 - the last line of defence
        why = " ".join(f"{type(e).__name__}: {e}".split())[:300]
        return None, f"skipped: {path}: unexpected error in the reader ({why})"
    SongCache(cache_dir).save(key, packed, meta)
    return (packed, meta), None


def _failed(item, cause):
    """data/isolate.py's causes (a timeout, a dead worker) as a skip line naming the file."""
    return None, f"skipped: {item[0]}: {cause}"


def convert_all(jobs, cache, convert=convert_midi, workers=None, on_done=None):
    """Convert ``jobs`` [(path, key)] that the cache misses, on ``workers`` processes (default:
    all cores) through the builder image folders use too (data/isolate.py: a file that crashes
    its worker or takes over FILE_SECONDS is skipped by name); returns [(packed, meta) or None]
    in job order and the report lines of skipped files.  on_done(n) is called as results arrive."""
    results, lines = [None] * len(jobs), []
    todo = []
    for i, (path, key) in enumerate(jobs):
        got = cache.load(key)
        if got is None:
            todo.append(i)
        else:
            results[i] = (got[0], dict(got[1], path=os.fspath(path)))  # same bytes may live elsewhere
    if on_done:
        on_done(len(jobs) - len(todo))
    work = functools.partial(_job, False if cache.dir is None else cache.dir, convert)
    for i, song, line in isolate.convert_all([(i, jobs[i]) for i in todo], work, seconds=FILE_SECONDS,
                                             workers=workers, on_done=on_done, failed=_failed,
                                             who="the MIDI reader"):
        results[i] = song
        if line:
            lines.append((i, line))
    cache.misses += len(todo)
    return results, [line for _, line in sorted(lines)]
