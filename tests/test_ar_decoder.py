"""The autoregressive LSTM decoder (lstm-ar, a departure from the paper): teacher forcing in
training, the same arithmetic step by step when it generates, and seeded generation."""
import os

import chainer
import numpy as np
import pytest
from chainer import gradient_check

from chainer_vae.cli import music
from chainer_vae.errors import ConfigError
from chainer_vae.model import DECODER_KINDS, KINDS, make_decoder, make_encoder
from chainer_vae.model.apply import generate_batches
from chainer_vae.model.lstm import LSTMARDecoder
from chainer_vae.model.vae import VAELoss
from chainer_vae.music import sampling


@pytest.fixture(autouse=True)
def seeded():
    np.random.seed(0)  # Chainer's initializers, F.gaussian and the input dropout use NumPy's generator
    yield


def windows(n, steps=100, features=156, seed=0):
    rng = np.random.RandomState(seed)
    return (rng.random_sample((n, steps, features)) < 0.05).astype(np.float32)


def model(dropout=0.0):
    return VAELoss(make_encoder("mlp", "midi", 20), make_decoder("lstm-ar", "midi", 20, dropout=dropout))


def test_shapes_and_a_finite_loss_with_the_windows_own_previous_steps():
    vae = model(0.3)
    x = windows(3)
    assert vae.reads_x and "lstm-ar" in DECODER_KINDS and "lstm-ar" not in KINDS
    loss = vae(x)
    assert loss.shape == () and np.isfinite(float(loss.array))
    z = np.random.randn(3, 20).astype(np.float32)
    assert vae.decoder.teacher_forced(z, x).shape == (3, 100 * 156)
    assert vae.decode(z).shape == (3, 100 * 156)  # the greedy generation's probabilities
    vae.cleargrads()
    loss.backward()
    for name, param in vae.namedparams():
        assert param.grad is not None and np.isfinite(param.grad).all(), name


def test_gradients_of_a_tiny_instance():
    with chainer.using_config("dtype", np.float64):
        dec = LSTMARDecoder((4, 3), hidden=5, n_latent=2)
    rng = np.random.RandomState(1)
    z = rng.randn(2, 2)
    x = (rng.random_sample((2, 12)) < 0.5).astype(np.float64)
    gy = rng.randn(2, 12)
    params = [p for _, p in sorted(dec.namedparams())]
    gradient_check.check_backward(lambda z: dec.teacher_forced(z, x), (z,), gy, params=params,
                                  dtype=np.float64, atol=1e-5, rtol=1e-4)


def test_teacher_forced_logits_are_the_generations_fed_the_same_notes():
    vae = model()
    x = windows(4, seed=2)
    z = np.random.RandomState(3).randn(4, 20).astype(np.float32)
    with chainer.using_config("train", False), chainer.no_backprop_mode():
        forced = vae.decoder.teacher_forced(z, x).array
        logits, notes = vae.decoder.generate(z, lambda t, p: x[:, t])
    np.testing.assert_allclose(logits.array, forced, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(notes, x)


def test_the_input_dropout_hides_whole_steps_in_training_only():
    vae = model(0.5)
    x = windows(2, seed=4)
    z = np.zeros((2, 20), np.float32)
    with chainer.using_config("train", False):
        a, b = vae.decoder.teacher_forced(z, x).array, vae.decoder.teacher_forced(z, x).array
    np.testing.assert_array_equal(a, b)  # evaluation sees every step
    with chainer.using_config("train", True):
        c = vae.decoder.teacher_forced(z, x).array
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("setting", [("threshold", 0.2), ("temperature", 0.6)])
def test_generation_is_seeded_and_does_not_depend_on_the_batch_size(setting):
    vae = model()
    z = np.random.RandomState(5).randn(5, 20).astype(np.float32)
    shape = (-1, 100, 156)
    one = music.decode_notes(vae, z, shape, setting, np.random.RandomState(7))
    again = music.decode_notes(vae, z, shape, setting, np.random.RandomState(7))
    np.testing.assert_array_equal(one, again)
    assert one.shape == (5, 100, 156) and one.dtype == np.uint8
    rng = np.random.RandomState(7)
    small = np.concatenate(list(generate_batches(
        vae, z, lambda n: music.articulated(sampling.step_drawer(setting, rng, (n, 100, 156))), batch_size=2)))
    np.testing.assert_array_equal(small, one)


def test_a_threshold_generation_keeps_what_its_probabilities_reach_written_as_the_data_is():
    """Drawn at a threshold, a step's notes are its probabilities at or above it: decode's output
    (each step's distribution given the notes drawn before) binarized again gives the same notes;
    the articulate cells fed back are the data's way of writing them (set at every onset, never
    on a silent pitch), which changes no note."""
    from chainer_vae.data.midi import notestate as M
    vae = model()
    # Biases that make every cell likely: onsets, held notes and stray articulations all occur.
    vae.decoder.out.b.array[:] = 0.5
    z = np.random.RandomState(6).randn(3, 20).astype(np.float32)
    notes = music.decode_notes(vae, z, (-1, 100, 156), ("threshold", 0.5), None)
    with chainer.using_config("train", False), chainer.no_backprop_mode():
        p = vae.decode(z, draw=music.articulated(lambda t, p: sampling.binarize(p, ("threshold", 0.5)))).array
    p = p.reshape(3, 100, 156)
    raw = sampling.binarize(p, ("threshold", 0.5))
    assert raw.any()
    np.testing.assert_array_equal(notes[:, :, :M.N_PITCHES], raw[:, :, :M.N_PITCHES])
    for drawn, written in zip(raw, notes):
        assert M.notes_from_notestate(drawn) == M.notes_from_notestate(written)
    play, art = notes[:, :, :M.N_PITCHES].astype(bool), notes[:, :, M.N_PITCHES:].astype(bool)
    onset = play & ~np.concatenate([np.zeros_like(play[:, :1]), play[:, :-1]], axis=1)
    assert not (art & ~play).any() and art[onset].all()


def test_the_paper_decoders_ignore_x_and_the_ar_decoder_is_for_midi_only():
    for kind in KINDS:
        assert not VAELoss(make_encoder(kind, "midi", 20), make_decoder(kind, "midi", 20)).reads_x
    with pytest.raises(ConfigError, match="MIDI windows"):
        make_decoder("lstm-ar", "mnist", 2)
    with pytest.raises(ConfigError, match="autoregressive"):
        make_decoder("mlp", "midi", 20, dropout=0.3)


def test_the_step_drawer_draws_what_binarize_draws():
    """Step by step, the temperature drawer gives the notes binarize gives the whole batch at once
    with the same generator: the same uniform numbers, in the same order."""
    p = np.random.RandomState(8).random_sample((3, 10, 6)).astype(np.float32)
    whole = sampling.binarize(p, ("temperature", 0.7), np.random.RandomState(9))
    draw = sampling.step_drawer(("temperature", 0.7), np.random.RandomState(9), p.shape)
    stepped = np.stack([draw(t, p[:, t]) for t in range(10)], axis=1)
    np.testing.assert_array_equal(stepped, whole)


def test_the_melody_preset_trains_and_generates_in_quick_mode(tmp_path):
    """--preset melody on Fig. 5's script and generate_music.py: its settings, flags given still
    winning, and the pieces it draws (music.json names the preset)."""
    import json
    import runpy
    from conftest import ROOT
    from chainer_vae.cli import flags as cfg
    from chainer_vae.cli.midi import PRESETS

    gen = runpy.run_path(os.path.join(ROOT, "experiments", "generate_music.py"))
    config = cfg.parse(gen["MusicConfig"], ["--preset", "melody"])
    for key, value in PRESETS["melody"].items():
        assert getattr(config, key) == value, key
    assert cfg.parse(gen["MusicConfig"], ["--preset", "melody", "--smoke"]).epochs == 2  # quick stays quick
    assert cfg.parse(gen["MusicConfig"], ["--preset", "melody", "--decoder", "lstm"]).decoder == "lstm"
    assert cfg.parse(gen["MusicConfig"], []).decoder == "mlp"  # the paper's stays the default
    flags = ["--smoke", "--no-progress", "--out", str(tmp_path), "--preset", "melody"]
    runpy.run_path(os.path.join(ROOT, "experiments", "fig5_midi_loss.py"))["main"](flags)
    gen["main"](flags + ["--n-songs", "1", "--n-reconstructions", "1", "--stat-windows", "8",
                         "--compare", "threshold=0.3,temperature=0.6"])
    music_json = json.loads((tmp_path / "music" / "music.json").read_text())
    assert music_json["preset"] == "melody" and music_json["decoder"] == "lstm-ar"
    stats = json.loads((tmp_path / "music" / "music_stats.json").read_text())
    assert all("reconstruction_f1" in r["notes_shared_with_original"] for r in stats["settings"])
