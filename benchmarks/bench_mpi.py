"""Epoch time of the paper's MIDI VAE on 1 process and on N MPI ranks (--communicator naive, CPU),
through the real script (experiments/fig5_midi_loss.py, one epoch, a fresh run each time).

    .venv/bin/python benchmarks/bench_mpi.py                       # lute set, 1 and 2 ranks
    .venv/bin/python benchmarks/bench_mpi.py --songs 150 --windows-per-epoch 3200
        # ~300 Bach works from music21's corpus (150 per mode), 100 batches an epoch
    .venv/bin/python benchmarks/bench_mpi.py --quick   # 2 batches: checks it runs

Prints one line per configuration: the epoch's seconds (training + the test-set evaluation, as
history.json records them) and the training loss, which must agree across rank counts.
"""
import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LUTE = os.path.join(os.path.dirname(ROOT), "shared", "data", "midi", "bach_lute")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ranks", default="1,2", help="rank counts to time, e.g. 1,2")
    p.add_argument("--songs", type=int, default=0, help="0: the lute set; N: music21's Bach, N per mode")
    p.add_argument("--windows-per-epoch", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--mca", default="", help="extra Open MPI options, e.g. '--mca mpi_yield_when_idle 1'")
    p.add_argument("--quick", action="store_true", help="2 batches an epoch: checks it runs")
    a = p.parse_args()
    test = []
    if a.quick:  # 2 batches an epoch, and a test pass of 2 batches' worth
        a.windows_per_epoch = 2 * a.batch_size
        test = ["--test-windows", str(a.windows_per_epoch)]
    data = ["--max-songs-per-class", str(a.songs)] if a.songs else ["--midi-dir", LUTE]
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    with tempfile.TemporaryDirectory() as out:
        for n in [int(r) for r in a.ranks.split(",")]:
            if n > 1 and importlib.util.find_spec("mpi4py") is None:
                print("%d ranks skipped: mpi4py is not installed (pip install -r requirements-mpi.txt)" % n)
                continue
            cmd = [sys.executable, os.path.join(ROOT, "experiments", "fig5_midi_loss.py"), *data, "--epochs", "1",
                   "--windows-per-epoch", str(a.windows_per_epoch), "--batch-size", str(a.batch_size),
                   "--out", out, "--retrain", "--no-progress", *test]
            if n > 1:
                cmd = [mpiexec, "-n", str(n), "--oversubscribe", "--bind-to", "none", *a.mca.split()] + cmd + [
                    "--communicator", "naive"]
            started = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
            wall = time.perf_counter() - started
            if proc.returncode:
                sys.exit(proc.stderr[-2000:])
            (run,) = [d for d in os.listdir(os.path.join(out, "runs"))]
            with open(os.path.join(out, "runs", run, "run.json")) as f:
                info = json.load(f)
            with open(os.path.join(out, "runs", run, "history.json")) as f:
                row = json.load(f)[0]
            print("%d rank(s): epoch %.1f s (process wall %.1f s), %d train windows, train loss %.4f, load avg %.1f"
                  % (n, row["seconds"], wall, info["n_train"] if not a.windows_per_epoch else a.windows_per_epoch,
                     row["train"]["loss"], os.getloadavg()[0]), flush=True)


if __name__ == "__main__":
    main()
