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


def epoch_axis(ax):
    """Whole epochs only on the x axis: a 2-epoch run would otherwise show 1.2, 1.4, ..."""
    from matplotlib.ticker import MaxNLocator
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")


def loss_and_kl(history, path, title, mark_epochs=None):
    """Fig. 4 / Fig. 5: left, train and test total loss per epoch; right, train and test KL.

    mark_epochs: (first, last) epochs to shade, e.g. the range the paper's Fig. 5 plots.
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
        epoch_axis(ax)
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


def piano_roll(notestate, path, title, lowest_pitch=24, threshold=None, tempo_bpm=None, steps_per_bar=16,
               boundaries=(), boundary_labels=()):
    """A note-state matrix (T, 156) as a picture: held steps in grey, onsets (articulations) in black,
    time in bars below (and in seconds above when ``tempo_bpm`` is given).

    boundaries: steps where a new part starts (e.g. the windows of an interpolation), drawn as
    dashed lines and named by boundary_labels.
    """
    from matplotlib.patches import Patch

    notestate = np.asarray(notestate, dtype=np.float32)
    if threshold is not None:
        notestate = (notestate >= threshold).astype(np.float32)
    n_steps, n = notestate.shape[0], notestate.shape[1] // 2
    play, articulate = notestate[:, :n], notestate[:, n:] * (notestate[:, :n] > 0)
    picture = np.maximum(0.45 * play, articulate).T  # pitch on the vertical axis
    fig, ax = plt.subplots(figsize=(min(max(7, n_steps / 14), 28), 4.2))
    ax.imshow(picture, cmap="Greys", origin="lower", aspect="auto", vmin=0, vmax=1, interpolation="nearest",
              extent=(0, n_steps, lowest_pitch - 0.5, lowest_pitch + n - 0.5))
    bars = np.arange(0, n_steps + 1, steps_per_bar)
    ax.set_xticks(bars)
    ax.set_xticklabels([str(b // steps_per_bar + 1) for b in bars], fontsize=7)
    for b in bars:
        ax.axvline(b, color="0.85", lw=0.5, zorder=0)
    ax.set_xlabel("bar (4/4, %d sixteenth-note steps each)" % steps_per_bar)
    ax.set_ylabel("MIDI pitch (60 = middle C)")
    for step, text in zip(boundaries, list(boundary_labels) + [""] * len(boundaries)):
        ax.axvline(step, color="tab:red", lw=0.8, ls="--")
        if text:
            ax.text(step + 0.5, lowest_pitch + n - 2, text, color="tab:red", fontsize=7, va="top")
    if tempo_bpm:
        seconds_per_step = 60.0 / tempo_bpm / 4
        top = ax.secondary_xaxis("top", functions=(lambda s: s * seconds_per_step, lambda t: t / seconds_per_step))
        top.set_xlabel("seconds at %g bpm" % tempo_bpm, fontsize=8)
        top.tick_params(labelsize=7)
    ax.legend(handles=[Patch(color="black", label="note onset"), Patch(color="0.55", label="note held")],
              loc="upper right", fontsize=7, framealpha=0.8)
    ax.set_title(_wrap(title, 110), fontsize=9)
    fig.tight_layout()
    io.save_figure(fig, path, dpi=90)
    plt.close(fig)
    return path


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
    fig.tight_layout()
    io.save_figure(fig, path, dpi=110)
    plt.close(fig)
    return path


def music_statistics(reference, generated, path, title):
    """Music statistics: each feature's density for the reference windows (black) and each
    generated set (one colour per name); pooled pitch-class and note-length histograms.

    reference, generated[name]: outputs of music_stats.features."""
    from chainer_vae import music_stats as S

    fig, axes = plt.subplots(2, 4, figsize=(16, 7))
    colours = plt.cm.viridis(np.linspace(0, 0.95, max(len(generated), 1)))
    for ax, key in zip(axes.flat, S.SCALARS):
        ref = reference["scalars"][key]
        for (name, feats), c in zip(generated.items(), colours):
            grid, bw = S.kde_grid(ref, feats["scalars"][key])
            ax.plot(grid, S.density(feats["scalars"][key], grid, bw), color=c, lw=1, label=name)
        grid, bw = S.kde_grid(ref, ref)
        ax.plot(grid, S.density(ref, grid, bw), color="black", lw=2, label="test windows")
        ax.set_title(key.replace("_", " "), fontsize=9)
        ax.set_yticks([])
    width = 0.8 / (len(generated) + 1)
    for ax, key, labels in ((axes.flat[6], "pitch_classes", S.pitch_names()),
                            (axes.flat[7], "note_lengths", S.LENGTH_LABELS)):
        x = np.arange(len(labels))
        ax.bar(x, reference[key], width, color="black", label="test windows")
        for i, ((name, feats), c) in enumerate(zip(generated.items(), colours)):
            ax.bar(x + (i + 1) * width, feats[key], width, color=c, label=name)
        ax.set_xticks(x + 0.4 - width / 2)
        ax.set_xticklabels(labels, fontsize=7)
        ax.set_title(key.replace("_", " ") + (" (steps)" if key == "note_lengths" else "") + ", pooled",
                     fontsize=9)
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(_wrap(title, 150), fontsize=10)
    fig.tight_layout()
    io.save_figure(fig, path, dpi=90)
    plt.close(fig)
    return path
