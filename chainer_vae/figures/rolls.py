"""Pictures of music: piano rolls of note-state matrices, and the music statistics' densities."""
import matplotlib

matplotlib.use("Agg")  # headless: figures are files, never windows
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from chainer_vae.figures.common import save, wrap  # noqa: E402
from chainer_vae.music import stats as S


def piano_roll(notestate, path, title, lowest_pitch=24, threshold=None, tempo_bpm=None, steps_per_bar=16,
               boundaries=(), boundary_labels=(), time_signature=None):
    """A note-state matrix (T, 156) as a picture: held steps in grey, onsets (articulations) in black,
    time below (and in seconds above when ``tempo_bpm`` is given): in bars of ``time_signature``
    (e.g. "6/8", with ``steps_per_bar`` steps each) when the piece has one, else in sixteenth-note
    steps with a grid line every ``steps_per_bar`` (the note-state matrix keeps no metre: a 6/8
    jig and a 3/4 waltz are steps as a 4/4 piece is).

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
    ax.set_xticklabels([str(b // steps_per_bar + 1) if time_signature else str(b) for b in bars], fontsize=7)
    for b in bars:
        ax.axvline(b, color="0.85", lw=0.5, zorder=0)
    ax.set_xlabel("bar (%s, %d sixteenth-note steps each)" % (time_signature, steps_per_bar) if time_signature
                  else "sixteenth-note step (a line every %d steps)" % steps_per_bar)
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
    ax.set_title(wrap(title, 110), fontsize=9)
    return save(fig, path, dpi=90)


def music_statistics(reference, generated, path, title):
    """Music statistics: each feature's density for the reference windows (black) and each
    generated set (one colour per name); pooled pitch-class and note-length histograms.

    reference, generated[name]: outputs of chainer_vae.music.stats.features."""

    fig, axes = plt.subplots(3, 4, figsize=(16, 10.5))
    colours = plt.cm.viridis(np.linspace(0, 0.95, max(len(generated), 1)))
    for ax, key in zip(axes.flat, S.SCALARS):
        ref = reference["scalars"][key]
        for (name, feats), c in zip(generated.items(), colours):
            grid, bw = S.kde_grid(ref, feats["scalars"][key])
            ax.plot(grid, S.density(feats["scalars"][key], grid, bw), color=c, lw=1, label=name)
        grid, bw = S.kde_grid(ref, ref)
        ax.plot(grid, S.density(ref, grid, bw), color="black", lw=2, label="test windows")
        heading = key.replace("_", " ")
        if key == "melody_coverage":  # the floor is the reference's: say which
            heading += " (steps with a note >= MIDI %d)" % reference["melody_floor"]
        ax.set_title(heading, fontsize=9)
        ax.set_yticks([])
    width = 0.8 / (len(generated) + 1)
    for ax, key, labels in ((axes.flat[len(S.SCALARS)], "pitch_classes", S.pitch_names()),
                            (axes.flat[len(S.SCALARS) + 1], "note_lengths", S.LENGTH_LABELS)):
        x = np.arange(len(labels))
        ax.bar(x, reference[key], width, color="black", label="test windows")
        for i, ((name, feats), c) in enumerate(zip(generated.items(), colours)):
            ax.bar(x + (i + 1) * width, feats[key], width, color=c, label=name)
        ax.set_xticks(x + 0.4 - width / 2)
        ax.set_xticklabels(labels, fontsize=7)
        ax.set_title(key.replace("_", " ") + (" (steps)" if key == "note_lengths" else "") + ", pooled",
                     fontsize=9)
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(wrap(title, 150), fontsize=10)
    return save(fig, path, dpi=90)
