"""How a training run is spread over processes: one (``Local``, always, unless the command line
asked for more) or several over MPI (``parallel/mpi.py``, only with ``--communicator``).

The training loop knows one process only; several attach from outside: the run cache
(train/runs.py) passes ``context.team()`` to the loop (None for one process, else an object with
the loop's four ``Team`` members: shard the data, wrap the optimizer, reduce the epoch's sums,
whether this process writes), and MPI enters at one edge: ``cli.flags.parse`` installs an ``mpi.MPI`` context when ``--communicator`` is given,
and refuses a run started under ``mpiexec`` without it (every rank would train the same run and
write the same files).
"""
import contextlib
import os
import sys

# chainermn.create_communicator's names in Chainer 7.8.1 ('' = one process); all but naive keep
# gradients on GPUs.  Here, not in mpi.py, so that flag parsing lists them without loading MPI code.
COMMUNICATORS = ("", "naive", "flat", "non_cuda_aware", "pure_nccl")
GPU_COMMUNICATORS = ("flat", "non_cuda_aware", "pure_nccl")

# What MPI launchers set in each process they start (Open MPI, MPICH / Intel MPI, PMIx, Slurm).
LAUNCHER_SIZE_VARS = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS")


class Local:
    """One process: every rank operation is the identity."""
    rank, size, is_root = 0, 1, True

    def team(self):
        """What the training loop is given (loop.Settings.team): None, one process."""
        return None

    def attach(self, model):
        """Prepare the model for this context (MPI: the sharded z sampler)."""

    def detach(self, model):
        """Undo ``attach``."""

    def bcast(self, value):
        """Rank 0's value of a decision, on every process."""
        return value

    def barrier(self):
        """Return once every process got here."""

    def say_error(self, text):
        """An error line on stderr."""
        print(text, file=sys.stderr)

    def abort(self, code):
        """End the program with exit status ``code``."""
        sys.exit(code)

    @contextlib.contextmanager
    def root_first(self):
        """``with context.root_first(): load()``: rank 0 runs the block (downloads, caches) before the others."""
        yield


_current = Local()


def current():
    """The context this process trains in (set once by the command line)."""
    return _current


def use(context):
    global _current
    _current = context
    return context


def is_root():
    """Whether this process writes the results (only rank 0 does under MPI)."""
    return _current.is_root


def launched_processes():
    """How many processes the MPI launcher started (1 when none did)."""
    for var in LAUNCHER_SIZE_VARS:
        try:
            n = int(os.environ.get(var, "1"))
        except ValueError:
            continue
        if n > 1:
            return n
    return 1
