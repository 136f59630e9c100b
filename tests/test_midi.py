"""MIDI <-> note-state matrix (chainer_vae.data.midi), on fixtures built with music21."""
import numpy as np
import pytest
from music21 import chord, midi, note, stream, tempo

from chainer_vae.data.midi.notestate import LOWEST_PITCH, N_FEATURES, N_PITCHES, notes_from_notestate, notestate_from_notes, read_notestate, stream_to_notestate, write_midi
from chainer_vae.errors import DataError

TPQ = 480  # ticks per quarter in the low-level fixtures; one sixteenth step = 120 ticks
CVM = midi.ChannelVoiceMessages


def write_events(path, tracks, tempo_bpm=None, tpq=TPQ):
    """Low-level fixture: tracks of (tick, 'on'|'off', pitch, velocity, channel) events."""
    mf = midi.MidiFile()
    mf.ticksPerQuarterNote = tpq
    for index, events in enumerate(tracks):
        tr = midi.MidiTrack(index)
        if tempo_bpm is not None and index == 0:
            me = midi.MidiEvent(tr, type=midi.MetaEvents.SET_TEMPO)
            me.data = midi.putNumber(int(round(60e6 / tempo_bpm)), 3)
            tr.events += [midi.DeltaTime(tr, time=0), me]
        last = 0
        for tick, kind, pitch, vel, channel in sorted(events, key=lambda e: e[0]):
            me = midi.MidiEvent(tr, type=CVM.NOTE_ON if kind == "on" else CVM.NOTE_OFF, channel=channel)
            me.pitch, me.velocity = pitch, vel
            tr.events += [midi.DeltaTime(tr, time=tick - last), me]
            last = tick
        end = midi.MidiEvent(tr, type=midi.MetaEvents.END_OF_TRACK)
        end.data = b""
        tr.events += [midi.DeltaTime(tr, time=0), end]
        mf.tracks.append(tr)
    path.write_bytes(mf.writestr())
    return path


def note_events(pitch, start, end, channel=1, vel=90):
    """A note from step ``start`` to step ``end`` as two low-level events."""
    return [(start * 120, "on", pitch, vel, channel), (end * 120, "off", pitch, 0, channel)]


def test_notes_matrix_helpers_roundtrip():
    notes = [(24, 0, 2), (60, 0, 4), (64, 0, 4), (62, 4, 5), (62, 5, 7), (101, 6, 8)]
    m = notestate_from_notes(notes, 8)
    assert m.shape == (8, N_FEATURES) and m.dtype == np.uint8
    assert m[:, 62 - LOWEST_PITCH].tolist() == [0, 0, 0, 0, 1, 1, 1, 0]  # back-to-back: one play run
    assert m[:, N_PITCHES + 62 - LOWEST_PITCH].tolist() == [0, 0, 0, 0, 1, 1, 0, 0]  # two onsets
    assert notes_from_notestate(m) == sorted(notes, key=lambda n: (n[1], n[0]))


def test_notes_from_notestate_articulate_without_play_is_ignored():
    m = np.zeros((4, N_FEATURES), np.uint8)
    m[1, N_PITCHES + 10] = 1  # articulate but silent
    m[0:3, 20] = 1  # plays without any articulate bit: one note from where play begins
    assert notes_from_notestate(m) == [(LOWEST_PITCH + 20, 0, 3)]


def test_music21_written_file_roundtrip(tmp_path):
    # C4 q, C4 q (same pitch back to back), eighth rest, chord E4+G4 half, D5 sixteenth
    s = stream.Stream()
    for el in [note.Note(60, quarterLength=1), note.Note(60, quarterLength=1),
               note.Rest(quarterLength=0.5), chord.Chord([64, 67], quarterLength=2),
               note.Note(74, quarterLength=0.25)]:
        s.append(el)
    src = tmp_path / "known.mid"
    s.write("midi", fp=str(src))
    expected = notestate_from_notes([(60, 0, 4), (60, 4, 8), (64, 10, 18), (67, 10, 18),
                                     (74, 18, 19)], 19)
    m, info = read_notestate(src)
    np.testing.assert_array_equal(m, expected)
    assert (info.n_steps, info.n_notes) == (19, 5)
    assert m[8:10].sum() == 0  # the rest

    out = tmp_path / "again.mid"
    write_midi(m, out, tempo_bpm=info.tempo_bpm)
    m2, info2 = read_notestate(out)
    np.testing.assert_array_equal(m2, expected)
    assert info2.tempo_bpm == info.tempo_bpm

    # the stream path gives the same matrix as the MIDI path
    np.testing.assert_array_equal(stream_to_notestate(s)[0], expected)


def test_write_midi_thresholds_probabilities(tmp_path):
    p = np.zeros((6, N_FEATURES), np.float32)
    p[0:4, 30] = 0.9
    p[0, N_PITCHES + 30] = 0.7
    p[2, N_PITCHES + 30] = 0.6  # re-articulated at step 2
    p[1:3, 40] = 0.49  # below threshold: silent
    out = write_midi(p, tmp_path / "gen.mid", tempo_bpm=100, velocity=64)
    m, info = read_notestate(out)
    assert notes_from_notestate(m) == [(54, 0, 2), (54, 2, 4)]
    assert info.tempo_bpm == 100.0
    assert not list(tmp_path.glob(".*tmp*"))  # written atomically, nothing left behind


def test_pitch_range_percussion_and_velocity0(tmp_path):
    events = (note_events(23, 0, 2) + note_events(102, 0, 2) + note_events(24, 0, 2)
              + note_events(101, 2, 3) + note_events(60, 0, 4, channel=10) + note_events(38, 1, 2, channel=10))
    # a note-on with velocity 0 ends the note (at step 3, not at the later note-off)
    events += [(0, "on", 70, 80, 2), (360, "on", 70, 0, 2), (900, "off", 70, 0, 2)]
    m, info = read_notestate(write_events(tmp_path / "range.mid", [events]))
    assert info.dropped_out_of_range == 2
    assert info.dropped_percussion == 2
    assert notes_from_notestate(m) == [(24, 0, 2), (70, 0, 3), (101, 2, 3)]


def test_tracks_merge_and_overlapping_same_pitch(tmp_path):
    # two voices share pitch 60 on one channel: on@0, on@2, off@4, off@6
    t1 = [(0, "on", 60, 90, 1), (240, "on", 60, 90, 1), (480, "off", 60, 0, 1), (720, "off", 60, 0, 1)]
    t2 = note_events(67, 1, 3, channel=2)
    m, info = read_notestate(write_events(tmp_path / "voices.mid", [t1, t2]))
    assert notes_from_notestate(m) == [(60, 0, 2), (67, 1, 3), (60, 2, 6)]
    assert info.n_notes == 3


def test_tempo_from_file_and_default(tmp_path):
    _, info = read_notestate(write_events(tmp_path / "t90.mid", [note_events(60, 0, 4)], tempo_bpm=90))
    assert info.tempo_bpm == 90.0
    _, info = read_notestate(write_events(tmp_path / "none.mid", [note_events(60, 0, 4)]))
    assert info.tempo_bpm == 120.0
    s = stream.Stream([tempo.MetronomeMark(number=72), note.Note(60, quarterLength=4)])
    s.write("midi", fp=str(tmp_path / "mm.mid"))
    assert read_notestate(tmp_path / "mm.mid")[1].tempo_bpm == 72.0
    assert stream_to_notestate(s)[1].tempo_bpm == 72.0


def test_dominant_tempo_wins_over_a_short_opening_marker(tmp_path):
    # like the lute files: 250 bpm for one beat, then 80 bpm for the rest
    mf = midi.MidiFile()
    tr = midi.MidiTrack(0)
    for delta, bpm in [(0, 250), (480, 80)]:
        me = midi.MidiEvent(tr, type=midi.MetaEvents.SET_TEMPO)
        me.data = midi.putNumber(int(60e6 / bpm), 3)
        tr.events += [midi.DeltaTime(tr, time=delta), me]
    on = midi.MidiEvent(tr, type=CVM.NOTE_ON)
    on.pitch, on.velocity = 60, 90
    off = midi.MidiEvent(tr, type=CVM.NOTE_OFF)
    off.pitch, off.velocity = 60, 0
    tr.events += [midi.DeltaTime(tr, time=0), on, midi.DeltaTime(tr, time=480 * 8), off]
    mf.ticksPerQuarterNote = 480
    mf.tracks.append(tr)
    (tmp_path / "tempi.mid").write_bytes(mf.writestr())
    info = read_notestate(tmp_path / "tempi.mid")[1]
    assert (info.tempo_bpm, info.tempo_changes, info.n_steps) == (80.0, 1, 36)


def test_stream_ties_merge_into_one_note():
    from music21 import tie
    a, b = note.Note(60, quarterLength=1), note.Note(60, quarterLength=1)
    a.tie, b.tie = tie.Tie("start"), tie.Tie("stop")
    s = stream.Stream([a, b, note.Note(60, quarterLength=1)])
    m, info = stream_to_notestate(s)
    assert notes_from_notestate(m) == [(60, 0, 8), (60, 8, 12)]


@pytest.mark.parametrize("content, why", [
    (b"", "empty file"), (b"this is not midi\n", "not a MIDI file"),
    (b"MThd\x00\x00\x00\x06\x00\x01\x00\x02\x01\xe0MTrk\x00\x00\x00\x40\x00\x90", "corrupt"),
])
def test_bad_files_raise_data_error_naming_file(tmp_path, content, why):
    path = tmp_path / "bad.mid"
    path.write_bytes(content)
    with pytest.raises(DataError, match=why) as err:
        read_notestate(path)
    assert str(path) in str(err.value)


def test_missing_file_and_no_notes(tmp_path):
    with pytest.raises(DataError, match="cannot read"):
        read_notestate(tmp_path / "nope.mid")
    only_drums = write_events(tmp_path / "drums.mid", [note_events(36, 0, 2, channel=10)])
    with pytest.raises(DataError, match="no notes.*1 percussion"):
        read_notestate(only_drums)
