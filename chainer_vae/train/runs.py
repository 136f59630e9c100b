"""Train a model once and reuse it: runs live in ``<out>/runs/<name>-<hash>/``.

The hash covers what is trained -- the config's settings and the fingerprint of the data
actually used -- so changed data or settings get a new run, never a stale model.  A finished run
holds model.npz, history.json and run.json; an unfinished one holds snapshot.npz (written after
every epoch) that the next call resumes from.  Reuse is announced; ``--retrain`` starts over.
"""
import dataclasses
import os
import platform
import shutil
import sys
import time

import chainer
import numpy as np

from chainer_vae import files, parallel
from chainer_vae.train import loop
from chainer_vae.data import fingerprint
from chainer_vae.device import resolve_device
from chainer_vae.model import make_decoder, make_encoder
from chainer_vae.model.vae import VAELoss


@dataclasses.dataclass
class Run:
    model: object      # the VAELoss chain, on the requested device
    history: list      # one dict per epoch (see loop.train)
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


def build_model(config):
    """The VAE a config describes, with its seeded initial weights."""
    np.random.seed(config.seed)
    return VAELoss(make_encoder(config.encoder, config.DATA, config.n_latent),
                   make_decoder(config.decoder, config.DATA, config.n_latent),
                   beta=config.beta, k=config.k)


def _say(text):
    print(text, file=sys.stderr, flush=True)


def settings(config, run_dir):
    """The training loop's settings for ``config`` (every one of them comes from the config)."""
    return loop.Settings(
        run_dir=run_dir, epochs=config.epochs, device=resolve_device(config.device),
        batch_size=config.batch_size, lr=tuple(config.schedule()), weight_decay=config.weight_decay,
        anneal_epochs=config.anneal_epochs, seed=config.seed, examples_per_epoch=config.examples_per_epoch(),
        test_examples=config.test_examples(), fused=config.fused, progress=config.progress,
        resume=config.resume, parallel=parallel.current())


def fit(config, name, train_x, test_x, data_description, on_epoch=None):
    """The finished run of ``config`` on this data if there is one (announced), else train it
    (resuming an interrupted run).  on_epoch(epoch, model, run_dir), if given, is called after
    each epoch's snapshot (on rank 0 only).

    Under MPI every rank calls this: rank 0 decides (reuse, retrain) and writes the run folder,
    and the others follow its decisions and read it."""
    data_fp = fingerprint(train_x, test_x)
    run_id = config.run_id(name, data_fp)
    run_dir = os.path.join(config.out, "runs", run_id)
    model_path, info_path = (os.path.join(run_dir, f) for f in ("model.npz", "run.json"))
    s = settings(config, run_dir)
    par = s.parallel
    model = build_model(config)
    if par.is_root and config.retrain and os.path.isdir(run_dir):
        _say("--retrain: discarding %s and training again" % run_dir)
        shutil.rmtree(run_dir)
    if par.bcast(os.path.exists(model_path) and os.path.exists(info_path)):
        loop.load_model(model_path, model)
        model.to_device(s.device)
        s.device.use()
        info = files.read_json(info_path)
        history = files.read_json(os.path.join(run_dir, "history.json"))
        _say("reusing the finished run %s (%d epochs on data %s); --retrain trains it again"
             % (run_dir, len(history), data_fp))
        return Run(model, history, run_dir, info)

    started = time.perf_counter()
    history = loop.train(model, train_x, test_x, s,
                         on_epoch=None if on_epoch is None else lambda epoch, m: on_epoch(epoch, m, run_dir))
    info = {
        # Portable: no folder of this machine (the run folder is relative to --out).
        "run_id": run_id, "config": config.identity(),
        "data": data_description, "data_fingerprint": data_fp,
        "n_train": int(len(train_x)), "n_test": int(len(test_x)),
        "device": str(s.device), "machine": machine(),
        "versions": {"python": platform.python_version(), "chainer": chainer.__version__,
                     "numpy": np.__version__},
        # Wall time of this call; a resumed run counts only the part after the resume.
        "train_seconds": time.perf_counter() - started,
        "seconds_per_epoch": [row["seconds"] for row in history],
    }
    if par.size > 1:  # where the epoch times were measured
        info["mpi"] = {"communicator": config.communicator, "processes": par.size}
    if par.is_root:
        loop.save_model(model_path, model)
        files.write_json(info_path, info)
        snapshot = os.path.join(run_dir, "snapshot.npz")
        if os.path.exists(snapshot):
            os.remove(snapshot)  # the finished model supersedes it (the MIDI one is ~280 MB)
    par.barrier()  # returns on every rank once the run is on disk
    return Run(model, history, run_dir, info)


def summary(history):
    """The last epoch's numbers and each KL curve's minimum (the epoch times are the machine's:
    outputs.split_run puts their median in the run's record)."""
    last = history[-1]
    out = {"epochs": len(history), "final": {s: last[s] for s in ("train", "test")}}
    for split in ("train", "test"):
        kl = [row[split]["kl_penalty"] for row in history]
        out["%s_kl_min" % split] = {"epoch": int(np.argmin(kl)) + 1, "value": float(min(kl))}
    return out
