"""Fig. 4: train and test loss (left) and KL divergence (right) of the paper's MNIST VAE per epoch.

Trains the paper's model once (or reuses the finished run for the same settings and data, in
<out>/runs/; never the shipped models/, since this figure is the training) and writes
<out>/fig4_mnist_loss.png and .json (the curves, the run's settings and data fingerprint) and
<out>/records/fig4_mnist_loss.json (machine, versions, times).  A JSON already there for the same
run that this run reproduces within the tolerance is kept (--rewrite replaces it).  Runs on the
shipped fallback digits (chainer_vae/data/mnist_5k.npz) write fig4_mnist_loss_mlxtend5k.* instead,
beside the real-MNIST figure.  Figs. 2 and 3 reuse the model.
With --image-dir DIR (your own images, README: Your own images) it trains on that folder and
writes fig4_mnist_loss_<folder>.* (and, for a 2-D MLP, the results page's explorer of it,
explorer/data_<folder>.js); --from-run DIR draws a run trained elsewhere.

    python experiments/fig4_mnist_loss.py                 # the paper's setup
    python experiments/fig4_mnist_loss.py --alpha 5e-5 --tag alpha5e-5   # the committed script's rate
    python experiments/fig4_mnist_loss.py --image-dir my_photos --channels 3  # your own images

--paper also writes <stem>_paper.png: ours with the paper's digitized curves (results/paper_curves.json,
epochs 1-60) dashed over them.
"""
import dataclasses

from chainer_vae.figures import curves
from chainer_vae.cli import flags as cfg
from chainer_vae import parallel
from chainer_vae import outputs
from chainer_vae.train import runs
from chainer_vae.cli import mnist
from chainer_vae.cli.flags import option


@dataclasses.dataclass(frozen=True)
class Fig4Config(mnist.MnistConfig):
    paper: bool = option(False, "also write <stem>_paper.png: ours with the paper's digitized Fig. 4 curves dashed")


def title(result, kind="MNIST"):
    """The figure's title, from the result JSON alone (so a kept JSON draws the same figure)."""
    c, run = result["run"]["config"], result["run"]
    return "Fig. 4 - %s VAE (%s/%s, latent %d, alpha %s): %s (data %s)" % (
        kind, c["encoder"], c["decoder"], c["n_latent"], c.get("lr_schedule") or "%g" % c["alpha"],
        result["data_description"], run["data_fingerprint"])


def main(argv=None):
    config = cfg.parse(Fig4Config, argv, __doc__)
    run, data = mnist.train(config)  # no stand-in: Fig. 4 is the training, never a shipped model
    if not parallel.is_root():  # under MPI only rank 0 writes the results
        return
    stem = config.stem("fig4_mnist_loss", data.tag)
    info, record = outputs.split_run(run.info, run.history)
    history = outputs.history(run.history)  # the summary is of the numbers as stored
    result, kept = outputs.write_result(stem + ".json", {
        "figure": "Fig. 4", "data": data.source, "data_description": data.description,
        "run": info, "summary": runs.summary(history), "history": history, **mnist.provenance(data)},
        record, rewrite=config.rewrite)
    # Drawn from the JSON as written (or kept): equal numbers give a byte-identical PNG.
    heading = title(result, "image-folder" if config.image_dir else "MNIST")
    curves.loss_and_kl(result["history"], stem + ".png", heading)
    if config.paper:  # beside it, the same curves over the paper's (the results page shows both)
        curves.loss_and_kl(result["history"], stem + "_paper.png", heading + " - dashed: the paper's", paper="fig4")
    print("wrote %s.png%s and %s.json%s" % (stem, " and %s_paper.png" % stem if config.paper else "", stem,
                                          " (kept)" if kept else ""))
    mnist.own_explorer(config, run, data)


if __name__ == "__main__":
    cfg.main_guard(main)
