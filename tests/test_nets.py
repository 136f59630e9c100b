"""The encoder/decoder pairs of every kind and data: shapes, gradients, and that each can learn.

Fast on a CPU: batches of 3 for shapes and gradients, 8 examples for the overfitting runs.
"""
import os

import numpy as np
import pytest

import chainer_vae  # noqa: F401  (Chainer compatibility shims before chainer is imported)
import chainer
import chainer.functions as F
import chainer.links as L

from chainer_vae.model import DATA, KINDS, make_decoder, make_encoder
from chainer_vae.model.lstm import run_lstm
from chainer_vae.model.vae import VAELoss
from conftest import find_mnist_root

LATENT = {"mnist": 2, "midi": 20}
CASES = [(kind, data) for kind in KINDS for data in DATA]


def mnist_like(n, rng):
    """n real MNIST images in [0, 1] from the cache the scripts read, else n random binary 28x28
    stroke patterns: three 2-pixel-wide segments each, ~15% of pixels on."""
    root = find_mnist_root()
    path = root and os.path.join(root, "pfnet", "chainer", "mnist", "test.npz")
    if path and os.path.exists(path):
        with np.load(path) as f:
            return (f["x"][:n] / np.float32(255)).astype(np.float32).reshape(n, 784)
    x = np.zeros((n, 28, 28), np.float32)
    for image in x:
        for _ in range(3):
            (r0, c0), (r1, c1) = rng.randint(4, 24, size=(2, 2))
            for t in np.linspace(0, 1, 30):
                r, c = int(round(r0 + t * (r1 - r0))), int(round(c0 + t * (c1 - c0)))
                image[r - 1:r + 1, c - 1:c + 1] = 1
    return x.reshape(n, 784)


def midi_like(n, rng):
    """n sparse 0/1 windows (100, 156): a few notes per window, each held for a random span."""
    x = np.zeros((n, 100, 156), np.float32)
    for i in range(n):
        for _ in range(6):
            note, start = rng.randint(156), rng.randint(100)
            x[i, start:start + rng.randint(4, 40), note] = 1
    return x


def batch(data, n, seed=0):
    rng = np.random.RandomState(seed)
    return mnist_like(n, rng) if data == "mnist" else midi_like(n, rng)


def model(kind, data):
    n = LATENT[data]
    return VAELoss(make_encoder(kind, data, n), make_decoder(kind, data, n))


@pytest.fixture(autouse=True)
def seeded():
    np.random.seed(0)  # Chainer's initializers and F.gaussian draw from NumPy's global generator
    yield


@pytest.mark.parametrize("kind,data", CASES)
def test_shapes_and_loss(kind, data):
    n, size = LATENT[data], DATA[data][0] * DATA[data][1]
    vae = model(kind, data)
    x = batch(data, 3)
    mu, ln_var = vae.encoder(x)
    assert mu.shape == (3, n) and ln_var.shape == (3, n)
    assert vae.decoder(mu).shape == (3, size)
    assert vae.decode(mu.array).shape == (3, size)
    loss = vae(x)
    assert loss.shape == () and np.isfinite(float(loss.array))


@pytest.mark.parametrize("kind,data", CASES)
def test_gradients_reach_every_parameter(kind, data):
    vae = model(kind, data)
    vae.cleargrads()
    vae(batch(data, 3)).backward()
    for name, param in vae.namedparams():
        assert param.grad is not None, name
        assert np.isfinite(param.grad).all(), name
        assert np.count_nonzero(param.grad), name


# At most this many Adam steps; a run stops as soon as it is below the bar.  A MIDI LSTM step
# (two LSTMs over 100 steps) costs ~0.3-0.9 s on a CPU; it needs ~20.
MAX_STEPS = {("lstm", "midi"): 60}


@pytest.mark.parametrize("kind,data", CASES)
def test_overfits_a_tiny_batch(kind, data):
    """Adam(1e-3) on 8 examples brings the loss below 0.6x its start (the mean of 5 steps: one
    z sample per step is noisy).  On these data that needs the decoder to learn at least the
    per-pixel/per-cell frequencies, so it checks learning end to end, not yet the use of z."""
    vae = model(kind, data)
    opt = chainer.optimizers.Adam(1e-3)
    opt.setup(vae)
    x = batch(data, 8)
    first = float(vae(x).array)
    losses = []
    for _ in range(MAX_STEPS.get((kind, data), 200)):
        opt.update(vae, x)
        losses.append(float(vae.loss.array))
        if len(losses) >= 5 and np.mean(losses[-5:]) < 0.6 * first:
            break
    last = float(np.mean(losses[-5:]))
    assert np.isfinite(last)
    assert last < 0.6 * first, (first, last, len(losses))


@pytest.mark.parametrize("steps,inputs,hidden", [(7, 5, 6), (3, 4, 8)])
@pytest.mark.parametrize("constant", [False, True])
def test_fast_lstm_loop_equals_nstep_lstm(steps, inputs, hidden, constant):
    """run_lstm's CPU loop computes what L.NStepLSTM computes, values and gradients; so does its
    GPU path (the link called on per-example sequences), exercised here on the CPU."""
    rng = np.random.RandomState(1)
    link = L.NStepLSTM(1, inputs, hidden, 0.0)
    for p in link.params():  # non-zero biases too, so that their gate order is checked
        p.array[...] = rng.randn(*p.shape).astype(np.float32) * 0.5
    x = rng.randn(4, inputs) if constant else rng.randn(4, steps, inputs)
    x = x.astype(np.float32)
    h0 = rng.randn(4, hidden).astype(np.float32)
    seqs = [np.repeat(xi[None], steps, 0) for xi in x] if constant else list(x)

    def grads(h, hs):
        link.cleargrads()
        (F.sum(h * h) + F.sum(hs * hs)).backward()
        return {name: p.grad.copy() for name, p in link.namedparams()}

    hy, _, ys = link(h0[None], None, seqs)
    ref_h, ref_hs = hy[0], F.stack(ys, axis=0)
    ref_grads = grads(ref_h, ref_hs)
    for via_link in (False, True):  # True: the GPU path (the link itself), run here on the CPU
        h, hs = run_lstm(link, chainer.Variable(x), h0, steps=steps, via_link=via_link)
        assert hs.shape == (4, steps, hidden)
        np.testing.assert_allclose(h.array, ref_h.array, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(hs.array, ref_hs.array, rtol=1e-5, atol=1e-6)
        for name, g in grads(h, hs).items():
            np.testing.assert_allclose(g, ref_grads[name], rtol=1e-4, atol=1e-5, err_msg=name)
