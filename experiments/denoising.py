"""Denoising (the paper's Sec. 1) and the comparison with PCA (Sec. 4): test digits with Gaussian
or salt-and-pepper noise, reconstructed by the VAE (decoded from the posterior mean) and by a PCA
with as many components as the VAE has latent dimensions (fitted on the clean training images).

The paper argues a VAE beats PCA because its maps are not linear; this measures whether it does, and by how much.
Writes <out>/mnist_denoising_z<n>.png (PSNR against the clean image per noise level) and .json
(MSE and PSNR of the noisy input, the VAE's and the PCA's reconstructions, per level, on every
test image).  Reuses Fig. 4's model; --n-latent 20 trains (once) a 20-D model to compare at 20.
With --image-dir DIR: on your own images (noise on every channel value; the PCA fitted on at most
20,000 training images), mnist_denoising_z<n>_<folder>.*.
"""
import dataclasses

import numpy as np

from chainer_vae.figures import curves
from chainer_vae.evaluation import corrupt
from chainer_vae import files
from chainer_vae.cli import flags as cfg
from chainer_vae.cli.flags import option, seed_range
from chainer_vae.evaluation.pca import PCA
from chainer_vae.cli import mnist
from chainer_vae.model.apply import decode, encode
from chainer_vae.train import shipped


def _levels_problem(text):
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        return "expected comma-separated numbers, e.g. 0.1,0.25,0.5"
    return None if values and all(0 <= v <= 1 for v in values) else "every level must be in [0, 1]"


@dataclasses.dataclass(frozen=True)
class DenoisingConfig(mnist.MnistConfig):
    gaussian: str = option("0,0.1,0.25,0.5", "standard deviations of the added Gaussian noise (pixels clipped to [0, 1])",
                         _levels_problem)
    salt_pepper: str = option("0,0.1,0.25,0.5", "fractions of pixels set to 0 or 1 at random", _levels_problem)
    noise_seed: int = option(0, "seed of the noise", seed_range)


def main(argv=None):
    config = cfg.parse(DenoisingConfig, argv, __doc__)
    run, data = mnist.train(config, stand_in=shipped.find)
    x = mnist.host_rows(data.test_x)
    fit_rows = mnist.host_rows(data.train_x, mnist.FIT_ROWS, config.seed)
    pca = PCA(fit_rows, config.n_latent)
    methods = {"noisy input": lambda a: a, "VAE": lambda a: decode(run.model, encode(run.model, a)),
               "PCA": lambda a: np.clip(pca.reconstruct(a), 0, 1)}
    results, panels = {}, []
    for kind, noise, text in (("gaussian", corrupt.gaussian, config.gaussian),
                              ("salt_pepper", corrupt.salt_and_pepper, config.salt_pepper)):
        levels = [float(v) for v in text.split(",")]
        rows = []
        for level in levels:
            noisy = noise(x, level, seed=config.noise_seed) if level > 0 else x
            row = {"level": level}
            for name, method in methods.items():
                out = method(noisy)
                exact = name == "noisy input" and level == 0  # the clean image itself: no finite PSNR
                row[name] = {"mse": float(corrupt.mse(out, x).mean()),
                             "psnr_db": None if exact else float(corrupt.psnr(out, x).mean())}
            rows.append(row)
        results[kind] = rows
        panels.append(("%s noise" % kind.replace("_", "-"),
                       {name: (levels, [np.nan if r[name]["psnr_db"] is None else r[name]["psnr_db"] for r in rows])
                        for name in methods}))
    stem = config.stem("mnist_denoising_z%d" % config.n_latent, data.tag)
    curves.panels(panels, stem + ".png", "PSNR (dB, higher is better) against the clean test image: the VAE "
                   "(latent %d) vs a %d-component PCA; %s" % (config.n_latent, config.n_latent, mnist.label(run, data)),
                   "noise level", "PSNR (dB)")
    files.write_json(stem + ".json", {
        "title": "Denoising and PCA (Secs. 1 and 4), latent %d" % config.n_latent,
        "data_description": data.description, "run_id": run.info["run_id"],
        "data_fingerprint": run.info["data_fingerprint"], "n_latent": config.n_latent,
        "epochs": len(run.history), "n_test": int(len(x)), "pca_components": config.n_latent,
        "pca_explained_variance_fraction": float(pca.explained_variance.sum()
                                                 / fit_rows.var(axis=0, ddof=1).sum()),
        "noise": results, **mnist.provenance(data)})
    print("wrote %s.png and %s.json" % (stem, stem))


if __name__ == "__main__":
    cfg.main_guard(main)
