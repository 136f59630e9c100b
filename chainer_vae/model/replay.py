"""``VAELoss(static_graph=True)``: CPU training steps replayed by Chainer's own ``chainer.static_graph``.

Opt-in speed (BENCHMARKS.md, "chainer.static_graph"): Chainer traces ``VAELoss.objective`` once per
batch shape and then replays its forward and backward schedules without rebuilding the graph
(MNIST epoch 0.80x the plain model's; MIDI, whose step is arithmetic, the same).  A replay equals
the model as written only where every function keeps nothing from the step it was traced on.  So
after a schedule's first step (its trace and its backward) every function in its forward and
backward schedules is checked against ``SAFE``, Chainer functions audited for that (each reads its
inputs, arrays the schedule refreshes in place, and constants); anything else -- F.clip (its
backward fixes its mask at the traced step), F.dropout, an F.gaussian not fed by the schedule's
own draw, an unknown function -- and the model trains on its plain graph from the next step on
(the first step is exact either way: its trace is made from its own values).
tests/test_static_graph.py holds the replay to the plain model bit for bit.

What no check can see: Python in the objective that reads values or state (``if float(kl.array)
> ...``, a step counter, NumPy random numbers) runs once, at the trace.  Hence off by default.
"""
import contextlib
import io

import chainer
import chainer.functions as F
import numpy
from chainer.functions.activation.leaky_relu import LeakyReLU, _LeakyReLUGrad
from chainer.functions.activation.relu import ReLU, ReLUGrad2
from chainer.functions.activation.softplus import Softplus, SoftplusGrad
from chainer.functions.activation.tanh import Tanh, TanhGrad
from chainer.functions.array.broadcast import BroadcastTo
from chainer.functions.array.reshape import Reshape
from chainer.functions.connection.linear import LinearFunction, LinearGradData, LinearGradWeight
from chainer.functions.math import basic_math
from chainer.functions.math.exponential import Exp
from chainer.functions.math.sum import Sum
from chainer.functions.noise.gaussian import Gaussian
from chainer.graph_optimizations import static_graph as _static_graph_module

# Audited: each class's forward reads only its inputs, constants set at construction, and (ReLUGrad2,
# _LeakyReLUGrad, TanhGrad) the retained array of its forward, which the schedule rewrites in place.  Gaussian is
# safe only with the eps array of the schedule's own draw (checked separately).  Exact classes only.
SAFE = frozenset([
    LinearFunction, LinearGradData, LinearGradWeight, Tanh, TanhGrad, ReLU, ReLUGrad2,
    LeakyReLU, _LeakyReLUGrad,
    Softplus, SoftplusGrad, Exp, Sum, BroadcastTo, Reshape, Gaussian,
    basic_math.Add, basic_math.AddConstant, basic_math.Sub, basic_math.Mul, basic_math.MulConstant,
    basic_math.Neg, basic_math.MultiAdd,
])


def replayable(model, x):
    """Whether this forward call may run on a static schedule: opted in, a CPU training step with
    F.gaussian as the sampler (MPI's sharded sampler is not replayed), and every schedule that has
    run so far checked safe.  A schedule whose step had no backward cannot be checked: plain from
    then on."""
    if not (model.static_graph and type(x) is numpy.ndarray and model.sample is F.gaussian
            and chainer.config.train and chainer.config.enable_backprop):
        return False
    if getattr(model, "reads_x", False):  # an autoregressive decoder draws its step dropout in
        return False                      # Python (model/lstm.py): a trace would freeze the mask
    checked = model.__dict__.setdefault("_replay_checked", set())
    if None in checked:
        return False
    manager = getattr(model, "schedule_manager", None)
    for schedules in (manager.schedules.values() if manager is not None else ()):
        for schedule in schedules:
            if id(schedule) not in checked:
                if schedule.backward_schedule_func is None or not _safe(schedule):
                    checked.add(None)  # the plain graph for good
                    return False
                checked.add(id(schedule))
    return True


def step(model, x):
    """(loss, reconstr, kl_penalty) of the batch x through the model's static schedule."""
    if _static_graph_module.__dict__.get("print") is not _quiet:
        _static_graph_module.print = _quiet  # its schedule builder prints on every new schedule
    model._replay_x = x
    with contextlib.redirect_stdout(io.StringIO()):
        loss = _objective(model, numpy.asarray(model.beta, x.dtype))
    reconstr, kl_penalty = model.static_schedule.vae_terms
    model._replay_x = None
    return loss, chainer.Variable(reconstr.copy()), chainer.Variable(kl_penalty.copy())


@chainer.static_graph
def _objective(model, beta):
    # Traced once per batch shape, then replayed.  The batch is loaded inside the schedule (an input
    # would get a gradient every step); beta is an input (annealing reaches it); the loss is the
    # only output (the static backward refuses outputs without a gradient), the terms are copied out.
    x = numpy.empty(model._replay_x.shape, model._replay_x.dtype)
    _load(model, outputs=[x])
    loss, reconstr, kl_penalty = model.objective(x, beta, _gaussian)
    model.static_schedule.vae_terms = numpy.empty((), reconstr.dtype), numpy.empty((), kl_penalty.dtype)
    _copy(inputs=[reconstr.array, kl_penalty.array], outputs=list(model.static_schedule.vae_terms))
    return loss


def _gaussian(mu, ln_var):
    """F.gaussian with its eps drawn by the schedule (F.gaussian alone keeps its first draw)."""
    eps = numpy.empty(mu.shape, mu.dtype)
    _draw(outputs=[eps])
    return F.gaussian(mu, ln_var, eps=eps)


def _load_code(model, outputs):
    outputs[0][...] = model._replay_x


def _copy_code(inputs, outputs):
    for a, b in zip(inputs, outputs):
        b[...] = a


def _draw_code(outputs):
    # F.gaussian's own draw (standard normal, cast to the mean's dtype), redrawn at every replay.
    # The draw made while tracing is undone: the replay right after it makes the step's one draw.
    eps, = outputs
    tracing = chainer.config.schedule_func is not None
    state = numpy.random.get_state() if tracing else None
    eps[...] = numpy.random.standard_normal(eps.shape)
    if tracing:
        numpy.random.set_state(state)


_load, _copy, _draw = (chainer.static_code(f) for f in (_load_code, _copy_code, _draw_code))
OURS = (_load_code, _copy_code, _draw_code)


def _safe(schedule):
    infos = schedule.schedule_info_list + schedule.backward_schedule_func.schedule_info_list
    eps = [schedule.unique_arrays[u] for info in infos if info.func is _draw_code
           for _, u in info.outputs_hooks]
    for info in infos:
        node = info.function_node
        if node is None:
            if info.func not in OURS:
                return False
        elif type(node) not in SAFE:
            return False
        elif type(node) is Gaussian and not any(node.eps is a for a in eps):
            return False
    return True


def _quiet(*args, **kwargs):
    pass
