"""A trained model applied to host arrays: posterior means of images or windows, and the
decoder's Bernoulli means of latent codes, in batches on the model's device, without backprop.

What the figure, music and analysis scripts use; the training loop itself is training.py.
"""
import chainer
import chainer.functions as F
import numpy as np


def _map_batches(model, fn, a, batch_size):
    """fn(device batch) -> Variable, over host array `a` in batches, without backprop -> host array."""
    device = model.device
    out = []
    with chainer.no_backprop_mode(), chainer.using_config("train", False):
        for i in range(0, len(a), batch_size):
            batch = device.send(np.asarray(a[i:i + batch_size], dtype=np.float32))
            out.append(chainer.backend.CpuDevice().send(fn(batch).array))
    return np.concatenate(out)


def encode(model, x, batch_size=4096):
    """Posterior means mu for every row of x (host array), computed on the model's device."""
    return _map_batches(model, lambda b: model.encode(b)[0], x, batch_size)


def decode(model, z, batch_size=4096):
    """Bernoulli means (sigmoid of the logits) for latent codes z (host array) -> host array."""
    return _map_batches(model, model.decode, z, batch_size)


def reconstruction_nll(model, x, batch_size=4096):
    """-log p(x | z = mu(x)) per row of x: the Bernoulli NLL (Chainer's F.bernoulli_nll, the
    paper's reconstruction term) of each input under the decode of its own posterior mean."""
    x = np.asarray(x, dtype=np.float32)
    flat = x.reshape(len(x), -1)
    mu = encode(model, x, batch_size)
    logits = _map_batches(model, lambda b: model.decode(b, probabilities=False), mu, batch_size)
    return F.bernoulli_nll(flat, logits.reshape(len(x), -1), reduce="no").array.sum(axis=1)
