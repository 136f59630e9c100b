"""Grids of images and pictures of the latent space: Fig. 2's grids, Fig. 3's scatter, rows of images
with labels, and the posterior's evolution (panels and a GIF)."""
from statistics import NormalDist

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


def _class_colours(n):
    """(colour map, vmin, vmax) of n classes: tab10 up to 10 (the digits'), tab20 up to 20,
    else a continuous map."""
    cmap = "tab10" if n <= 10 else "tab20" if n <= 20 else "viridis"
    top = {"tab10": 10, "tab20": 20}.get(cmap, n)
    return cmap, -0.5, top - 0.5


def latent_grid(n=15, low=0.05, high=0.95):
    """Fig. 2's n x n codes: the standard normal's quantiles norm.ppf(linspace(low, high, n)) on each
    axis, as in the original code (equal prior mass gets equal room) -> ((n * n, 2) float32 codes
    in image_grid's order, rows going down in z[1] so the picture reads like a plot with y up;
    the n quantiles)."""
    q = np.array([NormalDist().inv_cdf(p) for p in np.linspace(low, high, n)], dtype=np.float32)
    return np.array([[zx, zy] for zy in q[::-1] for zx in q], dtype=np.float32), q


def latent_scatter(mu, labels, path, title, classes=None, dpi=110):
    """Fig. 3: the test set's posterior means in the 2-D latent space, coloured by digit (or by
    class: ``classes`` the names, index = label); ``dpi`` of the PNG."""
    fig, ax = plt.subplots(figsize=(7, 6))
    if classes is None:  # the paper's digits: a colour bar of tab10
        points = ax.scatter(mu[:, 0], mu[:, 1], c=labels, cmap="tab10", s=4, vmin=-0.5, vmax=9.5)
        cbar = fig.colorbar(points, ax=ax, ticks=range(10))
        cbar.set_label("digit")
    else:  # an image folder's classes: a legend of their names (a colour bar beyond 20)
        cmap, lo, hi = _class_colours(len(classes))
        points = ax.scatter(mu[:, 0], mu[:, 1], c=labels, cmap=cmap, s=4, vmin=lo, vmax=hi)
        if len(classes) <= 20:
            colours = plt.get_cmap(cmap)
            from matplotlib.lines import Line2D
            ax.legend(handles=[Line2D([], [], marker="o", ls="", ms=4, color=colours(i), label=str(c))
                               for i, c in enumerate(classes)], title="class", fontsize=7, title_fontsize=7,
                      loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False)
        else:
            fig.colorbar(points, ax=ax).set_label("class index")
    ax.set_xlabel("z[0]")
    ax.set_ylabel("z[1]")
    ax.set_title(wrap(title, 80), fontsize=9)
    return save(fig, path, dpi=dpi)


def _shape(side, shape):
    """(height, width, channels) of one image: ``shape`` when given, else side x side grey."""
    return (side, side, 1) if shape is None else tuple(shape)


def _show(ax, canvas):
    """A (H, W, 1) canvas in grey, (H, W, 3) in colour (values in [0, 1])."""
    if canvas.shape[2] == 1:
        ax.imshow(canvas[:, :, 0], cmap="gray", vmin=0, vmax=1)
    else:
        ax.imshow(np.clip(canvas, 0, 1))


def image_grid(images, rows, cols, path, title, side=28, shape=None, dpi=110):
    """Tile rows*cols images of side x side pixels (Fig. 2's manifold, prior samples); ``shape``
    (height, width, channels): rows of an image folder (channel-last, colour when 3); ``dpi`` of
    the PNG."""
    h, w, c = _shape(side, shape)
    images = np.asarray(images).reshape(rows, cols, h, w, c)
    canvas = images.transpose(0, 2, 1, 3, 4).reshape(rows * h, cols * w, c)
    fig, ax = plt.subplots(figsize=(cols * 0.5 + 1, rows * 0.5 + 1))
    _show(ax, canvas)
    ax.set_axis_off()
    ax.set_title(wrap(title, max(40, cols * 6)), fontsize=8)
    return save(fig, path, dpi=dpi)


def labelled_rows(rows, labels, path, title, side=28, shape=None):
    """Rows of images (each (n, side*side), n equal), a label at the left of each row; ``shape``
    as image_grid's."""
    h, w, ch = _shape(side, shape)
    n = len(rows[0])
    canvas = np.ones((len(rows) * (h + 2), n * (w + 2), ch))
    for r, row in enumerate(rows):
        for c, img in enumerate(row):
            canvas[r * (h + 2):r * (h + 2) + h, c * (w + 2):c * (w + 2) + w] = np.asarray(img).reshape(h, w, ch)
    fig, ax = plt.subplots(figsize=(n * 0.55 + 1.6, len(rows) * 0.55 + 0.8))
    _show(ax, canvas)
    ax.set_yticks([r * (h + 2) + h / 2 for r in range(len(rows))])
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


def latent_panels(codes, labels, epochs, path, title, dpi=110):
    """The test codes after each of ``epochs`` ({epoch: (n, 2)}; 0 = initial weights), one panel each;
    ``dpi`` of the PNG."""
    lim = _view(codes, epochs)
    fig, axes = plt.subplots(1, len(epochs), figsize=(2.6 * len(epochs), 3.0), squeeze=False)
    for ax, e in zip(axes[0], epochs):
        _scatter(ax, codes[e], labels, lim)
        ax.set_title("initial weights" if e == 0 else "after epoch %d" % e, fontsize=9)
    axes[0][-1].legend(handles=_digit_handles(), title="digit", fontsize=7, title_fontsize=7,
                       loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False)
    fig.suptitle(wrap(title, 160), fontsize=9)
    return save(fig, path, dpi=dpi)


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
