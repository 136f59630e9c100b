"""What every music script shares: its sampling flags, and writing a piece as MIDI + WAV + piano roll.

The flags here are options, never settings: they never retrain; every music script reuses Fig. 5's model for the
same training settings and data.
"""
import dataclasses
import os
import typing

import numpy as np

from chainer_vae.figures import rolls
from chainer_vae.music import audio, latent, sampling
from chainer_vae.cli.flags import existing_file, fraction, non_negative, option, seed_range
from chainer_vae.data.midi import notestate as M
from chainer_vae.cli import midi
from chainer_vae.model.apply import decode_batches, encode
from chainer_vae.progress import counter


@dataclasses.dataclass(frozen=True)
class MusicConfig(midi.MidiConfig):
    """Sampling and output flags shared by the music scripts (none of them retrains)."""
    sample_seed: int = option(0, "seed of the sampling: which songs are drawn and which test windows "
                               "are used (the model is the same for every value)", seed_range)
    threshold: float = option(0.2, "keep a note where its decoded probability is >= this (the authors': 0.2); "
                                 "used when --temperature is 0", fraction)
    temperature: float = option(0.0, "0: keep notes by --threshold (the authors' rule); > 0: draw every note "
                                   "from Bernoulli(sigmoid(logit(p) / T)) at this temperature", non_negative)
    tempo: float = option(0.0, "tempo (bpm) of the written files; 0: the training songs' median tempo", non_negative)
    class_windows: int = option(2000, "windows per class behind the class statistics (the class means and "
                                    "spreads; distances to a class's test windows): a seeded sample of at most "
                                    "this many; 0: all (memory stays bounded; time grows with it)", non_negative)
    soundfont: str = option("", "General MIDI .sf2 file for the WAVs; empty: TimGM6mb.sf2, shipped by "
                              "pretty_midi", existing_file)


    def setting(self):
        """The sampling setting of the written files: ('temperature', T) or ('threshold', t)."""
        return ("temperature", self.temperature) if self.temperature > 0 else ("threshold", self.threshold)


class Writer:
    """Writes binary note-state matrices as .mid, .wav (when a synthesizer is here) and .png."""

    def __init__(self, config, data, out):
        self.out = out
        self.tempo = config.tempo or float(np.median([s["tempo_bpm"] for s in data.songs]))
        self.synth = audio.synthesizer(config.soundfont)
        self.why_no_audio = audio.why_not(config.soundfont)
        if self.why_no_audio:
            print(self.why_no_audio)
        self.written = []

    def piece(self, notes, name, title, kind, **extra):
        """notes: binary (T, 156).  Returns (and records) the entry for the JSON."""
        stem = os.path.join(self.out, name)
        notes = (np.asarray(notes) > 0).astype(np.uint8)
        M.write_midi(notes, stem + ".mid", tempo_bpm=self.tempo)
        plot_extra = {k: extra.pop(k) for k in ("boundaries", "boundary_labels") if k in extra}
        rolls.piano_roll(notes, stem + ".png", title, tempo_bpm=self.tempo, **plot_extra)
        entry = dict(kind=kind, file=name + ".mid", notes=len(M.notes_from_notestate(notes)),
                     steps=int(len(notes)), sounding_fraction=round(float(notes[:, :M.N_PITCHES].mean()), 5),
                     **extra)
        if self.synth is not None:
            entry.update(self.synth.render(stem + ".mid", stem + ".wav"))
        self.written.append(entry)
        return entry

    def summary(self):
        n_wav = sum("wav" in e for e in self.written)
        return "wrote %d MIDI files (%d with WAV audio) with piano rolls in %s" % (
            len(self.written), n_wav, self.out)

    def audio_info(self):
        if self.synth is None:
            return {"synthesizer": None, "why": self.why_no_audio}
        return {"synthesizer": "midirenderer", "soundfont": self.synth.soundfont, "rate_hz": audio.RATE,
                "format": "16-bit PCM mono", "instrument": "General MIDI program 0 (acoustic grand piano)"}


def decode_notes(model, z, shape, setting, rng):
    """Latent codes -> binary windows under a sampling setting (all at once: for a few windows)."""
    parts = list(decode_note_batches(model, z, shape, setting, rng))
    return np.concatenate(parts) if parts else np.zeros((0,) + tuple(shape[1:]), np.uint8)


def decode_note_batches(model, z, shape, setting, rng):
    """Latent codes -> binary windows, one batch at a time (bounded memory for any number of
    codes).  Bernoulli draws come from ``rng`` in row order, so the notes do not depend on the
    batch size."""
    for p in decode_batches(model, np.asarray(z, np.float32)):
        yield sampling.binarize(p.reshape(shape), setting, rng)


def encode_all(model, windows, label, progress=True):
    """Posterior means of many windows (e.g. the whole training set), a batch at a time, with a bar."""
    return encode(model, windows, on_batch=counter(label, len(windows), progress, unit="windows"))


def per_class_sample(labels, n_classes, per_class, seed):
    """Positions of at most ``per_class`` rows of each class (a seeded sample, sorted; all of a
    class when it has no more, or when per_class is 0)."""
    labels = np.asarray(labels)
    rng = np.random.RandomState(seed)
    picked = []
    for c in range(n_classes):
        rows = np.flatnonzero(labels == c)
        if per_class and len(rows) > per_class:
            rows = np.sort(rng.choice(rows, per_class, replace=False))
        picked.append(rows)
    return np.sort(np.concatenate(picked)) if picked else np.zeros(0, np.int64)


def class_means(model, data, per_class, seed, progress=True):
    """Per class, the (mean, spread) of its training windows' posterior means, from at most
    ``per_class`` windows a class (a seeded sample), and the windows' codes and labels."""
    rows = per_class_sample(data.train_y, len(data.classes), per_class, seed)
    mu = encode_all(model, data.train_x.subset(rows), "encoding %d training windows" % len(rows), progress)
    labels = np.asarray(data.train_y)[rows]
    return latent.class_stats(mu, labels, len(data.classes)), mu, labels


def window_shape(data):
    return (-1,) + tuple(data.test_x.shape[1:])


class Session(typing.NamedTuple):
    """What every music script works with (``setup``)."""
    run: object          # train/runs.py's Run: Fig. 5's model, its history and record
    data: object         # data/midi/corpus.py's MidiData
    out: str             # the output folder, <out>/music_<folder name>
    shape: tuple         # (-1, steps, 156): decoder rows -> windows
    setting: tuple       # ("threshold", t) or ("temperature", T): how notes are drawn
    rng: object          # the seeded generator of what is sampled (--sample-seed)
    write: object        # a Writer into ``out``
    label: str           # the sampling setting as text, e.g. "threshold=0.2"


def setup(config):
    """What every music script starts with: Fig. 5's model (trained if missing) and data, the
    output folder, the window shape, the sampling setting with its seeded generator and label,
    and a Writer."""
    run, data = midi.train(config)
    out = config.stem("music", midi.data_tag(config))
    setting = config.setting()
    return Session(run, data, out, window_shape(data), setting, np.random.RandomState(config.sample_seed),
                   Writer(config, data, out), sampling.label(setting))
