"""How a training run is spread over processes: one (``Local``, always, unless the command line
asked for more) or several over MPI (``parallel/mpi.py``, only with ``--communicator``).

The training loop and the run cache call a context's methods unconditionally; for one process
each is the identity, so no ``if comm is not None`` branch runs through the core, and MPI enters
at one edge: ``cli.flags.parse`` installs an ``mpi.MPI`` context when ``--communicator`` is given,
and refuses a run started under ``mpiexec`` without it (every rank would train the same run and
write the same files).
"""
import contextlib
import os
import sys

# What MPI launchers set in each process they start (Open MPI, MPICH / Intel MPI, PMIx, Slurm).
LAUNCHER_SIZE_VARS = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS")


class Local:
    """One process: every rank operation is the identity."""
    rank, size, is_root = 0, 1, True

    def rows(self, model, index):
        """This process's rows of a global batch: all of them."""
        return index

    def attach(self, model):
        """Prepare the model for this context (MPI: the sharded z sampler)."""

    def detach(self, model):
        """Undo ``attach``."""

    def optimizer(self, optimizer):
        """The optimizer that averages gradients over the processes: this one."""
        return optimizer

    def start(self, optimizer):
        """Before the first update: every process starts from the same parameters."""

    def bcast(self, value):
        """Rank 0's value of a decision, on every process."""
        return value

    def barrier(self):
        """Return once every process got here."""

    def sum(self, values):
        """Per-process numbers -> their sum over the processes."""
        return values

    def mean(self, values):
        """Per-process numbers -> their mean over the processes."""
        return values

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
