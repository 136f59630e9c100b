"""The training loop: history, snapshots, resume that reproduces an uninterrupted run, atomic output."""
import json
import os

import chainer
import numpy as np
import pytest

from chainer_vae.model import apply
from chainer_vae.train import loop as training
from chainer_vae.device import resolve_device
from chainer_vae.errors import DataError
from chainer_vae.train.schedules import parse_lr_schedule
from chainer_vae.model import make_decoder, make_encoder
from chainer_vae.model.vae import VAELoss


def tiny_model(seed=0):
    np.random.seed(seed)
    return VAELoss(make_encoder("mlp", "mnist", 2), make_decoder("mlp", "mnist", 2))


def tiny_data(n=96, seed=0):
    rng = np.random.RandomState(seed)
    return rng.rand(n, 784).astype(np.float32), rng.rand(32, 784).astype(np.float32)


def params(model):
    return {name: p.array.copy() for name, p in model.namedparams()}


def train(model, run_dir, epochs, **kw):
    if isinstance(kw.get("lr"), str):  # a schedule as typed: parsed as train/runs.py parses it
        kw["lr"] = tuple(parse_lr_schedule(kw["lr"]))
    x, xt = tiny_data()
    return training.train(model, x, xt, training.Settings(run_dir=str(run_dir), epochs=epochs,
                          device=resolve_device("@numpy"), progress=False, **kw))


def test_history_shape_and_json(tmp_path):
    history = train(tiny_model(), tmp_path, 2, lr=tuple(parse_lr_schedule("1e-3:1,1e-4")), anneal_epochs=2)
    assert [row["epoch"] for row in history] == [1, 2]
    assert [row["alpha"] for row in history] == [1e-3, 1e-4]
    assert [row["beta"] for row in history] == [0.0, 0.5]
    for row in history:
        for split in ("train", "test"):
            assert set(row[split]) == {"loss", "reconstr", "kl_penalty"}
            assert np.isfinite(row[split]["loss"])
    assert json.loads((tmp_path / "history.json").read_text()) == history
    assert (tmp_path / "snapshot.npz").exists()


def test_test_loss_is_reconstr_plus_beta_kl(tmp_path):
    history = train(tiny_model(), tmp_path, 2, anneal_epochs=2)
    t = history[-1]["test"]
    assert t["loss"] == pytest.approx(t["reconstr"] + 0.5 * t["kl_penalty"], rel=1e-5)


def test_resume_reproduces_an_uninterrupted_run(tmp_path):
    straight = tiny_model()
    h_straight = train(straight, tmp_path / "a", 3)

    interrupted = tiny_model()
    train(interrupted, tmp_path / "b", 2)            # "killed" after epoch 2 ...
    resumed = tiny_model(seed=123)                   # ... a new process, different initial weights
    h_resumed = train(resumed, tmp_path / "b", 3)    # picks up the snapshot
    assert len(h_resumed) == 3
    assert h_resumed[2]["train"]["loss"] == pytest.approx(h_straight[2]["train"]["loss"], rel=1e-5)
    for name, value in params(straight).items():
        np.testing.assert_allclose(params(resumed)[name], value, rtol=1e-5, atol=1e-6)


def test_interrupt_mid_epoch_keeps_last_snapshot_and_no_temp_files(tmp_path, monkeypatch):
    model = tiny_model()
    train(model, tmp_path, 1)
    calls = {"n": 0}
    original = chainer.optimizers.Adam.update

    def flaky(self, *a, **k):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return original(self, *a, **k)

    monkeypatch.setattr(chainer.optimizers.Adam, "update", flaky)
    with pytest.raises(KeyboardInterrupt):
        train(tiny_model(), tmp_path, 3)
    with np.load(tmp_path / "snapshot.npz") as npz:
        assert len(json.loads(str(npz["history"]))) == 1
    assert not [p for p in os.listdir(tmp_path) if ".tmp" in p]


def test_evaluate_matches_a_batched_mean():
    model = tiny_model()
    x, _ = tiny_data(50)
    np.random.seed(0)
    whole = training.evaluate(model, x, batch_size=1000)
    np.random.seed(0)
    chunked = training.evaluate(model, x, batch_size=7)
    # different z draws per chunk, so compare the z-free KL exactly and the total loosely
    assert chunked["kl_penalty"] == pytest.approx(whole["kl_penalty"], rel=1e-5)
    assert chunked["loss"] == pytest.approx(whole["loss"], rel=0.05)


def test_batch_larger_than_data_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="batch size"):
        train(tiny_model(), tmp_path, 1, batch_size=1000)


def test_atomic_output_has_ordinary_permissions_and_no_leftovers(tmp_path):
    from chainer_vae import files
    target = tmp_path / "r.json"
    files.write_json(target, {"a": 1})
    umask = os.umask(0)
    os.umask(umask)
    assert (target.stat().st_mode & 0o777) == (0o666 & ~umask)
    with pytest.raises(RuntimeError):
        with files.atomic_path(tmp_path / "half.png") as tmp:
            open(tmp, "w").write("partial")
            raise RuntimeError("crash while writing")
    assert sorted(os.listdir(tmp_path)) == ["r.json"]


def test_encode_decode_in_batches_match_one_pass():
    model = tiny_model()
    x, _ = tiny_data(10)
    mu = apply.encode(model, x, batch_size=3)
    np.testing.assert_allclose(mu, apply.encode(model, x, batch_size=100), rtol=1e-5, atol=1e-6)
    assert mu.shape == (10, 2) and isinstance(mu, np.ndarray)
    p = apply.decode(model, mu, batch_size=4)
    assert p.shape == (10, 784) and 0 <= p.min() and p.max() <= 1


def test_reconstruction_nll_is_the_bernoulli_nll_of_the_decoded_mean():
    model = tiny_model()
    x, _ = tiny_data(6)
    logit = np.log(apply.decode(model, apply.encode(model, x))) - np.log1p(
        -apply.decode(model, apply.encode(model, x)))
    # -sum_d [x_d log p_d + (1 - x_d) log(1 - p_d)] = sum_d softplus(l_d) - x_d l_d, in float64
    expected = (np.logaddexp(0, logit) - x * logit).sum(axis=1)
    np.testing.assert_allclose(apply.reconstruction_nll(model, x, batch_size=4), expected, rtol=1e-4)


def test_evaluation_chunks_bound_memory_and_keep_the_papers_test_sets_whole():
    class Shaped:
        def __init__(self, shape):
            self.shape = shape
    assert training.eval_batch_size(Shaped((4000, 784))) == 4096           # MNIST: one pass
    assert training.eval_batch_size(Shaped((320, 100, 156))) * 100 * 156 * 4 <= 64 * 2 ** 20
    assert training.eval_batch_size(Shaped((320, 100, 156))) >= 320       # the lute test set: one pass


def test_test_windows_evaluate_a_fixed_sample_each_epoch_and_everything_once_at_the_end(tmp_path):
    x, xt = tiny_data()
    model = tiny_model()
    model.sample = lambda mu, ln_var: mu  # z = mu: the test loss is then a function of the data only
    history = training.train(model, x, xt, training.Settings(run_dir=str(tmp_path), epochs=2, device=resolve_device("@numpy"),
                             progress=False, test_examples=10, seed=3))
    sample = training.test_sample(xt, 10, 3)
    assert len(sample) == 10 and training.test_sample(xt, 0, 3) is xt and training.test_sample(xt, 99, 3) is xt
    assert [row["test_examples"] for row in history] == [10, 10]
    last = history[-1]
    assert last["test"] == training.evaluate(model, sample)     # each epoch: the same seeded sample
    assert last["test_all"] == training.evaluate(model, xt)     # after the last: every test example
    assert "test_all" not in history[0]
    assert json.loads((tmp_path / "history.json").read_text()) == history


def test_a_log_file_sees_the_test_pass_and_an_eta_that_counts_it(tmp_path, monkeypatch, capsys):
    import functools
    from chainer_vae.progress import Progress
    monkeypatch.setattr(training, "Progress", functools.partial(Progress, log_interval=0.0))
    x, xt = tiny_data()
    xt = np.repeat(xt, 160, axis=0)  # 5,120 test rows: two evaluation chunks of at most 4,096
    training.train(tiny_model(), x, xt, training.Settings(run_dir=str(tmp_path), epochs=1, device=resolve_device("@numpy"),
                   progress=True, batch_size=32))
    err = capsys.readouterr().err
    assert "epoch 1/1 train [" in err and "epoch 1/1 test [" in err, err
    bar = training.EpochBar(None, 1, n_batches=10, batch_size=32, n_test=320)
    assert bar.test_per_batch == pytest.approx(320 / 32 / 3)   # until measured: a third of a step each


def test_a_bar_in_the_schedule_starts_a_new_adam(tmp_path):
    kept, fresh = tiny_model(), tiny_model()
    h_kept = train(kept, tmp_path / "kept", 2, lr="1e-3:1,1e-3")
    h_fresh = train(fresh, tmp_path / "fresh", 2, lr="1e-3:1|1e-3")
    batches = 96 // 32
    assert {p.update_rule.t for p in kept.params()} == {2 * batches}
    assert {p.update_rule.t for p in fresh.params()} == {batches}  # counted again from epoch 2
    assert h_fresh[0] == dict(h_kept[0], seconds=h_fresh[0]["seconds"])
    assert h_fresh[1]["train"]["loss"] != h_kept[1]["train"]["loss"]
    # a run killed at the boundary starts the new Adam when resumed: the uninterrupted run's weights
    train(tiny_model(), tmp_path / "resumed", 1, lr="1e-3:1|1e-3")
    resumed = tiny_model(seed=5)
    train(resumed, tmp_path / "resumed", 2, lr="1e-3:1|1e-3")
    for name, value in params(fresh).items():
        np.testing.assert_array_equal(params(resumed)[name], value, err_msg=name)
