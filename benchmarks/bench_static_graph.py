"""Chainer's own ``chainer.static_graph`` on the paper's objective: is it exact, for the paper's model
and for an edited one, and how fast is an epoch (interleaved with the plain define-by-run model)?

    python benchmarks/bench_static_graph.py            # exactness (3 epochs), MNIST 8,000 ex. and MIDI 320 windows
    python benchmarks/bench_static_graph.py --quick    # exactness (1 epoch) and one short round each

Not the project's code path (BENCHMARKS.md, "chainer.static_graph", says why it was not wired
in): ``StaticVAE`` below is ``VAELoss`` whose training steps replay Chainer's trace of the same
objective.  What it needs beyond the decorator: z's eps drawn by a ``static_code`` function into
an array that F.gaussian reads (F.gaussian alone keeps its first draw at every replay; the draw
made while tracing is undone, so the RNG stream is plain Chainer's), beta passed as an input
(annealing), the batch loaded inside the schedule (as an input, x would get a gradient every
step), and the loss the only output (the static backward refuses outputs without a gradient;
the two terms are copied out).
"""
import common

THREADS = common.setup_threads()

import contextlib  # noqa: E402
import io  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402

warnings.filterwarnings("ignore", message="pkg_resources is deprecated")

import chainer_vae  # noqa: E402,F401
import chainer  # noqa: E402
import chainer.functions as F  # noqa: E402
import numpy as np  # noqa: E402

import bench_midi_epoch  # noqa: E402
from chainer.graph_optimizations import static_graph as static_graph_module  # noqa: E402
import bench_mnist_epoch  # noqa: E402
from chainer_vae.model import make_decoder, make_encoder, mlp  # noqa: E402
from chainer_vae.model.vae import VAELoss  # noqa: E402
from chainer_vae.train import loop  # noqa: E402


@chainer.static_code
def _draw_eps(outputs):
    eps, = outputs
    tracing = chainer.config.schedule_func is not None
    state = np.random.get_state() if tracing else None
    eps[...] = np.random.standard_normal(eps.shape)  # F.gaussian's draw, cast to the mean's dtype
    if tracing:  # the replay right after the trace makes the step's one draw
        np.random.set_state(state)


@chainer.static_code
def _load(chain, outputs):
    outputs[0][...] = chain._x  # this step's batch (an array in ``inputs`` would stay the first one)


@chainer.static_code
def _copy(inputs, outputs):
    for a, b in zip(inputs, outputs):
        b[...] = a


class StaticVAE(VAELoss):
    """VAELoss whose CPU training steps replay a static schedule of VAELoss.forward's objective
    (the same lines, with the eps draw above)."""

    def forward(self, x):
        if not (chainer.config.train and chainer.config.enable_backprop):
            return VAELoss.forward(self, x)
        self._x = x
        with contextlib.redirect_stdout(io.StringIO()):
            loss = self._replay(np.asarray(self.beta, np.float32))
        terms = self.static_schedule.terms
        self.loss = loss
        self.reconstr, self.kl_penalty = (chainer.Variable(t.copy()) for t in terms)
        return loss

    @chainer.static_graph
    def _replay(self, beta):
        x = np.empty(self._x.shape, np.float32)
        _load(self, outputs=[x])
        batch = len(x)
        mu, ln_var = self.encoder(x)
        eps = np.empty(mu.shape, mu.dtype)
        _draw_eps(outputs=[eps])
        z = F.gaussian(mu, ln_var, eps=eps)  # eq. 8
        logits = self.decoder(z)
        if logits.shape != x.shape:
            logits = F.reshape(logits, x.shape)
        reconstr = F.bernoulli_nll(x, logits) / batch
        kl_penalty = F.gaussian_kl_divergence(mu, ln_var) / batch
        self.static_schedule.terms = (np.empty((), np.float32), np.empty((), np.float32))
        _copy(inputs=[reconstr.array, kl_penalty.array], outputs=list(self.static_schedule.terms))
        return reconstr + beta * kl_penalty


# Its schedule builder prints on every new schedule, the backward one inside loss.backward().
static_graph_module.print = lambda *args, **kwargs: None


def build(cls, data):
    np.random.seed(0)
    n_latent = 2 if data == "mnist" else 20
    return cls(make_encoder("mlp", data, n_latent), make_decoder("mlp", data, n_latent))


def clip_ln_var():
    """The closed-core issue's example edit (tests/test_edits.py): ln_var clipped to [-1, 1]."""
    forward = mlp.MLPEncoder.forward

    def clipped(self, x):
        mu, ln_var = forward(self, x)
        return mu, F.clip(ln_var, -1.0, 1.0)
    mlp.MLPEncoder.forward = clipped
    return lambda: setattr(mlp.MLPEncoder, "forward", forward)


def exactness(epochs, edit=None):
    """Train plain and static side by side (the loop's per-epoch seeds); the largest relative
    difference of any parameter after ``epochs`` epochs (0.0: bit for bit)."""
    from chainer_vae.data.mnist_fallback import read_shipped
    x, _ = read_shipped()
    x = (x[:640] / np.float32(255)).astype(np.float32)
    undo = edit() if edit else None
    try:
        models = {cls: build(cls, "mnist") for cls in (VAELoss, StaticVAE)}
        opts = {cls: loop.make_optimizer(m, 1e-3, 5e-4) for cls, m in models.items()}
        for epoch in range(1, epochs + 1):
            for cls, m in models.items():
                np.random.seed(epoch)
                loop.train_epoch(m, opts[cls], x, 32)
    finally:
        if undo:
            undo()
    plain, static = (dict(models[c].namedparams()) for c in (VAELoss, StaticVAE))
    return max(float(np.max(np.abs(static[k].array - p.array)) / max(float(np.max(np.abs(p.array))), 1e-30))
               for k, p in plain.items())


def main(argv=None):
    args = common.parser(__doc__.splitlines()[0]).parse_args(argv)
    print(common.machine(THREADS))
    epochs = 1 if args.quick else 3
    for name, edit in (("the paper's model", None), ("the clip ln_var edit", clip_ln_var)):
        diff = exactness(epochs, edit)
        print("exactness, %s, %d epoch(s) of 640 digits: largest relative parameter difference "
              "static vs plain %.3g (%s)" % (name, epochs, diff, "bit for bit" if diff == 0 else "NOT the same run"))
    for data in ("mnist", "midi"):
        if data == "mnist":
            x, source = bench_mnist_epoch.mnist_data(320 if args.quick else 8000, np.random.RandomState(0))
            repeats = 10
        else:
            x, _, source = bench_midi_epoch.midi_data(64 if args.quick else 320, bench_midi_epoch.LUTE)
            repeats = 8
        repeats = 1 if args.quick else (args.repeats or repeats)
        fns = {}
        for name, cls in (("plain", VAELoss), ("static_graph", StaticVAE)):
            m = build(cls, data)
            opt = loop.make_optimizer(m, bench_mnist_epoch.ALPHA if data == "mnist" else bench_midi_epoch.ALPHA, 5e-4)
            fns[name] = (lambda m, opt: lambda: float(loop.train_epoch(m, opt, x, 32)[0]))(m, opt)
        times = common.interleaved(fns, repeats, warmup=True)
        rounds = [a / b for a, b in zip(times["static_graph"], times["plain"])]
        print("%s epoch, %d examples (%s), %d rounds: static_graph %.3f s, plain %.3f s; "
              "ratio static_graph / plain (median of rounds) %.2f, rounds %.2f .. %.2f"
              % (data, len(x), source, repeats, statistics.median(times["static_graph"]),
                 statistics.median(times["plain"]), statistics.median(rounds), min(rounds), max(rounds)))
    return True


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
