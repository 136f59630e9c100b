"""Music statistics of note-state windows, and how close two sets of windows are.

In the spirit of Yang & Lerch (2018), "On the evaluation of generative models in music": each
window gets a few musical features, and a generated set is compared with held-out real windows
by the *overlapping area* (OA) of the two features' distributions (Gaussian kernel density
estimates; 1 = the same distribution, 0 = disjoint).  Two features are histograms pooled over
the set (pitch classes, note lengths); for those the overlap is 1 - total variation distance.

Per window (T steps of a sixteenth, 16 steps a 4/4 bar):
  notes_per_bar    note onsets per 16 steps
  polyphony        pitches sounding per step, over the steps where anything sounds
  pitch_range      highest minus lowest pitch (semitones; 0 for an empty window)
  empty_fraction   steps where nothing sounds
  mean_note_length mean length of its notes, in steps
  pc_distance      total variation distance of its pitch-class histogram from the reference
                   set's pooled one (0..1; how "in key" it is)
"""
import numpy as np

from chainer_vae.data.midi import LOWEST_PITCH, N_PITCHES, notes_from_notestate

SCALARS = ("notes_per_bar", "polyphony", "pitch_range", "empty_fraction", "mean_note_length", "pc_distance")
LENGTH_BINS = (1, 2, 3, 4, 5, 7, 9, 13, 17)  # lower edges, in steps: 1, 2, 3, 4, 5-6, 7-8, 9-12, 13-16, 17+
LENGTH_LABELS = ("1", "2", "3", "4", "5-6", "7-8", "9-12", "13-16", "17+")
STEPS_PER_BAR = 16


def window_features(window):
    """One binary (T, 156) window -> (scalars without pc_distance, pitch-class counts, length counts)."""
    w = np.asarray(window) > 0
    play = w[:, :N_PITCHES]
    notes = np.asarray(notes_from_notestate(w), np.int64).reshape(-1, 3)
    sounding = play.sum(axis=1)
    busy = sounding > 0
    lengths = notes[:, 2] - notes[:, 1]
    pcs = np.bincount(notes[:, 0] % 12, minlength=12)
    length_counts = np.bincount(np.searchsorted(LENGTH_BINS, lengths, side="right") - 1,
                                minlength=len(LENGTH_BINS))
    scalars = {
        "notes_per_bar": len(notes) * STEPS_PER_BAR / len(w),
        "polyphony": float(sounding[busy].mean()) if busy.any() else 0.0,
        "pitch_range": float(notes[:, 0].max() - notes[:, 0].min()) if len(notes) else 0.0,
        "empty_fraction": 1.0 - float(busy.mean()),
        "mean_note_length": float(lengths.mean()) if len(notes) else 0.0,
    }
    return scalars, pcs, length_counts


def features(windows, reference_pcs=None):
    """Binary windows (N, T, 156) -> {"scalars": {name: (N,)}, "pitch_classes": (12,) pooled
    fractions, "note_lengths": (9,) pooled fractions}.  pc_distance is measured against
    ``reference_pcs`` (the pooled histogram of the reference set; this set's own if None)."""
    rows = [window_features(w) for w in windows]
    scalars = {k: np.array([r[0][k] for r in rows], np.float64) for k in SCALARS[:-1]}
    pcs = np.array([r[1] for r in rows], np.float64).reshape(-1, 12)
    lengths = np.array([r[2] for r in rows], np.float64).reshape(-1, len(LENGTH_BINS))
    pooled_pcs = _fractions(pcs.sum(axis=0))
    ref = pooled_pcs if reference_pcs is None else np.asarray(reference_pcs)
    per_window = pcs / np.maximum(pcs.sum(axis=1, keepdims=True), 1)
    distance = 0.5 * np.abs(per_window - ref).sum(axis=1)
    distance[pcs.sum(axis=1) == 0] = 1.0  # no notes: nothing in key
    scalars["pc_distance"] = distance
    return {"scalars": scalars, "pitch_classes": pooled_pcs, "note_lengths": _fractions(lengths.sum(axis=0))}


def _fractions(counts):
    total = counts.sum()
    return counts / total if total else np.zeros_like(counts, dtype=np.float64)


def kde_grid(a, b, n=512):
    """A common grid and bandwidth for the two samples (Scott's rule on the pooled sample)."""
    pooled = np.concatenate([a, b])
    spread = pooled.std() or max(abs(pooled.mean()), 1.0) * 0.05
    bandwidth = 1.06 * spread * len(pooled) ** -0.2
    grid = np.linspace(pooled.min() - 3 * bandwidth, pooled.max() + 3 * bandwidth, n)
    return grid, bandwidth


def density(x, grid, bandwidth):
    z = (grid[None, :] - np.asarray(x)[:, None]) / bandwidth
    return np.exp(-0.5 * z ** 2).sum(axis=0) / (len(x) * bandwidth * np.sqrt(2 * np.pi))


def overlap(a, b):
    """Overlapping area of two samples' kernel density estimates (0..1)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if not len(a) or not len(b):
        return 0.0
    grid, bw = kde_grid(a, b)
    return float(np.clip(np.trapz(np.minimum(density(a, grid, bw), density(b, grid, bw)), grid), 0, 1))


def compare(generated, reference):
    """Features of two sets (from ``features``) -> per-feature means and overlaps, and the mean overlap."""
    out = {"features": {}}
    for k in SCALARS:
        g, r = generated["scalars"][k], reference["scalars"][k]
        out["features"][k] = {"mean": float(g.mean()), "std": float(g.std()), "reference_mean": float(r.mean()),
                              "overlap": round(overlap(g, r), 4)}
    for k in ("pitch_classes", "note_lengths"):
        tv = 0.5 * float(np.abs(generated[k] - reference[k]).sum())
        out["features"][k] = {"histogram": [round(float(v), 4) for v in generated[k]],
                              "reference_histogram": [round(float(v), 4) for v in reference[k]],
                              "overlap": round(1 - tv, 4)}
    out["mean_overlap"] = round(float(np.mean([f["overlap"] for f in out["features"].values()])), 4)
    return out


def pitch_class_distance(windows, reference_pcs):
    """Total variation distance (0..1) of the windows' pooled pitch-class histogram from a reference one."""
    return 0.5 * float(np.abs(features(windows)["pitch_classes"] - np.asarray(reference_pcs)).sum())


def pitch_names():
    return ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]


assert LOWEST_PITCH % 12 == 0  # pitch % 12 is the pitch class (24 is a C)
