"""Curves per epoch: Figs. 4 and 5 (loss and KL), the architecture comparison, and panels of
series for the experiments the paper describes in words (likelihood, denoising, KL annealing)."""
import matplotlib

matplotlib.use("Agg")  # headless: figures are files, never windows
import matplotlib.pyplot as plt  # noqa: E402

from chainer_vae.figures.common import save, wrap  # noqa: E402
from chainer_vae.figures.paper import load_paper_curves, plot_paper_curves  # noqa: E402


# A 9-point title in matplotlib's default font fits about 12.5 characters per inch of figure
# (measured on these figures' titles): wrap there, at most 150 characters a line.
CHARS_PER_INCH = 12.5


def _series(history, split, term):
    return [row[split][term] for row in history]


def epoch_axis(ax):
    """Whole epochs only on the x axis: a 2-epoch run would otherwise show 1.2, 1.4, ..."""
    from matplotlib.ticker import MaxNLocator
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")


def loss_and_kl(history, path, title, mark_epochs=None, paper=None):
    """Fig. 4 / Fig. 5: left, train and test total loss per epoch; right, train and test KL.

    mark_epochs: (first, last) epochs to shade, e.g. the range the paper's Fig. 5 plots.
    paper: "fig4" or "fig5": the paper's digitized curves drawn dashed over ours, at the epochs the
    paper plots (``figures/paper.py``; Fig. 5: epochs 12-60); the y axes then span those curves and
    ours from epoch 2 on.
    """
    epochs = [row["epoch"] for row in history]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, term, label in ((axes[0], "loss", "total loss (nats / example)"),
                            (axes[1], "kl_penalty", "KL divergence (nats / example)")):
        ax.plot(epochs, _series(history, "train", term), label="train")
        sample = history[-1].get("test_examples")
        ax.plot(epochs, _series(history, "test", term),
                label="test" if not sample else "test (a fixed sample of %d windows)" % sample)
        if "test_all" in history[-1]:
            ax.plot([epochs[-1]], [history[-1]["test_all"][term]], "k*", ms=9,
                    label="test, every window (after the last epoch)")
        if mark_epochs:
            ax.axvspan(mark_epochs[0], mark_epochs[1], color="0.9", zorder=0,
                       label="epochs %d-%d (paper's plot)" % tuple(mark_epochs))
        if paper:
            names = ("train_loss", "test_loss") if term == "loss" else ("train_kl", "test_kl")
            lines = plot_paper_curves(ax, paper, names)
            # the y range of the paper's curves and ours over the epochs it plots, never our
            # epoch 1 (Fig. 5's early epochs are 5-10x the rest and would flatten all of it)
            first = max([2] + [min(line.get_xdata()) for line in lines])
            ys = [y for line in lines for y in line.get_ydata()] + [
                row[s][term] for row in history if row["epoch"] >= first for s in ("train", "test")]
            if ys:
                pad = 0.04 * (max(ys) - min(ys) or 1.0)
                ax.set_ylim(min(ys) - pad, max(ys) + pad)
        epoch_axis(ax)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(wrap(title, 130), fontsize=10)
    return save(fig, path, dpi=110)


def test_curves(rows, datasets, path):
    """The architecture comparison: test loss per epoch of each encoder/decoder pair, a panel per data set."""
    fig, axes = plt.subplots(1, len(datasets), figsize=(6 * len(datasets), 4), squeeze=False)
    for ax, d in zip(axes[0], datasets):
        for r in (r for r in rows if r["data"] == d):
            ax.plot(range(1, r["epochs"] + 1), r["test_curve"], label="%s / %s" % (r["encoder"], r["decoder"]))
        ax.set_title("%s: test loss per epoch" % d.upper(), fontsize=10)
        epoch_axis(ax)
        ax.set_ylabel("nats / example")
        ax.grid(alpha=0.3)
        ax.legend()
    return save(fig, path, dpi=110)


def panels(panels, path, title, xlabel, ylabel=None, logx=False):
    """panels: [(panel title, {series label: (x, y)})]; one line per series."""
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 3.8), squeeze=False)
    for ax, (name, series) in zip(axes[0], panels):
        for label, (x, y) in series.items():
            dashed = label.startswith("paper")  # the paper's digitized curves (figures/paper.py)
            ax.plot(x, y, marker="o" if len(x) < 12 and not dashed else None, ms=3, label=label,
                    linestyle="--" if dashed else "-")
        ax.set_title(wrap(name, 60), fontsize=9)
        if xlabel == "epoch":
            epoch_axis(ax)
        ax.set_xlabel(xlabel)
        if ylabel:
            ax.set_ylabel(ylabel)
        if logx:
            ax.set_xscale("log")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(wrap(title, min(150, int(CHARS_PER_INCH * 5.2 * len(panels)))), fontsize=9)
    return save(fig, path)


def paper_fits(fits, path, title, fig="fig5"):
    """Runs against the paper's curves over the epochs the paper plots: left the train (solid) and
    test (dotted) loss of each run in ``fits`` [(label, history)], right their KL, the paper's
    curves dashed in its own reds (``figures/paper.py``)."""
    record = load_paper_curves()[fig]
    first, last = record["epochs"][0], record["epochs"][-1]
    figure, axes = plt.subplots(1, 2, figsize=(12, 5.4))
    for ax, term, label in ((axes[0], "loss", "total loss (nats / example)"),
                            (axes[1], "kl_penalty", "KL divergence (nats / example)")):
        for i, (name, history) in enumerate(fits):
            rows = [row for row in history if first <= row["epoch"] <= last]
            x = [row["epoch"] for row in rows]
            colour = "C%d" % (i % 10)
            ax.plot(x, [row["train"][term] for row in rows], color=colour, label="%s: train" % name)
            ax.plot(x, [row["test"][term] for row in rows], color=colour, linestyle=":", label="test")
        plot_paper_curves(ax, fig, ("train_loss", "test_loss") if term == "loss" else ("train_kl", "test_kl"),
                          linewidth=2)
        epoch_axis(ax)
        ax.set_xlim(first - 0.5, last + 0.5)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    more = axes[1].get_legend_handles_labels()
    n_runs = 2 * len(fits)
    handles, labels = handles + more[0][n_runs:], labels + more[1][n_runs:]  # + the paper's KL lines
    figure.legend(handles, labels, loc="lower center", ncol=4, fontsize=7, frameon=False)
    figure.suptitle(wrap(title, 140), fontsize=9)
    rows = -(-len(labels) // 4)
    figure.tight_layout(rect=(0, 0.035 * rows + 0.02, 1, 0.96))
    return save(figure, path, dpi=110, tight=False)
