"""Converting image files on all cores, and the per-folder build cache of their pixels.

* ``convert_all`` reads images (``file.read_image``) in a process pool, in chunks, and
  yields every result as it arrives; when a worker dies (a decoder crash, the OOM killer), the
  files not yet converted are retried one file a process (on as many processes), and the file
  that kills its process is skipped by name.  A file taking over ``FILE_SECONDS`` in a worker is skipped too.
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
import concurrent.futures
import contextlib
import glob
import hashlib
import json
import multiprocessing
import os
import signal
import sys
import tempfile
import threading

import numpy as np

from chainer_vae.data.images import file
from chainer_vae import files
from chainer_vae.files import atomic_path

READER_VERSION = 2  # bump when read_image's output changes meaning (2: truncated JPEGs skipped)
FILE_SECONDS = 30   # one image in a worker; the slowest valid 64 MP PNG decodes in ~2 s
CHUNK = 64          # images a pool task (amortizes the inter-process traffic)


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
class _Timeout(BaseException):  # not an Exception: read_image's own handlers must not eat it
    pass


def _on_alarm(signum, frame):
    raise _Timeout()


def _read_one(path, settings):
    """(pixels or None, note or cause) for one file, within FILE_SECONDS where signals allow."""
    timed = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if timed:
        old = signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, FILE_SECONDS)
    try:
        pixels, note = file.read_image(path, settings["size"], settings["channels"],
                                             settings["fit"], settings["background"])
        return pixels, note
    except file.ImageSkip as e:
        return None, e.cause
    except _Timeout:
        return None, f"took over {FILE_SECONDS} s to decode (given up)"
    finally:
        if timed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)


def _chunk_job(args):
    """Worker: one chunk [(i, path)] -> [(i, pixels or None, note or cause)]."""
    jobs, settings = args
    return [(i,) + _read_one(path, settings) for i, path in jobs]


def _fork_pool(workers):
    # fork: the workers inherit the imported reader; they never touch a GPU.
    return concurrent.futures.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))


def _serial(jobs, settings, on_done):
    for i, path in jobs:
        yield (i,) + _read_one(path, settings)
        if on_done:
            on_done(1)


def convert_all(jobs, settings, workers=None, on_done=None):
    """Yield (i, pixels or None, note or cause) for every (i, path) of ``jobs``, in any order;
    on_done(n) after every n results.  ``workers``: processes (default: all cores)."""
    jobs = list(jobs)
    workers = min(workers or os.cpu_count() or 1, len(jobs))
    if workers <= 1 or len(jobs) < 8:
        yield from _serial(jobs, settings, on_done)
        return
    try:
        pool = _fork_pool(workers)
    except (OSError, ValueError) as e:  # no fork here, or out of processes: one process then
        print(f"warning: no process pool for the image reader ({e}); converting in this process",
              file=sys.stderr)
        yield from _serial(jobs, settings, on_done)
        return
    size = max(1, min(CHUNK, len(jobs) // (4 * workers)))
    chunks = [jobs[k:k + size] for k in range(0, len(jobs), size)]
    suspects, futures = [], {}
    try:
        for k, c in enumerate(chunks):
            try:
                futures[pool.submit(_chunk_job, (c, settings))] = c
            except Exception:  # noqa: BLE001 - the pool broke while filling: isolate the rest
                suspects += [job for rest in chunks[k:] for job in rest]
                break
        for f in concurrent.futures.as_completed(futures):
            c = futures.pop(f)
            try:
                results = f.result()
            except Exception:  # noqa: BLE001 - BrokenProcessPool: a worker died (crash, OOM kill)
                suspects += c
                continue
            yield from results
            if on_done:
                on_done(len(results))
    finally:  # also when the caller stops early: drop what has not started
        pool.shutdown(wait=True, cancel_futures=True)
    yield from _isolated(sorted(suspects), settings, on_done, workers)


def _isolated(jobs, settings, on_done, workers=1):
    """After a worker died: every file not yet converted, one at a time in each of ``workers``
    one-process pools, so the file that kills its process is known (and skipped by name) and
    the others are converted.  A pool whose process died is replaced."""
    died = "the image reader's process died on this file (a decoder crash or out of memory)"
    pending, pools, busy = list(reversed(jobs)), [None] * max(1, workers), {}  # future -> (slot, job)
    try:
        while pending or busy:
            for slot in range(len(pools)):
                if not pending or slot in (k for k, _ in busy.values()):
                    continue
                i, path = job = pending.pop()
                try:
                    pools[slot] = pools[slot] or _fork_pool(1)
                    busy[pools[slot].submit(_chunk_job, ([job], settings))] = (slot, job)
                except Exception as e:  # noqa: BLE001 - no process to be had: skip, say why
                    yield i, None, f"no process to read it in ({file._why(e)})"
                    if on_done:
                        on_done(1)
            if not busy:
                continue
            done, _ = concurrent.futures.wait(busy, return_when=concurrent.futures.FIRST_COMPLETED)
            for f in done:
                slot, (i, path) = busy.pop(f)
                try:
                    yield f.result()[0]
                except Exception as e:  # noqa: BLE001 - BrokenProcessPool, or a bug in the reader
                    broken = isinstance(e, concurrent.futures.process.BrokenProcessPool)
                    yield i, None, (died if broken else
                                    f"unexpected error in the image reader ({file._why(e)})")
                    pools[slot].shutdown(wait=True)
                    pools[slot] = None
                if on_done:
                    on_done(1)
    finally:
        for pool in pools:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)


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
