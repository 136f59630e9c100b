"""Command-line flags from a frozen dataclass of hyper-parameters, one per experiment.

Every field becomes ``--field-name`` (booleans get ``--x`` / ``--no-x``) and is declared with
one of two functions, so whether it is part of a run's identity is said on the field itself:

* ``setting(...)``: it changes what is trained (the seed, the networks, the schedule, the data
  settings).  A run's folder in ``runs/`` hashes every setting plus the data's fingerprint.
* ``option(...)``: it does not (where to write, which device, what to sample or draw from a
  trained model): changing it never retrains.

Each declaration carries its --help sentence and its check (one of the small functions below,
or ``choices``).  All checks run when the config is built, and the ``--device`` is tried, before
a script loads any data: a bad value is one line on stderr and exit status 2.  ``--smoke``
applies the class's ``smoke_config()``: a few hundred examples and one or two epochs, the quick
mode the tests run.
"""
import argparse
import dataclasses
import hashlib
import json
import math
import os
import sys

from chainer_vae import parallel
from chainer_vae.cli import allocator, threads
from chainer_vae.device import resolve_device
from chainer_vae.errors import ConfigError, UserError
from chainer_vae.files import console_safe
from chainer_vae.model import DECODER_KINDS, KINDS
from chainer_vae.train.schedules import parse_lr_schedule

SEEDS = 2 ** 32  # NumPy's RandomState takes seeds in 0 .. 2**32 - 1


def _field(default, help, check, choices, no_help, run_id):
    return dataclasses.field(default=default, metadata={"help": help, "check": check, "choices": choices,
                                                        "no_help": no_help, "run_id": run_id})


def setting(default, help, check=None, choices=None, no_help=None, omit_default=False):
    """A field that changes what is trained: part of the run's identity.

    omit_default: left out of the identity while at its default, so that runs trained before
    the setting existed (which all had the default) keep their folders.
    Booleans show the switch away from their default: ``--x`` (help) when False by default,
    ``--no-x`` (no_help) when True.  check: a function of the value returning the problem (a
    short text) or None; floats must also be finite.  choices: the allowed values (or a function
    returning them)."""
    return _field(default, help, check, choices, no_help, "unless default" if omit_default else True)


def option(default, help, check=None, choices=None, no_help=None):
    """A field that does not change what is trained (see ``setting`` for the arguments)."""
    return _field(default, help, check, choices, no_help, False)


# ----------------------------------------------------------------------------- checks
def positive(v):
    return None if v > 0 else "must be greater than 0"


def non_negative(v):
    return None if v >= 0 else "must be 0 or more"


def at_least_one(v):
    return None if v >= 1 else "must be at least 1"


def fraction(v):
    return None if 0 < v <= 1 else "must be in (0, 1]"


def _below_one(v):
    return None if 0 <= v < 1 else "must be in [0, 1)"


def seed_range(v):
    return None if 0 <= v < SEEDS else "must be in 0 .. 2**32-1"


def existing_file(v):
    return None if not v or os.path.isfile(v) else "no such file"


def existing_dir(v):
    return None if not v or os.path.isdir(v) else "a file, not a folder" if os.path.exists(v) else "no such folder"


def _problem(value, check, choices):
    if choices is not None and value not in choices:
        return "choose from %s" % ", ".join(map(str, choices))
    if isinstance(value, float) and not math.isfinite(value):
        return "must be a finite number"
    return check(value) if check is not None else None


def lr_schedule_problem(text):
    try:
        parse_lr_schedule(text) if text else None
    except ConfigError as e:
        return str(e)
    return None


def _kinds():
    return tuple(KINDS)


def _decoder_kinds():
    return tuple(DECODER_KINDS)


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """Where and how a script runs: none of these but --smoke change what is trained."""
    device: str = option("@numpy", "where to compute: -1 or @numpy for the CPU, 0 or @cupy:0 for the first GPU")
    out: str = option("results", "folder for the figures and JSON; trained models go to <out>/runs/ "
                               "(with --smoke: results/smoke, so a quick run never replaces the real figures)")
    smoke: bool = setting(False, "quick mode, not the paper's setup: a few hundred examples and 1-2 epochs (what the tests run); "
                              "writes to results/smoke unless --out is given")
    progress: bool = option(True, "progress bar with ETA on stderr",
                          no_help="no progress bar: epoch lines only")
    resume: bool = option(True, "continue an interrupted run from its last completed epoch",
                        no_help="start an interrupted run over instead of continuing it")
    retrain: bool = option(False, "train again even if a finished run with the same settings and data exists")
    rewrite: bool = option(False, "write this run's numbers, figures and machine record even when they reproduce "
                                 "the JSON already in --out within the tolerance (by default that JSON and its "
                                 "figures are kept, so a rerun that reproduces leaves git clean: chainer_vae/outputs.py)")
    tag: str = option("", "suffix for the output files, to keep a variant beside the default (e.g. alpha5e-5)")
    communicator: str = option("", "data-parallel training under mpiexec (README: Training on several machines): "
                                 "naive (CPUs) or pure_nccl, flat, non_cuda_aware (one GPU per process, "
                                 "GPU <local rank>); '' = one process", choices=parallel.COMMUNICATORS)

    def __post_init__(self):
        # Every flag is checked here, before any data is loaded or a model is built.
        for field in dataclasses.fields(self):
            meta = field.metadata
            choices = meta.get("choices")
            if callable(choices):
                choices = choices()
            problem = _problem(getattr(self, field.name), meta.get("check"), choices)
            if problem:
                raise ConfigError("--%s %s: %s" % (field.name.replace("_", "-"), getattr(self, field.name), problem))
        combination = getattr(self, "combination_problem", None)  # flags that cannot go together
        problem = combination() if combination else None
        if problem:
            raise ConfigError(problem)

    def smoke_config(self):
        return dataclasses.replace(self, smoke=True)

    def identity(self):
        """The fields that decide what is trained: every ``setting`` (one declared with
        omit_default only when it is not at its default)."""
        out = {}
        for f in dataclasses.fields(self):
            kind, value = f.metadata["run_id"], getattr(self, f.name)
            if kind is True or (kind == "unless default" and value != f.default):
                out[f.name] = value
        return out

    def run_id(self, name, data_fingerprint=""):
        """A folder name for this run: the experiment's name plus a hash of what is trained
        (the settings and the fingerprint of the data actually used)."""
        d = dict(self.identity(), data=data_fingerprint)
        digest = hashlib.sha1(json.dumps(d, sort_keys=True).encode()).hexdigest()[:8]
        return "%s-%s%s" % (name, "smoke-" if self.smoke else "", digest)

    def stem(self, name, data_tag=""):
        """Output path without extension: <out>/<name>[_<data tag>][_<tag>]."""
        parts = [name] + [t for t in (data_tag, self.tag) if t]
        return os.path.join(self.out, "_".join(parts))


@dataclasses.dataclass(frozen=True)
class TrainConfig(RunConfig):
    """What is trained, shared by every experiment; subclasses change defaults, not meanings."""
    seed: int = setting(0, "training seed: initial weights, batch order and z samples (re-derived each epoch: "
                               "departures row 8)", seed_range)
    encoder: str = setting("mlp", "encoder network: mlp (the paper's), conv or lstm", choices=_kinds)
    decoder: str = setting("mlp", "decoder network: mlp (the paper's), conv, lstm, or lstm-ar (MIDI only, not "
                                  "the paper's, departures row 17: step t reads the notes of step t-1, teacher-forced in training, "
                                  "its own drawn notes when generating)", choices=_decoder_kinds)
    decoder_dropout: float = setting(0.0, "with --decoder lstm-ar (beyond the paper: departures row 17): the "
                                          "share of steps whose previous notes are hidden from it in training "
                                          "(word dropout, Bowman et al. 2016), so that it must rely on z", _below_one, omit_default=True)
    n_latent: int = setting(2, "size of the latent code z", at_least_one)
    epochs: int = setting(60, "training epochs (the paper's Figs. 4 and 5 show 60)", at_least_one)
    batch_size: int = setting(32, "examples per batch (the authors' iterator used 32)", at_least_one)
    alpha: float = setting(1e-3, "Adam's learning rate, constant over the run (see --lr-schedule)", positive)
    lr_schedule: str = setting("", "per-epoch learning rate, e.g. '1e-3:30,1e-5' (1e-3 for epochs 1-30, "
                                "then 1e-5; '1e-3:30|1e-5': a new Adam at epoch 31); overrides --alpha when given", lr_schedule_problem)
    weight_decay: float = setting(5e-4, "L2 weight decay added to the gradients (the authors' WeightDecay(5e-4))", non_negative)
    beta: float = setting(1.0, "weight of the KL term (1 is the ELBO of eq. 6)", non_negative)
    anneal_epochs: int = setting(0, "KL warm-up: beta rises linearly from 0 over this many epochs "
                                 "(the paper's ref. [6]); 0 = off", non_negative)
    k: int = setting(1, "samples of z per example in the reconstruction term (the paper: 1)", at_least_one)
    static_graph: bool = option(False, "speed on a CPU, not what is trained: training steps replay Chainer's "
                                       "static_graph of the objective, checked bit for bit against the plain graph "
                                       "and falling back to it (an MNIST epoch ~0.7x; README: Speed on a CPU)")
    from_run: str = option("", "use the finished run in this folder (model.npz, history.json, run.json: "
                               "e.g. trained on a GPU cluster) and never train; refused in one line when its "
                               "networks or data kind do not fit this command's settings", existing_dir)

    DATA = None  # "mnist" or "midi": which data the networks are shaped for
    # The settings a run's networks are built from: a --from-run model must have this command's.
    SHAPE_SETTINGS = ("encoder", "decoder", "n_latent")

    def image(self):
        """(size, channels) of the images the networks take when not the data kind's own shape
        (an image folder; model/__init__.py), else None."""
        return None

    def schedule(self):
        """The learning rate per epoch as a parsed schedule, from --lr-schedule or --alpha."""
        return parse_lr_schedule(self.lr_schedule) if self.lr_schedule else [(None, self.alpha)]

    def examples_per_epoch(self):
        """Examples an epoch trains on; 0: all (MIDI configs offer --windows-per-epoch)."""
        return 0

    def test_examples(self):
        """Test examples each epoch is evaluated on; 0: all (MIDI configs offer --test-windows)."""
        return 0

    def alpha_label(self):
        return self.lr_schedule or "%g" % self.alpha


def _add(parser, field):
    flag_name = field.name.replace("_", "-")
    help_ = field.metadata.get("help", "")
    if field.type in (bool, "bool"):
        group = parser.add_mutually_exclusive_group()
        on, off = (help_, argparse.SUPPRESS) if not field.default else (argparse.SUPPRESS,
                                                                        field.metadata.get("no_help"))
        group.add_argument("--" + flag_name, dest=field.name, action="store_true", default=None, help=on)
        group.add_argument("--no-" + flag_name, dest=field.name, action="store_false", help=off)
        return
    kind = {"int": int, "float": float, "str": str}.get(getattr(field.type, "__name__", field.type), str)
    parser.add_argument("--" + flag_name, dest=field.name, type=kind, default=None,
                        metavar={int: "N", float: "X", str: "TEXT"}[kind],
                        help="%s (default: %s)" % (help_, field.default if field.default != "" else "''"))


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2: as for every other bad value
        raise ConfigError(message)


def parse(cls, argv=None, description=None):
    """Parse argv into an instance of the frozen dataclass ``cls`` (with --smoke applied).

    Every value is checked and the --device is tried before this returns, so a script fails
    on a bad flag before it loads any data.  description: the script's docstring (what it draws
    and which files it writes), shown by --help.
    """

    text = description or cls.__doc__ or ""
    parser = _Parser(description=text.strip(), formatter_class=argparse.RawDescriptionHelpFormatter)
    for field in dataclasses.fields(cls):
        _add(parser, field)
    args = parser.parse_args(argv)
    given = {k: v for k, v in vars(args).items() if v is not None}
    base = cls()
    if given.get("preset"):  # a named set of defaults (the class's PRESETS); flags given still win
        presets = getattr(cls, "PRESETS", {})
        if given["preset"] not in presets:
            raise ConfigError("--preset %s: choose from %s" % (given["preset"], ", ".join(presets) or "none"))
        names = {f.name for f in dataclasses.fields(cls)}
        base = dataclasses.replace(base, **{k: v for k, v in presets[given["preset"]].items() if k in names})
    if given.get("smoke"):  # after a preset: a quick run stays quick (its epochs, its few songs)
        base = base.smoke_config()
        # A quick run's tiny figures must not land on the committed full-size ones in results/.
        given.setdefault("out", os.path.join(base.out, "smoke"))
    try:
        config = dataclasses.replace(base, **given)
    except (TypeError, ValueError) as e:
        raise ConfigError(str(e)) from None
    if config.communicator:  # MPI ranks, their GPUs, only rank 0 speaks (parallel/mpi.py)
        from chainer_vae.parallel import mpi  # deferred: MPI code (and mpi4py) loads only when asked for
        config = mpi.setup(config)
    elif parallel.launched_processes() > 1:
        raise ConfigError("started by an MPI launcher as %d processes without --communicator: each would train "
                          "the same run and write the same files; add --communicator naive (CPUs) or "
                          "pure_nccl (GPUs), or start one process" % parallel.launched_processes())
    resolve_device(config.device)  # a missing GPU fails now, not after the data is loaded
    threads.limit()  # one BLAS thread unless the user chose (cli/threads.py)
    allocator.reuse_freed_memory()  # big arrays reuse freed memory, no page faults per step (cli/allocator.py)
    return config


def main_guard(main):
    """Run ``main()``; a UserError becomes one line on stderr and exit status 2, Ctrl-C exit 130.
    Under MPI the error ends every rank."""
    context = parallel.current()
    console_safe()  # a file name no console can encode is printed escaped, never a traceback
    try:
        return main()
    except UserError as e:
        context.say_error("error: %s" % str(e).replace("\n", " "))
        context.abort(2)
    except KeyboardInterrupt:
        context.say_error("\ninterrupted: every completed epoch is saved; rerun the same command to continue.")
        context.abort(130)
    except MemoryError as e:  # one line, not a traceback: what ran out, and what bounds it
        detail = str(e).splitlines()[0] if str(e) else "MemoryError"
        context.say_error("error: out of memory (%s); every completed epoch is saved. For a big MIDI folder, "
                              "--windows-per-epoch, --test-windows and --stat-windows bound the work "
                              "(README: Big MIDI folders)" % detail)
        context.abort(2)
