"""Every experiment script runs end-to-end in its quick mode (pyro's test_examples pattern).

A script added to experiments/ without being listed here fails `test_every_script_is_listed`.
Each runs its ``main`` in this process (what `python script --smoke` runs, without a new
interpreter's imports), from an empty working folder that must stay empty; the scripts of one
data set share one --out, so the MNIST scripts reuse Fig. 4's quick run and the music scripts
Fig. 5's, as a user's would.
"""
import os
import runpy

import pytest

from conftest import ROOT

EXPERIMENTS = os.path.join(ROOT, "experiments")

# script -> (the data it needs, the outputs its quick mode must write under --out)
SCRIPTS = {
    "fig4_mnist_loss.py": ("mnist", ["fig4_mnist_loss.png", "fig4_mnist_loss.json"]),
    "fig3_mnist_latent.py": ("mnist", ["fig3_mnist_latent.png", "fig3_mnist_latent.json"]),
    "fig2_mnist_samples.py": ("mnist", ["fig2_mnist_manifold.png", "fig2_mnist_prior_samples.png",
                                        "fig2_mnist_per_digit.png", "fig2_mnist_samples.json",
                                        "fig2_mnist_manifold_codes.png"]),
    "log_likelihood.py": ("mnist", ["mnist_loglik_mlp-mlp_z2.png", "mnist_loglik_mlp-mlp_z2.json"]),
    "completion.py": ("mnist", ["mnist_completion.png", "mnist_completion.json"]),
    "denoising.py": ("mnist", ["mnist_denoising_z2.png", "mnist_denoising_z2.json"]),
    "posterior_evolution.py": ("mnist", ["mnist_posterior_evolution.png", "mnist_posterior_evolution.gif",
                                         "mnist_posterior_evolution.json"]),
    "interpolation.py": ("mnist", ["mnist_interpolation.png", "mnist_interpolation.json"]),
    "kl_anneal.py": ("both", ["kl_anneal.png", "kl_anneal.json"]),
    "fig5_midi_loss.py": ("midi", ["fig5_midi_loss_{midi}.png", "fig5_midi_loss_{midi}.json"]),
    "fig5_search.py": ("midi", ["fig5_search.json"]),  # 2-epoch runs: nothing to score, so no PNG
    "architectures.py": ("both", ["architectures.md", "architectures.png", "architectures.json"]),
    "generate_music.py": ("midi", ["music_{midi}/music.json", "music_{midi}/sample_00.mid",
                                   "music_{midi}/sample_00.wav", "music_{midi}/sample_00.png",
                                   "music_{midi}/test_00_reconstruction.mid", "music_{midi}/test_00_original.wav",
                                   "music_{midi}/music_stats.json", "music_{midi}/music_stats.png"]),
    "music_paths.py": ("midi", ["music_{midi}/paths.json"] + ["music_{midi}/%s.%s" % (name, ext)
                                for name in ("interpolation_linear", "interpolation_spherical", "long_walk")
                                for ext in ("mid", "wav", "png")]),
    "music_encode.py": ("midi", ["music_{midi}/encoded_*.json", "music_{midi}/encoded_*_original.wav",
                                 "music_{midi}/encoded_*_reconstruction.mid", "music_{midi}/encoded_*_reconstruction.wav"]),
    "music_genres.py": ("midi", ["music_{midi}/genres.json", "music_{midi}/style_*_00.mid",
                                 "music_{midi}/style_*_00.wav", "music_{midi}/attribute_*_to_*.wav"]),
}


def test_every_script_is_listed():
    found = {f for f in os.listdir(EXPERIMENTS) if f.endswith(".py") and not f.startswith("_")}
    assert found == set(SCRIPTS), "experiments/ and SCRIPTS in tests/test_examples.py differ"


def run_script(script, out, *args):
    main = runpy.run_path(os.path.join(EXPERIMENTS, script))["main"]
    main(["--smoke", "--no-progress", "--out", str(out)] + list(args))


@pytest.fixture(scope="module")
def shared_out(tmp_path_factory):
    """One --out for all the quick runs: later scripts reuse the runs earlier ones trained."""
    return tmp_path_factory.mktemp("results")


@pytest.fixture(scope="module")
def midi_dir(tmp_path_factory):
    """The paper's lute files when they are beside the checkout, else a synthesized class folder
    (so the MIDI scripts run on a fresh clone with nothing beside it)."""
    from conftest import SHARED
    lute = os.path.join(SHARED, "midi", "bach_lute")
    if os.path.isdir(lute):
        return lute
    from test_corpus import make_dataset
    return str(make_dataset(tmp_path_factory.mktemp("midi") / "synth", songs_per_class=1))


# Fig. 4 and Fig. 5 first: the scripts after them reuse their quick runs.
ORDER = sorted(SCRIPTS, key=lambda s: (s not in ("fig4_mnist_loss.py", "fig5_midi_loss.py"), s))


@pytest.mark.parametrize("script", ORDER)
def test_script_quick_mode(script, shared_out, tmp_path, monkeypatch, request):
    data, outputs = SCRIPTS[script]
    args, tag = [], ""
    if data in ("mnist", "both"):
        request.getfixturevalue("mnist_root")
    if data in ("midi", "both"):
        folder = request.getfixturevalue("midi_dir")
        args, tag = ["--midi-dir", folder], os.path.basename(folder)
    monkeypatch.chdir(tmp_path)  # outputs go to --out, never to the working folder
    run_script(script, shared_out, *args)
    assert not os.listdir(tmp_path), os.listdir(tmp_path)
    for name in outputs:
        found = sorted(shared_out.glob(name.format(midi=tag)))
        assert found and all(p.stat().st_size > 0 for p in found), name
    for mid in shared_out.rglob("*.mid"):  # every MIDI file has its audio beside it
        assert mid.with_suffix(".wav").stat().st_size > 44, mid
    leftovers = [p for p in shared_out.rglob("*.tmp*")]
    assert not leftovers, leftovers
    # make report is the only writer of the results page: a script never touches it.
    assert not (shared_out / "index.html").exists() and not (shared_out / "explorer").exists()
