"""The pieces of the beyond-the-figures experiments against closed forms: binarization, PCA,
masks and noise, the classifier, the class-separation measure, and the per-epoch hook."""
import os

import numpy as np
import pytest

from chainer_vae.data import binarize
from chainer_vae.evaluation import corrupt, judge, posterior
from chainer_vae.model import apply
from chainer_vae.train import loop as training
from chainer_vae.data import fingerprint
from chainer_vae.device import resolve_device
from chainer_vae.evaluation.pca import PCA
from chainer_vae.cli.mnist import MnistConfig
from test_training import tiny_data, tiny_model


def test_fixed_binarization_is_seeded_and_bernoulli():
    p = np.random.RandomState(0).rand(400, 784).astype(np.float32)
    a, b = binarize.fixed(p), binarize.fixed(p)
    assert a.dtype == np.uint8 and set(np.unique(a)) <= {0, 1}
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, binarize.fixed(p, seed=binarize.TEST_SEED + 1))
    assert a.mean() == pytest.approx(p.mean(), abs=0.005)
    np.testing.assert_array_equal(binarize.fixed(np.array([[0.0, 1.0]])), [[0, 1]])


def test_dynamic_binarization_draws_afresh_from_the_reseeded_generator():
    p = np.full((64, 784), 0.3, dtype=np.float32)
    data = binarize.Dynamic(p).to_device(resolve_device("@numpy"))
    index = np.arange(10)
    np.random.seed(5)
    first, second = data.take(index), data.take(index)
    np.random.seed(5)
    np.testing.assert_array_equal(first, data.take(index))  # the loop's per-epoch reseed reproduces it
    assert not np.array_equal(first, second) and first.dtype == np.float32
    assert set(np.unique(first)) == {0.0, 1.0} and first.mean() == pytest.approx(0.3, abs=0.02)
    assert len(data) == 64 and data.shape == p.shape
    assert fingerprint(binarize.Dynamic(p)) != fingerprint(p)


def test_binarized_training_runs_and_the_papers_run_keeps_its_name(tmp_path):
    x, xt = tiny_data()
    history = training.train(tiny_model(), binarize.Dynamic(x), binarize.fixed(xt), training.Settings(run_dir=str(tmp_path), epochs=1,
                             device=resolve_device("@numpy"), progress=False))
    assert np.isfinite(history[0]["train"]["loss"])
    # The default leaves the identity as it was: the committed Fig. 4 run keeps its folder name.
    assert "binarize" not in MnistConfig().identity()
    assert MnistConfig().run_id("mnist", "91169f56bf6a6f78") == "mnist-96f4f958"
    dyn = MnistConfig(binarize="dynamic")
    assert dyn.run_id("mnist", "x") != MnistConfig().run_id("mnist", "x")
    assert dyn.stem("fig4_mnist_loss").endswith("fig4_mnist_loss_dynbin")


def test_on_epoch_is_called_after_every_epoch_and_codes_are_kept(tmp_path):
    x, xt = tiny_data()
    keep = posterior.keeper(xt)
    seen = []
    training.train(tiny_model(), x, xt, training.Settings(run_dir=str(tmp_path), epochs=2, device=resolve_device("@numpy"),
                   progress=False), on_epoch=lambda e, m: (seen.append(e), keep(e, m, str(tmp_path))))
    assert seen == [1, 2]
    kept = posterior.load(str(tmp_path))
    assert sorted(kept) == [1, 2] and kept[2].shape == (len(xt), 2) and kept[2].dtype == np.float32
    np.testing.assert_allclose(kept[2], apply.encode(_final(tmp_path, x, xt), xt),
                               rtol=1e-5, atol=1e-6)


def _final(tmp_path, x, xt):
    """The model after the same two epochs, trained again (training is deterministic)."""
    model = tiny_model()
    training.train(model, x, xt, training.Settings(run_dir=str(tmp_path / "again"), epochs=2, device=resolve_device("@numpy"),
                   progress=False))
    return model


def test_pca_is_the_best_rank_n_approximation():
    rng = np.random.RandomState(0)
    x = rng.randn(200, 3) @ rng.randn(3, 12) + rng.randn(12)
    np.testing.assert_allclose(PCA(x, 3).reconstruct(x), x, atol=1e-9)  # data in a 3-D affine subspace
    y = x + 0.1 * rng.randn(*x.shape)
    pca = PCA(y, 2)
    s = np.linalg.svd(y - y.mean(0), compute_uv=False)
    err = np.sum((pca.reconstruct(y) - y) ** 2)
    assert err == pytest.approx(np.sum(s[2:] ** 2), rel=1e-9)  # Eckart-Young
    np.testing.assert_allclose(pca.components @ pca.components.T, np.eye(2), atol=1e-12)
    np.testing.assert_allclose(pca.explained_variance, s[:2] ** 2 / 199)


def test_masks_noise_and_scores():
    for kind, fraction in (("left", 0.5), ("right", 0.5), ("top", 0.5), ("bottom", 0.5), ("centre", 196 / 784)):
        m = corrupt.mask(kind, 3)
        assert m.shape == (3, 784) and m.mean() == fraction
    assert corrupt.mask("left", 1).reshape(28, 28)[:, :14].all() and not corrupt.mask("left", 1).reshape(28, 28)[:, 14:].any()
    assert corrupt.mask("random", 50).mean() == pytest.approx(0.5, abs=0.01)
    with pytest.raises(ValueError):
        corrupt.mask("diagonal")
    x = np.full((2, 784), 0.5, dtype=np.float32)
    assert corrupt.hide(x, corrupt.mask("top", 2))[:, :392].max() == 0
    sp = corrupt.salt_and_pepper(x, 0.2)
    assert np.mean(sp != 0.5) == pytest.approx(0.2, abs=0.03) and set(np.unique(sp)) == {0.0, 0.5, 1.0}
    g = corrupt.gaussian(x, 0.1)
    assert g.min() >= 0 and g.max() <= 1 and np.std(g - x) == pytest.approx(0.1, abs=0.01)
    a, b = np.zeros((1, 4)), np.array([[0.1, 0.1, 0.1, 0.1]])
    assert corrupt.mse(a, b)[0] == pytest.approx(0.01) and corrupt.psnr(a, b)[0] == pytest.approx(20.0)
    assert corrupt.mse(a, np.array([[1.0, 0, 0, 0]]), np.array([[True, True, False, False]]))[0] == 0.5


def test_classifier_gradient_and_a_separable_problem():
    rng = np.random.RandomState(0)
    x, y = rng.randn(30, 4), rng.randint(0, 3, 30)
    model = judge.Logistic(4, 3)
    model.W = rng.randn(4, 3) * 0.1
    _, gw, _ = model.loss_and_grads(x, y, 1e-2)
    num = np.zeros_like(model.W)
    for i in np.ndindex(*model.W.shape):
        for sign in (1, -1):
            model.W[i] += sign * 1e-6
            num[i] += sign * model.loss_and_grads(x, y, 1e-2)[0] / 2e-6
            model.W[i] -= sign * 1e-6
    np.testing.assert_allclose(gw, num, rtol=1e-5, atol=1e-8)
    centres = np.eye(5) * 4
    y = np.repeat(np.arange(5), 40)
    x = centres[y] + 0.3 * rng.randn(200, 5)
    assert np.mean(judge.train(x, y).predict(x) == y) == 1.0


def test_separation_against_hand_computed_values():
    z = np.array([[0, 0], [0, 2], [4, 0], [4, 2]], dtype=float)
    labels = np.array([0, 0, 1, 1])
    s = posterior.separation(z, labels)
    # centroids (0, 1) and (4, 1), grand mean (2, 1): between 4 * 4 = 16, within 4 * 1 = 4.
    assert s["between_within"] == pytest.approx(4.0) and s["nearest_centroid_accuracy"] == 1.0
    np.testing.assert_allclose(s["spread"], [2.0, 1.0])


def test_kept_codes_past_epoch_999_load_by_their_epoch(tmp_path):
    for epoch in (7, 1234):
        os.makedirs(os.path.dirname(posterior.path(str(tmp_path), epoch)), exist_ok=True)
        np.save(posterior.path(str(tmp_path), epoch), np.full((3, 2), epoch, np.float32))
    kept = posterior.load(str(tmp_path))
    assert sorted(kept) == [7, 1234] and kept[1234][0, 0] == 1234
