"""Sampling settings and the music statistics that choose between them."""
import numpy as np
import pytest

from chainer_vae.music import stats as S
from chainer_vae.music import sampling
from chainer_vae.data.midi import notestate as M
from chainer_vae.errors import ConfigError


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
    s, pcs, lengths = S.window_features(w)
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
        scalars, pcs, lengths = S.chunk_features(w)
        per_window = [S.window_features(x) for x in w]
        for i, (s, p, _) in enumerate(per_window):
            assert {k: scalars[k][i] for k in s} == s and (pcs[i] == p).all()
        assert (lengths == sum(length for _, _, length in per_window)).all()


def test_features_do_not_depend_on_the_chunk_size():
    rng = np.random.RandomState(1)
    w = (rng.random_sample((50, 32, M.N_FEATURES)) < 0.05).astype(np.uint8)
    whole, parts = S.features(w), S.Features().add(w, chunk=7).result()
    assert (whole["pitch_classes"] == parts["pitch_classes"]).all()
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
