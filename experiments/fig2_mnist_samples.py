"""Fig. 2: the 15x15 grid of decodes over the 2-D latent space, decodes of z ~ N(0, I), and one
reconstruction per digit.

Reuses Fig. 4's model for the same settings and data (trains it if missing) and writes
<out>/fig2_mnist_manifold.png, fig2_mnist_prior_samples.png, fig2_mnist_per_digit.png and
fig2_mnist_samples.json.  The grid's coordinates are the standard normal's quantiles
norm.ppf(linspace(0.05, 0.95, 15)), as in the original code, so equal prior mass gets equal room.
It also writes fig2_mnist_manifold_codes.png: the same 15x15 grid spread evenly over the range
the test codes occupy (their 0.5th to 99.5th percentile on each axis), where every digit's codes
are; a logistic-regression classifier names the digit of every decode of both grids (the JSON).
With --image-dir DIR: the same for a folder of your own images (grey or colour), written as
fig2_mnist_*_<folder>.png and fig2_mnist_samples_<folder>.json, "digit" read as "class".
A JSON there that this run reproduces within the tolerance is kept with its PNGs (--rewrite).
"""
import numpy as np

from chainer_vae.figures import grids
from chainer_vae.cli import flags as cfg
from chainer_vae.evaluation import judge
from chainer_vae import parallel
from chainer_vae import outputs
from chainer_vae.errors import ConfigError
from chainer_vae.cli import mnist
from chainer_vae.model.apply import decode, encode, reconstruction_nll
from chainer_vae.train import shipped

GRID = 15


def main(argv=None):
    config = cfg.parse(mnist.MnistConfig, argv, __doc__)
    if config.n_latent != 2:
        raise ConfigError("--n-latent %d: Fig. 2's manifold needs a 2-D latent space" % config.n_latent)
    run, data = mnist.train(config, stand_in=shipped.find)
    if not parallel.is_root():  # under MPI only rank 0 writes the results
        return
    label = "%d epochs, %s" % (len(run.history), mnist.label(run, data))
    stem = lambda name: config.stem(name, data.tag)  # noqa: E731
    shape, n_classes = mnist.image_shape(data), len(mnist.classes(data))

    # The manifold: rows go down in z[1] so the picture reads like a plot with y up.
    z, q = grids.latent_grid(GRID)
    # The same grid over where the test codes are: the faithful grid's +-1.645 misses digits
    # whose codes sit further out (REPRODUCE.md, Fig. 2).
    mu = encode(run.model, data.test_x)
    lo, hi = np.percentile(mu, 0.5, axis=0), np.percentile(mu, 99.5, axis=0)
    gx, gy = (np.linspace(lo[i], hi[i], GRID, dtype=np.float32) for i in (0, 1))
    z_codes = np.array([[zx, zy] for zy in gy[::-1] for zx in gx], dtype=np.float32)
    classifier = judge.cached(data.train_x, data.train_y, seed=config.seed)
    seen = lambda z: np.bincount(classifier.predict(decode(run.model, z)), minlength=n_classes).tolist()  # noqa: E731
    inside = np.all(np.abs(mu) <= q[-1], axis=1)
    rng = np.random.RandomState(config.seed)
    z_prior = rng.standard_normal((100, 2)).astype(np.float32)
    # One test example per digit and its reconstruction from mu. (The original indexed the test
    # set with digit*1600, out of range for 400 per class; we take each digit's first example.)
    firsts = [int(np.flatnonzero(data.test_y == d)[0]) for d in np.unique(data.test_y)]

    _, kept = outputs.write_result(stem("fig2_mnist_samples") + ".json", {
        "figure": "Fig. 2", "data": data.source, "data_description": data.description,
        "data_fingerprint": run.info["data_fingerprint"], "run_id": run.info["run_id"],
        "epochs": len(run.history), "grid_quantiles": q.tolist(), "per_digit_test_indices": firsts,
        "codes_grid": {"z0": [float(lo[0]), float(hi[0])], "z1": [float(lo[1]), float(hi[1])],
                       "percentiles": [0.5, 99.5]},
        "classifier_test_accuracy": float(np.mean(classifier.predict(data.test_x) == data.test_y)),
        "decodes_per_digit": {"faithful_grid": seen(z), "codes_grid": seen(z_codes)},
        "test_codes_inside_faithful_grid_per_digit": [
            float(inside[data.test_y == d].mean()) for d in np.unique(data.test_y)],
        "per_digit_reconstruction_bernoulli_nll": [
            float(v) for v in reconstruction_nll(run.model, data.test_x[firsts])], **mnist.provenance(data)},
        rewrite=config.rewrite)

    pngs = {name: stem(name) + ".png" for name in ("fig2_mnist_manifold", "fig2_mnist_manifold_codes",
                                                  "fig2_mnist_prior_samples", "fig2_mnist_per_digit")}
    draw = set(outputs.to_draw(kept, *pngs.values()))
    if pngs["fig2_mnist_manifold"] in draw:
        grids.image_grid(decode(run.model, z), GRID, GRID, pngs["fig2_mnist_manifold"],
                         "Fig. 2 - decodes over norm.ppf(linspace(0.05, 0.95, 15))^2: " + label, shape=shape)
    if pngs["fig2_mnist_manifold_codes"] in draw:
        grids.image_grid(decode(run.model, z_codes), GRID, GRID, pngs["fig2_mnist_manifold_codes"],
                         "decodes over the test codes' range z[0] in [%.2f, %.2f], z[1] in [%.2f, %.2f]: %s"
                         % (lo[0], hi[0], lo[1], hi[1], label), shape=shape)
    if pngs["fig2_mnist_prior_samples"] in draw:
        grids.image_grid(decode(run.model, z_prior), 10, 10, pngs["fig2_mnist_prior_samples"],
                         "decodes of z ~ N(0, I): " + label, shape=shape)
    if pngs["fig2_mnist_per_digit"] in draw:
        recon = decode(run.model, encode(run.model, data.test_x[firsts]))
        grids.image_grid(np.concatenate([data.test_x[firsts], recon]), 2, len(firsts), pngs["fig2_mnist_per_digit"],
                         "top: first test image of each %s; bottom: decoded from its mu"
                         % ("class" if config.image_dir else "digit"), shape=shape)
    print("wrote %s.json and its four PNGs%s" % (stem("fig2_mnist_samples"), " (kept)" if kept else ""))


if __name__ == "__main__":
    cfg.main_guard(main)
