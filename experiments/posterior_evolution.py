"""The posterior's evolution during training (the paper's Sec. 3): "this can be plotted during the
training, to see how the posterior adapts from being close to the prior ... to differentiate
specific classes".

Reads the test set's latent codes that a 2-D MNIST run keeps after every epoch (Fig. 4's run;
trained here if missing) and writes <out>/mnist_posterior_evolution.png (the codes under the
initial weights and after epochs 1, 2, 5, 10, 20 and the last), .gif (every epoch, animated, as
the authors did) and .json (per epoch: the codes' spread, the between- over within-class scatter,
and how many codes lie nearer their own class's mean than any other).  A run finished before
runs kept their codes has none: --retrain trains it again and keeps them.
"""

from chainer_vae.figures import grids
from chainer_vae.evaluation import posterior as codes
from chainer_vae import files
from chainer_vae.train import runs
from chainer_vae.cli import flags as cfg
from chainer_vae.errors import ConfigError, UserError
from chainer_vae.cli import mnist
from chainer_vae.model.apply import encode
from chainer_vae.train import shipped

PANELS = (0, 1, 2, 5, 10, 20)


def main(argv=None):
    config = cfg.parse(mnist.MnistConfig, argv, __doc__)
    if config.n_latent != 2:
        raise ConfigError("--n-latent %d: the posterior's evolution is drawn in a 2-D latent space" % config.n_latent)
    run, data = mnist.train(config, stand_in=shipped.find)
    kept = codes.load(run.run_dir)
    if len(kept) < len(run.history):
        raise UserError("run %s kept the test codes of %d of its %d epochs (it was trained before runs kept "
                        "them); rerun with --retrain to train it again and keep them"
                        % (run.run_dir, len(kept), len(run.history)))
    kept[0] = encode(runs.build_model(config), data.test_x)  # the initial weights (the seed's)
    epochs = sorted(e for e in set(PANELS) | {len(run.history)} if e in kept)
    stem = config.stem("mnist_posterior_evolution", data.tag)
    grids.latent_panels(kept, data.test_y, epochs, stem + ".png",
                          "test-set latent codes (posterior means) during training: %s" % mnist.label(run, data))
    grids.latent_gif(kept, data.test_y, stem + ".gif")
    per_epoch = [dict(epoch=e, **codes.separation(kept[e], data.test_y)) for e in sorted(kept)]
    files.write_json(stem + ".json", {
        "title": "Posterior evolution (Sec. 3)", "data_description": data.description,
        "run_id": run.info["run_id"], "data_fingerprint": run.info["data_fingerprint"],
        "epochs": len(run.history), "panels": epochs, "per_epoch": per_epoch,
        "test_kl": {str(row["epoch"]): row["test"]["kl_penalty"] for row in run.history}})
    print("wrote %s.png, .gif and .json" % stem)


if __name__ == "__main__":
    cfg.main_guard(main)
