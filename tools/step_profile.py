"""Is the paper's MLP launch-bound on this device? Time training steps at growing batch sizes.

A launch-bound step (Python, Chainer's per-function work and CUDA kernel launches dominate)
costs about the same at batch 32 as at batch 512; a compute-bound one grows with the batch.
For each model (the paper's MNIST and MIDI MLPs, random data of their shapes), this times
--steps training steps of chainer_vae.train.loop.train_epoch at each batch size, the host time to
enqueue them apart from the time until the device has finished them, and profiles the batch-32
steps with cProfile (the top functions by own time). Writes the JSON given by --json.

    python tools/step_profile.py --device 0 --json step_profile.json
    python tools/step_profile.py --device -1 --steps 5 --json /tmp/p.json   # on a CPU (the test)
"""
import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

MODELS = {"mnist": ((784,), 2), "midi": ((100, 156), 20)}


def _sync(xp):
    if xp is not __import__("numpy"):
        xp.cuda.Stream.null.synchronize()


def time_steps(data, batch, steps, device, profile=False):
    """Seconds per step (enqueue, and until finished) of `steps` steps at `batch` examples."""
    import numpy as np
    from chainer_vae.model import make_decoder, make_encoder
    from chainer_vae.model.vae import VAELoss
    from chainer_vae.train import loop
    shape, n_latent = MODELS[data]
    np.random.seed(0)
    model = VAELoss(make_encoder("mlp", data, n_latent), make_decoder("mlp", data, n_latent))
    model.to_device(device)
    optimizer = loop.make_optimizer(model, 1e-3, 5e-4)
    xp = device.xp
    per_pass = max(1, min(steps, 4096 // batch))  # a pool of at most ~4,096 examples, cycled
    x = device.send((np.random.rand(batch * per_pass, *shape) > 0.5).astype(np.float32))
    loop.train_epoch(model, optimizer, x[:batch], batch)  # warm-up: kernels compiled, memory pooled
    _sync(xp)
    prof = cProfile.Profile() if profile else None
    done, sums = 0, None
    started = time.perf_counter()
    if prof:
        prof.enable()
    while done < steps:
        sums = loop.train_epoch(model, optimizer, x, batch)
        done += per_pass
    enqueued = time.perf_counter() - started
    float(sums[0])  # waits for the device
    if prof:
        prof.disable()
    finished = time.perf_counter() - started
    steps = done
    out = {"batch": batch, "steps": steps, "enqueue_ms_per_step": round(1e3 * enqueued / steps, 3),
           "ms_per_step": round(1e3 * finished / steps, 3)}
    if prof:
        text = io.StringIO()
        pstats.Stats(prof, stream=text).sort_stats("tottime").print_stats(15)
        out["profile_top"] = [line.rstrip() for line in text.getvalue().splitlines() if line.strip()][-17:]
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="0")
    parser.add_argument("--steps", type=int, default=200, help="timed steps per batch size")
    parser.add_argument("--batches", default="32,128,512", help="batch sizes")
    parser.add_argument("--data", default="mnist,midi")
    parser.add_argument("--json", required=True)
    args = parser.parse_args(argv)
    import chainer_vae  # noqa: F401
    from chainer_vae.device import resolve_device
    from chainer_vae.errors import DeviceError
    try:
        device = resolve_device(args.device)
    except DeviceError as e:
        print("error: %s" % e, file=sys.stderr)
        return 2
    device.use()
    report = {"device": str(device), "steps": args.steps, "models": {}}
    for data in args.data.split(","):
        rows = [time_steps(data, int(b), args.steps, device, profile=(i == 0))
                for i, b in enumerate(args.batches.split(","))]
        first, last = rows[0], rows[-1]
        # Launch-bound: a 16x larger batch costs < 2x the time per step.
        ratio = last["ms_per_step"] / first["ms_per_step"]
        report["models"][data] = {"rows": rows, "time_ratio_largest_to_smallest_batch": round(ratio, 2),
                                  "launch_bound": ratio < 2.0}
        print("%s: %s ms per step at batch %s; launch-bound: %s" % (
            data, ", ".join("%.2f" % r["ms_per_step"] for r in rows), args.batches, ratio < 2.0), flush=True)
    with open(args.json, "w") as f:
        json.dump(report, f, indent=1)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
