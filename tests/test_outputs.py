"""chainer_vae.outputs: results at a stated precision, the machine's data apart, and a rerun that
reproduces the committed numbers leaves the files (JSON, PNG, record) byte for byte as they were."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT
from chainer_vae import files, outputs


def test_rounding_and_history():
    assert outputs.rounded({"a": [148.121203125, 6.68925830078125], "b": 3, "c": True, "d": "x"}) == {
        "a": [148.121, 6.68926], "b": 3, "c": True, "d": "x"}
    rows = [{"epoch": 1, "alpha": 0.001, "beta": 1.0, "seconds": 2.5,
             "train": {"loss": 198.739796875, "reconstr": 192.47659375, "kl_penalty": 6.2631259765625}}]
    assert outputs.history(rows) == [{"epoch": 1, "alpha": 0.001, "beta": 1.0,
                                      "train": {"loss": 198.74, "reconstr": 192.477, "kl_penalty": 6.263}}]


def test_split_run_puts_the_machine_apart():
    info = {"run_id": "mnist-1", "config": {"seed": 0}, "data_fingerprint": "f", "n_train": 3,
            "device": "@numpy", "machine": "CPU", "versions": {"numpy": "1"}, "train_seconds": 10.123456789,
            "seconds_per_epoch": [1.0, 3.0], "mpi": {"processes": 2}}
    portable, record = outputs.split_run(info, [{"seconds": 1.0}, {"seconds": 3.0}])
    assert portable == {"run_id": "mnist-1", "config": {"seed": 0}, "data_fingerprint": "f", "n_train": 3}
    assert record["machine"] == "CPU" and record["mpi"] == {"processes": 2} and record["run_id"] == "mnist-1"
    assert record["seconds_per_epoch_median"] == 2.0 and record["train_seconds"] == 10.1235


def test_differences_use_the_tolerance_of_each_kind():
    old = {"run_id": "a", "history": [{"train": {"loss": 150.0, "kl_penalty": 6.0}}],
           "per_digit_reconstruction_bernoulli_nll": [300.0], "other": 1.0}
    near = json.loads(json.dumps(old))
    near["history"][0]["train"]["loss"] += 0.09
    near["history"][0]["train"]["kl_penalty"] -= 0.019
    near["per_digit_reconstruction_bernoulli_nll"][0] += 5.9  # 2 % of 300
    assert outputs.reproduces(old, near)
    for path, value in ((("history", 0, "train", "loss"), 150.2), (("history", 0, "train", "kl_penalty"), 6.03),
                        (("other",), 1.01), (("run_id",), "b")):
        far = json.loads(json.dumps(old))
        target = far
        for k in path[:-1]:
            target = target[k]
        target[path[-1]] = value
        assert outputs.differences(old, far) == [(path, _get(old, path), value)]
    assert outputs.differences(old, dict(old, history=[])) == [(("history", "length"), 1, 0)]


def _get(d, path):
    for k in path:
        d = d[k]
    return d


def test_write_result_keeps_a_reproduced_file_and_its_record(tmp_path):
    path = str(tmp_path / "r.json")
    said = []
    obj, kept = outputs.write_result(path, {"history": [{"test": {"loss": 150.0}}]}, {"machine": "A"}, say=said.append)
    assert not kept and os.path.exists(outputs.record_path(path))
    before = open(path, "rb").read(), open(outputs.record_path(path), "rb").read()
    obj, kept = outputs.write_result(path, {"history": [{"test": {"loss": 150.05}}]}, {"machine": "B"}, say=said.append)
    assert kept and obj["history"][0]["test"]["loss"] == 150.0
    assert (open(path, "rb").read(), open(outputs.record_path(path), "rb").read()) == before
    assert "reproduces the committed numbers" in said[-1]
    obj, kept = outputs.write_result(path, {"history": [{"test": {"loss": 150.05}}]}, {"machine": "B"},
                                     rewrite=True, say=said.append)
    assert not kept and files.read_json(outputs.record_path(path)) == {"machine": "B"}
    obj, kept = outputs.write_result(path, {"history": [{"test": {"loss": 151.0}}]}, {"machine": "C"}, say=said.append)
    assert not kept and "changes: history/0/test/loss: 150.05 -> 151.0" in said[-1]
    os.remove(outputs.record_path(path))  # a kept result whose record went missing gets it back
    outputs.write_result(path, {"history": [{"test": {"loss": 151.0}}]}, {"machine": "D"}, say=said.append)
    assert files.read_json(outputs.record_path(path)) == {"machine": "D"}


def test_png_bytes_depend_only_on_what_is_drawn(tmp_path):
    from chainer_vae.figures import curves
    rows = [{"epoch": e, "train": {"loss": 200.0 - e, "kl_penalty": 6.0}, "test": {"loss": 190.0 - e, "kl_penalty": 5.0}}
            for e in range(1, 6)]
    a, b = str(tmp_path / "a.png"), str(tmp_path / "b.png")
    curves.loss_and_kl(rows, a, "t")
    curves.loss_and_kl(rows, b, "t")
    data = open(a, "rb").read()
    assert data == open(b, "rb").read()
    assert b"Software" not in data and b"matplotlib" not in data.lower()


@pytest.mark.usefixtures("mnist_root")
def test_a_fig4_rerun_that_reproduces_leaves_every_file_as_it_was(tmp_path):
    script = os.path.join(ROOT, "experiments", "fig4_mnist_loss.py")
    cmd = [sys.executable, script, "--smoke", "--no-progress", "--out", str(tmp_path)]
    names = ["fig4_mnist_loss.json", "fig4_mnist_loss.png", os.path.join("records", "fig4_mnist_loss.json")]
    assert subprocess.run(cmd, capture_output=True, text=True).returncode == 0
    before = {n: (tmp_path / n).read_bytes() for n in names}
    saved = json.loads(before["fig4_mnist_loss.json"])
    assert "seconds" not in saved["history"][0] and "machine" not in saved["run"] and "device" not in saved["run"]
    assert "machine" in json.loads(before[names[2]])
    # A rerun with numbers a little off (as on another CPU): the committed files stay.
    hist_path = next(tmp_path.glob("runs/*/history.json"))
    rows = json.loads(hist_path.read_text())
    rows[-1]["test"]["loss"] += 0.04
    rows[-1]["seconds"] *= 3  # and slower
    hist_path.write_text(json.dumps(rows))
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0 and "(kept)" in proc.stdout, proc.stdout + proc.stderr
    assert {n: (tmp_path / n).read_bytes() for n in names} == before
    # A real change is written, with this run's times.
    rows[-1]["test"]["loss"] += 1.0
    hist_path.write_text(json.dumps(rows))
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert "(kept)" not in proc.stdout
    after = json.loads((tmp_path / "fig4_mnist_loss.json").read_text())
    assert after["history"][-1]["test"]["loss"] == pytest.approx(np.round(rows[-1]["test"]["loss"], 3))
    assert (tmp_path / "fig4_mnist_loss.png").read_bytes() != before["fig4_mnist_loss.png"]


def test_fig5_curves_take_their_measured_tolerance_and_fig4_keeps_its_own():
    def result(figure, loss):
        return {"figure": figure, "history": [{"epoch": 1, "train": {"loss": loss, "kl_penalty": 20.0}}]}
    # 5 nats: within Fig. 5's (its rerun with other BLAS kernels moved a loss by 4.9), far outside Fig. 4's
    assert outputs.reproduces(result("Fig. 5", 880.0), result("Fig. 5", 885.0))
    assert not outputs.reproduces(result("Fig. 4", 150.0), result("Fig. 4", 155.0))
    assert not outputs.reproduces(result("Fig. 5", 880.0), result("Fig. 5", 880.0 + 1.01 * outputs.MIDI_LOSS_ABS))
    assert outputs.MIDI_LOSS_ABS >= 2 * outputs.MIDI_MEASURED["loss"]  # the measured noise passes
    assert outputs.MIDI_KL_ABS >= 2 * outputs.MIDI_MEASURED["kl"]


def test_fig2_to_4_tolerances_are_about_four_times_the_measured_differences():
    """outputs.MEASURED (the largest rerun differences on other BLAS kernels) sets each tolerance."""
    for kind, measured in outputs.MEASURED.items():
        key, bound = ("nll", "rel") if kind == "nll_rel" else (kind, "abs")
        assert 3.5 * measured <= outputs.TOLERANCES[key][bound] <= 5 * measured, kind
