"""`make verify`: rerun each committed figure's training into a scratch folder and compare.

For each figure the script that made it runs again with the committed settings, into a scratch
``--out`` (never ``results/``); the table then gives, per quantity, the paper's value (read off
its figure: results/paper_curves.json), the committed one (results/*.json), the rerun's, the
tolerance and a verdict.  The exit status is 1 when a rerun is outside its tolerance of the
committed number -- the tolerances of chainer_vae/outputs.py, measured on reruns of the same run
(REPRODUCE.md, "Verifying the results") -- and 2 when a figure could not be rerun (no data, a
crash).  How far the paper is, is reported beside it but never fails: the paper's curves are one
seed of a different implementation, read off a figure.

``--quick`` reruns the first epochs only (Fig. 4 for 3, Fig. 5 on the lute files for 2) and
compares them with the committed run's same epochs: a run's first epochs do not depend on how
many follow (the seed is derived per epoch, the rate is constant there), so they must agree to
the same tolerance.
"""
import dataclasses
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time

from chainer_vae import files, outputs
from chainer_vae.figures import paper as paper_curves
from chainer_vae.progress import duration

CHECKOUT = files.CHECKOUT or os.getcwd()
LUTE = os.path.join(os.path.dirname(CHECKOUT), "shared", "data", "midi", "bach_lute")

# The paper's curves are digitized to about a pixel (results/paper_curves.json "method"): this
# much in each figure's units.  Seeds move a curve further: SEED_SPREAD is the largest
# |seed 0 - seed 1| of Fig. 4's default run in any epoch, measured (REPRODUCE.md, "Verifying the
# results"; at the last epoch it is 0.52, 0.36, 0.07 and 0.17).  Fig. 5's was not measured (its
# runs take 30-60 min each on this CPU), so its paper margin is the digitization alone.
DIGITIZATION = {"fig4": {"loss": 0.2, "kl": 0.01}, "fig5": {"loss": 1.3, "kl": 0.3}}
SEED_SPREAD = {"fig4": {"train loss": 2.38, "test loss": 3.49, "train KL": 0.42, "test KL": 0.50}}


@dataclasses.dataclass(frozen=True)
class Figure:
    name: str            # what `make verify ARGS=<name>` takes
    script: str          # experiments/<script>
    args: tuple          # the committed run's flags
    result: str          # its JSON in results/
    kind: str            # "curves", "fig3" or "fig2"
    paper: str = ""      # "fig4" / "fig5": the paper's curves to compare with ("" = none: a departure)
    quick_epochs: int = 0  # epochs of the --quick rerun (0: not in --quick)
    needs: str = "mnist"   # "mnist" or "lute"
    note: str = ""


FIGURES = (
    Figure("fig4", "fig4_mnist_loss.py", (), "fig4_mnist_loss.json", "curves", "fig4", quick_epochs=3),
    Figure("fig4-alpha5e-5", "fig4_mnist_loss.py", ("--alpha", "5e-5", "--tag", "alpha5e-5"),
           "fig4_mnist_loss_alpha5e-5.json", "curves", note="the committed script's rate (departure 1): not the paper's curve"),
    Figure("fig3", "fig3_mnist_latent.py", (), "fig3_mnist_latent.json", "fig3"),
    Figure("fig2", "fig2_mnist_samples.py", (), "fig2_mnist_samples.json", "fig2"),
    Figure("fig5", "fig5_midi_loss.py", ("--midi-dir", "{lute}"), "fig5_midi_loss_bach_lute.json", "curves",
           "fig5", quick_epochs=2, needs="lute"),
    Figure("fig5-alpha1e-5", "fig5_midi_loss.py", ("--midi-dir", "{lute}", "--lr-schedule", "", "--alpha", "1e-5",
                                                  "--tag", "alpha1e-5"),
           "fig5_midi_loss_bach_lute_alpha1e-5.json", "curves", needs="lute",
           note="the committed script's rate (departure 2): not the paper's curve"),
    Figure("fig5-music21", "fig5_midi_loss.py", (), "fig5_midi_loss.json", "curves", needs="",
           note="music21's Bach, not the paper's data"),
)
BY_NAME = {f.name: f for f in FIGURES}
CURVE_ROWS = (("train loss", "train", "loss", "loss"), ("train KL", "train", "kl_penalty", "kl"),
              ("test loss", "test", "loss", "loss"), ("test KL", "test", "kl_penalty", "kl"))
PAPER_CURVE = {"train loss": "train_loss", "train KL": "train_kl", "test loss": "test_loss", "test KL": "test_kl"}


@dataclasses.dataclass
class Row:
    figure: str
    quantity: str
    paper: str
    committed: str
    rerun: str
    tolerance: str
    verdict: str
    ok: bool = True      # within the tolerance of the committed number (or nothing to compare)
    ran: bool = True     # False: the figure could not be rerun


def _fmt(v, digits=3):
    if v is None:
        return "—"
    if isinstance(v, str):
        return v
    return ("%%.%df" % digits) % v


def _tol_text(kind):
    t = outputs.tolerance(kind)
    parts = (["±%g" % t["abs"]] if t["abs"] else []) + (["±%g %%" % (100 * t["rel"])] if t["rel"] else [])
    return " + ".join(parts) or "equal"


def _paper_value(paper, fig, quantity, epoch):
    if not fig or paper is None or fig not in paper:
        return None
    record = paper[fig]
    if epoch not in record["epochs"]:
        return None
    return record[PAPER_CURVE[quantity]][record["epochs"].index(epoch)]


def _paper_verdict(fig, quantity, ours, theirs):
    if theirs is None or ours is None:
        return ""
    kind = "kl" if "KL" in quantity else "loss"
    margin = DIGITIZATION[fig][kind] + SEED_SPREAD.get(fig, {}).get(quantity, 0.0)
    gap = ours - theirs
    if abs(gap) <= margin:
        return "; paper: within ±%g" % margin
    return "; paper: %+.2f (outside ±%g)" % (gap, margin)


def compare_curves(fig, committed, rerun, paper=None, epochs=None):
    """Rows for a loss/KL history: each curve at the rerun's last epoch, then the largest
    difference over every epoch compared.  ``epochs``: compare the committed run's first N only."""
    old = committed["history"][:epochs] if epochs else committed["history"]
    new = rerun["history"]
    rows = []
    if len(new) != len(old):
        return [Row(fig.name, "epochs", "—", str(len(old)), str(len(new)), "equal", "FAIL: epochs differ", ok=False)]
    epoch = new[-1]["epoch"]
    worst = {outputs.curve_kind(k, committed.get("figure")): (0.0, None) for k in ("loss", "kl")}
    figure = committed.get("figure")
    for label, split, term, kind in CURVE_ROWS:
        kind = outputs.curve_kind(kind, figure)
        a, b = old[-1][split][term], new[-1][split][term]
        ok = outputs.within(b, a, kind)
        p = _paper_value(paper, fig.paper, label, epoch)
        verdict = ("ok" if ok else "FAIL") + (_paper_verdict(fig.paper, label, b, p) if fig.paper else "")
        if not fig.paper and fig.note and not rows:
            verdict += "; paper: not compared (%s)" % fig.note
        rows.append(Row(fig.name, "%s, epoch %d" % (label, epoch), _fmt(p, 1), _fmt(a), _fmt(b), _tol_text(kind),
                        verdict, ok))
        for o, n in zip(old, new):
            gap = abs(o[split][term] - n[split][term])
            if gap > worst[kind][0]:
                worst[kind] = (gap, "%s, epoch %d" % (label, o["epoch"]))
    for kind, (gap, where) in worst.items():
        ok = gap <= outputs.tolerance(kind)["abs"]
        rows.append(Row(fig.name, "largest |rerun - committed| of a %s, epochs %d-%d" % (
            "KL" if kind.endswith("kl") else "loss", old[0]["epoch"], epoch), "—", "0", "%.3f%s" % (
            gap, " (%s)" % where if where else ""), _tol_text(kind), "ok" if ok else "FAIL", ok))
    return rows


def _ident_rows(fig, committed, rerun, quick):
    """The run's identity: the data fingerprint always, the run id unless --quick (fewer epochs
    are another run by design)."""
    run_c = committed.get("run") or committed
    run_r = rerun.get("run") or rerun
    rows = []
    for key in (("data_fingerprint",) if quick else ("run_id", "data_fingerprint")):
        a, b = run_c.get(key), run_r.get(key)
        rows.append(Row(fig.name, key.replace("_", " "), "—", str(a), str(b), "equal",
                        "ok" if a == b else "FAIL", a == b))
    return rows


def compare_fig3(fig, committed, rerun):
    rows = []
    for key in ("mu_mean", "mu_std"):
        for i, axis in enumerate(("z0", "z1")):
            a, b = committed[key][i], rerun[key][i]
            ok = outputs.within(b, a, "code")
            rows.append(Row(fig.name, "test codes' %s, %s" % ("mean" if key == "mu_mean" else "standard deviation", axis),
                            "—", _fmt(a), _fmt(b), _tol_text("code"), "ok" if ok else "FAIL", ok))
    return rows


def compare_fig2(fig, committed, rerun):
    rows = []
    checks = (("per-digit reconstruction NLL, largest relative difference", "per_digit_reconstruction_bernoulli_nll", "nll"),
              ("share of a digit's test codes inside the paper's grid, largest difference",
               "test_codes_inside_faithful_grid_per_digit", "share"))
    for label, key, kind in checks:
        pairs = list(zip(committed[key], rerun[key]))
        ok = all(outputs.within(b, a, kind) for a, b in pairs)
        if kind == "nll":
            gap = max(abs(b - a) / abs(a) for a, b in pairs)
            text = "%.2f %%" % (100 * gap)
        else:
            gap = max(abs(b - a) for a, b in pairs)
            text = "%.4f" % gap
        rows.append(Row(fig.name, label, "—", "0", text, _tol_text(kind), "ok" if ok else "FAIL", ok))
    for grid in ("faithful_grid", "codes_grid"):
        a, b = committed["decodes_per_digit"][grid], rerun["decodes_per_digit"][grid]
        gap = max(abs(x - y) for x, y in zip(a, b))
        ok = all(outputs.within(y, x, "count") for x, y in zip(a, b))
        rows.append(Row(fig.name, "decodes read as each digit (%s), largest difference" % grid.replace("_", " "),
                        "—", "0", str(gap), _tol_text("count"), "ok" if ok else "FAIL", ok))
    a, b = committed["classifier_test_accuracy"], rerun["classifier_test_accuracy"]
    ok = outputs.within(b, a)
    rows.append(Row(fig.name, "classifier's test accuracy", "—", _fmt(a, 4), _fmt(b, 4), _tol_text("default"),
                    "ok" if ok else "FAIL", ok))
    return rows


def compare(fig, committed, rerun, paper=None, quick=False):
    rows = _ident_rows(fig, committed, rerun, quick)
    if fig.kind == "curves":
        rows += compare_curves(fig, committed, rerun, paper, epochs=len(rerun["history"]) if quick else None)
    elif fig.kind == "fig3":
        rows += compare_fig3(fig, committed, rerun)
    else:
        rows += compare_fig2(fig, committed, rerun)
    return rows


def markdown(rows):
    lines = ["| figure | quantity | paper | committed | rerun | tolerance | verdict |", "|---|---|---|---|---|---|---|"]
    lines += ["| %s | %s | %s | %s | %s | %s | %s |" % (r.figure, r.quantity, r.paper, r.committed, r.rerun,
                                                       r.tolerance, r.verdict) for r in rows]
    return "\n".join(lines)


def exit_status(rows):
    if any(not r.ran for r in rows):
        return 2
    return 0 if all(r.ok for r in rows) else 1


# ----------------------------------------------------------------------------- running
def _command(fig, scratch, lute, quick):
    args = [a.format(lute=lute) for a in fig.args]
    if quick:
        args += ["--epochs", str(fig.quick_epochs)]
    return [sys.executable, os.path.join(CHECKOUT, "experiments", fig.script), "--out", scratch,
            "--no-progress"] + args


def rerun(fig, scratch, results, lute=LUTE, quick=False, say=print):
    """Run one figure's script into ``scratch`` and compare; returns (rows, seconds)."""
    committed_path = os.path.join(results, fig.result)
    if not os.path.exists(committed_path):
        return [Row(fig.name, "—", "—", "not committed", "—", "—", "skipped: no %s" % fig.result, ran=False)], 0.0
    if fig.needs == "lute" and not os.path.isdir(lute):
        return [Row(fig.name, "—", "—", "—", "—", "—", "not rerun: no lute folder at %s (--midi-dir)" % files.short_path(lute),
                    ran=False)], 0.0
    cmd = _command(fig, scratch, lute, quick)
    log = os.path.join(scratch, "%s%s.log" % (fig.name, "-quick" if quick else ""))
    shown = [files.short_path(c) if os.path.isabs(c) else c for c in cmd[1:]]
    say("%s: %s (log: %s)" % (fig.name, " ".join(shown), files.short_path(log)))
    started = time.perf_counter()
    with open(log, "w") as f:
        proc = subprocess.run(cmd, cwd=CHECKOUT, stdout=f, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - started
    out_path = os.path.join(scratch, fig.result)
    if proc.returncode != 0 or not os.path.exists(out_path):
        with open(log) as f:
            tail = [line.strip() for line in f.read().splitlines() if line.strip()][-1:] or ["no output"]
        fallback = os.path.join(scratch, fig.result.replace(".json", "_mlxtend5k.json"))
        why = ("the real MNIST is not here (the run used the shipped fallback digits)" if os.path.exists(fallback)
               else "exit %d: %s" % (proc.returncode, tail[0]))
        return [Row(fig.name, "—", "—", "—", "—", "—", "not rerun: " + why, ran=False)], seconds
    committed = files.read_json(committed_path)
    paper = None
    if fig.paper:
        try:
            paper = paper_curves.load_paper_curves(os.path.join(results, "paper_curves.json"))
        except Exception:  # noqa: BLE001  (no paper column then; the verdicts do not need it)
            paper = None
    return compare(fig, committed, files.read_json(out_path), paper, quick), seconds


def select(names, quick):
    if not names:
        return [f for f in FIGURES if f.quick_epochs] if quick else list(FIGURES)
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        raise ValueError("unknown figure %s: choose from %s" % (", ".join(unknown), ", ".join(BY_NAME)))
    figs = [BY_NAME[n] for n in names]
    if quick:
        missing = [f.name for f in figs if not f.quick_epochs]
        if missing:
            raise ValueError("--quick has no short rerun of %s (only %s)" % (
                ", ".join(missing), ", ".join(f.name for f in FIGURES if f.quick_epochs)))
    return figs


def run(names=(), quick=False, results=None, scratch=None, keep=False, lute=LUTE, say=print):
    """Rerun and compare the figures; returns (rows, {figure: seconds}, scratch folder or None)."""
    results = results or os.path.join(CHECKOUT, "results")
    figs = select(list(names), quick)
    # Fig. 2 and 3 reuse Fig. 4's model: rerunning them alone trains it in the scratch folder.
    made = scratch is None
    scratch = os.path.abspath(scratch or tempfile.mkdtemp(prefix="chainer-vae-verify-"))
    if os.path.abspath(results) == scratch or scratch.startswith(os.path.abspath(results) + os.sep):
        raise ValueError("the scratch folder must not be in %s" % results)
    os.makedirs(scratch, exist_ok=True)
    rows, seconds = [], {}
    try:
        for fig in figs:
            got, took = rerun(fig, scratch, results, lute, quick, say)
            rows += got
            seconds[fig.name] = took
    finally:
        if made and not keep:
            shutil.rmtree(scratch, ignore_errors=True)
    return rows, seconds, (scratch if keep or not made else None)


def durations(seconds):
    return ", ".join("%s %s" % (k, duration(v)) for k, v in seconds.items() if not math.isnan(v))
