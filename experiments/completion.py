"""The completion "illusion" (the paper's Sec. 4): the VAE is fed test digits with a part removed
and still outputs a whole digit.  Measured here, not only shown.

For each mask (left/right/top/bottom half, a centred 14x14 square, half the pixels at random;
hidden pixels set to 0), every test image is encoded with the part removed and decoded from its
posterior mean.  Writes <out>/mnist_completion.png (per mask: the damaged input, its
reconstruction and the original, for the first test image of each digit) and
mnist_completion.json: per mask, the squared error on the hidden pixels of the reconstruction and
of a baseline that fills them from the mean training image, and the fraction of images a
logistic-regression classifier (trained on the training images) labels correctly from the
original, the damaged input and the reconstruction.  Reuses Fig. 4's model (any --n-latent).
With --image-dir DIR: the same on your own images (halves and a centred square of half the
side; a hidden pixel hides all its channels), mnist_completion_<folder>.*.
"""
import dataclasses

import numpy as np

from chainer_vae.figures import grids
from chainer_vae.evaluation import corrupt, judge
from chainer_vae import files
from chainer_vae.cli import flags as cfg
from chainer_vae.cli.flags import option, seed_range
from chainer_vae.cli import mnist
from chainer_vae.model.apply import decode, encode
from chainer_vae.train import shipped


@dataclasses.dataclass(frozen=True)
class CompletionConfig(mnist.MnistConfig):
    mask_seed: int = option(0, "seed of the random-pixel mask", seed_range)


def main(argv=None):
    config = cfg.parse(CompletionConfig, argv, __doc__)
    run, data = mnist.train(config, stand_in=shipped.find)
    x, y = mnist.host_rows(data.test_x), data.test_y
    side, _, channels = shape = mnist.image_shape(data)
    classifier = judge.cached(data.train_x, data.train_y, seed=config.seed)
    mean_image = mnist.host_rows(data.train_x, mnist.FIT_ROWS, config.seed).mean(axis=0)
    reconstruct = lambda a: decode(run.model, encode(run.model, a))  # noqa: E731
    full = reconstruct(x)
    firsts = np.array([np.flatnonzero(y == d)[0] for d in np.unique(y)])
    rows, labels, results = [], [], {}
    for kind in corrupt.MASKS:
        hidden = corrupt.mask(kind, len(x), seed=config.mask_seed, side=side, square=side // 2)
        if channels > 1:  # a hidden pixel hides its every channel (rows are channel-last)
            hidden = np.repeat(hidden, channels, axis=1)
        damaged = corrupt.hide(x, hidden)
        recon = reconstruct(damaged)
        err = {"vae": corrupt.mse(recon, x, hidden), "mean_image": corrupt.mse(np.broadcast_to(mean_image, x.shape), x, hidden),
               "vae_from_whole_image": corrupt.mse(full, x, hidden)}
        results[kind] = {
            "hidden_fraction": float(hidden.mean()),
            "hidden_mse": {k: float(v.mean()) for k, v in err.items()},
            "vae_beats_mean_image": float(np.mean(err["vae"] < err["mean_image"])),
            "accuracy": {name: float(np.mean(classifier.predict(a) == y))
                         for name, a in (("original", x), ("damaged", damaged), ("reconstruction", recon),
                                         ("reconstruction_of_whole_image", full))}}
        rows += [damaged[firsts], recon[firsts], x[firsts]]
        labels += ["%s: input" % kind, "reconstruction", "original"]
    stem = config.stem("mnist_completion", data.tag)
    grids.labelled_rows(rows, labels, stem + ".png", "completion: damaged test digit, the VAE's reconstruction, "
                          "the original; %d epochs, latent %d: %s" % (len(run.history), config.n_latent, mnist.label(run, data)),
                        shape=shape)
    files.write_json(stem + ".json", {
        "title": "Completion illusion (Sec. 4)", "data_description": data.description,
        "run_id": run.info["run_id"], "data_fingerprint": run.info["data_fingerprint"],
        "n_latent": config.n_latent, "epochs": len(run.history), "n_test": int(len(x)),
        "masks": results, **mnist.provenance(data)})
    print("wrote %s.png and %s.json" % (stem, stem))


if __name__ == "__main__":
    cfg.main_guard(main)
