"""Digitize the paper's Fig. 4 and Fig. 5 (loss and KL per epoch) into results/paper_curves.json.

The paper gives its learning curves only as pictures (../shared/paper/fig4_mnist_loss_kl.png,
fig5_midi_loss_kl.png: 1080 x 360 pixels, two matplotlib panels each, total loss left and KL
right, train and test curves in two reds).  This script reads the numbers back from the
pixels, so our runs can be compared against the paper's curves epoch by epoch:

1. Axes.  Each panel's frame is found as the long dark (black, unsaturated) rows and
   columns; the tick marks are the short dark runs just outside the frame (matplotlib draws
   them 3.5 points long outside the left and bottom spines).  Their pixel positions are
   *detected*; only the values printed beside them are typed in below (``PANELS``), read by
   eye from the figures.  A least-squares line through (pixel, value) per axis is the
   calibration, after moving each tick by matplotlib's half-pixel snapping (``TICK_SNAP_PX``).
2. Curves.  Every pixel inside a panel is unmixed into "ink" of the two curve colours on a
   white background (anti-aliased edges are partial coverage; where the test curve, drawn
   second, lies over the train curve, the pixel is a composite of both).  The legend box is
   masked out.  Per pixel column, the coverage-weighted mean row of one colour is that
   curve's centre there.
3. Per-epoch values.  The curves are polylines through one point per epoch, drawn as 1.5 px
   strokes, so the column centres are fitted by least squares with such a stroke's column
   centres (``column_basis``) of a polyline whose knots are at the epochs' x positions; the
   knot values are the per-epoch numbers.  Columns where the other curve covers this one are
   left out (the visible part's centre is biased there).  The sub-pixel x offset that the
   snapped ticks leave open is chosen to fit the curves best (``best_x_shift``).

Checked by drawing known curves the same way and digitizing them (tests/test_paper_curves.py):
every value within about a pixel, the mean error a small fraction of one.

Usage: python tools/digitize_paper.py [--paper-dir ../shared/paper] [--out results/paper_curves.json]
"""
import argparse
import json
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")  # headless: this script only reads PNGs
import matplotlib.image as mpimg  # noqa: E402
import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_PAPER_DIR = os.path.join(os.path.dirname(ROOT), "shared", "paper")
DEFAULT_OUT = os.path.join(ROOT, "results", "paper_curves.json")

# The two line colours: the authors' VAE_midi.py plots train with c='xkcd:tomato' (#ef4026) and
# test with c='xkcd:crimson' (#8c000f); they are the most frequent saturated pixels of both PNGs.
TRAIN_RGB = (239, 64, 38)
TEST_RGB = (140, 0, 15)
# A pixel counts as "dark" (frame or tick) below this grey level and saturation (0..1 scale):
# the frame and ticks are anti-aliased black (grey ~0.2), text is 0.2 grey too but short.
DARK_GREY, GREY_SATURATION = 0.6, 0.1
MIN_FRAME_RUN = 200  # px: a panel's frame side is 270-380 px long; text and ticks are < 30
TICK_LENGTH = 3  # px beside the frame searched for tick marks (matplotlib: 3.5 pt at 72 dpi)
# The legend frame: matplotlib's default edge colour 0.8 grey at framealpha 0.8 over white gives
# 255 - 0.8 * 0.2 * 255 = 214 (the third most frequent colour of both PNGs); a few levels of tolerance
LEGEND_EDGE_GREY, LEGEND_GREY_TOLERANCE = 214.0, 6.0
MIN_INK = 0.15  # coverage below this is anti-aliasing noise, not a curve pixel
MAX_UNMIX_RESIDUAL = 0.12  # a pixel the two reds and white cannot explain (text, frame) is ignored
OCCLUSION_PX = 2.5  # columns where the other curve's centre is this close are left out of a fit
OVER_CORE = 0.5  # the upper line's core: where it covers at least half a pixel
# Hidden columns' centres, estimated from the visible edges, count for less than measured ones
# (the edges of a slanted stroke are not horizontal within a column)
HIDDEN_WEIGHT = 0.5
# matplotlib's default line width, 1.5 pt, at the figures' 72 dpi (a 15 x 5 in figure saved as
# 1080 x 360 px: Jupyter's inline default then); the flat parts of the curves ink ~1.5 px a column
LINE_WIDTH_PX = 1.5
KERNEL_SAMPLES = 41  # points across a column's view of the line (1 + 2 * 0.75 px): every 0.06 px
# matplotlib (Agg) snaps a tick mark at display position X to pixel round(X), while it draws a data
# line's point X into pixel X - 0.5 (pixel i covers [i, i + 1)).  So a tick's pixel lies half a
# pixel past the point it marks, plus the rounding: checked by drawing known curves (the test).
TICK_SNAP_PX = 0.5
# The rounding (+-0.5 px a tick) leaves the calibration's x offset ~0.2 px uncertain; it is
# refined from the curves within +-0.6 px, in 0.02 px steps
X_SHIFT_RANGE_PX, X_SHIFT_STEPS = 0.6, 61
FIT_ROUNDS = 3  # re-fits with the previous round's slopes (the ink weights); the third changes < 0.01 px
SMOOTHING = 1e-3  # second-difference penalty: only decides knots no pixel column informs

# The tick values printed on each panel, read by eye from the PNGs (x: epochs as plotted;
# y: the loss or KL axis).  Left panel: total loss; right panel: KL divergence.
PANELS = {
    "fig4": {
        "file": "fig4_mnist_loss_kl.png",
        "panels": [
            {"curves": ("train_loss", "test_loss"), "x_ticks": [0, 10, 20, 30, 40, 50, 60],
             "y_ticks": [150, 160, 170, 180, 190]},
            {"curves": ("train_kl", "test_kl"), "x_ticks": [0, 10, 20, 30, 40, 50, 60],
             "y_ticks": [5.00, 5.25, 5.50, 5.75, 6.00, 6.25, 6.50]},
        ],
    },
    "fig5": {
        "file": "fig5_midi_loss_kl.png",
        "panels": [
            {"curves": ("train_loss", "test_loss"), "x_ticks": [0, 10, 20, 30, 40, 50],
             "y_ticks": [750, 800, 850, 900, 950, 1000, 1050]},
            {"curves": ("train_kl", "test_kl"), "x_ticks": [0, 10, 20, 30, 40, 50],
             "y_ticks": [15, 20, 25, 30, 35, 40]},
        ],
    },
}
# Plotted x -> training epoch (1-based, as our histories count).  Fig. 4: all 60 epochs at
# x = 0..59 (its curves' ink spans x = -0.1..59).  Fig. 5: the authors' VAE_midi.py plots
# plt.plot(loss_train[11:60]) with no x, the 12th..60th epochs, so the axis runs 0..48: its curves' ink spans x = -0.1..48 (the JSON's
# "x_extent_plotted", found in the pixels), so they start at x = 0, not 11, and epoch = x + 12.
FIRST_EPOCH = {"fig4": 1, "fig5": 12}
N_POINTS = {"fig4": 60, "fig5": 49}


# ----------------------------------------------------------------------------- pixels
def load_rgb(path):
    """PNG -> (H, W, 3) float array in 0..1 (alpha, if any, dropped: the figures are opaque)."""
    img = mpimg.imread(path)
    if img.dtype != np.float32 and img.dtype != np.float64:
        img = img / 255.0
    return np.asarray(img[..., :3], dtype=np.float64)


def dark_mask(rgb):
    """Black-ish, unsaturated pixels: the frame, the tick marks and the text."""
    return (rgb.mean(axis=2) < DARK_GREY) & (np.ptp(rgb, axis=2) < GREY_SATURATION)


def runs(flags):
    """Indices of True in a 1-D bool array -> list of (first, last) of each contiguous run."""
    idx = np.flatnonzero(flags)
    if not len(idx):
        return []
    breaks = np.flatnonzero(np.diff(idx) > 1)
    starts = np.concatenate([[idx[0]], idx[breaks + 1]])
    ends = np.concatenate([idx[breaks], [idx[-1]]])
    return list(zip(starts.tolist(), ends.tolist()))


# ----------------------------------------------------------------------------- axes
def find_frames(rgb):
    """The panels' frames, left to right: list of (left, right, top, bottom) pixel columns/rows.

    A frame side is a row or column with a long run of dark pixels; matplotlib draws the four
    spines of each panel as one-pixel lines, and nothing else in these figures is that long."""
    dark = dark_mask(rgb)
    rows = [r for r in range(dark.shape[0]) if any(b - a + 1 >= MIN_FRAME_RUN for a, b in runs(dark[r]))]
    cols = [c for c in range(dark.shape[1]) if any(b - a + 1 >= MIN_FRAME_RUN for a, b in runs(dark[:, c]))]
    if len(rows) != 2 or len(cols) % 2:
        raise ValueError(f"expected panels sharing one top and one bottom frame row, found rows {rows}, "
                         f"columns {cols}")
    top, bottom = rows
    return [(cols[i], cols[i + 1], top, bottom) for i in range(0, len(cols), 2)]


def _tick_centres(darkness, lo, hi):
    """Darkness profile along a frame side (summed over the tick-mark band) -> the weighted
    centre of each run of dark pixels strictly between lo and hi (the frame's corners)."""
    centres = []
    for a, b in runs(darkness > 0.5):
        if a <= lo or b >= hi:
            continue
        # the run's darkness, one pixel either side included (anti-aliased tick edges)
        span = np.arange(a - 1, b + 2)
        w = darkness[span]
        centres.append(float((span * w).sum() / w.sum()))
    return centres


def detect_ticks(rgb, frame):
    """(x tick columns, y tick rows) of one panel, sub-pixel, from the marks outside its frame."""
    left, right, top, bottom = frame
    darkness = np.where(dark_mask(rgb), 1.0 - rgb.mean(axis=2), 0.0)
    # y ticks: the TICK_LENGTH columns left of the left spine; x ticks: the rows below the bottom one
    y_profile = darkness[:, left - TICK_LENGTH:left].sum(axis=1)
    x_profile = darkness[bottom + 1:bottom + 1 + TICK_LENGTH, :].sum(axis=0)
    # the marks' pixels -> where the tick really is, in the coordinates of the curves' pixels
    return ([c - TICK_SNAP_PX for c in _tick_centres(x_profile, left, right)],
            [c - TICK_SNAP_PX for c in _tick_centres(y_profile, top, bottom)])


def calibrate(pixels, values, axis_name):
    """Least-squares line value = a * pixel + b through the detected ticks -> (a, b, max residual
    in pixels).  The counts must agree: a missed or extra tick means the typed labels are wrong."""
    if len(pixels) != len(values):
        raise ValueError(f"{axis_name}: detected {len(pixels)} tick marks at {np.round(pixels, 1).tolist()}, "
                         f"but {len(values)} tick labels are typed in: {values}")
    a, b = np.polyfit(pixels, values, 1)
    residual_px = float(np.max(np.abs(np.polyval([a, b], pixels) - np.asarray(values)) / abs(a)))
    return float(a), float(b), residual_px


# ----------------------------------------------------------------------------- curves
def unmix(rgb):
    """Per pixel, the visible coverage of the train and the test colour over white.

    Anti-aliased drawing composites each colour over what is below, so a pixel's "ink"
    (1 - rgb) is a non-negative combination of the two colours' inks.  Solved per pixel by
    least squares on the three channels (clipped at 0); pixels the combination cannot
    explain (text, frame, legend box) get no coverage."""
    inks = 1.0 - np.array([TRAIN_RGB, TEST_RGB], dtype=np.float64).T / 255.0  # (3, 2)
    ink = (1.0 - rgb).reshape(-1, 3).T  # (3, N)
    coef, *_ = np.linalg.lstsq(inks, ink, rcond=None)
    coef = np.clip(coef, 0.0, None)
    residual = np.abs(inks @ coef - ink).max(axis=0)
    coef[:, residual > MAX_UNMIX_RESIDUAL] = 0.0
    coef[coef < MIN_INK] = 0.0
    h, w = rgb.shape[:2]
    return coef[0].reshape(h, w), coef[1].reshape(h, w)


def legend_box(rgb, frame):
    """(top, bottom, left, right) of the legend inside a panel, or None.

    matplotlib draws the legend's frame in grey 0.8 at alpha 0.8 over white, i.e. RGB 214:
    the box is the bounding box of that grey inside the panel's frame."""
    left, right, top, bottom = frame
    grey = np.abs(rgb * 255.0 - LEGEND_EDGE_GREY).max(axis=2) <= LEGEND_GREY_TOLERANCE
    inner = np.zeros_like(grey)
    inner[top + 2:bottom - 1, left + 2:right - 1] = True
    rr, cc = np.nonzero(grey & inner)
    if len(rr) < MIN_FRAME_RUN:  # no legend frame (a few grey anti-aliasing pixels are not one)
        return None
    return rr.min() - 1, rr.max() + 1, cc.min() - 1, cc.max() + 1


def panel_ink(coverage, frame, box):
    """One colour's coverage with everything outside the frame, and the legend, set to 0."""
    left, right, top, bottom = frame
    cov = coverage.copy()
    cov[:top + 1], cov[bottom:] = 0.0, 0.0
    cov[:, :left + 1], cov[:, right:] = 0.0, 0.0
    if box is not None:
        t, b, l, r = box
        cov[max(t, 0):b + 1, max(l, 0):r + 1] = 0.0
    return cov


def column_centres(cov):
    """Coverage-weighted mean row of one colour in each pixel column -> (columns, centre rows,
    coverage sums); columns with no coverage are left out."""
    rows = np.arange(cov.shape[0])[:, None]
    total = cov.sum(axis=0)
    cols = np.flatnonzero(total > 0)
    return cols, (cov[:, cols] * rows).sum(axis=0) / total[cols], total[cols]


def hidden_centre(under, over, slope):
    """The centre of a line partly hidden under another, in one pixel column, from its visible
    edges: the top edge of what shows above the upper line is the hidden line's centre less
    half its stroke's height there (LINE_WIDTH_PX * sqrt(1 + slope^2)); likewise below.
    under, over: the two colours' coverage down the column.  NaN when none of it shows."""
    core = np.flatnonzero(over > OVER_CORE)
    seen = np.flatnonzero(under > 0)
    if not len(core) or not len(seen):
        return np.nan
    half = LINE_WIDTH_PX * np.hypot(1.0, slope) / 2
    above, below = seen[seen < core.min()], seen[seen > core.max()]
    # a partly covered edge pixel: the ink starts that far inside it (pixel r covers r +- 0.5)
    top = above.min() + 0.5 - under[above.min()] if len(above) else None
    bottom = below.max() - 0.5 + under[below.max()] if len(below) else None
    if top is not None and bottom is not None:
        return (top + bottom) / 2
    if top is not None:
        return top + half
    return bottom - half if bottom is not None else np.nan


def occluded(cols, centres, other_cols, other_centres):
    """True for columns where the other curve's centre passes within OCCLUSION_PX: the test
    curve is drawn over the train curve, so there only part of the train line is visible."""
    other = dict(zip(other_cols.tolist(), other_centres.tolist()))
    return np.array([c in other and abs(other[c] - y) < OCCLUSION_PX for c, y in zip(cols.tolist(), centres)],
                    dtype=bool)


def column_basis(cols, knot_cols, slopes):
    """Row i: the weights of the knot values in the ink centre of pixel column i.

    The line is a stroke LINE_WIDTH_PX wide, so column c [c - 0.5, c + 0.5] (pixel-index
    coordinates, as the ticks) holds ink from the line's points within half a width of it:
    its centre is the mean of the line's y over x, weighted by how much of the (square)
    brush at x falls into the column and by the arc length per unit x (a steep segment
    inks more).  For a straight line that is the line's y at c; at a vertex it mixes the
    two segments and at an end it sees the cap, as the drawing does.  Evaluating the
    polyline at the column's centre instead made Fig. 4's steep first epoch ~2 nats low.
    Columns the line does not reach (stray pixels beyond its ends) get a row of zeros."""
    r = LINE_WIDTH_PX / 2
    n = len(knot_cols)
    arc = np.hypot(1.0, slopes)  # per segment
    # the projecting caps: each end segment goes on by r along the line
    lo_end, hi_end = knot_cols[0] - r / arc[0], knot_cols[-1] + r / arc[-1]
    offsets = np.linspace(-0.5 - r, 0.5 + r, KERNEL_SAMPLES)
    # brush [x - r, x + r] overlapping the column [c - 0.5, c + 0.5]: a trapezoid in x - c
    overlap = np.clip(np.minimum(offsets + r, 0.5) - np.maximum(offsets - r, -0.5), 0.0, None)
    x = np.asarray(cols, np.float64)[:, None] + offsets[None, :]  # (columns, samples)
    seg = np.clip(np.searchsorted(knot_cols, x, side="right") - 1, 0, n - 2)
    t = (x - knot_cols[seg]) / (knot_cols[seg + 1] - knot_cols[seg])  # beyond the ends: extrapolated
    w = overlap[None, :] * arc[seg] * ((x >= lo_end) & (x <= hi_end))
    basis = np.zeros((len(x), n))
    row = np.repeat(np.arange(len(x)), x.shape[1])
    np.add.at(basis, (row, seg.ravel()), (w * (1 - t)).ravel())
    np.add.at(basis, (row, seg.ravel() + 1), (w * t).ravel())
    total = w.sum(axis=1, keepdims=True)
    return np.divide(basis, total, out=np.zeros_like(basis), where=total > 0)


def fit_polyline(cols, centres, weights, knot_cols):
    """Least-squares polyline with knots at ``knot_cols`` through the column centres -> (its
    values at the knots in pixel rows, the weighted sum of squared residuals).  The ink
    weights depend on the slopes, so the fit is repeated with the slopes of the previous one
    (converges in 2-3 rounds).  A tiny second-difference penalty only decides knots that no
    column constrains (e.g. where another curve hides this one)."""
    n = len(knot_cols)
    smooth = np.zeros((n - 2, n))
    for i in range(n - 2):
        smooth[i, i:i + 3] = (1.0, -2.0, 1.0)
    slopes = np.zeros(n - 1)
    for _ in range(FIT_ROUNDS):
        basis = column_basis(cols, knot_cols, slopes)
        w = np.where(basis.any(axis=1), np.sqrt(weights), 0.0)
        lhs = np.vstack([basis * w[:, None], np.sqrt(SMOOTHING) * smooth])
        rhs = np.concatenate([centres * w, np.zeros(n - 2)])
        rows, *_ = np.linalg.lstsq(lhs, rhs, rcond=None)
        slopes = np.diff(rows) / np.diff(knot_cols)
    return rows, float((((basis @ rows) - centres) * w) @ (((basis @ rows) - centres) * w))


def fit_curves(found, usable, knot_cols):
    """Every curve of a panel fitted with the same knots -> ({name: rows}, total residual)."""
    fits = {name: fit_polyline(cols[usable[name]].astype(np.float64), centres[usable[name]],
                               np.minimum(total, 1.0)[usable[name]], knot_cols)  # faint columns count less
            for name, (cols, centres, total) in found.items()}
    return {name: rows for name, (rows, _) in fits.items()}, sum(res for _, res in fits.values())


def best_x_shift(found, usable, knot_cols):
    """The sub-pixel shift of the x calibration that explains the curves best.

    matplotlib snaps tick marks to whole pixels but not the data lines, so each tick is off
    by up to half a pixel; the least-squares line through the ticks can still be ~0.2 px off
    at x = 0, which on Fig. 4's first, steep train-loss segment (~15 px per px) is ~0.6 nats.
    The curves' vertices pin the shift down: a grid search over +-X_SHIFT_RANGE_PX."""
    shifts = np.linspace(-X_SHIFT_RANGE_PX, X_SHIFT_RANGE_PX, X_SHIFT_STEPS)
    residuals = [fit_curves(found, usable, knot_cols + d)[1] for d in shifts]
    return float(shifts[int(np.argmin(residuals))])


# ----------------------------------------------------------------------------- one figure
def refit_hidden(found, usable, inks, knot_cols, rows):
    """The train curve refitted with its hidden columns put back, their centres estimated
    from the visible edges (``hidden_centre``) at the slopes of the fit without them.

    Without them a hidden stretch is only interpolated: where Fig. 5's KL curves run together
    (epochs 3-5) that was up to 3 px off on curves drawn for the test."""
    cols, centres, total = found
    under, over = inks
    hidden = np.flatnonzero(~usable)
    seg = np.clip(np.searchsorted(knot_cols, cols[hidden]) - 1, 0, len(knot_cols) - 2)
    slopes = (rows[seg + 1] - rows[seg]) / (knot_cols[seg + 1] - knot_cols[seg])
    estimates = np.array([hidden_centre(under[:, c], over[:, c], s) for c, s in zip(cols[hidden], slopes)])
    ok = np.isfinite(estimates)
    centres = centres.copy()
    centres[hidden[ok]] = estimates[ok]
    weights = np.where(usable, np.minimum(total, 1.0), HIDDEN_WEIGHT)
    use = usable.copy()
    use[hidden[ok]] = True
    refit, _ = fit_polyline(cols[use].astype(np.float64), centres[use], weights[use], knot_cols)
    return refit, int(ok.sum())


def digitize_panel(rgb, frame, spec, n_points, train_ink, test_ink):
    """One panel -> ({curve: per-epoch values}, notes on the calibration and the curve extent)."""
    x_px, y_px = detect_ticks(rgb, frame)
    ax, bx, x_res = calibrate(x_px, spec["x_ticks"], "x ticks")
    # rows grow downwards, so the top tick carries the largest label
    ay, by, y_res = calibrate(y_px, sorted(spec["y_ticks"], reverse=True), "y ticks")
    box = legend_box(rgb, frame)
    knot_cols = (np.arange(n_points, dtype=np.float64) - bx) / ax
    train_name, test_name = spec["curves"]
    inks = {train_name: panel_ink(train_ink, frame, box), test_name: panel_ink(test_ink, frame, box)}
    found = {name: column_centres(ink) for name, ink in inks.items()}
    # the test curve is drawn second, on top of the train curve
    usable = {train_name: ~occluded(*found[train_name][:2], *found[test_name][:2]),
              test_name: np.ones(len(found[test_name][0]), bool)}
    shift = best_x_shift(found, usable, knot_cols)
    knot_cols = knot_cols + shift
    rows, _ = fit_curves(found, usable, knot_cols)
    rows[train_name], n_estimated = refit_hidden(found[train_name], usable[train_name],
                                                 (inks[train_name], inks[test_name]), knot_cols, rows[train_name])
    values, notes = {}, {}
    for name, (cols, _, _) in found.items():
        values[name] = (ay * rows[name] + by).tolist()
        notes[name] = {"x_extent_plotted": [round(ax * (cols.min() - shift) + bx, 2),
                                            round(ax * (cols.max() - shift) + bx, 2)],
                       "columns_measured": int(usable[name].sum()),
                       "columns_hidden": int((~usable[name]).sum())}
    notes[train_name]["columns_hidden_estimated_from_edges"] = n_estimated
    notes["calibration"] = {"x_tick_px": x_px, "y_tick_px": y_px, "x_residual_px": round(x_res, 3),
                            "y_residual_px": round(y_res, 3), "x_shift_px": round(shift, 3),
                            "legend_box_px": None if box is None else [int(v) for v in box]}
    return values, notes


def check_colours(rgb):
    """The two most frequent saturated colours must be the curve colours typed in above:
    otherwise this is not a figure this script knows how to read."""
    px = np.round(rgb * 255).astype(int).reshape(-1, 3)
    px = px[np.ptp(px, axis=1) > 60]
    colours, counts = np.unique(px, axis=0, return_counts=True)
    top = {tuple(int(v) for v in c) for c in colours[np.argsort(-counts)[:2]]}
    if top != {TRAIN_RGB, TEST_RGB}:
        raise ValueError(f"the figure's two main line colours are {sorted(top)}, not {TRAIN_RGB} and {TEST_RGB}")


def digitize_figure(path, fig, panels=None, n_points=None, first_epoch=None):
    """One paper figure -> the JSON record for it.  ``panels`` (tick labels), ``n_points`` and
    ``first_epoch`` default to the paper's (``PANELS``, ``N_POINTS``, ``FIRST_EPOCH``); the
    tests pass their own for figures they draw."""
    specs = PANELS[fig]["panels"] if panels is None else panels
    n = N_POINTS[fig] if n_points is None else n_points
    first = FIRST_EPOCH[fig] if first_epoch is None else first_epoch
    rgb = load_rgb(path)
    check_colours(rgb)
    frames = find_frames(rgb)
    if len(frames) != len(specs):
        raise ValueError(f"{path}: found {len(frames)} panels, expected {len(specs)}")
    train_ink, test_ink = unmix(rgb)
    record = {"epochs": list(range(first, first + n)), "x_plotted": list(range(n))}
    notes = []
    for frame, spec in zip(frames, specs):
        values, panel_notes = digitize_panel(rgb, frame, spec, n, train_ink, test_ink)
        record.update({k: [round(v, 3) for v in vals] for k, vals in values.items()})
        notes.append(panel_notes)
    record["source"] = os.path.basename(path)
    record["panels"] = notes
    return record


METHOD = ("colour-mask digitization (tools/digitize_paper.py): axes calibrated by least squares from the "
          "tick marks detected in the pixels (less matplotlib's half-pixel tick snapping) and the tick labels "
          "read by eye; each curve is the coverage-weighted centre of its colour per pixel column "
          "(anti-aliasing unmixed against white and the other curve, legend masked), fitted by a polyline with "
          "one knot per plotted epoch drawn as a 1.5 px stroke.  Accuracy, measured by digitizing curves drawn "
          "the same way (tests/test_paper_curves.py): within about a pixel, i.e. ~0.2 nats (Fig. 4 loss), "
          "~0.01 (Fig. 4 KL), ~1.3 (Fig. 5 loss), ~0.3 (Fig. 5 KL), the largest errors at the steep first "
          "epochs and where the train curve runs under the test curve")
EPOCH_MAPPING = {
    "fig4": "x = 0..59 plotted = epochs 1..60 (60 points from x = 0; the curves' ink spans x = -0.1..59)",
    "fig5": ("x = 0..48 plotted = epochs 12..60: the authors' VAE_midi.py plots loss_train[11:60] (49 values) "
             "with no x, and the curves' ink in the PNG spans x = -0.1..48, so they start at x = 0, not 11"),
}


def dumps(obj):
    """JSON with one line per list of numbers (a curve per line is what a reader wants to diff)."""
    text = json.dumps(obj, indent=1)
    return re.sub(r"\[\s+([-0-9.,\s]+?)\s+\]", lambda m: "[" + " ".join(m.group(1).split()) + "]", text) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--paper-dir", default=DEFAULT_PAPER_DIR)
    p.add_argument("--out", default=DEFAULT_OUT)
    args = p.parse_args(argv)
    out = {}
    for fig, spec in PANELS.items():
        path = os.path.join(args.paper_dir, spec["file"])
        if not os.path.exists(path):
            sys.exit(f"error: {path} not found (the paper's figures are in ../shared/paper beside the checkout)")
        record = digitize_figure(path, fig)
        record["source"] = f"the paper's Fig. {fig[-1]}: ../shared/paper/{spec['file']}"
        record["method"] = METHOD
        record["epoch_mapping"] = EPOCH_MAPPING[fig]
        out[fig] = record
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(dumps(out))
    for fig, r in out.items():
        for k in ("train_loss", "test_loss", "train_kl", "test_kl"):
            v = r[k]
            print(f"{fig} {k:10s} start {v[0]:8.2f}  end {v[-1]:8.2f}  min {min(v):8.2f} "
                  f"(epoch {r['epochs'][int(np.argmin(v))]})  max {max(v):8.2f}")
    print("wrote", args.out)


if __name__ == "__main__":
    main()
