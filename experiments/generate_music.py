"""Generate music with the MIDI VAE: songs decoded from z ~ N(0, I) and reconstructions of test
windows, each written as .mid with a .wav (General MIDI SoundFont) and a piano-roll PNG beside
it; then music statistics of every sampling setting against held-out windows.

Reuses Fig. 5's model for the same training settings and data (trains it if missing); the
sampling flags (--sample-seed, --n-songs, --threshold, --temperature, --compare, ...) never
retrain.  Writes <out>/music_<folder name>/ (or <out>/music/ for the default data):
sample_NN.{mid,wav,png}, test_NN_original.{mid,wav,png}, test_NN_reconstruction.{mid,wav,png},
music.json, and music_stats.{json,png}: notes per bar, polyphony, pitch range, empty steps,
note lengths and pitch classes, and what a listener hears (one-step notes, repeated bars, leaps
of the top voice, steps with a melody) of prior samples and reconstructions under each --compare
setting versus the test windows, with the overlapping area of each distribution (Yang & Lerch
2018), and how many of a window's notes its reconstruction keeps beside a prior sample (whether
z carries the window).  Notes are kept where the decoded probability is >= --threshold (the original's 0.2),
or drawn from it at --temperature.

    python experiments/generate_music.py --midi-dir ../shared/data/midi/bach_lute --sample-seed 1
    python experiments/generate_music.py --midi-dir ../shared/data/midi/bach_lute --temperature 0.5
    python experiments/generate_music.py --midi-dir my_folder --preset melody --tag melody

--preset melody (not the paper's model: REPRODUCE.md, departures row 17) draws from the
autoregressive LSTM decoder, step by step at temperature 0.75, into <out>/music_<folder>_melody/
with --tag melody; music.json then names the preset, and the results page plays its prior
samples beside the paper model's of the same data.
"""
import dataclasses
import os
import time

import numpy as np

from chainer_vae.figures import rolls
from chainer_vae.cli import flags as cfg
from chainer_vae import parallel
from chainer_vae import files
from chainer_vae.music import sampling, stats as music_stats
from chainer_vae.cli.flags import non_negative, option
from chainer_vae.cli import midi, music
from chainer_vae.data.midi import notestate as M
from chainer_vae.model.apply import decode, encode
from chainer_vae.progress import counter

# Windows per chunk of the statistics: 512 x 15,600 float32 probabilities are 32 MB.
STAT_CHUNK = 512
COMPARE = ("threshold=0.15,threshold=0.2,threshold=0.25,threshold=0.3,threshold=0.4,threshold=0.5,"
           "temperature=1,temperature=0.75,temperature=0.6,temperature=0.5,temperature=0.3")


@dataclasses.dataclass(frozen=True)
class MusicConfig(music.MusicConfig):
    """Generate MIDI songs (with audio) from the MIDI VAE of Fig. 5, and measure them."""
    n_songs: int = option(4, "songs decoded from z ~ N(0, I)", non_negative)
    n_reconstructions: int = option(2, "test windows encoded and decoded", non_negative)
    compare: str = option(COMPARE, "sampling settings measured against the test windows (music_stats.json): "
                                 "comma-separated threshold=X and temperature=X", sampling.settings_problem)
    stat_windows: int = option(2000, "windows measured per setting: a seeded sample of this many test windows is "
                                   "the reference and is reconstructed, and as many prior samples are drawn; "
                                   "0: every test window (memory stays bounded; time grows with it)", non_negative)



def statistics(config, run, data, shape):
    """Prior samples and reconstructions of every --compare setting vs the test windows, measured
    chunk by chunk: memory holds a chunk of windows and a few numbers per window, never a set."""
    n_test = len(data.test_x)
    n = min(config.stat_windows or n_test, n_test)
    # The reference: every test window, or a seeded sample of them (its size is in the output).
    picked = np.arange(n_test) if n == n_test else np.sort(
        np.random.RandomState(config.sample_seed + 2).choice(n_test, n, replace=False))
    reference_windows = data.test_x.subset(picked)
    rng = np.random.RandomState(config.sample_seed + 1)
    z = rng.standard_normal((n, config.n_latent)).astype(np.float32)
    train_pick = np.sort(rng.choice(len(data.train_x), size=min(n, len(data.train_x)), replace=False))
    settings = sampling.parse_settings(config.compare)
    # One generator per setting and side: the draws do not depend on the chunk size or order.
    draws = {(i, side): np.random.RandomState([config.sample_seed, 1, i, side])
             for i in range(len(settings)) for side in (0, 1)}
    reference, train = music_stats.Features(), music_stats.Features()
    prior = [music_stats.Features() for _ in settings]
    recon = [music_stats.Features() for _ in settings]
    done = counter("statistics of %d settings" % len(settings), n, config.progress, unit="windows")
    # Does z carry the window?  Per setting, the notes a reconstruction shares with its original
    # (F1 over sounding cells) against what a prior sample shares with it: equal when the
    # decoder ignores z (posterior collapse, the risk of an autoregressive decoder).
    shared = np.zeros((len(settings), 2, 3))  # (setting, prior/reconstruction, [both, made, original])
    for i in range(0, n, STAT_CHUNK):
        windows = reference_windows[i:i + STAT_CHUNK]
        reference.add(windows, STAT_CHUNK)
        original = np.asarray(windows).reshape(shape)[:, :, :M.N_PITCHES] > 0
        if run.model.reads_x:  # autoregressive: each setting draws its own windows step by step
            mu = encode(run.model, windows)
            made = [(music.decode_notes(run.model, z[i:i + STAT_CHUNK], shape, setting, draws[k, 0]),
                     music.decode_notes(run.model, mu, shape, setting, draws[k, 1]))
                    for k, setting in enumerate(settings)]
        else:
            prior_p = decode(run.model, z[i:i + STAT_CHUNK]).reshape(shape)
            recon_p = decode(run.model, encode(run.model, windows)).reshape(shape)
            made = [(sampling.binarize(prior_p, setting, draws[k, 0]), sampling.binarize(recon_p, setting, draws[k, 1]))
                    for k, setting in enumerate(settings)]
        for k, (prior_notes, recon_notes) in enumerate(made):
            prior[k].add(prior_notes)
            recon[k].add(recon_notes)
            for side, notes in enumerate((prior_notes, recon_notes)):
                play = notes[:, :, :M.N_PITCHES] > 0
                shared[k, side] += ((play & original).sum(), play.sum(), original.sum())
        done(len(windows))
    train.add(data.train_x.subset(train_pick), STAT_CHUNK)
    reference = reference.result()
    # Every set is measured against the test windows' key and melody register.
    ref = reference["pitch_classes"], reference["melody_floor"]
    rows, prior_feats = [], {}
    for k, setting in enumerate(settings):
        name = sampling.label(setting)
        prior_feats[name] = prior[k].result(*ref)
        f1 = [round(float(2 * both / max(made + orig, 1)), 4) for both, made, orig in shared[k]]
        rows.append({"setting": name, "prior": music_stats.compare(prior_feats[name], reference),
                     "reconstruction": music_stats.compare(recon[k].result(*ref), reference),
                     "notes_shared_with_original": {"reconstruction_f1": f1[1], "prior_sample_f1": f1[0]}})
    best = max(rows, key=lambda r: r["prior"]["mean_overlap"])
    return {
        "reference": ("%d test windows" % n_test if n == n_test else
                      "a seeded sample of %d of the %d test windows (--stat-windows)" % (n, n_test)),
        "reference_windows": n, "test_windows": n_test,
        "prior_samples_per_setting": n, "reconstructions_per_setting": n,
        "reference_means": {k: float(v.mean()) for k, v in reference["scalars"].items()},
        "melody_floor": reference["melody_floor"],
        "melody_floor_is": "the test windows' median sounding pitch (MIDI), pooled over their sounding cells: "
                           "melody_coverage is the share of steps with a note at or above it",
        "notes_shared_with_original_is": "F1 of the sounding cells of a reconstruction (from its window's mu) and "
                                         "of a prior sample against the window: z carries the window when the "
                                         "first is well above the second",
        "train_windows_vs_test": music_stats.compare(train.result(*ref), reference),
        "settings": rows,
        "recommended_for_prior_samples": best["setting"],
        "why": "the highest mean overlap of prior samples with the test windows' distributions",
    }, reference, prior_feats


def main(argv=None):
    config = cfg.parse(MusicConfig, argv, __doc__)
    session = music.setup(config)
    if not parallel.is_root():  # under MPI only rank 0 writes the results
        return
    run, data, out, shape, setting, rng, write, label = session

    # Each phase below takes seconds to a minute: its start is said, so a log is never silent.
    n_pieces = config.n_songs + 2 * min(config.n_reconstructions, len(data.test_x))
    print("writing %d pieces (MIDI%s, piano roll) into %s ..." % (
        n_pieces, " + WAV" if write.synth is not None else "", out), flush=True)
    z = rng.standard_normal((config.n_songs, config.n_latent)).astype(np.float32)
    for i, song in enumerate(music.decode_notes(run.model, z, shape, setting, rng)):
        write.piece(song, "sample_%02d" % i, "decoded from z ~ N(0, I), %s" % label, "prior sample")

    picks = rng.choice(len(data.test_x), size=min(config.n_reconstructions, len(data.test_x)), replace=False)
    originals = data.test_x[picks]
    rebuilt = music.decode_notes(run.model, encode(run.model, originals), shape, setting, rng)
    for i, (j, original, again) in enumerate(zip(picks, originals, rebuilt)):
        cls = data.classes[int(data.test_y[j])]
        write.piece(original, "test_%02d_original" % i, "test window %d, class %s" % (j, cls),
                    "test window (%s)" % cls)
        write.piece(again, "test_%02d_reconstruction" % i,
                    "test window %d (class %s) rebuilt from its mu, %s" % (j, cls, label), "reconstruction (%s)" % cls)

    print(write.summary(), flush=True)
    started = time.perf_counter()
    n_stat = min(config.stat_windows or len(data.test_x), len(data.test_x))
    print("measuring %d sampling settings on %d prior samples, %d reconstructions and %d test windows ..." % (
        len(sampling.parse_settings(config.compare)), n_stat, n_stat, n_stat), flush=True)
    stats, reference, prior_feats = statistics(config, run, data, shape)
    files.write_json(os.path.join(out, "music_stats.json"), dict(
        **midi.provenance(run, data), sample_seed=config.sample_seed, **stats))
    rolls.music_statistics(reference, prior_feats, os.path.join(out, "music_stats.png"),
                              "%s: prior samples under each sampling setting vs %s" % (
                                  midi.describe(data), stats["reference"]))
    files.write_json(os.path.join(out, "music.json"), {
        **midi.provenance(run, data), "epochs": len(run.history), "sample_seed": config.sample_seed,
        "sampling": label, "temperature": config.temperature,
        "threshold": setting[1] if setting[0] == "threshold" else music.threshold_value(config),
        **({"threshold_auto": True} if config.threshold == music.AUTO else {}),
        **({"preset": config.preset, "decoder": config.decoder} if config.preset else {}),
        "tempo_bpm": write.tempo, "audio": write.audio_info(), "files": write.written})
    print("statistics of %d settings in %s (%.0f s); closest to the test windows: %s (mean overlap %.3f)" % (
        len(stats["settings"]), os.path.join(out, "music_stats.json"), time.perf_counter() - started,
        stats["recommended_for_prior_samples"], max(r["prior"]["mean_overlap"] for r in stats["settings"])))


if __name__ == "__main__":
    cfg.main_guard(main)
