"""Every figure, drawn from saved histories and models (never from globals).

Each function takes plain arrays / history lists and an output path, writes the PNG atomically
and returns the path.
"""
import textwrap

import matplotlib

matplotlib.use("Agg")  # headless: figures are files, never windows
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from chainer_vae import io  # noqa: E402


def _wrap(title, width=95):
    """Long titles (they name the data actually used) wrap instead of running off the figure."""
    return "\n".join(textwrap.wrap(title, width))


def _series(history, split, term):
    return [row[split][term] for row in history]


def loss_and_kl(history, path, title, mark_epochs=None):
    """Fig. 4 / Fig. 5: left, train and test total loss per epoch; right, train and test KL.

    mark_epochs: (first, last) epochs to shade, e.g. the range the paper's Fig. 5 plots.
    """
    epochs = [row["epoch"] for row in history]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, term, label in ((axes[0], "loss", "total loss (nats / example)"),
                            (axes[1], "kl_penalty", "KL divergence (nats / example)")):
        ax.plot(epochs, _series(history, "train", term), label="train")
        ax.plot(epochs, _series(history, "test", term), label="test")
        if mark_epochs:
            ax.axvspan(mark_epochs[0], mark_epochs[1], color="0.9", zorder=0,
                       label="epochs %d-%d (paper's plot)" % tuple(mark_epochs))
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(_wrap(title, 130), fontsize=10)
    fig.tight_layout()
    io.save_figure(fig, path, dpi=110)
    plt.close(fig)
    return path


def latent_scatter(mu, labels, path, title):
    """Fig. 3: the test set's posterior means in the 2-D latent space, coloured by digit."""
    fig, ax = plt.subplots(figsize=(7, 6))
    points = ax.scatter(mu[:, 0], mu[:, 1], c=labels, cmap="tab10", s=4, vmin=-0.5, vmax=9.5)
    cbar = fig.colorbar(points, ax=ax, ticks=range(10))
    cbar.set_label("digit")
    ax.set_xlabel("z[0]")
    ax.set_ylabel("z[1]")
    ax.set_title(_wrap(title, 80), fontsize=9)
    fig.tight_layout()
    io.save_figure(fig, path, dpi=110)
    plt.close(fig)
    return path


def image_grid(images, rows, cols, path, title, side=28):
    """Tile rows*cols images of side x side pixels (Fig. 2's manifold, prior samples)."""
    images = np.asarray(images).reshape(rows, cols, side, side)
    canvas = images.transpose(0, 2, 1, 3).reshape(rows * side, cols * side)
    fig, ax = plt.subplots(figsize=(cols * 0.5 + 1, rows * 0.5 + 1))
    ax.imshow(canvas, cmap="gray", vmin=0, vmax=1)
    ax.set_axis_off()
    ax.set_title(_wrap(title, max(40, cols * 6)), fontsize=8)
    fig.tight_layout()
    io.save_figure(fig, path, dpi=110)
    plt.close(fig)
    return path


def piano_roll(notestate, path, title, lowest_pitch=24, threshold=None):
    """A note-state matrix (T, 156) as a picture: `play` in grey, `articulate` (note starts) in black."""
    notestate = np.asarray(notestate, dtype=np.float32)
    if threshold is not None:
        notestate = (notestate >= threshold).astype(np.float32)
    n = notestate.shape[1] // 2
    play, articulate = notestate[:, :n], notestate[:, n:]
    picture = np.maximum(0.5 * play, articulate).T  # pitch on the vertical axis
    fig, ax = plt.subplots(figsize=(max(6, notestate.shape[0] / 16), 4))
    ax.imshow(picture, cmap="Greys", origin="lower", aspect="auto", vmin=0, vmax=1,
              extent=(0, notestate.shape[0], lowest_pitch - 0.5, lowest_pitch + n - 0.5))
    ax.set_xlabel("sixteenth-note step")
    ax.set_ylabel("MIDI pitch")
    ax.set_title(_wrap(title, 100), fontsize=9)
    fig.tight_layout()
    io.save_figure(fig, path, dpi=100)
    plt.close(fig)
    return path


def test_curves(rows, datasets, path):
    """The architecture comparison: test loss per epoch of each encoder/decoder pair, a panel per data set."""
    fig, axes = plt.subplots(1, len(datasets), figsize=(6 * len(datasets), 4), squeeze=False)
    for ax, d in zip(axes[0], datasets):
        for r in (r for r in rows if r["data"] == d):
            ax.plot(range(1, r["epochs"] + 1), r["test_curve"], label="%s / %s" % (r["encoder"], r["decoder"]))
        ax.set_title("%s: test loss per epoch" % d.upper(), fontsize=10)
        ax.set_xlabel("epoch")
        ax.set_ylabel("nats / example")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    io.save_figure(fig, path, dpi=110)
    plt.close(fig)
    return path
