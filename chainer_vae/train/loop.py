"""The training loop: Adam + weight decay, per-epoch history, snapshots and resume.

``train(model, train_x, test_x, settings)`` runs ``settings.epochs`` epochs.  Each epoch draws a
fresh permutation and drops the last partial batch (as the authors' iterator did); its train
loss is the mean of its batch losses, its test loss one pass over the test set (or over a fixed
sample of it, ``test_examples``).  After every epoch the history goes to
``run_dir/history.json`` and a snapshot (model, optimizer, history) to ``run_dir/snapshot.npz``
*before* the epoch's line is printed, so a run killed at any moment resumes from its last
completed epoch and ends with the history of an uninterrupted run.

Data meets the loop through one small protocol (``examples``): ``len(x)``, ``x.shape``,
``x.batch(index)`` (float32 rows on x's device), ``x.to_device(device)`` and ``x.subset(index)``.
MIDI windows, image folders and binarized digits implement it; a plain array is wrapped in
``Examples``.  Several processes (MPI) attach from outside through ``Settings.team``
(``Team``'s four members); the loop itself knows one process only.

Lean by design (BENCHMARKS.md): the data is sent to the device once, batches are gathered and
cast to float32 on the device, the losses are summed on the device and read back once per epoch,
and Chainer's per-call type checks are off inside the loop.  Every step calls the model itself
(its ``forward``, as written and as edited): nothing else stands in for it on any device.
"""
import dataclasses
import json
import os
import time

import chainer
import numpy as np
from chainer import serializers

from chainer_vae import files
from chainer_vae.errors import DataError, DivergedError
from chainer_vae.progress import Progress, duration
from chainer_vae.train import optim
from chainer_vae.train.schedules import beta_at, fresh_adam_at, lr_at

TERMS = ("loss", "reconstr", "kl_penalty")
# seed s, epoch e -> NumPy seed (s * 1,000,003 + e) mod 2**32: a prime stride larger than any
# epoch count, so the epochs of one seed never share a seed.
SEED_STRIDE = 1_000_003
# Evaluation chunks: at most 4,096 examples (all of the paper's test sets in one pass) and at
# most 2**24 input elements (64 MB as float32; a 4,096-window MIDI chunk and its 15,600-wide
# decoder output took ~1 GB).
EVAL_MAX_EXAMPLES, EVAL_MAX_ELEMENTS = 4096, 2 ** 24


@dataclasses.dataclass(frozen=True)
class Settings:
    """How to train, besides the model and the data (train/runs.py builds it from a config)."""
    run_dir: str
    epochs: int
    device: object                      # a chainer.backend.Device
    batch_size: int = 32
    lr: tuple = ((None, 1e-3),)         # a parsed schedule: ((last epoch or None, alpha), ...)
    weight_decay: float = 5e-4
    anneal_epochs: int = 0              # the KL weight rises from 0 to the model's beta over these
    seed: int = 0
    examples_per_epoch: int = 0         # > 0: each epoch trains on that many, drawn without replacement
    test_examples: int = 0              # > 0: each epoch's test loss is of a fixed sample of that many
    progress: bool = True
    resume: bool = True
    team: object = None                 # several processes (parallel/mpi.py), else None: one (Team)


class Team:
    """The processes a run trains on: here one.  Data-parallel training (``parallel/mpi.py``)
    passes its own object with the same four members in ``Settings.team``."""
    is_root = True                      # this process writes the run folder and prints

    def shard(self, model, examples):
        """This process's view of the data: ``batch(index)`` gives its rows of a global batch."""
        return examples

    def optimizer(self, optimizer):
        """The optimizer every step calls (averaging gradients over the processes), ready to step."""
        return optimizer

    def reduce(self, sums):
        """Per-process sums (a host float64 array) -> their sum over the processes, once per epoch."""
        return sums


class Examples:
    """A plain array of examples (host or device) in the loop's data protocol (module docstring)."""

    def __init__(self, array):
        self.array = array

    def __len__(self):
        return len(self.array)

    @property
    def shape(self):
        return self.array.shape

    def batch(self, index):
        return self.array[index].astype(np.float32, copy=False)  # cast on the device

    def to_device(self, device):
        return Examples(device.send(self.array))

    def subset(self, index):
        return Examples(self.array[index])


def examples(x):
    """x in the loop's data protocol: an object that has ``batch`` as it is, an array wrapped."""
    return x if hasattr(x, "batch") else Examples(x)


def _reseed(xp, seed, epoch):
    # One seed per epoch (not one per run): a resumed run draws the same batches and the same
    # z samples as an uninterrupted one, on NumPy and CuPy alike, without saving RNG states.
    s = (int(seed) * SEED_STRIDE + int(epoch)) % (2 ** 32)
    np.random.seed(s)
    if xp is not np:
        xp.random.seed(s)


def eval_batch_size(x):
    """Examples per evaluation chunk (EVAL_MAX_EXAMPLES, EVAL_MAX_ELEMENTS)."""
    per_example = int(np.prod(x.shape[1:])) or 1
    return int(max(32, min(EVAL_MAX_EXAMPLES, EVAL_MAX_ELEMENTS // per_example)))


def evaluate(model, x, batch_size=None, on_chunk=None, reduce=None):
    """Per-example means of loss, reconstr and kl_penalty over x (the data protocol, or an array),
    without backprop.

    The original code evaluated the whole test set in one pass; chunks of ``batch_size``
    (default: ``eval_batch_size``) give the same per-example means in bounded memory.  A sharded
    x (several processes) gives each process its rows of every chunk, and ``reduce`` adds the
    sums over the processes.  on_chunk(done, total), if given, is called after each chunk.
    """
    x = examples(x)
    batch_size = batch_size or eval_batch_size(x)
    xp = model.xp
    sums = xp.zeros(2, dtype=np.float32)
    n = len(x)
    with chainer.no_backprop_mode(), chainer.using_config("train", False), \
            chainer.using_config("type_check", False):
        for i in range(0, n, batch_size):
            xb = x.batch(slice(i, min(i + batch_size, n)))
            if len(xb):  # a shard of the last chunk may be empty (fewer rows than processes)
                model(xb)
                sums += xp.stack([model.reconstr.array, model.kl_penalty.array]) * np.float32(len(xb))
            if on_chunk is not None:
                on_chunk(min(i + batch_size, n), n)
    sums = chainer.backend.CpuDevice().send(sums)
    reconstr, kl = (float(v) for v in (reduce(sums) if reduce else sums) / n)
    return {"loss": reconstr + float(model.beta) * kl, "reconstr": reconstr, "kl_penalty": kl}


def make_optimizer(model, alpha, weight_decay):
    """Adam(alpha) with L2 weight decay (weight_decay * param added to the gradient, as Chainer's
    WeightDecay hook does), set up on model: train/optim.py's update, the same operations as
    Chainer's Adam + WeightDecay hook, bit for bit, in fewer memory passes."""
    optimizer = optim.Adam(alpha=alpha, l2_rate=weight_decay or 0.0)
    optimizer.setup(model)
    return optimizer


def train_epoch(model, optimizer, x_train, batch_size, progress=None, n_examples=0):
    """One epoch over a fresh permutation of x_train (the data protocol, or an array on the
    model's device); the last partial batch is dropped.  n_examples > 0: only the first
    n_examples of the permutation (a sample without replacement).  Returns the sums over batches
    of (loss, reconstr, kl_penalty) as device scalars: nothing is read back to the host inside the
    loop.  progress(i) is called after batch i.  A sharded x_train (several processes) gives this
    process its rows of each batch, and each term is weighted by its share of the batch, so the
    processes' sums add up to the one-process sums."""
    x_train = examples(x_train)
    xp = model.xp
    perm = xp.random.permutation(len(x_train))
    if n_examples:
        perm = perm[:n_examples]
    n_batches = len(perm) // batch_size
    sums = [xp.zeros((), dtype=np.float32) for _ in TERMS]
    with chainer.using_config("type_check", False):
        for i in range(n_batches):
            x = x_train.batch(perm[i * batch_size:(i + 1) * batch_size])
            loss = model(x)
            model.cleargrads()
            loss.backward()
            optimizer.update()
            share = np.float32(len(x) / batch_size)  # 1 in one process: the sums are exact
            for total, term in zip(sums, (loss, model.reconstr, model.kl_penalty)):
                total += term.array if len(x) == batch_size else term.array * share
            if progress is not None:
                progress(i + 1)
    return sums


def test_sample(x, n, seed):
    """The fixed, seeded sample of ``n`` examples of x that every epoch is evaluated on (sorted,
    so windows are read in order); x itself when n is 0 or covers it."""
    if not n or n >= len(x):
        return x
    index = np.sort(np.random.RandomState(seed).choice(len(x), n, replace=False))
    return examples(x).subset(index)


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


class _Run:
    """The state of one call of ``train``: what each epoch needs, set up once."""

    def __init__(self, model, train_x, test_x, s):
        self.model, self.s, self.team = model, s, s.team or Team()
        self.snapshot = os.path.join(s.run_dir, "snapshot.npz")
        self.bar = Progress(s.progress) if self.team.is_root else Progress(False, stream=open(os.devnull, "w"))
        self.beta = model.beta  # the KL weight after the warm-up (anneal_epochs)
        s.device.use()
        model.to_device(s.device)
        self.optimizer = make_optimizer(model, lr_at(s.lr, 1), s.weight_decay)
        self.history = self._resume()
        self.n_test = len(test_x)
        self.epoch_test_x = test_sample(test_x, s.test_examples, s.seed)
        self.x_train, self.x_test = (self.team.shard(model, examples(x).to_device(s.device))
                                     for x in (train_x, self.epoch_test_x))
        self.n_batches = min(len(train_x), s.examples_per_epoch or len(train_x)) // s.batch_size
        if self.n_batches == 0:
            raise DataError("batch size %d exceeds the %d training examples: pass a --batch-size no larger than "
                            "that, or more data" % (s.batch_size, len(train_x)))
        self.optimizer = self.team.optimizer(self.optimizer)
        self.epoch_bar = EpochBar(self.bar, s.epochs, self.n_batches, s.batch_size, len(self.epoch_test_x))

    def _resume(self):
        if self.team.is_root:
            os.makedirs(self.s.run_dir, exist_ok=True)
            for name in os.listdir(self.s.run_dir):  # what a killed run was writing: never read
                if name.startswith(".") and ".tmp" in name:
                    os.remove(os.path.join(self.s.run_dir, name))
        # Every process reads the snapshot for itself: none is written before the first step,
        # which no process takes alone.  A damaged one (truncated, garbage) is kept aside as
        # snapshot.npz.corrupt by the root, said in one line, and the run starts over at epoch 1.
        damage = files.npz_damage(self.snapshot) if self.s.resume and os.path.exists(self.snapshot) else None
        if damage is not None and self.team.is_root:
            self.bar.line("snapshot %s is damaged (%s): %s; training starts over at epoch 1"
                          % (self.snapshot, damage, files.move_aside(self.snapshot)))
        if self.s.resume and os.path.exists(self.snapshot) and damage is None:
            history = _load_snapshot(self.snapshot, self.model, self.optimizer)
            self.bar.line("resuming %s at epoch %d" % (self.s.run_dir, len(history) + 1))
            return history
        return []

    def epoch(self, epoch):
        """Train and evaluate one epoch; its history row."""
        s, model = self.s, self.model
        _reseed(model.xp, s.seed, epoch)
        self.optimizer.alpha = lr_at(s.lr, epoch)
        if fresh_adam_at(s.lr, epoch):  # '|' in the schedule: a new Adam, as a new notebook chunk
            optim.fresh_state(self.optimizer)
        model.beta = beta_at(epoch, self.beta, s.anneal_epochs)
        started = time.perf_counter()
        self.epoch_bar.start(epoch)
        sums = train_epoch(model, self.optimizer, self.x_train, s.batch_size, progress=self.epoch_bar.train,
                           n_examples=s.examples_per_epoch)
        # one read-back (a GPU sync) for the three sums, added over the processes
        totals = self.team.reduce(chainer.backend.CpuDevice().send(model.xp.stack(sums)).astype(np.float64))
        row = {"epoch": epoch, "alpha": self.optimizer.alpha, "beta": model.beta,
               "train": {k: float(v) / self.n_batches for k, v in zip(TERMS, totals)},
               "test": evaluate(model, self.x_test, on_chunk=self.epoch_bar.test, reduce=self.team.reduce)}
        if len(self.epoch_test_x) < self.n_test:
            row["test_examples"] = len(self.epoch_test_x)
        row["seconds"] = time.perf_counter() - started
        _check_finite(row, s.run_dir)  # the same row on every rank: all stop together
        return row

    def save(self, on_epoch=None):
        """On disk first, then said: an epoch line means that epoch survives a kill -9."""
        if self.team.is_root:
            _save_snapshot(self.snapshot, self.model, self.optimizer, self.history)
            files.write_json(os.path.join(self.s.run_dir, "history.json"), self.history)
            if on_epoch is not None:
                on_epoch(self.history[-1]["epoch"], self.model)

    def say(self, row):
        left = (self.s.epochs - row["epoch"]) * float(np.median([r["seconds"] for r in self.history]))
        self.bar.line("epoch %3d/%d  train %.2f (KL %.2f)  test %.2f (KL %.2f)  %.1fs%s" % (
            row["epoch"], self.s.epochs, row["train"]["loss"], row["train"]["kl_penalty"],
            row["test"]["loss"], row["test"]["kl_penalty"], row["seconds"],
            "  run eta %s" % duration(left) if left else ""))

    def evaluate_all(self, test_x):
        """After the last epoch of a sampled run: the whole test set once, into ``test_all``."""
        self.bar.line("evaluating all %d test examples (each epoch saw a sample of %d)"
                      % (self.n_test, len(self.epoch_test_x)))
        x = self.team.shard(self.model, examples(test_x).to_device(self.s.device))
        self.history[-1]["test_all"] = evaluate(self.model, x, on_chunk=self.epoch_bar.test, reduce=self.team.reduce)
        self.save()


def train(model, train_x, test_x, settings, on_epoch=None):
    """Train ``model`` (a VAELoss) as ``settings`` say; return the per-epoch history.

    train_x, test_x: host arrays (float32 in [0, 1], or uint8 0/1) or objects of the data protocol
    (module docstring: MIDI windows cut per batch from packed songs, image folders, ...), sent to
    the device once.  on_epoch(epoch, model), if given, is called after each epoch's snapshot
    (e.g. to keep codes).  With ``settings.team`` (several processes, parallel/mpi.py) every
    process calls train() with the same arguments and trains on its rows of each batch; only the
    root process writes run_dir and prints.
    """
    run = _Run(model, train_x, test_x, settings)
    for epoch in range(len(run.history) + 1, settings.epochs + 1):
        run.history.append(run.epoch(epoch))
        run.save(on_epoch)
        run.say(run.history[-1])
    if len(run.epoch_test_x) < run.n_test and "test_all" not in run.history[-1]:
        run.evaluate_all(test_x)
    return run.history


def save_model(path, model):
    # Uncompressed: trained float32 weights compress little (a trained lute model: 96 MB, 80 MB
    # with zlib) and zlib took 3.4 s of a 6 s smoke run; models/ ships compressed copies
    # (tools/ship_model.py).
    with files.atomic_path(path) as tmp:
        serializers.save_npz(tmp, model, compression=False)


def load_model(path, model):
    serializers.load_npz(path, model)
    return model
