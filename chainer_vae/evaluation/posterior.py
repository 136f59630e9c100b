"""The test set's latent codes after every epoch: how the posterior moves away from the prior.

The paper (Sec. 3): "this can be plotted during the training, to see how the posterior adapts
from being close to the prior (a round gaussian distribution) to differentiate specific classes".
``keeper(x)`` is a training hook that saves the posterior means of x after each epoch as
``<run>/codes/epoch_NNN.npy`` (4,000 x 2 float32: 32 KB); ``load`` reads them back, and
``separation`` measures how class-structured a set of codes is.
"""
import contextlib
import glob
import io
import os
import tempfile

import chainer
import numpy as np

from chainer_vae import files
from chainer_vae.model.apply import encode
from chainer_vae.train import loop

FOLDER = "codes"


def path(run_dir, epoch):
    return os.path.join(run_dir, FOLDER, "epoch_%03d.npy" % epoch)


def keeper(x):
    """on_epoch hook for runs.fit: save the posterior means of x (host array) after each epoch."""
    def keep(epoch, model, run_dir):
        mu = encode(model, x).astype(np.float32)
        with files.atomic_path(path(run_dir, epoch)) as tmp:
            with open(tmp, "wb") as f:
                np.save(f, mu)
    return keep


def load(run_dir):
    """{epoch: codes} of every epoch a run kept (empty when it kept none)."""
    out = {}
    for p in sorted(glob.glob(os.path.join(run_dir, FOLDER, "epoch_*.npy"))):
        stem = os.path.splitext(os.path.basename(p))[0]        # epoch_007, epoch_1234
        out[int(stem.split("_", 1)[1])] = np.load(p)
    return out


def separation(z, labels):
    """How class-structured codes z (n, d) are.

    between_within: trace of the between-class scatter over the within-class scatter (0 when the
    classes sit on top of each other); spread: the codes' standard deviation per axis;
    nearest_centroid_accuracy: the fraction of codes nearer to their own class's mean than to
    any other class's mean.
    """
    z = np.asarray(z, dtype=np.float64)
    classes = np.unique(labels)
    centroids = np.stack([z[labels == c].mean(axis=0) for c in classes])
    grand = z.mean(axis=0)
    between = sum(np.sum(labels == c) * np.sum((m - grand) ** 2) for c, m in zip(classes, centroids))
    within = sum(np.sum((z[labels == c] - m) ** 2) for c, m in zip(classes, centroids))
    nearest = classes[np.argmin(((z[:, None, :] - centroids[None]) ** 2).sum(-1), axis=1)]
    return {"between_within": float(between / within), "spread": z.std(axis=0).tolist(),
            "nearest_centroid_accuracy": float(np.mean(nearest == labels))}


def evolve(model, train_x, test_x, epochs, batch_size=32, alpha=1e-3, weight_decay=5e-4, seed=0):
    """Train ``model`` (a VAELoss) on the CPU for a few epochs with the scripts' own loop
    (train/loop.py: Adam with the paper's rate and weight decay, shuffled minibatches, the
    objective's own forward and backward), in a throw-away run folder, keeping the posterior means
    of ``test_x`` after every epoch.  A seconds-long live run on a small subset (the walkthrough
    notebook).

    -> ({epoch: codes of test_x}, [mean training loss of each epoch]); epoch 0 holds the codes
    under the weights it starts from."""
    codes = {0: encode(model, test_x)}
    # quiet: the loop's epoch lines carry wall times, and the notebook's outputs must repeat exactly
    with tempfile.TemporaryDirectory() as run_dir, contextlib.redirect_stderr(io.StringIO()):
        history = loop.train(model, train_x, test_x, loop.Settings(
            run_dir=run_dir, epochs=epochs, device=chainer.get_device("@numpy"), batch_size=batch_size,
            lr=((None, alpha),), weight_decay=weight_decay, seed=seed, progress=False, resume=False),
            on_epoch=lambda epoch, m: codes.__setitem__(epoch, encode(m, test_x)))
    return codes, [row["train"]["loss"] for row in history]
