"""How a script writes a result into ``--out`` (``results/``): git stays clean for a rerun that reproduces.

Three rules, so that the same run on another CPU leaves a checkout as it was:

1. **Numbers at a stated precision.**  Every float of a result's JSON is stored with
   ``SIGNIFICANT`` (6) significant digits and a loss history's numbers with ``HISTORY_DECIMALS``
   (3) decimals: 0.001 nats, below every tolerance in ``TOLERANCES`` and far below the spread
   between seeds, and free of float32-to-float64 tails such as 148.121203125.
2. **What varies by machine lives apart.**  The CPU model, device, library versions, wall times and
   MPI layout of a run go to ``<out>/records/<name>.json`` (the run folder's run.json holds them
   too), never into the figure's JSON; REPRODUCE.md's wall times are read from the records.
3. **A rerun that reproduces keeps the committed files.**  Rounding alone cannot keep a file
   equal: whatever the grid, a value near a rounding edge flips for the smallest difference
   (the same run with other BLAS kernels moves Fig. 4's last-epoch test loss by 0.01 nats).  So
   when a JSON of the same run already exists and every number of the new one is within the
   tolerance of the old (``reproduces``), the old file, its figures and its record are kept and
   the script says so; the rerun's own numbers stay in its run folder.  ``--rewrite`` writes the
   new ones anyway (e.g. to record the times of an idle machine).

``TOLERANCES`` are measured, not guessed: see their comments and REPRODUCE.md ("Verifying").
"""
import json
import math
import numbers
import os

from chainer_vae import files

SIGNIFICANT = 6
HISTORY_DECIMALS = 3
RECORDS = "records"
# Keys of a run's info (runs.fit's run.json) that describe the machine, not the result.
MACHINE_KEYS = ("device", "machine", "versions", "train_seconds", "seconds_per_epoch", "mpi")

# Allowed |rerun - committed| for the same run (same settings, seed and data) on another machine:
# abs + rel * |committed|, per kind of number.  Measured (REPRODUCE.md, "Verifying the results"):
# the committed Fig. 4 run against reruns of it on this machine's CPU with OpenBLAS's own choice
# of kernels (its generic Prescott ones: OpenBLAS 0.3.23 does not know this Xeon), with its
# Haswell kernels and NumPy's AVX-512 code paths off (an AVX2 CPU), and with its SkylakeX kernels
# (bit for bit the committed run: the kernels it was trained with) -- the ways another x86 CPU
# computes the same products.  The largest difference in any epoch's loss was 0.025 nats (test
# loss, epoch 54, Prescott; 0.011 at epoch 60), in a KL 0.005; Haswell gave 0.0034, and the
# a contributor saw at most 0.004 between an Intel and an AMD host.  Each
# tolerance is about 4x the largest difference measured, and 3.5x below the difference between
# seeds 0 and 1 at the last epoch (0.36 nats in the test loss, 0.07 in the train KL; up to 3.5 and
# 0.5 in other epochs), so a changed model still fails.  Figs. 2 and 3 summarize the trained model
# image by image (single-image NLLs, shares of codes inside a square, percentiles), so the same
# few-thousandths in the weights move them further: their kinds were measured on the same reruns.
MEASURED = {"loss": 0.025, "kl": 0.0053, "code": 0.0033, "share": 0.0075, "nll_rel": 0.0043}
# Fig. 5: the committed runs (trained with OpenBLAS's SkylakeX kernels) against their reruns on
# this CPU with its Prescott ones (`make verify ARGS="fig5 fig5-alpha1e-5 fig5-music21"`,
# REPRODUCE.md), the largest difference in any epoch.  The default schedule's 30 epochs at 1e-3
# amplify rounding: lute 4.9 nats in a loss (train, epoch 50) and 1.0 in a KL; music21's Bach 12.1
# (test loss, epoch 30) and 2.4 (test KL, epoch 22).  At a constant 1e-5 the lute model stays
# within 0.02 / 0.006.  Tolerance 2x the largest: wider would hide real changes (the search's
# best fit ends 60 nats from the default).
MIDI_MEASURED = {"loss": 12.08, "kl": 2.436}
MIDI_LOSS_ABS, MIDI_KL_ABS = 25.0, 5.0
TOLERANCES = {
    "default": {"abs": 1e-3, "rel": 1e-3},  # anything else (measured: no difference at this size)
    "loss": {"abs": 0.1, "rel": 0.0},       # a loss or reconstruction term in nats (Figs. 4, 5)
    "kl": {"abs": 0.02, "rel": 0.0},        # a KL term in nats
    "code": {"abs": 0.015, "rel": 0.0},     # a latent code statistic: means, centroids, percentiles (Figs. 2, 3)
    "share": {"abs": 0.03, "rel": 0.0},     # a share of the 400 test codes of a digit (Fig. 2)
    "nll": {"abs": 0.0, "rel": 0.02},       # one image's reconstruction NLL (Fig. 2)
    "count": {"abs": 2, "rel": 0.0},        # decodes of a grid the classifier reads as a digit (of 225)
    # Fig. 5's MIDI model (24 M parameters, losses of ~900 nats): MIDI_MEASURED below.
    "midi_loss": {"abs": MIDI_LOSS_ABS, "rel": 0.0},
    "midi_kl": {"abs": MIDI_KL_ABS, "rel": 0.0},
}
# Results whose curves take the MIDI tolerances (their JSON's "figure").
MIDI_CURVES = ("Fig. 5",)
# Which kind a number of a result JSON is, by a key on its path (_kind).
KEY_KINDS = {"mu_mean": "code", "mu_std": "code", "class_centroids": "code", "codes_grid": "code",
             "test_codes_inside_faithful_grid_per_digit": "share",
             "per_digit_reconstruction_bernoulli_nll": "nll", "decodes_per_digit": "count"}


def tolerance(kind):
    return TOLERANCES.get(kind, TOLERANCES["default"])


def within(a, b, kind="default"):
    t = tolerance(kind)
    return abs(a - b) <= t["abs"] + t["rel"] * abs(b)


def _round(v, significant=SIGNIFICANT):
    if isinstance(v, bool) or not isinstance(v, float):
        return v
    if v == 0 or not math.isfinite(v):
        return v
    return float("%.*g" % (significant, v))


def rounded(obj, significant=SIGNIFICANT):
    """``obj`` (dicts, lists, numbers) with every float at ``significant`` significant digits."""
    if isinstance(obj, dict):
        return {k: rounded(v, significant) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [rounded(v, significant) for v in obj]
    return _round(obj, significant)


def history(rows, decimals=HISTORY_DECIMALS):
    """A training history as a result JSON stores it: no wall times, losses at ``decimals``."""
    out = []
    for row in rows:
        row = {k: v for k, v in row.items() if k != "seconds"}
        for split in ("train", "test"):
            if isinstance(row.get(split), dict):
                row[split] = {k: round(float(v), decimals) if isinstance(v, numbers.Real) else v
                              for k, v in row[split].items()}
        out.append(rounded(row))
    return out


def split_run(info, rows=None):
    """(portable run info, machine record) from runs.fit's info (and the history's epoch times)."""
    portable = {k: v for k, v in info.items() if k not in MACHINE_KEYS}
    record = {"run_id": info.get("run_id")}
    record.update({k: info[k] for k in MACHINE_KEYS if k in info})
    if rows:
        import numpy as np
        record["seconds_per_epoch_median"] = float(np.median([r["seconds"] for r in rows if "seconds" in r] or [0]))
    return rounded(portable), rounded(record)


def record_path(path):
    """<folder>/records/<name>.json for the result <folder>/<name>.json."""
    folder, name = os.path.split(path)
    return os.path.join(folder, RECORDS, name)


def read_record(path):
    """The machine record of the result JSON at ``path`` ({} when there is none)."""
    rp = record_path(path)
    return files.read_json(rp) if os.path.exists(rp) else {}


# ----------------------------------------------------------------------------- the keep rule
def curve_kind(kind, figure=None):
    """The tolerance kind of a loss or KL curve ("loss", "kl") of a result of ``figure``: Fig. 5's
    MIDI model has its own (MIDI_CURVES)."""
    return "midi_" + kind if figure in MIDI_CURVES and kind in ("loss", "kl") else kind


def _kind(key_path, figure=None):
    """Which tolerance a number at ``key_path`` (its keys from the top) takes."""
    keys = [k for k in key_path if isinstance(k, str)]
    last = keys[-1] if keys else ""
    for k in keys:
        if k in KEY_KINDS:
            return KEY_KINDS[k]
    if "history" in keys or "final" in keys or "summary" in keys:
        if last in ("loss", "reconstr"):
            return curve_kind("loss", figure)
        if last == "kl_penalty" or (len(keys) > 1 and keys[-2].endswith("kl_min") and last == "value"):
            return curve_kind("kl", figure)
    return "default"


def differences(old, new, path=(), figure=None):
    """[(key path, old, new)] where ``new`` departs from ``old`` beyond the tolerances, or where
    their structure or any text differs (a number against its tolerance; everything else equal).
    ``figure``: the result's "figure" (read from ``old`` at the top), which picks curve tolerances."""
    if not path and figure is None and isinstance(old, dict):
        figure = old.get("figure")
    if isinstance(old, dict) and isinstance(new, dict):
        out = [(path + (k,), old.get(k), new.get(k)) for k in sorted(set(old) ^ set(new))]
        for k in old:
            if k in new:
                out += differences(old[k], new[k], path + (k,), figure)
        return out
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return [(path + ("length",), len(old), len(new))]
        out = []
        for i, (a, b) in enumerate(zip(old, new)):
            out += differences(a, b, path + (i,), figure)
        return out
    num = lambda v: isinstance(v, numbers.Real) and not isinstance(v, bool)  # noqa: E731
    if num(old) and num(new):
        return [] if within(new, old, _kind(path, figure)) else [(path, old, new)]
    return [] if old == new else [(path, old, new)]


def reproduces(old, new):
    """True when ``new`` is ``old`` to within the tolerances (same run, same structure and text)."""
    return not differences(old, new)


def describe(diffs, first=3):
    shown = ["%s: %r -> %r" % ("/".join(map(str, p)), a, b) for p, a, b in diffs[:first]]
    return "; ".join(shown) + ("; and %d more" % (len(diffs) - first) if len(diffs) > first else "")


def write_result(path, obj, record=None, rewrite=False, say=print):
    """Write the result ``obj`` (rounded) to ``path`` and its machine ``record`` beside it, unless
    the JSON already there reproduces it (module docstring): then keep both and return the old.

    Returns (the result now at ``path``, kept: bool)."""
    obj = json.loads(json.dumps(rounded(obj)))  # as it reads back: keys are strings, tuples lists
    old = files.read_json(path) if os.path.exists(path) else None
    if old is not None and not rewrite:
        diffs = differences(old, obj)
        if not diffs:
            say("%s reproduces the committed numbers within the tolerance: kept it as it was "
                "(--rewrite writes this run's numbers and times)" % files.short_path(path))
            if record is not None and not os.path.exists(record_path(path)):
                files.write_json(record_path(path), record)  # a lost record comes back; one there stays
            return old, True
        say("%s changes: %s" % (files.short_path(path), describe(diffs)))
    files.write_json(path, obj)
    if record is not None:
        files.write_json(record_path(path), record)
    return obj, False


def to_draw(kept, *paths):
    """The figure files a script must draw: all of them unless its JSON was kept, else only
    those missing (a kept result keeps its committed figures, byte for byte)."""
    return [p for p in paths if not kept or not os.path.exists(p)]


def load_result(results, name):
    """A result JSON, with its machine record (<results>/records/) under "_record"."""
    path = os.path.join(results, name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        d = json.load(f)
    if isinstance(d, dict):
        d["_record"] = read_record(path)
    return d
