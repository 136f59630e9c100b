"""Generate music with the MIDI VAE: songs decoded from z ~ N(0, I) and reconstructions of test
windows, each written as .mid with a .wav (General MIDI SoundFont) and a piano-roll PNG beside
it; then music statistics of every sampling setting against held-out windows.

Reuses Fig. 5's model for the same training settings and data (trains it if missing); the
sampling flags (--sample-seed, --n-songs, --threshold, --temperature, --compare, ...) never
retrain.  Writes <out>/music_<folder name>/ (or <out>/music/ for the default data):
sample_NN.{mid,wav,png}, test_NN_original.{mid,wav,png}, test_NN_reconstruction.{mid,wav,png},
music.json, and music_stats.{json,png}: notes per bar, polyphony, pitch range, empty steps,
note lengths and pitch classes of prior samples and reconstructions under each --compare
setting versus the test windows, with the overlapping area of each distribution (Yang & Lerch
2018).  Notes are kept where the decoded probability is >= --threshold (the original's 0.2),
or drawn from it at --temperature.

    python experiments/generate_music.py --midi-dir ../shared/data/midi/bach_lute --sample-seed 1
    python experiments/generate_music.py --midi-dir ../shared/data/midi/bach_lute --temperature 0.5
"""
import dataclasses
import os

import numpy as np

from chainer_vae import config as cfg
from chainer_vae import distributed, io, music_stats, plotting, sampling
from chainer_vae.config import flag
from chainer_vae.recipes import midi, music
from chainer_vae.inference import decode, encode

COMPARE = ("threshold=0.15,threshold=0.2,threshold=0.25,threshold=0.3,threshold=0.4,threshold=0.5,"
           "temperature=1,temperature=0.75,temperature=0.6,temperature=0.5,temperature=0.3")


@dataclasses.dataclass(frozen=True)
class MusicConfig(music.MusicConfig):
    """Generate MIDI songs (with audio) from the MIDI VAE of Fig. 5, and measure them."""
    n_songs: int = flag(4, "songs decoded from z ~ N(0, I)", ">=0")
    n_reconstructions: int = flag(2, "test windows encoded and decoded", ">=0")
    compare: str = flag(COMPARE, "sampling settings measured against the test windows (music_stats.json): "
                                 "comma-separated threshold=X and temperature=X", sampling.settings_problem)
    stat_windows: int = flag(0, "prior samples drawn per setting for the statistics; 0: as many as test windows",
                             ">=0")

    NOT_IN_RUN_ID = music.MusicConfig.NOT_IN_RUN_ID + (
        "n_songs", "n_reconstructions", "compare", "stat_windows")


def statistics(config, run, data, shape):
    """Prior samples and reconstructions of every --compare setting vs the test windows."""
    rng = np.random.RandomState(config.sample_seed + 1)
    n_test = len(data.test_x)
    test = data.test_x[np.arange(n_test)]
    reference = music_stats.features(test)
    ref_pcs = reference["pitch_classes"]
    n = config.stat_windows or n_test
    prior_p = decode(run.model, rng.standard_normal((n, config.n_latent)).astype(np.float32)).reshape(shape)
    recon_p = decode(run.model, encode(run.model, test)).reshape(shape)
    train_pick = rng.choice(len(data.train_x), size=min(n_test, len(data.train_x)), replace=False)
    train = music_stats.features(data.train_x[np.sort(train_pick)], ref_pcs)
    rows, prior_feats = [], {}
    for setting in sampling.parse_settings(config.compare):
        name = sampling.label(setting)
        prior = music_stats.features(sampling.binarize(prior_p, setting, rng), ref_pcs)
        recon = music_stats.features(sampling.binarize(recon_p, setting, rng), ref_pcs)
        prior_feats[name] = prior
        rows.append({"setting": name, "prior": music_stats.compare(prior, reference),
                     "reconstruction": music_stats.compare(recon, reference)})
    best = max(rows, key=lambda r: r["prior"]["mean_overlap"])
    return {
        "reference": "%d test windows" % n_test, "prior_samples_per_setting": n,
        "reference_means": {k: float(v.mean()) for k, v in reference["scalars"].items()},
        "train_windows_vs_test": music_stats.compare(train, reference),
        "settings": rows,
        "recommended_for_prior_samples": best["setting"],
        "why": "the highest mean overlap of prior samples with the test windows' distributions",
    }, reference, prior_feats


def main(argv=None):
    config = cfg.parse(MusicConfig, argv, __doc__)
    run, data = midi.train(config)
    if not distributed.is_root():  # under MPI only rank 0 writes the results
        return
    out = config.stem("music", midi.data_tag(config))
    shape = music.window_shape(data)
    setting = config.setting()
    rng = np.random.RandomState(config.sample_seed)
    write = music.Writer(config, data, out)
    label = sampling.label(setting)

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

    stats, reference, prior_feats = statistics(config, run, data, shape)
    io.write_json(os.path.join(out, "music_stats.json"), dict(
        data_description=midi.describe(data), data_fingerprint=run.info["data_fingerprint"],
        run_id=run.info["run_id"], sample_seed=config.sample_seed, **stats))
    plotting.music_statistics(reference, prior_feats, os.path.join(out, "music_stats.png"),
                              "%s: prior samples under each sampling setting vs %s" % (
                                  midi.describe(data), stats["reference"]))
    io.write_json(os.path.join(out, "music.json"), {
        "data_description": midi.describe(data), "data_fingerprint": run.info["data_fingerprint"],
        "run_id": run.info["run_id"], "epochs": len(run.history), "sample_seed": config.sample_seed,
        "sampling": label, "threshold": config.threshold, "temperature": config.temperature,
        "tempo_bpm": write.tempo, "audio": write.audio_info(), "files": write.written})
    print(write.summary())
    print("statistics of %d settings in %s; closest to the test windows: %s (mean overlap %.3f)" % (
        len(stats["settings"]), os.path.join(out, "music_stats.json"), stats["recommended_for_prior_samples"],
        max(r["prior"]["mean_overlap"] for r in stats["settings"])))


if __name__ == "__main__":
    cfg.main_guard(main)
