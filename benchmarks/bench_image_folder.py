"""An image folder at scale: cold conversion, warm rebuild, cache size and peak RSS of the build.

    python benchmarks/bench_image_folder.py              # 100,000 MNIST digits re-saved as PNG
    python benchmarks/bench_image_folder.py --n 5000     # a smaller folder
    python benchmarks/bench_image_folder.py --quick      # 2,000 images: checks it runs

The folder (``.cache/bench_image_folder/n<N>/<digit>/<i>.png``, gitignored, built once): MNIST's
70,000 digits (train then test; synthetic strokes when no MNIST cache is here), each image past
the 70,000th shifted by one pixel more per round, so every file's bytes differ (identical bytes
are converted once, which would flatter the cold build).

Each measurement runs in a fresh child process (``common.run_child``: peak RSS by os.wait4):
1. cold: ``load_image_folder`` with an empty cache -- hash every file, convert on all cores,
   write the build;
2. warm: the same call again (hash every file, map the build) -- then one epoch of batch
   draws (``train_x.take`` of a permutation in batches of 32, what the training loop does on a
   CPU) and the data fingerprint, to show what training adds to the RSS;
3. the parts of a warm rebuild: listing, stat of every file, reading + hashing every file
   (content keys cost this much more than size + mtime keys would), and ``read_image`` of
   2,000 files in one process (the pool's per-core ceiling).
4. train: ``experiments/fig4_mnist_loss.py --image-dir <folder> --epochs 1`` on the warm cache
   (``--train-epochs``; 0 skips it): the whole script -- load, one epoch of the paper's MLP over
   the 80 % train split, the test pass, the figure -- with the peak RSS of its process tree.
The files are in the OS page cache (written just before, or by an earlier run): a cold disk
adds its read time to the hashing.
"""
import common

THREADS = common.setup_threads()

import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

FOLDERS = os.path.join(common.ROOT, ".cache", "bench_image_folder")
CHILD = r"""
import json, os, resource, sys, time
sys.path.insert(0, %(root)r)
import numpy as np
import chainer_vae
from chainer_vae.data import fingerprint, images
from chainer_vae.data.images import cache as imagecache
folder, cache, mode = sys.argv[1:4]


def hwm():
    # VmHWM: this process's own peak RSS.  (ru_maxrss is not: Linux carries the parent's
    # high-water mark into a child across fork and exec.)
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmHWM")) / 1024


out = {}
t = time.perf_counter()
if mode == "parts":
    report = []
    classes, files = images.scan(folder, report)
    out["scan_s"] = time.perf_counter() - t
    t = time.perf_counter()
    for _, p in files:
        st = os.stat(p)
    out["stat_s"] = time.perf_counter() - t
    t = time.perf_counter()
    for _, p in files:
        imagecache.file_key(p)
    out["hash_s"] = time.perf_counter() - t
    out["bytes"] = sum(os.path.getsize(p) for _, p in files)
    from chainer_vae.data.images import file as image_file
    sample = [p for _, p in files[:2000]]
    t = time.perf_counter()
    for p in sample:
        image_file.read_image(p)
    out["serial_per_s"] = len(sample) / (time.perf_counter() - t)
else:
    data = images.load_image_folder(folder, cache_dir=cache, progress=False)
    out["load_s"] = time.perf_counter() - t
    out["summary"] = data.report[-1]
    out["rss_after_load_mb"] = hwm()
    if mode == "warm":
        x = data.train_x
        perm = np.random.RandomState(0).permutation(len(x))
        t = time.perf_counter()
        s = 0.0
        for i in range(0, len(perm) - 31, 32):
            s += float(x.take(perm[i:i + 32]).sum())
        out["epoch_of_batches_s"] = time.perf_counter() - t
        t = time.perf_counter()
        out["fingerprint"] = data.fingerprint()
        out["fingerprint_s"] = time.perf_counter() - t
out["rss_self_mb"] = hwm()
out["rss_workers_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print("RESULT " + json.dumps(out))
""" % {"root": common.ROOT}


def digits():
    """uint8 (N, 28, 28) digits and labels: MNIST train + test, else synthetic strokes."""
    from chainer_vae.data import mnist
    from chainer_vae.errors import DataError
    try:
        d = mnist.load_mnist("mnist", per_class_train=None, per_class_test=None, mirrors=(), progress=False)
        x = np.concatenate([d.train_x, d.test_x])
        return np.rint(x * 255).astype(np.uint8).reshape(-1, 28, 28), np.concatenate([d.train_y, d.test_y]), "MNIST"
    except DataError:
        from PIL import Image, ImageDraw
        rng = np.random.RandomState(0)
        x, y = np.zeros((10000, 28, 28), np.uint8), rng.randint(0, 10, 10000)
        for i, d in enumerate(y):
            im = Image.new("L", (28, 28))
            a = np.pi * (d + rng.rand()) / 10
            c, s = 14 + 9 * np.cos(a), 14 + 9 * np.sin(a)
            ImageDraw.Draw(im).line((28 - c, 28 - s, c, s), fill=int(rng.randint(128, 256)), width=3)
            x[i] = np.asarray(im)
        return x, y, "synthetic strokes"


def _write(args):
    from PIL import Image
    folder, items = args
    for name, label, img in items:
        Image.fromarray(img, "L").save(os.path.join(folder, str(label), name))
    return len(items)


def make_folder(n):
    """The n-image folder (built once, in a child process so this one stays small; a
    'complete' marker says it was finished)."""
    folder = os.path.join(FOLDERS, "n%d" % n)
    if not os.path.exists(os.path.join(folder, ".complete")):
        import subprocess
        subprocess.run([sys.executable, os.path.abspath(__file__), "--write-folder", str(n)], check=True)
    with open(os.path.join(folder, ".complete")) as f:
        return folder, f.read().strip()


def write_folder(n):
    folder = os.path.join(FOLDERS, "n%d" % n)
    shutil.rmtree(folder, ignore_errors=True)
    x, y, source = digits()
    order = np.random.RandomState(0).permutation(len(x))  # MNIST comes sorted by class here
    x, y = x[order], y[order]
    for d in range(10):
        os.makedirs(os.path.join(folder, str(d)), exist_ok=True)
    items = []
    for i in range(n):
        j, shift = i % len(x), i // len(x)
        img = np.roll(x[j], shift, axis=1) if shift else x[j]
        items.append(("%06d.png" % i, int(y[j]), img))
    import concurrent.futures
    import multiprocessing
    t = time.perf_counter()
    chunks = [(folder, items[k:k + 1000]) for k in range(0, n, 1000)]
    with concurrent.futures.ProcessPoolExecutor(mp_context=multiprocessing.get_context("fork")) as pool:
        list(pool.map(_write, chunks))
    with open(os.path.join(folder, ".complete"), "w") as f:
        f.write(source)
    print("wrote %d PNGs (%s) in %.1f s to %s" % (n, source, time.perf_counter() - t, folder), flush=True)


def argparse_hidden():
    import argparse
    return argparse.SUPPRESS


def parent_peak_mb():
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def du(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)


def child(folder, cache, mode):
    rss, wall, out = common.run_child([sys.executable, "-c", CHILD, folder, cache, mode])
    line = next(l for l in out.splitlines() if l.startswith("RESULT "))
    res = json.loads(line[len("RESULT "):])
    res["rss_tree_mb"], res["wall_s"] = rss, wall
    return res


def main(argv=None):
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=100000, help="images in the folder (default 100,000)")
    p.add_argument("--write-folder", type=int, default=0, help=argparse_hidden())
    p.add_argument("--train-epochs", type=int, default=1, help="epochs of the training step (0: skip it)")
    args = p.parse_args(argv)
    if args.write_folder:
        write_folder(args.write_folder)
        return {"written": args.write_folder}
    n = 2000 if args.quick else args.n
    folder, source = make_folder(n)
    print("image folder: %d PNGs of 28 x 28 grey (%s), %.1f MB; %s"
          % (n, source, du(folder) / 1e6, common.machine(THREADS)), flush=True)
    home = os.path.join(FOLDERS, "cache-n%d" % n)  # $CHAINER_VAE_CACHE of the training step
    cache = os.path.join(home, "images")
    shutil.rmtree(home, ignore_errors=True)
    cold = child(folder, cache, "cold")
    size = du(cache)
    warm = child(folder, cache, "warm")
    parts = child(folder, cache, "parts")
    train = None
    if args.train_epochs:
        out = os.path.join(home, "results")
        train = {}
        train["rss_tree_mb"], train["wall_s"], text = common.run_child(
            [sys.executable, os.path.join(common.ROOT, "experiments", "fig4_mnist_loss.py"), "--image-dir", folder, "--epochs",
             str(args.train_epochs), "--no-progress", "--out", out] + (["--smoke"] if args.quick else []),
            env=dict(os.environ, CHAINER_VAE_CACHE=home))
        train["epoch_lines"] = [line for line in text.splitlines() if line.startswith("epoch")]
    shutil.rmtree(home, ignore_errors=True)
    print(cold["summary"])
    print("peak RSS is each child's VmHWM (its own pages, file-mapped ones included); workers' "
          "peak: ru_maxrss of the largest pool worker (its inherited shared pages included); "
          "os.wait4 of the whole child: %.0f MB (cold), %.0f MB (warm), which includes this "
          "launcher's own %.0f MB peak" % (cold["rss_tree_mb"], warm["rss_tree_mb"], parent_peak_mb()))
    print("%-14s %9s %11s %16s %17s %15s" % ("", "load s", "images/s", "peak RSS MB", "workers' peak MB",
                                             "process s"))
    for name, r in (("cold build", cold), ("warm rebuild", warm)):
        print("%-14s %9.2f %11.0f %16.0f %17.0f %15.2f" % (name, r["load_s"], n / r["load_s"], r["rss_self_mb"],
                                                          r["rss_workers_mb"], r["wall_s"]))
    print("cache on disk: %.1f MB (%d images x 784 bytes = %.1f MB of pixels, plus the record)"
          % (size / 1e6, n, n * 784 / 1e6))
    print("warm: one epoch of batch draws (take, batches of 32) %.2f s, data fingerprint %.2f s; "
          "peak RSS after load %.0f MB, after the epoch and fingerprint %.0f MB"
          % (warm["epoch_of_batches_s"], warm["fingerprint_s"], warm["rss_after_load_mb"], warm["rss_self_mb"]))
    print("warm rebuild's parts: list the folder %.2f s, stat every file %.2f s, read + BLAKE2b every "
          "file (%.1f MB) %.2f s; read_image in one process: %.0f images/s"
          % (parts["scan_s"], parts["stat_s"], parts["bytes"] / 1e6, parts["hash_s"], parts["serial_per_s"]))
    if train is not None:
        print("train: fig4_mnist_loss.py --image-dir (%d epoch%s, the paper's MLP, batch 32) %.0f s in all, "
              "peak RSS of the process tree %.0f MB; %s"
              % (args.train_epochs, "s" * (args.train_epochs != 1), train["wall_s"], train["rss_tree_mb"],
                 "; ".join(train["epoch_lines"])))
    return {"n": n, "cold_s": cold["load_s"], "train_rss_mb": train and train["rss_tree_mb"], "warm_s": warm["load_s"], "cache_mb": size / 1e6,
            "cold_rss_mb": cold["rss_self_mb"], "cold_workers_rss_mb": cold["rss_workers_mb"],
            "warm_rss_mb": warm["rss_self_mb"], "hash_s": parts["hash_s"], "stat_s": parts["stat_s"]}


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
