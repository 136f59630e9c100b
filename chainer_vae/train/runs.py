"""Train a model once and reuse it: runs live in ``<out>/runs/<name>-<hash>/``.

The hash covers what is trained -- the config's settings and the fingerprint of the data
actually used -- so changed data or settings get a new run, never a stale model.  A finished run
holds model.npz, history.json and run.json; an unfinished one holds snapshot.npz (written after
every epoch) that the next call resumes from.  Reuse is announced; ``--retrain`` starts over.
"""
import dataclasses
import os
import pickle
import platform
import shutil
import sys
import time
import zipfile
import zlib

import chainer
import numpy as np

from chainer_vae import files, parallel
from chainer_vae.train import loop
from chainer_vae.data import fingerprint
from chainer_vae.device import resolve_device
from chainer_vae.model import make_decoder, make_encoder
from chainer_vae.model.vae import VAELoss
from chainer_vae.errors import ConfigError, RunFileError


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
    return build_vae(config.DATA, config.encoder, config.decoder, config.n_latent, config.image(),
                     config.beta, config.k, config.decoder_dropout,
                     static_graph=config.static_graph)


def build_vae(data, encoder, decoder, n_latent, image=None, beta=1.0, k=1, decoder_dropout=0.0,
              static_graph=False):
    """The VAE of these settings (image: an image folder's (size, channels); None: the data
    kind's own shape), its weights as the random state draws them.  static_graph: speed only
    (model/vae.py), the same numbers."""
    return VAELoss(make_encoder(encoder, data, n_latent, image),
                   make_decoder(decoder, data, n_latent, image, decoder_dropout), beta=beta, k=k,
                   static_graph=static_graph)


def _say(text):
    print(text, file=sys.stderr, flush=True)


def settings(config, run_dir):
    """The training loop's settings for ``config`` (every one of them comes from the config)."""
    return loop.Settings(
        run_dir=run_dir, epochs=config.epochs, device=resolve_device(config.device),
        batch_size=config.batch_size, lr=tuple(config.schedule()), weight_decay=config.weight_decay,
        anneal_epochs=config.anneal_epochs, seed=config.seed, examples_per_epoch=config.examples_per_epoch(),
        test_examples=config.test_examples(), progress=config.progress,
        resume=config.resume, team=parallel.current().team())


# What loading a damaged .npz raises (np.load, the zip reader, zlib, Chainer's deserializer).
LOAD_ERRORS = (OSError, ValueError, KeyError, EOFError, zlib.error, zipfile.BadZipFile, pickle.UnpicklingError)
RETRAIN = "; --retrain trains this run again"


def read_record(path, kind, prefix="", hint=""):
    """A run's JSON record (history.json: a list of epochs; run.json: a dict), or a RunFileError
    of one line naming the file and its damage (``prefix`` before it, ``hint`` after it)."""
    name = prefix + (os.path.basename(path) if prefix else path)
    try:
        obj = files.read_json(path)
    except OSError as e:
        raise RunFileError("%s cannot be read (%s)%s" % (name, e.strerror or e, hint)) from None
    except ValueError as e:  # json.JSONDecodeError, UnicodeDecodeError
        where = getattr(e, "pos", None)
        raise RunFileError("%s is damaged: not valid JSON%s%s" % (
            name, " (it breaks off at byte %d: truncated?)" % where if where is not None else "", hint)) from None
    wanted = {list: "a list of epochs", dict: "a run's record"}[kind]
    if not isinstance(obj, kind) or not obj or (kind is list and not all(isinstance(r, dict) for r in obj)):
        raise RunFileError("%s is damaged: valid JSON, but not %s%s" % (name, wanted, hint))
    return obj


def load_weights(path, model, what=None, hint="", checked=False):
    """Load the .npz at ``path`` into ``model``; a damaged file is a RunFileError of one line
    naming it (as ``what`` when given) and its damage.  checked: the caller already read it
    whole with files.npz_damage (a model file is read once for that, not twice)."""
    damage = None if checked else files.npz_damage(path)  # first: Chainer's load_npz would unpickle garbage
    if damage is not None:
        raise RunFileError("%s is damaged (%s)%s" % (what or path, damage, hint))
    try:
        loop.load_model(path, model)
    except LOAD_ERRORS as e:
        raise RunFileError("%s is damaged (%s)%s" % (what or path, files.describe_load_error(e), hint)) from None
    return model


def _loaded(model, path, device, what=None, hint=""):
    load_weights(path, model, what, hint)
    model.to_device(device)
    device.use()
    return model


def _reuse(config, run_dir, model, s, data_fp, stand_in=None):
    """The finished run in ``run_dir``, or what ``stand_in`` finds for the same run id, else None."""
    model_path, info_path = (os.path.join(run_dir, f) for f in ("model.npz", "run.json"))
    device = s.device
    if parallel.current().bcast(os.path.exists(model_path) and os.path.exists(info_path)):
        history = read_record(os.path.join(run_dir, "history.json"), list, hint=RETRAIN)
        info = read_record(info_path, dict, hint=RETRAIN)
        model = _loaded(model, model_path, device, hint=RETRAIN)
        _say("reusing the finished run %s (%d epochs on data %s); --retrain trains it again"
             % (run_dir, len(history), data_fp))
        return Run(model, history, run_dir, info)
    # A script whose figure is the training itself (Fig. 4) passes no stand-in: a reviewer's
    # `make fig4` reruns the training.
    found = stand_in(os.path.basename(run_dir)) if stand_in and not config.retrain else None
    if found is not None:  # e.g. the checkout's own trained model of these very settings and data
        _say(found.announcement)
        return Run(_loaded(model, found.model_path, device, "the shipped model %s" % found.model_path,
                           "; --retrain trains it here instead"),
                   found.history, os.path.dirname(found.model_path), found.info)
    return None


def _flags(settings):
    return " ".join("--%s %s" % (k.replace("_", "-"), v if v != "" else "''") for k, v in settings.items())


def nearest_run(config, name, run_id, data_fp):
    """When no finished run has this command's settings: a line naming the finished run in
    ``<out>/runs/`` on the same data (the same run name: MNIST, one image or MIDI folder) whose
    settings differ the least, the flags that differ, and the --from-run that would use it as
    it is; None when there is none.  Training then goes on (an interrupted one resumes)."""
    runs_dir = os.path.join(config.out, "runs")
    try:
        names = sorted(os.listdir(runs_dir))
    except OSError:
        return None
    defaults = {f.name: f.default for f in dataclasses.fields(config)}
    mine = config.identity()
    prefix = "%s-%s" % (name, "smoke-" if config.smoke else "")
    found = []
    for d in names:
        rest = d[len(prefix):]
        if d == run_id or not d.startswith(prefix) or "-" in rest:  # another name, or smoke vs not
            continue
        path = os.path.join(runs_dir, d)
        if not (os.path.isfile(os.path.join(path, "model.npz")) and os.path.isfile(os.path.join(path, "run.json"))):
            continue
        try:
            info = files.read_json(os.path.join(path, "run.json"))
            theirs = dict(info["config"])
        except (OSError, ValueError, KeyError, TypeError):
            continue  # a damaged record: said when it is used
        keys = [k for k in sorted(set(mine) | set(theirs)) if k in defaults]
        differ = [k for k in keys if mine.get(k, defaults[k]) != theirs.get(k, defaults[k])]
        found.append((len(differ), -os.path.getmtime(os.path.join(path, "run.json")), path, differ, theirs, info))
    if not found:
        return None
    _, _, path, differ, theirs, info = min(found, key=lambda f: f[:2])
    if not differ:
        return ("note: the finished run %s has these settings but was trained on other data (%s; this "
                "command's %s): the data changed since, so a new run is trained" % (
                    path, info.get("data_fingerprint"), data_fp))
    want = {k: theirs.get(k, defaults[k]) for k in differ}
    shape = {k: v for k, v in want.items() if k in config.SHAPE_SETTINGS}
    return ("note: no finished run has this command's settings; %s, on the same data, was trained with %s "
            "(this command: %s): add those flags to reuse it, or draw it as it is with --from-run %s%s; "
            "training a new run" % (path, _flags(want), _flags({k: mine.get(k, defaults[k]) for k in differ}),
                                    path, " " + _flags(shape) if shape else ""))


def _run_info(config, run_id, data_description, data_fp, train_x, test_x, s, history, seconds):
    info = {
        # Portable: no folder of this machine (the run folder is relative to --out).
        "run_id": run_id, "config": config.identity(),
        "data": data_description, "data_fingerprint": data_fp,
        "n_train": int(len(train_x)), "n_test": int(len(test_x)),
        "device": str(s.device), "machine": machine(),
        "versions": {"python": platform.python_version(), "chainer": chainer.__version__,
                     "numpy": np.__version__},
        # Wall time of this call; a resumed run counts only the part after the resume.
        "train_seconds": seconds,
        "seconds_per_epoch": [row["seconds"] for row in history],
    }
    if parallel.current().size > 1:  # where the epoch times were measured
        info["mpi"] = {"communicator": config.communicator, "processes": parallel.current().size}
    return info


def fit(config, name, train_x, test_x, data_description, on_epoch=None, stand_in=None):
    """The finished run of ``config`` on this data if there is one (announced), else train it
    (resuming an interrupted run).  on_epoch(epoch, model, run_dir), if given, is called after
    each epoch's snapshot (on rank 0 only).  stand_in(run_id), if given, may return a trained
    model of this very run to use instead of training (train/shipped.py's ``find``: the models
    a checkout ships), with ``model_path``, ``history``, ``info`` and ``announcement``.

    Under MPI every rank calls this: rank 0 decides (reuse, retrain) and writes the run folder,
    and the others follow its decisions and read it."""
    data_fp = fingerprint(train_x, test_x)
    run_id = config.run_id(name, data_fp)
    run_dir = os.path.join(config.out, "runs", run_id)
    s = settings(config, run_dir)
    par = parallel.current()
    model = build_model(config)
    if config.from_run:  # a run trained elsewhere: checked against this config, never trained
        return from_run(config, name, data_fp, model, s.device)
    if par.is_root and config.retrain and os.path.isdir(run_dir):
        _say("--retrain: discarding %s and training again" % run_dir)
        shutil.rmtree(run_dir)
    reused = _reuse(config, run_dir, model, s, data_fp, stand_in)
    if reused is not None:
        return reused
    resuming = config.resume and os.path.exists(os.path.join(run_dir, "snapshot.npz"))
    near = nearest_run(config, name, run_id, data_fp) if par.is_root and not (config.retrain or resuming) else None
    if near:
        _say(near)

    started = time.perf_counter()
    par.attach(model)  # several processes: each draws its rows of the one-process z (parallel/mpi.py)
    try:
        history = loop.train(model, train_x, test_x, s,
                             on_epoch=None if on_epoch is None else lambda epoch, m: on_epoch(epoch, m, run_dir))
    finally:
        par.detach(model)
    info = _run_info(config, run_id, data_description, data_fp, train_x, test_x, s, history,
                     time.perf_counter() - started)
    if par.is_root:
        loop.save_model(os.path.join(run_dir, "model.npz"), model)
        files.write_json(os.path.join(run_dir, "run.json"), info)
        snapshot = os.path.join(run_dir, "snapshot.npz")
        if os.path.exists(snapshot):
            os.remove(snapshot)  # the finished model supersedes it (the MIDI one is ~280 MB)
    par.barrier()  # returns on every rank once the run is on disk
    return Run(model, history, run_dir, info)


def data_kind(run_name):
    """'mnist', 'images' or 'midi': the kind of data a run's name (its folder's prefix) says."""
    head = run_name.split("-", 1)[0]
    return head.split("_", 1)[0]


KIND_NAMES = {"mnist": "MNIST", "images": "an image folder", "midi": "MIDI"}


def check_from_run(config, name):
    """(run.json, history) of the finished run in ``config.from_run``, or a ConfigError naming
    the first mismatch: a missing file, the kind of data (the run name's prefix), a network
    setting (SHAPE_SETTINGS).  Other settings (epochs, rate, seed) may differ.  Needs no data,
    so a script calls it before loading any."""
    where = config.from_run
    flag = "--from-run %s" % where
    paths = {f: os.path.join(where, f) for f in ("model.npz", "history.json", "run.json")}
    missing = [f for f, p in paths.items() if not os.path.isfile(p)]
    if missing:
        raise ConfigError("%s: no %s there (a finished run's folder holds model.npz, history.json and run.json)"
                          % (flag, ", ".join(missing)))
    if config.retrain:
        raise ConfigError("%s: --retrain trains, --from-run never does; pass one of them" % flag)
    info = read_record(paths["run.json"], dict, prefix=flag + ": ")
    history = read_record(paths["history.json"], list, prefix=flag + ": ")
    try:
        theirs = dict(info["config"])
        their_id = info["run_id"]
    except (KeyError, TypeError, ValueError) as e:
        raise RunFileError("%s: run.json is damaged: valid JSON, but no run's %s" % (
            flag, "config" if "config" not in info else "run_id" if "run_id" not in info else e)) from None
    if data_kind(their_id) != data_kind(name):
        kind = lambda k: KIND_NAMES.get(k, k)  # noqa: E731
        raise ConfigError("%s: run %s was trained on %s, this command uses %s"
                          % (flag, their_id, kind(data_kind(their_id)), kind(data_kind(name))))
    defaults = {f.name: f.default for f in dataclasses.fields(config)}
    for key in config.SHAPE_SETTINGS:
        want, got = getattr(config, key), theirs.get(key, defaults[key])
        if want != got:
            raise ConfigError("%s: run %s has %s %s, this command %s (pass --%s %s)"
                              % (flag, their_id, key.replace("_", " "), got, want, key.replace("_", "-"), got))
    return info, history


def from_run(config, name, data_fp, model, device):
    """The finished run in ``config.from_run`` (trained elsewhere, check_from_run), loaded into
    ``model`` (built from ``config``); a weight whose name or shape differs is refused in one
    line.  Data with another fingerprint (of the same kind) is noted, not refused."""
    info, history = check_from_run(config, name)
    where, their_id = config.from_run, info["run_id"]
    flag = "--from-run %s" % where
    path = os.path.join(where, "model.npz")
    damage = files.npz_damage(path)
    if damage is not None:
        raise RunFileError("%s: model.npz is damaged (%s)" % (flag, damage))
    with np.load(path) as npz:
        stored = {k: npz[k].shape for k in npz.files}
    wanted = {key.lstrip("/"): p.shape for key, p in model.namedparams()}
    for key in sorted(set(wanted) | set(stored)):
        if key not in stored:
            raise ConfigError("%s: model.npz has no %s (this command's networks need it)" % (flag, key))
        if key not in wanted:
            raise ConfigError("%s: model.npz has %s, which this command's networks do not have" % (flag, key))
        if tuple(stored[key]) != tuple(wanted[key]):
            raise ConfigError("%s: model.npz's %s is %s, this command's networks need %s"
                              % (flag, key, tuple(stored[key]), tuple(wanted[key])))
    load_weights(path, model, "%s: model.npz" % flag, checked=True)
    model.to_device(device)
    device.use()
    _say("using the run %s (--from-run: run %s, %d epochs on data %s); nothing is trained"
         % (where, their_id, len(history), info.get("data_fingerprint")))
    if info.get("data_fingerprint") != data_fp:
        _say("note: run %s was trained on data %s; this command's data is %s (%s all the same)"
             % (their_id, info.get("data_fingerprint"), data_fp, KIND_NAMES.get(data_kind(name), name)))
    return Run(model, history, where, info)


def summary(history):
    """The last epoch's numbers and each KL curve's minimum (the epoch times are the machine's:
    outputs.split_run puts their median in the run's record)."""
    last = history[-1]
    out = {"epochs": len(history), "final": {s: last[s] for s in ("train", "test")}}
    for split in ("train", "test"):
        kl = [row[split]["kl_penalty"] for row in history]
        out["%s_kl_min" % split] = {"epoch": int(np.argmin(kl)) + 1, "value": float(min(kl))}
    return out
