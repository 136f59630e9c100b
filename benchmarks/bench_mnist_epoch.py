"""One MNIST training epoch, the paper's setup: ours vs PyTorch (and the original-style loop, and
the matrix-product floor), interleaved.

    python benchmarks/bench_mnist_epoch.py            # 16,000 examples, batch 32, 5 rounds
    python benchmarks/bench_mnist_epoch.py --quick    # 10 batches, 1 round: checks it runs

Model 784-500-2 (tanh) / 2-500-784, Bernoulli NLL + KL, Adam(alpha 5e-5) + L2 weight decay 5e-4.
"""
import common

THREADS = common.setup_threads()

import os  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402

warnings.filterwarnings("ignore", message="pkg_resources is deprecated")

import chainer_vae  # noqa: E402,F401  (compatibility shims before chainer)
import numpy as np  # noqa: E402

import peers  # noqa: E402
from chainer_vae.model import make_decoder, make_encoder  # noqa: E402
from chainer_vae.model.vae import VAELoss  # noqa: E402

ALPHA, WEIGHT_DECAY, BATCH = 5e-5, 5e-4, 32


def mnist_data(n, rng):
    """The paper's 16,000 training images when Chainer's MNIST cache is here, else random pixels
    (the timing does not depend on the values)."""
    shared = os.path.join(os.path.dirname(common.ROOT), "shared", "data", "mnist")
    if "CHAINER_DATASET_ROOT" not in os.environ and os.path.isdir(shared):
        os.environ["CHAINER_DATASET_ROOT"] = shared
    root = os.environ.get("CHAINER_DATASET_ROOT", "")
    if os.path.exists(os.path.join(root, "pfnet", "chainer", "mnist", "train.npz")):
        from chainer_vae.data.mnist import load_mnist
        x = load_mnist("mnist", 1600, 400, progress=False).train_x
        return x[:n], "MNIST (first 1,600 of each digit)"
    return rng.rand(n, 784).astype(np.float32), "random pixels (no MNIST cache)"


def chainer_model(seed=0):
    np.random.seed(seed)
    return VAELoss(make_encoder("mlp", "mnist", 2), make_decoder("mlp", "mnist", 2))


def main(argv=None):
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--static-graph", action="store_true", help="ours as VAELoss(static_graph=True)")
    args = p.parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 5)
    n = 320 if args.quick else 16000
    rng = np.random.RandomState(0)
    x_host, source = mnist_data(n, rng)
    torch = common.import_torch(args.no_torch)
    print("MNIST epoch: %d examples (%s), batch %d, 784-500-2 tanh MLP VAE, Adam %g + L2 %g"
          % (len(x_host), source, BATCH, ALPHA, WEIGHT_DECAY))
    print(common.machine(THREADS, torch))
    if args.static_graph:
        print("ours: VAELoss(static_graph=True)")

    fns = peers.epoch_contenders(chainer_model, x_host, BATCH, ALPHA, WEIGHT_DECAY, torch,
                                 (784, [500], 2, [500], "tanh"),
                                 [(784, 500), (500, 2), (500, 2), (2, 500), (500, 784)], THREADS, static_graph=args.static_graph)
    times = common.interleaved(common.as_run(fns, args.peer_malloc), repeats)
    return peers.report_against_torch(common, times, torch, goal=0.9, floor_goal=2)


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
