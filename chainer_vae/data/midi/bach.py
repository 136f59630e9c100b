"""The default MIDI data: Bach works bundled with music21 (offline), by mode.

Without ``--midi-dir`` the corpus takes the first 4 works of each mode ("major", "minor", like
the paper's E-flat major / C minor lute classes) in sorted path order, parsed with music21 (the
mode is read from the work, so works are parsed -- and cached -- in that order until both
classes are full).
"""
import dataclasses
import os
import time

import numpy as np

from chainer_vae.data.midi import notestate as M
from chainer_vae.data.midi.songcache import SongCache, convert_all, read_capped
from chainer_vae.data.midi.windows import pack
from chainer_vae.errors import DataError
from chainer_vae.files import atomic_path
from chainer_vae.progress import Progress

EXTENSIONS = (".mxl", ".xml", ".musicxml", ".krn")  # not .rntxt: analyses, not scores
SONGS_PER_CLASS = 4  # the paper had four files per class


def _bach_corpus_paths():
    from music21 import corpus

    return sorted(str(p) for p in corpus.getComposer("bach")
                  if str(p).lower().endswith(EXTENSIONS))


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
    return pack(matrix), dict(dataclasses.asdict(info), mode=_mode_of(score))


def load(window, max_per_class, cache, count_bar, progress):
    """The first ``max_per_class`` works of each mode, in sorted path order, >= window steps.

    Sorted order makes the choice deterministic; the mode is read from the work itself, so
    works are parsed (and cached) in that order until both classes are full.
    """
    import music21

    kind = f"m21stream-{music21.__version__}"  # another music21 may parse scores differently
    by_class, parts, offset, report = {"major": [], "minor": []}, [], 0, []
    on_done = count_bar("converting music21 Bach corpus", max_per_class * 2, progress)
    for path in _bach_corpus_paths():
        if all(len(v) >= max_per_class for v in by_class.values()):
            break
        try:
            key = SongCache.key(read_capped(path), kind)
        except DataError as e:
            report.append(f"skipped: {e}")
            continue
        (song,), skipped = convert_all([(path, key)], cache, convert=_parse_corpus_work)
        report += skipped
        if song is None:
            continue
        packed, meta = song
        songs = by_class.get(meta["mode"])
        if songs is None or len(songs) >= max_per_class:
            continue  # other modes, or that class is already full: not used, not an error
        if len(packed) < window:
            report.append(f"skipped: {path}: too short ({len(packed)} steps < window of {window})")
            continue
        songs.append((offset, len(packed), meta))
        parts.append(packed)
        offset += len(packed)
        on_done(1)
    packed = np.concatenate(parts) if parts else np.zeros((0, 20), np.uint8)
    return by_class, packed, report, "music21 Bach corpus (major/minor)"


def write_work_midi(path, out):
    """Write one music21 corpus work as MIDI at ``out`` (atomically); None, or why music21 could not
    (bwv277.krn has badly formed repeats) in one line."""
    from music21 import converter

    try:
        with atomic_path(out) as tmp:
            converter.parse(path).write("midi", fp=tmp)
    except Exception as e:  # noqa: BLE001 - music21 raises many kinds on malformed works
        return "%s: music21 cannot write it as MIDI (%s: %s)" % (
            os.path.basename(path), type(e).__name__, " ".join(str(e).split())[:120])
    return None


def export_corpus_midi(out_dir, n=100, progress=True):
    """Write the first ``n`` music21 Bach works (sorted paths) that music21 can write as MIDI;
    existing files are kept.  A work music21 cannot write is skipped with one line naming it and
    the cause (write_work_midi), and the next one takes its place."""
    written = []
    bar, started = Progress(progress), time.perf_counter()
    for path in _bach_corpus_paths():
        if len(written) == n:
            break
        out = os.path.join(out_dir, os.path.splitext(os.path.basename(path))[0] + ".mid")
        why = None if os.path.exists(out) else write_work_midi(path, out)
        if why:
            bar.line("skipped " + why)
            continue
        written.append(out)
        bar.bar("exporting music21 Bach corpus", len(written), n, started, unit="works")
    return written
