"""Grids of images and pictures of the latent space: Fig. 2's grids, Fig. 3's scatter, rows of images
with labels, and the posterior's evolution (panels and a GIF)."""
import matplotlib

matplotlib.use("Agg")  # headless: figures are files, never windows
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from matplotlib import animation  # noqa: E402

from chainer_vae import files  # noqa: E402
from chainer_vae.figures.common import save, wrap  # noqa: E402

# The posterior panels share one square view: the 99.9th percentile of |z| over every epoch shown
# (a few outlying codes do not shrink the rest), at least the prior's +-4 (where N(0, 1) puts all
# but 6e-5 of its mass), with a 5% margin.
VIEW_PERCENTILE, VIEW_MIN, VIEW_MARGIN = 99.9, 4.0, 1.05


def _view(codes, epochs):
    extent = float(np.percentile(np.abs(np.concatenate([codes[e] for e in epochs])), VIEW_PERCENTILE))
    return VIEW_MARGIN * max(VIEW_MIN, extent)


def latent_scatter(mu, labels, path, title):
    """Fig. 3: the test set's posterior means in the 2-D latent space, coloured by digit."""
    fig, ax = plt.subplots(figsize=(7, 6))
    points = ax.scatter(mu[:, 0], mu[:, 1], c=labels, cmap="tab10", s=4, vmin=-0.5, vmax=9.5)
    cbar = fig.colorbar(points, ax=ax, ticks=range(10))
    cbar.set_label("digit")
    ax.set_xlabel("z[0]")
    ax.set_ylabel("z[1]")
    ax.set_title(wrap(title, 80), fontsize=9)
    return save(fig, path, dpi=110)


def image_grid(images, rows, cols, path, title, side=28):
    """Tile rows*cols images of side x side pixels (Fig. 2's manifold, prior samples)."""
    images = np.asarray(images).reshape(rows, cols, side, side)
    canvas = images.transpose(0, 2, 1, 3).reshape(rows * side, cols * side)
    fig, ax = plt.subplots(figsize=(cols * 0.5 + 1, rows * 0.5 + 1))
    ax.imshow(canvas, cmap="gray", vmin=0, vmax=1)
    ax.set_axis_off()
    ax.set_title(wrap(title, max(40, cols * 6)), fontsize=8)
    return save(fig, path, dpi=110)


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
    ax.set_title(wrap(title, max(50, n * 7)), fontsize=8)
    return save(fig, path)


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
    lim = _view(codes, epochs)
    fig, axes = plt.subplots(1, len(epochs), figsize=(2.6 * len(epochs), 3.0), squeeze=False)
    for ax, e in zip(axes[0], epochs):
        _scatter(ax, codes[e], labels, lim)
        ax.set_title("initial weights" if e == 0 else "after epoch %d" % e, fontsize=9)
    axes[0][-1].legend(handles=_digit_handles(), title="digit", fontsize=7, title_fontsize=7,
                       loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False)
    fig.suptitle(wrap(title, 160), fontsize=9)
    return save(fig, path)


def latent_gif(codes, labels, path, fps=4):
    """An animation of the test codes over every kept epoch."""
    epochs = sorted(codes)
    lim = _view(codes, epochs)
    fig, ax = plt.subplots(figsize=(4.5, 4.5))

    def draw(i):
        ax.clear()
        _scatter(ax, codes[epochs[i]], labels, lim)
        ax.set_title("test-set codes, %s" % ("initial weights" if epochs[i] == 0 else "epoch %d" % epochs[i]))
        ax.legend(handles=_digit_handles(), title="digit", fontsize=6, title_fontsize=6, ncol=2,
                  loc="upper right", handletextpad=0.1, columnspacing=0.5)
    anim = animation.FuncAnimation(fig, draw, frames=len(epochs))
    with files.atomic_path(path) as tmp:
        anim.save(tmp, writer=animation.PillowWriter(fps=fps), dpi=75)
    plt.close(fig)
    return path
