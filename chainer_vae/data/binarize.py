"""Binarized MNIST, as the likelihood literature uses it (``--binarize dynamic``).

The paper trains on grey pixels in [0, 1] as soft Bernoulli targets; a Bernoulli "likelihood"
of such pixels is not a probability.  Dynamic binarization (Burda et al. 2015, and most VAE
likelihood tables since) trains on a fresh Bernoulli draw of every image each time it is seen,
with the grey level as the probability of a 1, and tests on one draw of the test set made once
with a fixed seed, so every model is scored on the same 0/1 images.
"""
import chainer
import numpy as np


TEST_SEED = 1234  # the one draw of the test set that every binarized score uses


def fixed(x, seed=TEST_SEED):
    """One Bernoulli draw of every pixel of x (probabilities in [0, 1]) as uint8 0/1, seeded."""
    rng = np.random.RandomState(seed)
    return (rng.random_sample(np.shape(x)) < x).astype(np.uint8)


class Dynamic:
    """Images drawn afresh as 0/1 each time a batch is taken (once per epoch per image).

    In the training loop's data protocol (train/loop.py): sent to the device once, batches cut on
    the device by ``batch``.  The draws come from the array module's
    global generator, which the loop reseeds at every epoch: a resumed run draws exactly what an
    uninterrupted one does.  Indexing gives the probabilities (the grey images).
    """

    def __init__(self, probabilities):
        self.p = probabilities

    def __len__(self):
        return len(self.p)

    @property
    def dtype(self):
        return self.p.dtype

    @property
    def shape(self):
        return self.p.shape

    def arrays(self):
        """What identifies this data (the fingerprint): the probabilities, and that they are drawn."""
        return (self.p, np.frombuffer(b"dynamic-binarization", dtype=np.uint8))

    def subset(self, index):
        return Dynamic(self.p[index])

    def to_device(self, device):
        return Dynamic(device.send(np.asarray(self.p)))

    def take(self, index):
        xp = chainer.backend.get_array_module(self.p)
        p = self.p[index]
        return (xp.random.random_sample(p.shape) < p).astype(np.float32)

    batch = take  # the training loop's name for it

    def __getitem__(self, index):
        return self.p[index]
