"""Figures of the experiments the paper describes in words (completion, denoising, posterior
evolution, interpolation, likelihood, KL annealing).  Like plotting.py: plain arrays in, a file
written atomically, its path returned."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import animation  # noqa: E402

from chainer_vae import io  # noqa: E402
from chainer_vae.plotting import _wrap, epoch_axis  # noqa: E402


def _save(fig, path, dpi=110):
    fig.tight_layout()
    io.save_figure(fig, path, dpi=dpi)
    plt.close(fig)
    return path


def labelled_rows(rows, labels, path, title, side=28):
    """Rows of images (each (n, side*side), n equal), a label at the left of each row."""
    n = len(rows[0])
    canvas = np.ones((len(rows) * (side + 2), n * (side + 2)))
    for r, row in enumerate(rows):
        for c, img in enumerate(row):
            canvas[r * (side + 2):r * (side + 2) + side, c * (side + 2):c * (side + 2) + side] = \
                np.asarray(img).reshape(side, side)
    fig, ax = plt.subplots(figsize=(n * 0.55 + 1.6, len(rows) * 0.55 + 0.8))
    ax.imshow(canvas, cmap="gray", vmin=0, vmax=1)
    ax.set_yticks([r * (side + 2) + side / 2 for r in range(len(rows))])
    ax.set_yticklabels(labels, fontsize=7)
    ax.set_xticks([])
    ax.set_title(_wrap(title, max(50, n * 7)), fontsize=8)
    return _save(fig, path)


def _scatter(ax, z, labels, lim):
    ax.scatter(z[:, 0], z[:, 1], c=labels, cmap="tab10", s=2, vmin=-0.5, vmax=9.5)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")


def _digit_handles():
    """One legend entry per digit, in _scatter's colours."""
    from matplotlib.lines import Line2D
    return [Line2D([], [], marker="o", ls="", ms=4, color=plt.cm.tab10(d), label=str(d)) for d in range(10)]


def latent_panels(codes, labels, epochs, path, title):
    """The test codes after each of ``epochs`` ({epoch: (n, 2)}; 0 = initial weights), one panel each."""
    lim = 1.05 * max(4.0, float(np.percentile(np.abs(np.concatenate([codes[e] for e in epochs])), 99.9)))
    fig, axes = plt.subplots(1, len(epochs), figsize=(2.6 * len(epochs), 3.0), squeeze=False)
    for ax, e in zip(axes[0], epochs):
        _scatter(ax, codes[e], labels, lim)
        ax.set_title("initial weights" if e == 0 else "after epoch %d" % e, fontsize=9)
    axes[0][-1].legend(handles=_digit_handles(), title="digit", fontsize=7, title_fontsize=7,
                       loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False)
    fig.suptitle(_wrap(title, 160), fontsize=9)
    return _save(fig, path)


def latent_gif(codes, labels, path, fps=4):
    """An animation of the test codes over every kept epoch."""
    epochs = sorted(codes)
    lim = 1.05 * max(4.0, float(np.percentile(np.abs(np.concatenate([codes[e] for e in epochs])), 99.9)))
    fig, ax = plt.subplots(figsize=(4.5, 4.5))

    def draw(i):
        ax.clear()
        _scatter(ax, codes[epochs[i]], labels, lim)
        ax.set_title("test-set codes, %s" % ("initial weights" if epochs[i] == 0 else "epoch %d" % epochs[i]))
        ax.legend(handles=_digit_handles(), title="digit", fontsize=6, title_fontsize=6, ncol=2,
                  loc="upper right", handletextpad=0.1, columnspacing=0.5)
    anim = animation.FuncAnimation(fig, draw, frames=len(epochs))
    with io.atomic_path(path) as tmp:
        anim.save(tmp, writer=animation.PillowWriter(fps=fps), dpi=75)
    plt.close(fig)
    return path


def curves(panels, path, title, xlabel, ylabel=None, logx=False):
    """panels: [(panel title, {series label: (x, y)})]; one line per series."""
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 3.8), squeeze=False)
    for ax, (name, series) in zip(axes[0], panels):
        for label, (x, y) in series.items():
            ax.plot(x, y, marker="o" if len(x) < 12 else None, ms=3, label=label)
        ax.set_title(_wrap(name, 60), fontsize=9)
        if xlabel == "epoch":
            epoch_axis(ax)
        ax.set_xlabel(xlabel)
        if ylabel:
            ax.set_ylabel(ylabel)
        if logx:
            ax.set_xscale("log")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(_wrap(title, min(150, int(12.5 * 5.2 * len(panels)))), fontsize=9)  # ~12.5 characters an inch
    return _save(fig, path)
