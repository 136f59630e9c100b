"""What each of chainer_vae.train.fused's forms (and train/optim.py's fused Adam) saves: training epochs of the
paper's model with each switched on alone, interleaved, as ratios to all of them on.

    python benchmarks/bench_speed.py --data mnist     # 8,000 MNIST examples, 5 rounds
    python benchmarks/bench_speed.py --data midi      # 640 lute windows, 3 rounds
    python benchmarks/bench_speed.py --quick          # a few batches, 1 round: checks it runs
"""
import common

THREADS = common.setup_threads()

import sys  # noqa: E402
import warnings  # noqa: E402

warnings.filterwarnings("ignore", message="pkg_resources is deprecated")

import chainer_vae  # noqa: E402,F401  (compatibility shims before chainer)
import chainer  # noqa: E402
import chainer.functions as F  # noqa: E402
import numpy as np  # noqa: E402

import bench_midi_epoch  # noqa: E402
import bench_mnist_epoch  # noqa: E402
import peers  # noqa: E402
from chainer_vae.train import fused, loop, optim  # noqa: E402

# name -> (fused MLPs, fused loss terms, sparse first layer, fused Adam); "all" is what training uses
VARIANTS = {
    "all (training's)": (True, True, True, True),
    "no fused MLP": (False, True, True, True),
    "no fused loss": (True, False, True, True),
    "no sparse 1st layer": (True, True, False, True),
    "only fused Adam": (False, False, False, True),
    "plain Chainer": (False, False, False, False),
}


class Partial(fused.FusedVAE):
    """fused.FusedVAE with its fused MLPs and fused loss nodes each switched on or off."""

    def __init__(self, model, mlps, loss):
        super().__init__(model)
        self.mlps, self.loss = mlps, loss

    def __call__(self, x):
        saved = fused._fused_mlp, fused.bernoulli_nll, fused.gaussian_kl_divergence
        if not self.mlps:
            fused._fused_mlp = lambda chain, x, heads: None  # FusedVAE then calls the chains
        if not self.loss:
            fused.bernoulli_nll, fused.gaussian_kl_divergence = F.bernoulli_nll, F.gaussian_kl_divergence
        try:
            return super().__call__(x)
        finally:
            fused._fused_mlp, fused.bernoulli_nll, fused.gaussian_kl_divergence = saved


def contender(bench, x, batch, alpha, mlps, loss, sparse, adam):
    model = bench.chainer_model()
    if adam:
        opt = optim.Adam(alpha=alpha, l2_rate=5e-4)
        opt.setup(model)
    else:
        opt = peers.original_optimizer(model, alpha, 5e-4)
    x_dev = chainer.get_device("@numpy").send(x)
    forward = Partial(model, mlps, loss)

    def epoch():
        saved = fused.SPARSE_MIN_INPUTS
        fused.SPARSE_MIN_INPUTS = saved if sparse else float("inf")
        try:
            return float(loop.train_epoch(model, opt, x_dev, batch, forward=forward)[0])
        finally:
            fused.SPARSE_MIN_INPUTS = saved
    return epoch


def main(argv=None):
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--data", choices=("mnist", "midi"), default="mnist")
    args = p.parse_args(argv)
    rng = np.random.RandomState(0)
    if args.data == "mnist":
        bench, alpha = bench_mnist_epoch, bench_mnist_epoch.ALPHA
        x, source = bench.mnist_data(320 if args.quick else 8000, rng)
        repeats = args.repeats or (1 if args.quick else 5)
    else:
        bench, alpha = bench_midi_epoch, bench_midi_epoch.ALPHA
        x, source = bench.midi_data(64 if args.quick else 640, bench.LUTE)
        repeats = args.repeats or (1 if args.quick else 3)
    print("%s epoch of %d examples (%s), batch 32; each speed form off in turn" % (args.data, len(x), source))
    print(common.machine(THREADS))
    fns = {name: contender(bench, x, 32, alpha, *flags) for name, flags in VARIANTS.items()}
    times = common.interleaved(fns, repeats, warmup=not args.quick)
    print("(ratios below are all-on / variant: < 1 means switching that form off costs time)")
    return common.report(times, "all (training's)")


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
