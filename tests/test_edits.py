"""What trains is the model as written, for every edit (the closed core's first promise).

A researcher opens ``model/vae.py`` or ``model/mlp.py``, changes a line and trains.  The first two
edits below matter only once training has moved the weights (at initialisation they change
nothing, so no first-batch check could see them); for each edit the default training loop's history and final
weights must equal those of plain Chainer -- ``chainer.optimizers.Adam`` with a ``WeightDecay``
hook, stepping the edited model's own ``forward`` -- epoch for epoch.  Each test also shows the
edit did change the run, so it cannot pass by comparing two unedited runs.
"""
import chainer
import chainer.functions as F
import numpy as np
import pytest

from chainer_vae.data.mnist_fallback import read_shipped
from chainer_vae.device import resolve_device
from chainer_vae.model import make_decoder, make_encoder, mlp
from chainer_vae.model.vae import VAELoss
from chainer_vae.train import loop

EPOCHS, BATCH, ALPHA, DECAY, SEED = 3, 32, 1e-3, 5e-4, 0


@pytest.fixture(scope="module")
def digits():
    x, _ = read_shipped()
    x = (x / np.float32(255)).astype(np.float32)
    return x[:640], x[4000:4128]


def model():
    np.random.seed(SEED)
    return VAELoss(make_encoder("mlp", "mnist", 2), make_decoder("mlp", "mnist", 2))


def by_the_loop(train_x, test_x, tmp_path):
    m = model()
    history = loop.train(m, train_x, test_x, loop.Settings(
        run_dir=str(tmp_path), epochs=EPOCHS, device=resolve_device("@numpy"), batch_size=BATCH,
        lr=((None, ALPHA),), weight_decay=DECAY, seed=SEED, progress=False, resume=False))
    return history, m


def by_plain_chainer(train_x, test_x):
    """The loop's schedule written with nothing but Chainer: the same seeds per epoch, the same
    permutation, Chainer's own Adam and WeightDecay hook, one test pass per epoch."""
    m = model()
    opt = chainer.optimizers.Adam(alpha=ALPHA)
    opt.setup(m)
    opt.add_hook(chainer.optimizer_hooks.WeightDecay(DECAY))
    history = []
    for epoch in range(1, EPOCHS + 1):
        np.random.seed((SEED * loop.SEED_STRIDE + epoch) % 2 ** 32)
        perm = np.random.permutation(len(train_x))
        losses = []
        for i in range(len(perm) // BATCH):
            loss = m(train_x[perm[i * BATCH:(i + 1) * BATCH]])
            m.cleargrads()
            loss.backward()
            opt.update()
            losses.append(float(loss.array))
        with chainer.no_backprop_mode(), chainer.using_config("train", False):
            test = float(m(test_x).array)
        history.append((np.mean(losses), test))
    return history, m


def edit_clip_ln_var(monkeypatch):
    """``ln_var = F.clip(ln_var, -1.0, 1.0)`` after the encoder (issue's example), in mlp.py."""
    forward = mlp.MLPEncoder.forward

    def clipped(self, x):
        mu, ln_var = forward(self, x)
        return mu, F.clip(ln_var, -1.0, 1.0)
    monkeypatch.setattr(mlp.MLPEncoder, "forward", clipped)


def edit_kl_floor(monkeypatch):
    """Free bits: each latent dimension's KL counts at least 0.5 nats (a change to eq. 6, made where
    eq. 6 is written: ``VAELoss.objective``)."""
    def objective(self, x, beta, sample):
        mu, ln_var = self.encoder(x)
        z = sample(mu, ln_var)
        reconstr = F.bernoulli_nll(x, F.reshape(self.decoder(z), x.shape)) / len(x)
        kl = 0.5 * (mu * mu + F.exp(ln_var) - ln_var - 1.0)   # per example and dimension
        kl_penalty = F.sum(F.maximum(F.mean(kl, axis=0), 0.5 * self.xp.ones(mu.shape[1], "f")))
        return reconstr + beta * kl_penalty, reconstr, kl_penalty
    monkeypatch.setattr(VAELoss, "objective", objective)


def edit_decoder_activation(monkeypatch):
    """The decoder's hidden layer through a leaky ReLU instead of tanh (this one matters from the
    first step too)."""
    def forward(self, z):
        h = z
        for layer in self.layers:
            h = F.leaky_relu(layer(h), 0.3)
        return self.out(h)
    monkeypatch.setattr(mlp.MLPDecoder, "forward", forward)


EDITS = {"clip ln_var": edit_clip_ln_var, "KL floor per dimension": edit_kl_floor,
         "decoder activation": edit_decoder_activation}


@pytest.mark.parametrize("name", list(EDITS))
def test_the_edited_model_is_what_trains(name, digits, tmp_path, monkeypatch):
    train_x, test_x = digits
    unedited, unedited_model = by_the_loop(train_x, test_x, tmp_path / "unedited")
    EDITS[name](monkeypatch)
    history, trained = by_the_loop(train_x, test_x, tmp_path / "edited")
    plain, plain_model = by_plain_chainer(train_x, test_x)
    for row, (train_loss, test_loss) in zip(history, plain):
        assert row["train"]["loss"] == pytest.approx(train_loss, rel=1e-5), row["epoch"]
        assert row["test"]["loss"] == pytest.approx(test_loss, rel=1e-5), row["epoch"]
    for (key, p), (_, q) in zip(sorted(trained.namedparams()), sorted(plain_model.namedparams())):
        np.testing.assert_allclose(p.array, q.array, rtol=1e-5, atol=1e-7, err_msg=key)
    # ... and the edit mattered: the run is not the unedited one
    assert history[-1]["train"]["loss"] != pytest.approx(unedited[-1]["train"]["loss"], rel=1e-4)


def test_the_clip_changes_nothing_at_initialisation(digits, monkeypatch):
    """Why a first-batch proof cannot see such an edit: at the start both models agree exactly."""
    x = digits[0][:BATCH]
    np.random.seed(1)
    before = float(model()(x).array)
    edit_clip_ln_var(monkeypatch)
    np.random.seed(1)
    assert float(model()(x).array) == before
