"""Data-parallel training over MPI with ChainerMN: ``mpiexec -n N python experiments/<script> --communicator naive``.

Every rank runs the same script on the same data (built once: rank 0 first, the others then read
its caches; MIDI songs are memory-mapped, so a rank pages in only the songs its rows touch).  All
ranks draw the same per-epoch permutation from the seed (train/loop.py's _reseed); global batch i is
perm[i*B:(i+1)*B] and rank r trains on its contiguous B/N rows.  The loss is a per-example mean,
so the mean of the ranks' gradients (chainermn.create_multi_node_optimizer) is the one-process
gradient, and a run on N ranks follows the one-process run to float rounding:

- z samples: every rank draws the eps of the whole global batch, exactly as one process would
  (F.gaussian's own call), and keeps its rows (``ShardedSampler``; B x n_latent normals, nothing
  next to the network).  The same holds for the chunks of the test-set evaluation.
- the losses: per-rank sums, averaged over ranks once per epoch; test sums weighted by rows.

Only rank 0 writes (run folder, figures, JSON, results page) or prints; the other ranks are
silenced at start-up (a crash is still reported, by the rank that had it) and every rank reads the
run folder to resume, so --out must be on a filesystem all ranks share.  An error on any rank
aborts the whole job (MPI would otherwise wait forever for the rank that left).
"""
import contextlib
import dataclasses
import os
import sys
import traceback

import numpy as np

from chainer_vae import parallel
from chainer_vae.device import resolve_device
from chainer_vae.errors import ConfigError

from chainer_vae.parallel import GPU_COMMUNICATORS


def setup(config):
    """What ``--communicator`` does before any data is loaded (cli.flags.parse calls it): create the
    communicator and install its context (``parallel.current()``), give each rank its GPU
    (``comm.intra_rank``: NCCL allows one GPU per rank), silence the ranks other than 0 and check
    the batch splits evenly.  Returns the config with the rank's device."""
    context = parallel.use(MPI(config.communicator))
    comm = context.comm
    if config.communicator in GPU_COMMUNICATORS:
        config = dataclasses.replace(config, device="@cupy:%d" % comm.intra_rank)
    elif str(config.device).strip() not in ("-1", "@numpy"):
        raise ConfigError("--communicator %s averages gradients on the CPU; use a GPU communicator "
                          "(e.g. pure_nccl) with --device %s" % (config.communicator, config.device))
    resolve_device(config.device)  # before silencing: a rank without its GPU says so itself
    _abort_on_crash(context)
    if comm.rank != 0:
        _silence()
    batch = getattr(config, "batch_size", None)
    if batch is not None and batch % comm.size:
        raise ConfigError("--batch-size %d: must be divisible by the %d MPI processes (each trains "
                          "on batch-size / processes rows of every batch)" % (batch, comm.size))
    return config


def _communicator(name):
    try:
        from mpi4py import MPI as _  # noqa: F401
    except ImportError as e:
        raise ConfigError("--communicator %s needs mpi4py and an MPI library: pip install -r "
                          "requirements-mpi.txt (%s)" % (name, e)) from None
    import chainermn
    try:
        return chainermn.create_communicator(name)
    except Exception as e:  # noqa: BLE001  e.g. a GPU communicator without CuPy or NCCL
        raise ConfigError("--communicator %s: cannot be created here (%s: %s)%s" % (
            name, type(e).__name__, str(e).splitlines()[0] if str(e) else "",
            "; GPU communicators need CuPy (requirements-gpu.txt)" if name in GPU_COMMUNICATORS else ""))


def _silence():
    """Ranks other than 0 print nothing (their crashes still do: _abort_on_crash)."""
    devnull = open(os.devnull, "w")
    sys.stdout = sys.stderr = devnull


def _abort_on_crash(context):
    """An uncaught exception on any rank: its traceback on the terminal, then every rank ends
    (the others would wait forever in their next collective call)."""
    rank = context.rank

    def hook(kind, value, tb):
        text = "".join(traceback.format_exception(kind, value, tb))
        sys.__stderr__.write("rank %d: %s" % (rank, text) if rank else text)
        sys.__stderr__.flush()
        context.abort(1)
    sys.excepthook = hook


def _bounds(size, n):
    """Contiguous split of n rows: rank r holds rows bounds[r] .. bounds[r+1] (B/N each when
    N divides n)."""
    return [r * n // size for r in range(size + 1)]


class ShardedSampler:
    """model.sample for rank ``comm.rank``: z = mu + exp(ln_var / 2) * eps (F.gaussian), with eps
    the rows of this rank in the draw one process makes for the whole global batch.

    ``MPI.rows`` (called by the training loop for every global batch) sets which rows those are."""

    def __init__(self, comm, single):
        self.comm, self.single = comm, single
        self.n, self.start = None, 0

    def __call__(self, mu, ln_var):
        import chainer.functions as F
        from chainer.backend import get_array_module
        xp = get_array_module(mu)
        mu_a = getattr(mu, "array", mu)
        shape = (self.n,) + mu_a.shape[1:]
        # Exactly F.gaussian's own draw of the global batch's eps (Gaussian.forward_cpu/gpu).
        if xp is np:
            eps = np.random.standard_normal(shape).astype(mu_a.dtype, copy=False)
        else:
            eps = xp.random.standard_normal(shape, dtype=mu_a.dtype)
        return F.gaussian(mu, ln_var, eps=eps[self.start:self.start + len(mu_a)])


class Shard:
    """The examples as one rank sees them (the training loop's data protocol): ``batch(index)``
    gives this rank's rows of the global batch ``index`` and tells the model's sampler where they
    lie; everything else is the whole data's."""

    def __init__(self, context, model, examples):
        self.context, self.model, self.examples = context, model, examples

    def __len__(self):
        return len(self.examples)

    @property
    def shape(self):
        return self.examples.shape

    def batch(self, index):
        return self.examples.batch(self.context.rows(self.model, index))


class MPI(parallel.Local):
    """Data parallel over the ranks of a ChainerMN communicator (module docstring)."""

    def __init__(self, name):
        self.name = name
        self.comm = _communicator(name)
        self.rank, self.size, self.is_root = self.comm.rank, self.comm.size, self.comm.rank == 0

    def team(self):
        """The training loop's view of these processes (loop.Team's members, below)."""
        return self

    def shard(self, model, examples):
        """This rank's view of the examples: its rows of each global batch (``Shard``)."""
        return Shard(self, model, examples)

    def reduce(self, sums):
        """The epoch's per-rank sums -> their sum over the ranks."""
        return np.asarray(self.comm.allreduce_obj(np.asarray(sums, dtype=np.float64)))

    def rows(self, model, index):
        """This rank's rows of a global batch ``index`` (positions, or a slice with a stop), and tell
        the model's sampler where they lie in the global draw."""
        if isinstance(index, slice):
            n = index.stop - index.start
            b = _bounds(self.size, n)
            mine = slice(index.start + b[self.rank], index.start + b[self.rank + 1])
        else:
            n = len(index)
            b = _bounds(self.size, n)
            mine = index[b[self.rank]:b[self.rank + 1]]
        model.sample.n, model.sample.start = n, b[self.rank]
        return mine

    def attach(self, model):
        """Give model (a VAELoss) the sampler of this rank (``detach`` gives the usual one back)."""
        model.sample = ShardedSampler(self.comm, model.sample)

    def detach(self, model):
        if isinstance(model.sample, ShardedSampler):
            model.sample = model.sample.single

    def optimizer(self, optimizer):
        """chainermn.create_multi_node_optimizer(optimizer), ready to step: update() averages the
        gradients over the ranks, then steps.  Called after a resume loaded the snapshot."""
        import chainermn
        multi = chainermn.create_multi_node_optimizer(optimizer, self.comm)
        self._start(multi)
        return multi

    def _start(self, optimizer):
        """Before the first update: rank 0's parameters on every rank, and the multi-node optimizer
        told about them.  Left alone, its first update() would only broadcast the parameters and
        skip that batch's step, so a run (and every resumed part of it) would lose a step against
        the one-process run."""
        model = optimizer.target
        self.comm.bcast_data(model)
        if any(p.array is None for p in model.params()):
            raise RuntimeError("multi-node training needs every parameter initialised before the first batch")
        optimizer.is_changed(model)  # records the parameter list: the next update() is a real step

    def bcast(self, value):
        return self.comm.mpi_comm.bcast(value, root=0)

    def barrier(self):
        self.comm.mpi_comm.Barrier()

    def say_error(self, text):
        """An error line from any rank: rank 0's on its stderr, the others' on the real terminal."""
        if self.is_root:
            print(text, file=sys.stderr)
        else:
            sys.__stderr__.write("rank %d: %s\n" % (self.rank, text))
            sys.__stderr__.flush()

    def abort(self, code):
        """End every rank's process: one that exits alone would leave the others waiting forever
        in their next collective call."""
        if self.size > 1:
            sys.stdout.flush()
            sys.stderr.flush()
            self.comm.mpi_comm.Abort(code)
        sys.exit(code)

    @contextlib.contextmanager
    def root_first(self):
        """Rank 0 runs the block first (downloads, converts, writes the caches); the other ranks
        wait, then run it and find the caches."""
        if self.rank != 0:
            self.barrier()
        yield
        if self.rank == 0:
            self.barrier()
