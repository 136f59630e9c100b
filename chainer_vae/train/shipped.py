"""Trained models shipped with the checkout (``models/``), used instead of training.

``models/<run id>.npz`` holds a finished run's weights (float32, zip-compressed: the very values
``model.npz`` held) and ``models/<run id>.json`` its record: the run's run.json (``run``), its
per-epoch history, the npz's SHA-256 and size, and the command that trained it.  ``runs.fit``
asks ``find(run_id)`` when a run has no finished folder in ``<out>/runs/``: the run id hashes
every setting and the data's fingerprint, so a shipped model is used only for the very settings
and data it was trained with.  ``--retrain`` trains anyway.  ``models/README.md`` lists them;
``ship(run_dir, command)`` (tools/ship_model.py) adds one.
"""
import dataclasses
import hashlib
import os

import numpy as np

from chainer_vae import files
from chainer_vae.errors import DataError
from chainer_vae.train import loop, runs

ENV = files.MODELS_ENV  # another folder of shipped models (the tests' own)


@dataclasses.dataclass
class Shipped:
    model_path: str    # the .npz of weights
    record_path: str   # the .json beside it
    history: list
    info: dict         # the run's run.json
    command: str       # what trained it

    @property
    def announcement(self):
        """The line a run says when this model stands in for its training (runs.fit)."""
        return announce(self)


def folder():
    return files.models_folder()


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def find(run_id, where=None):
    """The shipped model of run ``run_id``, or None (none shipped, or its file does not match
    its recorded digest: then a warning line, and the run is trained)."""
    where = where or folder()
    if not where:
        return None
    record_path = os.path.join(where, run_id + ".json")
    if not os.path.exists(record_path):
        return None
    try:
        record = files.read_json(record_path)
        model_path = os.path.join(where, record["model"]["file"])
        record["model"]["sha256"], record["history"], record["run"], record["command"]  # all there
    except (OSError, ValueError, KeyError, TypeError) as e:  # damaged: said as the digest's mismatch is
        why = ("cannot be read: %s" % (e.strerror or e) if isinstance(e, OSError) else
               "not valid JSON: truncated or overwritten" if isinstance(e, ValueError) else
               "valid JSON, but not a shipped model's record")
        print("warning: the shipped model's record %s is damaged (%s); training instead" % (_show(record_path), why))
        return None
    digest = sha256(model_path) if os.path.exists(model_path) else None
    if digest != record["model"]["sha256"]:
        print("warning: the shipped model %s %s; training instead" % (
            _show(model_path), "is missing" if digest is None else
            "does not match its digest (sha256 %s, recorded %s)" % (digest[:12], record["model"]["sha256"][:12])))
        return None
    return Shipped(model_path, record_path, record["history"], record["run"], record["command"])


def _show(path):
    """A shipped file as the one line names it: relative to the checkout when inside it."""
    if files.CHECKOUT and os.path.abspath(path).startswith(files.CHECKOUT + os.sep):
        return os.path.relpath(path, files.CHECKOUT)
    return path


def announce(found):
    """The line a run says when this shipped model stands in for its training."""
    return "using the shipped model %s (trained by: %s); --retrain trains it here instead" % (
        _show(found.model_path), found.command)


def weights_sha256(path):
    """SHA-256 of the weights (names, dtypes, shapes, values), whatever the zip's timestamps:
    equal for model.npz and its shipped copy (report/explorer.py's model_sha256)."""
    h = hashlib.sha256()
    with np.load(path) as npz:
        for name in sorted(npz.files):
            a = np.ascontiguousarray(npz[name])
            h.update(("%s %s %s;" % (name, a.dtype.str, a.shape)).encode())
            h.update(a.tobytes())
    return h.hexdigest()


def ship(run_dir, command, where=None):
    """Copy the finished run in ``run_dir`` into the shipped models (compressed float32 weights
    and the record); returns the record's path."""
    where = where or folder()
    info = files.read_json(os.path.join(run_dir, "run.json"))
    history = files.read_json(os.path.join(run_dir, "history.json"))
    source = os.path.join(run_dir, "model.npz")
    with np.load(source) as npz:
        weights = {name: npz[name] for name in npz.files}
    if any(a.dtype != np.float32 for a in weights.values()):
        raise ValueError("%s: expected float32 weights" % source)
    name = info["run_id"] + ".npz"
    path = os.path.join(where, name)
    with files.atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, **weights)
    record = {"command": command, "run": info, "history": history,
              "model": {"file": name, "sha256": sha256(path), "bytes": os.path.getsize(path),
                        "dtype": "float32", "parameters": int(sum(a.size for a in weights.values())),
                        "weights_sha256": weights_sha256(path)}}
    assert record["model"]["weights_sha256"] == weights_sha256(source)  # the very values
    record_path = os.path.join(where, info["run_id"] + ".json")
    files.write_json(record_path, record)
    return record_path


def listing(where=None):
    """Every shipped record in the folder, by run id."""
    where = where or folder()
    if not where or not os.path.isdir(where):
        return []
    return [files.read_json(os.path.join(where, f)) for f in sorted(os.listdir(where)) if f.endswith(".json")]


def load(run_id, where=None):
    """(the VAELoss of shipped run ``run_id`` on the CPU, its Shipped record), built from the
    networks its record names and loaded with its weights; DataError when it is not shipped (or
    does not match its digest).  For using a shipped model directly, outside a script's run
    (the walkthrough notebook)."""
    found = find(run_id, where)
    if found is None:
        raise DataError("no shipped model %s in %s" % (run_id, _show(where or folder() or "models")))
    config = found.info["config"]
    data = "midi" if runs.data_kind(run_id) == "midi" else "mnist"  # image folders use MNIST's networks
    image = ((config.get("image_size", 28), config.get("channels", 1))
             if "image_size" in config or "channels" in config else None)
    model = runs.build_vae(data, config["encoder"], config["decoder"], config["n_latent"], image,
                           config.get("beta", 1.0), config.get("k", 1), config.get("decoder_dropout", 0.0))
    return loop.load_model(found.model_path, model), found  # find() checked its digest
