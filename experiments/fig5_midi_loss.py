"""Fig. 5: train and test loss (left) and KL divergence (right) of the paper's MIDI VAE per epoch.

A MIDI folder's sub-folders are the classes ("genres"); each song gives 200 windows of 100
sixteenth-note steps.  Trains the model once (or reuses the finished run for the same settings
and data, in <out>/runs/) and writes <out>/fig5_midi_loss_<folder name>.png and .json (curves,
songs, the per-file conversion report, data fingerprint, times); without --midi-dir the data are
Bach works from music21's corpus and the files are <out>/fig5_midi_loss.*.  generate_music.py
reuses the model.

    python experiments/fig5_midi_loss.py --midi-dir ../shared/data/midi/bach_lute   # the paper's data
    python experiments/fig5_midi_loss.py --lr-schedule '' --alpha 1e-5 --tag alpha1e-5   # the committed script

--paper draws the paper's digitized curves (results/paper_curves.json, epochs 12-60) dashed over ours.
"""
import dataclasses

from chainer_vae.figures import curves
from chainer_vae.cli import flags as cfg
from chainer_vae.parallel import mpi
from chainer_vae import files, report
from chainer_vae.train import runs
from chainer_vae.cli import midi
from chainer_vae.cli.flags import option

# The paper's Fig. 5 shows only these epochs: the authors' VAE_midi.py plots loss_train[11:60].
PAPER_PLOTTED_EPOCHS = (12, 60)


@dataclasses.dataclass(frozen=True)
class Fig5Config(midi.MidiConfig):
    paper: bool = option(False, "draw the paper's digitized Fig. 5 curves (epochs 12-60) dashed over ours")


def main(argv=None):
    config = cfg.parse(Fig5Config, argv, __doc__)
    run, data = midi.train(config)
    if not mpi.is_root():  # under MPI only rank 0 writes the results
        return
    stem = config.stem("fig5_midi_loss", midi.data_tag(config))
    mark = PAPER_PLOTTED_EPOCHS if len(run.history) >= PAPER_PLOTTED_EPOCHS[1] else None
    curves.loss_and_kl(run.history, stem + ".png", "Fig. 5 - MIDI VAE (%s/%s, alpha %s): %s" % (
        config.encoder, config.decoder, config.alpha_label(), midi.label(run, data)), mark,
        paper="fig5" if config.paper else None)
    files.write_json(stem + ".json", {
        "figure": "Fig. 5", "data": data.source, "data_description": midi.describe(data),
        "classes": data.classes, "songs": data.songs, "conversion_report": data.report,
        "run": run.info, "summary": runs.summary(run.history), "history": run.history})
    print("wrote %s.png and %s.json" % (stem, stem))
    report.refresh(config.out)  # results/index.html follows the new results


if __name__ == "__main__":
    cfg.main_guard(main)
