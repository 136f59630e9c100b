"""Interpolation and class generation (the paper's Sec. 1): decodes along straight lines between
two test digits' latent codes, and each digit generated from its class's mean code.

The paper: a VAE "can generate a specific class of picture that has been encoded in a specific
position of the latent space".  Reuses Fig. 4's model (trains it if missing; any --n-latent
works) and writes <out>/mnist_interpolation.png (rows 0->1, 1->2, ..., 9->0: the first test
image of each digit, the decodes at evenly spaced points of the line between their codes, the
second image; last row: the decode of each class's mean training code) and
mnist_interpolation.json: the digit a logistic-regression classifier (trained on the training
images) sees at every step, and whether each class-mean decode is read as its own class.
With --image-dir DIR: between the classes (sub-folders) of your images, mnist_interpolation_<folder>.*.
"""
import dataclasses

import numpy as np

from chainer_vae.figures import grids
from chainer_vae.evaluation import judge
from chainer_vae import files
from chainer_vae.cli import flags as cfg
from chainer_vae.cli.flags import option
from chainer_vae.cli import mnist
from chainer_vae.model.apply import decode, encode
from chainer_vae.train import shipped


@dataclasses.dataclass(frozen=True)
class InterpolationConfig(mnist.MnistConfig):
    steps: int = option(10, "decodes along each line, its two ends included", lambda v: None if v >= 2 else "must be at least 2")


def main(argv=None):
    config = cfg.parse(InterpolationConfig, argv, __doc__)
    run, data = mnist.train(config, stand_in=shipped.find)
    classifier = judge.cached(data.train_x, data.train_y, seed=config.seed)
    digits = np.unique(data.test_y)
    firsts = np.array([np.flatnonzero(data.test_y == d)[0] for d in digits])
    z_first = encode(run.model, data.test_x[firsts])
    t = np.linspace(0, 1, config.steps, dtype=np.float32)[:, None]
    rows, labels, lines = [], [], []
    for i, d in enumerate(digits):
        j = (i + 1) % len(digits)
        z = (1 - t) * z_first[i] + t * z_first[j]
        images = decode(run.model, z)
        seen = classifier.predict(images)
        rows.append(np.concatenate([data.test_x[firsts[i]][None], images, data.test_x[firsts[j]][None]]))
        labels.append("%d -> %d" % (d, digits[j]))
        lines.append({"from": int(d), "to": int(digits[j]), "classified": seen.tolist(),
                      "digits_seen": sorted(set(seen.tolist())),
                      "ends_correct": bool(seen[0] == d and seen[-1] == digits[j])})
    z_train = encode(run.model, data.train_x)
    means = np.stack([z_train[data.train_y == d].mean(axis=0) for d in digits]).astype(np.float32)
    generated = decode(run.model, means)
    generated_seen = classifier.predict(generated)
    pad = np.zeros((len(rows[0]) - len(generated), generated.shape[1]), dtype=np.float32)
    rows.append(np.concatenate([generated, pad]))
    labels.append("class means")
    stem = config.stem("mnist_interpolation", data.tag)
    title = ("straight lines between test digits' codes (ends: the test images), last row: decodes of each "
             "class's mean code; %d epochs, latent %d: %s" % (len(run.history), config.n_latent, mnist.label(run, data)))
    grids.labelled_rows(rows, labels, stem + ".png", title, shape=mnist.image_shape(data))
    files.write_json(stem + ".json", {
        "title": "Interpolation and class generation (Sec. 1)", "data_description": data.description,
        "run_id": run.info["run_id"], "data_fingerprint": run.info["data_fingerprint"],
        "n_latent": config.n_latent, "epochs": len(run.history), "steps": config.steps,
        "classifier_test_accuracy": float(np.mean(classifier.predict(data.test_x) == data.test_y)),
        "lines": lines, "lines_with_both_ends_correct": int(sum(line["ends_correct"] for line in lines)),
        "class_mean_codes": means.tolist(), "class_mean_classified": generated_seen.tolist(),
        "class_means_correct": int(np.sum(generated_seen == digits)), "classes": int(len(digits)),
        **mnist.provenance(data, classes_key="class_names")})
    print("wrote %s.png and %s.json" % (stem, stem))


if __name__ == "__main__":
    cfg.main_guard(main)
