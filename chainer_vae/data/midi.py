"""MIDI <-> note-state matrix, the representation of the authors' original code.

A song is a (T, 156) uint8 0/1 matrix in sixteenth-note steps: columns 0..77 say that pitch
24+k *plays* in the step, columns 78..155 that a note of pitch 24+k is *articulated* (starts)
there.  All tracks are merged, notes outside 24..101 and percussion (channel 10) are dropped
and counted.

Reading walks the file's bytes once (``_scan_midi``), reading events exactly as music21's
low-level ``music21.midi.MidiFile`` does but without building two objects per event or slicing
the track once per event (quadratic: a 1 MB track took over 10 s).  A lute file takes ~1.5 ms
(music21's event reader ~9 ms, ``converter.parse`` 0.4-1.6 s).  music21 is used only to write
files, imported lazily.

Hostile or damaged files.  ``read_notestate`` raises ``DataError`` naming the file and the cause
for every file it cannot use, and nothing else; the work is linear in the file's size and
bounded by these caps, checked before anything of that size is allocated:
* ``MAX_FILE_BYTES`` (8 MiB): the largest real MIDI files are a few MB (long piano
  performances with dense pedal data); a bigger file is not a song for this model.  The
  slowest 8 MiB file (an event that is dropped every two bytes) takes ~2 s on a shared 2-core
  CPU, the lute files ~1.5 ms.
* ``MAX_STEPS`` (100,000 sixteenths = 25,000 quarter notes, ~3.5 h at 120 bpm; a 15.6 MB
  matrix): a long real movement is 20-50 k steps, a whole opera act ~40 k.  A damaged delta time
  or division easily makes a song 10^3-10^9 times longer than it is; refusing it keeps hundreds
  of silent windows out of the corpus and TiB-sized allocations out of memory.
* ``MAX_NOTES`` (500,000): 20 notes a second (dense orchestral writing) for 7 hours; each note
  costs ~100 bytes while reading, so the cap also bounds memory (~50 MB).
* ``MAX_TEMPO_CHANGES`` (100,000): one per sixteenth of the longest song allowed; real tempo
  maps, even recorded rubato, have a few thousand.

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
from chainer_vae.io import atomic_path

LOWEST_PITCH = 24
N_PITCHES = 78
N_FEATURES = 2 * N_PITCHES
STEPS_PER_QUARTER = 4
DEFAULT_TEMPO = 120.0  # the MIDI standard's tempo when a file sets none
PERCUSSION_CHANNEL = 10  # 1-indexed, as music21 reports channels
WRITE_TICKS_PER_QUARTER = 480
# Caps for hostile or damaged files; the module docstring says why these numbers.
MAX_FILE_BYTES = 8 * 2 ** 20
MAX_STEPS = 100_000
MAX_NOTES = 500_000
MAX_TEMPO_CHANGES = 100_000


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


def _count(n):
    """A count for a message, even an astronomical one (Python refuses str() past 4,300 digits)."""
    return f"{n:,}" if n < 10 ** 15 else f"about 2^{n.bit_length() - 1}"


def _read_bytes(path):
    """The file's bytes, after the checks that need no parsing: readable, size, MThd tag."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise DataError(f"cannot read {path}: {e.strerror or e}") from e
    if not data:
        raise DataError(f"{path}: empty file (0 bytes)")
    if len(data) > MAX_FILE_BYTES:
        raise DataError(f"{path}: file larger than {MAX_FILE_BYTES:,} bytes (the reader's cap); "
                        f"not a song this model can use")
    if data[:4] != b"MThd":
        raise DataError(f"{path}: not a MIDI file (no MThd header)")
    return data


def _read_header(data, path):
    """MThd -> (n_tracks, ticks per quarter); music21's checks, plus division 0 and SMPTE."""
    if len(data) < 14:
        raise DataError(f"{path}: corrupt MIDI data: header cut short (file is {len(data)} bytes, "
                        f"a MIDI header takes 14)")
    length = int.from_bytes(data[4:8], "big")
    if length != 6:
        raise DataError(f"{path}: corrupt MIDI data: header chunk length {length:,} (expected 6)")
    fmt, n_tracks, division = (int.from_bytes(data[i:i + 2], "big") for i in (8, 10, 12))
    if fmt == 2:
        raise DataError(f"{path}: MIDI format 2 (independent sequences) is not supported, only 0 and 1")
    if fmt not in (0, 1):
        raise DataError(f"{path}: corrupt MIDI data: header gives format {fmt} (MIDI has 0, 1 and 2)")
    if division & 0x8000:  # SMPTE: high byte -frames per second, low byte ticks per frame
        fps, ticks_per_frame = 256 - (division >> 8), division & 0xFF
        if fps not in (24, 25, 29, 30):
            raise DataError(f"{path}: corrupt MIDI data: SMPTE timing with {fps} frames per second "
                            f"(MIDI allows 24, 25, 29.97 and 30)")
        if not ticks_per_frame:
            raise DataError(f"{path}: corrupt MIDI data: SMPTE timing with 0 ticks per frame")
        # SMPTE-timed files (rare) give ticks per second; treat them as 120 bpm, 2 quarters a
        # second.  29 means 29.97 drop-frame: counted as 30 here.
        ticks_per_quarter = (30 if fps == 29 else fps) * ticks_per_frame / 2
    elif division == 0:
        raise DataError(f"{path}: corrupt MIDI data: header gives 0 ticks per quarter note")
    else:
        ticks_per_quarter = division
    return n_tracks, ticks_per_quarter


class _Corrupt(Exception):
    """Inside the scanner: a defect that makes music21's reader give up on the whole file."""


class _Skip(Exception):
    """Inside the scanner: a defect after which music21 drops one event and reads on."""


def _vln(data, pos, end):
    """music21's getVariableLengthNumber on data[pos:end] -> (value, next pos): it gives up
    (IndexError there) when the bytes run out first, and drops the event (MidiException) after
    999 bytes with the high bit set."""
    value, i, stop = 0, pos, min(end, pos + 999)
    while i < stop:
        x = data[i]
        i += 1
        value = (value << 7) | (x & 0x7F)
        if x < 0x80:
            return value, i
    if stop == end and end - pos < 999:
        raise _Corrupt(f"a variable-length number runs past the end of the track (from byte {pos:,})")
    raise _Skip


def _scan_midi(data, path):
    """MIDI bytes -> (notes, tempos, out_of_range, percussion, ticks_per_quarter).

    notes: (pitch, on_tick, off_tick), all tracks merged; tempos: (tick, bpm).  One pass over the
    bytes with no per-event objects, so the work is linear in the file's size.  It reads exactly
    what music21's ``MidiFile.readstr`` reads (music21 10.5), defect for defect: running status
    (0x90 before any status byte), sysex/meta lengths past a track's end, events music21 drops
    (unknown status bytes, data bytes > 127, runaway lengths) and the defects on which it gives
    up on the whole file -- tests/test_midi_fuzz.py compares the two on hundreds of damaged
    files.  Where music21 slices the rest of the track once per event (quadratic: a 1 MB track
    took over 10 s), this walks an index.  Differences: division 0 and bad SMPTE headers are
    DataErrors here (music21 divides by zero or misreads SMPTE), and a SET_TEMPO longer than its
    standard 3 bytes is ignored (its value overflowed a float).
    """
    n_tracks, ticks_per_quarter = _read_header(data, path)
    n = len(data)
    notes, tempos = [], []
    out_of_range = percussion = 0
    max_notes, max_tempos, top = MAX_NOTES, MAX_TEMPO_CHANGES, LOWEST_PITCH + N_PITCHES
    pos, overrun = 14, None
    for k in range(1, n_tracks + 1):
        if data[pos:pos + 4] != b"MTrk":
            if pos >= n:
                why = (f"track {overrun[0]}'s length field ({overrun[1]:,} bytes) runs past the end of "
                       f"the file" if overrun else f"the file ends at byte {n:,}")
                raise DataError(f"{path}: corrupt MIDI data: the header promises {n_tracks:,} tracks, "
                                f"found {k - 1:,} ({why})")
            raise DataError(f"{path}: corrupt MIDI data: track {k:,} of {n_tracks:,}: expected an MTrk "
                            f"chunk at byte {pos:,}, found {data[pos:pos + 4]!r}")
        if pos + 8 > n:
            raise DataError(f"{path}: corrupt MIDI data: track {k:,}'s chunk header is cut short at the "
                            f"end of the file")
        length = int.from_bytes(data[pos + 4:pos + 8], "big")
        q0, pos = pos + 8, pos + 8 + length
        end = min(pos, n)
        if pos > n and overrun is None:
            overrun = (k, length)
        # pairing is per track and channel; the matrix merges them
        tick, status = 0, None  # status: running status, as music21's lastStatusByte
        open_start, depth = {}, {}  # (channel << 7 | pitch) -> start tick / note-ons not yet off
        p = q0
        try:
            while p < end:
                dt = data[p]
                if dt < 0x80:
                    q = p + 1
                elif p + 1 < end and data[p + 1] < 0x80:  # two bytes: common, inlined
                    dt, q = (dt & 0x7F) << 7 | data[p + 1], p + 2
                else:
                    try:
                        dt, q = _vln(data, p, end)
                    except _Skip:  # outside music21's per-event guard: it gives up
                        raise _Corrupt(f"a delta time longer than 999 bytes at byte {p:,}") from None
                left = end - q
                if left < 2:  # music21 reads a null event and stops the track
                    tick += dt
                    break
                b0 = data[q]
                if b0 < 0x80:  # running status: the data bytes start right here
                    s, p1, size = (0x90 if status is None else status), q, left + 1
                else:
                    s, p1, size = b0, q + 1, left
                hi = s & 0xF0
                try:
                    if hi == 0x90 or hi == 0x80:
                        pitch, velocity = data[p1], (data[p1 + 1] if size > 2 else 0)
                        t = tick + dt
                        is_on = hi == 0x90 and velocity != 0
                        channel = (s & 0x0F) + 1
                        if channel == PERCUSSION_CHANNEL or not LOWEST_PITCH <= pitch < top:
                            if is_on:
                                if channel == PERCUSSION_CHANNEL:
                                    percussion += 1
                                else:
                                    out_of_range += 1
                        else:
                            key = channel << 7 | pitch
                            d = depth.get(key, 0)
                            if is_on:
                                if d:  # re-struck while sounding: the sounding note ends here
                                    notes.append((pitch, open_start[key], t))
                                open_start[key] = t
                                depth[key] = d + 1
                            elif d == 1:
                                notes.append((pitch, open_start.pop(key), t))
                                del depth[key]
                            elif d:
                                depth[key] = d - 1
                            if len(notes) > max_notes:
                                raise DataError(f"{path}: more than {max_notes:,} notes (the reader's "
                                                f"cap, see chainer_vae.data.midi.MAX_NOTES)")
                        nxt = p1 + 2
                    elif hi == 0xC0 or hi == 0xD0:  # program change, channel pressure
                        if data[p1] > 127:  # music21 drops the event (as for _Skip below)
                            p = q
                            continue
                        nxt = p1 + 1
                    elif hi != 0xF0:  # poly pressure, controller, pitch bend
                        if hi == 0xB0 and size <= 2 and data[p1] in (0x7A, 0x7E):
                            raise _Corrupt(f"a channel mode message cut short at byte {q:,}")
                        nxt = p1 + 2
                    elif s == 0xF0 or s == 0xF7:  # sysex: length, data
                        n_data, r = _vln(data, p1, end)
                        nxt = r + n_data
                    elif s == 0xFF:  # meta: type, length, data
                        n_data, r = _vln(data, p1 + 1, end)
                        nxt = r + n_data
                        if data[p1] == 0x51 and 0 < min(nxt, end) - r <= 3:  # SET_TEMPO with data
                            mpq = int.from_bytes(data[r:min(nxt, end)], "big")
                            tempos.append((tick + dt, 60e6 / max(mpq, 1)))
                            if len(tempos) > max_tempos:
                                raise DataError(f"{path}: more than {max_tempos:,} tempo changes (the "
                                                f"reader's cap, see chainer_vae.data.midi.MAX_TEMPO_CHANGES)")
                    else:  # 0xF1..0xFE other than 0xF7/0xFF: music21 knows no such event
                        p = q
                        continue
                except _Skip:  # music21 drops the event and reads on from its status byte
                    p = q
                    continue
                tick += dt
                if b0 >= 0x80 and b0 != 0xFF:
                    status = b0
                p = nxt if nxt < end else end
        except _Corrupt as e:
            raise DataError(f"{path}: corrupt MIDI data: track {k:,}: {e}") from None
        notes.extend((key & 0x7F, start, tick) for key, start in open_start.items())
        if len(notes) > max_notes:
            raise DataError(f"{path}: more than {max_notes:,} notes (the reader's cap, see "
                            f"chainer_vae.data.midi.MAX_NOTES)")
    return notes, tempos, out_of_range, percussion, ticks_per_quarter


def _check_length(path, n_steps):
    if n_steps > MAX_STEPS:
        quarters = MAX_STEPS // STEPS_PER_QUARTER
        raise DataError(f"{path}: song would be {_count(n_steps)} steps long (cap {MAX_STEPS:,} = "
                        f"{quarters:,} quarter notes, ~{quarters / 120 / 60:.1f} h at 120 bpm; see "
                        f"chainer_vae.data.midi.MAX_STEPS)")


def read_notestate(path):
    """MIDI file -> ((T, 156) uint8 matrix, SongInfo).  Raises DataError for unusable files:
    malformed, hostile, or beyond the caps (module docstring); never anything else."""
    path = os.fspath(path)
    data = _read_bytes(path)
    notes, tempos, out_of_range, percussion, ticks_per_quarter = _scan_midi(data, path)
    if not notes:
        raise DataError(f"{path}: no notes in pitch range {LOWEST_PITCH}..{LOWEST_PITCH + N_PITCHES - 1}"
                        f" ({out_of_range} out of range, {percussion} percussion)")
    # The length check comes before any float or array: ticks can be astronomically large ints.
    last_tick = max(note[2] for note in notes)
    if last_tick > (MAX_STEPS + 1) * ticks_per_quarter / STEPS_PER_QUARTER:
        _check_length(path, last_tick * 2 * STEPS_PER_QUARTER // round(2 * ticks_per_quarter))
    arr = np.asarray(notes, dtype=np.float64)
    steps = np.floor(arr[:, 1:] * (STEPS_PER_QUARTER / ticks_per_quarter) + 0.5).astype(np.int64)
    steps[:, 1] = np.maximum(steps[:, 1], steps[:, 0] + 1)
    n_steps = int(steps[:, 1].max())
    _check_length(path, n_steps)
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
