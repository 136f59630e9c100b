"""MIDI <-> note-state matrix, the representation of the authors' original code.

A song is a (T, 156) uint8 0/1 matrix in sixteenth-note steps: columns 0..77 say that pitch
24+k *plays* in the step, columns 78..155 that a note of pitch 24+k is *articulated* (starts)
there.  All tracks are merged, notes outside 24..101 and percussion (channel 10) are dropped
and counted.

Reading is ``smf.py`` (bytes -> notes, linear in the file's size, with the caps that
keep damaged or hostile files bounded); music21 is used only to write files, imported lazily.

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
import dataclasses
import os

import numpy as np

from chainer_vae.errors import DataError
from chainer_vae.files import atomic_path

from chainer_vae.data.midi.smf import LOWEST_PITCH, N_PITCHES, count_words, read_bytes, scan

N_FEATURES = 2 * N_PITCHES
STEPS_PER_QUARTER = 4
DEFAULT_TEMPO = 120.0  # the MIDI standard's tempo when a file sets none
WRITE_TICKS_PER_QUARTER = 480
# The cap on a song's length (smf.py has the others and says why these numbers).
MAX_STEPS = 100_000


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
    # Past an average of 78 sounding notes per step (only hostile files: notes held for the
    # whole song on every channel) the cumulative sum is cheaper, and bounded by the matrix.
    length = end - start
    if length.sum() <= n_steps * N_PITCHES:
        offset_in_note = np.arange(length.sum()) - np.repeat(np.cumsum(length) - length, length)
        out[np.repeat(start, length) + offset_in_note, np.repeat(col, length)] = 1
    else:
        size = (n_steps + 1) * N_PITCHES
        sounding = (np.bincount(start * N_PITCHES + col, minlength=size)
                    - np.bincount(end * N_PITCHES + col, minlength=size)).reshape(n_steps + 1, N_PITCHES)
        out[:, :N_PITCHES] = np.cumsum(sounding[:-1], axis=0) > 0
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


# No real piece holds a note, or is silent, for this long (1,024 bars of 4/4 at 16 steps a bar,
# ~34 min at 120 bpm); past the length cap, such a stretch means a damaged delta time.
DAMAGED_STRETCH_STEPS = 16 * 1024


def _check_length(path, n_steps, notes=(), ticks_per_quarter=STEPS_PER_QUARTER):
    """DataError past MAX_STEPS, naming the cause: damaged timing (one delta time that opens a
    silence or holds a note longer than any piece has) or a song simply too long."""
    if n_steps <= MAX_STEPS:
        return
    stretch, where = _longest_stretch(notes)
    steps = _steps(stretch, ticks_per_quarter)
    if steps > DAMAGED_STRETCH_STEPS:
        raise DataError(f"{path}: timing data corrupt: a delta time would put the song at "
                        f"{count_words(n_steps)} steps ({where} {count_words(steps)} steps, which no "
                        f"piece has); the file is damaged")
    quarters = MAX_STEPS // STEPS_PER_QUARTER
    raise DataError(f"{path}: song would be {count_words(n_steps)} steps long, over the reader's cap of "
                    f"{MAX_STEPS:,} ({quarters:,} quarter notes, ~{quarters / 120 / 60:.1f} h at 120 bpm): "
                    f"longer than any piece this model is for (chainer_vae.data.midi.notestate.MAX_STEPS)")


def _steps(ticks, ticks_per_quarter):
    """Ticks -> sixteenth steps in integers (ticks can be astronomically large ints)."""
    return ticks * 2 * STEPS_PER_QUARTER // round(2 * ticks_per_quarter)


def _longest_stretch(notes):
    """(ticks, what) of the longest note or silence among notes (pitch, on, off) in ticks."""
    longest, what = 0, "a note held for"
    sounding_until = 0
    for _, on, off in sorted(notes, key=lambda n: n[1]):
        if on - sounding_until > longest:
            longest, what = on - sounding_until, "a silence of"
        if off - on > longest:
            longest, what = off - on, "a note held for"
        sounding_until = max(sounding_until, off)
    return longest, what


def read_notestate(path):
    """MIDI file -> ((T, 156) uint8 matrix, SongInfo).  Raises DataError for unusable files:
    malformed, hostile, or beyond the caps (module docstring); never anything else."""
    path = os.fspath(path)
    data = read_bytes(path)
    notes, tempos, out_of_range, percussion, ticks_per_quarter = scan(data, path)
    if not notes:
        raise DataError(f"{path}: no notes in pitch range {LOWEST_PITCH}..{LOWEST_PITCH + N_PITCHES - 1}"
                        f" ({out_of_range} out of range, {percussion} percussion)")
    # The length check comes before any float or array: ticks can be astronomically large ints.
    last_tick = max(note[2] for note in notes)
    if last_tick > (MAX_STEPS + 1) * ticks_per_quarter / STEPS_PER_QUARTER:
        _check_length(path, _steps(last_tick, ticks_per_quarter), notes, ticks_per_quarter)
    arr = np.asarray(notes, dtype=np.float64)
    steps = np.floor(arr[:, 1:] * (STEPS_PER_QUARTER / ticks_per_quarter) + 0.5).astype(np.int64)
    steps[:, 1] = np.maximum(steps[:, 1], steps[:, 0] + 1)
    n_steps = int(steps[:, 1].max())
    _check_length(path, n_steps, notes, ticks_per_quarter)
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
