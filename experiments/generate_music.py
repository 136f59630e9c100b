"""Generate music with the MIDI VAE: songs decoded from z ~ N(0, I) and the reconstruction of
test windows, each written as .mid with a piano-roll PNG beside it.

    python experiments/generate_music.py --midi-dir ../shared/data/midi/bach_lute
Reuses Fig. 5's model for the same settings (trains it if missing). Decoded probabilities are
kept where >= --threshold (the original's 0.2; the decoder is unsure, so 0.5 loses most notes).
"""
import dataclasses
import os

import numpy as np

from fig5_midi_loss import MidiConfig, data_tag, train_midi

import chainer_vae  # noqa: F401
from chainer_vae import config as cfg
from chainer_vae import io, plotting
from chainer_vae.data import midi
from chainer_vae.training import decode, encode


@dataclasses.dataclass(frozen=True)
class MusicConfig(MidiConfig):
    """Generate MIDI songs from the MIDI VAE of Fig. 5."""
    n_songs: int = 4             # songs decoded from the prior
    n_reconstructions: int = 2   # test windows encoded and decoded
    threshold: float = 0.2       # original: notes where the decoded probability >= 0.2
    tempo: float = dataclasses.field(default=0.0, metadata={
        "help": "bpm of the written files; 0: the training songs' median tempo"})

    NOT_IN_RUN_ID = MidiConfig.NOT_IN_RUN_ID + ("n_songs", "n_reconstructions", "threshold", "tempo")


def write_song(notestate, stem, title, tempo, threshold):
    midi.write_midi(notestate, stem + ".mid", tempo_bpm=tempo, threshold=threshold)
    plotting.piano_roll(notestate, stem + ".png", title, threshold=threshold)
    kept = np.asarray(notestate) >= threshold
    return {"file": os.path.basename(stem) + ".mid",
            "notes": len(midi.notes_from_notestate(kept)),
            "sounding_fraction": float(kept[:, :midi.N_PITCHES].mean())}


def main(argv=None):
    config = cfg.parse(MusicConfig, argv)
    run, data, description = train_midi(config)
    out = config.stem("music" + data_tag(config))
    tempo = config.tempo or float(np.median([s["tempo_bpm"] for s in data.songs]))
    shape = (-1,) + data.test_x.shape[1:]
    rng = np.random.RandomState(config.seed)
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
        "data_description": description, "run_dir": run.run_dir, "epochs": len(run.history),
        "threshold": config.threshold, "tempo_bpm": tempo, "files": written})
    print("wrote %d MIDI files with piano rolls in %s" % (len(written), out))


if __name__ == "__main__":
    cfg.main_guard(main)
