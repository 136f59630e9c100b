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
from chainer_vae.errors import ConfigError
from chainer_vae.model import AR_DECODERS
from chainer_vae.model.apply import decode_batches, encode, generate_batches
from chainer_vae.progress import counter


AUTO = "auto"
# A generated piece with fewer note onsets than this per bar (16 steps) is "nearly empty": the
# console says how many there are and which setting gives them notes.
MIN_NOTES_PER_BAR = 1
AUTO_BINS = 100000  # the resolution of --threshold auto: 1e-5 of probability


def threshold_value(config):
    """--threshold as the JSONs store it: a number, or "auto" where it was never measured."""
    return config.threshold if config.threshold == AUTO else float(config.threshold)


def _threshold_problem(v):
    if v == AUTO:
        return None
    try:
        v = float(v)
    except (TypeError, ValueError):
        return "a number in (0, 1] or auto"
    return fraction(v)


@dataclasses.dataclass(frozen=True)
class MusicConfig(midi.MidiConfig):
    """Sampling and output flags shared by the music scripts (none of them retrains)."""
    sample_seed: int = option(0, "seed of the sampling: which songs are drawn and which test windows "
                               "are used (the model is the same for every value)", seed_range)
    threshold: str = option("0.2", "keep a note where its decoded probability is >= this (the authors': 0.2); "
                                 "used when --temperature is 0. auto: the threshold at which prior samples sound "
                                 "as often as the training windows (the share of sounding cells, measured on "
                                 "--stat-windows of each) -- for a model whose samples come out empty or nearly so "
                                 "at 0.2 (a short training, sparse or very varied data); the paper's figures keep 0.2",
                            _threshold_problem)
    temperature: float = option(0.0, "0: keep notes by --threshold (the authors' rule); > 0: draw every note "
                                   "from Bernoulli(sigmoid(logit(p) / T)) at this temperature", non_negative)
    tempo: float = option(0.0, "tempo (bpm) of the written files; 0: the training songs' median tempo", non_negative)
    class_windows: int = option(2000, "windows per class behind the class statistics (the class means and "
                                    "spreads; distances to a class's test windows): a seeded sample of at most "
                                    "this many; 0: all (memory stays bounded; time grows with it)", non_negative)
    soundfont: str = option("", "General MIDI .sf2 file for the WAVs; empty: TimGM6mb.sf2, shipped by "
                              "pretty_midi", existing_file)


    def setting(self):
        """The sampling setting of the written files: ('temperature', T) or ('threshold', t);
        ('threshold', None) for --threshold auto (``setup`` measures it)."""
        if self.temperature > 0:
            return ("temperature", self.temperature)
        return ("threshold", None if self.threshold == AUTO else float(self.threshold))


class Writer:
    """Writes binary note-state matrices as .mid, .wav (when a synthesizer is here) and .png."""

    def __init__(self, config, data, out, setting=None):
        self.out = out
        self.tempo = config.tempo or float(np.median([s["tempo_bpm"] for s in data.songs]))
        self.synth = audio.synthesizer(config.soundfont)
        self.why_no_audio = audio.why_not(config.soundfont)
        if self.why_no_audio:
            print(self.why_no_audio)
        self.written = []
        self.setting = setting or config.setting()  # the setting the pieces are drawn with
        self.auto = config.threshold == AUTO

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
        """What was written, in a line; then, when generated pieces are empty or nearly so, a
        line saying how many and which setting gives them notes."""
        n_wav = sum("wav" in e for e in self.written)
        line = "wrote %d MIDI files (%d with WAV audio) with piano rolls in %s" % (
            len(self.written), n_wav, self.out)
        sparse = self.sparse()
        return line + ("\n" + sparse if sparse else "")

    def sparse(self):
        """The warning about generated pieces with no notes or fewer than MIN_NOTES_PER_BAR a bar
        ('' when there are none); read windows (test windows, your song) are not counted."""
        made = [e for e in self.written if not e["kind"].startswith(READ_KINDS)]
        empty = [e for e in made if e["notes"] == 0]
        few = [e for e in made if 0 < e["notes"] < MIN_NOTES_PER_BAR * e["steps"] / STEPS_PER_BAR]
        if not empty and not few:
            return ""
        def named(entries, what):
            names = [e["file"] for e in entries]
            return "%d %s (%s)" % (len(entries), what, ", ".join(names[:4]) + (", ..." if len(names) > 4 else ""))
        parts = [named(empty, "have no notes" if len(empty) > 1 else "has no notes")] * bool(empty) + [
            named(few, "have fewer than %d note a bar" % MIN_NOTES_PER_BAR if len(few) > 1 else
                  "has fewer than %d note a bar" % MIN_NOTES_PER_BAR)] * bool(few)
        kind, value = self.setting
        if kind == "temperature":
            fix = "--threshold auto (and --temperature 0) keeps the notes the decoder finds likeliest"
        elif self.auto:
            fix = "--temperature 1 draws the model's own distribution; a longer training (--epochs) helps more"
        else:
            fix = ("--threshold auto picks the threshold at which prior samples sound as often as the training "
                   "data (README: Big MIDI folders)")
        return "warning: of the %d generated pieces, %s: the decoder's note probabilities stay below %s=%g; %s" % (
            len(made), " and ".join(parts), kind, value, fix)

    def audio_info(self):
        if self.synth is None:
            return {"synthesizer": None, "why": self.why_no_audio}
        return {"synthesizer": "midirenderer", "soundfont": self.synth.soundfont, "rate_hz": audio.RATE,
                "format": "16-bit PCM mono", "instrument": "General MIDI program 0 (acoustic grand piano)"}


READ_KINDS = ("test window", "your song")  # pieces as read, not generated
STEPS_PER_BAR = 16


def auto_threshold(model, data, shape, n, seed, n_latent):
    """--threshold auto: (t, the training windows' sounding share, the prior samples' at t, the
    number of training windows measured).

    The share of sounding cells (the 78 "play" columns) of a seeded sample of ``n`` training
    windows is the target; ``n`` windows decoded from z ~ N(0, I) give the decoder's play
    probabilities, counted in AUTO_BINS bins a batch at a time (bounded memory); t is the bin
    edge at which the share of probabilities >= t is closest to the target."""
    rng = np.random.RandomState([seed, 5])
    n_train = len(data.train_x)
    rows = np.sort(rng.choice(n_train, size=min(n, n_train), replace=False))
    sounding = cells = 0
    for i in range(0, len(rows), 512):
        w = data.train_x[rows[i:i + 512]][:, :, :M.N_PITCHES]
        sounding, cells = sounding + int(w.sum()), cells + w.size
    target = sounding / max(cells, 1)
    counts = np.zeros(AUTO_BINS + 1, np.int64)
    z = rng.standard_normal((n, n_latent)).astype(np.float32)
    for p in decode_batches(model, z):
        play = p.reshape(shape)[:, :, :M.N_PITCHES]
        counts += np.bincount(np.minimum((play * AUTO_BINS).astype(np.int64), AUTO_BINS).ravel(),
                              minlength=AUTO_BINS + 1)
    at_least = np.cumsum(counts[::-1])[::-1] / max(counts.sum(), 1)  # share of p >= k / AUTO_BINS
    k = 1 + int(np.argmin(np.abs(at_least[1:] - target)))  # k >= 1: a threshold above 0
    return k / AUTO_BINS, target, float(at_least[k]), len(rows)


def decode_notes(model, z, shape, setting, rng):
    """Latent codes -> binary windows under a sampling setting (all at once: for a few windows)."""
    parts = list(decode_note_batches(model, z, shape, setting, rng))
    return np.concatenate(parts) if parts else np.zeros((0,) + tuple(shape[1:]), np.uint8)


def decode_note_batches(model, z, shape, setting, rng):
    """Latent codes -> binary windows, one batch at a time (bounded memory for any number of
    codes).  Bernoulli draws come from ``rng`` in row order, so the notes do not depend on the
    batch size."""
    if model.reads_x:  # an autoregressive decoder draws each step's notes and feeds them back
        steps = tuple(shape[1:])
        yield from generate_batches(model, np.asarray(z, np.float32),
                                    lambda n: articulated(sampling.step_drawer(setting, rng, (n,) + steps)))
        return
    for p in decode_batches(model, np.asarray(z, np.float32)):
        yield sampling.binarize(p.reshape(shape), setting, rng)


def articulated(draw):
    """A step drawer whose notes are written as the data writes them: articulate set on every pitch
    that starts to sound, and on no silent pitch.  The notes are the ones drawn (a pitch that starts
    sounding starts a note either way, and articulate without play is ignored: notestate.py); what
    changes is what an autoregressive decoder is fed back.  The cells are drawn independently, so an
    onset's play and articulate cells rarely come out together, and the decoder, trained on data
    where they always do, reads an unarticulated onset as noise and drops it the next step: a
    one-step note."""
    before = []

    def step(t, p):
        x = np.array(draw(t, p), dtype=np.uint8)
        play = x[:, :M.N_PITCHES].astype(bool)
        was = before[0] if before else np.zeros_like(play)
        x[:, M.N_PITCHES:] = play & (x[:, M.N_PITCHES:].astype(bool) | ~was)
        before[:] = [play]
        return x
    return step


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
    setting = config.setting()
    if setting[1] is None and config.decoder in AR_DECODERS:  # refused before any training
        raise ConfigError("--threshold auto: it measures the decoder's probabilities of z alone, but the %s "
                          "decoder's depend on the notes it draws; give --threshold X or --temperature X"
                          % config.decoder)
    run, data = midi.train(config)
    out = config.stem("music", midi.data_tag(config))
    if setting[1] is None:  # --threshold auto
        n = getattr(config, "stat_windows", 2000) or len(data.test_x)
        t, target, got, n_train = auto_threshold(run.model, data, window_shape(data), n, config.sample_seed,
                                                 config.n_latent)
        setting = ("threshold", t)
        print("--threshold auto: %g (prior samples sound in %.2f%% of the cells at it, the training windows in "
              "%.2f%%; measured on %d prior samples and %d training windows)" % (t, 100 * got, 100 * target, n, n_train))
    return Session(run, data, out, window_shape(data), setting, np.random.RandomState(config.sample_seed),
                   Writer(config, data, out, setting), sampling.label(setting))
