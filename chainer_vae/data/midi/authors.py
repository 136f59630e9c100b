"""MIDI -> note-state matrix the way the authors read their data: ``midi_manipulation.py``.

The authors' VAE_midi.py (github.com/FiammettaS/Computational-Neuroscience-project) loads each
song with ``midi_manipulation.midiToNoteStateMatrix(f)``, the widely copied python-midi based
reader (hexahedria's biaxial-rnn-music-composition, dshieble's Music_RBM / Music_RNN_RBM,
llSourcell's Music_Generator_Demo; bounds 24 and 102, its output hstacked to [play..., articulate...]
as their ``freqs = 156`` needs).  Its documented behaviour, reproduced here (no code copied):

* One pass over all tracks together, tick by tick.  At each tick it first checks
  ``time % (resolution / 4) == resolution / 8``: if so a new state row starts, copying the
  previous row's "play" bits and clearing "articulate".  Then, track by track in file order,
  it applies that tick's events, in file order, to the current row.  Row 0 exists before tick 0.
  So with s = resolution // 4 and h = resolution // 8 (Python 2 integer division: the authors
  ran Python 2, as their ``next`` iterator method and integer slicing show) row r >= 1 holds
  the events of ticks [(r - 1) * s + h, r * s + h) and row 0 those before h, i.e.
  row(t) = (t + s - h) // s: ticks round to the nearest sixteenth, a tick exactly half-way
  to the later one.  (Under Python 3, / is a float division and a resolution that 8 does not
  divide never starts a second row.)
* A note-on (velocity > 0) sets the pitch's state to [play 1, articulate 1]; a note-off or a
  note-on with velocity 0 sets it to [0, 0], whatever channel or track it comes from.  The
  last event in a row wins: a note that starts and ends within one row vanishes (the row
  keeps [0, 0], nothing is carried on), an "on" after an "off" of the same pitch in one row
  re-articulates, an "off" after an "on" silences, and one voice's note-off silences a pitch
  another voice still holds.  Pitches outside 24..101 are skipped (the message that would
  print them is commented out in every copy); percussion (channel 10) is *not* dropped.
* The first time-signature event whose numerator is not 2 or 4 (3/4, 6/8, 3/8, ...) ends the
  reading at once ("We don't want to worry about non-4 time signatures. Bail early!"): the row
  current at that tick is kept with only the events processed before it (earlier ticks,
  earlier tracks at that tick, earlier events of its own track); nothing after it is read.
* Otherwise reading ends at the tick of the last event of the longest track (usually its
  end-of-track event), after that tick's row has been opened and its events applied: the
  matrix has row(last tick) + 1 rows, and its last row usually holds only the final note-offs,
  i.e. silence.  Notes never switched off simply stay "play" to the end.
* The result is [[play 78], [articulate 78]] per row, hstacked to (T, 156).

Where that reader would crash, ``read_notestate_authors`` raises ``DataError`` instead (like
every damaged file): resolution < 4 (a modulo by zero), a track with no event (``track[0]``),
a time signature without data (``evt.numerator``).  Byte-level parsing follows
``smf.scan_events`` (music21's rules), not python-midi's; the two agree on valid files.
"""
import dataclasses
import os

import numpy as np

from chainer_vae.data.midi import smf
from chainer_vae.data.midi.notestate import MAX_STEPS, N_FEATURES, SongInfo, _dominant_tempo
from chainer_vae.data.midi.smf import LOWEST_PITCH, NOTE_ON, N_PITCHES, TIME_SIGNATURE, count_words
from chainer_vae.errors import DataError

SIXTEENTHS_PER_QUARTER = 4  # resolution / 4: one row per sixteenth note
SAMPLE_DIVISOR = 8  # resolution / 8: a row starts half a sixteenth after each sixteenth boundary
ALLOWED_NUMERATORS = (2, 4)  # time signatures the reader reads on through
PERCUSSION_CHANNEL = smf.PERCUSSION_CHANNEL


@dataclasses.dataclass
class AuthorsReading:
    """What the authors' reader makes of one file, and why it stopped where it did."""
    matrix: np.ndarray  # (T, 156) uint8: play 0..77, articulate 78..155
    info: SongInfo
    resolution: int  # the header's division word, as python-midi takes it
    stop_tick: int  # the tick reading ended at
    stopped_by: tuple = None  # (numerator, tick) of the time signature that ended it, or None
    percussion_kept: int = 0  # note-ons on channel 10 that went into the matrix


def _rows_of(ticks, step, offset):
    """Ticks -> row index: the number of rows started at ticks <= t (module docstring)."""
    return (ticks + step - offset) // step


def _processing_order(tracks, tick_cap):
    """Every event of every track as arrays, in the order the reader applies them: by tick,
    then track, then position in the track.  Ticks past ``tick_cap`` (damaged delta times
    reach 2^28 per event) are stored as tick_cap: any such event would make the song
    longer than MAX_STEPS anyway, and the events before it keep their exact order."""
    flat = [(min(t, tick_cap), k, j, kind, value, channel) for k, (events, _) in enumerate(tracks)
            for j, (t, kind, value, channel) in enumerate(events)]
    cols = [np.asarray(c, dtype=np.int64) for c in zip(*flat)] if flat else [np.zeros(0, np.int64)] * 6
    order = np.lexsort((cols[2], cols[1], cols[0]))
    return {name: cols[i][order] for i, name in ((0, "tick"), (3, "kind"), (4, "value"), (5, "channel"))}


def _find_stop(path, events):
    """Index (in processing order) of the time signature that ends the reading, or None."""
    signatures = np.flatnonzero(events["kind"] == TIME_SIGNATURE)
    for i in signatures:
        numerator = int(events["value"][i])
        if numerator < 0:  # python-midi's evt.numerator is data[0]: an IndexError there
            raise DataError(f"{path}: a time signature with no data at tick {count_words(int(events['tick'][i]))} "
                            f"(the authors' reader fails on it)")
        if numerator not in ALLOWED_NUMERATORS:
            return int(i)
    return None


def _fill_states(rows, cols, on, n_rows):
    """The last event per (row, pitch) sets that row's state; rows without one carry the
    previous row's play bit with articulate 0 -> (n_rows, 156) uint8."""
    out = np.zeros((n_rows, N_FEATURES), np.uint8)
    if not len(rows):
        return out
    key = rows * N_PITCHES + cols
    # np.unique keeps the first occurrence: on the reversed arrays that is the last event
    uniq, first = np.unique(key[::-1], return_index=True)
    last_on = on[::-1][first]
    setting = np.full((n_rows, N_PITCHES), -1, np.int8)
    setting.flat[uniq] = last_on
    # carry each pitch's last setting down the rows (-1 before the first: silent)
    at = np.where(setting >= 0, np.arange(n_rows, dtype=np.int32)[:, None], np.int32(-1))
    np.maximum.accumulate(at, axis=0, out=at)
    carried = setting[np.maximum(at, 0), np.arange(N_PITCHES)]
    out[:, :N_PITCHES] = (at >= 0) & (carried == 1)
    out[:, N_PITCHES:] = setting == 1
    return out


def read_authors(path):
    """MIDI file -> AuthorsReading (module docstring).  Raises DataError, and nothing else,
    for files the authors' reader could not read, damaged files and files past the caps of
    ``chainer_vae.data.midi``."""
    path = os.fspath(path)
    data = smf.read_bytes(path)
    tracks, resolution, tempos = smf.scan_events(data, path)
    step, offset = resolution // SIXTEENTHS_PER_QUARTER, resolution // SAMPLE_DIVISOR
    if step == 0:
        raise DataError(f"{path}: {resolution} ticks per quarter note: the authors' reader takes "
                        f"time % (resolution / 4) and divides by zero below 4")
    empty = [k for k, (_, end) in enumerate(tracks, start=1) if end is None]
    if empty:
        raise DataError(f"{path}: track {empty[0]:,} has no events (the authors' reader fails on it: "
                        f"track[0])")
    tick_cap = MAX_STEPS * step + offset  # the first tick of row MAX_STEPS + 1: past the cap
    events = _processing_order(tracks, tick_cap)
    stop = _find_stop(path, events)
    if stop is None:
        stop_tick = max((end for _, end in tracks), default=0)
        n_used = len(events["tick"])
    else:
        stop_tick = int(events["tick"][stop])
        n_used = stop
    if stop_tick >= tick_cap:  # before any array of that size exists
        raise DataError(f"{path}: the authors' reading would run past step {MAX_STEPS:,} (the cap, see "
                        f"chainer_vae.data.midi.notestate.MAX_STEPS): to tick {count_words(stop_tick)}"
                        f"{' or later' if stop_tick == tick_cap else ''} at {resolution:,} ticks per quarter")
    last_row = _rows_of(stop_tick, step, offset)
    used = {name: a[:n_used] for name, a in events.items()}
    is_note = used["kind"] != TIME_SIGNATURE
    pitch = used["value"]
    in_range = is_note & (pitch >= LOWEST_PITCH) & (pitch < LOWEST_PITCH + N_PITCHES)
    is_on = used["kind"] == NOTE_ON
    n_notes = int((in_range & is_on).sum())
    if not n_notes:
        why = (f"before the {int(events['value'][stop])}/x time signature at tick {stop_tick:,} that ends "
               f"the authors' reading" if stop is not None else "")
        raise DataError(f"{path}: no notes in pitch range {LOWEST_PITCH}..{LOWEST_PITCH + N_PITCHES - 1} {why}"
                        .rstrip())
    rows = _rows_of(used["tick"][in_range].astype(np.int64), step, offset)
    matrix = _fill_states(rows, pitch[in_range] - LOWEST_PITCH, is_on[in_range].astype(np.int8), last_row + 1)
    tempos_read = [(t, bpm) for t, bpm in tempos if t <= stop_tick]
    info = SongInfo(path=path, tempo_bpm=round(float(_dominant_tempo(tempos_read, stop_tick)), 3),
                    n_steps=last_row + 1, n_notes=n_notes,
                    dropped_out_of_range=int((is_note & ~in_range & is_on).sum()), dropped_percussion=0,
                    tempo_changes=max(len(tempos_read) - 1, 0))
    return AuthorsReading(matrix=matrix, info=info, resolution=resolution, stop_tick=stop_tick,
                          stopped_by=None if stop is None else (int(events["value"][stop]), stop_tick),
                          percussion_kept=int((in_range & is_on & (used["channel"] == PERCUSSION_CHANNEL)).sum()))


def read_notestate_authors(path):
    """MIDI file -> ((T, 156) uint8 matrix, SongInfo) as ``chainer_vae.data.midi.read_notestate``
    returns them, but read the way the authors' ``midiToNoteStateMatrix`` read it: stopping at
    the first time signature other than 2/x or 4/x, sampling each sixteenth half a step after
    its boundary, the last event in a step winning (module docstring).  Raises DataError only."""
    reading = read_authors(path)
    return reading.matrix, reading.info
