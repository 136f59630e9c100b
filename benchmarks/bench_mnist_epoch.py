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
import chainer  # noqa: E402
import numpy as np  # noqa: E402

import peers  # noqa: E402
from chainer_vae import training  # noqa: E402
from chainer_vae.nets import make_decoder, make_encoder  # noqa: E402
from chainer_vae.objective import VAELoss  # noqa: E402

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
    args = common.parser(__doc__.splitlines()[0]).parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 5)
    n = 320 if args.quick else 16000
    rng = np.random.RandomState(0)
    x_host, source = mnist_data(n, rng)
    torch = common.import_torch(args.no_torch)
    print("MNIST epoch: %d examples (%s), batch %d, 784-500-2 tanh MLP VAE, Adam %g + L2 %g"
          % (len(x_host), source, BATCH, ALPHA, WEIGHT_DECAY))
    print(common.machine(THREADS, torch))

    device = chainer.get_device("@numpy")
    ours_model = chainer_model()
    ours_opt = training.make_optimizer(ours_model, ALPHA, WEIGHT_DECAY)
    x_dev = device.send(x_host)

    def ours():
        sums = training.train_epoch(ours_model, ours_opt, x_dev, BATCH)
        return float(sums[0])  # the one sync per epoch

    orig_model = chainer_model()
    orig_opt = peers.original_optimizer(orig_model, ALPHA, WEIGHT_DECAY)
    orig_rng = np.random.RandomState(1)

    def original():
        return peers.original_chainer_epoch(orig_model, orig_opt, x_host, BATCH, orig_rng)

    n_batches = len(x_host) // BATCH
    step = peers.floor_products([(784, 500), (500, 2), (500, 2), (2, 500), (500, 784)], BATCH, rng)

    def floor():
        for _ in range(n_batches):
            step()

    fns = {"ours": ours}
    if torch is not None:
        torch.set_num_threads(THREADS)
        torch.manual_seed(0)
        tmodel = peers.torch_vae(torch, 784, [500], 2, [500], "tanh")
        fns["pytorch"] = peers.torch_trainer(torch, tmodel, x_host, BATCH, ALPHA, WEIGHT_DECAY)
    fns["original-style chainer"] = original
    fns["matmul floor (numpy)"] = floor
    times = common.interleaved(fns, repeats)
    result = common.report(times, "ours", "pytorch" if torch is not None else None)
    if torch is not None:
        print("goal ours <= 0.9 x pytorch: %s" % ("met" if result["ratio"]["pytorch"] <= 0.9 else "NOT met"))
    return result


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
