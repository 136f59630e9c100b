"""Every benchmark's --quick mode runs, and what it measures holds where it cannot be noise
(how fast is not checked here: see BENCHMARKS.md).

In the project venv PyTorch is absent: the benchmarks must say the peer is skipped and still
time ours.  `make bench` runs them in full in .venv-bench, which has PyTorch.
"""
import importlib.util
import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT

BENCH = os.path.join(ROOT, "benchmarks")
HAS_TORCH = importlib.util.find_spec("torch") is not None

# script -> lines its quick mode must print
SCRIPTS = {
    "bench_mnist_epoch.py": ["ours ", "original-style chainer", "matmul floor"],
    "bench_midi_epoch.py": ["ours ", "original-style chainer", "matmul floor"],
    "bench_midi_convert.py": ["ours (read_notestate)", "speed-up ours vs music21"],
    "bench_memory.py": ["build MIDI dataset", "train Fig. 5"],
    "bench_corpus_scale.py": ["songs  cold", "songs  warm", "songs  train", "| songs |"],
    "bench_music_scale.py": ["| `generate_music.py` |", "largest peak"],
    "bench_reproduce.py": ["fig4_mnist_loss.py", "total"],
    "bench_mpi.py": ["1 rank(s): epoch"],  # and 2 ranks where mpi4py is installed
    "bench_kernels.py": ["(W x^T)^T", "NumPy chunks, 32 K", "one MIDI training step by phase", "Adam update: "],
    "bench_nets.py": ["conv midi", "run_lstm / NStepLSTM"],
    "bench_commits.py": ["mnist epoch", "midi epoch", "this checkout"],
    "bench_static_graph.py": ["exactness, the paper's model", "exactness, the clip ln_var edit, check off",
                              "mnist epoch, leaky ReLU edit", "midi epoch", "ratio static_graph / plain"],
    "bench_loglik.py": ["ours, chunks of 50", "largest difference between sides"],
    "bench_image_folder.py": ["cold build", "warm rebuild", "cache on disk", "train: fig4_mnist_loss.py --image-dir"],
    "bench_mido.py": ["hostile files: 20", "mido's exception types", "lute, 8 files, mido"],
}


def number(out, pattern):
    """The number after ``pattern`` (a regular expression) in a benchmark's output."""
    match = re.search(pattern + r"\s*([-+0-9.eE]+)", out)
    assert match, (pattern, out[-2000:])
    return float(match.group(1))


# script -> (pattern, check) pairs on its quick mode's numbers: what must hold even in one noisy
# round (the fused Adam is ~2x the original-style loop, a cached rerun is 100x a conversion, ...)
CHECKS = {
    "bench_mnist_epoch.py": [(r"ratio ours / original-style chainer \(per epoch, median of rounds\):", lambda r: r < 1)],
    "bench_midi_epoch.py": [(r"ratio ours / original-style chainer \(per epoch, median of rounds\):", lambda r: r < 1)],
    "bench_loglik.py": [(r"largest difference between sides' estimates:", lambda d: d < 0.01)],
    "bench_midi_convert.py": [(r"speed-up ours vs music21 parse \(total time\):", lambda x: x > 5)],
    "bench_memory.py": [(r"train Fig. 5 \(--smoke, 1 epoch\)\s+peak RSS", lambda mb: 100 < mb < 1500)],
    "bench_music_scale.py": [(r"largest peak:", lambda mb: 100 < mb < 2048)],
    "bench_reproduce.py": [(r"total", lambda seconds: seconds < 300)],
    "bench_nets.py": [(r"LSTM mnist: run_lstm / NStepLSTM \(median of rounds\)", lambda r: r < 1)],
    "bench_commits.py": [(r"mnist epoch, .*? ratio \(median of rounds\)", lambda r: 0.3 < r < 3)],
    # the replay is bit for bit, or the check sends the model back (the clip edit); unchecked it is not
    "bench_static_graph.py": [(r"the %s, 1 epoch\(s\) of 640 digits: largest relative parameter difference "
                               r"static vs plain" % name, holds)
                              for name, holds in (("paper's model", lambda d: d == 0), ("leaky ReLU edit", lambda d: d == 0),
                                                  ("clip ln_var edit", lambda d: d == 0),
                                                  ("clip ln_var edit, check off", lambda d: d > 0))],
    "bench_kernels.py": [(r"a fresh gradient alone \(subtract from the rows above\)\s+[0-9.]+ us", lambda r: r < 1)],
    "bench_image_folder.py": [(r"peak RSS of the process tree", lambda mb: 30 < mb < 1024)],  # trains in <= 1 GB
    "bench_mido.py": [(r"lute, 8 files, ours:", lambda ms: 0 < ms < 1000)],
}


def test_every_benchmark_is_listed():
    found = {f for f in os.listdir(BENCH) if f.startswith("bench_") and f.endswith(".py")}
    assert found == set(SCRIPTS)


# Benchmarks on synthetic inputs need neither the lute files nor MNIST, so they run on a bare clone too.
NEEDS_NO_DATA = {"bench_loglik.py", "bench_kernels.py", "bench_nets.py", "bench_image_folder.py"}


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_quick_mode(script, request):
    if script not in NEEDS_NO_DATA:
        request.getfixturevalue("lute_dir")
        request.getfixturevalue("mnist_root")
    proc = subprocess.run([sys.executable, os.path.join(BENCH, script), "--quick"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    for line in SCRIPTS[script]:
        assert line in out, (line, out)
    for pattern, holds in CHECKS.get(script, ()):
        value = number(out, pattern)
        assert holds(value), (script, pattern, value)
    if script.endswith("epoch.py"):
        assert ("ratio ours / pytorch" in out) if HAS_TORCH else ("peer skipped" in out), out
