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

and four that catch what a listener hears (a drone under scattered blips has notes per
bar, pitch range and key like the data, and no tune):
  one_step_fraction  share of its notes that last one step (a sixteenth): blips and trills
  bar_repetition     share of its 16-step bars that start a note and equal an earlier bar of the
                     window (every play and articulation cell): a tune repeats itself, noise does
                     not; silence and a note held through a bar are no repetition a listener
                     hears.  Bars count from the window's first step (100 steps: 6 bars, the last
                     4 steps none): the note-state keeps no metre and windows start at any step,
                     so a one-bar repeat is caught where a window starts on its barline, a longer
                     passage's repeat from any start
  top_leap_fraction  share of the moves of its top voice (the highest sounding pitch, step to
                     sounding step, rests skipped) that jump more than 7 semitones (a fifth)
  melody_coverage    share of its steps where a note sounds in the melody register: at or above
                     the reference set's median sounding pitch (pooled over every sounding cell
                     of the reference windows, so that samples and data are measured against
                     one fixed floor; a window's own median would sit in a sample's drone)
"""
import numpy as np

from chainer_vae.data.midi.notestate import LOWEST_PITCH, N_PITCHES, notes_from_notestate

# Measured on a window alone, then those measured against the reference set (result()).
WINDOW_SCALARS = ("notes_per_bar", "polyphony", "pitch_range", "empty_fraction", "mean_note_length",
                  "one_step_fraction", "bar_repetition", "top_leap_fraction")
SCALARS = WINDOW_SCALARS[:5] + ("pc_distance",) + WINDOW_SCALARS[5:] + ("melody_coverage",)
LISTENER = ("one_step_fraction", "bar_repetition", "top_leap_fraction", "melody_coverage")
LEAP = 7  # semitones: a move of the top voice wider than a fifth is a leap
LENGTH_BINS = (1, 2, 3, 4, 5, 7, 9, 13, 17)  # lower edges, in steps: 1, 2, 3, 4, 5-6, 7-8, 9-12, 13-16, 17+
LENGTH_LABELS = ("1", "2", "3", "4", "5-6", "7-8", "9-12", "13-16", "17+")
STEPS_PER_BAR = 16


def window_features(window):
    """One binary (T, 156) window -> (scalars of WINDOW_SCALARS, pitch-class counts, length counts,
    top-voice counts: for each of the 78 pitches, the steps where it is the highest sounding one).

    The plain per-window definition: ``chunk_features`` computes the same, to the bit, at once."""
    w = np.asarray(window) > 0
    play = w[:, :N_PITCHES]
    notes = np.asarray(notes_from_notestate(w), np.int64).reshape(-1, 3)
    sounding = play.sum(axis=1)
    busy = sounding > 0
    lengths = notes[:, 2] - notes[:, 1]
    pcs = np.bincount(notes[:, 0] % 12, minlength=12)
    length_counts = np.bincount(np.searchsorted(LENGTH_BINS, lengths, side="right") - 1,
                                minlength=len(LENGTH_BINS))
    cells = np.concatenate([play, w[:, N_PITCHES:] & play], axis=1)  # articulation only where it sounds
    n_bars = len(w) // STEPS_PER_BAR
    bars = [cells[b * STEPS_PER_BAR:(b + 1) * STEPS_PER_BAR] for b in range(n_bars)]
    starts = [notes[:, 1] // STEPS_PER_BAR == b for b in range(n_bars)]
    repeated = sum(bool(starts[b].any()) and any(np.array_equal(bars[b], bars[a]) for a in range(b))
                   for b in range(n_bars))
    tops = [int(np.flatnonzero(row).max()) for row in play if row.any()]
    moves = [b - a for a, b in zip(tops, tops[1:]) if b != a]
    scalars = {
        "notes_per_bar": len(notes) * STEPS_PER_BAR / len(w),
        "polyphony": float(sounding[busy].mean()) if busy.any() else 0.0,
        "pitch_range": float(notes[:, 0].max() - notes[:, 0].min()) if len(notes) else 0.0,
        "empty_fraction": 1.0 - float(busy.mean()),
        "mean_note_length": float(lengths.mean()) if len(notes) else 0.0,
        "one_step_fraction": int((lengths == 1).sum()) / len(notes) if len(notes) else 0.0,
        "bar_repetition": repeated / n_bars if n_bars else 0.0,
        "top_leap_fraction": sum(abs(m) > LEAP for m in moves) / len(moves) if moves else 0.0,
    }
    return scalars, pcs, length_counts, np.bincount(np.asarray(tops, np.int64), minlength=N_PITCHES)


def chunk_features(windows):
    """Binary windows (N, T, 156) -> (scalars of WINDOW_SCALARS {name: (N,)}, pitch-class counts
    (N, 12), pooled note-length counts (9,), top-voice counts (N, 78)): ``window_features`` of every
    window at once, the same values to the last bit (tests/test_music_stats.py), without a Python
    loop over windows."""
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
    lengths, owner = _note_lengths(play, start)
    one_step = np.bincount(owner[lengths == 1], minlength=n)
    scalars["one_step_fraction"] = np.where(onsets > 0, one_step / np.maximum(onsets, 1), 0.0)
    scalars["bar_repetition"] = _bar_repetition(play, art, start)
    top_counts, scalars["top_leap_fraction"] = _top_voice(play, busy)
    per_pitch = start.sum(axis=1)                     # (N, 78) onsets per pitch
    padded = np.zeros((n, 84), np.int64)              # 7 octaves of 12 (pitch 24 is a C)
    padded[:, :N_PITCHES] = per_pitch
    pcs = padded.reshape(n, 7, 12).sum(axis=1)
    return scalars, pcs, np.bincount(np.searchsorted(LENGTH_BINS, lengths, side="right") - 1,
                                     minlength=len(LENGTH_BINS)), top_counts


def _bar_repetition(play, art, start):
    """(N,) share of each window's full 16-step bars that start a note and equal an earlier bar."""
    n, steps = play.shape[:2]
    n_bars = steps // STEPS_PER_BAR
    if not n_bars:
        return np.zeros(n)
    cells = np.concatenate([play, art & play], axis=2)[:, :n_bars * STEPS_PER_BAR]
    bars = cells.reshape(n, n_bars, -1)
    repeated = np.zeros((n, n_bars), bool)
    for b in range(1, n_bars):  # a handful of bars: pairs of them, every window at once
        for a in range(b):
            repeated[:, b] |= (bars[:, b] == bars[:, a]).all(axis=1)
    struck = start[:, :n_bars * STEPS_PER_BAR].reshape(n, n_bars, -1).any(axis=2)
    return (repeated & struck).sum(axis=1) / n_bars


def _top_voice(play, busy):
    """(top-voice counts (N, 78), (N,) leap fraction): the highest sounding pitch of every sounding
    step, and the share of its changes from one sounding step to the next that exceed LEAP."""
    n, steps, pitches = play.shape
    top = pitches - 1 - play[:, :, ::-1].argmax(axis=2)   # meaningful where busy
    win, t = np.nonzero(busy)                              # window-major, then step: the order heard
    heard = top[win, t]
    same = win[1:] == win[:-1]
    jump = np.abs(np.diff(heard))
    move = same & (jump > 0)
    moves = np.bincount(win[1:][move], minlength=n)
    leaps = np.bincount(win[1:][move & (jump > LEAP)], minlength=n)
    counts = np.bincount(win * pitches + heard, minlength=n * pitches).reshape(n, pitches)
    return counts, np.where(moves > 0, leaps / np.maximum(moves, 1), 0.0)


def _note_lengths(play, start):
    """(lengths, window): the length (steps) of every note of the windows, from its start to the
    first later step that is silent or re-articulated (the end of the window counts as silent), and
    the window it is in."""
    n, steps, pitches = play.shape
    stop = np.ones((n, pitches, steps + 1), bool)     # a sentinel column at T for every pitch
    stop[:, :, :steps] = (~play | start).transpose(0, 2, 1)
    stop_idx = np.flatnonzero(stop)
    starts = np.flatnonzero(np.concatenate([start.transpose(0, 2, 1),
                                            np.zeros((n, pitches, 1), bool)], axis=2))
    return stop_idx[np.searchsorted(stop_idx, starts, side="right")] - starts, starts // (pitches * (steps + 1))


class Features:
    """The features of a set of windows, accumulated chunk by chunk: memory grows by a fixed count
    of numbers a window (eight scalars, 12 pitch-class and 78 top-voice counts), never by the
    windows themselves."""

    def __init__(self):
        self._scalars, self._pcs, self._tops = [], [], []
        self._lengths = np.zeros(len(LENGTH_BINS), np.int64)
        self._pitch_cells = np.zeros(N_PITCHES, np.int64)  # sounding cells per pitch: the median
        self._steps = []
        self.count = 0

    def add(self, windows, chunk=512):
        """Binary windows: an (N, T, 156) array or data.windows.Windows, read ``chunk`` at a time."""
        for i in range(0, len(windows), chunk):
            part = np.asarray(windows[i:i + chunk])
            scalars, pcs, lengths, tops = chunk_features(part)
            self._scalars.append(scalars)
            self._pcs.append(pcs.astype(np.int32))
            # A window has at most T steps: uint16 holds up to 65,535 (longer windows: int32).
            self._tops.append(tops.astype(np.uint16 if part.shape[1] < 2 ** 16 else np.int32))
            self._steps.append(np.full(len(part), part.shape[1], np.int32))
            self._lengths += lengths
            self._pitch_cells += (np.asarray(part)[:, :, :N_PITCHES] > 0).sum(axis=(0, 1))
            self.count += len(part)
        return self

    def melody_floor(self):
        """The median sounding pitch (MIDI) of this set's windows, pooled over every sounding cell
        (the lower median); the lowest pitch when nothing sounds."""
        total = self._pitch_cells.sum()
        if not total:
            return LOWEST_PITCH
        return LOWEST_PITCH + int(np.searchsorted(np.cumsum(self._pitch_cells), (total + 1) // 2))

    def result(self, reference_pcs=None, melody_floor=None):
        """{"scalars": {name: (N,)}, "pitch_classes": (12,) pooled fractions, "note_lengths": (9,)
        pooled fractions, "melody_floor": MIDI pitch}; pc_distance is measured against
        ``reference_pcs`` (the pooled histogram of the reference set; this set's own if None) and
        melody_coverage against ``melody_floor`` (the reference set's ``result()["melody_floor"]``;
        this set's own median sounding pitch if None)."""
        scalars = {k: np.concatenate([c[k] for c in self._scalars]) if self._scalars else np.zeros(0)
                   for k in WINDOW_SCALARS}
        pcs = (np.concatenate(self._pcs) if self._pcs else np.zeros((0, 12), np.int32)).astype(np.float64)
        pooled_pcs = _fractions(pcs.sum(axis=0))
        ref = pooled_pcs if reference_pcs is None else np.asarray(reference_pcs)
        per_window = pcs / np.maximum(pcs.sum(axis=1, keepdims=True), 1)
        distance = 0.5 * np.abs(per_window - ref).sum(axis=1)
        distance[pcs.sum(axis=1) == 0] = 1.0  # no notes: nothing in key
        scalars["pc_distance"] = distance
        floor = self.melody_floor() if melody_floor is None else int(melody_floor)
        scalars["melody_coverage"] = melody_coverage(
            np.concatenate(self._tops) if self._tops else np.zeros((0, N_PITCHES), np.int64),
            np.concatenate(self._steps) if self._steps else np.zeros(0, np.int32), floor)
        return {"scalars": scalars, "pitch_classes": pooled_pcs,
                "note_lengths": _fractions(self._lengths.astype(np.float64)), "melody_floor": floor}


def melody_coverage(top_counts, steps, floor):
    """(N,) share of each window's ``steps`` where its top voice is at or above MIDI pitch ``floor``
    (top_counts: (N, 78) steps per highest sounding pitch, from ``window_features``)."""
    above = np.asarray(top_counts)[:, max(int(floor) - LOWEST_PITCH, 0):].sum(axis=1, dtype=np.int64)
    return above / np.maximum(np.asarray(steps), 1)


def features(windows, reference_pcs=None, melody_floor=None):
    """Binary windows (an (N, T, 156) array or data.windows.Windows), or an iterable of such
    chunks -> ``Features.result``."""
    acc = Features()
    for part in ([windows] if hasattr(windows, "shape") else windows):
        acc.add(part)
    return acc.result(reference_pcs, melody_floor)


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
    # The listener's four alone: the mean above mixes them with six the paper-era table had.
    out["listener_overlap"] = round(float(np.mean([out["features"][k]["overlap"] for k in LISTENER])), 4)
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
