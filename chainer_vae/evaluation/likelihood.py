"""Test log-likelihood by importance sampling (Burda et al. 2015, "Importance Weighted Autoencoders").

    log p(x) ~= log (1/k) sum_i p(x | z_i) p(z_i) / q(z_i | x),   z_i ~ q(z | x) = N(mu, diag(exp(ln_var)))

a lower bound on log p(x) in expectation that tightens as k grows (k = 1 is the ELBO's single
sample; the field reports k = 5,000).  The k samples of one image are decoded as batches of
``chunk`` rows, so the cost is k decodes per image and nothing is held beyond one chunk.  CHUNK
rows keep the decoder's activations near the CPU's cache: on one core, the MLP's and the conv
decoder's estimate take about half the time of all 5,000 rows at once (bench_loglik.py); the
chunking does not change the estimate (the same normal draws, in the same order).

Under the Bernoulli decoder, ``log p(x | z) = sum_d x_d l_d - softplus(l_d)`` for logits l.  For
0/1 pixels that is a log-probability; for continuous pixels in [0, 1] (the paper's data) it is
a soft-target score, not the log-probability of anything, so the two must be reported apart.
"""
import time

import chainer
import numpy as np

LOG_2PI = float(np.log(2 * np.pi))
CHUNK = 250


def log_normal(z, mu, ln_var):
    """log N(z; mu, diag(exp(ln_var))), summed over the last axis (broadcasting)."""
    return -0.5 * np.sum(LOG_2PI + ln_var + (z - mu) ** 2 * np.exp(-ln_var), axis=-1)


def softplus(a):
    return np.maximum(a, 0) + np.log1p(np.exp(-np.abs(a)))


def bernoulli_log_lik(x, logits):
    """log p(x | z) for each row of ``logits`` (m, D) and one image x (D,): (m,) (float64 sums)."""
    return logits @ x.astype(logits.dtype) - softplus(logits).sum(axis=1, dtype=np.float64)


def logmeanexp(a, axis=-1):
    m = np.max(a, axis=axis, keepdims=True)
    return np.squeeze(m, axis) + np.log(np.mean(np.exp(a - m), axis=axis))


def log_weights(mu, ln_var, log_lik, k, rng, chunk=CHUNK):
    """log w_i = log p(x|z_i) + log p(z_i) - log q(z_i|x) for k samples z_i ~ q of one image.

    mu, ln_var: (d,) posterior parameters; log_lik(z) -> (m,) log p(x | z) for z (m, d)."""
    out = np.empty(k, dtype=np.float64)
    zero = np.zeros_like(mu)
    for s in range(0, k, chunk):
        eps = rng.standard_normal((min(chunk, k - s), len(mu)))
        z = mu + np.exp(0.5 * ln_var) * eps
        out[s:s + len(z)] = log_lik(z.astype(np.float32)) + log_normal(z, zero, zero) - log_normal(z, mu, ln_var)
    return out


def estimate(encode, log_lik, x, k=5000, seed=0, chunk=CHUNK, ks=(1, 10, 100, 1000, 5000), progress=None):
    """Importance-sampled log p(x_j) for every row of x.

    encode(x) -> (mu, ln_var) host arrays (n, d); log_lik(z, x_j) -> (m,) log p(x_j | z).
    Returns a dict of per-image arrays: ``log_px`` (the k-sample estimate), ``elbo`` (the mean of
    the log-weights: a k-sample Monte Carlo ELBO) and ``by_k`` {k': estimate from the first k'
    samples} for each k' <= k in ``ks`` (the estimate's convergence), plus ``seconds``.
    """
    rng = np.random.RandomState(seed)
    mu, ln_var = (np.asarray(a, dtype=np.float64) for a in encode(x))
    ks = [m for m in ks if m < k] + [k]
    log_px, elbo = np.empty(len(x)), np.empty(len(x))
    by_k = {m: np.empty(len(x)) for m in ks}
    started = time.perf_counter()
    for j in range(len(x)):
        lw = log_weights(mu[j], ln_var[j], lambda z: log_lik(z, x[j]), k, rng, chunk)
        log_px[j], elbo[j] = logmeanexp(lw), lw.mean()
        for m in ks:
            by_k[m][j] = logmeanexp(lw[:m])
        if progress is not None:
            progress(j + 1)
    return {"log_px": log_px, "elbo": elbo, "by_k": by_k, "seconds": time.perf_counter() - started}


def model_functions(model):
    """(encode, log_lik) of a trained VAELoss with a Bernoulli decoder, for ``estimate``."""
    device = model.device

    def encode(x):
        with chainer.no_backprop_mode(), chainer.using_config("train", False):
            mu, ln_var = model.encode(device.send(np.asarray(x, dtype=np.float32)))
        cpu = chainer.backend.CpuDevice()
        return cpu.send(mu.array), cpu.send(ln_var.array)

    def log_lik(z, x):
        with chainer.no_backprop_mode(), chainer.using_config("train", False):
            logits = model.decode(device.send(z), probabilities=False).array
        logits = chainer.backend.CpuDevice().send(logits).reshape(len(z), -1)
        return bernoulli_log_lik(np.asarray(x, dtype=np.float32).ravel(), logits)

    return encode, log_lik


def summarize(values):
    """Mean and standard error of the mean over the test images."""
    v = np.asarray(values, dtype=np.float64)
    return {"mean": float(v.mean()), "sem": float(v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else 0.0,
            "n": int(len(v))}
