"""Faster CPU forms of four pieces of the model, each the *same maths* as Chainer's own.

* ``linear(link, x)``: ``link(x)`` (an ``L.Linear``) computed over the columns of x that are not
  all zero in the batch.  ``x W^T = sum_j x[:, j] W[:, j]`` and ``gW = gy^T x`` are unchanged by
  dropping columns j where x is zero for every example (their terms are exactly 0), so the
  result is exact for any x; it pays off for the MIDI windows (~1.4% ones, ~25% of the 15600
  columns used by a batch of 32): the forward product runs over those columns only.  Used only
  for a NumPy input that needs no gradient, when at most ``SPARSE_MAX_DENSITY`` of the columns
  are used.
* ``bernoulli_nll(x, y)`` and ``gaussian_kl_divergence(mu, ln_var)``: Chainer's functions of
  the same names (``reduce='sum'``) as one graph node each instead of 4 and 7.  The forward
  evaluates Chainer's expressions in Chainer's order (bit-for-bit equal); the backward the
  analytic gradients Chainer's chain rule produces (equal to float rounding).
* ``mlp(layers, activation, x, heads)``: an MLP (``L.Linear`` layers, each followed by tanh or
  ReLU, then one or more ``L.Linear`` heads) as one graph node instead of ~4 nodes a layer.  Its
  forward and backward are the products and elementwise expressions Chainer's Linear, Tanh and
  ReLU nodes evaluate, in their order (bit-for-bit equal on dense input); only Chainer's
  per-node bookkeeping (a few tens of microseconds per node and step) is gone.  The first layer
  uses the column-sparse product above when it pays.

``ENABLED = False`` turns them all back into the plain Chainer calls (tests compare the two).
These fused nodes give first-order gradients only; double backprop raises.
CuPy arrays always take the plain Chainer path.
"""
import chainer
import chainer.functions as F
import numpy
from chainer import function_node

ENABLED = True
SPARSE_MIN_INPUTS = 1024     # narrower layers (MNIST's 784) keep the dense product
SPARSE_MAX_DENSITY = 0.5     # fraction of columns used above which dense is as fast
SCATTER_MAX_DENSITY = 0.05   # gW: scatter the k columns below this fraction, else dense product


def _is_numpy(a):
    return isinstance(a, numpy.ndarray)


# --------------------------------------------------------------------------- sparse first layer
def linear(link, x):
    """``link(x)`` for an ``L.Linear`` link; over x's nonzero columns when that is faster."""
    if not ENABLED or isinstance(x, chainer.Variable) or not _is_numpy(x) \
            or link.W.array is None or not _is_numpy(link.W.array):
        return link(x)
    x2 = x.reshape(len(x), -1)
    n_in = x2.shape[1]
    if n_in < SPARSE_MIN_INPUTS or x2.dtype != link.W.dtype:
        return link(x)
    cols = numpy.flatnonzero(x2.any(axis=0))
    if len(cols) > SPARSE_MAX_DENSITY * n_in:
        return link(x)
    inputs = (x2, link.W) if link.b is None else (x2, link.W, link.b)
    y, = ColumnSparseLinear(cols).apply(inputs)
    return y


class ColumnSparseLinear(function_node.FunctionNode):
    """y = x W^T (+ b) using only the columns ``cols`` of x (all others are zero in x)."""

    def __init__(self, cols):
        self.cols = cols

    def forward(self, inputs):
        x, W = inputs[:2]
        self._x = x
        self._xs = x.take(self.cols, axis=1)                # (batch, k)
        y = self._xs.dot(W.take(self.cols, axis=1).T)       # (batch, out)
        if len(inputs) == 3:
            y += inputs[2]
        self._w_shape = W.shape
        return y.astype(x.dtype, copy=False),

    def backward(self, indexes, grad_outputs):
        gy, = grad_outputs
        ret = []
        for i in indexes:
            if i == 0:  # fast.linear passes data arrays only, which never need a gradient
                raise RuntimeError("ColumnSparseLinear computes no gradient for its input x")
            elif i == 1:
                ret.append(_ColumnGrad(self.cols, self._x, self._xs, self._w_shape).apply((gy,))[0])
            else:
                ret.append(F.sum(gy, axis=0))
        return ret


class _ColumnGrad(function_node.FunctionNode):
    """gW = gy^T x.  When few columns are used: zeros except gW[:, cols] = gy^T x[:, cols].  NumPy's
    scattered column writes cost more than the dense product beyond ~5% of the columns (the
    lute batches use ~25%), so then it is the dense product, as Chainer's Linear computes it."""

    def __init__(self, cols, x, xs, w_shape):
        self.cols, self.x, self.xs, self.w_shape = cols, x, xs, w_shape

    def forward(self, inputs):
        gy, = inputs
        if len(self.cols) > SCATTER_MAX_DENSITY * self.w_shape[1]:
            return gy.T.dot(self.x).astype(gy.dtype, copy=False),
        gW = numpy.zeros(self.w_shape, dtype=gy.dtype)
        gW[:, self.cols] = gy.T.dot(self.xs)
        return gW,

    def backward(self, indexes, grad_outputs):
        raise NotImplementedError("ColumnSparseLinear supports first-order gradients only "
                                  "(set chainer_vae.fast.ENABLED = False for double backprop)")


# --------------------------------------------------------------------------- objective terms
def bernoulli_nll(x, y):
    """``F.bernoulli_nll(x, y, reduce='sum')``: -sum log Bernoulli(x | sigmoid(y))."""
    xa = x.array if isinstance(x, chainer.Variable) else x
    if not ENABLED or not _is_numpy(xa) or (isinstance(x, chainer.Variable) and x.requires_grad):
        return F.bernoulli_nll(x, y)
    return BernoulliNLLSum(xa).apply((y,))[0]


class BernoulliNLLSum(function_node.FunctionNode):
    """sum(softplus(y) - x * y) for data x (no gradient to x)."""

    def __init__(self, x):
        self.x = x

    def forward_cpu(self, inputs):
        y, = inputs
        self.retain_inputs((0,))
        # Chainer's Softplus (beta 1): (fmax(y, 0) + log1p(exp(-|y|))) * 1, then - x * y, summed.
        t = numpy.abs(y)                    # fabs and abs give the same values
        numpy.negative(t, out=t)
        numpy.exp(t, out=t)
        numpy.log1p(t, out=t)
        t += numpy.fmax(y, 0)               # fmax(y, 0) + log1p(...): a + b == b + a exactly
        t -= self.x * y
        return numpy.asarray(t.sum(), dtype=y.dtype),

    def backward(self, indexes, grad_outputs):
        y, = self.get_retained_inputs()
        gy, = grad_outputs
        return _BernoulliNLLGrad(self.x).apply((y, gy))


class _BernoulliNLLGrad(function_node.FunctionNode):
    """d/dy sum(softplus(y) - x y) * g = (sigmoid(y) - x) * g, as Chainer's chain rule writes it:
    softplus' (1 - 1 / (1 + exp(y))) * g plus the product rule's x * (-g)."""

    def __init__(self, x):
        self.x = x

    def forward_cpu(self, inputs):
        y, gy = inputs
        g = numpy.broadcast_to(gy, y.shape)
        s = numpy.exp(y)
        s += 1
        numpy.divide(1, s, out=s)
        numpy.subtract(1, s, out=s)
        s *= g
        s += self.x * -g
        return s.astype(y.dtype, copy=False),

    def backward(self, indexes, grad_outputs):
        raise NotImplementedError("fast.bernoulli_nll supports first-order gradients only "
                                  "(set chainer_vae.fast.ENABLED = False for double backprop)")


def gaussian_kl_divergence(mu, ln_var):
    """``F.gaussian_kl_divergence(mu, ln_var, reduce='sum')``: KL(N(mu, exp(ln_var)) || N(0, I))."""
    a = mu.array if isinstance(mu, chainer.Variable) else mu
    if not ENABLED or not _is_numpy(a):
        return F.gaussian_kl_divergence(mu, ln_var)
    return GaussianKLSum().apply((mu, ln_var))[0]


class GaussianKLSum(function_node.FunctionNode):
    """sum((mu * mu + exp(ln_var) - ln_var - 1) * 0.5)."""

    def forward_cpu(self, inputs):
        mu, ln_var = inputs
        var = numpy.exp(ln_var)
        self.retain_inputs((0,))
        self._var = var
        t = mu * mu
        t += var
        t -= ln_var
        t -= 1
        t *= 0.5
        return numpy.asarray(t.sum(), dtype=mu.dtype),

    def backward(self, indexes, grad_outputs):
        mu, = self.get_retained_inputs()
        gy, = grad_outputs
        return _GaussianKLGrad(self._var).apply((mu, gy))


class _GaussianKLGrad(function_node.FunctionNode):
    """d/dmu = g * 0.5 * mu * 2 (as g*0.5*mu + g*0.5*mu); d/dln_var = g * 0.5 * (exp(ln_var) - 1)."""

    def __init__(self, var):
        self.var = var

    def forward_cpu(self, inputs):
        mu, gy = inputs
        h = numpy.broadcast_to(gy * mu.dtype.type(0.5), mu.shape)
        gmu = h * mu
        gmu += gmu
        g_ln_var = h * self.var
        g_ln_var -= h
        return gmu, g_ln_var

    def backward(self, indexes, grad_outputs):
        raise NotImplementedError("fast.gaussian_kl_divergence supports first-order gradients only "
                                  "(set chainer_vae.fast.ENABLED = False for double backprop)")


# --------------------------------------------------------------------------- fused MLP
_ACTIVATIONS = {F.tanh: "tanh", F.relu: "relu"}


def mlp(layers, activation, x, heads):
    """``h = activation(layer(h))`` for each layer, then ``[head(h) for head in heads]``, as one
    node; returns None when the fused path does not apply (the caller runs the plain links)."""
    act = _ACTIVATIONS.get(activation)
    xa = x.array if isinstance(x, chainer.Variable) else x
    links = list(layers) + list(heads)
    if not ENABLED or act is None or not _is_numpy(xa) or not links:
        return None
    params = []
    for link in links:
        if link.W.array is None or link.b is None or not _is_numpy(link.W.array) \
                or link.W.dtype != xa.dtype:
            return None
        params += [link.W, link.b]
    node = FusedMLP(len(layers), len(heads), act, xa.shape)
    return node.apply((x,) + tuple(params))


class FusedMLP(function_node.FunctionNode):
    """inputs: x, then (W, b) per layer, then (W, b) per head; outputs: one array per head."""

    def __init__(self, n_layers, n_heads, act, x_shape):
        self.n_layers, self.n_heads, self.act, self.x_shape = n_layers, n_heads, act, x_shape

    def forward(self, inputs):
        x = inputs[0].reshape(self.x_shape[0], -1)
        ws = inputs[1::2]
        bs = inputs[2::2]
        self._ws = ws
        self.cols = None
        hs = [x]  # hs[i]: the input of layer i; hs[-1]: the input of the heads
        h = x
        for i in range(self.n_layers):
            W, b = ws[i], bs[i]
            if i == 0 and not self.inputs_require_grad_0 and h.shape[1] >= SPARSE_MIN_INPUTS:
                cols = numpy.flatnonzero(h.any(axis=0))
                if len(cols) <= SPARSE_MAX_DENSITY * h.shape[1]:
                    self.cols, self._xs = cols, h.take(cols, axis=1)
            if i == 0 and self.cols is not None:
                a = self._xs.dot(W.take(self.cols, axis=1).T).astype(h.dtype, copy=False)
            else:
                a = h.dot(W.T).astype(h.dtype, copy=False)     # Chainer's Linear: x W^T, + b
            a += b
            if self.act == "tanh":
                h = numpy.tanh(a)                              # Chainer's Tanh
            else:
                h = numpy.maximum(a, 0, dtype=a.dtype)         # Chainer's ReLU
            hs.append(h)
        self._hs = hs
        outs = []
        for j in range(self.n_heads):
            W, b = ws[self.n_layers + j], bs[self.n_layers + j]
            y = h.dot(W.T).astype(h.dtype, copy=False)
            y += b
            outs.append(y)
        return tuple(outs)

    def apply(self, inputs):
        x = inputs[0]
        self.inputs_require_grad_0 = isinstance(x, chainer.Variable) and x.requires_grad
        return super().apply(inputs)

    def backward(self, indexes, grad_outputs):
        if chainer.config.enable_backprop:
            raise NotImplementedError("fast.mlp supports first-order gradients only "
                                      "(set chainer_vae.fast.ENABLED = False for double backprop)")
        ws, hs, L = self._ws, self._hs, self.n_layers
        grads = [None] * (1 + 2 * (L + self.n_heads))
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
            k = 1 + 2 * i
            if i == 0 and self.cols is not None:
                if len(self.cols) <= SCATTER_MAX_DENSITY * hs[0].shape[1]:
                    gW = numpy.zeros(ws[0].shape, dtype=ga.dtype)
                    gW[:, self.cols] = ga.T.dot(self._xs)
                    grads[k] = gW
                else:
                    grads[k] = ga.T.dot(hs[0]).astype(ga.dtype, copy=False)
            else:
                grads[k] = ga.T.dot(hs[i]).astype(ga.dtype, copy=False)
            grads[k + 1] = ga.sum(axis=0)
            if i > 0 or 0 in indexes:
                gh = ga.dot(ws[i]).astype(ga.dtype, copy=False)
        if 0 in indexes:
            grads[0] = gh.reshape(self.x_shape)
        return tuple(None if grads[i] is None else chainer.Variable(grads[i]) for i in indexes)
