"""Every experiment script runs end-to-end in its quick mode (pyro's test_examples pattern).

A script added to experiments/ without being listed here fails `test_every_script_is_listed`.
"""
import os
import subprocess
import sys

import pytest

from conftest import ROOT

EXPERIMENTS = os.path.join(ROOT, "experiments")

# script -> (the data it needs, the outputs its quick mode must write under --out)
SCRIPTS = {
    "fig4_mnist_loss.py": ("mnist", ["fig4_mnist_loss.png", "fig4_mnist_loss.json"]),
    "fig3_mnist_latent.py": ("mnist", ["fig3_mnist_latent.png", "fig3_mnist_latent.json"]),
    "fig2_mnist_samples.py": ("mnist", ["fig2_mnist_manifold.png", "fig2_mnist_prior_samples.png",
                                        "fig2_mnist_per_digit.png", "fig2_mnist_samples.json"]),
    "fig5_midi_loss.py": ("midi", ["fig5_midi_loss_bach_lute.png", "fig5_midi_loss_bach_lute.json"]),
    "architectures.py": ("both", ["architectures.md", "architectures.png", "architectures.json"]),
    "generate_music.py": ("midi", ["music_bach_lute/music.json", "music_bach_lute/sample_00.mid",
                                   "music_bach_lute/sample_00.png",
                                   "music_bach_lute/test_00_reconstruction.mid"]),
}


def test_every_script_is_listed():
    found = {f for f in os.listdir(EXPERIMENTS) if f.endswith(".py") and not f.startswith("_")}
    assert found == set(SCRIPTS), "experiments/ and SCRIPTS in tests/test_examples.py differ"


def run_script(script, out, *args):
    cmd = [sys.executable, os.path.join(EXPERIMENTS, script), "--smoke", "--no-progress",
           "--out", str(out)] + list(args)
    return subprocess.run(cmd, cwd=str(out), capture_output=True, text=True, timeout=900)


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_script_quick_mode(script, tmp_path, request):
    data, outputs = SCRIPTS[script]
    args = []
    if data in ("mnist", "both"):
        request.getfixturevalue("mnist_root")
    if data in ("midi", "both"):
        args = ["--midi-dir", request.getfixturevalue("lute_dir")]
    proc = run_script(script, tmp_path, *args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in outputs:
        assert (tmp_path / name).stat().st_size > 0, name
    leftovers = [p for p in tmp_path.rglob("*.tmp*")]
    assert not leftovers, leftovers
