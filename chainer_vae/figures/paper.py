"""The paper's learning curves (Fig. 4, Fig. 5) as numbers, and how far one of our runs is from them.

``results/paper_curves.json`` holds the per-epoch values that ``tools/digitize_paper.py`` read
off the paper's figures: for "fig4" (MNIST, epochs 1-60) and "fig5" (MIDI, epochs 12-60: the
authors' notebook plots ``loss_train[11:60]`` at x = 0..48), the train and test total loss and
KL divergence per epoch.  They are digitized, so good to about a pixel (the JSON's "method").

Our histories are lists of per-epoch dicts, as the "history" of results/fig4_mnist_loss.json:
``{"epoch": e, "train": {"loss", "reconstr", "kl_penalty"}, "test": {...}}``.
"""
import json
import math
import os

from chainer_vae import files
from chainer_vae.errors import DataError

DEFAULT_PATH = os.path.join(files.CHECKOUT or os.getcwd(), "results", "paper_curves.json")
# The paper's curve -> (split, term) of our history.  The paper's "KL divergence" is the KL term
# of the objective, our "kl_penalty" (at beta = 1 the loss is reconstr + kl_penalty, eq. 6).
CURVES = {
    "train_loss": ("train", "loss"),
    "test_loss": ("test", "loss"),
    "train_kl": ("train", "kl_penalty"),
    "test_kl": ("test", "kl_penalty"),
}
LABELS = {"train_loss": "train loss", "test_loss": "test loss",
          "train_kl": "train KL", "test_kl": "test KL"}
# The paper's own colours, xkcd:tomato and xkcd:crimson (the authors' VAE_midi.py): train, test.
PAPER_COLOURS = {"train": "#ef4026", "test": "#8c000f"}


def load_paper_curves(path=DEFAULT_PATH):
    """The digitized curves: {"fig4": {"epochs": [...], "train_loss": [...], ...}, "fig5": {...}}.

    Raises DataError when the file is missing or a curve does not have one value per epoch."""
    try:
        with open(path) as f:
            data = json.load(f)
    except OSError as e:
        raise DataError(f"cannot read the paper's curves {path}: {e.strerror or e} "
                        f"(tools/digitize_paper.py writes it)") from e
    except ValueError as e:
        raise DataError(f"{path}: not JSON ({e})") from e
    for fig, record in data.items():
        n = len(record.get("epochs", []))
        for curve in CURVES:
            if len(record.get(curve, [])) != n or not n:
                raise DataError(f"{path}: {fig}'s {curve} has {len(record.get(curve, []))} values for "
                                f"{n} epochs")
    return data


def _figure(fig, paper):
    paper = load_paper_curves() if paper is None else paper
    if fig not in paper:
        raise ValueError(f"no curves for {fig!r}; the file has {sorted(paper)}")
    return paper[fig]


def distance(history, fig, paper=None):
    """How far a history is from the paper's curves over the epochs the paper plots.

    -> {curve: {"mean_abs", "max_abs", "max_abs_epoch", "n_epochs"}, "epochs": [first, last],
    "missing_epochs": [...]}: per curve the mean and largest absolute difference (ours - paper,
    in the curve's units: nats per example) over the paper's epochs that the history has.
    Epochs the history lacks (a shorter run) are listed, not guessed; a history with none of
    the paper's epochs is a ValueError."""
    record = _figure(fig, paper)
    rows = {row["epoch"]: row for row in history}
    shared = [(i, e) for i, e in enumerate(record["epochs"]) if e in rows]
    if not shared:
        raise ValueError(f"the history (epochs {min(rows, default=None)}..{max(rows, default=None)}) has "
                         f"none of {fig}'s epochs {record['epochs'][0]}..{record['epochs'][-1]}")
    out = {"epochs": [record["epochs"][0], record["epochs"][-1]],
           "missing_epochs": [e for e in record["epochs"] if e not in rows]}
    for curve, (split, term) in CURVES.items():
        gaps = [(abs(rows[e][split][term] - record[curve][i]), e) for i, e in shared]
        largest, at = max(gaps, key=lambda g: g[0])  # the first epoch on a tie
        out[curve] = {"mean_abs": math.fsum(g for g, _ in gaps) / len(gaps), "max_abs": largest,
                      "max_abs_epoch": at, "n_epochs": len(gaps)}
    return out


def plot_paper_curves(ax, fig, curves=("train_loss", "test_loss"), paper=None, colours=None, **kwargs):
    """Draw the paper's curves on a matplotlib Axes, dashed and labelled "paper ...", at our
    epoch numbers (x = epoch, as chainer_vae.figures.curves draws our runs) -> the Line2D objects.

    colours: {"train": c, "test": c}, default the paper's own reds; kwargs go to ``ax.plot``."""
    record = _figure(fig, paper)
    colours = dict(PAPER_COLOURS, **(colours or {}))
    style = dict({"linestyle": "--", "linewidth": 1.2}, **kwargs)
    lines = []
    for curve in curves:
        split = CURVES[curve][0]
        lines += ax.plot(record["epochs"], record[curve], color=colours[split],
                         label=f"paper {LABELS[curve]}", **style)
    return lines


def score(dist, fig, paper=None):
    """One number for a run's distance from the paper: the mean over the four curves of each
    curve's mean absolute gap divided by the range the paper's curve spans over its plotted
    epochs (so losses of hundreds of nats and KLs of tens weigh alike; 0 = on the paper's
    curves, 0.1 = a tenth of each curve's range off on average).  ``dist``: ``distance(...)``."""
    record = _figure(fig, paper)
    return math.fsum(dist[c]["mean_abs"] / (max(record[c]) - min(record[c])) for c in CURVES) / len(CURVES)


KINK_FROM = 25  # Fig. 5's kink: the largest one-epoch fall of the train loss from this epoch on


def shape(history, fig="fig5", paper=None):
    """What Fig. 5's shape is made of, for a history or (history=None) the paper's own curves,
    over the paper's plotted epochs: the train and test KL at the first plotted epoch, their
    minimum (epoch, value) and last value; the kink (the epoch of the largest one-epoch fall of
    the train loss from epoch KINK_FROM on, and that fall); test - train loss at the first and
    last plotted epochs."""
    record = _figure(fig, paper)
    if history is None:
        rows = {e: {s: {"loss": record[s + "_loss"][i], "kl_penalty": record[s + "_kl"][i]} for s in ("train", "test")}
                for i, e in enumerate(record["epochs"])}
    else:
        rows = {row["epoch"]: row for row in history}
    epochs = [e for e in record["epochs"] if e in rows]
    first, last = epochs[0], epochs[-1]
    out = {"epochs": [first, last]}
    for split in ("train", "test"):
        kl = [(rows[e][split]["kl_penalty"], e) for e in epochs]
        low, at = min(kl)
        out[split + "_kl"] = {"first": kl[0][0], "min": low, "min_epoch": at, "last": kl[-1][0]}
    falls = [(rows[e - 1]["train"]["loss"] - rows[e]["train"]["loss"], e)
             for e in epochs if e >= KINK_FROM and e - 1 in rows]
    if falls:
        fall, at = max(falls)
        out["kink"] = {"epoch": at, "fall": fall}
    out["test_minus_train"] = {"first": rows[first]["test"]["loss"] - rows[first]["train"]["loss"],
                               "last": rows[last]["test"]["loss"] - rows[last]["train"]["loss"]}
    return out
