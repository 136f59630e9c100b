"""The VAE objective against NumPy closed forms, and the reparametrization gradient."""
import chainer
import chainer.functions as F
import numpy as np
import pytest

from chainer_vae.model.vae import VAELoss
from chainer_vae.train.schedules import beta_at, fresh_adam_at, lr_at, parse_lr_schedule


class Fixed(chainer.Chain):
    """An 'encoder' returning given (mu, ln_var) parameters, or a linear 'decoder'."""

    def __init__(self, mu, ln_var):
        super().__init__()
        with self.init_scope():
            self.mu = chainer.Parameter(mu)
            self.ln_var = chainer.Parameter(ln_var)

    def forward(self, x):
        return F.broadcast_to(self.mu, (len(x),) + self.mu.shape[1:]), \
            F.broadcast_to(self.ln_var, (len(x),) + self.ln_var.shape[1:])


class Linear(chainer.Chain):
    def __init__(self, w):
        super().__init__()
        with self.init_scope():
            self.w = chainer.Parameter(w)

    def forward(self, z):
        return F.matmul(z, self.w)


def kl_closed_form(mu, ln_var):
    # KL(N(mu, exp(ln_var)) || N(0, 1)) summed over dims: 0.5 * sum(mu^2 + var - ln_var - 1)
    return 0.5 * np.sum(mu ** 2 + np.exp(ln_var) - ln_var - 1.0)


def bernoulli_nll_closed_form(x, logits):
    p = 1.0 / (1.0 + np.exp(-logits))
    return -np.sum(x * np.log(p) + (1 - x) * np.log(1 - p))


@pytest.mark.parametrize("k", [1, 3])
def test_loss_is_reconstr_plus_beta_kl_per_example(k):
    rng = np.random.RandomState(1)
    mu = rng.randn(1, 2).astype(np.float32)
    ln_var = np.full((1, 2), -30.0, dtype=np.float32)  # sigma ~ 3e-7: z == mu, so the loss is exact
    w = rng.randn(2, 6).astype(np.float32)
    x = rng.rand(4, 6).astype(np.float32)
    model = VAELoss(Fixed(mu, ln_var), Linear(w), beta=0.3, k=k)
    loss = model(x)
    logits = np.broadcast_to(mu @ w, x.shape)
    reconstr = bernoulli_nll_closed_form(x, logits) / 4
    kl = kl_closed_form(np.broadcast_to(mu, (4, 2)), np.broadcast_to(ln_var, (4, 2))) / 4
    assert model.reconstr.array == pytest.approx(reconstr, rel=1e-4)
    assert model.kl_penalty.array == pytest.approx(kl, rel=1e-4)
    assert loss.array == pytest.approx(reconstr + 0.3 * kl, rel=1e-4)


def test_reparametrization_gradient_reaches_mu_and_ln_var():
    rng = np.random.RandomState(2)
    enc = Fixed(rng.randn(1, 2).astype(np.float32), rng.randn(1, 2).astype(np.float32))
    model = VAELoss(enc, Linear(rng.randn(2, 5).astype(np.float32)), beta=0.0)  # reconstruction only
    np.random.seed(0)
    model(rng.rand(3, 5).astype(np.float32)).backward()
    # With beta=0 the only path to ln_var is through z = mu + exp(ln_var/2) * eps (eq. 8).
    assert np.all(np.abs(enc.mu.grad) > 0)
    assert np.all(np.abs(enc.ln_var.grad) > 0)


def test_reparametrization_gradient_matches_finite_differences():
    rng = np.random.RandomState(3)
    mu0, lv0 = rng.randn(1, 2).astype(np.float64), rng.randn(1, 2).astype(np.float64)
    w = rng.randn(2, 5)
    x = rng.rand(3, 5)

    def loss_at(mu, lv):
        np.random.seed(7)  # the same eps for every evaluation
        model = VAELoss(Fixed(mu, lv), Linear(w))
        return model, model(x)

    model, loss = loss_at(mu0.copy(), lv0.copy())
    loss.backward()
    eps = 1e-6
    for name, grad in (("mu", model.encoder.mu.grad), ("ln_var", model.encoder.ln_var.grad)):
        for j in range(2):
            args = {"mu": mu0.copy(), "lv": lv0.copy()}
            key = "mu" if name == "mu" else "lv"
            args[key][0, j] += eps
            up = loss_at(args["mu"], args["lv"])[1].array
            args[key][0, j] -= 2 * eps
            down = loss_at(args["mu"], args["lv"])[1].array
            assert grad[0, j] == pytest.approx((up - down) / (2 * eps), rel=1e-4, abs=1e-6)


def test_k_must_be_positive():
    with pytest.raises(ValueError):
        VAELoss(Fixed(np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32)), Linear(np.zeros((1, 1), np.float32)), k=0)


def test_schedules():
    s = parse_lr_schedule("1e-3:30,1e-5")
    assert [lr_at(s, e) for e in (1, 30, 31, 60)] == [1e-3, 1e-3, 1e-5, 1e-5]
    assert lr_at(parse_lr_schedule("5e-5"), 100) == 5e-5
    with pytest.raises(ValueError):
        parse_lr_schedule("fast")
    with pytest.raises(ValueError):
        parse_lr_schedule("1e-3,1e-5:3")
    with pytest.raises(ValueError):
        parse_lr_schedule("1e-3:30,1e-4:20,1e-5")  # a piece ending before the one before it
    bar = parse_lr_schedule("3e-4:20,3e-4:40|1e-5")  # '|': a new Adam from that piece on
    assert bar == [(20, 3e-4), (40, 3e-4), (None, 1e-5)]
    assert [fresh_adam_at(bar, e) for e in (1, 21, 40, 41, 42)] == [False, False, False, True, False]
    assert not any(fresh_adam_at(s, e) for e in range(1, 61))
    assert [beta_at(e, 1.0, 4) for e in (1, 3, 5, 9)] == [0.0, 0.5, 1.0, 1.0]
    assert beta_at(1, 0.5, 0) == 0.5
