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

from chainer_vae.parallel import mpi
from chainer_vae import files
from chainer_vae.train import fused, optim
from chainer_vae.data.midi.windows import Windows
from chainer_vae.errors import ConfigError, DataError, DivergedError
from chainer_vae.progress import Progress, duration
from chainer_vae.train.schedules import beta_at, fresh_adam_at, lr_at, parse_lr_schedule

TERMS = ("loss", "reconstr", "kl_penalty")


def _reseed(xp, seed, epoch):
    # One seed per epoch (not one per run): a resumed run draws the same batches and the same
    # z samples as an uninterrupted one, on NumPy and CuPy alike, without saving RNG states.
    s = (int(seed) * 1000003 + int(epoch)) % (2 ** 32)
    np.random.seed(s)
    if xp is not np:
        xp.random.seed(s)


def _send(device, a):
    """Arrays go to the device once; so do the packed songs of windows cut on the fly."""
    return a.to_device(device) if isinstance(a, Windows) else device.send(a)


def _batch(x, index):
    """Rows ``index`` of x as float32: windows cut from packed songs (data/midi/windows.py), or rows
    of an array (cast on the device)."""
    return x.take(index) if isinstance(x, Windows) else x[index].astype(np.float32, copy=False)


def eval_batch_size(x, elements=2 ** 24):
    """Examples per evaluation chunk: at most 4,096 (all of the paper's test sets) and at most
    ~16 M input elements (64 MB as float32; a 4,096-window MIDI chunk and its 15,600-wide
    decoder output took ~1 GB)."""
    per_example = int(np.prod(x.shape[1:])) or 1
    return int(max(32, min(4096, elements // per_example)))


def evaluate(model, x, batch_size=None, comm=None, on_chunk=None):
    """Per-example means of loss, reconstr and kl_penalty over x (device array), without backprop.

    The original code evaluated the whole test set in one pass; chunks of `batch_size` (default:
    ``eval_batch_size``) give the same per-example means while bounding memory for large test
    sets.  comm (ChainerMN): each rank evaluates its rows of every chunk and the sums are added
    over the ranks.  on_chunk(done, total), if given, is called after each chunk (progress).
    """
    batch_size = batch_size or eval_batch_size(x)
    xp = model.xp
    sums = xp.zeros(2, dtype=np.float32)
    n = len(x)
    with chainer.no_backprop_mode(), chainer.using_config("train", False), \
            chainer.using_config("type_check", False):
        for i in range(0, n, batch_size):
            index = slice(i, min(i + batch_size, n))
            if comm is not None:
                index = mpi.rows(model, index)
                if index.stop == index.start:  # fewer rows than ranks: only in the last chunk, so
                    continue                   # the ranks' RNGs part only until the next _reseed
            xb = _batch(x, index)
            model(xb)
            w = np.float32(len(xb))
            sums += xp.stack([model.reconstr.array, model.kl_penalty.array]) * w
            if on_chunk is not None:
                on_chunk(min(i + batch_size, n), n)
    sums = chainer.backend.CpuDevice().send(sums)
    if comm is not None:
        sums = mpi.sum_over_ranks(comm, sums)
    reconstr, kl = (float(v) for v in sums / n)
    return {"loss": reconstr + float(model.beta) * kl, "reconstr": reconstr, "kl_penalty": kl}


def _save_snapshot(path, model, optimizer, history):
    target = {}
    ser = serializers.DictionarySerializer(target)
    ser["model"].save(model)
    ser["optimizer"].save(optimizer)
    target["history"] = np.array(json.dumps(history))
    with files.atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **target)


def _load_snapshot(path, model, optimizer):
    with np.load(path) as npz:
        serializers.NpzDeserializer(npz, path="model/").load(model)
        serializers.NpzDeserializer(npz, path="optimizer/").load(optimizer)
        return json.loads(str(npz["history"]))


def make_optimizer(model, alpha, weight_decay):
    """Adam(alpha) with L2 weight decay (weight_decay * param added to the gradient, as Chainer's
    WeightDecay hook does), set up on model.  The update is chainer_vae.train.optim's fused one: the
    same operations as Chainer's Adam + WeightDecay hook, bit for bit, in fewer memory passes.
    On a CPU the model's MLPs and loss terms switch to chainer_vae.train.fused's forms of the same maths."""
    optimizer = optim.Adam(alpha=alpha, l2_rate=weight_decay or 0.0)
    optimizer.setup(fused.use_for_cpu(model))
    return optimizer


def train_epoch(model, optimizer, x_train, batch_size, progress=None, n_examples=0, comm=None):
    """One epoch over a fresh permutation of x_train (a device array or Windows); the last
    partial batch is dropped.  n_examples > 0: only the first n_examples of the permutation (a
    sample without replacement).  Returns the sums over batches of (loss, reconstr, kl_penalty)
    as device scalars: nothing is read back to the host inside the loop.  progress(i) is called
    after batch i.  comm (ChainerMN): this rank trains on its rows of each batch, and the sums
    are of its own batch means."""
    xp = model.xp
    perm = xp.random.permutation(len(x_train))
    if n_examples:
        perm = perm[:n_examples]
    n_batches = len(perm) // batch_size
    sums = [xp.zeros((), dtype=np.float32) for _ in TERMS]
    with chainer.using_config("type_check", False):
        for i in range(n_batches):
            index = perm[i * batch_size:(i + 1) * batch_size]
            x = _batch(x_train, index if comm is None else mpi.rows(model, index))
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


def test_sample(x, n, seed):
    """The fixed, seeded sample of ``n`` examples of x that every epoch is evaluated on (sorted,
    so windows are read in order); x itself when n is 0 or covers it."""
    if not n or n >= len(x):
        return x
    index = np.sort(np.random.RandomState(seed).choice(len(x), n, replace=False))
    return x.subset(index) if isinstance(x, Windows) else x[index]


class EpochBar:
    """One bar for an epoch: its training batches, then its test pass, with one ETA for both.

    The test pass's cost is measured in the first epoch; until then it is guessed from the
    example counts (a forward pass is about a third of a training step)."""

    def __init__(self, bar, epochs, n_batches, batch_size, n_test):
        self.bar, self.epochs, self.n_batches = bar, epochs, n_batches
        self.test_per_batch = n_test / batch_size / 3.0  # test-pass seconds, in training batches
        self.epoch = self.started = self.test_started = None

    def start(self, epoch):
        self.epoch, self.started = epoch, time.perf_counter()

    def train(self, i):
        per_batch = (time.perf_counter() - self.started) / i
        eta = per_batch * (self.n_batches - i + self.test_per_batch)
        self.bar.bar("epoch %d/%d train" % (self.epoch, self.epochs), i, self.n_batches, self.started, eta=eta)

    def test(self, done, total):
        now = time.perf_counter()
        if self.test_started is None:
            self.test_started, self.train_seconds = now, now - self.started
        eta = (now - self.test_started) / done * (total - done) if done else 0.0
        self.bar.bar("epoch %d/%d test" % (self.epoch, self.epochs), done, total, self.started, eta=eta)
        if done >= total:  # measured: the next epochs' ETAs use it
            self.test_per_batch = (now - self.test_started) / (self.train_seconds / self.n_batches)
            self.test_started = None


def _check_finite(row, run_dir):
    """A NaN or infinite loss stops the run; the snapshot of the last good epoch stays."""
    bad = [split for split in ("train", "test") if not np.isfinite(row[split]["loss"])]
    if bad:
        raise DivergedError(
            "epoch %d: the %s loss became %s; the run stopped, and %s keeps the last good epoch "
            "(%d) -- try a smaller --alpha" % (row["epoch"], " and ".join(bad), row[bad[0]]["loss"],
                                              run_dir, row["epoch"] - 1))


def train(model, train_x, test_x, *, run_dir, epochs, device, batch_size=32, lr=1e-3,
          weight_decay=5e-4, beta=1.0, anneal_epochs=0, seed=0, progress=True, resume=True,
          examples_per_epoch=0, test_examples=0, on_epoch=None, comm=None):
    """Train ``model`` (a VAELoss) with Adam + WeightDecay; return the per-epoch history.

    train_x, test_x: host arrays (float32 in [0, 1], or uint8 0/1) or Windows (MIDI windows cut
    per batch from packed songs), sent to `device` once.  examples_per_epoch > 0: each epoch
    trains on that many examples drawn without replacement (reproducible from the seed).
    test_examples > 0: each epoch's test loss is of a fixed, seeded sample of that many test
    examples (``test_sample``), and the whole test set is evaluated once after the last epoch,
    into the last row's ``test_all``.
    lr: a constant alpha, a schedule text ('1e-3:30,1e-5') or a parsed schedule.
    Each epoch draws a fresh permutation and drops the last partial batch (as the original);
    the train loss of an epoch is the mean of its batch losses, the test loss is one pass over
    the test set. After every epoch the history goes to ``run_dir/history.json`` and a snapshot
    (model, optimizer, history) to ``run_dir/snapshot.npz``, so a run killed at any moment
    resumes from its last completed epoch and ends with the history of an uninterrupted run.
    on_epoch(epoch, model), if given, is called after each epoch's snapshot (e.g. to keep codes).

    comm: a ChainerMN communicator (chainer_vae/mpi.py): every rank calls train() with
    the same arguments and trains on its rows of each batch, gradients are averaged over the
    ranks; the history is the one-process run's to float rounding.  Only rank 0 writes run_dir
    and prints; every rank reads the snapshot to resume (run_dir on a shared filesystem).
    """
    schedule = lr if isinstance(lr, list) else parse_lr_schedule(lr)
    root = mpi.is_root(comm)
    if comm is not None and batch_size % comm.size:
        raise ConfigError("batch size %d is not divisible by the %d MPI processes" % (batch_size, comm.size))
    if root:
        os.makedirs(run_dir, exist_ok=True)
    snapshot = os.path.join(run_dir, "snapshot.npz")
    bar = Progress(progress) if root else Progress(False, stream=open(os.devnull, "w"))

    device.use()
    model.to_device(device)
    optimizer = make_optimizer(model, lr_at(schedule, 1), weight_decay)
    if comm is not None:
        mpi.attach(model, comm)
        optimizer = mpi.multi_node_optimizer(optimizer, comm)

    for name in os.listdir(run_dir) if root else ():  # what a killed run was writing: never read
        if name.startswith(".") and ".tmp" in name:
            os.remove(os.path.join(run_dir, name))
    history = []
    if resume and mpi.bcast(comm, os.path.exists(snapshot)):
        history = _load_snapshot(snapshot, model, optimizer)
        bar.line("resuming %s at epoch %d" % (run_dir, len(history) + 1))
    if comm is not None:
        mpi.start(optimizer, comm)
    xp = device.xp
    epoch_test_x = test_sample(test_x, test_examples, seed)
    x_train, x_test = _send(device, train_x), _send(device, epoch_test_x)
    n_batches = min(len(train_x), examples_per_epoch or len(train_x)) // batch_size
    if n_batches == 0:
        raise DataError("batch size %d exceeds the %d training examples" % (batch_size, len(train_x)))
    progress_bar = EpochBar(bar, epochs, n_batches, batch_size, len(epoch_test_x))

    for epoch in range(len(history) + 1, epochs + 1):
        _reseed(xp, seed, epoch)
        optimizer.alpha = lr_at(schedule, epoch)
        if fresh_adam_at(schedule, epoch):  # '|' in the schedule: a new Adam, as a new notebook chunk
            optim.fresh_state(optimizer)
        model.beta = beta_at(epoch, beta, anneal_epochs)
        started = time.perf_counter()
        progress_bar.start(epoch)
        shard = {} if comm is None else {"comm": comm}  # (as called before MPI: tests wrap these)
        sums = train_epoch(model, optimizer, x_train, batch_size, n_examples=examples_per_epoch,
                           progress=progress_bar.train, **shard)
        means = [float(s) / n_batches for s in sums]
        if comm is not None:  # each rank's mean of its batch means -> the global batches' mean
            means = mpi.mean_over_ranks(comm, means)
        row = {"epoch": epoch, "alpha": optimizer.alpha, "beta": model.beta,
               "train": {k: float(m) for k, m in zip(TERMS, means)}}
        row["test"] = evaluate(model, x_test, on_chunk=progress_bar.test, **shard)
        if len(epoch_test_x) < len(test_x):
            row["test_examples"] = len(epoch_test_x)
        row["seconds"] = time.perf_counter() - started
        _check_finite(row, run_dir)  # the same row on every rank: all stop together
        history.append(row)
        # On disk first, then said: an epoch line means that epoch survives a kill -9.
        if root:
            _save_snapshot(snapshot, model, optimizer, history)
            files.write_json(os.path.join(run_dir, "history.json"), history)
            if on_epoch is not None:
                on_epoch(epoch, model)
        left = (epochs - epoch) * float(np.median([r["seconds"] for r in history]))
        bar.line("epoch %3d/%d  train %.2f (KL %.2f)  test %.2f (KL %.2f)  %.1fs%s" % (
            epoch, epochs, row["train"]["loss"], row["train"]["kl_penalty"],
            row["test"]["loss"], row["test"]["kl_penalty"], row["seconds"],
            "  run eta %s" % duration(left) if left else ""))
    if len(epoch_test_x) < len(test_x) and "test_all" not in history[-1]:
        bar.line("evaluating all %d test examples (each epoch saw a sample of %d)" % (len(test_x), len(epoch_test_x)))
        history[-1]["test_all"] = evaluate(model, _send(device, test_x), on_chunk=progress_bar.test, **(
            {} if comm is None else {"comm": comm}))
        if root:
            _save_snapshot(snapshot, model, optimizer, history)
            files.write_json(os.path.join(run_dir, "history.json"), history)
    if comm is not None:
        mpi.detach(model)
    return history


def save_model(path, model):
    with files.atomic_path(path) as tmp:
        serializers.save_npz(tmp, model)


def load_model(path, model):
    serializers.load_npz(path, model)
    return model
