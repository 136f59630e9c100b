"""VAELoss(static_graph=True), the opt-in speed path (model/replay.py; BENCHMARKS.md,
"chainer.static_graph"): Chainer's own trace-and-replay of the model's ``objective`` trains bit for
bit what the plain model trains, through the default loop -- the paper's MNIST and MIDI models and
an annealed beta (an input of the replay, not a frozen constant), and an edit to audited functions
(a leaky ReLU decoder) -- and where a function could
replay something else (F.clip's backward fixes its mask at the traced step; an unaudited function)
the model goes back to its plain graph after the first step, so an edited model still trains
exactly as written."""
import chainer
import numpy as np
import pytest

import test_edits

from chainer_vae.data.mnist_fallback import read_shipped
from chainer_vae.device import resolve_device
from chainer_vae.model import make_decoder, make_encoder
from chainer_vae.model.vae import VAELoss
from chainer_vae.train import loop


@pytest.fixture(scope="module")
def digits():
    x, _ = read_shipped()
    x = (x / np.float32(255)).astype(np.float32)
    return x[:640], x[4000:4128]


def windows(n, seed):
    rng = np.random.RandomState(seed)
    x = np.zeros((n, 100, 156), np.float32)
    for w in x:
        for _ in range(8):
            note, start = rng.randint(156), rng.randint(100)
            w[start:start + rng.randint(2, 30), note] = 1
    return x


def trained(static, data, train_x, test_x, tmp_path, anneal=0, epochs=3):
    np.random.seed(0)
    n_latent = 2 if data == "mnist" else 20
    m = VAELoss(make_encoder("mlp", data, n_latent), make_decoder("mlp", data, n_latent), static_graph=static)
    history = loop.train(m, train_x, test_x, loop.Settings(
        run_dir=str(tmp_path / str(static)), epochs=epochs, device=resolve_device("@numpy"), batch_size=32,
        lr=((None, 1e-3),), weight_decay=5e-4, anneal_epochs=anneal, seed=0, progress=False, resume=False))
    for row in history:
        row.pop("seconds")
    return history, {k: p.array for k, p in m.namedparams()}, m


# The edits are tests/test_edits.py's own: the clip matters only once the weights move.
clip_ln_var, leaky_decoder = test_edits.edit_clip_ln_var, test_edits.edit_decoder_activation


CASES = {"paper": (None, 0, True), "annealed beta": (None, 2, True),
         "clip ln_var edit": (clip_ln_var, 0, False), "leaky ReLU edit": (leaky_decoder, 0, True)}


@pytest.mark.parametrize("case", list(CASES))
def test_static_graph_trains_bit_for_bit_what_the_plain_model_trains(case, digits, tmp_path, monkeypatch, capsys):
    edit, anneal, replays = CASES[case]
    if edit:
        edit(monkeypatch)
    plain, plain_params, _ = trained(False, "mnist", *digits, tmp_path, anneal)
    static, static_params, model = trained(True, "mnist", *digits, tmp_path, anneal)
    assert static == plain
    for key in plain_params:
        assert np.array_equal(static_params[key], plain_params[key]), key
    assert hasattr(model, "schedule_manager")  # the first step was traced either way
    assert (None not in model._replay_checked) == replays  # ... and replayed, or the edit sent it back
    assert capsys.readouterr().out == ""  # Chainer's schedule builder prints; silenced


def test_static_graph_midi_bit_for_bit(tmp_path):
    args = windows(96, 1), windows(32, 2)
    plain, plain_params, _ = trained(False, "midi", *args, tmp_path, epochs=2)
    static, static_params, model = trained(True, "midi", *args, tmp_path, epochs=2)
    assert static == plain and None not in model._replay_checked
    for key in plain_params:
        assert np.array_equal(static_params[key], plain_params[key]), key


def test_static_graph_is_not_used_where_it_cannot_replay(digits):
    np.random.seed(0)
    m = VAELoss(make_encoder("mlp", "mnist", 2), make_decoder("mlp", "mnist", 2), static_graph=True)
    x = digits[0][:32]
    with chainer.no_backprop_mode(), chainer.using_config("train", False):
        m(x)  # evaluation: the plain graph
    sample = m.sample
    m.sample = lambda mu, ln_var: mu  # another sampler (e.g. MPI's shards): the plain graph
    m(x)
    assert not hasattr(m, "schedule_manager")
    m.sample = sample
    m(x)  # a training step without a backward: its schedule cannot be checked, so plain from now on
    m(x)
    assert None in m._replay_checked


def test_the_scripts_flag_builds_the_opt_in_and_keeps_the_run_identity():
    from chainer_vae.cli import flags
    from chainer_vae.cli.mnist import MnistConfig
    from chainer_vae.train import runs
    plain = flags.parse(MnistConfig, ["--smoke"])
    fast = flags.parse(MnistConfig, ["--smoke", "--static-graph"])
    assert runs.build_model(fast).static_graph and not runs.build_model(plain).static_graph
    assert plain.run_id("mnist") == fast.run_id("mnist")  # the same numbers, so the same run


def test_an_autoregressive_decoder_is_never_replayed():
    # Its step dropout is drawn in Python (model/lstm.py): a replay would keep the first step's mask.
    from chainer_vae.train import runs
    model = runs.build_vae("midi", "mlp", "lstm-ar", 4, decoder_dropout=0.3, static_graph=True)
    x = (np.random.RandomState(0).rand(2, 100, 156) < 0.05).astype(np.float32)
    from chainer_vae.model import replay
    assert model.reads_x and not replay.replayable(model, x)
