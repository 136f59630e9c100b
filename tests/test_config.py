"""Flags come from each experiment's frozen dataclass; bad values fail before any work is done."""
import dataclasses
import re
import os
import subprocess
import sys

import pytest

from chainer_vae.cli import flags as cfg
from chainer_vae.errors import ConfigError
from conftest import ROOT, load_script

from chainer_vae.cli.mnist import MnistConfig  # noqa: E402
from chainer_vae.cli.midi import MidiConfig  # noqa: E402


def test_defaults_are_the_papers_setup():
    c = cfg.parse(MnistConfig, [])
    assert (c.per_class_train, c.per_class_test, c.n_latent, c.batch_size, c.epochs) == (1600, 400, 2, 32, 60)
    assert (c.alpha, c.weight_decay, c.k, c.beta) == (1e-3, 5e-4, 1, 1.0)
    m = cfg.parse(MidiConfig, [])
    assert (m.n_latent, m.batch_size, m.epochs, m.windows_per_song, m.lr_schedule) == (20, 32, 60, 200, "1e-3:30,1e-5")


def test_flags_override_and_smoke_shrinks():
    c = cfg.parse(MnistConfig, ["--alpha", "5e-5", "--encoder", "conv", "--no-progress", "--smoke"])
    assert (c.alpha, c.encoder, c.progress, c.smoke) == (5e-5, "conv", False, True)
    assert c.epochs <= 2 and c.per_class_train < 100
    # A quick run never writes over the committed full-size figures, unless --out says where.
    assert c.out == os.path.join("results", "smoke") and cfg.parse(MnistConfig, []).out == "results"
    assert cfg.parse(MnistConfig, ["--smoke", "--out", "x"]).out == "x"


def test_run_id_ignores_where_and_how_but_not_what():
    a = MnistConfig()
    assert a.run_id("mnist") == dataclasses.replace(a, out="/elsewhere", device="0", tag="x").run_id("mnist")
    assert a.run_id("mnist") != dataclasses.replace(a, alpha=5e-5).run_id("mnist")
    assert dataclasses.replace(a, tag="alpha5e-5").stem("fig4") == os.path.join("results", "fig4_alpha5e-5")


@pytest.mark.parametrize("argv", [["--encoder", "gru"], ["--lr-schedule", "fast"], ["--epochs", "0"]])
def test_bad_values_are_config_errors(argv):
    with pytest.raises(ConfigError):
        cfg.parse(MnistConfig, argv)


def test_bad_flag_from_the_command_line_is_one_line(tmp_path):
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "experiments", "fig5_midi_loss.py"),
                           "--decoder", "gru", "--out", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "error: --decoder gru: choose from mlp, conv, lstm, lstm-ar"
    assert not list(tmp_path.iterdir())


def _all_configs():
    import glob
    from chainer_vae.cli import flags, midi, mnist, music
    classes = [flags.RunConfig, flags.TrainConfig, mnist.MnistConfig, midi.MidiConfig, music.MusicConfig]
    for path in sorted(glob.glob(os.path.join(ROOT, "experiments", "*.py"))):
        module = load_script(path, "script_" + os.path.basename(path)[:-3])
        classes += [c for c in vars(module).values()
                    if isinstance(c, type) and dataclasses.is_dataclass(c) and c.__module__ == module.__name__]
    return classes


def test_every_field_says_whether_it_is_part_of_the_run_identity():
    for cls in _all_configs():
        for f in dataclasses.fields(cls):
            assert f.metadata.get("run_id") in (True, False, "unless default"), (cls.__name__, f.name)
            assert f.metadata.get("help"), (cls.__name__, f.name)


def test_the_paper_runs_keep_their_committed_identity():
    # A change to how the identity is computed must not orphan the committed runs (or retrain them).
    import json
    from chainer_vae.cli.midi import MidiConfig
    from chainer_vae.cli.mnist import MnistConfig
    for config, name, result in ((MnistConfig(), "mnist", "fig4_mnist_loss.json"),
                                 (MidiConfig(), "midi_bach_lute", "fig5_midi_loss_bach_lute.json")):
        with open(os.path.join(ROOT, "results", result)) as f:
            run = json.load(f)["run"]
        assert config.run_id(name, run["data_fingerprint"]) == run["run_id"], result


def test_an_mpi_launch_without_communicator_is_refused(monkeypatch):
    # mpiexec -n 2 without --communicator: both ranks would train the same run and write the same files
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "2")
    with pytest.raises(ConfigError, match="2 processes without --communicator"):
        cfg.parse(MnistConfig, ["--smoke"])
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "1")
    cfg.parse(MnistConfig, ["--smoke"])  # one process under a launcher is an ordinary run


SOURCE = re.compile(r"the paper|the authors'|Fig\. \d|eq\. \d|departures row \d|beyond the paper|not the paper's|ref\. \[")


@pytest.mark.parametrize("config", ["MnistConfig", "MidiConfig"])
def test_every_setting_of_a_figures_config_names_its_source(config):
    """The paper's setup in one place per figure: each setting's default says where it comes from
    (the paper, the authors' code, a departures row of REPRODUCE.md) or that it is beyond the paper."""
    from chainer_vae.cli import midi, mnist
    cls = {"MnistConfig": mnist.MnistConfig, "MidiConfig": midi.MidiConfig}[config]
    unsourced = [f.name for f in dataclasses.fields(cls) if f.metadata["run_id"] and not SOURCE.search(f.metadata["help"])]
    assert unsourced == []
