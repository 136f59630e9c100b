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

Reading (``reader``): "ours" reads whole pieces (``notestate.py``); "authors" reads as the
authors' midi_manipulation.midiToNoteStateMatrix did (``authors.py``): it stops at the first time
signature other than 2/x or 4/x (the lute's cs5-1pre at its 3/8, step 416 of 1,598, so its 200
windows start within 317 steps), samples each sixteenth half a step after its boundary and keeps
percussion.  Each song records where that reading stopped, the report says which songs it cut.

Songs are held once, bit-packed, and windows are cut when a batch is drawn (``midi/windows.py``);
conversion runs on all cores and is cached per song and per build (``midi/songcache.py``).

With ``midi_dir=None`` the data are the Bach works bundled with music21 (offline), split by mode
into "major" / "minor" like the paper's E-flat major / C minor classes; see ``bach.py``.
"""
import collections
import dataclasses
import hashlib
import json
import os

import numpy as np

from chainer_vae.data.classes import check_root, class_files, entry_problem
from chainer_vae.data.midi import bach, smf
from chainer_vae.data.midi.bach import export_corpus_midi  # noqa: F401  (part of this API)
from chainer_vae.data.midi.songcache import READERS, SongCache, convert_all, read_capped
from chainer_vae.data.midi.windows import Windows, window_starts
from chainer_vae.errors import ConfigError, DataError
from chainer_vae.files import display_name, say_source, short_path
from chainer_vae.progress import counter

MIDI_EXTENSIONS = (".mid", ".midi", ".kar")
NO_FOLDER_FOR_AUTHORS = ("--reader authors reads MIDI files, and music21's Bach corpus is scores: give "
                         "--midi-dir (e.g. ../shared/data/midi/bach_lute)")


@dataclasses.dataclass
class MidiData:
    train_x: Windows     # (N, window, 156) windows, cut from the packed songs per batch
    train_y: np.ndarray  # (N,) int32 class index
    test_x: Windows
    test_y: np.ndarray
    classes: list
    songs: list  # per song: name, path, class, n_steps, tempo_bpm, windows, split, ...
    report: list  # one line per skipped file, naming it and the reason, then a summary line
    source: str


def song_windows(matrix, window=100, n=200):
    """(T, 156) song -> (n, window, 156) uint8 windows at ``window_starts`` (the stored windows
    of the original code; the corpus cuts the same windows on the fly)."""
    starts = window_starts(len(matrix), window, n)
    return np.asarray(matrix, np.uint8)[starts[:, None] + np.arange(window)]


def _count_bar(label, total, progress):
    """on_done(n) for convert_all: songs done, songs per second and ETA on stderr."""
    return counter(label, total, progress, unit="songs")


# ----------------------------------------------------------------------------- sources
# A source returns ({class: [(offset, n_steps, meta)]}, packed songs (S, 20), report, name):
# every song is rows offset .. offset + n_steps of the packed array.

def _midi_files(midi_dir, report):
    """(classes, [(class, path)]) in sorted order, in the class-folder layout (data/classes.py).
    Entries that cannot be read (link loops, dangling links, unreadable folders) get a line each."""
    def entries(folder):
        try:
            return sorted(os.listdir(folder))
        except OSError as e:
            report.append(f"skipped: {folder}: cannot list the folder ({e.strerror or e})")
            return []

    def midi_files(folder):
        found = []
        for f in entries(folder):
            path = os.path.join(folder, f)
            why = None if f.startswith(".") else entry_problem(path, in_class=folder != midi_dir)
            if why:
                report.append(f"skipped: {path}: {why}")
            elif f.startswith(".") or not os.path.isfile(path):
                continue  # hidden, or a folder the class's walk reads
            elif f.lower().endswith(MIDI_EXTENSIONS):
                found.append(path)
            else:
                others[os.path.splitext(f)[1].lower() or "(none)"] += 1
        return found

    others = collections.Counter()
    subdirs = [d for d in entries(midi_dir) if not d.startswith(".") and os.path.isdir(os.path.join(midi_dir, d))]
    found = class_files(midi_dir, subdirs, midi_files, "MIDI", report, onerror=lambda e: report.append(
        f"skipped: {e.filename}: cannot list the folder ({e.strerror or e})"))
    if others:  # every entry is accounted for: these in one line
        kinds = ", ".join(f"{e}: {n}" for e, n in others.most_common(5)) + (", ..." if len(others) > 5 else "")
        n = sum(others.values())
        report.append(f"ignored: {n} file{'s' * (n != 1)} that {'are' if n != 1 else 'is'} not MIDI "
                      f"({', '.join(MIDI_EXTENSIONS)}): {kinds}")
    return found


def _load_folder(midi_dir, window, max_per_class, cache, progress, reader="ours"):
    midi_dir = os.fspath(midi_dir)
    check_root(midi_dir, "MIDI folder")
    name, report = os.path.basename(os.path.abspath(midi_dir)), []
    classes, files = _midi_files(midi_dir, report)
    convert, kind = READERS[reader]
    keyed = []  # (class, path, song key): reading and hashing every file is the whole warm cost
    for cls, path in files:
        try:
            keyed.append((cls, path, SongCache.key(read_capped(path, smf.MAX_FILE_BYTES), kind)))
        except DataError as e:
            report.append(f"skipped: {e}")
    build = hashlib.sha256(json.dumps([window, max_per_class, [
        (c, os.path.relpath(p, midi_dir), k) for c, p, k in keyed]] + ([reader] if reader != "ours" else []))
        .encode()).hexdigest()
    warm = cache.load_build(build)
    if warm is not None:
        packed, record = warm
        cache.hits += record["n_songs"]
        by_class = {cls: [] for cls in classes}
        for cls, offset, n_steps, rel in record["songs"]:
            meta = dict(record["meta"][rel], path=os.path.join(midi_dir, rel))
            by_class[cls].append((offset, n_steps, meta))
        return by_class, packed, report + record["report"], name

    # Every file is converted (and cached), even past --max-songs-per-class or in --smoke: the
    # report then tells of every bad file in the folder, not only of those a quota reached.
    on_done = _count_bar("converting MIDI in %s" % name, len(keyed), progress)
    songs, lines = convert_all([(p, k) for _, p, k in keyed], cache, convert=convert, on_done=on_done)
    by_class, parts, offset = {cls: [] for cls in classes}, [], 0
    for (cls, path, _), song in zip(keyed, songs):
        if song is None:
            continue
        packed, meta = song
        if len(packed) < window:
            lines.append(f"skipped: {path}: too short ({len(packed)} steps < window of {window})")
            continue
        if max_per_class is not None and len(by_class[cls]) >= max_per_class:
            continue  # usable, beyond the quota: a song of this class that the run leaves out
        by_class[cls].append((offset, len(packed), meta))
        parts.append(packed)
        offset += len(packed)
    record = {"n_songs": len(parts), "report": lines,
              "songs": [(cls, o, n, os.path.relpath(m["path"], midi_dir))
                        for cls, entries in by_class.items() for o, n, m in entries],
              "meta": {os.path.relpath(m["path"], midi_dir): {k: v for k, v in m.items() if k != "path"}
                       for entries in by_class.values() for _, _, m in entries}}
    packed = cache.save_build(build, parts, record)
    return by_class, packed, report + lines, name


# ----------------------------------------------------------------------------- dataset
def _portable(path, midi_dir):
    """A song's path as committed results show it: relative to its MIDI folder, or to music21's
    corpus -- never a folder of the machine that ran it."""
    if midi_dir is None:
        marker = os.sep + "corpus" + os.sep
        path = os.fspath(path)
        return path.split(marker, 1)[1] if marker in path else os.path.basename(path)
    return os.path.relpath(os.path.abspath(path), os.path.abspath(midi_dir))


def _check_arguments(midi_dir, window, windows_per_song, split, test_fraction, reader):
    if split not in ("window", "song"):
        raise ConfigError(f"split must be 'window' or 'song', not {split!r}")
    if reader not in READERS:
        raise ConfigError(f"reader must be one of {', '.join(READERS)}, not {reader!r}")
    if reader != "ours" and midi_dir is None:
        raise ConfigError(NO_FOLDER_FOR_AUTHORS)
    if not 0 < test_fraction < 1 or window < 1 or windows_per_song < 1:
        raise ConfigError("need 0 < test_fraction < 1, window >= 1, windows_per_song >= 1")


def _read_songs(midi_dir, window, max_songs_per_class, cache, progress, reader):
    """(songs by class, packed steps, report lines, source name, classes with songs)."""
    say_source("MIDI: music21's own Bach corpus (no --midi-dir: %d major + %d minor works)" % (
        (max_songs_per_class or bach.SONGS_PER_CLASS,) * 2) if midi_dir is None
        else "MIDI: the folder %s" % short_path(midi_dir))
    if midi_dir is None:
        by_class, packed, report, source = bach.load(
            window, max_songs_per_class or bach.SONGS_PER_CLASS, cache, _count_bar, progress)
    else:
        by_class, packed, report, source = _load_folder(midi_dir, window, max_songs_per_class, cache, progress,
                                                        reader)
    if reader != "ours":
        source += " (the authors' reader)"
    for cls in sorted(c for c, s in by_class.items() if not s):
        report.append(f"class '{display_name(cls)}' dropped: no usable songs")
    classes = sorted(c for c, s in by_class.items() if s)
    if not classes:
        where = midi_dir if midi_dir is not None else "the music21 Bach corpus"
        reasons = "; ".join(report[:3]) + (f"; and {len(report) - 3} more" if len(report) > 3 else "")
        raise DataError(f"no usable songs in {where}: {reasons or 'no MIDI files found'}")
    return by_class, packed, report, source, classes


def _split_class(rng, cls, entries, window, windows_per_song, split, test_fraction, source):
    """({"train": window starts, "test": window starts}, each song's split) of one class.

    The original's split, on window starts instead of stored windows: the same random draws
    pick the same windows, so the batches are element for element the original's."""
    starts = [offset + window_starts(n_steps, window, windows_per_song) for offset, n_steps, _ in entries]
    if split == "window":
        pooled = np.concatenate(starts)
        perm = rng.permutation(len(pooled))
        n_train = len(pooled) - int(round(len(pooled) * test_fraction))
        return {"train": pooled[perm[:n_train]], "test": pooled[perm[n_train:]]}, ["both"] * len(entries)
    if len(entries) < 2:
        raise DataError(f"split='song' (--split song) needs at least 2 usable songs in class "
                        f"'{display_name(cls)}', found {len(entries)} ({source}): add songs, or pass --split window")
    n_test = max(1, int(round(len(entries) * test_fraction)))
    order = rng.permutation(len(entries))
    song_split = ["train"] * len(entries)
    for j in order[:n_test]:
        song_split[j] = "test"
    return ({s: np.concatenate([w for w, sp in zip(starts, song_split) if sp == s]) for s in ("train", "test")},
            song_split)


def _song_record(meta, n_steps, cls, sp, windows_per_song, midi_dir):
    """What the results say of one song (no folder of this machine: ``_portable``)."""
    return {"name": os.path.basename(meta["path"]), "path": _portable(meta["path"], midi_dir),
            "class": cls, "n_steps": n_steps, "tempo_bpm": meta["tempo_bpm"],
            "windows": windows_per_song, "split": sp, "n_notes": meta["n_notes"],
            "dropped_out_of_range": meta["dropped_out_of_range"],
            "dropped_percussion": meta["dropped_percussion"],
            **({"stopped_by": meta["stopped_by"]} if "stopped_by" in meta else {})}


def load_midi_dataset(midi_dir=None, window=100, windows_per_song=200, split="window",
                      test_fraction=0.2, seed=0, cache_dir=None, max_songs_per_class=None,
                      progress=True, reader="ours"):
    """Build a MidiData; ``max_songs_per_class=None`` means all (MIDI) or 4 (music21 corpus).

    reader: "ours" (``notestate.read_notestate``: whole pieces) or "authors" (``authors.py``:
    the authors' midi_manipulation, which stops at the first time signature other than 2/x or
    4/x; a MIDI folder only).  Each song then says where that reading stopped (``stopped_by``),
    and the report has a line per song it cut short."""
    _check_arguments(midi_dir, window, windows_per_song, split, test_fraction, reader)
    cache = SongCache(cache_dir)
    by_class, packed, report, source, classes = _read_songs(midi_dir, window, max_songs_per_class, cache,
                                                            progress, reader)
    rng = np.random.RandomState(seed)
    parts = {"train": ([], []), "test": ([], [])}
    songs = []
    for ci, cls in enumerate(classes):
        entries = by_class[cls]
        chosen, song_split = _split_class(rng, cls, entries, window, windows_per_song, split, test_fraction, source)
        for s, (xs, ys) in parts.items():
            xs.append(chosen[s])
            ys.append(np.full(len(chosen[s]), ci, np.int32))
        for (_, n_steps, meta), sp in zip(entries, song_split):
            songs.append(_song_record(meta, n_steps, cls, sp, windows_per_song, midi_dir))
            if meta.get("stopped_by"):
                numerator, tick, step = meta["stopped_by"]
                report.append(f"cut short: {songs[-1]['path']}: the authors' reader stops at its {numerator}/x "
                              f"time signature at tick {tick:,} (step {step:,}): {n_steps:,} steps read")
    (trs, try_), (tes, tey) = [(np.concatenate(xs), np.concatenate(ys)) for xs, ys in parts.values()]
    counts = ", ".join(f"{c}: {len(by_class[c])}" for c in classes)
    n_skipped = sum(line.startswith("skipped") for line in report)
    report.append(f"{source}: {len(songs)} songs in {len(classes)} classes ({counts}), "
                  f"{n_skipped} files skipped; {len(trs)} train / {len(tes)} test windows of "
                  f"{window} steps (split={split}); {cache.hits} from cache, {cache.misses} converted")
    # Names from here on are for people (console, figures, JSON): undecodable bytes escaped.
    # (A song's "path" stays as it is: scripts reopen it; files.write_json escapes it.)
    songs = [dict(song, **{"class": display_name(song["class"])}) for song in songs]
    return MidiData(train_x=Windows(packed, trs, window), train_y=try_, test_x=Windows(packed, tes, window),
                    test_y=tey, classes=[display_name(c) for c in classes], songs=songs,
                    report=[display_name(line) for line in report], source=display_name(source))
