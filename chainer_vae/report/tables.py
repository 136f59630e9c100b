"""The number blocks that REPRODUCE.md and results/index.html both show (one source for both).

Each block is Markdown built from results/*.json: tools/update_reproduce.py writes it between
REPRODUCE.md's ``<!-- generated:NAME -->`` markers, the results page renders the same text as
HTML.  The paper's values are those read off its figures (../shared/paper/README.md).
"""
import os

from chainer_vae import outputs
from chainer_vae.figures import paper as P
from chainer_vae.report import claims
from chainer_vae.report.gpu_tables import gpu_block
from chainer_vae.report.music_tables import music_blocks

# Read off the paper's figures (shared/paper/README.md): (start, end); KL also its dip.
PAPER = {
    "fig4": {"train loss": ("~197", "~148"), "test loss": ("~179", "~155"),
             "train KL": ("~6.0", "~6.6", "~5.4"), "test KL": ("~5.1", "~6.3", "~4.9")},
    "fig5": {"train loss": ("~1055", "~747"), "test loss": ("~973", "~832"),
             "train KL": ("~42", "~28.5", "~18 (plotted epoch ~14)"), "test KL": ("~35", "~23.3", "~16")},
}

# (column title, file) of the runs REPRODUCE.md compares, in its order.
FIG4_RUNS = (("ours, alpha 1e-3 (default)", "fig4_mnist_loss.json"),
             ("ours, alpha 5e-5 (committed script)", "fig4_mnist_loss_alpha5e-5.json"))
FIG5_RUNS = (("lute, schedule 1e-3:30,1e-5 (default)", "fig5_midi_loss_bach_lute.json"),
             ("lute, alpha 1e-5 (committed script)", "fig5_midi_loss_bach_lute_alpha1e-5.json"),
             ("music21 Bach, default", "fig5_midi_loss.json"),
             ("lute, the search's best fit (tag paperfit)", "fig5_midi_loss_bach_lute_paperfit.json"))


load = outputs.load_result  # a result JSON with its machine record (outputs.py)


def curve(history, split, term):
    return [row[split][term] for row in history]


def loss_table(fig, runs, start_epoch=1):
    """runs: [(column title, json)]; start_epoch: the first epoch the paper's figure shows."""
    head = "| quantity | paper | " + " | ".join(t for t, _ in runs) + " |"
    lines = [head, "|" + "---|" * (2 + len(runs))]
    for split in ("train", "test"):
        for term, label in (("loss", "%s loss" % split), ("kl_penalty", "%s KL" % split)):
            paper = PAPER[fig][label]
            cells = {"start": [], "end": [], "min": []}
            for _, d in runs:
                c = curve(d["history"], split, term)
                first = min(start_epoch, len(c)) - 1
                cells["start"].append("%.1f" % c[first])
                cells["end"].append("%.1f" % c[-1])
                i = min(range(first, len(c)), key=lambda k: c[k])
                cells["min"].append("%.1f (epoch %d)" % (c[i], i + 1))
            lines.append("| %s, epoch %d | %s | %s |" % (label, start_epoch, paper[0], " | ".join(cells["start"])))
            lines.append("| %s, last epoch | %s | %s |" % (label, paper[1], " | ".join(cells["end"])))
            if term == "kl_penalty":
                lines.append("| %s, minimum | %s | %s |" % (label, paper[2], " | ".join(cells["min"])))
    lines.append("| epochs | 60 | " + " | ".join(str(len(d["history"])) for _, d in runs) + " |")
    return "\n".join(lines)


def timing(d):
    """Where and how long the run took, from its machine record (results/records/<name>.json)."""
    rec = d.get("_record") or {}
    if "train_seconds" not in rec or "seconds_per_epoch_median" not in rec:
        return "wall time not recorded"
    # a resumed run's train_seconds counts only the part after its resume: then the sum of its
    # epochs' times (which leaves out the snapshots between them) is the better account
    total = max(rec["train_seconds"], sum(rec.get("seconds_per_epoch") or ()))
    return "%.0f s of training (%.1f s per epoch, median) on %s, device %s" % (
        total, rec["seconds_per_epoch_median"], rec.get("machine", "—"), rec.get("device", "—"))


def _curves(d):
    """The JSON if it holds a loss history (a run's figure JSON), else None."""
    return d if d and d.get("history") else None


def fig4_runs(results):
    """[(title, json)] of the Fig. 4 runs present; none without the default run."""
    found = [(t, _curves(load(results, n))) for t, n in FIG4_RUNS]
    return [(t, d) for t, d in found if d] if found[0][1] else []


def blocks(results):
    """{block name: Markdown} for every block whose results exist under ``results``."""
    out = {}
    runs = fig4_runs(results)
    if runs:
        f4 = runs[0][1]
        out["fig4"] = "Data: %s.\n\n%s\n\nWall time: %s." % (f4.get("data_description", "—"), loss_table("fig4", runs), timing(f4))
        if len(runs) > 1:
            out["fig4"] += " The alpha 5e-5 run: %s." % timing(runs[1][1])
    f3 = load(results, "fig3_mnist_latent.json")
    if f3:
        out["fig3"] = ("Test-set latent means after %d epochs: mean (%.2f, %.2f), standard deviation (%.2f, %.2f) "
                       "(the prior's is (1, 1))." % (f3["epochs"], *f3["mu_mean"], *f3["mu_std"]))
    f2 = load(results, "fig2_mnist_samples.json")
    if f2:
        nll = f2["per_digit_reconstruction_bernoulli_nll"]
        out["fig2"] = ("Per-digit reconstruction NLL of each digit's first test image (nats), digits 0-9: %s."
                       % ", ".join("%.0f" % v for v in nll)) + claims.fig2_coverage(f2)
    f5 = [(t, _curves(load(results, n))) for t, n in FIG5_RUNS]
    f5 = [(t, d) for t, d in f5 if d]
    if f5:
        out["fig5"] = "%s\n\nThe first rows are at epoch 12, the first the paper's Fig. 5 plots.\n\n" % loss_table("fig5", f5, 12)
        out["fig5"] += "\n".join("- %s: %s; %s." % (t, d.get("data_description", "—"), timing(d)) for t, d in f5)
    distances = paper_distances(runs, [(t, d) for t, d in f5 if t.startswith("lute")])
    if distances:
        out["paper_distance"] = distances
    search = load(results, "fig5_search.json")
    if search and search.get("runs"):
        out["fig5_search"] = search_table(search)
    arch = os.path.join(results, "architectures.md")
    if os.path.exists(arch):
        with open(arch) as f:
            out["architectures"] = "\n".join(f.read().splitlines()[2:]).strip()
        rows = (load(results, "architectures.json") or {}).get("rows", [])
        out["architectures"] += "\n\n" + "\n".join(verdict(rows, d) for d in sorted({r["data"] for r in rows}))
    out.update(music_blocks(results))
    out.update(claims.blocks(results))
    gpu = load(results, "gpu_check.json")  # tools/gpu_check.py (make gpu-check)
    if gpu:
        out["gpu_check"] = gpu_block(gpu)
    return out


def verdict(rows, data):
    """Which pair is best on `data` (last-epoch test loss), by how much, and at what cost."""
    rows = sorted((r for r in rows if r["data"] == data), key=lambda r: r["final"]["loss"])
    best, rest = rows[0], rows[1:]
    name = lambda r: "%s/%s" % (r["encoder"], r["decoder"])  # noqa: E731
    parts = ["%s by %.1f nats (%.1f %%) with %.2fx the parameters and %.2fx the time per epoch" % (
        name(r), r["final"]["loss"] - best["final"]["loss"],
        100 * (r["final"]["loss"] - best["final"]["loss"]) / r["final"]["loss"],
        best["parameters"] / r["parameters"], best["seconds_per_epoch"] / r["seconds_per_epoch"])
        for r in rest]
    return "- **%s**: best is %s (test loss %.1f after %d epochs); it beats %s." % (
        data.upper(), name(best), best["final"]["loss"], best["epochs"], "; ".join(parts))


# ----------------------------------------------------------------------------- distance to the paper
def _gap(d, curve):
    g = d[curve]
    return "%.1f / %.1f (%d)" % (g["mean_abs"], g["max_abs"], g["max_abs_epoch"])


def paper_distances(fig4, fig5):
    """Per run and curve, the mean and the largest absolute gap to the paper's digitized curve
    (results/paper_curves.json) over the epochs the paper plots, and the run's score."""
    rows = []
    for fig, runs in (("fig4", fig4), ("fig5", fig5)):
        for title, d in runs:
            dist = P.distance(d["history"], fig)
            rows.append("| %s | %s | %s | %.3f |" % (
                {"fig4": "Fig. 4", "fig5": "Fig. 5"}[fig], title, " | ".join(_gap(dist, c) for c in P.CURVES),
                P.score(dist, fig)))
    if not rows:
        return ""
    head = ("| figure | run | " + " | ".join(P.LABELS[c] for c in P.CURVES) + " | score |\n|" + "---|" * 7)
    return ("Mean / largest absolute gap (the epoch of the largest) between our curves and the paper's digitized "
            "ones (`results/paper_curves.json`, about a pixel: ~0.2 nats for Fig. 4's loss, ~0.01 for its KL, "
            "~1.3 and ~0.3 for Fig. 5's) over the epochs the paper plots: Fig. 4 epochs 1-60, Fig. 5 epochs "
            "12-60 (the authors' `loss_train[11:60]`). Score: the mean over the four curves of the mean gap divided "
            "by the range the paper's curve spans (0 = on the paper's curves).\n\n%s\n%s" % (head, "\n".join(rows)))


def cell(text):
    """``text`` for a Markdown table cell: a '|' (a schedule's new Adam) escaped, which GitHub and
    Python-Markdown both render as '|' outside code spans (inside one GitHub would split the cell)."""
    return str(text).replace("|", "\\|")


def search_table(search):
    """REPRODUCE.md's table of Fig. 5's schedule search (results/fig5_search.json)."""
    paper = search["paper_shape"]

    def shape_cells(sh):
        k = sh.get("kink")
        return "%.1f → %.1f (%d) → %.1f | %s | %+.0f / %+.0f" % (
            sh["train_kl"]["first"], sh["train_kl"]["min"], sh["train_kl"]["min_epoch"], sh["train_kl"]["last"],
            "%d (%.1f)" % (k["epoch"], k["fall"]) if k else "—",
            sh["test_minus_train"]["first"], sh["test_minus_train"]["last"])

    head = ("| rank | reader | schedule | " + " | ".join(P.LABELS[c] for c in P.CURVES) +
            " | score | train KL: epoch 12 → min (epoch) → 60 | kink (fall) | test − train loss, epochs 12 / 60 |")
    lines = [head, "|" + "---|" * 11,
             "| | paper | | | | | | | %s |" % shape_cells(paper)]
    scored = sorted((r for r in search["runs"] if "score" in r), key=lambda r: r.get("rank", 1e9))
    for r in scored:
        status = r["status"]
        status = ("" if status == "finished" else
                  " (the committed run, %s)" % status.split("history from ", 1)[1].rstrip(")") if "history from" in status
                  else " (%s)" % status)
        lines.append("| %s | %s | %s%s%s | %s | %.3f | %s |" % (
            r.get("rank", "—"), r["reader"], cell(r["lr_schedule"]), " (default)" if r.get("default") else "", status,
            " | ".join(_gap(r["distance"], c) for c in P.CURVES), r["score"], shape_cells(r["shape"])))
    rest = [r for r in search["runs"] if "score" not in r]
    text = ("Each row is a 60-epoch lute run with Fig. 5's defaults but the reader and the schedule "
            "(`,`: the same Adam goes on at the new rate; `|`: a new Adam, as a new chunk of the authors' notebook). "
            "Gaps as above: mean / largest (epoch), over epochs 12-60. The kink: the epoch of the largest one-epoch "
            "fall of the train loss from epoch %d on.\n\n%s" % (P.KINK_FROM, "\n".join(lines)))
    if rest:
        text += "\n\nNot scored (no epoch 12 yet): " + ", ".join("%s (%s)" % (cell(r["candidate"]), r["status"]) for r in rest) + "."
    return text
