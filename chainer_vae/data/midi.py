"""MIDI <-> note-state matrix, the representation of the authors' original code.

A song is a (T, 156) uint8 0/1 matrix in sixteenth-note steps: columns 0..77 say that pitch
24+k *plays* in the step, columns 78..155 that a note of pitch 24+k is *articulated* (starts)
there.  All tracks are merged, notes outside 24..101 and percussion (channel 10) are dropped
and counted.

Reading uses music21's low-level ``music21.midi.MidiFile`` (bytes -> events), not
``converter.parse``: building a full Stream costs 0.4-1.6 s per file, the event reader about
20 ms.  music21 itself is imported lazily so a fully cached dataset load never pays for it.

Choices.  The matrix layout, pitch range and rounding follow the reference implementation of
this representation (``midi_manipulation.py``, python-midi based, which samples the state half a
step after each sixteenth boundary); the other rules are ours:
* Onsets and ends are rounded to the *nearest* sixteenth.  A note shorter than half a step
  keeps one step (the reference dropped it).  Unlike the reference we do not stop reading at
  the first time signature other than 2/x or 4/x.
* Same pitch, same track and channel, overlapping: every note-on starts a new note (the
  sounding one is cut there) and the pitch sounds until as many note-offs as note-ons arrived,
  so two voices sharing a key, or an "on B before off A" at one tick, both read sensibly.
  Stray note-offs are ignored; notes still open at the end of the track end there.
* T is the end of the last note (trailing silence after it carries nothing to learn).
* ``tempo_bpm`` is the tempo in force for most of the music (tick-weighted), not the first
  one: the lute files open with a 250 bpm marker for a few beats before the real tempo.
"""
import contextlib
import dataclasses
import gc
import os

import numpy as np

from chainer_vae.errors import DataError
from chainer_vae.io import atomic_path

LOWEST_PITCH = 24
N_PITCHES = 78
N_FEATURES = 2 * N_PITCHES
STEPS_PER_QUARTER = 4
DEFAULT_TEMPO = 120.0  # the MIDI standard's tempo when a file sets none
PERCUSSION_CHANNEL = 10  # 1-indexed, as music21 reports channels
WRITE_TICKS_PER_QUARTER = 480


@dataclasses.dataclass
class SongInfo:
    path: str
    tempo_bpm: float
    n_steps: int
    n_notes: int
    dropped_out_of_range: int
    dropped_percussion: int
    tempo_changes: int = 0  # SET_TEMPO events after the first; the matrix keeps score time


def notestate_from_notes(notes, n_steps):
    """(pitch, start_step, end_step) notes -> (n_steps, 156) uint8; pitches must be in range."""
    out = np.zeros((n_steps, N_FEATURES), np.uint8)
    arr = np.asarray(notes, dtype=np.int64).reshape(-1, 3)
    if not len(arr):
        return out
    col = arr[:, 0] - LOWEST_PITCH
    start = arr[:, 1]
    end = np.minimum(np.maximum(arr[:, 2], start + 1), n_steps)
    if col.min() < 0 or col.max() >= N_PITCHES or start.min() < 0 or start.max() >= n_steps:
        raise ValueError("note outside the matrix (pitch 24..101, 0 <= start < n_steps)")
    # play: one index per (note, step) it covers, set in a single fancy assignment; that is
    # O(total note length), several times faster than a cumulative sum over the whole matrix.
    length = end - start
    offset_in_note = np.arange(length.sum()) - np.repeat(np.cumsum(length) - length, length)
    out[np.repeat(start, length) + offset_in_note, np.repeat(col, length)] = 1
    out[start, N_PITCHES + col] = 1
    return out


def notes_from_notestate(matrix):
    """(T, 156) 0/1 matrix -> sorted list of (pitch, start_step, end_step).

    A note starts where ``play`` begins or where ``articulate`` is set on a playing pitch
    (articulate without play is ignored, as in the original writer) and ends where ``play``
    stops or the next articulation of that pitch begins.
    """
    m = np.asarray(matrix)
    if m.ndim != 2 or m.shape[1] != N_FEATURES:
        raise ValueError(f"expected a (T, {N_FEATURES}) note-state matrix, got {m.shape}")
    n_steps = m.shape[0]
    play = m[:, :N_PITCHES].astype(bool).T  # (78, T): one row per pitch
    art = m[:, N_PITCHES:].astype(bool).T
    before = np.zeros_like(play)
    before[:, 1:] = play[:, :-1]
    start = play & (art | ~before)
    # A sounding note stops at the first later step that is silent or re-articulated; a
    # sentinel column at T makes that step exist for every pitch.
    stop = np.ones((N_PITCHES, n_steps + 1), bool)
    stop[:, :n_steps] = ~play | start
    stop_idx = np.flatnonzero(stop)
    pitch_row, start_t = np.nonzero(start)
    base = pitch_row * (n_steps + 1)
    end_flat = stop_idx[np.searchsorted(stop_idx, base + start_t, side="right")]
    notes = np.stack([pitch_row + LOWEST_PITCH, start_t, end_flat - base], axis=1)
    notes = notes[np.lexsort((notes[:, 0], notes[:, 1]))]
    return [tuple(int(v) for v in row) for row in notes]


def _dominant_tempo(tempos, end_tick):
    """Tempo (bpm) in force for the most ticks of [0, end_tick); 120 before the first event."""
    if not tempos:
        return DEFAULT_TEMPO
    tempos = sorted(tempos, key=lambda tb: tb[0])  # stable: file order within a tick
    if tempos[0][0] > 0:
        tempos.insert(0, (0, DEFAULT_TEMPO))
    spans = {}
    for (tick, bpm), (nxt, _) in zip(tempos, tempos[1:] + [(max(end_tick, tempos[-1][0]), None)]):
        spans[bpm] = spans.get(bpm, 0) + max(min(nxt, end_tick) - min(tick, end_tick), 0)
    best = max(spans.values())
    return next(bpm for _, bpm in tempos if spans[bpm] == best)  # the earliest on a tie


@contextlib.contextmanager
def _gc_paused():
    """music21 makes two objects per MIDI event, tied in cycles (event.track <-> track.events).
    Building them with the cyclic GC running costs repeated collections; instead we pause it
    and break the cycles ourselves afterwards so plain refcounting frees everything."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _read_midi_file(path):
    """Path -> music21 MidiFile, with every failure turned into a DataError naming the file."""
    from music21 import midi as m21midi  # lazy: importing music21 costs ~0.4 s

    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise DataError(f"cannot read {path}: {e.strerror or e}") from e
    if not data:
        raise DataError(f"{path}: empty file (0 bytes)")
    if data[:4] != b"MThd":
        raise DataError(f"{path}: not a MIDI file (no MThd header)")
    mf = m21midi.MidiFile()
    try:
        mf.readstr(data)
    except Exception as e:  # music21 raises MidiException, IndexError, ... on corrupt data
        raise DataError(f"{path}: corrupt MIDI data ({type(e).__name__}: {e})") from e
    return mf


def _collect_notes(mf):
    """Merge all tracks' note events into (pitch, on_tick, off_tick) notes; also tempo events."""
    from music21.midi import ChannelVoiceMessages, DeltaTime, MetaEvents, getNumber

    NOTE_ON, NOTE_OFF = ChannelVoiceMessages.NOTE_ON, ChannelVoiceMessages.NOTE_OFF
    SET_TEMPO = MetaEvents.SET_TEMPO
    notes, tempos = [], []  # notes: (pitch, on_tick, off_tick)
    out_of_range = percussion = 0
    for track in mf.tracks:  # pairing is per track and channel; the matrix merges them
        tick = 0
        open_start, depth = {}, {}  # (channel, pitch) -> start tick / note-ons not yet off
        for e in track.events:
            etype = e.type
            if etype is NOTE_ON or etype is NOTE_OFF:
                pitch, channel = e.parameter1, e.channel
                is_on = etype is NOTE_ON and e.parameter2 != 0  # velocity 0 = note-off
                if channel == PERCUSSION_CHANNEL or not LOWEST_PITCH <= pitch < LOWEST_PITCH + N_PITCHES:
                    if is_on:
                        if channel == PERCUSSION_CHANNEL:
                            percussion += 1
                        else:
                            out_of_range += 1
                    continue
                key = (channel, pitch)
                d = depth.get(key, 0)
                if is_on:
                    if d:  # re-struck while sounding: the sounding note ends here
                        notes.append((pitch, open_start[key], tick))
                    open_start[key] = tick
                    depth[key] = d + 1
                elif d == 1:
                    notes.append((pitch, open_start.pop(key), tick))
                    del depth[key]
                elif d:
                    depth[key] = d - 1
            elif type(e) is DeltaTime:
                tick += e.time
            elif etype is SET_TEMPO and e.data:
                tempos.append((tick, 60e6 / max(getNumber(e.data, len(e.data))[0], 1)))
        notes.extend((key[1], start, tick) for key, start in open_start.items())
    return notes, tempos, out_of_range, percussion


def read_notestate(path):
    """MIDI file -> ((T, 156) uint8 matrix, SongInfo).  Raises DataError for unusable files."""
    path = os.fspath(path)
    with _gc_paused():
        mf = _read_midi_file(path)
        notes, tempos, out_of_range, percussion = _collect_notes(mf)
        for track in mf.tracks:
            track.events.clear()  # break event <-> track cycles: refcounting frees them now
    if not notes:
        raise DataError(f"{path}: no notes in pitch range {LOWEST_PITCH}..{LOWEST_PITCH + N_PITCHES - 1}"
                        f" ({out_of_range} out of range, {percussion} percussion)")
    # SMPTE-timed files (rare) give ticks per second; treat them as 120 bpm, 2 quarters a second.
    ticks_per_quarter = mf.ticksPerQuarterNote if not mf.ticksPerSecond else mf.ticksPerSecond / 2
    arr = np.asarray(notes, dtype=np.float64)
    steps = np.floor(arr[:, 1:] * (STEPS_PER_QUARTER / ticks_per_quarter) + 0.5).astype(np.int64)
    steps[:, 1] = np.maximum(steps[:, 1], steps[:, 0] + 1)
    n_steps = int(steps[:, 1].max())
    matrix = notestate_from_notes(np.column_stack([arr[:, 0].astype(np.int64), steps]), n_steps)
    tempo = _dominant_tempo(tempos, arr[:, 2].max())
    info = SongInfo(path=path, tempo_bpm=round(float(tempo), 3), n_steps=n_steps, n_notes=len(notes),
                    dropped_out_of_range=out_of_range, dropped_percussion=percussion,
                    tempo_changes=max(len(tempos) - 1, 0))
    return matrix, info


def write_midi(notestate, path, tempo_bpm=120.0, velocity=80, threshold=0.5):
    """Note-state matrix (0/1 or probabilities, kept where >= threshold) -> one-track MIDI file."""
    from music21 import midi as m21midi

    m = np.asarray(notestate)
    if m.ndim != 2 or m.shape[1] != N_FEATURES:
        raise ValueError(f"expected a (T, {N_FEATURES}) note-state matrix, got {m.shape}")
    if not 0 < tempo_bpm or not 1 <= velocity <= 127:
        raise ValueError(f"bad tempo {tempo_bpm} or velocity {velocity}")
    notes = notes_from_notestate(m >= threshold)
    tps = WRITE_TICKS_PER_QUARTER // STEPS_PER_QUARTER
    # Note-offs sort before note-ons at the same tick so back-to-back repeats re-articulate.
    events = sorted([(s * tps, 1, p) for p, s, _ in notes] + [(e * tps, 0, p) for p, _, e in notes])

    mf = m21midi.MidiFile()
    mf.format = 0
    mf.ticksPerQuarterNote = WRITE_TICKS_PER_QUARTER
    track = m21midi.MidiTrack(0)
    tempo = m21midi.MidiEvent(track, type=m21midi.MetaEvents.SET_TEMPO)
    tempo.data = m21midi.putNumber(int(round(60e6 / tempo_bpm)), 3)
    track.events += [m21midi.DeltaTime(track, time=0), tempo]
    last = 0
    for tick, is_on, pitch in events:
        ev = m21midi.MidiEvent(track, type=m21midi.ChannelVoiceMessages.NOTE_ON if is_on
                               else m21midi.ChannelVoiceMessages.NOTE_OFF)
        ev.pitch, ev.velocity = pitch, (int(velocity) if is_on else 0)
        track.events += [m21midi.DeltaTime(track, time=tick - last), ev]
        last = tick
    end = m21midi.MidiEvent(track, type=m21midi.MetaEvents.END_OF_TRACK)
    end.data = b""
    # End the track at the matrix's end so trailing rests keep their length in players.
    track.events += [m21midi.DeltaTime(track, time=max(m.shape[0] * tps - last, 0)), end]
    mf.tracks.append(track)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(mf.writestr())
    return os.fspath(path)


def stream_to_notestate(score, path=""):
    """music21 Score (or any Stream) -> (matrix, SongInfo), merging tied notes into one."""
    from music21 import note, percussion, tempo

    notes, out_of_range, perc = [], 0, 0
    parts = list(score.parts) if hasattr(score, "parts") and len(score.parts) else [score]
    for part_no, part in enumerate(parts):
        tied = {}  # pitch -> index in notes of a note whose tie continues
        for el in part.flatten().notes:
            if el.duration.isGrace:
                continue  # ornaments with no duration of their own
            if isinstance(el, (note.Unpitched, percussion.PercussionChord)):
                perc += 1
                continue
            start = float(el.offset)
            end = start + float(el.quarterLength)
            members = el.notes if el.isChord else [el]
            for n in members:
                pitch = int(round(n.pitch.ps))
                tie = (n.tie or el.tie)
                tie_type = tie.type if tie is not None else None
                if not LOWEST_PITCH <= pitch < LOWEST_PITCH + N_PITCHES:
                    out_of_range += 1
                    continue
                i = tied.pop(pitch, None)
                if i is not None and tie_type in ("stop", "continue") and abs(notes[i][2] - start) < 1e-6:
                    notes[i][2] = end  # a tie extends the sounding note; no new articulation
                else:
                    i = len(notes)
                    notes.append([pitch, start, end])
                if tie_type in ("start", "continue"):
                    tied[pitch] = i
    if not notes:
        raise DataError(f"{path or score}: no notes in pitch range {LOWEST_PITCH}.."
                        f"{LOWEST_PITCH + N_PITCHES - 1}")
    arr = np.asarray(notes, dtype=np.float64)
    steps = np.floor(arr[:, 1:] * STEPS_PER_QUARTER + 0.5).astype(np.int64)
    steps[:, 1] = np.maximum(steps[:, 1], steps[:, 0] + 1)
    n_steps = int(steps[:, 1].max())
    matrix = notestate_from_notes(np.column_stack([arr[:, 0].astype(np.int64), steps]), n_steps)
    marks = list(score.recurse().getElementsByClass(tempo.MetronomeMark))
    bpm = marks[0].getQuarterBPM() if marks and marks[0].getQuarterBPM() else DEFAULT_TEMPO
    info = SongInfo(path=os.fspath(path), tempo_bpm=round(float(bpm), 3), n_steps=n_steps,
                    n_notes=len(notes), dropped_out_of_range=out_of_range, dropped_percussion=perc,
                    tempo_changes=max(len(marks) - 1, 0))
    return matrix, info
