"""The one training loop: Adam + weight decay, per-epoch history, snapshots and resume.

Lean by design (see BENCHMARKS.md): the data is sent to the device once, batches are gathered
and cast to float32 on the device, the losses are summed on the device and read back once per
epoch, and Chainer's per-call type checks are off inside the loop.
"""
import json
import os
import time

import chainer
import numpy as np
from chainer import serializers

from chainer_vae import io, optim, speed
from chainer_vae.errors import DataError
from chainer_vae.progress import Progress
from chainer_vae.schedules import beta_at, lr_at, parse_lr_schedule

TERMS = ("loss", "reconstr", "kl_penalty")


def _reseed(xp, seed, epoch):
    # One seed per epoch (not one per run): a resumed run draws the same batches and the same
    # z samples as an uninterrupted one, on NumPy and CuPy alike, without saving RNG states.
    s = (int(seed) * 1000003 + int(epoch)) % (2 ** 32)
    np.random.seed(s)
    if xp is not np:
        xp.random.seed(s)


def evaluate(model, x, batch_size=4096):
    """Per-example means of loss, reconstr and kl_penalty over x (device array), without backprop.

    The original code evaluated the whole test set in one pass; chunks of `batch_size` give the
    same per-example means while bounding memory for large test sets.
    """
    xp = chainer.backend.get_array_module(x)
    sums = xp.zeros(2, dtype=np.float32)
    n = len(x)
    with chainer.no_backprop_mode(), chainer.using_config("train", False), \
            chainer.using_config("type_check", False):
        for i in range(0, n, batch_size):
            xb = x[i:i + batch_size].astype(np.float32, copy=False)
            model(xb)
            w = np.float32(len(xb))
            sums += xp.stack([model.reconstr.array, model.kl_penalty.array]) * w
    reconstr, kl = (float(v) for v in chainer.backend.CpuDevice().send(sums) / n)
    return {"loss": reconstr + float(model.beta) * kl, "reconstr": reconstr, "kl_penalty": kl}


def _map_batches(model, fn, a, batch_size):
    """fn(device batch) -> Variable, over host array `a` in batches, without backprop -> host array."""
    device = model.device
    out = []
    with chainer.no_backprop_mode(), chainer.using_config("train", False):
        for i in range(0, len(a), batch_size):
            batch = device.send(np.asarray(a[i:i + batch_size], dtype=np.float32))
            out.append(chainer.backend.CpuDevice().send(fn(batch).array))
    return np.concatenate(out)


def encode(model, x, batch_size=4096):
    """Posterior means mu for every row of x (host array), computed on the model's device."""
    return _map_batches(model, lambda b: model.encode(b)[0], x, batch_size)


def decode(model, z, batch_size=4096):
    """Bernoulli means (sigmoid of the logits) for latent codes z (host array) -> host array."""
    return _map_batches(model, model.decode, z, batch_size)


def _save_snapshot(path, model, optimizer, history):
    target = {}
    ser = serializers.DictionarySerializer(target)
    ser["model"].save(model)
    ser["optimizer"].save(optimizer)
    target["history"] = np.array(json.dumps(history))
    with io.atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **target)


def _load_snapshot(path, model, optimizer):
    with np.load(path) as npz:
        serializers.NpzDeserializer(npz, path="model/").load(model)
        serializers.NpzDeserializer(npz, path="optimizer/").load(optimizer)
        return json.loads(str(npz["history"]))


def make_optimizer(model, alpha, weight_decay):
    """Adam(alpha) with L2 weight decay (weight_decay * param added to the gradient, as Chainer's
    WeightDecay hook does), set up on model.  The update is chainer_vae.optim's fused one: the
    same operations as Chainer's Adam + WeightDecay hook, bit for bit, in fewer memory passes.
    On a CPU the model's MLPs and loss terms switch to chainer_vae.speed's forms of the same maths."""
    optimizer = optim.Adam(alpha=alpha, l2_rate=weight_decay or 0.0)
    optimizer.setup(speed.use_for_cpu(model))
    return optimizer


def train_epoch(model, optimizer, x_train, batch_size, progress=None):
    """One epoch over a fresh permutation of x_train (a device array); the last partial batch is
    dropped.  Returns the sums over batches of (loss, reconstr, kl_penalty) as device scalars:
    nothing is read back to the host inside the loop.  progress(i) is called after batch i."""
    xp = chainer.backend.get_array_module(x_train)
    n_batches = len(x_train) // batch_size
    perm = xp.random.permutation(len(x_train))
    sums = [xp.zeros((), dtype=np.float32) for _ in TERMS]
    with chainer.using_config("type_check", False):
        for i in range(n_batches):
            x = x_train[perm[i * batch_size:(i + 1) * batch_size]].astype(np.float32, copy=False)
            loss = model(x)
            model.cleargrads()
            loss.backward()
            optimizer.update()
            sums[0] += loss.array
            sums[1] += model.reconstr.array
            sums[2] += model.kl_penalty.array
            if progress is not None:
                progress(i + 1)
    return sums


def train(model, train_x, test_x, *, run_dir, epochs, device, batch_size=32, lr="1e-3",
          weight_decay=5e-4, beta=1.0, anneal_epochs=0, seed=0, progress=True, resume=True,
          snapshot_every=1):
    """Train ``model`` (a VAELoss) with Adam + WeightDecay; return the per-epoch history.

    train_x, test_x: host arrays (float32 in [0, 1], or uint8 0/1), sent to `device` once.
    Each epoch draws a fresh permutation and drops the last partial batch (as the original);
    the train loss of an epoch is the mean of its batch losses, the test loss is one pass over
    the test set. The history goes to ``run_dir/history.json`` after every epoch; a snapshot
    (model, optimizer, history) every `snapshot_every` epochs lets an interrupted run resume.
    """
    schedule = parse_lr_schedule(lr)
    os.makedirs(run_dir, exist_ok=True)
    snapshot = os.path.join(run_dir, "snapshot.npz")
    bar = Progress(progress)

    device.use()
    model.to_device(device)
    optimizer = make_optimizer(model, lr_at(schedule, 1), weight_decay)

    history = []
    if resume and os.path.exists(snapshot):
        history = _load_snapshot(snapshot, model, optimizer)
        bar.line("resuming %s at epoch %d" % (run_dir, len(history) + 1))
    xp = device.xp
    x_train, x_test = device.send(train_x), device.send(test_x)
    n_batches = len(train_x) // batch_size
    if n_batches == 0:
        raise DataError("batch size %d exceeds the %d training examples" % (batch_size, len(train_x)))

    for epoch in range(len(history) + 1, epochs + 1):
        _reseed(xp, seed, epoch)
        optimizer.alpha = lr_at(schedule, epoch)
        model.beta = beta_at(epoch, beta, anneal_epochs)
        started = time.perf_counter()
        sums = train_epoch(model, optimizer, x_train, batch_size,
                           progress=lambda i: bar.bar("epoch %d/%d" % (epoch, epochs), i, n_batches, started))
        row = {"epoch": epoch, "alpha": optimizer.alpha, "beta": model.beta,
               "train": {k: float(s) / n_batches for k, s in zip(TERMS, sums)}}
        row["test"] = evaluate(model, x_test)
        row["seconds"] = time.perf_counter() - started
        history.append(row)
        bar.line("epoch %3d/%d  train %.2f (KL %.2f)  test %.2f (KL %.2f)  %.1fs" % (
            epoch, epochs, row["train"]["loss"], row["train"]["kl_penalty"],
            row["test"]["loss"], row["test"]["kl_penalty"], row["seconds"]))
        io.write_json(os.path.join(run_dir, "history.json"), history)
        if epoch % snapshot_every == 0 or epoch == epochs:
            _save_snapshot(snapshot, model, optimizer, history)
    return history


def save_model(path, model):
    with io.atomic_path(path) as tmp:
        serializers.save_npz(tmp, model)


def load_model(path, model):
    serializers.load_npz(path, model)
    return model
