"""The importance-sampled log-likelihood against closed forms: a linear-Gaussian model, whose
log p(x) is a Gaussian density, and a tiny Bernoulli VAE whose log p(x) is summed on a fine grid
over its 2-D latent space."""
import numpy as np
import pytest

from chainer_vae.evaluation import likelihood
from chainer_vae.model.mlp import MLPDecoder, MLPEncoder
from chainer_vae.model.vae import VAELoss


def gaussian_logpdf(x, mean, cov):
    d = x - mean
    _, logdet = np.linalg.slogdet(cov)
    return -0.5 * (len(x) * np.log(2 * np.pi) + logdet + d @ np.linalg.solve(cov, d))


def linear_gaussian(seed=0, d=2, D=5, s=0.5):
    """p(z) = N(0, I), p(x|z) = N(Wz + b, s^2 I): log p(x) = log N(x; b, W W^T + s^2 I); the exact
    posterior is N(A^-1 W^T (x-b) / s^2, A^-1) with A = I + W^T W / s^2."""
    rng = np.random.RandomState(seed)
    W, b = rng.randn(D, d), rng.randn(D)
    x = rng.randn(3, D) * 2
    A = np.eye(d) + W.T @ W / s ** 2
    cov = np.linalg.inv(A)
    mu = (x - b) @ W @ cov / s ** 2  # cov is symmetric

    def log_lik(z, xj):
        r = xj - (z.astype(np.float64) @ W.T + b)
        return -0.5 * (D * np.log(2 * np.pi * s ** 2) + (r ** 2).sum(1) / s ** 2)
    exact = np.array([gaussian_logpdf(xi, b, W @ W.T + s ** 2 * np.eye(D)) for xi in x])
    return x, mu, cov, log_lik, exact


def test_exact_posterior_gives_the_exact_log_likelihood_from_one_sample():
    x, mu, cov, log_lik, exact = linear_gaussian()
    # A diagonal posterior is exact only when cov is diagonal: use d = 1.
    x, mu, cov, log_lik, exact = linear_gaussian(d=1)
    encode = lambda _: (mu, np.log(np.diag(cov))[None].repeat(len(mu), 0))  # noqa: E731
    est = likelihood.estimate(encode, log_lik, x, k=3, ks=(1,))
    # Every weight p(x, z) / q(z | x) equals p(x) when q is the posterior (z cast to float32: ~1e-5).
    np.testing.assert_allclose(est["log_px"], exact, atol=1e-4)
    np.testing.assert_allclose(est["elbo"], exact, atol=1e-4)


def test_a_poor_proposal_converges_to_log_p_from_below_as_k_grows():
    x, mu, cov, log_lik, exact = linear_gaussian(d=2)
    # A mean-field proposal, shifted and too wide: its ELBO is well below log p(x).
    encode = lambda _: (mu + 0.3, np.log(2 * np.diag(cov))[None].repeat(len(mu), 0))  # noqa: E731
    est = likelihood.estimate(encode, log_lik, x, k=20000, ks=(1, 10, 100, 1000), seed=1)
    assert np.all(est["elbo"] < exact - 0.1)
    np.testing.assert_allclose(est["log_px"], exact, atol=0.05)
    means = [est["by_k"][m].mean() for m in (1, 10, 100, 1000, 20000)]
    assert means[0] < means[2] < exact.mean() + 0.05 and means[-1] == pytest.approx(exact.mean(), abs=0.05)


def test_a_bernoulli_vae_matches_quadrature_over_its_latent_grid():
    np.random.seed(0)
    D = 6
    model = VAELoss(MLPEncoder(D, [8], 2), MLPDecoder(2, [8], D))
    # A proposal that covers the posterior: q(z|x) = N(0.3, 1.5 I) whatever x (the decoder is random).
    for head, bias in ((model.encoder.mu, 0.3), (model.encoder.ln_var, np.log(1.5))):
        head.W.array[...] = 0
        head.b.array[...] = bias
    x = (np.random.RandomState(1).rand(4, D) < 0.5).astype(np.float32)
    encode, log_lik = likelihood.model_functions(model)
    # log p(x) = log sum_g p(x | z_g) N(z_g; 0, I) h^2 on a grid of step h over [-7, 7]^2.
    g = np.arange(-7, 7, 0.02) + 0.01
    z = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2).astype(np.float32)
    log_prior = likelihood.log_normal(z.astype(np.float64), 0.0, 0.0)
    exact = [np.logaddexp.reduce(log_lik(z, xi) + log_prior) + 2 * np.log(0.02) for xi in x]
    est = likelihood.estimate(encode, log_lik, x, k=20000, seed=0)
    np.testing.assert_allclose(est["log_px"], exact, atol=0.02)
    assert np.all(est["elbo"] <= est["log_px"])


def test_bernoulli_log_lik_and_logmeanexp_against_direct_formulas():
    rng = np.random.RandomState(0)
    logits = rng.randn(7, 5).astype(np.float32) * 3
    x = rng.rand(5).astype(np.float32)
    p = 1 / (1 + np.exp(-logits.astype(np.float64)))
    direct = (x * np.log(p) + (1 - x) * np.log(1 - p)).sum(1)
    np.testing.assert_allclose(likelihood.bernoulli_log_lik(x, logits), direct, rtol=1e-5)
    a = rng.randn(3, 50) * 40
    np.testing.assert_allclose(likelihood.logmeanexp(a), np.log(np.mean(np.exp(a), axis=-1)), rtol=1e-10)
    s = likelihood.summarize([1.0, 2.0, 3.0, 4.0])
    assert s["mean"] == 2.5 and s["sem"] == pytest.approx(np.std([1, 2, 3, 4], ddof=1) / 2) and s["n"] == 4
