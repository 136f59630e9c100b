"""A faster CPU form of the paper's MLP VAE, used only where it proves itself equal to the model.

``for_training(model, x)`` is what the training loop calls once, before its first epoch.  It
returns the function each training step calls: ``model`` itself, or ``FusedVAE(model)`` -- the
same maths in fewer Chainer graph nodes -- *after* checking, on the batch ``x``, that the fused
form gives the model's own loss, KL and reconstruction term and the same gradient for every
parameter.  So an edit to ``model/mlp.py`` or ``model/vae.py`` always takes effect: the check
fails, one line says so, and training runs the model as written.  Nothing is swapped into the
model (its classes and parameters are untouched); ``--no-fused`` skips the fused form.

What is fused (NumPy arrays only; CuPy, conv and LSTM networks always run plain):
* an ``MLPEncoder`` / ``MLPDecoder`` -> one graph node each (``FusedMLP``) instead of ~4 per layer:
  the products and the ``tanh`` / ReLU expressions Chainer's ``Linear``, ``Tanh`` and ``ReLU``
  nodes and their gradient nodes evaluate, in their order.  A wide first layer (MIDI's 15,600
  inputs) multiplies over the batch's nonzero input columns only: ``x W^T`` loses exactly the
  terms ``0 * W[:, j]``.
* ``F.bernoulli_nll`` and ``F.gaussian_kl_divergence`` (``reduce='sum'``) -> one node each instead
  of 4 and 7: Chainer's expressions in Chainer's order, and the gradient its chain rule produces.
* where k = 1 and z is ``F.gaussian``'s draw (the paper's setup), the whole objective -- those
  nodes, eq. 8's draw and eq. 6's sums -- is one node, ``VAEStep``; else ``FusedVAE`` chains them.
What each saves is measured in BENCHMARKS.md.  The nodes are first-order only (double backprop
raises).  tests/test_fused.py checks each node against plain Chainer, and that an edited model
falls back to its own forward.
"""
import chainer
import chainer.functions as F
import numpy
from chainer import function_node

from chainer_vae.model.mlp import MLPDecoder, MLPEncoder
from chainer_vae.model.vae import VAELoss

SPARSE_MIN_INPUTS = 1024     # narrower first layers (MNIST's 784) keep the dense product
SPARSE_MAX_DENSITY = 0.5     # fraction of columns used above which dense is as fast


def _array(a):
    return a.array if isinstance(a, chainer.Variable) else a


def _first_order_only(name):
    if chainer.config.enable_backprop:  # i.e. backward(enable_double_backprop=True)
        raise NotImplementedError("fused.%s gives first-order gradients only; build the model "
                                  "without chainer_vae.train.fused for double backprop" % name)


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
        grads = self.grad_arrays([None if g is None else g.array for g in grad_outputs], 0 in indexes)
        return tuple(None if grads[i] is None else chainer.Variable(grads[i]) for i in indexes)

    def grad_arrays(self, gys, to_x):
        """The gradients (arrays) of x and every (W, b) for the heads' output gradients ``gys``
        (arrays or None); that of x only when ``to_x``."""
        ws, hs, L = self._ws, self._hs, self.n_layers
        grads = [None] * (1 + 2 * len(ws))
        gh = None
        for j, gy in enumerate(gys):
            if gy is None:
                continue
            k = 1 + 2 * (L + j)
            grads[k] = gy.T.dot(hs[L]).astype(gy.dtype, copy=False)    # LinearGradWeight
            grads[k + 1] = gy.sum(axis=0)
            g = gy.dot(ws[L + j]).astype(gy.dtype, copy=False)       # LinearGradData
            gh = g if gh is None else gh + g
        if gh is None:  # no head received a gradient
            return grads
        for i in range(L - 1, -1, -1):
            y = hs[i + 1]
            if self.act == "tanh":
                ga = gh * (y.dtype.type(1) - y * y)                    # TanhGrad
            else:
                ga = gh * (y > 0)                                      # ReLUGrad2
            grads[1 + 2 * i] = ga.T.dot(hs[i]).astype(ga.dtype, copy=False)
            grads[2 + 2 * i] = ga.sum(axis=0)
            if i > 0 or to_x:
                gh = ga.dot(ws[i]).astype(ga.dtype, copy=False)
        if to_x:
            grads[0] = gh.reshape(self.x_shape)
        return grads


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
        _first_order_only("bernoulli_nll")
        return chainer.Variable(self.grad_array(grad_outputs[0].array)),

    def grad_array(self, g):
        # (sigmoid(y) - x) * g as Chainer's chain rule writes it: softplus' (1 - 1 / (1 + exp(y)))
        # * g, plus the product rule's x * (-g).
        y = self._y
        g = numpy.broadcast_to(g, y.shape)
        s = numpy.exp(y)
        s += 1
        numpy.divide(1, s, out=s)
        numpy.subtract(1, s, out=s)
        s *= g
        s += self.x * -g
        return s.astype(y.dtype, copy=False)


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
        _first_order_only("gaussian_kl_divergence")
        grads = self.grad_arrays(grad_outputs[0].array)
        return tuple(chainer.Variable(g) for i, g in enumerate(grads) if i in indexes)

    def grad_arrays(self, g):
        # d/dmu = g * 0.5 * mu * 2 (as g*0.5*mu + g*0.5*mu); d/dln_var = g * 0.5 * (exp(ln_var) - 1)
        mu = self._mu
        h = numpy.broadcast_to(g * mu.dtype.type(0.5), mu.shape)
        gmu = h * mu
        gmu += gmu
        g_ln_var = h * self._var
        g_ln_var -= h
        return gmu, g_ln_var


# --------------------------------------------------------------------------- the whole objective
class VAEStep(function_node.FunctionNode):
    """``VAELoss.forward`` with k = 1 and ``F.gaussian`` sampling as one graph node: the encoder's
    FusedMLP, eq. 8's draw (F.gaussian's own: NumPy's standard normals, then mu + exp(ln_var / 2)
    * eps), the decoder's FusedMLP, BernoulliNLL, GaussianKL, and eq. 6's ``reconstr / batch +
    beta * kl / batch`` as Chainer's MulConstant and Add nodes compute them.  inputs: the encoder's
    then the decoder's (W, b) pairs; outputs: loss, reconstr, kl_penalty (per example).  The
    backward is those nodes' backward in the chain rule's order: one node instead of nine."""

    def __init__(self, model, x):
        enc, dec = model.encoder, model.decoder
        self.x, self.beta, self.n_enc = x, model.beta, 2 * (len(enc.layers) + 2)
        self.enc = FusedMLP(len(enc.layers), _ACTIVATIONS[enc.activation], x.shape, True)
        self.dec = FusedMLP(len(dec.layers), _ACTIVATIONS[dec.activation], None, False)
        self.nll, self.kl = BernoulliNLL(x), GaussianKL()

    def forward_cpu(self, inputs):
        x, f32 = self.x, self.x.dtype.type
        mu, ln_var = self.enc.forward((x,) + inputs[:self.n_enc])
        self.eps = numpy.random.standard_normal(ln_var.shape).astype(mu.dtype, copy=False)
        self.noise = numpy.exp(ln_var * f32(0.5)) * self.eps             # Gaussian.forward_cpu
        z = numpy.asarray(mu + self.noise)
        self.dec.x_shape = z.shape
        logits, = self.dec.forward((z,) + inputs[self.n_enc:])
        self.flat = logits.shape
        nll, = self.nll.forward_cpu((logits.reshape(x.shape),))
        kl, = self.kl.forward_cpu((mu, ln_var))
        inv = f32(1. / len(x))
        reconstr = numpy.asarray(inv * nll)                              # MulConstant(1 / (k batch))
        kl_penalty = numpy.asarray(inv * kl)                             # MulConstant(1 / batch)
        return numpy.asarray(reconstr + numpy.asarray(f32(self.beta) * kl_penalty)), reconstr, kl_penalty

    def backward(self, indexes, grad_outputs):
        # Chainer's backward of each node above, each constant as its MulConstant applies it (in
        # the array's dtype); where two nodes feed one variable their gradients are added (a + b
        # in either order: the same bits).
        _first_order_only("VAEStep")
        f32 = self.x.dtype.type
        g_loss, g_rec, g_kl = (None if g is None else g.array for g in grad_outputs)
        g_rec = _added(g_loss, g_rec)                                       # Add
        g_kl = _added(None if g_loss is None else f32(self.beta) * g_loss, g_kl)  # MulConstant(beta)
        inv = f32(1. / len(self.x))
        dec_grads = self.dec.grad_arrays([self.nll.grad_array(inv * g_rec).reshape(self.flat)], True)
        gz = dec_grads[0]
        gmu, glv = self.kl.grad_arrays(inv * g_kl)
        gmu = gz + gmu                                                      # Gaussian: dz/dmu = 1
        glv = (gz * self.noise) * f32(0.5) + glv                            # dz/dln_var = noise / 2
        grads = self.enc.grad_arrays([gmu, glv], False)[1:] + dec_grads[1:]
        return tuple(chainer.Variable(grads[i]) for i in indexes)


def _added(a, b):
    return b if a is None else (a if b is None else a + b)


# --------------------------------------------------------------------------- the fused model
class FusedVAE:
    """``VAELoss.forward`` (eq. 6, eq. 8) with the fused nodes above; sets and reports the same
    attributes (``loss``, ``reconstr``, ``kl_penalty``) on the model it was made from."""

    def __init__(self, model):
        self.model = model

    def __call__(self, x):
        m = self.model
        if m.k == 1 and m.sample is F.gaussian and _one_node_fits(m, x):
            params = [p for link in _links(m.encoder, (m.encoder.mu, m.encoder.ln_var)) + _links(m.decoder, (m.decoder.out,))
                      for p in (link.W, link.b)]
            m.loss, m.reconstr, m.kl_penalty = VAEStep(m, _array(x)).apply(params)
            chainer.report({"loss": m.loss, "reconstr": m.reconstr, "kl_penalty": m.kl_penalty}, m)
            return m.loss
        batch = len(x)
        mu, ln_var = _fused_mlp(m.encoder, x, (m.encoder.mu, m.encoder.ln_var)) or m.encoder(x)
        reconstr = None
        for _ in range(m.k):
            z = m.sample(mu, ln_var)
            logits = (_fused_mlp(m.decoder, z, (m.decoder.out,)) or (m.decoder(z),))[0]
            if logits.shape != x.shape:
                logits = F.reshape(logits, x.shape)
            nll = bernoulli_nll(x, logits)
            reconstr = nll if reconstr is None else reconstr + nll
        m.reconstr = reconstr / (m.k * batch)
        m.kl_penalty = gaussian_kl_divergence(mu, ln_var) / batch
        m.loss = m.reconstr + m.beta * m.kl_penalty
        chainer.report({"loss": m.loss, "reconstr": m.reconstr, "kl_penalty": m.kl_penalty}, m)
        return m.loss


def _links(chain, heads):
    return list(chain.layers) + list(heads)


def _one_node_fits(model, x):
    """VAEStep's conditions: data x and every parameter NumPy arrays of x's float dtype, with biases."""
    xa = _array(x)
    if type(xa) is not numpy.ndarray or xa.dtype.kind != "f" or (isinstance(x, chainer.Variable) and x.requires_grad):
        return False
    links = _links(model.encoder, (model.encoder.mu, model.encoder.ln_var)) + _links(model.decoder, (model.decoder.out,))
    return all(link.b is not None and type(link.W.array) is numpy.ndarray and link.W.dtype == xa.dtype
               for link in links)


def applies(model, x):
    """Whether the fused form can compute this model on this batch at all."""
    return (type(model) is VAELoss and type(model.encoder) is MLPEncoder and type(model.decoder) is MLPDecoder
            and model.xp is numpy and type(_array(x)) is numpy.ndarray
            and model.encoder.activation in _ACTIVATIONS and model.decoder.activation in _ACTIVATIONS)


def for_training(model, x, say=print):
    """The loss function for the training steps: ``FusedVAE(model)`` when it applies and proves
    equal to ``model`` on the batch x (a float32 host array), else ``model``.  The check draws its
    z samples from a saved NumPy state and restores it, so the run's draws are unchanged."""
    if not applies(model, x):
        return model
    fused = FusedVAE(model)
    problem = difference(model, fused, x)
    if problem:
        say("the model's code is not the one chainer_vae/train/fused.py fuses (%s on the first batch): "
            "training runs the model as written" % problem)
        return model
    return fused


# Tolerances of the proof: the forward is Chainer's expressions in Chainer's order (equal to the
# last bit on dense inputs; the sparse first layer of a MIDI batch sums its products in another
# order: 5e-6 relative seen in its KL), the gradients are the chain rule's in another order of
# summation (equal to float32 rounding).  An edit to the model moves them by far more.
FORWARD_RTOL, GRAD_RTOL = 1e-5, 1e-4


def difference(model, fused, x):
    """None when ``fused`` computes ``model``'s loss terms and gradients on x, else what differs."""
    state = numpy.random.get_state()
    plain = _step(model, model, x)
    numpy.random.set_state(state)
    fast = _step(model, fused, x)
    numpy.random.set_state(state)
    model.cleargrads()
    for name in ("loss", "reconstr", "kl_penalty"):
        a, b = plain[name], fast[name]
        if not numpy.allclose(a, b, rtol=FORWARD_RTOL, atol=0):
            return "%s %.6g as written, %.6g fused" % (name, a, b)
    for name, g in plain["grads"].items():
        h = fast["grads"][name]
        scale = max(float(numpy.abs(g).max()), 1e-30)
        if g.shape != h.shape or float(numpy.abs(g - h).max()) > GRAD_RTOL * scale:
            return "the gradient of %s" % name
    return None


def _step(model, forward, x):
    model.cleargrads()
    with chainer.using_config("type_check", False):
        loss = forward(x)
        loss.backward()
    out = {name: float(getattr(model, name).array) for name in ("reconstr", "kl_penalty")}
    out["loss"] = float(loss.array)  # what the step returns: the value training minimizes
    out["grads"] = {name: p.grad.copy() for name, p in model.namedparams() if p.grad is not None}
    return out
