"""`make verify` (tools/verify.py, chainer_vae/report/verify.py): reruns into a scratch folder, one
table, a non-zero exit outside the tolerance -- and `--quick` itself, end to end."""
import hashlib
import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT
from chainer_vae.report import verify

TOOL = os.path.join(ROOT, "tools", "verify.py")
RESULTS = os.path.join(ROOT, "results")


def history(n, shift=0.0):
    return [{"epoch": e, "train": {"loss": 200.0 - e + shift, "kl_penalty": 6.0},
             "test": {"loss": 190.0 - e, "kl_penalty": 5.0 + shift / 10}} for e in range(1, n + 1)]


def result(n, shift=0.0, run_id="mnist-1"):
    return {"run": {"run_id": run_id, "data_fingerprint": "f"}, "history": history(n, shift)}


PAPER = {"fig4": {"epochs": [1, 2, 3], "train_loss": [199.0, 198.0, 197.0], "test_loss": [189, 188, 187],
                  "train_kl": [6.0, 6.0, 6.0], "test_kl": [5.0, 5.0, 5.0]}}


def test_a_rerun_within_the_tolerance_passes_and_shows_the_paper():
    fig = verify.BY_NAME["fig4"]
    rows = verify.compare(fig, result(3), result(3, shift=0.05), PAPER)
    assert verify.exit_status(rows) == 0
    by = {r.quantity: r for r in rows}
    assert by["run id"].verdict == "ok" and by["data fingerprint"].verdict == "ok"
    row = by["train loss, epoch 3"]
    assert (row.paper, row.committed, row.rerun, row.tolerance) == ("197.0", "197.000", "197.050", "±0.1")
    assert row.verdict.startswith("ok; paper: within ±")
    assert by["largest |rerun - committed| of a loss, epochs 1-3"].rerun.startswith("0.050 (train loss, epoch 1)")
    table = verify.markdown(rows)
    assert table.splitlines()[0] == "| figure | quantity | paper | committed | rerun | tolerance | verdict |"


def test_a_rerun_outside_the_tolerance_fails():
    fig = verify.BY_NAME["fig4"]
    rows = verify.compare(fig, result(3), result(3, shift=0.5), PAPER)
    assert verify.exit_status(rows) == 1
    assert [r.quantity for r in rows if not r.ok] == [
        "train loss, epoch 3", "test KL, epoch 3", "largest |rerun - committed| of a loss, epochs 1-3",
        "largest |rerun - committed| of a KL, epochs 1-3"]
    other = verify.compare(fig, result(3), result(3, run_id="mnist-2"), PAPER)
    assert [r.quantity for r in other if not r.ok] == ["run id"]


def test_quick_compares_the_committed_runs_first_epochs():
    fig = verify.BY_NAME["fig4"]
    rows = verify.compare(fig, result(60), result(3, run_id="mnist-3epochs"), PAPER, quick=True)
    assert verify.exit_status(rows) == 0  # another run id by design; the same data
    assert "run id" not in {r.quantity for r in rows}
    assert verify.exit_status(verify.compare(fig, result(60), result(3), PAPER)) == 1  # in full: 60 epochs


def test_selection():
    assert [f.name for f in verify.select([], quick=True)] == ["fig4", "fig5"]
    assert len(verify.select([], quick=False)) == len(verify.FIGURES)
    with pytest.raises(ValueError, match="unknown figure fig9"):
        verify.select(["fig9"], quick=False)
    with pytest.raises(ValueError, match="--quick has no short rerun of fig3"):
        verify.select(["fig3"], quick=True)


def test_a_figure_that_cannot_run_is_exit_2(tmp_path):
    rows, _, _ = verify.run(["fig5"], quick=True, results=RESULTS, scratch=str(tmp_path / "s"),
                            lute=str(tmp_path / "nothing"), say=lambda s: None)
    assert verify.exit_status(rows) == 2 and "no lute folder" in rows[0].verdict
    with pytest.raises(ValueError, match="must not be in"):
        verify.run(["fig4"], quick=True, results=str(tmp_path), scratch=str(tmp_path / "x"))


def _digest(folder):
    h = hashlib.sha256()
    for base, dirs, names in sorted(os.walk(folder)):
        dirs[:] = sorted(d for d in dirs if d != "runs")
        for name in sorted(names):
            with open(os.path.join(base, name), "rb") as f:
                h.update(name.encode() + f.read())
    return h.hexdigest()


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """One scratch folder for this module's reruns: the second test's Fig. 4 rerun reuses the
    first one's trained run (train once and reuse), as a reviewer's repeated `make verify` does."""
    return tmp_path_factory.mktemp("verify_scratch")


@pytest.mark.usefixtures("mnist_root")
def test_make_verify_quick_passes_and_writes_nothing_into_results(lute_dir, tmp_path, scratch):
    """The issue's check, end to end: Fig. 4 for 3 epochs and Fig. 5 (lute) for 2 against the
    committed runs' first epochs (about a minute of CPU)."""
    before = _digest(RESULTS)
    proc = subprocess.run([sys.executable, TOOL, "--quick", "--midi-dir", lute_dir, "--scratch", str(scratch), "--markdown",
                           str(tmp_path / "table.md")], capture_output=True, text=True, cwd=ROOT, timeout=1200)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = (tmp_path / "table.md").read_text()
    assert "| fig4 | train loss, epoch 3 |" in table and "| fig5 | test KL, epoch 2 |" in table
    assert "every rerun within its tolerance" in proc.stdout
    assert _digest(RESULTS) == before


@pytest.mark.usefixtures("mnist_root")
def test_verify_exits_1_when_the_committed_number_is_not_reproduced(tmp_path, scratch):
    results = tmp_path / "results"
    results.mkdir()
    shutil.copy(os.path.join(RESULTS, "paper_curves.json"), results)
    with open(os.path.join(RESULTS, "fig4_mnist_loss.json")) as f:
        committed = json.load(f)
    committed["history"][1]["test"]["loss"] += 0.5  # epoch 2: not what this code trains
    (results / "fig4_mnist_loss.json").write_text(json.dumps(committed))
    proc = subprocess.run([sys.executable, TOOL, "--quick", "fig4", "--results", str(results),
                           "--scratch", str(scratch)],
                          capture_output=True, text=True, cwd=ROOT, timeout=1200)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "| fig4 | largest |rerun - committed| of a loss, epochs 1-3 | — | 0 | 0.500 (test loss, epoch 2) |" in proc.stdout
    assert "a rerun OUTSIDE its tolerance" in proc.stdout
