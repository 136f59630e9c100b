"""MIDI bytes -> notes: the reader behind ``notestate.read_notestate``, safe on any input.

Reading walks the file's bytes once (``scan``), reading events exactly as music21's
low-level ``music21.midi.MidiFile`` does but without building two objects per event or slicing
the track once per event (quadratic: a 1 MB track took over 10 s).  A lute file takes ~1.5 ms
(music21's event reader ~9 ms, ``converter.parse`` 0.4-1.6 s).  music21 is used only to write
files, imported lazily.

Hostile or damaged files.  ``notestate.read_notestate`` raises ``DataError`` naming the file and the cause
for every file it cannot use, and nothing else; the work is linear in the file's size and
bounded by these caps, checked before anything of that size is allocated:
* ``MAX_FILE_BYTES`` (8 MiB): the largest real MIDI files are a few MB (long piano
  performances with dense pedal data); a bigger file is not a song for this model.  The
  slowest 8 MiB file (an event that is dropped every two bytes) takes ~2 s on a shared 2-core
  CPU, the lute files ~1.5 ms.
* ``notestate.MAX_STEPS`` (100,000 sixteenths = 25,000 quarter notes, ~3.5 h at 120 bpm; a 15.6 MB
  matrix): a long real movement is 20-50 k steps, a whole opera act ~40 k.  A damaged delta time
  or division easily makes a song 10^3-10^9 times longer than it is; refusing it keeps hundreds
  of silent windows out of the corpus and TiB-sized allocations out of memory.
* ``MAX_NOTES`` (500,000): 20 notes a second (dense orchestral writing) for 7 hours; each note
  costs ~100 bytes while reading, so the cap also bounds memory (~50 MB).
* ``MAX_TEMPO_CHANGES`` (100,000): one per sixteenth of the longest song allowed; real tempo
  maps, even recorded rubato, have a few thousand.
"""
from chainer_vae.errors import DataError

LOWEST_PITCH = 24  # the note-state's pitch range, 24..101 (notestate.py)
N_PITCHES = 78
PERCUSSION_CHANNEL = 10  # 1-indexed, as music21 reports channels
# Caps for hostile or damaged files; the module docstring says why these numbers.
MAX_FILE_BYTES = 8 * 2 ** 20
MAX_NOTES = 500_000
MAX_TEMPO_CHANGES = 100_000


def count_words(n):
    """A count for a message, even an astronomical one (Python refuses str() past 4,300 digits)."""
    return f"{n:,}" if n < 10 ** 15 else f"about 2^{n.bit_length() - 1}"


def read_bytes(path):
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


def scan(data, path):
    """MIDI bytes -> (notes, tempos, out_of_range, percussion, ticks_per_quarter).

    notes: (pitch, on_tick, off_tick), all tracks merged; tempos: (tick, bpm).  One pass over the
    bytes (``_walk_track``, with no per-event objects beyond a tuple), so the work is linear in
    the file's size.  It reads exactly what music21's ``MidiFile.readstr`` reads (music21 10.5),
    defect for defect: running status (0x90 before any status byte), sysex/meta lengths past a
    track's end, events music21 drops (unknown status bytes, data bytes > 127, runaway lengths)
    and the defects on which it gives up on the whole file -- tests/test_midi_fuzz.py compares the
    two on hundreds of damaged files.  Where music21 slices the rest of the track once per event
    (quadratic: a 1 MB track took over 10 s), this walks an index.  Differences: division 0 and
    bad SMPTE headers are DataErrors here (music21 divides by zero or misreads SMPTE), and a
    SET_TEMPO longer than its standard 3 bytes is ignored (its value overflowed a float).
    """
    n_tracks, ticks_per_quarter = _read_header(data, path)
    notes, tempos, counts = [], [], {"note events": 0, "time signatures": 0}
    dropped = {"out_of_range": 0, "percussion": 0}
    for k, (q0, end) in enumerate(_track_bounds(data, path, n_tracks), start=1):
        try:
            events, _, end_tick = _walk_track(data, path, q0, end, tempos, counts)
        except _Corrupt as e:
            raise DataError(f"{path}: corrupt MIDI data: track {k:,}: {e}") from None
        _pair_notes(events, end_tick, notes, dropped, path)
    return notes, tempos, dropped["out_of_range"], dropped["percussion"], ticks_per_quarter


def _pair_notes(events, end_tick, notes, dropped, path):
    """One track's note events -> notes (pitch, on, off) appended to ``notes``; pairing is per
    track and channel (the matrix merges them).  A note-on of a sounding pitch ends the sounding
    note there; the pitch sounds until as many note-offs as note-ons arrived; notes still open at
    the end of the track end there (music21's pairing, midi/notestate.py's rules)."""
    top = LOWEST_PITCH + N_PITCHES
    open_start, depth = {}, {}  # (channel << 7 | pitch) -> start tick / note-ons not yet off
    for t, kind, pitch, channel in events:
        if kind == TIME_SIGNATURE:
            continue
        if channel == PERCUSSION_CHANNEL or not LOWEST_PITCH <= pitch < top:
            if kind == NOTE_ON:
                dropped["percussion" if channel == PERCUSSION_CHANNEL else "out_of_range"] += 1
            continue
        key = channel << 7 | pitch
        d = depth.get(key, 0)
        if kind == NOTE_ON:
            if d:  # re-struck while sounding: the sounding note ends here
                notes.append((pitch, open_start[key], t))
            open_start[key] = t
            depth[key] = d + 1
        elif d == 1:
            notes.append((pitch, open_start.pop(key), t))
            del depth[key]
        elif d:
            depth[key] = d - 1
        if len(notes) > MAX_NOTES:
            _too_many_notes(path)
    notes.extend((key & 0x7F, start, end_tick) for key, start in open_start.items())
    if len(notes) > MAX_NOTES:
        _too_many_notes(path)


def _too_many_notes(path):
    raise DataError(f"{path}: more than {MAX_NOTES:,} notes (the reader's cap, see "
                    f"chainer_vae.data.midi.smf.MAX_NOTES)")


# Event kinds of ``_walk_track`` and ``scan_events``.
NOTE_ON, NOTE_OFF, TIME_SIGNATURE = 0, 1, 2
# Caps of the event walk: every note is two events; a real file has a handful of time signatures
MAX_NOTE_EVENTS = 2 * MAX_NOTES
MAX_TIME_SIGNATURES = 100_000


def _track_bounds(data, path, n_tracks):
    """(first byte, end) of each track chunk's events, with ``scan``'s checks of the chunks;
    a generator, so that a defect inside a track is reported before a later chunk's, as ``scan`` does."""
    n, pos, overrun = len(data), 14, None
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
        if pos + 8 + length > n and overrun is None:
            overrun = (k, length)
        yield pos + 8, min(pos + 8 + length, n)
        pos += 8 + length


def scan_events(data, path):
    """MIDI bytes -> (tracks, division, tempos): the events a tick-by-tick reader needs, unpaired.

    tracks: per track, (events, end_tick); events in file order as (tick, kind, value, channel)
    with kind NOTE_ON (value: pitch; velocity > 0), NOTE_OFF (value: pitch; also a note-on with
    velocity 0) or TIME_SIGNATURE (value: the numerator, or -1 when the event has no data;
    channel 0), pitches of every range and channel; end_tick: the tick of the track's last
    event of any kind, None for a track with no event at all.  division: the header's raw
    division word (ticks per quarter unless SMPTE-timed).  tempos: (tick, bpm) as ``scan``'s.

    For readers that replay events in order, as the authors' ``midi_manipulation.py`` did
    (chainer_vae.data.midi.authors).  It walks the bytes by ``scan``'s rules (music21's reader,
    defect for defect: running status, dropped events, the defects that end a file): ``scan``
    pairs the very events this walk gives (tests/test_midi_authors.py compares the two readings
    on the fuzz test's damaged files).
    """
    n_tracks, _ = _read_header(data, path)
    division = int.from_bytes(data[12:14], "big")
    tracks, tempos, counts = [], [], {"note events": 0, "time signatures": 0}
    for k, (q0, end) in enumerate(_track_bounds(data, path, n_tracks), start=1):
        try:
            events, last_tick, _ = _walk_track(data, path, q0, end, tempos, counts)
            tracks.append((events, last_tick))
        except _Corrupt as e:
            raise DataError(f"{path}: corrupt MIDI data: track {k:,}: {e}") from None
    return tracks, division, tempos


def _count(counts, what, cap, path, cap_name):
    """One more event of a capped kind; DataError past the cap (what: "note events", "time signatures")."""
    counts[what] += 1
    if counts[what] > cap:
        raise DataError(f"{path}: more than {cap:,} {what} (the reader's cap, see "
                        f"chainer_vae.data.midi.smf.{cap_name})")


def _walk_track(data, path, q0, end, tempos, counts):
    """One track's bytes [q0, end) -> (events, last_tick, end_tick): its note and time-signature
    events as ``scan_events`` gives them, the tick of its last event (None for none), and the
    tick where music21's reading stops (after the delta of a final null event: open notes end
    there).  Tempos are appended to ``tempos``; counts holds the capped kinds' counts."""
    events, tick, status, last_tick, p = [], 0, None, None, q0
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
        hi, t = s & 0xF0, tick + dt
        try:
            if hi == 0x90 or hi == 0x80:
                velocity = data[p1 + 1] if size > 2 else 0
                events.append((t, NOTE_ON if hi == 0x90 and velocity != 0 else NOTE_OFF, data[p1], (s & 0x0F) + 1))
                _count(counts, "note events", MAX_NOTE_EVENTS, path, "MAX_NOTE_EVENTS")
                nxt = p1 + 2
            elif hi == 0xC0 or hi == 0xD0:  # program change, channel pressure
                if data[p1] > 127:  # music21 drops the event
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
                stop = min(nxt, end)
                if data[p1] == 0x51 and 0 < stop - r <= 3:  # SET_TEMPO, as scan reads it
                    tempos.append((t, 60e6 / max(int.from_bytes(data[r:stop], "big"), 1)))
                    if len(tempos) > MAX_TEMPO_CHANGES:
                        raise DataError(f"{path}: more than {MAX_TEMPO_CHANGES:,} tempo changes (the reader's "
                                        f"cap, see chainer_vae.data.midi.smf.MAX_TEMPO_CHANGES)")
                elif data[p1] == 0x58:  # TIME_SIGNATURE: numerator, log2 denominator, clocks, 32nds
                    events.append((t, TIME_SIGNATURE, data[r] if stop > r else -1, 0))
                    _count(counts, "time signatures", MAX_TIME_SIGNATURES, path, "MAX_TIME_SIGNATURES")
            else:  # 0xF1..0xFE other than 0xF7/0xFF: music21 knows no such event
                p = q
                continue
        except _Skip:  # music21 drops the event and reads on from its status byte
            p = q
            continue
        tick = last_tick = t
        if b0 >= 0x80 and b0 != 0xFF:
            status = b0
        p = nxt if nxt < end else end
    return events, last_tick, tick
