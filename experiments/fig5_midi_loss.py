"""Fig. 5: train and test loss (left) and KL divergence (right) of the MIDI VAE per epoch.

    python experiments/fig5_midi_loss.py --midi-dir ../shared/data/midi/bach_lute   # the paper's data
    python experiments/fig5_midi_loss.py          # default data: Bach from music21's own corpus
    python experiments/fig5_midi_loss.py --alpha 1e-5   # the committed original script's rate
A MIDI folder's sub-folders are the classes ("genres"); each song gives 200 windows of 100
sixteenth-note steps. generate_music.py reuses the model this run saves (``train_midi``).
"""
import dataclasses
import os

import numpy as np

import chainer_vae  # noqa: F401  (applies the Chainer compatibility shims first)
from chainer_vae import config as cfg
from chainer_vae import io, plotting, runs
from chainer_vae.data.corpus import load_midi_dataset
from chainer_vae.nets import make_decoder, make_encoder
from chainer_vae.objective import VAELoss

PAPER_PLOTTED_EPOCHS = (11, 59)  # the paper's Fig. 5 shows only these epochs


@dataclasses.dataclass(frozen=True)
class MidiConfig(cfg.RunConfig):
    """The paper's MIDI VAE (Fig. 5, music generation); defaults are the authors' setup."""
    midi_dir: str = dataclasses.field(default="", metadata={
        "help": "folder of class sub-folders of .mid files; empty: Bach from music21's corpus, by mode"})
    max_songs_per_class: int = dataclasses.field(default=0, metadata={
        "help": "0: all songs of a MIDI folder, 4 from music21's corpus (the paper had 4 per class)"})
    windows_per_song: int = 200  # original: 200 evenly spaced windows of 100 steps per song
    split: str = dataclasses.field(default="window", metadata={
        "help": "window (original: a class's shuffled windows, 4/5 train; windows of one song "
                "land on both sides) or song (whole songs held out)"})
    encoder: str = dataclasses.field(default="mlp", metadata={"help": "mlp, conv or lstm"})
    decoder: str = dataclasses.field(default="mlp", metadata={"help": "mlp, conv or lstm"})
    n_latent: int = 20           # original
    epochs: int = 60             # original: 60
    batch_size: int = 32         # the script defined 64 but its iterator used 32
    alpha: float = 1e-3          # used only with --lr-schedule ''
    # The authors trained in chunks and their last chunk used 1e-5. Measured on the lute data:
    # 1e-5 throughout (the committed script) ends far above Fig. 5; 1e-3 throughout overfits;
    # 1e-3 for 30 epochs then 1e-5 gives the figure's shape. --lr-schedule '' --alpha 1e-5 is
    # the committed script.
    lr_schedule: str = dataclasses.field(default="1e-3:30,1e-5", metadata={
        "help": "per-epoch alpha, e.g. '1e-3:30,1e-5'; empty: constant --alpha"})
    weight_decay: float = 5e-4   # original
    beta: float = 1.0
    anneal_epochs: int = 0
    k: int = 1

    def smoke_config(self):
        return dataclasses.replace(self, windows_per_song=40, max_songs_per_class=1, epochs=2,
                                   smoke=True)


def load_data(config):
    return load_midi_dataset(config.midi_dir or None, windows_per_song=config.windows_per_song,
                             split=config.split, seed=config.seed,
                             max_songs_per_class=config.max_songs_per_class or None,
                             progress=config.progress)


def data_tag(config):
    """'' for the default data, else the MIDI folder's name: outputs of both can live side by side."""
    return "_" + os.path.basename(os.path.normpath(config.midi_dir)) if config.midi_dir else ""


def train_midi(config, name="midi"):
    """Train (or load the finished run of) the MIDI VAE for `config`; returns (run, data)."""
    data = load_data(config)
    for line in data.report:
        print(line)
    np.random.seed(config.seed)
    model = VAELoss(make_encoder(config.encoder, "midi", config.n_latent),
                    make_decoder(config.decoder, "midi", config.n_latent),
                    beta=config.beta, k=config.k)
    description = "%s: %d songs, %d train / %d test windows" % (
        data.source, len(data.songs), len(data.train_x), len(data.test_x))
    run = runs.fit(model, data.train_x, data.test_x, config, name + data_tag(config), description,
                   epochs=config.epochs, batch_size=config.batch_size,
                   lr=config.lr_schedule or str(config.alpha), weight_decay=config.weight_decay,
                   beta=config.beta, anneal_epochs=config.anneal_epochs,
                   snapshot_every=5)  # the MIDI snapshot is ~280 MB: not every epoch
    return run, data, description


def main(argv=None):
    config = cfg.parse(MidiConfig, argv)
    run, data, description = train_midi(config)
    stem = config.stem("fig5_midi_loss" + data_tag(config))
    mark = PAPER_PLOTTED_EPOCHS if len(run.history) >= PAPER_PLOTTED_EPOCHS[1] else None
    plotting.loss_and_kl(run.history, stem + ".png", "Fig. 5 - MIDI VAE (%s/%s, alpha %s): %s" % (
        config.encoder, config.decoder, config.lr_schedule or config.alpha, description), mark)
    io.write_json(stem + ".json", {
        "figure": "Fig. 5", "data": data.source, "data_description": description,
        "classes": data.classes, "songs": data.songs, "conversion_report": data.report,
        "run": run.info, "summary": runs.summary(run.history), "history": run.history})
    print("wrote %s.png and %s.json (run in %s)" % (stem, stem, run.run_dir))


if __name__ == "__main__":
    cfg.main_guard(main)
