"""Wall time of the whole default reproduction of Figs. 2-4 (fig4 trains the MNIST VAE for 60
epochs; fig3 and fig2 reuse its model), into a temporary --out.

    python benchmarks/bench_reproduce.py           # the default (paper) runs; goal <= 5 minutes
    python benchmarks/bench_reproduce.py --quick   # the scripts' --smoke runs: checks they run
"""
import sys

import common

# As a user runs them: BLAS threads as the package sets them (chainer_vae/cli/threads.py) unless
# --threads is given.
THREADS = common.setup_threads() if any(a.startswith("--threads") for a in sys.argv) else None

import os  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

SCRIPTS = ("fig4_mnist_loss.py", "fig3_mnist_latent.py", "fig2_mnist_samples.py")


def main(argv=None):
    args = common.parser(__doc__.splitlines()[0]).parse_args(argv)
    env = dict(os.environ)
    shared = os.path.join(os.path.dirname(common.ROOT), "shared", "data", "mnist")
    if "CHAINER_DATASET_ROOT" not in env and os.path.isdir(shared):
        env["CHAINER_DATASET_ROOT"] = shared
    print("Figs. 2-4 reproduction%s; %s cores (%s), OPENBLAS_NUM_THREADS=%s"
          % (" (--smoke)" if args.quick else "", os.cpu_count(), common.cpu_model(),
             os.environ.get("OPENBLAS_NUM_THREADS", "unset: chainer_vae's default, 1")))
    total = 0.0
    result = {}
    with tempfile.TemporaryDirectory() as out:
        for script in SCRIPTS:
            cmd = [sys.executable, os.path.join(common.ROOT, "experiments", script),
                   "--out", out, "--no-progress"] + (["--smoke"] if args.quick else [])
            t = time.perf_counter()
            proc = subprocess.run(cmd, cwd=common.ROOT, env=env, capture_output=True, text=True)
            wall = time.perf_counter() - t
            if proc.returncode:
                raise SystemExit("%s failed:\n%s" % (script, (proc.stdout + proc.stderr)[-2000:]))
            total += wall
            result[script] = wall
            print("%-24s %7.1f s" % (script, wall), flush=True)
    print("%-24s %7.1f s (%.1f min); goal <= 5 min: %s" % ("total", total, total / 60,
                                                          "met" if total <= 300 else "NOT met"))
    result["total"] = total
    return result


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
