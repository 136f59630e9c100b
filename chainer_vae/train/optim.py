"""Adam with L2 weight decay in one pass: Chainer's ``Adam`` + ``WeightDecay`` hook, fused.

The paper's optimizer is ``chainer.optimizers.Adam`` with a ``WeightDecay(rate)`` hook, which
adds ``rate * param`` to the gradient before Adam's moments.  Chainer does that update in about
a dozen whole-array NumPy expressions per parameter, each allocating a temporary as large as the
parameter (for the MIDI model's 62 MB first-layer matrix most of a training step: see
BENCHMARKS.md).  ``Adam(l2_rate=...)`` below performs *the same floating-point operations in the same
order* (so the parameters, moments and gradients come out bit for bit equal to Chainer's,
which tests/test_optim.py checks), in place: where Numba is installed (requirements.txt) in one
compiled pass over the four arrays (``_numba_update``: 2-3.5x faster than the chunks below,
BENCHMARKS.md; loaded once a run is long enough to repay loading it, ``NUMBA_AFTER``), else on
cache-sized chunks with one scratch buffer.  Either way the same bits:
each element's arithmetic is one IEEE operation per NumPy expression, in the array's own
precision, no contraction into fused multiply-adds (Numba's default, without ``fastmath``).
``CHAINER_VAE_NUMBA=0`` in the environment keeps the NumPy chunks.

Only the CPU update of float32/float64 parameters is fused; every other case (CuPy, float16,
loss scaling, AMSGrad/AdaBound, decoupled AdamW decay, non-contiguous arrays) runs Chainer's own
``WeightDecay`` hook and ``AdamRule`` code unchanged.  The optimizer's state (``t``, ``m``,
``v``) and its serialization are Chainer's, so snapshots of either optimizer load in the other.
"""
import os

import chainer
import numpy
from chainer import optimizer as _optimizer
from chainer.optimizer_hooks import WeightDecay
from chainer.optimizers.adam import AdamRule

CHUNK = 1 << 16  # elements per chunk: 256 KB a float32 array, so a chunk's 5 arrays stay in cache


def _compile_numba():
    """The update as one compiled loop, or None where Numba is absent or turned off.  Compiled
    at the first update (about a second), then read from Numba's on-disk cache (``cache=True``)."""
    if os.environ.get("CHAINER_VAE_NUMBA", "1") == "0":
        return None
    try:
        import numba
    except ImportError:
        return None

    def update(p, g, m, v, rate, b1, b2, alpha_t, eps, neg_eta):
        for i in range(p.size):
            # One line per expression of the chunked loop below, the same operands in the same order:
            if rate:
                g[i] += p[i] * rate                             # WeightDecay: g += rate * p
            m[i] += (g[i] - m[i]) * b1                          # m += (1 - beta1) * (g - m)
            v[i] += (g[i] * g[i] - v[i]) * b2                   # v += (1 - beta2) * (g * g - v)
            p[i] += alpha_t / (numpy.sqrt(v[i]) + eps) * m[i] * neg_eta  # p += -eta * (step * m)

    # error_model="numpy": a division by zero gives inf as NumPy's does, instead of a Python
    # exception; it also lets LLVM vectorise the loop.  The scalars come in the arrays' dtype.
    try:
        return numba.njit(error_model="numpy", cache=True)(update)
    except RuntimeError:  # no writable place for Numba's cache (a read-only install): compile each run
        return numba.njit(error_model="numpy")(update)


_numba_update = "not compiled yet"
# Numba costs a process about 0.7 s to import and compile (or load from its cache); the NumPy
# form costs about 1.5 ns more per element updated.  So, as in ski rental, the NumPy form runs
# until it has updated this many elements (~0.7 s of its excess) and Numba is loaded then: a short
# run (a quick check, a test) never loads it, and no run pays more than about twice the best.
# Both give the same bits, so the switch cannot be seen in the numbers.
NUMBA_AFTER = 500_000_000
_numpy_elements = 0


class AdamL2Rule(AdamRule):
    """Chainer's AdamRule, preceded by ``grad += l2_rate * param`` (the WeightDecay hook)."""

    _scratch = None

    def _fusable(self, param):
        hp = self.hyperparam
        p, g = param.array, param.grad
        if type(p) is not numpy.ndarray or type(g) is not numpy.ndarray:
            return False
        if p.dtype not in (numpy.float32, numpy.float64) or g.dtype != p.dtype:
            return False
        if hp.amsgrad or hp.adabound or hp.weight_decay_rate != 0 or param._loss_scale is not None:
            return False
        m, v = self.state["m"], self.state["v"]
        arrays = (p, g, m, v)
        return all(type(a) is numpy.ndarray and a.flags.c_contiguous and a.shape == p.shape
                   and a.dtype == p.dtype for a in arrays)

    def update_core_cpu(self, param):
        if param.grad is None:
            return
        if not self._fusable(param):
            self._plain_weight_decay(param)
            return AdamRule.update_core_cpu(self, param)
        hp = self.hyperparam
        self._check_eps(param.dtype.type)
        rate = hp.l2_rate
        b1, b2 = 1.0 - hp.beta1, 1.0 - hp.beta2
        alpha_t, eps, neg_eta = self.alpha_t, hp.eps, -hp.eta
        p, g = param.array.reshape(-1), param.grad.reshape(-1)
        m, v = self.state["m"].reshape(-1), self.state["v"].reshape(-1)
        global _numba_update, _numpy_elements
        if isinstance(_numba_update, str) and _numpy_elements >= NUMBA_AFTER:
            _numba_update = _compile_numba()
        if callable(_numba_update):
            c = p.dtype.type  # NumPy's NEP 50: a Python float meets a float32 array in float32
            _numba_update(p, g, m, v, c(rate), c(b1), c(b2), c(alpha_t), c(eps), c(neg_eta))
            return
        n = p.size
        _numpy_elements += n
        size = min(n, CHUNK)
        if self._scratch is None or self._scratch.size < size or self._scratch.dtype != p.dtype:
            self._scratch = numpy.empty(size, dtype=p.dtype)
        for start in range(0, n, CHUNK):
            end = min(start + CHUNK, n)
            p_, g_, m_, v_ = p[start:end], g[start:end], m[start:end], v[start:end]
            t = self._scratch[:end - start]
            # Each line is one of Chainer's expressions, with the same operands in the same order:
            if rate:                                    # WeightDecay: g += rate * p
                numpy.multiply(p_, rate, out=t)
                g_ += t
            numpy.subtract(g_, m_, out=t)               # m += (1 - beta1) * (g - m)
            t *= b1
            m_ += t
            numpy.multiply(g_, g_, out=t)               # v += (1 - beta2) * (g * g - v)
            t -= v_
            t *= b2
            v_ += t
            numpy.sqrt(v_, out=t)                       # step = alpha_t / (sqrt(v) + eps)
            t += eps
            numpy.divide(alpha_t, t, out=t)
            t *= m_                                     # p += -eta * (step * m)
            t *= neg_eta
            p_ += t

    def update_core_gpu(self, param):
        if param.grad is None:
            return
        self._plain_weight_decay(param)
        return AdamRule.update_core_gpu(self, param)

    def _plain_weight_decay(self, param):
        if self.hyperparam.l2_rate:
            WeightDecay(self.hyperparam.l2_rate)(self, param)


class Adam(chainer.optimizers.Adam):
    """``chainer.optimizers.Adam`` whose rules also apply L2 weight decay (``l2_rate``) exactly
    as a ``WeightDecay(l2_rate)`` hook would, fused into the update. ``l2_rate=0``: plain Adam."""

    l2_rate = _optimizer.HyperparameterProxy("l2_rate")

    def __init__(self, alpha=0.001, l2_rate=0.0, **kwargs):
        super().__init__(alpha=alpha, **kwargs)
        self.hyperparam.l2_rate = l2_rate

    def create_update_rule(self):
        return AdamL2Rule(self.hyperparam)


def fresh_state(optimizer):
    """Make ``optimizer`` (an Adam, or ChainerMN's wrapper of one) what a newly built one would
    be: every rule's moments dropped (re-created as zeros at its next update) and its step count,
    which Adam's bias correction uses, back to 0.  Its hyperparameters (alpha, l2_rate) stay.
    The authors' notebook built a new Adam for each chunk of epochs it ran; a schedule with '|'
    (``schedules.parse_lr_schedule``) does this at the start of a piece."""
    actual = getattr(optimizer, "actual_optimizer", optimizer)
    for param in actual.target.params():
        rule = param.update_rule
        if rule is not None:
            rule._state = None  # Chainer's UpdateRule re-creates it with init_state when None
            rule.t = 0
    actual.t = 0
    return optimizer
