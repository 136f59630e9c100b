"""The results page's latent explorer: ``refresh`` exports the Fig. 4 run's decoder and the Fig. 3
test codes into ``<results>/explorer/data.js`` when that file is missing or names another run.
The file's layout, and its readers and writers, are figures/explorer.py's (the scripts write the
same kind of file for an image folder's run).
"""
import dataclasses
import os

from chainer_vae import files
from chainer_vae.cli import mnist
from chainer_vae.data import fingerprint
from chainer_vae.figures.explorer import (FILE, OWN_PREFIX, PREFIX, decoder_layers, own_file,  # noqa: F401
                                          payload, read, read_own, write, write_own)
from chainer_vae.model import apply
from chainer_vae.train import loop, runs


def refresh(results, rebuild=False):
    """Write (or keep) ``<results>/explorer/data.js`` for the run behind fig4_mnist_loss.json.

    Returns (meta, None) when the explorer is there, else (None, why not, in one sentence).  The
    explorer is keyed by the run's identity (its run id and data fingerprint), not by the bytes
    of its weights: a rerun of the same run on another CPU trains a model equal to float rounding,
    and the page must not change for it.  So data.js is exported only when it is missing or names
    another run (or ``rebuild``: ``make report ARGS=--rebuild-explorer``), from the finished
    model in <results>/runs/; committed data of the same run are kept as they are.
    """
    path = os.path.join(results, FILE)
    fig4 = os.path.join(results, "fig4_mnist_loss.json")
    run = files.read_json(fig4).get("run", {}) if os.path.exists(fig4) else None
    if run is None:
        return None, "no fig4_mnist_loss.json: run experiments/fig4_mnist_loss.py"
    if not run.get("run_id") or not run.get("data_fingerprint"):
        return None, "fig4_mnist_loss.json names no run (written by older code): rerun experiments/fig4_mnist_loss.py"
    old = read(path)
    same = bool(old) and (old.get("run_id"), old.get("data_fingerprint")) == (run["run_id"], run["data_fingerprint"])
    if same and not rebuild:
        return _meta(old), None
    model_path = os.path.join(results, "runs", run["run_id"], "model.npz")
    if not os.path.exists(model_path):
        if same:
            return _meta(old), None
        return None, "the finished model of run %s is not here: run experiments/fig4_mnist_loss.py" % run["run_id"]
    data = _export(run, model_path, results)
    if isinstance(data, str):
        return None, data
    write(path, data)
    return _meta(data), None


def _meta(data):
    return {k: v for k, v in data.items() if k not in ("decoder", "codes")}


def _export(run, model_path, results):
    """The payload of the run's model and its test codes, or why it cannot be made (a sentence)."""
    fields = {f.name for f in dataclasses.fields(mnist.MnistConfig)}
    config = mnist.MnistConfig(**dict({k: v for k, v in run.get("config", {}).items() if k in fields},
                                      out=results, progress=False, device="@numpy"))
    if config.n_latent != 2 or config.decoder != "mlp":
        return "run %s is not the paper's 2-D MLP model" % run["run_id"]
    data = mnist.load_data(config)
    if fingerprint(data.train_x, data.test_x) != run["data_fingerprint"]:
        return "the MNIST found here is not run %s's data (fingerprint %s)" % (run["run_id"], run["data_fingerprint"])
    model = loop.load_model(model_path, runs.build_model(config))
    codes = apply.encode(model, data.test_x)
    return payload(model, codes, data.test_y, {
        "run_id": run["run_id"], "data_fingerprint": run["data_fingerprint"],
        "epochs": config.epochs, "data": data.description})
