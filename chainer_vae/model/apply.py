"""A trained model applied to host arrays: posterior means of images or windows, and the
decoder's Bernoulli means of latent codes, in batches on the model's device, without backprop.

What the figure, music and analysis scripts use; the training loop itself is train/loop.py.
Inputs may be arrays or ``data.windows.Windows`` (MIDI windows cut from the packed songs): only
one batch is ever dense, so a 200,000-window test set is encoded in bounded memory.
"""
import chainer
import chainer.functions as F
import numpy as np

# Rows per batch: 1,024 MIDI windows are 64 MB as float32 (in for encode, out for decode);
# an MNIST batch of 1,024 is 3 MB.  Larger batches were no faster on a CPU.
BATCH = 1024


def _map_batches(model, fn, a, batch_size, on_batch=None):
    """fn(device batch) -> Variable, over host rows `a` in batches, without backprop; yields host arrays."""
    device = model.device
    with chainer.no_backprop_mode(), chainer.using_config("train", False):
        for i in range(0, len(a), batch_size):
            batch = device.send(np.asarray(a[i:i + batch_size], dtype=np.float32))
            out = chainer.backend.CpuDevice().send(fn(batch).array)
            if on_batch is not None:
                on_batch(len(out))
            yield out


def _joined(parts, width):
    parts = list(parts)
    return np.concatenate(parts) if parts else np.zeros((0, width), np.float32)


def encode(model, x, batch_size=BATCH, on_batch=None):
    """Posterior means mu for every row of x (host array or Windows), computed on the model's
    device.  on_batch(n), if given, is called after each batch of n rows (a progress counter)."""
    return _joined(_map_batches(model, lambda b: model.encode(b)[0], x, batch_size, on_batch), 0)


def decode_batches(model, z, batch_size=BATCH):
    """Bernoulli means (sigmoid of the logits) for latent codes z, one host batch at a time."""
    return _map_batches(model, model.decode, z, batch_size)


def decode(model, z, batch_size=BATCH):
    """Bernoulli means (sigmoid of the logits) for latent codes z (host array) -> host array."""
    return _joined(decode_batches(model, z, batch_size), 0)


def generate_batches(model, z, make_draw, batch_size=BATCH):
    """An autoregressive decoder's windows (model/lstm.py's lstm-ar) for latent codes z, drawn
    step by step, one host batch (B, T, F) at a time: make_draw(n) is the draw(t, p) of a batch
    of n rows."""
    device = model.device
    with chainer.no_backprop_mode(), chainer.using_config("train", False):
        for i in range(0, len(z), batch_size):
            batch = device.send(np.asarray(z[i:i + batch_size], dtype=np.float32))
            yield model.decoder.generate(batch, make_draw(len(batch)))[1]


def reconstruction_nll(model, x, batch_size=BATCH):
    """-log p(x | z = mu(x)) per row of x: the Bernoulli NLL (Chainer's F.bernoulli_nll, the
    paper's reconstruction term) of each input under the decode of its own posterior mean."""
    x = np.asarray(x, dtype=np.float32)
    flat = x.reshape(len(x), -1)
    mu = encode(model, x, batch_size)
    logits = _joined(_map_batches(model, lambda b: model.decode(b, probabilities=False), mu, batch_size), 0)
    return F.bernoulli_nll(flat, logits.reshape(len(x), -1), reduce="no").array.sum(axis=1)
