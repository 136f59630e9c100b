"""Generate music with the MIDI VAE: songs decoded from z ~ N(0, I) and reconstructions of test
windows, each written as .mid with a piano-roll PNG beside it.

Reuses Fig. 5's model for the same training settings and data (trains it if missing); the
sampling flags (--sample-seed, --n-songs, --threshold, ...) never retrain.  Writes
<out>/music_<folder name>/ (or <out>/music/ for the default data): sample_NN.{mid,png},
test_NN_original.{mid,png}, test_NN_reconstruction.{mid,png} and music.json.  Decoded
probabilities are kept where >= --threshold (the original's 0.2; the decoder is unsure, so 0.5
loses most notes).

    python experiments/generate_music.py --midi-dir ../shared/data/midi/bach_lute --sample-seed 1
"""
import dataclasses
import os

import numpy as np

from chainer_vae import config as cfg
from chainer_vae import distributed, io, plotting
from chainer_vae.config import flag
from chainer_vae.data import midi as M
from chainer_vae.recipes import midi
from chainer_vae.training import decode, encode


@dataclasses.dataclass(frozen=True)
class MusicConfig(midi.MidiConfig):
    """Generate MIDI songs from the MIDI VAE of Fig. 5."""
    sample_seed: int = flag(0, "seed of the sampling: which songs are drawn and which test windows "
                               "are rebuilt (the model is the same for every value)", lambda v: (
                                   None if 0 <= v < 2 ** 32 else "must be in 0 .. 2**32-1"))
    n_songs: int = flag(4, "songs decoded from z ~ N(0, I)", ">=0")
    n_reconstructions: int = flag(2, "test windows encoded and decoded", ">=0")
    threshold: float = flag(0.2, "keep a note where its decoded probability is >= this (the authors': 0.2)",
                            "0..1")
    tempo: float = flag(0.0, "tempo (bpm) of the written files; 0: the training songs' median tempo", ">=0")

    NOT_IN_RUN_ID = midi.MidiConfig.NOT_IN_RUN_ID + (
        "sample_seed", "n_songs", "n_reconstructions", "threshold", "tempo")


def write_song(notestate, stem, title, tempo, threshold):
    M.write_midi(notestate, stem + ".mid", tempo_bpm=tempo, threshold=threshold)
    plotting.piano_roll(notestate, stem + ".png", title, threshold=threshold)
    kept = np.asarray(notestate) >= threshold
    return {"file": os.path.basename(stem) + ".mid",
            "notes": len(M.notes_from_notestate(kept)),
            "sounding_fraction": float(kept[:, :M.N_PITCHES].mean())}


def main(argv=None):
    config = cfg.parse(MusicConfig, argv, __doc__)
    run, data = midi.train(config)
    if not distributed.is_root():  # under MPI only rank 0 writes the results
        return
    out = config.stem("music", midi.data_tag(config))
    tempo = config.tempo or float(np.median([s["tempo_bpm"] for s in data.songs]))
    shape = (-1,) + data.test_x.shape[1:]
    rng = np.random.RandomState(config.sample_seed)
    written = []

    z = rng.standard_normal((config.n_songs, config.n_latent)).astype(np.float32)
    for i, song in enumerate(decode(run.model, z).reshape(shape)):
        written.append(dict(kind="prior sample", **write_song(
            song, os.path.join(out, "sample_%02d" % i),
            "decoded from z ~ N(0, I), kept >= %g" % config.threshold, tempo, config.threshold)))

    picks = rng.choice(len(data.test_x), size=min(config.n_reconstructions, len(data.test_x)), replace=False)
    recon = decode(run.model, encode(run.model, data.test_x[picks])).reshape(shape)
    for i, (j, original, rebuilt) in enumerate(zip(picks, data.test_x[picks], recon)):
        cls = data.classes[int(data.test_y[j])]
        written.append(dict(kind="test window (%s)" % cls, **write_song(
            original, os.path.join(out, "test_%02d_original" % i), "test window %d (%s)" % (j, cls),
            tempo, 0.5)))
        written.append(dict(kind="reconstruction (%s)" % cls, **write_song(
            rebuilt, os.path.join(out, "test_%02d_reconstruction" % i),
            "its reconstruction from mu, kept >= %g" % config.threshold, tempo, config.threshold)))
    io.write_json(os.path.join(out, "music.json"), {
        "data_description": midi.describe(data), "data_fingerprint": run.info["data_fingerprint"],
        "run_id": run.info["run_id"], "epochs": len(run.history), "sample_seed": config.sample_seed,
        "threshold": config.threshold, "tempo_bpm": tempo, "files": written})
    print("wrote %d MIDI files with piano rolls in %s" % (len(written), out))


if __name__ == "__main__":
    cfg.main_guard(main)
