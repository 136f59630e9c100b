"""chainer_vae.train.fused: the same maths as the plain Chainer model, used only where it proves it
on the first batch; an edited model trains as written."""
import chainer
import chainer.functions as F
import numpy as np
import pytest

from chainer_vae.device import resolve_device
from chainer_vae.train import fused, loop
from chainer_vae.model import make_decoder, make_encoder
from chainer_vae.model.mlp import MLPDecoder, MLPEncoder
from chainer_vae.model.vae import VAELoss


def binary_windows(n, shape=(100, 156), density=0.014, seed=0):
    rng = np.random.RandomState(seed)
    return (rng.rand(n, *shape) < density).astype(np.float32)


def paper_model(data, n_latent):
    np.random.seed(0)
    return VAELoss(make_encoder("mlp", data, n_latent), make_decoder("mlp", data, n_latent))


def test_nothing_is_swapped_into_the_model():
    model = paper_model("mnist", 2)
    opt = loop.make_optimizer(model, 1e-3, 5e-4)
    assert opt.target is model and type(model) is VAELoss
    assert type(model.encoder) is MLPEncoder and type(model.decoder) is MLPDecoder
    x = np.random.RandomState(0).rand(8, 784).astype(np.float32)
    chosen = fused.for_training(model, x)
    assert isinstance(chosen, fused.FusedVAE) and type(model) is VAELoss  # a function beside it


@pytest.mark.parametrize("soft", [False, True])
def test_bernoulli_nll_forward_bitwise_and_gradient(soft):
    rng = np.random.RandomState(2)
    x = rng.rand(16, 50).astype(np.float32) if soft else (rng.rand(16, 50) < 0.3).astype(np.float32)
    y = chainer.Variable((rng.randn(16, 50) * 5).astype(np.float32))
    out = fused.bernoulli_nll(x, y)
    ref = F.bernoulli_nll(x, y)
    assert isinstance(out.creator, fused.BernoulliNLL)
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
    out = fused.gaussian_kl_divergence(mu, ln_var)
    ref = F.gaussian_kl_divergence(mu, ln_var)
    assert out.array == ref.array
    (out * 0.5).backward()
    g = mu.grad.copy(), ln_var.grad.copy()
    mu.cleargrad()
    ln_var.cleargrad()
    (ref * 0.5).backward()
    np.testing.assert_allclose(g[0], mu.grad, rtol=1e-6)
    np.testing.assert_allclose(g[1], ln_var.grad, rtol=1e-6)


def _sparse_reals(n, n_in, seed):
    x = np.zeros((n, n_in), np.float32)  # real values in few columns, and one all-zero example
    x[1:, :300] = np.random.RandomState(seed).rand(n - 1, 300)
    return x


@pytest.mark.parametrize("activation,n_in,hidden,x_kind", [
    ("tanh", 784, [500], "dense"), ("relu", 15600, [1000, 500, 100], "binary"),
    ("relu", 2048, [64], "reals"), ("relu", 20, [100, 500], "dense")])
def test_fused_mlp_equals_chainer_links(activation, n_in, hidden, x_kind):
    """Encoder-style (two heads, data input; wide ones over their nonzero columns) and
    decoder-style (one head, an input needing a gradient)."""
    rng = np.random.RandomState(5)
    np.random.seed(5)
    enc = MLPEncoder(n_in, hidden, 3, activation)
    dec = MLPDecoder(n_in, hidden, 7, activation)
    x = {"dense": lambda: rng.rand(6, n_in).astype(np.float32),
         "binary": lambda: binary_windows(6, (n_in,), seed=6),
         "reals": lambda: _sparse_reals(6, n_in, 6)}[x_kind]()
    z = chainer.Variable(rng.randn(6, n_in).astype(np.float32))
    g_mu, g_lv, g_out = (rng.randn(6, k).astype(np.float32) for k in (3, 3, 7))

    def run(forward):
        enc.cleargrads()
        dec.cleargrads()
        z.cleargrad()
        (mu, ln_var), out = forward()
        loss = F.sum(mu * g_mu) + F.sum(ln_var * g_lv) + F.sum(out * g_out)
        loss.backward()
        return ([mu.array.copy(), ln_var.array.copy(), out.array.copy(), z.grad.copy()]
                + [p.grad.copy() for _, p in sorted(enc.namedparams())]
                + [p.grad.copy() for _, p in sorted(dec.namedparams())])

    ref = run(lambda: (enc(x), dec(z)))
    fast = run(lambda: (fused._fused_mlp(enc, x, (enc.mu, enc.ln_var)), fused._fused_mlp(dec, z, (dec.out,))[0]))
    assert isinstance(fused._fused_mlp(enc, x, (enc.mu, enc.ln_var))[0].creator, fused.FusedMLP)
    for a, b in zip(fast, ref):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    if x_kind == "dense":  # the same NumPy expressions in the same order: bit for bit
        for a, b in zip(fast, ref):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("data,shape,n_latent", [("mnist", (784,), 2), ("midi", (100, 156), 20)])
def test_training_steps_match_plain_chainer(data, shape, n_latent):
    """Three whole steps (loss, gradients, fused Adam update) of the paper's models as the
    training loop runs them (train/optim.py's Adam, train/fused.py's form), against plain Chainer
    (the model files as written, Adam + WeightDecay hook)."""
    def run(ours):
        model = paper_model(data, n_latent)
        x = binary_windows(8, shape, seed=4) if data == "midi" else np.random.RandomState(4).rand(8, 784).astype(np.float32)
        forward = model
        if ours:
            opt = loop.make_optimizer(model, 1e-3, 5e-4)
            forward = fused.for_training(model, x)
            assert isinstance(forward, fused.FusedVAE)
        else:
            opt = chainer.optimizers.Adam(alpha=1e-3)
            opt.setup(model)
            opt.add_hook(chainer.optimizer_hooks.WeightDecay(5e-4))
        losses = []
        for step in range(3):
            np.random.seed(10 + step)
            loss = forward(x)
            model.cleargrads()
            loss.backward()
            opt.update()
            losses.append((float(loss.array), float(model.kl_penalty.array)))
        return losses, {n: p.array.copy() for n, p in model.namedparams()}

    losses, params = run(True)
    ref_losses, ref_params = run(False)
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-5)
    # Adam divides by sqrt(v): where a gradient is ~0 (a dead ReLU, or the data gradient all but
    # cancelling the weight decay) float rounding in it can move that element's step a little.
    # So: all but 1 in 10,000 elements (or 2) agree to 1e-6, and none by a whole step (1e-3).
    for name in ref_params:
        diff = np.abs(params[name] - ref_params[name])
        assert np.count_nonzero(diff > 1e-6) <= max(2, diff.size // 10000), name
        assert diff.max() < 1e-3, name


def test_fused_nodes_refuse_double_backprop():
    dec = MLPDecoder(2, [4], 3, "tanh")
    z = chainer.Variable(np.ones((2, 2), np.float32))
    with pytest.raises(NotImplementedError):
        F.sum(fused._fused_mlp(dec, z, (dec.out,))[0]).backward(enable_double_backprop=True)
    with pytest.raises(NotImplementedError):
        fused.bernoulli_nll(np.ones((2, 3), np.float32), dec(z)).backward(enable_double_backprop=True)


def _one_epoch_loss(tmp_path, name, use_fused=True):
    x = np.random.RandomState(1).rand(64, 784).astype(np.float32)
    model = paper_model("mnist", 2)
    history = loop.train(model, x, x[:32], loop.Settings(run_dir=str(tmp_path / name), epochs=1,
                                                         device=resolve_device("@numpy"), progress=False,
                                                         fused=use_fused))
    return history[0]["train"]["loss"]


def test_an_edit_to_the_model_changes_the_cpu_loss(tmp_path, monkeypatch, capsys):
    """What you read is what runs: zero mu in MLPEncoder.forward and the loss follows the edit."""
    before = _one_epoch_loss(tmp_path, "before")
    plain = _one_epoch_loss(tmp_path, "plain", use_fused=False)
    assert plain == pytest.approx(before, rel=1e-5)  # the fused form is the model's maths

    original = MLPEncoder.forward

    def zero_mu(self, x):
        mu, ln_var = original(self, x)
        return mu * 0, ln_var
    monkeypatch.setattr(MLPEncoder, "forward", zero_mu)
    capsys.readouterr()
    edited = _one_epoch_loss(tmp_path, "edited")
    edited_plain = _one_epoch_loss(tmp_path, "edited_plain", use_fused=False)
    assert abs(edited - before) > 1.0 and edited == edited_plain  # the edit runs, on the plain path
    assert "training runs the model as written" in capsys.readouterr().err


def test_an_edit_to_the_objective_changes_the_cpu_loss(tmp_path, monkeypatch):
    before = _one_epoch_loss(tmp_path, "before")
    original = VAELoss.forward

    def doubled(self, x):
        return original(self, x) * 2
    monkeypatch.setattr(VAELoss, "forward", doubled)
    model = paper_model("mnist", 2)
    x = np.random.RandomState(1).rand(8, 784).astype(np.float32)
    assert not isinstance(fused.for_training(model, x, say=lambda line: None), fused.FusedVAE)
    assert _one_epoch_loss(tmp_path, "edited") != before
