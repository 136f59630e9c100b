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

from chainer_vae.data.midi.notestate import LOWEST_PITCH, N_PITCHES, notes_from_notestate

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


def chunk_features(windows):
    """Binary windows (N, T, 156) -> (scalars without pc_distance {name: (N,)}, pitch-class counts
    (N, 12), pooled note-length counts (9,)): ``window_features`` of every window at once, the same
    values to the last bit (tests/test_music_stats.py), without a Python loop over windows."""
    w = np.asarray(windows) > 0
    n, steps = w.shape[0], w.shape[1]
    play, art = w[:, :, :N_PITCHES], w[:, :, N_PITCHES:]
    before = np.zeros_like(play)
    before[:, 1:] = play[:, :-1]
    start = play & (art | ~before)                    # a note starts here (notes_from_notestate)
    onsets = start.sum(axis=(1, 2))
    sounding = play.sum(axis=2)
    busy = sounding > 0
    n_busy = busy.sum(axis=1)
    # Every sounding cell belongs to exactly one note (a run of play goes back to its start), so
    # the total length of a window's notes is its count of sounding cells.
    total_length = sounding.sum(axis=1)
    present = start.any(axis=1)                       # (N, 78): pitches with a note
    lowest = np.where(present.any(axis=1), present.argmax(axis=1), 0)
    highest = np.where(present.any(axis=1), N_PITCHES - 1 - present[:, ::-1].argmax(axis=1), 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        scalars = {
            "notes_per_bar": onsets * STEPS_PER_BAR / steps,
            "polyphony": np.where(n_busy > 0, total_length / np.maximum(n_busy, 1), 0.0),
            "pitch_range": (highest - lowest).astype(np.float64),
            "empty_fraction": 1.0 - n_busy / steps,
            "mean_note_length": np.where(onsets > 0, total_length / np.maximum(onsets, 1), 0.0),
        }
    per_pitch = start.sum(axis=1)                     # (N, 78) onsets per pitch
    padded = np.zeros((n, 84), np.int64)              # 7 octaves of 12 (pitch 24 is a C)
    padded[:, :N_PITCHES] = per_pitch
    pcs = padded.reshape(n, 7, 12).sum(axis=1)
    return scalars, pcs, np.bincount(np.searchsorted(LENGTH_BINS, _note_lengths(play, start), side="right") - 1,
                                     minlength=len(LENGTH_BINS))


def _note_lengths(play, start):
    """Lengths (steps) of every note of the windows: from its start to the first later step that is
    silent or re-articulated (the end of the window counts as silent)."""
    n, steps, pitches = play.shape
    stop = np.ones((n, pitches, steps + 1), bool)     # a sentinel column at T for every pitch
    stop[:, :, :steps] = (~play | start).transpose(0, 2, 1)
    stop_idx = np.flatnonzero(stop)
    starts = np.flatnonzero(np.concatenate([start.transpose(0, 2, 1),
                                            np.zeros((n, pitches, 1), bool)], axis=2))
    return stop_idx[np.searchsorted(stop_idx, starts, side="right")] - starts


class Features:
    """The features of a set of windows, accumulated chunk by chunk: memory grows by 7 numbers a
    window (six scalars and a pitch-class count vector), never by the windows themselves."""

    def __init__(self):
        self._scalars, self._pcs = [], []
        self._lengths = np.zeros(len(LENGTH_BINS), np.int64)
        self.count = 0

    def add(self, windows, chunk=512):
        """Binary windows: an (N, T, 156) array or data.windows.Windows, read ``chunk`` at a time."""
        for i in range(0, len(windows), chunk):
            part = np.asarray(windows[i:i + chunk])
            scalars, pcs, lengths = chunk_features(part)
            self._scalars.append(scalars)
            self._pcs.append(pcs.astype(np.int32))
            self._lengths += lengths
            self.count += len(part)
        return self

    def result(self, reference_pcs=None):
        """{"scalars": {name: (N,)}, "pitch_classes": (12,) pooled fractions, "note_lengths": (9,)
        pooled fractions}; pc_distance is measured against ``reference_pcs`` (the pooled
        histogram of the reference set; this set's own if None)."""
        scalars = {k: np.concatenate([c[k] for c in self._scalars]) if self._scalars else np.zeros(0)
                   for k in SCALARS[:-1]}
        pcs = (np.concatenate(self._pcs) if self._pcs else np.zeros((0, 12), np.int32)).astype(np.float64)
        pooled_pcs = _fractions(pcs.sum(axis=0))
        ref = pooled_pcs if reference_pcs is None else np.asarray(reference_pcs)
        per_window = pcs / np.maximum(pcs.sum(axis=1, keepdims=True), 1)
        distance = 0.5 * np.abs(per_window - ref).sum(axis=1)
        distance[pcs.sum(axis=1) == 0] = 1.0  # no notes: nothing in key
        scalars["pc_distance"] = distance
        return {"scalars": scalars, "pitch_classes": pooled_pcs,
                "note_lengths": _fractions(self._lengths.astype(np.float64))}


def features(windows, reference_pcs=None):
    """Binary windows (an (N, T, 156) array or data.windows.Windows), or an iterable of such
    chunks -> ``Features.result``."""
    acc = Features()
    for part in ([windows] if hasattr(windows, "shape") else windows):
        acc.add(part)
    return acc.result(reference_pcs)


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
    return float(np.clip(np.trapezoid(np.minimum(density(a, grid, bw), density(b, grid, bw)), grid), 0, 1))


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
    """Total variation distance (0..1) of the windows' pooled pitch-class histogram from a reference
    one; windows as ``features`` takes them (an array, Windows, or an iterable of chunks -- read
    once: a generator is used up, so measure it with ``features`` once and use ``histogram_distance``)."""
    return histogram_distance(features(windows)["pitch_classes"], reference_pcs)


def histogram_distance(pcs, reference_pcs):
    """Total variation distance (0..1) between two pooled pitch-class histograms."""
    return 0.5 * float(np.abs(np.asarray(pcs) - np.asarray(reference_pcs)).sum())


def pitch_names():
    return ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]


assert LOWEST_PITCH % 12 == 0  # pitch % 12 is the pitch class (24 is a C)
