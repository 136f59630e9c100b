"""The authors' MIDI reading (chainer_vae.data.midi.authors) and the event scan under it."""
import os
import time

import numpy as np
import pytest

import test_midi_fuzz as fuzz  # tests/ is on sys.path under pytest: its byte builders and damaged files
from chainer_vae.data.midi import smf
from chainer_vae.data.midi.notestate import N_PITCHES, read_notestate
from chainer_vae.data.midi.authors import read_authors, read_notestate_authors
from chainer_vae.errors import DataError

TPQ = 480  # ticks per quarter: one row = 120 ticks, a row starts at 60, 180, 300, ...
STEP = TPQ // 4
ON, OFF = 0x90, 0x80
# The lute files: (class, name) -> (our n_steps, the authors' rows).  The authors' reader ends
# at the end-of-track of the longest track, one row past our last note-off (three for cs4-2all,
# whose conductor track ends 240 ticks after the music), and cs5-1pre at its 3/8 at tick 49,920
# = step 416: 416 complete rows and row 416, opened at tick 49,860, holding what sounds there.
LUTE = {("cminor", "997-1pre"): (884, 885), ("cminor", "cs5-1pre"): (1598, 417),
        ("cminor", "cs5-2all"): (1166, 1167), ("cminor", "cs5-5gav"): (2440, 2441),
        ("ebmajor", "cs4-1pre"): (1444, 1445), ("ebmajor", "cs4-2all"): (1294, 1297),
        ("ebmajor", "cs4-5bou"): (2700, 2701), ("ebmajor", "pfa-2fug"): (1636, 1637)}


# ----------------------------------------------------------------------------- building files
def note(tick, status, pitch, velocity=64, channel=1):
    return tick, bytes([status | (channel - 1), pitch, velocity])


def time_signature(tick, numerator, denominator_log2=2):
    return tick, b"\xff\x58\x04" + bytes([numerator, denominator_log2, 24, 8])


def track(events):
    """(absolute tick, event bytes) in file order -> an MTrk chunk ending in end-of-track."""
    body, last = bytearray(), 0
    for tick, raw in events:
        body += fuzz.vlq(tick - last) + raw
        last = tick
    end_tick = max([last] + [t for t, _ in events])
    body += fuzz.vlq(end_tick - last) + b"\xff\x2f\x00"
    return fuzz.chunk(b"MTrk", bytes(body))


def write(tmp_path, tracks, name="song.mid", division=TPQ, end_tick=None):
    """A format 1 file of the given tracks (lists of events); end_tick: a conductor track's end."""
    chunks = [track(t) for t in tracks]
    if end_tick is not None:
        chunks.insert(0, track([(end_tick, b"\xff\x01\x00")]))
    path = tmp_path / name
    path.write_bytes(fuzz.header(1, len(chunks), division) + b"".join(chunks))
    return path


def played(matrix, pitch):
    """Rows where ``pitch`` plays, and rows where it is articulated."""
    col = pitch - 24
    return np.flatnonzero(matrix[:, col]).tolist(), np.flatnonzero(matrix[:, N_PITCHES + col]).tolist()


# ----------------------------------------------------------------------------- sampling, rounding
def test_rows_sample_half_a_step_after_each_sixteenth(tmp_path):
    """An event at tick t lands in row (t + 60) // 120 at 480 ticks per quarter: ticks round to
    the nearest sixteenth, half-way up; a note that starts and ends in one row vanishes."""
    events = [note(59, ON, 60), note(61, OFF, 60),       # rows 0..0: on before tick 60, off after
              note(60, ON, 62), note(300, OFF, 62),      # 60 -> row 1 (half-way rounds up), 300 -> row 3
              note(70, ON, 64), note(100, OFF, 64),      # both in row 1: the note vanishes
              note(179, ON, 65), note(181, OFF, 65),     # on in row 1, off in row 2: one row
              note(420, ON, 67), note(960, OFF, 67)]     # rows 4..7, the last note-off at 960 -> row 8
    matrix, info = read_notestate_authors(write(tmp_path, [sorted(events, key=lambda e: e[0])]))
    assert played(matrix, 60) == ([0], [0])
    assert played(matrix, 62) == ([1, 2], [1])
    assert played(matrix, 64) == ([], [])
    assert played(matrix, 65) == ([1], [1])
    assert played(matrix, 67) == ([4, 5, 6, 7], [4])
    assert matrix.shape == (9, 156) and info.n_steps == 9  # row(960) + 1; the last row is silent
    assert not matrix[-1].any() and info.n_notes == 5
    ours, _ = read_notestate(tmp_path / "song.mid")
    assert played(ours, 64) == ([1], [1])  # our reader keeps a short note for one step
    assert ours.shape[0] == 8  # and ends at the last note-off


def test_odd_resolutions_use_python2_integer_division(tmp_path):
    """At 100 ticks per quarter a step is 25 ticks and a row starts 12 ticks after each
    boundary (100 // 8), as under the Python 2 the authors ran: row(t) = (t + 13) // 25."""
    path = write(tmp_path, [[note(11, ON, 60), note(37, OFF, 60), note(37, ON, 62), note(100, OFF, 62)]],
                 division=100)
    matrix, info = read_notestate_authors(path)
    assert played(matrix, 60) == ([0, 1], [0])  # 11 -> row 0, 37 -> row 2
    assert played(matrix, 62) == ([2, 3], [2])  # 100 -> row 4
    assert info.n_steps == 5


def test_the_last_event_in_a_row_wins(tmp_path):
    voice1 = [note(0, ON, 60), note(0, ON, 62), note(480, OFF, 60),
              note(960, ON, 62, 0), note(960, ON, 62),      # off (velocity 0), then on, at one tick: re-struck
              note(1440, ON, 64), note(1440, OFF, 64, 0),   # on, then off, at one tick: nothing
              note(1920, OFF, 62)]
    voice2 = [note(240, ON, 60, channel=2), note(360, OFF, 60, channel=2)]  # a second voice on pitch 60
    path = write(tmp_path, [voice1, voice2])
    matrix, info = read_notestate_authors(path)
    # 60: the second voice strikes it in row 2 and its note-off in row 3 silences the pitch,
    # although the first voice holds it to tick 480
    assert played(matrix, 60) == ([0, 1, 2], [0, 2])
    assert played(matrix, 62) == (list(range(16)), [0, 8])
    assert played(matrix, 64) == ([], [])
    assert info.n_steps == 17
    ours, _ = read_notestate(path)
    assert played(ours, 60) == ([0, 1, 2, 3], [0, 2])  # our reader pairs notes per track and channel
    assert played(ours, 64) == ([12], [12])


def test_a_later_track_note_off_at_the_same_tick_silences(tmp_path):
    """cs4-1pre's case: voice 1 strikes a pitch at the tick where voice 2 (a later track) lets
    the same pitch go: tracks are read in order, so the note-off comes last and wins."""
    voice1 = [note(480, ON, 55), note(960, OFF, 55)]
    voice2 = [note(0, ON, 55, channel=2), note(480, OFF, 55, channel=2)]
    matrix, _ = read_notestate_authors(write(tmp_path, [voice1, voice2]))
    assert played(matrix, 55) == ([0, 1, 2, 3], [0])
    swapped, _ = read_notestate_authors(write(tmp_path, [voice2, voice1], name="swapped.mid"))
    assert played(swapped, 55) == (list(range(8)), [0, 4])


def test_velocity_zero_is_a_note_off_and_out_of_range_notes_are_skipped(tmp_path):
    events = [note(0, ON, 60), note(240, ON, 60, 0), note(0, ON, 20), note(240, OFF, 20),
              note(0, ON, 110), note(240, OFF, 110)]
    matrix, info = read_notestate_authors(write(tmp_path, [sorted(events, key=lambda e: e[0])]))
    assert played(matrix, 60) == ([0, 1], [0])
    assert info.n_notes == 1 and info.dropped_out_of_range == 2


def test_percussion_is_kept(tmp_path):
    path = write(tmp_path, [[note(0, ON, 60), note(240, OFF, 60)],
                            [note(0, ON, 38, channel=10), note(120, OFF, 38, channel=10)]])
    reading = read_authors(path)
    assert played(reading.matrix, 38) == ([0], [0]) and reading.percussion_kept == 1
    ours, info = read_notestate(path)
    assert played(ours, 38) == ([], []) and info.dropped_percussion == 1


# ----------------------------------------------------------------------------- time signatures
def melody(n_steps, pitch=60):
    """A note on every step from 0: one quarter-long note every 4 steps, alternating pitches."""
    out = []
    for k in range(0, n_steps, 4):
        p = pitch + (k // 4) % 2
        out += [note(k * STEP, ON, p), note((k + 4) * STEP, OFF, p)]
    return out


@pytest.mark.parametrize("numerator,denominator_log2", [(3, 2), (6, 3), (3, 3), (12, 3), (5, 2)])
def test_reading_stops_at_the_first_signature_other_than_2_or_4(tmp_path, numerator, denominator_log2):
    conductor = [time_signature(0, 4), time_signature(16 * STEP, numerator, denominator_log2),
                 time_signature(24 * STEP, 4)]
    reading = read_authors(write(tmp_path, [conductor, melody(40)]))
    # row 16 opens at tick 1,860 and the conductor track, read first, stops there at 1,920: the
    # melody's events at 1,920 (an off and an on) never arrive, so row 16 holds what sounded
    assert reading.info.n_steps == 17 and reading.stopped_by == (numerator, 16 * STEP)
    assert reading.matrix[16, :N_PITCHES].nonzero()[0].tolist() == [61 - 24]  # held, not re-struck
    assert not reading.matrix[16, N_PITCHES:].any()
    ours, info = read_notestate(tmp_path / "song.mid")
    assert info.n_steps == 40  # our reader reads on


@pytest.mark.parametrize("numerator", [2, 4])
def test_two_and_four_beat_signatures_read_on(tmp_path, numerator):
    conductor = [time_signature(0, 4), time_signature(16 * STEP, numerator, 1)]
    reading = read_authors(write(tmp_path, [conductor, melody(40)]))
    assert reading.stopped_by is None and reading.info.n_steps == 41


def test_a_signature_inside_the_music_track_keeps_the_events_before_it(tmp_path):
    """At the stopping tick, the events of the same track that come before the signature are read."""
    events = melody(8) + [note(8 * STEP, ON, 70), time_signature(8 * STEP, 3), note(8 * STEP, ON, 72)]
    reading = read_authors(write(tmp_path, [sorted(events, key=lambda e: e[0])]))
    assert reading.info.n_steps == 9
    assert played(reading.matrix, 70) == ([8], [8]) and played(reading.matrix, 72) == ([], [])


def test_a_three_four_song_leaves_no_notes(tmp_path):
    with pytest.raises(DataError, match="before the 3/x time signature at tick 0"):
        read_notestate_authors(write(tmp_path, [[time_signature(0, 3)], melody(16)]))


# ----------------------------------------------------------------------------- where the original crashes
def test_files_the_original_cannot_read_are_data_errors(tmp_path):
    good = melody(8)
    with pytest.raises(DataError, match="divides by zero"):
        read_notestate_authors(write(tmp_path, [good], name="res3.mid", division=3))
    empty_track = tmp_path / "empty_track.mid"
    empty_track.write_bytes(fuzz.header(1, 2, TPQ) + track(good) + fuzz.chunk(b"MTrk", b""))
    with pytest.raises(DataError, match="track 2 has no events"):
        read_notestate_authors(empty_track)
    with pytest.raises(DataError, match="time signature with no data"):
        read_notestate_authors(write(tmp_path, [[(0, b"\xff\x58\x00")], good], name="ts0.mid"))
    with pytest.raises(DataError, match="would run past step 100,000"):
        read_notestate_authors(write(tmp_path, [good], name="long.mid", end_tick=STEP * 100_001))


# ----------------------------------------------------------------------------- damaged files
def test_only_data_error_escapes_and_the_event_scan_agrees_with_scan(tmp_path):
    """The fuzz test's damaged files: the authors' reading ends in DataError or a matrix, never
    anything else, and ``scan_events`` fails exactly where ``scan`` fails and otherwise sees the
    same notes (note-ons in range, out of range, percussion) and tempos."""
    escaped, disagree, converted = [], [], 0
    t0 = time.perf_counter()
    for name, path in fuzz.hostile_files(tmp_path):
        try:
            reading = read_authors(path)
            assert reading.matrix.shape == (reading.info.n_steps, 156)
            converted += 1
        except DataError as e:
            assert str(path) in str(e) and "\n" not in str(e), str(e)
        except BaseException as e:  # noqa: B036 - the property is that nothing else escapes
            escaped.append(f"{name}: {type(e).__name__}: {e}"[:300])
        outcome = []
        for reader in (smf.scan, smf.scan_events):
            try:
                outcome.append(reader(smf.read_bytes(str(path)), str(path)))
            except DataError:
                outcome.append(None)
        if (outcome[0] is None) != (outcome[1] is None):
            disagree.append(f"{name}: scan {'fails' if outcome[0] is None else 'reads'}, scan_events "
                            f"{'fails' if outcome[1] is None else 'reads'}")
        elif outcome[0] is not None and _note_counts(outcome[1]) != _note_counts_scan(outcome[0]):
            disagree.append(f"{name}: {_note_counts(outcome[1])} vs {_note_counts_scan(outcome[0])}")
    assert not escaped, "\n".join(escaped[:20])
    assert not disagree, "\n".join(disagree[:20])
    assert converted > 50
    assert time.perf_counter() - t0 < 120


def _note_counts_scan(result):
    notes, tempos, out_of_range, percussion, _ = result
    return len(notes), out_of_range, percussion, tempos


def _note_counts(result):
    tracks, _, tempos = result
    ons = [e for events, _ in tracks for e in events if e[1] == smf.NOTE_ON]
    drums = [e for e in ons if e[3] == smf.PERCUSSION_CHANNEL]
    in_range = [e for e in ons if 24 <= e[2] < 102 and e[3] != smf.PERCUSSION_CHANNEL]
    return len(in_range), len(ons) - len(in_range) - len(drums), len(drums), tempos


# ----------------------------------------------------------------------------- the paper's lute files
def test_lute_files(lute_dir):
    """Of the eight, only cs5-1pre changes time signature (3/8 at step 416); the authors' reading
    keeps everything else, one row past our last note (module docstring), and differs from ours
    only by notes it drops: ornaments shorter than their row, and pitches one voice lets go
    where another strikes them."""
    for (cls, name), (ours_steps, authors_steps) in LUTE.items():
        path = os.path.join(lute_dir, cls, name + ".mid")
        ours, info = read_notestate(path)
        reading = read_authors(path)
        assert (info.n_steps, reading.info.n_steps) == (ours_steps, authors_steps), name
        m = reading.matrix
        n = min(len(m), len(ours))
        assert not (m[:n] & ~ours[:n]).any(), f"{name}: the authors' reading plays what ours does not"
        assert (ours[:n] != m[:n]).sum() < 0.001 * ours[:n].size, name
        if authors_steps > ours_steps:  # the rows past our last note-off are silent
            assert not m[ours_steps:].any(), name
        if name == "cs5-1pre":
            assert reading.stopped_by == (3, 416 * STEP)
            assert reading.info.n_notes < info.n_notes
        else:
            assert reading.stopped_by is None and reading.info.n_notes == info.n_notes


# ----------------------------------------------------------------------------- --reader authors on a folder
def signature_folder(root):
    """Two classes of 300-step songs: "changes" has a 3/4 song (from step 150), a 6/8 song (from
    step 200) and a 2/4 one (read on); "plain" two songs in 4/4 throughout."""
    songs = {("changes", "three_four.mid"): 150, ("changes", "six_eight.mid"): 200,
             ("changes", "two_four.mid"): None, ("plain", "a.mid"): None, ("plain", "b.mid"): None}
    change = {"three_four.mid": (3, 2), "six_eight.mid": (6, 3), "two_four.mid": (2, 2)}
    for (cls, name), _ in songs.items():
        (root / cls).mkdir(parents=True, exist_ok=True)
        conductor = [time_signature(0, 4)]
        if name in change:
            at = {"three_four.mid": 150, "six_eight.mid": 200, "two_four.mid": 100}[name]
            conductor.append(time_signature(at * STEP, *change[name]))
        write(root / cls, [conductor, melody(300, pitch=60 + len(name))], name=name)
    return songs


def _sorted_rows(windows):
    flat = windows.reshape(len(windows), -1)
    return flat[np.lexsort(flat.T[::-1])]


def test_the_authors_reader_cuts_the_songs_and_their_windows(tmp_path):
    from chainer_vae.data.midi.corpus import load_midi_dataset, song_windows

    songs = signature_folder(tmp_path / "data")
    cache = tmp_path / "cache"
    ours = load_midi_dataset(tmp_path / "data", cache_dir=cache, windows_per_song=20, progress=False)
    d = load_midi_dataset(tmp_path / "data", cache_dir=cache, windows_per_song=20, progress=False, reader="authors")
    steps = {(s["class"], s["name"]): s["n_steps"] for s in d.songs}
    assert steps == {k: 301 if cut is None else cut + 1 for k, cut in songs.items()}  # the row it stops in, kept
    assert {(s["class"], s["name"]): s["n_steps"] for s in ours.songs} == {k: 300 for k in songs}
    stops = {s["name"]: s["stopped_by"] for s in d.songs}
    assert stops["three_four.mid"] == [3, 150 * STEP, 150] and stops["six_eight.mid"] == [6, 200 * STEP, 200]
    assert stops["two_four.mid"] is None and "stopped_by" not in ours.songs[0]
    cut = [line for line in d.report if line.startswith("cut short")]
    assert len(cut) == 2 and "changes/three_four.mid: the authors' reader stops at its 3/x time signature" in cut[1]
    assert "(the authors' reader)" in d.source and "(the authors' reader)" not in ours.source
    # every window of the train and test sets is one of the authors' readings' windows, and all are there
    for ci, cls in enumerate(d.classes):
        got = np.concatenate([x[np.flatnonzero(y == ci)] for x, y in ((d.train_x, d.train_y), (d.test_x, d.test_y))])
        want = np.concatenate([song_windows(read_notestate_authors(tmp_path / "data" / cls / name)[0], 100, 20)
                               for c, name in sorted(songs) if c == cls])
        np.testing.assert_array_equal(_sorted_rows(got), _sorted_rows(want))
    # the 3/4 song's windows all start within its 151 steps: none reaches past its signature
    three = next(s for s in d.songs if s["name"] == "three_four.mid")
    assert three["n_steps"] - 100 == 51
    # warm: the same songs from the cache, each reader's own (never the other's)
    again = load_midi_dataset(tmp_path / "data", cache_dir=cache, windows_per_song=20, progress=False,
                              reader="authors")
    assert "0 converted" in again.report[-1]
    assert [s["n_steps"] for s in again.songs] == [s["n_steps"] for s in d.songs]
    assert [s.get("stopped_by") for s in again.songs] == [s["stopped_by"] for s in d.songs]
    ours_again = load_midi_dataset(tmp_path / "data", cache_dir=cache, windows_per_song=20, progress=False)
    assert [s["n_steps"] for s in ours_again.songs] == [300] * 5


def test_the_authors_reader_needs_a_midi_folder_and_is_part_of_the_run_identity(tmp_path):
    from chainer_vae.cli import flags, midi
    from chainer_vae.data.midi.corpus import load_midi_dataset
    from chainer_vae.errors import ConfigError

    with pytest.raises(ConfigError, match="--reader authors reads MIDI files"):
        load_midi_dataset(None, reader="authors")
    with pytest.raises(ConfigError, match="reader must be one of"):
        load_midi_dataset(tmp_path, reader="python-midi")
    with pytest.raises(ConfigError, match="--reader authors reads MIDI files"):
        flags.parse(midi.MidiConfig, ["--reader", "authors"])
    signature_folder(tmp_path / "data")
    base = flags.parse(midi.MidiConfig, ["--midi-dir", str(tmp_path / "data")])
    authors = flags.parse(midi.MidiConfig, ["--midi-dir", str(tmp_path / "data"), "--reader", "authors"])
    assert "reader" not in base.identity() and authors.identity()["reader"] == "authors"
    assert base.run_id("midi", "x") != authors.run_id("midi", "x")


def test_the_lute_folder_read_by_the_authors_reader(tmp_path, lute_dir):
    from chainer_vae.data.midi.corpus import load_midi_dataset

    d = load_midi_dataset(lute_dir, cache_dir=tmp_path / "cache", progress=False, reader="authors")
    assert {(s["class"], os.path.splitext(s["name"])[0]): s["n_steps"] for s in d.songs} == \
        {k: authors for k, (_, authors) in LUTE.items()}
    assert (len(d.train_x), len(d.test_x)) == (1280, 320)
    assert [line for line in d.report if line.startswith("cut short")] == [
        "cut short: cminor/cs5-1pre.mid: the authors' reader stops at its 3/x time signature at tick 49,920 "
        "(step 416): 417 steps read"]
