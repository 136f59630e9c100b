"""From the decoder's note probabilities to notes: the authors' threshold, or Bernoulli sampling
with a temperature.

* ``threshold=t``: keep a cell where its probability is >= t (the authors' rule, t = 0.2).
* ``temperature=T``: draw each cell from Bernoulli(sigmoid(logit(p) / T)); T = 1 samples the
  model's own distribution, T < 1 sharpens it towards the 0.5 threshold, T > 1 flattens it.

A setting is written ``threshold=0.2`` or ``temperature=0.5``; lists are comma-separated.
"""
import numpy as np

from chainer_vae.errors import ConfigError

KINDS = ("threshold", "temperature")


def parse_setting(text):
    """'threshold=0.2' -> ('threshold', 0.2); raises ConfigError on anything else."""
    kind, _, value = text.strip().partition("=")
    try:
        value = float(value)
    except ValueError:
        value = None
    if kind not in KINDS or value is None or not np.isfinite(value):
        raise ConfigError(f"sampling setting {text!r}: expected threshold=X (0 < X <= 1) or temperature=X (X > 0)")
    if kind == "threshold" and not 0 < value <= 1:
        raise ConfigError(f"sampling setting {text!r}: a threshold must be in (0, 1]")
    if kind == "temperature" and not value > 0:
        raise ConfigError(f"sampling setting {text!r}: a temperature must be greater than 0")
    return kind, value


def parse_settings(text):
    settings = [parse_setting(part) for part in text.split(",") if part.strip()]
    if not settings:
        raise ConfigError("no sampling setting given")
    return settings


def settings_problem(text):
    """For a flag's check: None when ``text`` parses, else the reason."""
    try:
        parse_settings(text)
    except ConfigError as e:
        return str(e)
    return None


def label(setting):
    kind, value = setting
    return "%s=%g" % (kind, value)


def binarize(probabilities, setting, rng=None):
    """Probabilities (any shape) -> uint8 0/1 notes under ``setting`` ((kind, value)).

    Computed in the probabilities' own precision (float32 from the decoder): a float64 copy of
    a chunk of windows would double its memory.  The threshold is compared exactly: a float32
    p is kept iff p >= t holds for the float64 t given."""
    p = np.asarray(probabilities)
    if p.dtype.kind != "f":
        p = p.astype(np.float64)
    kind, value = setting
    if kind == "threshold":
        return (p >= _at_least(value, p.dtype)).astype(np.uint8)
    if rng is None:
        raise ValueError("Bernoulli sampling needs a random generator")
    return _bernoulli(p, value, rng.random_sample(p.shape))


def step_drawer(setting, rng, shape):
    """For an autoregressive decoder (model/lstm.py's lstm-ar): draw(t, p), step t's notes of a
    batch of windows of ``shape`` (B, T, F) from its probabilities p (B, F), under ``setting``.
    The batch's uniform numbers are drawn first, in row order as ``binarize`` draws them, so the
    notes of a row do not depend on the batch size."""
    kind, value = setting
    u = rng.random_sample(shape) if kind == "temperature" else None

    def draw(t, p):
        p = np.asarray(p)
        return binarize(p, setting) if u is None else _bernoulli(p, value, u[:, t])
    return draw


def _bernoulli(p, value, u):
    """Cells with u < sigmoid(logit(p) / value), u uniform in [0, 1) of p's shape."""
    one = p.dtype.type(1)
    eps = p.dtype.type(1e-7)
    q = np.clip(p, eps, one - eps)
    logits = np.log(q)
    logits -= np.log1p(-q)
    logits /= p.dtype.type(-value)
    np.exp(logits, out=logits)
    logits += one
    sharpened = np.divide(one, logits, out=logits)  # sigmoid(logit(p) / T)
    return (u < sharpened).astype(np.uint8)


def _at_least(value, dtype):
    """The smallest number of ``dtype`` that is >= value (so that p >= it iff p >= value).

    ``float(t) >= value`` compares exactly, in float64. ``t >= value`` would not: under NumPy 2's
    promotion rules (NEP 50) a Python float meets a float32 scalar in float32, so float32(0.7),
    just below 0.7, would count as >= 0.7 and p = float32(0.7) would be kept."""
    t = dtype.type(value)
    return t if float(t) >= value else np.nextafter(t, dtype.type(np.inf))
