"""Command-line flags from a frozen dataclass of hyper-parameters, one per experiment.

Every field of the dataclass becomes ``--field-name`` (booleans get ``--x`` / ``--no-x``); the
field's ``metadata['help']`` is its help text.  ``--smoke`` applies the class's ``smoke()``: a few
hundred examples and one or two epochs, the quick mode the tests run.
"""
import argparse
import dataclasses
import hashlib
import json
import os
import sys

from chainer_vae.errors import ConfigError, UserError


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """Flags every training script shares."""
    device: str = dataclasses.field(default="@numpy", metadata={"help": "-1/@numpy (CPU) or 0/@cupy:0 (GPU)"})
    seed: int = dataclasses.field(default=0, metadata={"help": "random seed (weights, batches, z samples)"})
    out: str = dataclasses.field(default="results", metadata={"help": "folder for figures, JSON and runs/"})
    smoke: bool = dataclasses.field(default=False, metadata={"help": "quick mode: tiny data, 1-2 epochs"})
    progress: bool = dataclasses.field(default=True, metadata={"help": "progress bar on stderr"})
    resume: bool = dataclasses.field(default=True, metadata={"help": "continue an interrupted run from its snapshot"})
    tag: str = dataclasses.field(default="", metadata={
        "help": "suffix for the output files, to keep a variant beside the default (e.g. alpha5e-5)"})

    # Fields that do not change what is trained: excluded from the run's identity.
    NOT_IN_RUN_ID = ("device", "out", "progress", "resume", "tag")

    def __post_init__(self):
        # Fail on a bad flag before any data is loaded or model built.
        from chainer_vae.nets import KINDS
        from chainer_vae.schedules import parse_lr_schedule
        for name in ("encoder", "decoder"):
            if getattr(self, name, "mlp") not in KINDS:
                raise ConfigError("--%s %s: choose from %s" % (name, getattr(self, name), ", ".join(KINDS)))
        if getattr(self, "lr_schedule", ""):
            parse_lr_schedule(self.lr_schedule)
        for name in ("epochs", "batch_size"):
            if getattr(self, name, 1) < 1:
                raise ConfigError("--%s must be at least 1" % name.replace("_", "-"))

    def smoke_config(self):
        return self

    def run_id(self, name):
        """A folder name for this run: the experiment's name plus a hash of what is trained."""
        d = {k: v for k, v in dataclasses.asdict(self).items() if k not in self.NOT_IN_RUN_ID}
        digest = hashlib.sha1(json.dumps(d, sort_keys=True).encode()).hexdigest()[:8]
        return "%s-%s%s" % (name, "smoke-" if self.smoke else "", digest)

    def stem(self, name):
        """Output path without extension: <out>/<name>[_<tag>]."""
        return os.path.join(self.out, name + ("_" + self.tag if self.tag else ""))


def _add(parser, field):
    name = "--" + field.name.replace("_", "-")
    help_ = field.metadata.get("help", "")
    if field.type in (bool, "bool"):
        group = parser.add_mutually_exclusive_group()
        group.add_argument(name, dest=field.name, action="store_true", default=None, help=help_)
        group.add_argument("--no-" + field.name.replace("_", "-"), dest=field.name,
                           action="store_false", help=argparse.SUPPRESS)
        return
    kind = {"int": int, "float": float, "str": str}.get(getattr(field.type, "__name__", field.type), str)
    parser.add_argument(name, dest=field.name, type=kind, default=None,
                        help="%s (default: %s)" % (help_, field.default))


def parse(cls, argv=None, description=None):
    """Parse argv into an instance of the frozen dataclass ``cls`` (with --smoke applied)."""
    parser = argparse.ArgumentParser(description=description or (cls.__doc__ or "").strip().splitlines()[0])
    for field in dataclasses.fields(cls):
        _add(parser, field)
    args = parser.parse_args(argv)
    given = {k: v for k, v in vars(args).items() if v is not None}
    config = cls()
    if given.get("smoke"):
        config = config.smoke_config()
    return dataclasses.replace(config, **given)


def main_guard(main):
    """Run ``main()``; a UserError becomes one line on stderr and exit status 2, Ctrl-C exit 130."""
    try:
        return main()
    except UserError as e:
        print("error: %s" % e, file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("\ninterrupted: the last completed epoch is saved; rerun the same command to resume.",
              file=sys.stderr)
        sys.exit(130)
