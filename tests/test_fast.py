"""chainer_vae.fast computes the same maths as the plain Chainer functions it replaces."""
import chainer
import chainer.functions as F
import chainer.links as L
import numpy as np
import pytest

from chainer_vae import fast, optim
from chainer_vae.nets import make_decoder, make_encoder
from chainer_vae.objective import VAELoss


@pytest.fixture
def plain():
    """Run a block with the fast paths off (the reference)."""
    class Plain:
        def __enter__(self):
            fast.ENABLED = False

        def __exit__(self, *exc):
            fast.ENABLED = True
    return Plain()


def binary_windows(n, shape=(100, 156), density=0.014, seed=0):
    rng = np.random.RandomState(seed)
    return (rng.rand(n, *shape) < density).astype(np.float32)


@pytest.mark.parametrize("scatter", [True, False])  # gW scattered over the columns, or dense
def test_sparse_linear_equals_dense_forward_and_gradients(scatter, monkeypatch):
    monkeypatch.setattr(fast, "SCATTER_MAX_DENSITY", 1.0 if scatter else 0.0)
    rng = np.random.RandomState(0)
    link = L.Linear(15600, 64)
    link.W.array[...] = rng.randn(64, 15600).astype(np.float32)
    link.b.array[...] = rng.randn(64).astype(np.float32)
    x = binary_windows(8)
    gy = rng.randn(8, 64).astype(np.float32)

    y = fast.linear(link, x)
    assert isinstance(y.creator, fast.ColumnSparseLinear)  # the sparse path was taken
    link.cleargrads()
    y.grad = gy
    y.backward()
    sparse = (y.array.copy(), link.W.grad.copy(), link.b.grad.copy())

    y_ref = link(x.reshape(8, -1))
    link.cleargrads()
    y_ref.grad = gy
    y_ref.backward()
    np.testing.assert_allclose(sparse[0], y_ref.array, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(sparse[1], link.W.grad, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(sparse[1][:, ~x.reshape(8, -1).any(axis=0)], 0)
    np.testing.assert_allclose(sparse[2], link.b.grad, rtol=1e-6)


def test_sparse_linear_is_exact_for_non_binary_sparse_x_and_falls_back_when_dense():
    rng = np.random.RandomState(1)
    link = L.Linear(2048, 16)
    x = np.zeros((4, 2048), np.float32)
    x[:, :300] = rng.rand(4, 300)                                   # real values, few columns
    np.testing.assert_allclose(fast.linear(link, x).array, link(x).array, rtol=1e-5, atol=1e-5)
    dense = rng.rand(4, 2048).astype(np.float32)
    assert not isinstance(fast.linear(link, dense).creator, fast.ColumnSparseLinear)
    zero = np.zeros((4, 2048), np.float32)  # an all-zero batch: no columns at all, y = b
    np.testing.assert_allclose(fast.linear(link, zero).array, link(zero).array)


@pytest.mark.parametrize("soft", [False, True])
def test_bernoulli_nll_forward_bitwise_and_gradient(soft):
    rng = np.random.RandomState(2)
    x = rng.rand(16, 50).astype(np.float32) if soft else (rng.rand(16, 50) < 0.3).astype(np.float32)
    y = chainer.Variable((rng.randn(16, 50) * 5).astype(np.float32))
    out = fast.bernoulli_nll(x, y)
    ref = F.bernoulli_nll(x, y)
    assert out.array == ref.array                     # same expressions, same order: bit for bit
    (out * 0.37).backward()
    g = y.grad.copy()
    y.cleargrad()
    (ref * 0.37).backward()
    np.testing.assert_allclose(g, y.grad, rtol=1e-6, atol=1e-7)


def test_gaussian_kl_forward_bitwise_and_gradient():
    rng = np.random.RandomState(3)
    mu = chainer.Variable(rng.randn(16, 20).astype(np.float32))
    ln_var = chainer.Variable(rng.randn(16, 20).astype(np.float32))
    out = fast.gaussian_kl_divergence(mu, ln_var)
    ref = F.gaussian_kl_divergence(mu, ln_var)
    assert out.array == ref.array
    (out * 0.5).backward()
    g = mu.grad.copy(), ln_var.grad.copy()
    mu.cleargrad()
    ln_var.cleargrad()
    (ref * 0.5).backward()
    np.testing.assert_allclose(g[0], mu.grad, rtol=1e-6)
    np.testing.assert_allclose(g[1], ln_var.grad, rtol=1e-6)


@pytest.mark.parametrize("data,shape,n_latent", [("mnist", (784,), 2), ("midi", (100, 156), 20)])
def test_training_steps_match_plain_chainer(data, shape, n_latent, plain):
    """The whole step (loss, gradients, fused Adam update) on the paper's models, fast vs plain
    Chainer (F.* functions, dense first layer, Adam + WeightDecay hook)."""
    def run(use_fast):
        np.random.seed(0)
        model = VAELoss(make_encoder("mlp", data, n_latent), make_decoder("mlp", data, n_latent))
        if use_fast:
            opt = optim.Adam(alpha=1e-3, l2_rate=5e-4)
        else:
            opt = chainer.optimizers.Adam(alpha=1e-3)
        opt.setup(model)
        if not use_fast:
            opt.add_hook(chainer.optimizer_hooks.WeightDecay(5e-4))
        x = binary_windows(8, shape, seed=4) if data == "midi" else np.random.RandomState(4).rand(8, 784).astype(np.float32)
        losses = []
        for step in range(3):
            np.random.seed(10 + step)
            loss = model(x)
            model.cleargrads()
            loss.backward()
            opt.update()
            losses.append((float(loss.array), float(model.kl_penalty.array)))
        return losses, {n: p.array.copy() for n, p in model.namedparams()}

    losses, params = run(True)
    with plain:
        ref_losses, ref_params = run(False)
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-5)
    # Adam divides by sqrt(v): where a gradient is ~0 (a dead ReLU, or the data gradient all but
    # cancelling the weight decay) float rounding in it can move that element's step a little.
    # So: all but 1 in 10,000 elements (or 2) agree to 1e-6, and none by a whole step (1e-3).
    for name in ref_params:
        diff = np.abs(params[name] - ref_params[name])
        assert np.count_nonzero(diff > 1e-6) <= max(2, diff.size // 10000), name
        assert diff.max() < 1e-3, name


@pytest.mark.parametrize("activation,n_in,hidden,sparse", [
    ("tanh", 784, [500], False), ("relu", 15600, [1000, 500, 100], True), ("relu", 20, [100, 500], False)])
def test_fused_mlp_equals_chainer_links(activation, n_in, hidden, sparse, plain):
    """Encoder-style (two heads, data input) and decoder-style (one head, input needing a grad)."""
    from chainer_vae.nets.mlp import MLPDecoder, MLPEncoder
    rng = np.random.RandomState(5)
    np.random.seed(5)
    enc = MLPEncoder(n_in, hidden, 3, activation)
    dec = MLPDecoder(n_in, hidden, 7, activation)
    x = binary_windows(6, (n_in,), seed=6) if sparse else rng.rand(6, n_in).astype(np.float32)
    z = chainer.Variable(rng.randn(6, n_in).astype(np.float32))
    g_mu, g_lv, g_out = (rng.randn(6, k).astype(np.float32) for k in (3, 3, 7))

    def run():
        enc.cleargrads()
        dec.cleargrads()
        z.cleargrad()
        mu, ln_var = enc(x)
        out = dec(z)
        loss = F.sum(mu * g_mu) + F.sum(ln_var * g_lv) + F.sum(out * g_out)
        loss.backward()
        return ([mu.array.copy(), ln_var.array.copy(), out.array.copy(), z.grad.copy()]
                + [p.grad.copy() for _, p in sorted(enc.namedparams())]
                + [p.grad.copy() for _, p in sorted(dec.namedparams())])

    fused = run()
    assert isinstance(enc(x)[0].creator, fast.FusedMLP)
    with plain:
        ref = run()
    for a, b in zip(fused, ref):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    if not sparse:  # the same NumPy expressions in the same order: bit for bit
        for a, b in zip(fused, ref):
            np.testing.assert_array_equal(a, b)


def test_fused_mlp_refuses_double_backprop():
    from chainer_vae.nets.mlp import MLPDecoder
    dec = MLPDecoder(2, [4], 3, "tanh")
    z = chainer.Variable(np.ones((2, 2), np.float32))
    with pytest.raises(NotImplementedError):
        F.sum(dec(z)).backward(enable_double_backprop=True)
