"""Songs -> windows -> train/test sets, as the authors' MIDI experiment built them.

Layout (the paper's): a MIDI root folder whose sub-folders are the classes ("genres"), e.g.
``bach_lute/cminor`` and ``bach_lute/ebmajor`` with four files each; classes sorted by name.
A class takes the MIDI files at any depth of its folder (``cminor/suite1/prelude.mid``; hidden
folders skipped), in sorted order, folder by folder.  MIDI files lying beside the class folders
are not in any class: the report says so.  A folder with MIDI files and no sub-folders is one
class named after the folder.  A file that cannot be used is skipped with one report line naming
it and the reason; no single file aborts the build.

Each song gives ``windows_per_song`` windows of ``window`` steps with evenly spaced starts
``floor(i * (T - window) / n)`` for i in 0..n-1 -- the original's stride ``(T - window) / n``.
Its intent is evenly spread windows; taken literally the last window starts one stride short of
``T - window``, so the final < (T - window) / n steps of a song are never seen.  We keep the
formula as it was (a faithful reimplementation; the loss is under 1% of a song).

Split, per class (seeded with ``seed``):
* ``"window"`` (faithful default): shuffle the class's windows, first (1 - test_fraction) train,
  the rest test.  Overlapping windows of one song land on both sides, so test loss is optimistic.
* ``"song"``: shuffle the class's songs (sorted by path first) and hold out the first
  ``max(1, round(n_songs * test_fraction))`` whole songs; with 4 songs a class that is 3 / 1.

Converted songs are cached on disk (npz of packbits, written atomically) under a key hashing
the file's bytes and the conversion settings, so a rerun converts nothing.  ``cache_dir=None``
uses ``$CHAINER_VAE_CACHE``, else ``<checkout>/.cache/notestate``; ``cache_dir=False`` disables.

With ``midi_dir=None`` the data are the Bach works bundled with music21 (offline), split by mode
into "major" / "minor" like the paper's E-flat major / C minor classes; see ``_load_corpus``.
"""
import dataclasses
import hashlib
import json
import os
import sys
import time

import numpy as np

from chainer_vae.data import midi as M
from chainer_vae.errors import ConfigError, DataError
from chainer_vae.io import atomic_path

CACHE_VERSION = 1  # bump when the conversion changes meaning: old entries are then ignored
MIDI_EXTENSIONS = (".mid", ".midi", ".kar")
CORPUS_EXTENSIONS = (".mxl", ".xml", ".musicxml", ".krn")  # not .rntxt: analyses, not scores
CORPUS_SONGS_PER_CLASS = 4  # the paper had four files per class


@dataclasses.dataclass
class MidiData:
    train_x: np.ndarray  # (N, window, 156) uint8; made float32 per batch by the training loop
    train_y: np.ndarray  # (N,) int32 class index
    test_x: np.ndarray
    test_y: np.ndarray
    classes: list
    songs: list  # per song: name, path, class, n_steps, tempo_bpm, windows, split, ...
    report: list  # one line per skipped file, naming it and the reason, then a summary line
    source: str


def window_starts(n_steps, window=100, n=200):
    """Evenly spaced starts floor(i * (T - window) / n), exact in integer arithmetic."""
    if n_steps < window:
        raise ValueError(f"song of {n_steps} steps is shorter than the window ({window})")
    return (np.arange(n, dtype=np.int64) * (n_steps - window)) // n


def song_windows(matrix, window=100, n=200):
    """(T, 156) song -> (n, window, 156) uint8 windows at ``window_starts``."""
    starts = window_starts(len(matrix), window, n)
    return np.asarray(matrix, np.uint8)[starts[:, None] + np.arange(window)]


# ----------------------------------------------------------------------------- cache
def default_cache_dir():
    if os.environ.get("CHAINER_VAE_CACHE"):
        return os.path.join(os.environ["CHAINER_VAE_CACHE"], "notestate")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if os.path.exists(os.path.join(root, "pyproject.toml")):  # a source checkout
        return os.path.join(root, ".cache", "notestate")
    return os.path.join(os.path.expanduser("~"), ".cache", "chainer_vae", "notestate")


class SongCache:
    """Converted songs on disk; a missing or unreadable entry is just a miss."""

    def __init__(self, directory):
        self.dir = None if directory is False else os.fspath(directory or default_cache_dir())
        self.hits = self.misses = 0

    @staticmethod
    def key(data, kind):
        tag = f"{kind}/v{CACHE_VERSION}/lo{M.LOWEST_PITCH}/n{M.N_PITCHES}/spq{M.STEPS_PER_QUARTER}/"
        return hashlib.sha256(tag.encode() + data).hexdigest()

    def load(self, key):
        if self.dir is None:
            return None
        try:
            with np.load(os.path.join(self.dir, key + ".npz"), allow_pickle=False) as z:
                meta = json.loads(str(z["meta"]))
                bits = np.unpackbits(z["bits"], count=meta["n_steps"] * M.N_FEATURES)
        except Exception:  # missing, truncated, foreign: a cache must never break a load
            return None
        self.hits += 1
        return bits.reshape(meta["n_steps"], M.N_FEATURES), meta

    def save(self, key, matrix, meta):
        self.misses += 1
        if self.dir is None:
            return
        try:
            with atomic_path(os.path.join(self.dir, key + ".npz")) as tmp:
                with open(tmp, "wb") as f:
                    np.savez_compressed(f, bits=np.packbits(matrix.astype(bool)), meta=json.dumps(meta))
        except OSError as e:  # read-only or full disk: carry on uncached, say so once
            print(f"warning: not caching converted songs in {self.dir}: {e}", file=sys.stderr)
            self.dir = None


def _convert(path, cache, kind, convert, max_bytes=None):
    """Cached ``convert(path) -> (matrix, meta dict)``; DataError for unreadable files and for
    files over ``max_bytes`` (not read past it)."""
    try:
        with open(path, "rb") as f:
            data = f.read() if max_bytes is None else f.read(max_bytes + 1)
    except OSError as e:
        raise DataError(f"cannot read {path}: {e.strerror or e}") from e
    if max_bytes is not None and len(data) > max_bytes:
        raise DataError(f"{path}: file larger than {max_bytes:,} bytes (the reader's cap); "
                        f"not a song this model can use")
    key = SongCache.key(data, kind)
    got = cache.load(key)
    if got is not None:
        return got[0], dict(got[1], path=os.fspath(path))  # same bytes may live elsewhere
    matrix, meta = convert(path)
    cache.save(key, matrix, meta)
    return matrix, meta


def _read_midi(path):
    matrix, info = M.read_notestate(path)
    return matrix, dataclasses.asdict(info)


def _convert_or_report(path, cache, kind, convert, report, max_bytes=None):
    """``_convert``, or None with one line in ``report`` naming the file and the reason.

    One file never aborts a corpus: the readers raise DataError for everything they know to be
    wrong (tests/test_midi_fuzz.py holds the MIDI reader to that), and anything else, even
    MemoryError, is reported here as the reader's fault rather than ending the build.
    """
    try:
        return _convert(path, cache, kind, convert, max_bytes)
    except DataError as e:
        report.append(f"skipped: {e}")
    except Exception as e:  # noqa: BLE001 - the last line of defence, reported by name
        why = " ".join(f"{type(e).__name__}: {e}".split())[:300]
        report.append(f"skipped: {path}: unexpected error in the reader ({why})")
    return None


class _Progress:
    """Progress lines on stderr, only once work has taken more than a moment."""

    def __init__(self, label, total, enabled):
        self.label, self.total, self.enabled = label, total, enabled
        self.t0 = self.last = time.perf_counter()
        self.shown = False

    def step(self, i, name):
        now = time.perf_counter()
        if self.enabled and now - self.t0 > 0.5 and (now - self.last > 1.0 or not self.shown):
            print(f"{self.label}: {i}/{self.total} {name}", file=sys.stderr, flush=True)
            self.last, self.shown = now, True


# ----------------------------------------------------------------------------- sources
def _load_folder(midi_dir, window, max_per_class, cache, progress):
    midi_dir = os.fspath(midi_dir)
    if not os.path.isdir(midi_dir):
        raise DataError(f"MIDI folder {midi_dir} does not exist or is not a folder")

    def midi_files(folder):
        return [os.path.join(folder, f) for f in sorted(os.listdir(folder))
                if f.lower().endswith(MIDI_EXTENSIONS) and os.path.isfile(os.path.join(folder, f))]

    subdirs = sorted(d for d in os.listdir(midi_dir)
                     if not d.startswith(".") and os.path.isdir(os.path.join(midi_dir, d)))
    class_dirs = [(d, os.path.join(midi_dir, d)) for d in subdirs] or \
        [(os.path.basename(os.path.abspath(midi_dir)), midi_dir)]
    by_class, report = {cls: [] for cls, _ in class_dirs}, []
    loose = midi_files(midi_dir) if subdirs else []
    if loose:
        names = ", ".join(os.path.basename(f) for f in loose[:5]) + (", ..." if len(loose) > 5 else "")
        report.append(f"ignored: {len(loose)} MIDI file{'s' * (len(loose) != 1)} directly in {midi_dir} "
                      f"({names}): with sub-folders present, each sub-folder is a class")
    files = []
    for cls, d in class_dirs:  # a class takes the MIDI files at any depth of its folder
        for folder, dirs, _ in os.walk(d):
            dirs[:] = sorted(x for x in dirs if not x.startswith("."))
            files += [(cls, path) for path in midi_files(folder)]
    bar = _Progress(f"converting MIDI in {midi_dir}", len(files), progress)
    for i, (cls, path) in enumerate(files):
        if max_per_class is not None and len(by_class[cls]) >= max_per_class:
            continue
        bar.step(i + 1, os.path.basename(path))
        got = _convert_or_report(path, cache, "midi", _read_midi, report, max_bytes=M.MAX_FILE_BYTES)
        if got is None:
            continue
        matrix, meta = got
        if len(matrix) < window:
            report.append(f"skipped: {path}: too short ({len(matrix)} steps < window of {window})")
            continue
        by_class[cls].append((matrix, meta))
    return by_class, report, os.path.basename(os.path.abspath(midi_dir))


def _bach_corpus_paths():
    from music21 import corpus

    return sorted(str(p) for p in corpus.getComposer("bach")
                  if str(p).lower().endswith(CORPUS_EXTENSIONS))


def _mode_of(score):
    """Mode as notated (first Key in the score); Krumhansl analysis when not notated."""
    from music21 import key

    first = score.recurse().getElementsByClass(key.KeySignature).first()
    mode = getattr(first, "mode", None)  # a Key has a mode; a bare KeySignature does not
    return mode if mode in ("major", "minor") else score.analyze("key").mode


def _parse_corpus_work(path):
    from music21 import converter

    try:
        score = converter.parse(path)
    except Exception as e:  # music21 raises many types for bad scores
        raise DataError(f"{path}: music21 cannot parse it ({type(e).__name__}: {e})") from e
    matrix, info = M.stream_to_notestate(score, path)
    return matrix, dict(dataclasses.asdict(info), mode=_mode_of(score))


def _load_corpus(window, max_per_class, cache, progress):
    """The first ``max_per_class`` works of each mode, in sorted path order, >= window steps.

    Sorted order makes the choice deterministic; the mode is read from the work itself, so
    works are parsed (and cached) in that order until both classes are full.
    """
    import music21

    paths = _bach_corpus_paths()
    kind = f"m21stream-{music21.__version__}"  # another music21 may parse scores differently
    by_class, report = {"major": [], "minor": []}, []
    bar = _Progress("converting music21 Bach corpus", max_per_class * 2, progress)
    for path in paths:
        if all(len(v) >= max_per_class for v in by_class.values()):
            break
        bar.step(sum(map(len, by_class.values())), os.path.basename(path))
        got = _convert_or_report(path, cache, kind, _parse_corpus_work, report)
        if got is None:
            continue
        matrix, meta = got
        songs = by_class.get(meta["mode"])
        if songs is None or len(songs) >= max_per_class:
            continue  # other modes, or that class is already full: not used, not an error
        if len(matrix) < window:
            report.append(f"skipped: {path}: too short ({len(matrix)} steps < window of {window})")
            continue
        songs.append((matrix, meta))
    return by_class, report, "music21 Bach corpus (major/minor)"


def export_corpus_midi(out_dir, n=100, progress=True):
    """Write the first ``n`` music21 Bach works (sorted paths) as MIDI; existing files are kept."""
    from music21 import converter

    written = []
    paths = _bach_corpus_paths()[:n]
    bar = _Progress(f"exporting music21 Bach corpus to {out_dir}", len(paths), progress)
    for i, path in enumerate(paths):
        bar.step(i + 1, os.path.basename(path))
        out = os.path.join(out_dir, os.path.splitext(os.path.basename(path))[0] + ".mid")
        if not os.path.exists(out):
            with atomic_path(out) as tmp:
                converter.parse(path).write("midi", fp=tmp)
        written.append(out)
    return written


# ----------------------------------------------------------------------------- dataset
def _portable(path, midi_dir):
    """A song's path as committed results show it: relative to its MIDI folder, or to music21's
    corpus -- never a folder of the machine that ran it."""
    if midi_dir is None:
        marker = os.sep + "corpus" + os.sep
        path = os.fspath(path)
        return path.split(marker, 1)[1] if marker in path else os.path.basename(path)
    return os.path.relpath(os.path.abspath(path), os.path.abspath(midi_dir))


def load_midi_dataset(midi_dir=None, window=100, windows_per_song=200, split="window",
                      test_fraction=0.2, seed=0, cache_dir=None, max_songs_per_class=None,
                      progress=True):
    """Build a MidiData; ``max_songs_per_class=None`` means all (MIDI) or 4 (music21 corpus)."""
    if split not in ("window", "song"):
        raise ConfigError(f"split must be 'window' or 'song', not {split!r}")
    if not 0 < test_fraction < 1 or window < 1 or windows_per_song < 1:
        raise ConfigError("need 0 < test_fraction < 1, window >= 1, windows_per_song >= 1")
    cache = SongCache(cache_dir)
    if midi_dir is None:
        by_class, report, source = _load_corpus(window, max_songs_per_class or CORPUS_SONGS_PER_CLASS,
                                                cache, progress)
    else:
        by_class, report, source = _load_folder(midi_dir, window, max_songs_per_class, cache, progress)
    for cls in sorted(c for c, s in by_class.items() if not s):
        report.append(f"class {cls!r} dropped: no usable songs")
    classes = sorted(c for c, s in by_class.items() if s)
    if not classes:
        where = midi_dir if midi_dir is not None else "the music21 Bach corpus"
        reasons = "; ".join(report[:3]) + (f"; and {len(report) - 3} more" if len(report) > 3 else "")
        raise DataError(f"no usable songs in {where}: {reasons or 'no MIDI files found'}")

    rng = np.random.RandomState(seed)
    parts = {"train": ([], []), "test": ([], [])}
    songs = []
    for ci, cls in enumerate(classes):
        entries = by_class[cls]
        wins = [song_windows(m, window, windows_per_song) for m, _ in entries]
        if split == "window":
            pooled = np.concatenate(wins)
            perm = rng.permutation(len(pooled))
            n_train = len(pooled) - int(round(len(pooled) * test_fraction))
            chosen = {"train": pooled[perm[:n_train]], "test": pooled[perm[n_train:]]}
            song_split = ["both"] * len(entries)
        else:
            if len(entries) < 2:
                raise DataError(f"split='song' needs at least 2 usable songs in class {cls!r}, "
                                f"found {len(entries)} ({source})")
            n_test = max(1, int(round(len(entries) * test_fraction)))
            order = rng.permutation(len(entries))
            song_split = ["train"] * len(entries)
            for j in order[:n_test]:
                song_split[j] = "test"
            chosen = {s: np.concatenate([w for w, sp in zip(wins, song_split) if sp == s])
                      for s in ("train", "test")}
        for s, (xs, ys) in parts.items():
            xs.append(chosen[s])
            ys.append(np.full(len(chosen[s]), ci, np.int32))
        for (matrix, meta), sp in zip(entries, song_split):
            songs.append({"name": os.path.basename(meta["path"]), "path": _portable(meta["path"], midi_dir),
                          "class": cls, "n_steps": len(matrix), "tempo_bpm": meta["tempo_bpm"],
                          "windows": windows_per_song, "split": sp, "n_notes": meta["n_notes"],
                          "dropped_out_of_range": meta["dropped_out_of_range"],
                          "dropped_percussion": meta["dropped_percussion"]})
    (trx, try_), (tex, tey) = [(np.concatenate(xs), np.concatenate(ys)) for xs, ys in parts.values()]
    counts = ", ".join(f"{c}: {len(by_class[c])}" for c in classes)
    n_skipped = sum(line.startswith("skipped") for line in report)
    report.append(f"{source}: {len(songs)} songs in {len(classes)} classes ({counts}), "
                  f"{n_skipped} files skipped; {len(trx)} train / {len(tex)} test windows of "
                  f"{window} steps (split={split}); {cache.hits} from cache, {cache.misses} converted")
    return MidiData(train_x=trx, train_y=try_, test_x=tex, test_y=tey, classes=classes,
                    songs=songs, report=report, source=source)
