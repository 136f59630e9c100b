"""Test log-likelihood of a trained MNIST VAE by importance sampling (Burda et al. 2015):
log p(x) ~= log (1/k) sum_i p(x, z_i) / q(z_i | x) with k = 5,000 samples z_i ~ q(z | x) per image.

Scores the model of the given flags (the paper's 2-D MLP by default; --encoder/--decoder,
--n-latent, --binarize dynamic pick others, training them once if missing) on two versions of
the test images: the grey pixels the paper uses (under a Bernoulli decoder a soft-target score,
not a log-probability) and the test set binarized once with a fixed seed (a log-probability,
comparable with the literature's dynamically binarized MNIST).  Writes
<out>/mnist_loglik_<encoder>-<decoder>_z<n>[_dynbin][_<tag>].json (mean and standard error over the test
images of the estimate and of the k-sample ELBO, the estimate at k = 1, 10, 100, 1000, 5000, and
the seconds it took) and .png (the estimate against k).  With --image-dir DIR: your own images'
test set (every channel value a Bernoulli, README: Your own images), mnist_loglik_*_<folder>.*.
"""
import dataclasses
import time

import numpy as np

from chainer_vae.figures import curves
from chainer_vae.data import binarize
from chainer_vae import files
from chainer_vae.evaluation import likelihood
from chainer_vae.train import runs
from chainer_vae.cli import flags as cfg
from chainer_vae.cli.flags import at_least_one, non_negative, option, seed_range
from chainer_vae.progress import Progress
from chainer_vae.cli import mnist
from chainer_vae.train import shipped


@dataclasses.dataclass(frozen=True)
class LoglikConfig(mnist.MnistConfig):
    iw_samples: int = option(5000, "importance samples per test image (the literature's 5,000)", at_least_one)
    per_class_eval: int = option(100, "score the first N test images of each digit; 0: all of them "
                                    "(k = 5,000 costs a fraction of a second an image on one CPU core; REPRODUCE.md's "
                                    "table has the times per network)", non_negative)
    iw_seed: int = option(0, "seed of the importance samples", seed_range)

    def smoke_config(self):
        return dataclasses.replace(super().smoke_config(), iw_samples=20, per_class_eval=2)


def main(argv=None):
    config = cfg.parse(LoglikConfig, argv, __doc__)
    run, data = mnist.train(config, stand_in=shipped.find)
    rows = np.concatenate([np.flatnonzero(data.test_y == d)[:config.per_class_eval or None]
                           for d in np.unique(data.test_y)])
    functions = likelihood.model_functions(run.model)
    bar = Progress(config.progress)
    scores, panels = {}, {}
    for name, x in (("grey", data.test_x[rows]), ("binarized", binarize.fixed(data.test_x)[rows])):
        started = time.perf_counter()
        est = likelihood.estimate(*functions, x, k=config.iw_samples, seed=config.iw_seed,
                                  progress=lambda j: bar.bar("%s: log p(x)" % name, j, len(x), started))
        scores[name] = {"log_px": likelihood.summarize(est["log_px"]), "elbo": likelihood.summarize(est["elbo"]),
                        "by_k": {str(m): float(v.mean()) for m, v in est["by_k"].items()},
                        "seconds": est["seconds"], "seconds_per_image": est["seconds"] / len(x)}
        bar.line("%s: log p(x) %.2f +- %.2f (ELBO %.2f), %d images, %.0f s" % (
            name, scores[name]["log_px"]["mean"], scores[name]["log_px"]["sem"], scores[name]["elbo"]["mean"],
            len(x), est["seconds"]))
        legend = {"grey": "grey pixels (a score, not log p(x))", "binarized": "binarized test set: log p(x)"}[name]
        panels[legend] = ([int(m) for m in est["by_k"]], [float(v.mean()) for v in est["by_k"].values()])
    model = "%s-%s_z%d" % (config.encoder, config.decoder, config.n_latent)
    stem = config.stem("mnist_loglik_" + model, data.tag)
    subset = ("all %d test images" % len(rows) if not config.per_class_eval or len(rows) == len(data.test_x)
              else "the first %d test images of each digit (%d images)" % (config.per_class_eval, len(rows)))
    curves.panels([("mean estimate of log p(x) over %s" % subset, panels)], stem + ".png",
                   "importance-sampled log p(x) against the number of samples k: %s, trained on %s, %d epochs; %s"
                   % (model, "grey pixels" if config.binarize == "none" else "dynamically binarized digits",
                      len(run.history), mnist.label(run, data)), "samples k", "nats", logx=True)
    files.write_json(stem + ".json", {
        "title": "Test log-likelihood (importance sampling, k = %d): %s" % (config.iw_samples, model),
        "data_description": data.description, "run_id": run.info["run_id"],
        "data_fingerprint": run.info["data_fingerprint"], "model": model, "encoder": config.encoder,
        "decoder": config.decoder, "n_latent": config.n_latent, "trained_on": config.binarize,
        "epochs": len(run.history), "k": config.iw_samples, "iw_seed": config.iw_seed,
        "test_images": subset, "n_images": int(len(rows)), "binarization_seed": binarize.TEST_SEED,
        "machine": runs.machine(), "device": config.device,
        "last_epoch_test_loss": run.history[-1]["test"]["loss"], "scores": scores, **mnist.provenance(data)})
    print("wrote %s.png and %s.json" % (stem, stem))


if __name__ == "__main__":
    cfg.main_guard(main)
