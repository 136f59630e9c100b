"""This checkout's training epoch against another commit's, interleaved in one process ("no slower").

    python benchmarks/bench_commits.py 6bd5f1b              # MNIST (8,000 ex.) and MIDI (320 windows)
    python benchmarks/bench_commits.py 6bd5f1b --quick      # a few batches, 1 round: checks it runs

The other commit's ``chainer_vae`` is exported (``git archive``) into a temporary folder and
imported as ``chainer_vae_old``; both sides build the paper's MLP VAE and run
``training.train_epoch`` with ``training.make_optimizer`` from their own code.
"""
import common

THREADS = common.setup_threads()

import os  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tarfile  # noqa: E402
import tempfile  # noqa: E402
import warnings  # noqa: E402

warnings.filterwarnings("ignore", message="pkg_resources is deprecated")

import chainer_vae  # noqa: E402,F401
import numpy as np  # noqa: E402

import bench_midi_epoch  # noqa: E402
import bench_mnist_epoch  # noqa: E402


def export(rev, folder):
    """rev's chainer_vae as folder/chainer_vae_old (imports renamed)."""
    archive = subprocess.run(["git", "archive", rev, "chainer_vae"], cwd=common.ROOT, check=True,
                             capture_output=True).stdout
    path = os.path.join(folder, "a.tar")
    with open(path, "wb") as f:
        f.write(archive)
    with tarfile.open(path) as tar:
        tar.extractall(folder)
    os.rename(os.path.join(folder, "chainer_vae"), os.path.join(folder, "chainer_vae_old"))
    for root, _, files in os.walk(os.path.join(folder, "chainer_vae_old")):
        for name in files:
            if name.endswith(".py"):
                p = os.path.join(root, name)
                with open(p) as f:
                    text = re.sub(r"\bchainer_vae\b", "chainer_vae_old", f.read())
                with open(p, "w") as f:
                    f.write(text)
    sys.path.insert(0, folder)


def _module(package, *names):
    """The first of ``names`` that the package has: a commit before or after the grouped layout."""
    import importlib
    for name in names:
        try:
            return importlib.import_module(package + "." + name)
        except ModuleNotFoundError:
            continue
    raise ModuleNotFoundError("%s has none of %s" % (package, ", ".join(names)))


def epoch_fn(package, data, x, n_latent, alpha):
    nets = _module(package, "model", "nets")
    objective = _module(package, "model.vae", "objective")
    training = _module(package, "train.loop", "training")
    np.random.seed(0)
    model = objective.VAELoss(nets.make_encoder("mlp", data, n_latent), nets.make_decoder("mlp", data, n_latent))
    opt = training.make_optimizer(model, alpha, 5e-4)
    if hasattr(training, "step_forward"):  # since the fused form proves itself (before: a class swap)
        forward = training.step_forward(model, x, 32)
        return lambda: float(training.train_epoch(model, opt, x, 32, forward=forward)[0])
    return lambda: float(training.train_epoch(model, opt, x, 32)[0])


def as_its_scripts_run(package, fn):
    """fn with the malloc setting that package's scripts make (cli/allocator.py), or glibc's
    default for a commit before it: mallopt is process-wide, so it is set before each call."""
    try:
        setting = _module(package, "cli.allocator").reuse_freed_memory
    except ModuleNotFoundError:
        from chainer_vae.cli import allocator
        setting = allocator.glibc_default

    def run():
        setting()
        return fn()
    return run


def main(argv=None):
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("rev", nargs="?", default="HEAD",
                   help="the commit to compare against (default HEAD: your uncommitted changes)")
    args = p.parse_args(argv)
    print(common.machine(THREADS))
    with tempfile.TemporaryDirectory() as folder:
        export(args.rev, folder)
        for data in ("mnist", "midi"):
            if data == "mnist":
                x, source = bench_mnist_epoch.mnist_data(320 if args.quick else 8000, np.random.RandomState(0))
                n_latent, alpha, repeats = 2, bench_mnist_epoch.ALPHA, 10
            else:
                x, _, source = bench_midi_epoch.midi_data(64 if args.quick else 320, bench_midi_epoch.LUTE)  # stored windows for both commits
                n_latent, alpha, repeats = 20, bench_midi_epoch.ALPHA, 8
            repeats = 1 if args.quick else (args.repeats or repeats)
            fns = {"this checkout": as_its_scripts_run("chainer_vae", epoch_fn("chainer_vae", data, x, n_latent, alpha)),
                   args.rev: as_its_scripts_run("chainer_vae_old", epoch_fn("chainer_vae_old", data, x, n_latent, alpha))}
            times = common.interleaved(fns, repeats, warmup=not args.quick)
            rounds = [a / b for a, b in zip(times["this checkout"], times[args.rev])]
            print("%s epoch, %d examples (%s), %d rounds: this checkout %.3f s, %s %.3f s; "
                  "ratio (median of rounds) %.2f, rounds %.2f .. %.2f"
                  % (data, len(x), source, repeats, statistics.median(times["this checkout"]), args.rev,
                     statistics.median(times[args.rev]), statistics.median(rounds), min(rounds), max(rounds)))
    return True


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
