"""Damaged and hostile MIDI files: the reader ends every one in DataError, and quickly.

Seeds are files synthesized here (so the test needs nothing beside the checkout) plus the
paper's eight lute files when ../shared/data/midi/bach_lute exists.  Each seed is mutated the
ways broken files arrive in the wild (byte flips, truncation, chunk lengths that lie, header
damage, junk, duplicated chunks, huge delta times and tempos, lying event lengths), seeded, so a
failure is reproducible by its name.  ``hostile_files`` is importable for measuring other readers.
"""
import os
import random
import time

import numpy as np
import pytest

from chainer_vae.data.midi import notestate as M
from chainer_vae.data.midi import smf
from chainer_vae.data.midi.corpus import load_midi_dataset
from chainer_vae.errors import DataError

LUTE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                        "shared", "data", "midi", "bach_lute")  # as tests/conftest.py's lute_dir
CALL_LIMIT_S = 10.0  # any one file (the hang threshold of the measurement); valid seeds take
# ~5 ms, the largest hostile ones ~0.5 s idle and ~2 s on a loaded 2-core machine: a quadratic
# reader takes minutes, so a hang shows, while load alone never fails the test
MUTANTS_PER_SEED = 24


# ----------------------------------------------------------------------------- building bytes
def vlq(n):
    """MIDI variable-length quantity."""
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))


def chunk(tag, body):
    return tag + len(body).to_bytes(4, "big") + body


def header(fmt=1, ntracks=1, division=480):
    return chunk(b"MThd", fmt.to_bytes(2, "big") + ntracks.to_bytes(2, "big") + division.to_bytes(2, "big"))


def event_seed(rng):
    """Format 1, three tracks, using what music21's writer never does: running status, sysex,
    meta events, program/controller/pitch-bend messages, percussion, out-of-range pitches."""
    conductor = (b"\x00\xff\x03\x05Tempo" + b"\x00\xff\x58\x04\x04\x02\x18\x08"
                 + b"\x00\xff\x51\x03\x07\xa1\x20" + b"\x00\xf0\x05\x7e\x7f\x09\x01\xf7"
                 + vlq(480 * 8) + b"\xff\x51\x03\x09\x27\xc0" + b"\x00\xff\x2f\x00")
    melody = bytearray(b"\x00\xc0\x18\x00\xb0\x07\x64\x00\x90")
    first = True
    for _ in range(120):
        pitch = rng.randint(40, 90)
        if not first:
            melody += b"\x00"
        melody += bytes([pitch, rng.randint(30, 110)])  # running-status note-on
        melody += vlq(rng.choice([60, 120, 240])) + bytes([pitch, 0])  # velocity 0 = off
        first = False
    melody += b"\x00\xe0\x00\x40\x00\xff\x2f\x00"
    other = bytearray()
    for i in range(40):
        pitch = rng.choice([10, 110, 36, 55, 62])
        channel = 9 if i % 4 == 0 else 1  # status nibble 9 = MIDI channel 10 = percussion
        other += vlq(60) + bytes([0x90 | channel, pitch, 90]) + vlq(120) + bytes([0x80 | channel, pitch, 64])
    other += b"\x00\xff\x2f\x00"
    return header(1, 3, 480) + b"".join(chunk(b"MTrk", bytes(t)) for t in (conductor, melody, other))


def seed_files(tmp_path):
    """(name, bytes) seeds: synthesized ones, then the lute files when they are available."""
    rng = np.random.RandomState(7)
    seeds = []
    lute = os.path.isdir(LUTE_DIR)
    # Without the lute files beside the checkout, as many more synthesized seeds in their place,
    # so the property is tested on as many mutants either way.
    lengths = (150, 700) if lute else (150, 700, 300, 450, 1000, 1500, 220, 900)
    for i, n_steps in enumerate(lengths):
        notes = [(int(rng.randint(30, 95)), t, t + int(rng.randint(1, 6))) for t in range(0, n_steps - 6, 2)]
        path = M.write_midi(M.notestate_from_notes(notes, n_steps), tmp_path / f"seed{i}.mid", tempo_bpm=96)
        with open(path, "rb") as f:
            seeds.append((f"seed{i}", f.read()))
    seeds.append(("events", event_seed(random.Random(3))))
    if not lute:
        seeds += [("events%d" % k, event_seed(random.Random(10 + k))) for k in range(3)]
    if lute:
        for cls in sorted(os.listdir(LUTE_DIR)):
            for name in sorted(os.listdir(os.path.join(LUTE_DIR, cls))):
                with open(os.path.join(LUTE_DIR, cls, name), "rb") as f:
                    seeds.append((os.path.splitext(name)[0], f.read()))
    return seeds


# ----------------------------------------------------------------------------- mutations
def chunks(data):
    """(tag, offset, length) of a *valid* seed's chunks."""
    out, pos = [], 0
    while pos + 8 <= len(data):
        n = int.from_bytes(data[pos + 4:pos + 8], "big")
        out.append((data[pos:pos + 4], pos, n))
        pos += 8 + n
    return out


def put32(data, offset, value):
    return data[:offset] + (value & 0xFFFFFFFF).to_bytes(4, "big") + data[offset + 4:]


def put16(data, offset, value):
    return data[:offset] + (value & 0xFFFF).to_bytes(2, "big") + data[offset + 2:]


def insert_in_track(data, rng, events):
    """``events`` (whole delta+event groups) at the start of a random track; its length kept true."""
    tracks = [c for c in chunks(data) if c[0] == b"MTrk"]
    _, off, n = rng.choice(tracks)
    return put32(data[:off + 8] + events + data[off + 8:], off + 4, n + len(events))


HUGE = vlq(0x0FFFFFFF)  # the largest delta time the standard allows, 4 bytes
# 0, SMPTE with bad and good frame rates and ticks per frame, 1 and 32,767 ticks per quarter
DIVISIONS = [0, 0x8000, 0xE250, 0xE728, 0xE719, 0xE31D, 0x8018, 0xFF01, 0xE700, 0x0001, 0x7FFF]


def random_bytes(r, n):
    return bytes(r.randrange(256) for _ in range(n))


def track_chunk(d, r):
    return r.choice([c for c in chunks(d) if c[0] == b"MTrk"])


def duplicate_track(d, r):
    _, off, n = track_chunk(d, r)
    return d[:off + 8 + n] + d[off:off + 8 + n] + d[off + 8 + n:]


def insert_at(d, i, junk):
    return d[:i] + junk + d[i:]


MUTATIONS = {
    "flip": lambda d, r: bytes(b if r.random() > 8 / len(d) else r.randrange(256) for b in d),
    "flip_header": lambda d, r: (lambda i: d[:i] + bytes([r.randrange(256)]) + d[i + 1:])(r.randrange(22)),
    "truncate": lambda d, r: d[:r.randrange(len(d))],
    "mthd_length": lambda d, r: put32(d, 4, r.choice([0, 5, 7, 0xFFFFFFFF, r.getrandbits(32)])),
    "mtrk_length": lambda d, r: put32(d, track_chunk(d, r)[1] + 4, r.choice(
        [0, 1, 0x7FFFFFFF, 0xFFFFFFFF, r.getrandbits(32), r.randrange(64)])),
    "division": lambda d, r: put16(d, 12, r.choice(DIVISIONS)),
    "ntracks": lambda d, r: put16(d, 10, r.choice(
        [0, 0xFFFF, int.from_bytes(d[10:12], "big") + 1, r.getrandbits(16)])),
    "format": lambda d, r: put16(d, 8, r.choice([2, 3, 0xFFFF])),
    "junk": lambda d, r: insert_at(d, r.randrange(len(d)), random_bytes(r, r.randint(1, 64))),
    "junk_run": lambda d, r: insert_at(d, r.randrange(14, len(d)),  # 999 bytes: music21's VLN limit
                                       bytes([r.choice([0x80, 0xFF, 0xF0])]) * r.choice([5, 998, 1000, 3000])),
    "dup_track": duplicate_track,
    "dup_track_counted": lambda d, r: put16(d + d[14:], 10, 2 * int.from_bytes(d[10:12], "big")),
    "dup_header": lambda d, r: d[:14] + d,
    "alien_chunk": lambda d, r: insert_at(d, 14, chunk(b"XFIH", random_bytes(r, 20))),
    "huge_delta_note": lambda d, r: insert_in_track(d, r, b"\x00\x90\x3c\x40" + HUGE + b"\x80\x3c\x00"),
    "huge_delta_shift": lambda d, r: insert_in_track(d, r, (HUGE + b"\xff\x01\x00") * r.choice([1, 3, 50])),
    "overlong_delta": lambda d, r: insert_in_track(
        d, r, b"\x00\x90\x3c\x40" + b"\xff" * r.choice([8, 40, 500]) + b"\x7f\x80\x3c\x00"),
    "huge_tempo": lambda d, r: insert_in_track(d, r, r.choice(
        [b"\x00\xff\x51\x03\xff\xff\xff", b"\x00\xff\x51\x03\x00\x00\x00", b"\x00\xff\x51\x00",
         b"\x00\xff\x51\x81\x00" + b"\xff" * 128])),
    "lying_meta": lambda d, r: insert_in_track(
        d, r, b"\x00\xff\x01" + r.choice([HUGE, b"\xff" * 1000 + b"\x00", b"\x7f"])),
    "lying_sysex": lambda d, r: insert_in_track(d, r, b"\x00\xf0" + r.choice([HUGE, b"\x80" * 999, b"\x05"])),
    "bad_status": lambda d, r: insert_in_track(  # unknown status bytes, a program change > 127
        d, r, bytes([0, r.choice([0xf1, 0xf4, 0xf9, 0xfe])]) + b"\x00\xc0\xff"),
}
WHOLE_FILES = [
    ("empty", b""), ("text", b"these are my notes, not MIDI\n" * 20), ("mthd_only", b"MThd"),
    ("header_only", header(1, 1)), ("no_tracks", header(1, 0)), ("html", b"<!DOCTYPE html><html></html>"),
    ("mthd_noise", b"MThd" + bytes(random.Random(1).randrange(256) for _ in range(4000))),
    ("empty_track", header(0, 1) + chunk(b"MTrk", b"")),
    ("unterminated_delta", header(0, 1) + chunk(b"MTrk", b"\x00\x90\x3c\x40\xff\xff")),
]


def stress_files():
    """Valid or nearly valid files whose size or shape costs a careless reader dearly."""
    # ~1 MB in one track: two-note chords every sixteenth for 87,000 steps (running status)
    step = b"\x00\x3c\x40\x00\x43\x40\x78\x3c\x00\x00\x43\x00"
    long_track = header(0, 1) + chunk(b"MTrk", b"\x00\x90\x30\x40" + step * 87_000 + b"\x00\xff\x2f\x00")
    # every channel x pitch held for 99,000 steps: 1,248 notes, 124 M note-steps to fill
    ons = b"".join(b"\x00" + bytes([0x90 | c, p, 64]) for c in range(16) for p in range(24, 102))
    offs = b"".join((vlq(99_000 * 120) if c == p == 0 else b"\x00") + bytes([0x80 | c, 24 + p, 0])
                    for c in range(16) for p in range(78))
    dense = header(0, 1) + chunk(b"MTrk", ons + offs)
    # 65,535 tracks of one note each
    many = header(1, 0xFFFF) + chunk(b"MTrk", b"\x00\x90\x3c\x40\x78\x3c\x00") * 0xFFFF
    # one note past the step cap, and a note count past the note cap (in chords of 78)
    too_long = header(0, 1) + chunk(b"MTrk", b"\x00\x90\x3c\x40" + vlq(120 * (M.MAX_STEPS + 1)) + b"\x3c\x00")
    chord = b"".join(b"\x00" + bytes([p, 64]) for p in range(24, 102))
    chord_off = b"".join((b"\x78" if p == 24 else b"\x00") + bytes([p, 0]) for p in range(24, 102))
    too_many = header(0, 1) + chunk(b"MTrk", b"\x00\x90\x30\x40\x00\x30\x00"
                                    + (chord + chord_off) * (smf.MAX_NOTES // 78 + 1))
    # 1 MB of an event music21 drops (status 0xF1) every two bytes: the slowest bytes to read
    dropped = header(0, 1) + chunk(b"MTrk", b"\x00\x90\x3c\x40\x00\x3c\x00" + b"\x00\xf1" * 500_000)
    return [("long_track", long_track), ("dense_overlap", dense), ("many_tracks", many),
            ("too_long", too_long), ("too_many_notes", too_many), ("dropped_events", dropped)]


def hostile_files(tmp_path, mutants_per_seed=MUTANTS_PER_SEED, seed=0):
    """[(name, path)]: every mutation kind over every seed, every odd division over the
    synthesized seeds, whole-file oddities and stress files."""
    rng = random.Random(seed)
    kinds = sorted(MUTATIONS)
    out = []
    for seed_name, data in seed_files(tmp_path):
        for i in range(mutants_per_seed):
            kind = kinds[(i + len(out)) % len(kinds)]
            out.append((f"{seed_name}-{i:02d}-{kind}", MUTATIONS[kind](data, rng)))
        if seed_name in ("seed0", "events"):
            out += [(f"{seed_name}-division-{v:04x}", put16(data, 12, v)) for v in DIVISIONS]
    out += WHOLE_FILES + stress_files()
    paths = []
    folder = tmp_path / "hostile"
    folder.mkdir(exist_ok=True)
    for name, data in out:
        path = folder / f"{name}.mid"
        path.write_bytes(data)
        paths.append((name, path))
    return paths


# ----------------------------------------------------------------------------- the properties
def test_only_data_error_escapes_and_every_call_is_quick(tmp_path):
    files = hostile_files(tmp_path)
    assert len(files) >= 200
    escaped, slow, outcomes = [], [], {"converted": 0, "DataError": 0}
    t_all = time.perf_counter()
    for name, path in files:
        t0 = time.perf_counter()
        try:
            matrix, info = M.read_notestate(path)
            assert matrix.shape == (info.n_steps, M.N_FEATURES) and 0 < info.n_steps <= M.MAX_STEPS
            assert info.n_notes <= smf.MAX_NOTES
            outcomes["converted"] += 1
        except DataError as e:
            message = str(e)
            assert str(path) in message and "\n" not in message, message
            outcomes["DataError"] += 1
        except BaseException as e:  # noqa: B036 - the property is that nothing else escapes
            escaped.append(f"{name}: {type(e).__name__}: {e}"[:300])
        elapsed = time.perf_counter() - t0
        if elapsed > CALL_LIMIT_S:
            slow.append(f"{name}: {elapsed:.2f} s")
    total = time.perf_counter() - t_all
    assert not escaped, f"{len(escaped)} non-DataError escapes:\n" + "\n".join(escaped[:20])
    assert not slow, "slow files:\n" + "\n".join(slow)
    assert outcomes["converted"] and outcomes["DataError"] > len(files) // 3, outcomes
    assert total < 60, f"{len(files)} files took {total:.1f} s"


def music21_reference(data):
    """The reader this module replaced: music21's MidiFile, then the same note pairing.  Its
    one rule change is ours too: a SET_TEMPO with more than 3 data bytes is ignored."""
    from music21 import midi as m21

    mf = m21.MidiFile()
    mf.readstr(data)
    notes, tempos, out_of_range, percussion = [], [], 0, 0
    for track in mf.tracks:
        tick, open_start, depth = 0, {}, {}
        for e in track.events:
            if e.type in (m21.ChannelVoiceMessages.NOTE_ON, m21.ChannelVoiceMessages.NOTE_OFF):
                pitch, channel = e.parameter1, e.channel
                is_on = e.type is m21.ChannelVoiceMessages.NOTE_ON and e.parameter2 != 0
                if channel == 10 or not 24 <= pitch < 102:
                    if is_on:
                        percussion += channel == 10
                        out_of_range += channel != 10
                    continue
                key, d = (channel, pitch), depth.get((channel, pitch), 0)
                if is_on:
                    if d:
                        notes.append((pitch, open_start[key], tick))
                    open_start[key], depth[key] = tick, d + 1
                elif d == 1:
                    notes.append((pitch, open_start.pop(key), tick))
                    del depth[key]
                elif d:
                    depth[key] = d - 1
            elif type(e) is m21.DeltaTime:
                tick += e.time
            elif e.type is m21.MetaEvents.SET_TEMPO and e.data and len(e.data) <= 3:
                tempos.append((tick, 60e6 / max(int.from_bytes(e.data, "big"), 1)))
        notes.extend((key[1], start, tick) for key, start in open_start.items())
    return notes, tempos, out_of_range, percussion, mf.ticksPerQuarterNote


def test_scanner_reads_what_music21_reads(tmp_path):
    """Differential: on every small damaged file, the same notes, tempos and drop counts as
    music21's reader, and a DataError wherever music21 gives up -- except the two documented
    departures: division 0 and SMPTE headers."""
    compared = gave_up = 0
    for name, path in hostile_files(tmp_path):
        data = path.read_bytes()
        if len(data) > 64_000 or data[:4] != b"MThd" or len(data) < 14:
            continue
        division = int.from_bytes(data[12:14], "big")
        if division == 0 or division & 0x8000:
            continue
        try:
            expected = music21_reference(data)
        except Exception:
            gave_up += 1
            with pytest.raises(DataError, match="corrupt MIDI data|not supported"):
                smf.scan(data, str(path))
            continue
        assert smf.scan(data, str(path)) == expected, name
        compared += 1
    assert compared > 100 and gave_up > 30, (compared, gave_up)


def test_song_length_cap_is_exact_and_explained(tmp_path):
    def one_note(steps):
        path = tmp_path / f"note{steps}.mid"
        path.write_bytes(header(0, 1, 480)
                         + chunk(b"MTrk", b"\x00\x90\x3c\x40" + vlq(120 * steps) + b"\x3c\x00"))
        return path

    matrix, info = M.read_notestate(one_note(M.MAX_STEPS))
    assert info.n_steps == M.MAX_STEPS == len(matrix)
    # one note held past the cap: no piece holds a note for 6,250 bars, so it is named damage
    with pytest.raises(DataError, match=r"timing data corrupt: a delta time would put the song at 100,001 "
                                        r"steps \(a note held for 100,001 steps"):
        M.read_notestate(one_note(M.MAX_STEPS + 1))
    # a real (if absurdly long) song: a note every bar, 100,001 steps in all, is the cap's message
    path = tmp_path / "long.mid"
    bar = vlq(120 * 15) + b"\x3c\x00" + vlq(120) + b"\x3c\x40"  # 15 steps on, 1 off, next note
    steps = 16 * (M.MAX_STEPS // 16)
    path.write_bytes(header(0, 1, 480) + chunk(b"MTrk", b"\x00\x90\x3c\x40" + bar * (steps // 16 - 1)
                                                + vlq(120 * (M.MAX_STEPS + 1 - (steps - 16))) + b"\x3c\x00"))
    with pytest.raises(DataError, match=r"song would be 100,001 steps long, over the reader's cap of 100,000 "
                                        r"\(25,000 quarter notes"):
        M.read_notestate(path)


def test_note_cap(tmp_path, monkeypatch):
    path = tmp_path / "notes.mid"
    path.write_bytes(header(0, 1) + chunk(b"MTrk", b"\x00\x90" + b"".join(
        bytes([p, 64]) + b"\x78" + bytes([p, 0]) + b"\x00" for p in range(30, 90))[:-1]))
    assert M.read_notestate(path)[1].n_notes == 60
    monkeypatch.setattr(smf, "MAX_NOTES", 59)
    with pytest.raises(DataError, match="more than 59 notes"):
        M.read_notestate(path)


def test_header_damage_is_named(tmp_path):
    good = header(0, 1, 480) + chunk(b"MTrk", b"\x00\x90\x3c\x40\x83\x60\x3c\x00")
    cases = [(put16(good, 12, 0), "0 ticks per quarter note"),
             (put16(good, 12, 0x8018), "SMPTE timing with 128 frames per second"),
             (put16(good, 12, 0xE700), "SMPTE timing with 0 ticks per frame"),
             (put16(good, 10, 0xFFFF), "header promises 65,535 tracks, found 1"),
             (put16(good, 8, 2), "format 2"), (put32(good, 4, 0xFFFFFFFF), "header chunk length 4,294,967,295"),
             (put16(put32(good, 18, 0xFFFFFF), 10, 2), "track 1's length field .16,777,215 bytes. runs past"),
             (good[:-3], "variable-length number runs past the end of the track"),
             (good[:10], "header cut short")]
    for data, why in cases:
        path = tmp_path / "damaged.mid"
        path.write_bytes(data)
        with pytest.raises(DataError, match=why):
            M.read_notestate(path)
    # SMPTE 30 fps x 80 ticks per frame = 2,400 ticks a second, read as 120 bpm: 1,200 per quarter
    path = tmp_path / "smpte.mid"
    path.write_bytes(put16(header(0, 1, 480), 12, 0xE250)
                     + chunk(b"MTrk", b"\x00\x90\x3c\x40" + vlq(1200) + b"\x3c\x00"))
    assert M.read_notestate(path)[1].n_steps == 4


def test_one_hostile_file_does_not_abort_a_folder(tmp_path, monkeypatch):
    rng = np.random.RandomState(0)
    root = tmp_path / "data"
    for cls in ("a", "b"):
        for i in range(3):
            notes = [(int(rng.randint(40, 80)), t, t + 2) for t in range(0, 200, 2)]
            M.write_midi(M.notestate_from_notes(notes, 200), root / cls / f"song{i}.mid")
    good = (root / "a" / "song0.mid").read_bytes()
    (root / "a" / "zero_division.mid").write_bytes(put16(good, 12, 0))
    endless = insert_in_track(good, random.Random(0), b"\x00\x90\x3c\x40" + HUGE + b"\x80\x3c\x00")
    (root / "b" / "endless.mid").write_bytes(endless)
    (root / "b" / "truncated.mid").write_bytes(good[:10])
    (root / "b" / "huge.mid").write_bytes(good + bytes(5000))
    monkeypatch.setattr(smf, "MAX_FILE_BYTES", 4096)  # the corpus reads no further than the cap
    real_read = M.read_notestate

    def reader_bug(path):  # the corpus's last line of defence, should a reader ever slip
        if os.path.basename(path) == "song2.mid" and os.path.basename(os.path.dirname(path)) == "b":
            raise ZeroDivisionError("division by zero")
        return real_read(path)

    monkeypatch.setattr(M, "read_notestate", reader_bug)
    d = load_midi_dataset(root, cache_dir=False, progress=False)
    assert d.classes == ["a", "b"] and len(d.songs) == 5
    lines = d.report[:-1]
    assert len(lines) == 5, lines
    assert any("zero_division.mid" in line and "0 ticks per quarter note" in line for line in lines)
    assert any("endless.mid" in line and "timing data corrupt: a delta time would put the song at"
               in line for line in lines), lines
    assert any("truncated.mid" in line and "corrupt MIDI data" in line for line in lines)
    assert any("song2.mid" in line and "unexpected error in the reader (ZeroDivisionError: division by zero)"
               in line for line in lines)
    assert any("huge.mid" in line and "file larger than 4,096 bytes" in line for line in lines)
    assert "5 files skipped" in d.report[-1]
