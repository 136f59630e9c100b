"""``VAELoss(static_graph=True)`` (model/replay.py: Chainer's own ``chainer.static_graph``) against the
plain model: is it exact, for the paper's model and for edited ones, and how fast is an epoch?

    python benchmarks/bench_static_graph.py            # exactness (3 epochs), MNIST 8,000 ex. and MIDI 320 windows
    python benchmarks/bench_static_graph.py --quick    # exactness (1 epoch) and one short round each

Exactness: plain and static models trained side by side (the loop's per-epoch seeds) on 640
digits: the paper's model, a leaky-ReLU decoder (an edit made of audited functions: replayed), and
``ln_var`` clipped (F.clip: its backward keeps the traced step's mask, so the check sends the model
back to its plain graph) -- and that same clip edit with the check switched off, to show what an
unchecked replay trains.  Timing: epochs interleaved, plain vs static, for the paper's models and
for the leaky-ReLU edit.
"""
import common

THREADS = common.setup_threads()

import statistics  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402

warnings.filterwarnings("ignore", message="pkg_resources is deprecated")

import chainer_vae  # noqa: E402,F401
import chainer.functions as F  # noqa: E402
import numpy as np  # noqa: E402

import bench_midi_epoch  # noqa: E402
import bench_mnist_epoch  # noqa: E402
from chainer_vae.model import make_decoder, make_encoder, mlp, replay  # noqa: E402
from chainer_vae.model.vae import VAELoss  # noqa: E402
from chainer_vae.train import loop  # noqa: E402


def build(static, data):
    np.random.seed(0)
    n_latent = 2 if data == "mnist" else 20
    return VAELoss(make_encoder("mlp", data, n_latent), make_decoder("mlp", data, n_latent), static_graph=static)


def clip_ln_var():
    """An edit that matters only once the weights move (tests/test_edits.py): ln_var clipped to [-1, 1]."""
    forward = mlp.MLPEncoder.forward

    def clipped(self, x):
        mu, ln_var = forward(self, x)
        return mu, F.clip(ln_var, -1.0, 1.0)
    mlp.MLPEncoder.forward = clipped
    return lambda: setattr(mlp.MLPEncoder, "forward", forward)


def leaky_decoder():
    """tests/test_edits.py's decoder edit: leaky ReLU (slope 0.3) instead of tanh."""
    forward = mlp.MLPDecoder.forward

    def leaky(self, z):
        h = z
        for layer in self.layers:
            h = F.leaky_relu(layer(h), 0.3)
        return self.out(h)
    mlp.MLPDecoder.forward = leaky
    return lambda: setattr(mlp.MLPDecoder, "forward", forward)


def unchecked():
    """model/replay.py's check switched off: every schedule is taken as safe."""
    safe = replay._safe
    replay._safe = lambda schedule: True
    return lambda: setattr(replay, "_safe", safe)


def exactness(epochs, edits):
    """(largest relative difference of a parameter array static vs plain -- 0.0: bit for bit --,
    whether the static model still replays at the end)."""
    from chainer_vae.data.mnist_fallback import read_shipped
    x, _ = read_shipped()
    x = (x[:640] / np.float32(255)).astype(np.float32)
    undo = [edit() for edit in edits]
    try:
        models = {static: build(static, "mnist") for static in (False, True)}
        opts = {static: loop.make_optimizer(m, 1e-3, 5e-4) for static, m in models.items()}
        for epoch in range(1, epochs + 1):
            for static, m in models.items():
                np.random.seed(epoch)
                loop.train_epoch(m, opts[static], x, 32)
    finally:
        for u in reversed(undo):
            u()
    plain, static = (dict(models[s].namedparams()) for s in (False, True))
    diff = max(float(np.max(np.abs(static[k].array - p.array))) / max(float(np.max(np.abs(p.array))), 1e-30)
               for k, p in plain.items())
    return diff, None not in models[True]._replay_checked


def timing(data, edits, quick, repeats):
    if data == "mnist":
        x, source = bench_mnist_epoch.mnist_data(320 if quick else 8000, np.random.RandomState(0))
        alpha, repeats = bench_mnist_epoch.ALPHA, repeats or 10
    else:
        x, _, source = bench_midi_epoch.midi_data(64 if quick else 320, bench_midi_epoch.LUTE)
        alpha, repeats = bench_midi_epoch.ALPHA, repeats or 8
    repeats = 1 if quick else repeats
    undo = [edit() for edit in edits]
    try:
        fns = {}
        for name, static in (("plain", False), ("static_graph", True)):
            m = build(static, data)
            opt = loop.make_optimizer(m, alpha, 5e-4)
            fns[name] = (lambda m, opt: lambda: float(loop.train_epoch(m, opt, x, 32)[0]))(m, opt)
        times = common.interleaved(fns, repeats, warmup=True)
    finally:
        for u in reversed(undo):
            u()
    rounds = [a / b for a, b in zip(times["static_graph"], times["plain"])]
    return "%d examples (%s), %d rounds: static_graph %.3f s, plain %.3f s; ratio static_graph / plain " \
           "(median of rounds) %.2f, rounds %.2f .. %.2f" % (
               len(x), source, repeats, statistics.median(times["static_graph"]), statistics.median(times["plain"]),
               statistics.median(rounds), min(rounds), max(rounds))


def main(argv=None):
    args = common.parser(__doc__.splitlines()[0]).parse_args(argv)
    print(common.machine(THREADS))
    epochs = 1 if args.quick else 3
    for name, edits in (("the paper's model", []), ("the leaky ReLU edit", [leaky_decoder]),
                        ("the clip ln_var edit", [clip_ln_var]),
                        ("the clip ln_var edit, check off", [clip_ln_var, unchecked])):
        diff, replays = exactness(epochs, edits)
        print("exactness, %s, %d epoch(s) of 640 digits: largest relative parameter difference static vs plain "
              "%.3g (%s; %s)" % (name, epochs, diff, "bit for bit" if diff == 0 else "NOT the same run",
                                 "replayed" if replays else "back to the plain graph after the first step"))
    for data, name, edits in (("mnist", "mnist epoch", []), ("mnist", "mnist epoch, leaky ReLU edit", [leaky_decoder]),
                              ("midi", "midi epoch", [])):
        print("%s, %s" % (name, timing(data, edits, args.quick, args.repeats)), flush=True)
    return True


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
