"""Sampling settings and the music statistics that choose between them."""
import json
import os

import numpy as np
import pytest

from chainer_vae.music import stats as S
from chainer_vae.music import sampling
from chainer_vae.data.midi import notestate as M
from chainer_vae.errors import ConfigError


def _listener(notes, steps, floor=None):
    """The four listener features of one window made of (pitch, start, end) notes, measured both
    ways (the per-window definition and the streamed one must agree)."""
    w = M.notestate_from_notes(notes, steps)
    s = S.window_features(w)[0]
    got = S.features(w[None], melody_floor=floor)
    for k in S.WINDOW_SCALARS:
        assert got["scalars"][k][0] == s[k], k
    return {k: float(got["scalars"][k][0]) for k in S.LISTENER}, got["melody_floor"]


def test_a_one_step_trill_is_all_one_step_notes_and_all_leaps_over_a_fifth_only():
    # 32 steps of a trill C5-D5 (one step each): 32 notes of length 1, 31 moves of 2 semitones.
    trill = [(72 + 2 * (t % 2), t, t + 1) for t in range(32)]
    f, _ = _listener(trill, 32)
    assert f["one_step_fraction"] == 1 and f["top_leap_fraction"] == 0
    # The same alternation an octave wide: every move is a leap; with a held bass under it the top
    # voice is still the trill (the bass is never the highest), and the bass is 1 note of 32 steps.
    octave = [(60 + 12 * (t % 2), t, t + 1) for t in range(32)]
    f, _ = _listener(octave + [(36, 0, 32)], 32)
    assert f["top_leap_fraction"] == 1 and f["one_step_fraction"] == pytest.approx(32 / 33)
    # Quarter notes C E G C' E': moves 4, 3, 5, 4 semitones; then a leap of 12 down and back up 8.
    tune = [(p, 4 * i, 4 * i + 4) for i, p in enumerate([60, 64, 67, 72, 76, 64, 72])]
    f, _ = _listener(tune, 28)
    assert f["one_step_fraction"] == 0 and f["top_leap_fraction"] == pytest.approx(2 / 6)
    # Rests are skipped: C, rest, C' is one move of 12; a re-struck pitch is no move.
    f, _ = _listener([(60, 0, 2), (60, 2, 4), (72, 8, 10)], 16)
    assert f["top_leap_fraction"] == 1


def test_bar_repetition_counts_struck_bars_equal_to_an_earlier_one_never_silence_or_a_drone():
    bar = [(60, 0, 4), (64, 4, 8), (67, 8, 16)]
    other = [(62, 0, 16)]
    at = lambda notes, b: [(p, s + 16 * b, e + 16 * b) for p, s, e in notes]  # noqa: E731
    # Bars A B A A B, then an empty bar, then 4 steps (not a bar): of 6 bars, 3 repeat.
    notes = at(bar, 0) + at(other, 1) + at(bar, 2) + at(bar, 3) + at(other, 4)
    f, _ = _listener(notes, 100)
    assert f["bar_repetition"] == pytest.approx(3 / 6)
    # Two empty bars are equal but not a repetition a listener hears.
    assert _listener(at(bar, 0), 64)[0]["bar_repetition"] == 0
    # Held across the barline is not re-struck: bar 2 = bar 1's pitches tied over is a different bar;
    # a drone held through bars 2 and 3 makes them equal, but no note starts in them: no repetition.
    f, _ = _listener([(60, 0, 48)], 48)
    assert f["bar_repetition"] == 0
    f, _ = _listener([(60, 0, 16), (60, 16, 32)], 32)
    assert f["bar_repetition"] == 0.5
    assert _listener(bar, 15)[0]["bar_repetition"] == 0  # shorter than a bar: no bars


def test_melody_coverage_is_the_share_of_steps_with_a_note_at_or_above_the_floor():
    # A bass drone (36) all 32 steps, a melody (76) in the first 8 steps and blips (79) at 20, 28.
    notes = [(36, 0, 32), (76, 0, 8), (79, 20, 21), (79, 28, 29)]
    f, floor = _listener(notes, 32, floor=60)
    assert floor == 60 and f["melody_coverage"] == pytest.approx(10 / 32)
    # Its own floor: the lower median of its 42 sounding cells (32 at 36, 8 at 76, 2 at 79) is 36,
    # and at 36 every sounding step counts.
    f, floor = _listener(notes, 32)
    assert floor == 36 and f["melody_coverage"] == 1
    # A floor taken from a reference set, as generate_music.py measures samples.
    ref = S.Features().add(M.notestate_from_notes([(72, 0, 16), (48, 0, 8)], 16)[None])
    assert ref.melody_floor() == 72  # cells: 8 at 48, 16 at 72; the 12th of 24 is 72
    empty = S.features(np.zeros((1, 16, M.N_FEATURES), np.uint8), melody_floor=72)
    assert empty["scalars"]["melody_coverage"][0] == 0 and empty["scalars"]["bar_repetition"][0] == 0


def test_threshold_and_temperature_sampling():
    p = np.array([0.1, 0.2, 0.5, 0.9])
    assert sampling.binarize(p, ("threshold", 0.2)).tolist() == [0, 1, 1, 1]
    rng = np.random.RandomState(0)
    draws = sampling.binarize(np.full(20000, 0.2), ("temperature", 1.0), rng)
    assert abs(draws.mean() - 0.2) < 0.01  # T = 1 samples the model's own probability
    cold = sampling.binarize(np.full(20000, 0.2), ("temperature", 0.25), rng)
    assert abs(cold.mean() - 1 / (1 + 4 ** 4)) < 0.003  # logit / T: (0.2/0.8)^4 odds
    assert sampling.parse_settings("threshold=0.2, temperature=0.5") == [("threshold", 0.2), ("temperature", 0.5)]
    for bad in ("threshold=0", "temperature=-1", "temp=1", "threshold=x", ""):
        with pytest.raises(ConfigError):
            sampling.parse_settings(bad)


def test_window_features_count_what_a_musician_would():
    # Two bars: a held C major triad (3 notes, 16 steps) and four quarter-note Gs, then a bar of rest.
    notes = [(60, 0, 16), (64, 0, 16), (67, 0, 16)] + [(79, 16 + 4 * i, 20 + 4 * i) for i in range(4)]
    w = M.notestate_from_notes(notes, 48)
    s, pcs, lengths, tops = S.window_features(w)
    assert s["notes_per_bar"] == pytest.approx(7 / 3)
    assert s["polyphony"] == pytest.approx((16 * 3 + 16 * 1) / 32)
    assert s["pitch_range"] == 19 and s["empty_fraction"] == pytest.approx(1 / 3)
    assert s["mean_note_length"] == pytest.approx((3 * 16 + 4 * 4) / 7)
    assert pcs[0] == 1 and pcs[4] == 1 and pcs[7] == 5 and pcs.sum() == 7
    assert lengths[S.LENGTH_LABELS.index("4")] == 4 and lengths[S.LENGTH_LABELS.index("13-16")] == 3


def test_vectorized_features_equal_the_per_window_definition_to_the_bit():
    rng = np.random.RandomState(0)
    for trial in range(12):
        steps, density = int(rng.randint(1, 120)), [0.0, 0.01, 0.05, 0.3, 0.9][trial % 5]
        w = (rng.random_sample((6, steps, M.N_FEATURES)) < density).astype(np.uint8)
        scalars, pcs, lengths, tops = S.chunk_features(w)
        per_window = [S.window_features(x) for x in w]
        for i, (s, p, _, top) in enumerate(per_window):
            assert {k: scalars[k][i] for k in s} == s and (pcs[i] == p).all() and (tops[i] == top).all()
        assert (lengths == sum(length for _, _, length, _ in per_window)).all()


def test_features_do_not_depend_on_the_chunk_size():
    rng = np.random.RandomState(1)
    w = (rng.random_sample((50, 32, M.N_FEATURES)) < 0.05).astype(np.uint8)
    whole, parts = S.features(w), S.Features().add(w, chunk=7).result()
    assert (whole["pitch_classes"] == parts["pitch_classes"]).all()
    assert whole["melody_floor"] == parts["melody_floor"]
    for k in S.SCALARS:
        np.testing.assert_array_equal(whole["scalars"][k], parts["scalars"][k])


def test_a_float32_threshold_keeps_exactly_what_the_float64_comparison_keeps():
    for t in (0.2, 0.1, 1 / 3, 0.7):
        t32 = np.float32(t)
        p = np.array([np.nextafter(t32, np.float32(0)), t32, np.nextafter(t32, np.float32(1))], np.float32)
        assert (sampling.binarize(p, ("threshold", t)) == (p.astype(np.float64) >= t)).all()


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("t", [0.2, 0.1, 1 / 3, 0.7, 0.5, 0.25])
def test_at_least_is_the_first_number_of_the_dtype_on_or_above_the_threshold(t, dtype):
    """Both sides of the boundary, whatever NumPy's promotion rules: the dtype's number just below
    t is dropped, the one returned is kept (it is t itself where t is exact in the dtype)."""
    at = sampling._at_least(t, np.dtype(dtype))
    assert at.dtype == dtype and float(at) >= t
    below = np.nextafter(at, dtype(0))
    assert float(below) < t
    p = np.array([below, at], dtype)
    assert sampling.binarize(p, ("threshold", t)).tolist() == [0, 1]
    if float(dtype(t)) == t:  # exact in the dtype (0.5, 0.25): the threshold itself
        assert at == dtype(t)


def test_overlap_is_one_for_the_same_set_and_small_for_disjoint_ones():
    rng = np.random.RandomState(0)
    a = rng.normal(0, 1, 500)
    assert S.overlap(a, a) == pytest.approx(1, abs=1e-3)
    assert S.overlap(a, rng.normal(0, 1, 500)) > 0.85
    assert S.overlap(a, a + 10) < 0.01
    windows = (rng.random_sample((20, 32, M.N_FEATURES)) < 0.05).astype(np.uint8)
    same = S.features(windows)
    result = S.compare(same, same)
    assert result["mean_overlap"] == pytest.approx(1, abs=1e-3)
    dense = S.features((rng.random_sample((20, 32, M.N_FEATURES)) < 0.5).astype(np.uint8), same["pitch_classes"])
    assert S.compare(dense, same)["features"]["notes_per_bar"]["overlap"] < 0.05


def test_a_histogram_measured_once_compares_with_every_class():
    """music_genres measures each strength's decoded batches (a generator) once and compares that one
    histogram with both classes' (the second class once got a used-up generator: distance 0.5)."""
    from chainer_vae.music import stats as S
    rng = np.random.RandomState(0)
    chunks = [(rng.rand(8, 100, 156) < 0.02).astype(np.float32) for _ in range(3)]
    ref_a = S.features(chunks[:1])["pitch_classes"]
    ref_b = S.features([np.roll(chunks[1], 5, axis=2)])["pitch_classes"]
    pcs = S.features(iter(chunks))["pitch_classes"]
    assert S.histogram_distance(pcs, ref_a) == S.pitch_class_distance(chunks, ref_a)
    assert S.histogram_distance(pcs, ref_b) == S.pitch_class_distance(chunks, ref_b)
    assert 0 < S.histogram_distance(pcs, ref_b) < 0.5


def test_the_listener_table_shows_each_feature_with_its_overlap_and_old_jsons_keep_their_table():
    """music_stats.json as generate_music.py writes it gets the listener's table; one written before
    the listener's features (the committed ones until they are regenerated) keeps its one table."""
    from chainer_vae.report.music_tables import music_table
    rng = np.random.RandomState(2)
    ref_w = (rng.random_sample((30, 100, M.N_FEATURES)) < 0.03).astype(np.uint8)
    ref = S.features(ref_w)
    gen = S.features((rng.random_sample((30, 100, M.N_FEATURES)) < 0.06).astype(np.uint8),
                     ref["pitch_classes"], ref["melody_floor"])
    row = {"setting": "threshold=0.2", "prior": S.compare(gen, ref), "reconstruction": S.compare(gen, ref)}
    s = {"data_description": "d", "prior_samples_per_setting": 30, "reference": "30 test windows",
         "reference_means": {k: float(v.mean()) for k, v in ref["scalars"].items()},
         "melody_floor": ref["melody_floor"], "train_windows_vs_test": S.compare(ref, ref), "settings": [row],
         "recommended_for_prior_samples": "threshold=0.2"}
    text = music_table("t", s)
    assert "what a listener hears" in text and "MIDI %d" % ref["melody_floor"] in text
    f = row["prior"]["features"]["one_step_fraction"]
    assert "%.2f (%.2f)" % (f["mean"], f["overlap"]) in text
    assert row["prior"]["listener_overlap"] == pytest.approx(np.mean([row["prior"]["features"][k]["overlap"]
                                                                      for k in S.LISTENER]), abs=1e-4)
    old = dict(s, reference_means={k: v for k, v in s["reference_means"].items() if k not in S.LISTENER})
    assert "what a listener hears" not in music_table("t", old)


def test_measure_music_reads_written_pieces_as_windows_against_a_folders_test_windows(tmp_path, capsys):
    """tools/measure_music.py: a written piece is measured as 100-step windows (its trailing rests,
    which MIDI drops, restored); the folder's own songs measure close to its test windows."""
    import runpy
    from conftest import ROOT
    from test_corpus import make_dataset
    folder = make_dataset(tmp_path / "synth", songs_per_class=1)
    tool = runpy.run_path(os.path.join(ROOT, "tools", "measure_music.py"))
    assert tool["windows_of"](np.ones((150, M.N_FEATURES), np.uint8)).shape == (2, 100, M.N_FEATURES)
    piece = tmp_path / "trill.mid"
    M.write_midi(M.notestate_from_notes([(72 + 2 * (t % 2), t, t + 1) for t in range(40)], 40), str(piece))
    out = tmp_path / "m.json"
    tool["main"](["--midi-dir", str(folder), str(piece), "--json", str(out)])
    r = json.loads(out.read_text())
    assert r["windows"] == 1 and r["features"]["one_step_fraction"]["mean"] == 1
    assert r["features"]["empty_fraction"]["mean"] == pytest.approx(0.6)  # 40 of 100 steps sound
    assert "listener's four" in capsys.readouterr().out
    songs = sorted(str(p) for p in folder.rglob("*.mid"))
    assert tool["measure"](str(folder), songs)["features"]["pitch_classes"]["overlap"] > 0.8


def test_the_configurations_table_names_the_best_setting_the_lowest_overlap_and_the_goal():
    """tools/music_configs.py's summary of one configuration, rendered as REPRODUCE.md shows it."""
    import runpy
    from conftest import ROOT
    from chainer_vae.report.music_tables import configs_table
    tool = runpy.run_path(os.path.join(ROOT, "tools", "music_configs.py"))
    assert tool["within"](0.03, 0.02) and not tool["within"](0.04, 0.02) and tool["within"](0, 0)
    rng = np.random.RandomState(3)
    ref = S.features((rng.random_sample((30, 100, M.N_FEATURES)) < 0.03).astype(np.uint8))
    same = S.compare(ref, ref)
    rows = {"threshold=0.3": tool["summarize"](same), "threshold=0.2": tool["summarize"](S.compare(S.features(
        (rng.random_sample((30, 100, M.N_FEATURES)) < 0.1).astype(np.uint8), ref["pitch_classes"]), ref))}
    for row in rows.values():
        row["goal"] = {"a": row["min_overlap"] >= 0.8, "b": True, "c": True}
    config = {"name": "mlp", "what": "the paper's", "best_setting": "threshold=0.3", "settings": rows,
              "test_loss": 900.0, "train_seconds": 80.0, "seconds_per_epoch": 5.3, "data_description": "d",
              "reference_means": {k: float(v.mean()) for k, v in ref["scalars"].items()},
              "train_windows_vs_test": tool["summarize"](same)}
    text = configs_table({"folder": "chorales", "epochs": 15, "windows_per_song": 25, "split": "song",
                          "goal": {"overlap": 0.8, "factor": 1.5}, "command": "python tools/music_configs.py",
                          "machine": "m", "configs": [config]})
    assert "| **mlp (the paper's)** | threshold=0.3 (best) |" in text and "| mlp | threshold=0.2 |" in text
    assert "Goal met by mlp (some setting)." in text and "80 s (5.3 s/epoch)" in text
