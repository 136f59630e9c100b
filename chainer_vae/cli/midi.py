"""The paper's MIDI VAE (Fig. 5, generated music): its config and its train-once recipe."""
import dataclasses
import os

from chainer_vae import parallel
from chainer_vae.train import runs
from chainer_vae.cli.flags import (TrainConfig, at_least_one, existing_dir, lr_schedule_problem, non_negative, option,
                                   positive, setting)
from chainer_vae.data.classes import report_lines
from chainer_vae.data.midi.corpus import NO_FOLDER_FOR_AUTHORS, load_midi_dataset


@dataclasses.dataclass(frozen=True)
class MidiFolder:
    """Which MIDI data, and how much of it an epoch sees: shared by every script that trains on
    MIDI (Fig. 5, the music scripts, architectures, KL annealing)."""
    midi_dir: str = option("", "folder of class sub-folders of .mid files (e.g. the paper's bach_lute); "
                             "empty: Bach works from music21's own corpus, by mode", existing_dir)
    windows_per_epoch: int = setting(0, "train each epoch on this many windows drawn without replacement "
                                     "(reproducible from --seed); 0: all (the authors'), for big folders", non_negative)
    test_windows: int = setting(0, "evaluate each epoch on a fixed, seeded sample of this many test windows, and "
                                "the whole test set once after the last epoch; 0: the whole test set every "
                                "epoch (the authors'), for big folders", non_negative, omit_default=True)
    reader: str = setting("ours", "how a MIDI file becomes a song: ours (whole pieces) or authors (the authors' "
                          "midi_manipulation.midiToNoteStateMatrix: stops at the first time signature other "
                          "than 2/x or 4/x, each sixteenth sampled half a step after its boundary, percussion "
                          "kept; needs --midi-dir)", choices=("ours", "authors"), omit_default=True)

    def combination_problem(self):
        """Why these settings cannot go together, or None (RunConfig checks it with the flags)."""
        if self.reader != "ours" and not self.midi_dir:
            return NO_FOLDER_FOR_AUTHORS
        return None

    def midi_folder(self):
        """These settings, to pass on to a MidiConfig."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(MidiFolder)}


# --preset: named defaults that are NOT the paper's model (REPRODUCE.md, departures row 17), each
# chosen by tools/music_configs.py's measurements on folders from music21's corpus
# (results/music_configs*.md).  melody: the configuration lstm-ar-drop-long there -- an MLP
# encoder with the autoregressive LSTM decoder, which holds notes instead of the paper decoder's
# flicker of one-step notes, 30% of its previous steps hidden and the KL annealed over 10 epochs
# so that z stays in use, 45 epochs at Adam 2e-3 (at 15 epochs at 1e-3 its loss was still falling
# fast) -- drawn at temperature 0.75, its best setting on the folk tunes and, of the settings
# measured, the best on average over both folders.
PRESETS = {"melody": {"decoder": "lstm-ar", "decoder_dropout": 0.3, "anneal_epochs": 10, "epochs": 45,
                      "lr_schedule": "", "alpha": 2e-3, "temperature": 0.75}}


def _preset_help():
    return ("beyond the paper: named defaults, flags given still win. melody = %s (not the paper's model: "
            "REPRODUCE.md, departures row 17; --temperature is used by the music scripts); '': the paper's "
            "setup" % " ".join("--%s %s" % (k.replace("_", "-"), v if v != "" else "''")
                                for k, v in PRESETS["melody"].items()))


@dataclasses.dataclass(frozen=True)
class MidiConfig(TrainConfig, MidiFolder):
    """The paper's MIDI VAE (Fig. 5); every default is the authors' setup.

    Inherited defaults: 60 epochs (the authors'), batch 32 (the script defined 64 but its
    iterator used 32), weight decay 5e-4, beta 1, one z sample.  The networks are the authors'
    15600-1000-500-100-20 MLP encoder and 20-100-500-15600 decoder with ReLU.
    """
    DATA = "midi"
    PRESETS = PRESETS
    preset: str = option("", _preset_help(), choices=("",) + tuple(PRESETS))
    max_songs_per_class: int = setting(0, "at most this many songs per class; 0: all songs of a MIDI folder, "
                                       "4 from music21's corpus (the paper had 4 per class)", non_negative)
    windows_per_song: int = setting(200, "evenly spaced windows of 100 steps per song (the authors': 200)", at_least_one)
    split: str = setting("window", "window (the authors': a class's shuffled windows, 4/5 train; windows of one "
                                "song land on both sides) or song (whole songs held out)",
                      choices=("window", "song"))
    n_latent: int = setting(20, "size of the latent code z (the authors': 20)", at_least_one)
    alpha: float = setting(1e-3, "Adam's learning rate when --lr-schedule is '' (the authors' committed script: "
                                 "--lr-schedule '' --alpha 1e-5, departures row 2)", positive)
    # The authors trained in chunks and their last chunk used 1e-5. Measured on the lute data:
    # 1e-5 throughout (the committed script) ends far above Fig. 5; 1e-3 throughout overfits;
    # 1e-3 for 30 epochs then 1e-5 gives the figure's shape.
    lr_schedule: str = setting("1e-3:30,1e-5", "per-epoch learning rate, e.g. '1e-3:30,1e-5' (1e-3 for epochs "
                                            "1-30, then 1e-5); '|' instead of ',' starts that piece with a new Adam, as the authors' "
                                            "notebook built one per chunk of epochs ('1e-3:30|1e-5'); '' for a "
                                            "constant --alpha (the committed script: --lr-schedule '' --alpha 1e-5)",
                          lr_schedule_problem)

    def examples_per_epoch(self):
        return self.windows_per_epoch

    def test_examples(self):
        return self.test_windows

    def smoke_config(self):
        return dataclasses.replace(self, windows_per_song=40, max_songs_per_class=1, epochs=2, smoke=True)


def data_tag(config):
    """'' for the default data, else the MIDI folder's name: outputs of both can live side by side."""
    return os.path.basename(os.path.normpath(config.midi_dir)) if config.midi_dir else ""


def load_data(config):
    data = load_midi_dataset(config.midi_dir or None, windows_per_song=config.windows_per_song,
                             split=config.split, seed=config.seed,
                             max_songs_per_class=config.max_songs_per_class or None,
                             progress=config.progress, reader=config.reader)
    for line in report_lines(data.report):
        print(line)
    return data




def describe(data):
    return "%s: %d songs, %d train / %d test windows" % (
        data.source, len(data.songs), len(data.train_x), len(data.test_x))


def train(config, name="midi"):
    """Train (or reuse the finished run of) the MIDI VAE for ``config``; returns (run, data)."""
    if config.from_run:  # a run trained elsewhere that does not fit is refused before any data is read
        runs.check_from_run(config, name + ("_" + data_tag(config) if config.midi_dir else ""))
    with parallel.current().root_first():  # under MPI: rank 0 converts and caches, the others then map it
        data = load_data(config)
    tag = data_tag(config)
    run = runs.fit(config, name + ("_" + tag if tag else ""), data.train_x, data.test_x, describe(data))
    return run, data


def label(run, data):
    return "%s (data %s)" % (describe(data), run.info["data_fingerprint"])


def provenance(run, data):
    """What every music JSON says of its model and data: which data, its fingerprint, the run,
    and the whole conversion report (the console shows only its first lines)."""
    return {"data_description": describe(data), "data_fingerprint": run.info["data_fingerprint"],
            "run_id": run.info["run_id"], "conversion_report": data.report}
