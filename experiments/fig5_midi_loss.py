"""Fig. 5: train and test loss (left) and KL divergence (right) of the paper's MIDI VAE per epoch.

A MIDI folder's sub-folders are the classes ("genres"); each song gives 200 windows of 100
sixteenth-note steps.  Trains the model once (or reuses the finished run for the same settings
and data, in <out>/runs/) and writes <out>/fig5_midi_loss_<folder name>.png and .json (curves,
songs, the per-file conversion report, data fingerprint; machine and times in <out>/records/); without --midi-dir the data are
Bach works from music21's corpus and the files are <out>/fig5_midi_loss.*.  generate_music.py
reuses the model.

    python experiments/fig5_midi_loss.py --midi-dir ../shared/data/midi/bach_lute   # the paper's data
    python experiments/fig5_midi_loss.py --lr-schedule '' --alpha 1e-5 --tag alpha1e-5   # the committed script

--preset melody trains another model, not the paper's (REPRODUCE.md, departures row 17): the
autoregressive LSTM decoder its music was measured best with; add --tag melody to keep its files
beside the paper model's.

--paper also writes <stem>_paper.png: ours with the paper's digitized curves (results/paper_curves.json,
epochs 12-60) dashed over them.
"""
import dataclasses

from chainer_vae.figures import curves
from chainer_vae.cli import flags as cfg
from chainer_vae import parallel
from chainer_vae import outputs
from chainer_vae.train import runs
from chainer_vae.cli import midi
from chainer_vae.cli.flags import option

# The paper's Fig. 5 shows only these epochs: the authors' VAE_midi.py plots loss_train[11:60].
PAPER_PLOTTED_EPOCHS = (12, 60)


@dataclasses.dataclass(frozen=True)
class Fig5Config(midi.MidiConfig):
    paper: bool = option(False, "also write <stem>_paper.png: ours with the paper's digitized Fig. 5 curves dashed")


def title(result):
    """The figure's title, from the result JSON alone (so a kept JSON draws the same figure)."""
    c, run = result["run"]["config"], result["run"]
    return "Fig. 5 - MIDI VAE (%s/%s, alpha %s): %s (data %s)" % (
        c["encoder"], c["decoder"], c.get("lr_schedule") or "%g" % c["alpha"],
        result["data_description"], run["data_fingerprint"])


def main(argv=None):
    config = cfg.parse(Fig5Config, argv, __doc__)
    run, data = midi.train(config)
    if not parallel.is_root():  # under MPI only rank 0 writes the results
        return
    stem = config.stem("fig5_midi_loss", midi.data_tag(config))
    info, record = outputs.split_run(run.info, run.history)
    history = outputs.history(run.history)  # the summary is of the numbers as stored
    result, kept = outputs.write_result(stem + ".json", {
        "figure": "Fig. 5", "data": data.source, "data_description": midi.describe(data),
        "classes": data.classes, "songs": data.songs, "conversion_report": data.report,
        "run": info, "summary": runs.summary(history), "history": history},
        record, rewrite=config.rewrite)
    mark = PAPER_PLOTTED_EPOCHS if len(result["history"]) >= PAPER_PLOTTED_EPOCHS[1] else None
    curves.loss_and_kl(result["history"], stem + ".png", title(result), mark)
    if config.paper:  # beside it, the same curves over the paper's (the results page shows both)
        curves.loss_and_kl(result["history"], stem + "_paper.png", title(result) + " - dashed: the paper's", mark,
                           paper="fig5")
    print("wrote %s.png%s and %s.json%s" % (stem, " and %s_paper.png" % stem if config.paper else "", stem,
                                          " (kept)" if kept else ""))


if __name__ == "__main__":
    cfg.main_guard(main)
