"""Faster CPU forms of the model's own maths, chosen at one place: ``use_for_cpu(model)``.

The model files (``nets/mlp.py``, ``vae.py``) are plain Chainer and know nothing of this
module.  ``training.make_optimizer`` calls ``use_for_cpu`` when it builds the optimizer; for a
model whose parameters are NumPy arrays it switches these Chains to the subclasses below (same
parameters, same snapshots; the switch is of the class only):

* ``MLPEncoder`` / ``MLPDecoder`` -> one graph node each (``FusedMLP``) instead of ~4 per layer:
  the products and the ``tanh`` / ReLU expressions Chainer's ``Linear``, ``Tanh`` and ``ReLU``
  nodes and their gradient nodes evaluate, in their order (bit-for-bit equal on dense input).
  A wide first layer (MIDI's 15600 inputs) multiplies over the batch's nonzero input columns
  only: ``x W^T`` loses exactly the terms ``0 * W[:, j]``, so it is exact for any x.
* ``VAELoss``'s ``F.bernoulli_nll`` and ``F.gaussian_kl_divergence`` (``reduce='sum'``) -> one
  node each instead of 4 and 7: Chainer's expressions in Chainer's order (forward bit-for-bit),
  and the gradient its chain rule produces (equal to rounding).

Only Chainer's per-node bookkeeping is gone; what each saves is measured in BENCHMARKS.md.  The
nodes are first-order only (double backprop raises); CuPy arrays take the plain path.  The
Adam update has its own seam, the optimizer (``train/optim.py``).  tests/test_speed.py checks each
form against the plain one, and three whole training steps against plain Chainer.
"""
import chainer
import chainer.functions as F
import numpy
from chainer import function_node

from chainer_vae.model import vae
from chainer_vae.model import mlp

SPARSE_MIN_INPUTS = 1024     # narrower first layers (MNIST's 784) keep the dense product
SPARSE_MAX_DENSITY = 0.5     # fraction of columns used above which dense is as fast


def _array(a):
    return a.array if isinstance(a, chainer.Variable) else a


def _first_order_only(name):
    if chainer.config.enable_backprop:  # i.e. backward(enable_double_backprop=True)
        raise NotImplementedError("speed.%s gives first-order gradients only; build the model "
                                  "without chainer_vae.train.fused for double backprop" % name)


# --------------------------------------------------------------------------- the seam
def use_for_cpu(model):
    """Switch model's MLPs and loss to the faster forms of the same maths when its parameters are
    NumPy arrays (a CPU run); otherwise leave it as it is.  Returns model."""
    if model.xp is numpy:
        for link in model.links():
            fast = FAST_FORMS.get(type(link))
            if fast is not None:
                link.__class__ = fast
    return model


# --------------------------------------------------------------------------- fused MLP
class FastMLPEncoder(mlp.MLPEncoder):
    def forward(self, x):
        out = _fused_mlp(self, x, (self.mu, self.ln_var))
        return super().forward(x) if out is None else out


class FastMLPDecoder(mlp.MLPDecoder):
    def forward(self, z):
        out = _fused_mlp(self, z, (self.out,))
        return super().forward(z) if out is None else out[0]


_ACTIVATIONS = {F.tanh: "tanh", F.relu: "relu"}


def _fused_mlp(chain, x, heads):
    """chain.layers then heads as one FusedMLP node, or None where it does not apply."""
    act = _ACTIVATIONS.get(chain.activation)
    xa = _array(x)
    links = list(chain.layers) + list(heads)
    if act is None or type(xa) is not numpy.ndarray:
        return None
    params = []
    for link in links:
        if link.b is None or type(link.W.array) is not numpy.ndarray or link.W.dtype != xa.dtype:
            return None
        params += [link.W, link.b]
    data = not (isinstance(x, chainer.Variable) and x.requires_grad)
    return FusedMLP(len(chain.layers), act, xa.shape, data).apply((x,) + tuple(params))


class FusedMLP(function_node.FunctionNode):
    """inputs: x, then (W, b) per layer, then (W, b) per head; outputs: one array per head."""

    def __init__(self, n_layers, act, x_shape, data):
        self.n_layers, self.act, self.x_shape, self.data = n_layers, act, x_shape, data

    def forward(self, inputs):
        h = inputs[0].reshape(self.x_shape[0], -1)
        ws, bs = inputs[1::2], inputs[2::2]
        self._ws, self._hs = ws, [h]  # _hs[i]: the input of layer i; _hs[-1]: the heads' input
        for i in range(self.n_layers):
            if i == 0 and self.data and h.shape[1] >= SPARSE_MIN_INPUTS:
                cols = numpy.flatnonzero(h.any(axis=0))
                if len(cols) <= SPARSE_MAX_DENSITY * h.shape[1]:
                    a = h.take(cols, axis=1).dot(ws[0].take(cols, axis=1).T)
                else:
                    a = h.dot(ws[0].T)
            else:
                a = h.dot(ws[i].T)                             # Chainer's Linear: x W^T, + b
            a = a.astype(h.dtype, copy=False)
            a += bs[i]
            if self.act == "tanh":
                h = numpy.tanh(a)                              # Chainer's Tanh
            else:
                h = numpy.maximum(a, 0, dtype=a.dtype)         # Chainer's ReLU
            self._hs.append(h)
        outs = []
        for W, b in zip(ws[self.n_layers:], bs[self.n_layers:]):
            y = h.dot(W.T).astype(h.dtype, copy=False)
            y += b
            outs.append(y)
        return tuple(outs)

    def backward(self, indexes, grad_outputs):
        _first_order_only("FusedMLP")
        ws, hs, L = self._ws, self._hs, self.n_layers
        grads = [None] * (1 + 2 * len(ws))
        gh = None
        for j, gy in enumerate(grad_outputs):
            if gy is None:
                continue
            gy = gy.array
            k = 1 + 2 * (L + j)
            grads[k] = gy.T.dot(hs[L]).astype(gy.dtype, copy=False)    # LinearGradWeight
            grads[k + 1] = gy.sum(axis=0)
            g = gy.dot(ws[L + j]).astype(gy.dtype, copy=False)       # LinearGradData
            gh = g if gh is None else gh + g
        if gh is None:  # no head received a gradient
            return tuple(None for _ in indexes)
        for i in range(L - 1, -1, -1):
            y = hs[i + 1]
            if self.act == "tanh":
                ga = gh * (y.dtype.type(1) - y * y)                    # TanhGrad
            else:
                ga = gh * (y > 0)                                      # ReLUGrad2
            grads[1 + 2 * i] = ga.T.dot(hs[i]).astype(ga.dtype, copy=False)
            grads[2 + 2 * i] = ga.sum(axis=0)
            if i > 0 or 0 in indexes:
                gh = ga.dot(ws[i]).astype(ga.dtype, copy=False)
        if 0 in indexes:
            grads[0] = gh.reshape(self.x_shape)
        return tuple(None if grads[i] is None else chainer.Variable(grads[i]) for i in indexes)


# --------------------------------------------------------------------------- loss terms
def bernoulli_nll(x, y):
    """``F.bernoulli_nll(x, y, reduce='sum')`` as one node for data x (no gradient to x)."""
    xa = _array(x)
    if type(xa) is not numpy.ndarray or (isinstance(x, chainer.Variable) and x.requires_grad):
        return F.bernoulli_nll(x, y)
    return BernoulliNLL(xa).apply((y,))[0]


class BernoulliNLL(function_node.FunctionNode):
    """sum(softplus(y) - x * y)."""

    def __init__(self, x):
        self.x = x

    def forward_cpu(self, inputs):
        y, = inputs
        self._y = y
        # Chainer's Softplus (beta 1): (fmax(y, 0) + log1p(exp(-|y|))) * 1, then - x * y, summed.
        t = numpy.abs(y)                    # fabs and abs give the same values
        numpy.negative(t, out=t)
        numpy.exp(t, out=t)
        numpy.log1p(t, out=t)
        t += numpy.fmax(y, 0)               # fmax(y, 0) + log1p(...): a + b == b + a exactly
        t -= self.x * y
        return numpy.asarray(t.sum(), dtype=y.dtype),

    def backward(self, indexes, grad_outputs):
        # (sigmoid(y) - x) * g as Chainer's chain rule writes it: softplus' (1 - 1 / (1 + exp(y)))
        # * g, plus the product rule's x * (-g).
        _first_order_only("bernoulli_nll")
        y = self._y
        g = numpy.broadcast_to(grad_outputs[0].array, y.shape)
        s = numpy.exp(y)
        s += 1
        numpy.divide(1, s, out=s)
        numpy.subtract(1, s, out=s)
        s *= g
        s += self.x * -g
        return chainer.Variable(s.astype(y.dtype, copy=False)),


def gaussian_kl_divergence(mu, ln_var):
    """``F.gaussian_kl_divergence(mu, ln_var, reduce='sum')``: KL(N(mu, exp(ln_var)) || N(0, I))."""
    if type(_array(mu)) is not numpy.ndarray:
        return F.gaussian_kl_divergence(mu, ln_var)
    return GaussianKL().apply((mu, ln_var))[0]


class GaussianKL(function_node.FunctionNode):
    """sum((mu * mu + exp(ln_var) - ln_var - 1) * 0.5)."""

    def forward_cpu(self, inputs):
        mu, ln_var = inputs
        self._mu, self._var = mu, numpy.exp(ln_var)
        t = mu * mu
        t += self._var
        t -= ln_var
        t -= 1
        t *= 0.5
        return numpy.asarray(t.sum(), dtype=mu.dtype),

    def backward(self, indexes, grad_outputs):
        # d/dmu = g * 0.5 * mu * 2 (as g*0.5*mu + g*0.5*mu); d/dln_var = g * 0.5 * (exp(ln_var) - 1)
        _first_order_only("gaussian_kl_divergence")
        mu = self._mu
        h = numpy.broadcast_to(grad_outputs[0].array * mu.dtype.type(0.5), mu.shape)
        gmu = h * mu
        gmu += gmu
        g_ln_var = h * self._var
        g_ln_var -= h
        return tuple(chainer.Variable(g) for i, g in enumerate((gmu, g_ln_var)) if i in indexes)


class FastVAELoss(vae.VAELoss):
    bernoulli_nll = staticmethod(bernoulli_nll)
    gaussian_kl_divergence = staticmethod(gaussian_kl_divergence)


FAST_FORMS = {mlp.MLPEncoder: FastMLPEncoder, mlp.MLPDecoder: FastMLPDecoder,
              vae.VAELoss: FastVAELoss}
