"""Train a model once and reuse it: runs live in ``<out>/runs/<name>-<config hash>/``.

A finished run holds model.npz, history.json and run.json; an unfinished one holds a
snapshot.npz that the next call resumes from. Figures 2 and 3 load Fig. 4's run this way instead
of training the same model three times.
"""
import dataclasses
import os
import platform
import time

import chainer
import numpy as np

from chainer_vae import io, training
from chainer_vae.device import resolve_device


@dataclasses.dataclass
class Run:
    model: object      # the VAELoss chain, on the requested device
    history: list      # one dict per epoch (see training.train)
    run_dir: str
    info: dict         # run.json: config, data, versions, device, wall time


def machine():
    """'<CPU model>, <n> CPUs, <OS>' for the record of where a run's times were measured."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return "%s, %d CPUs, %s" % (model, os.cpu_count() or 0, platform.system())


def run_dir_for(config, name):
    return os.path.join(config.out, "runs", config.run_id(name))


def fit(model, train_x, test_x, config, name, data_description, **train_kwargs):
    """Load the finished run for this config if there is one, else train (or resume) it."""
    run_dir = run_dir_for(config, name)
    model_path = os.path.join(run_dir, "model.npz")
    info_path = os.path.join(run_dir, "run.json")
    device = resolve_device(config.device)
    if os.path.exists(model_path) and os.path.exists(info_path):
        training.load_model(model_path, model)
        model.to_device(device)
        device.use()
        info = io.read_json(info_path)
        return Run(model, io.read_json(os.path.join(run_dir, "history.json")), run_dir, info)

    started = time.perf_counter()
    history = training.train(model, train_x, test_x, run_dir=run_dir, device=device,
                             seed=config.seed, progress=config.progress, resume=config.resume,
                             **train_kwargs)
    training.save_model(model_path, model)
    info = {
        "config": dataclasses.asdict(config),
        "data": data_description,
        "n_train": int(len(train_x)), "n_test": int(len(test_x)),
        "device": str(device), "machine": machine(),
        "versions": {"python": platform.python_version(), "chainer": chainer.__version__,
                     "numpy": np.__version__},
        # Wall time of this call; a resumed run counts only the part after the resume.
        "train_seconds": time.perf_counter() - started,
        "seconds_per_epoch": [row["seconds"] for row in history],
    }
    io.write_json(info_path, info)
    snapshot = os.path.join(run_dir, "snapshot.npz")
    if os.path.exists(snapshot):
        os.remove(snapshot)  # the finished model supersedes it (the MIDI one is ~280 MB)
    return Run(model, history, run_dir, info)


def summary(history):
    """The last epoch's numbers, each KL curve's minimum and the median epoch time."""
    last = history[-1]
    out = {"epochs": len(history), "final": {s: last[s] for s in ("train", "test")}}
    for split in ("train", "test"):
        kl = [row[split]["kl_penalty"] for row in history]
        out["%s_kl_min" % split] = {"epoch": int(np.argmin(kl)) + 1, "value": float(min(kl))}
    out["seconds_per_epoch_median"] = float(np.median([row["seconds"] for row in history]))
    return out
