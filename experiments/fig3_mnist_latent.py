"""Fig. 3: the test set's latent codes (posterior means) coloured by digit, with a colour bar.

    python experiments/fig3_mnist_latent.py   # reuses Fig. 4's model (trains it if missing)
"""

import numpy as np

from fig4_mnist_loss import MnistConfig, train_mnist

import chainer_vae  # noqa: F401
from chainer_vae import config as cfg
from chainer_vae import io, plotting
from chainer_vae.training import encode


def main(argv=None):
    config = cfg.parse(MnistConfig, argv)
    run, data = train_mnist(config)
    mu = encode(run.model, data.test_x)
    stem = config.stem("fig3_mnist_latent")
    plotting.latent_scatter(mu, data.test_y, stem + ".png", "Fig. 3 - test-set latent means after %d epochs: %s"
                            % (len(run.history), data.description))
    centroids = {int(d): mu[data.test_y == d].mean(axis=0).round(3).tolist() for d in np.unique(data.test_y)}
    io.write_json(stem + ".json", {
        "figure": "Fig. 3", "data": data.source, "data_description": data.description,
        "run_dir": run.run_dir, "epochs": len(run.history),
        "mu_mean": mu.mean(axis=0).tolist(), "mu_std": mu.std(axis=0).tolist(),
        "class_centroids": centroids})
    print("wrote %s.png and %s.json" % (stem, stem))


if __name__ == "__main__":
    cfg.main_guard(main)
