"""KL annealing (the paper's Sec. 3 and its ref. [6], Bowman et al.): the KL term's weight rising
linearly from 0 to 1 over the first --anneal-epochs epochs, against the plain ELBO, on MNIST and
on MIDI, everything else as in Figs. 4 and 5.

The runs without annealing are Figs. 4 and 5's (reused when trained); each annealed run is an
ordinary run with --anneal-epochs, so one can be rerun alone (e.g. `python
experiments/fig4_mnist_loss.py --anneal-epochs 10 --tag anneal10`).  Writes <out>/kl_anneal.png
(Fig. 4-style curves of both runs per data set: the negative ELBO at KL weight 1, which the
annealed run's logged loss is not while its weight is below 1, and the KL) and kl_anneal.json
(each run's last epoch: loss, reconstruction and KL, train and test, and the differences the
anneal makes).  One seed per run: the differences have no spread.
"""
import dataclasses

from chainer_vae.figures import curves
from chainer_vae.cli import flags as cfg
from chainer_vae import files
from chainer_vae.cli.flags import at_least_one, option, seed_range
from chainer_vae.cli import midi, mnist


@dataclasses.dataclass(frozen=True)
class AnnealConfig(cfg.RunConfig, midi.MidiFolder):
    """Train each data set with and without KL annealing and compare."""
    seed: int = option(0, "training seed of every run", seed_range)
    data: str = option("mnist,midi", "which data sets: mnist, midi or mnist,midi",
                     choices=("mnist", "midi", "mnist,midi", "midi,mnist"))
    anneal_epochs: int = option(10, "epochs over which the KL weight rises from 0 to 1", at_least_one)
    epochs: int = option(60, "epochs of every run (Figs. 4 and 5: 60)", at_least_one)
    paper: bool = option(False, "draw the paper's digitized Fig. 4 / Fig. 5 curves (dashed) beside the runs "
                         "(Fig. 5's: the lute data, epochs 12-60)")

    def smoke_config(self):
        return dataclasses.replace(self, epochs=2, anneal_epochs=1, smoke=True)


def run_pair(config, data):
    common = dict(device=config.device, seed=config.seed, out=config.out, progress=config.progress,
                  resume=config.resume, retrain=config.retrain, epochs=config.epochs)
    recipe, cls = (mnist, mnist.MnistConfig) if data == "mnist" else (midi, midi.MidiConfig)
    base = cls().smoke_config() if config.smoke else cls()
    if data == "midi":
        common.update(config.midi_folder())
    out = {}
    for name, anneal in (("no anneal", 0), ("anneal %d" % config.anneal_epochs, config.anneal_epochs)):
        run, d = recipe.train(dataclasses.replace(base, anneal_epochs=anneal, **common))
        last = run.history[-1]
        out[name] = {"anneal_epochs": anneal, "run_id": run.info["run_id"], "history": run.history,
                     "data_description": recipe.label(run, d),
                     "final": {s: last[s] for s in ("train", "test")}, "beta_last_epoch": last["beta"]}
    return out


def main(argv=None):
    config = cfg.parse(AnnealConfig, argv, __doc__)
    datasets = config.data.split(",")
    results = {d: run_pair(config, d) for d in datasets}
    panels = []
    # The logged loss weighs the KL by beta (< 1 while annealing), which would flatter the annealed
    # run early on; both runs are plotted at beta = 1 (reconstruction + KL, eq. 6).  The KL panel
    # starts at epoch 2: with beta near 0 the annealed run's first KL is off the scale.
    terms = (("-ELBO at beta = 1 (reconstruction + KL)", 1, lambda s: s["reconstr"] + s["kl_penalty"]),
             ("KL, from epoch 2", 2, lambda s: s["kl_penalty"]))
    for d, pair in results.items():
        for label, first, value in terms:
            series = {}
            for name, r in pair.items():
                rows = [row for row in r["history"] if row["epoch"] >= first]
                for split in ("train", "test"):
                    series["%s, %s" % (name, split)] = ([row["epoch"] for row in rows], [value(row[split]) for row in rows])
            if config.paper:  # the paper's loss is the -ELBO at beta = 1
                from chainer_vae.figures.paper import LABELS, load_paper_curves
                record = load_paper_curves()["fig4" if d == "mnist" else "fig5"]
                for curve in (("train_loss", "test_loss") if first == 1 else ("train_kl", "test_kl")):
                    series["paper " + LABELS[curve]] = (record["epochs"], record[curve])
            panels.append(("%s: %s (nats / example)" % (d.upper(), label), series))
    stem = config.stem("kl_anneal")
    curves.panels(panels, stem + ".png", "KL annealing (linear over %d epochs) vs none; %s"
                   % (config.anneal_epochs, "; ".join(next(iter(p.values()))["data_description"] for p in results.values())),
                   "epoch")
    summary = {}
    for d, pair in results.items():
        (_, plain), (_, annealed) = pair.items()
        summary[d] = {"test_%s_change" % t: annealed["final"]["test"][t] - plain["final"]["test"][t]
                      for t in ("loss", "reconstr", "kl_penalty")}
        for r in pair.values():
            del r["history"]
    files.write_json(stem + ".json", {"title": "KL annealing (Sec. 3, ref. [6])", "anneal_epochs": config.anneal_epochs,
                                   "epochs": config.epochs, "runs": results, "change_with_anneal": summary})
    print("wrote %s.png and %s.json" % (stem, stem))


if __name__ == "__main__":
    cfg.main_guard(main)
