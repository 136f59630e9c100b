"""Fig. 3: the test set's latent codes (posterior means) in the 2-D latent space, coloured by digit.

Reuses Fig. 4's model for the same settings and data (trains it if missing) and writes
<out>/fig3_mnist_latent.png and .json (per-digit centroids, the codes' mean and spread); with
--image-dir DIR, fig3_mnist_latent_<folder>.* coloured by class (the sub-folders).
A JSON there that this run reproduces within the tolerance is kept with its figure (--rewrite
replaces them).
"""
import numpy as np

from chainer_vae.figures import grids
from chainer_vae.cli import flags as cfg
from chainer_vae import parallel
from chainer_vae import outputs
from chainer_vae.cli import mnist
from chainer_vae.model.apply import encode
from chainer_vae.train import shipped


def main(argv=None):
    config = cfg.parse(mnist.MnistConfig, argv, __doc__)
    run, data = mnist.train(config, stand_in=shipped.find)
    if not parallel.is_root():  # under MPI only rank 0 writes the results
        return
    mu = encode(run.model, data.test_x)
    stem = config.stem("fig3_mnist_latent", data.tag)
    centroids = {int(d): mu[data.test_y == d].mean(axis=0).round(3).tolist() for d in np.unique(data.test_y)}
    _, kept = outputs.write_result(stem + ".json", {
        "figure": "Fig. 3", "data": data.source, "data_description": data.description,
        "data_fingerprint": run.info["data_fingerprint"], "run_id": run.info["run_id"],
        "epochs": len(run.history), "mu_mean": mu.mean(axis=0).tolist(), "mu_std": mu.std(axis=0).tolist(),
        "class_centroids": centroids, **mnist.provenance(data)}, rewrite=config.rewrite)
    for png in outputs.to_draw(kept, stem + ".png"):
        grids.latent_scatter(mu, data.test_y, png, "Fig. 3 - test-set latent means after %d epochs: %s"
                             % (len(run.history), mnist.label(run, data)),
                             classes=mnist.classes(data) if config.image_dir else None)
    print("wrote %s.png and %s.json%s" % (stem, stem, " (kept)" if kept else ""))
    mnist.own_explorer(config, run, data, mu)


if __name__ == "__main__":
    cfg.main_guard(main)
