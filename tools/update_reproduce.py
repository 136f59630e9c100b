"""Regenerate the number blocks of REPRODUCE.md from results/*.json (never type them in).

    python tools/update_reproduce.py [--results results] [--file REPRODUCE.md]
Each block sits between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->`; a block whose
results are missing is left as it is. The paper's values are those read off its figures
(../shared/paper/README.md), quoted here for the comparison columns.
"""
import argparse
import json
import os
import re

# Read off the paper's figures (shared/paper/README.md): (start, end); KL also its dip.
PAPER = {
    "fig4": {"train loss": ("~197", "~148"), "test loss": ("~179", "~155"),
             "train KL": ("~6.0", "~6.6", "~5.4"), "test KL": ("~5.1", "~6.3", "~4.9")},
    "fig5": {"train loss": ("~1055", "~747"), "test loss": ("~973", "~832"),
             "train KL": ("~42", "~28.5", "~18 (plotted epoch ~14)"), "test KL": ("~35", "~23.3", "~16")},
}


def load(results, name):
    path = os.path.join(results, name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


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
    run = d["run"]
    return "%.0f s of training (%.1f s per epoch, median) on %s, device %s" % (
        run["train_seconds"], d["summary"]["seconds_per_epoch_median"], run["machine"], run["device"])


def blocks(results):
    out = {}
    f4 = load(results, "fig4_mnist_loss.json")
    f4b = load(results, "fig4_mnist_loss_alpha5e-5.json")
    if f4:
        runs = [("ours, alpha 1e-3 (default)", f4)] + ([("ours, alpha 5e-5 (committed script)", f4b)] if f4b else [])
        out["fig4"] = "Data: %s.\n\n%s\n\nWall time: %s." % (f4["data_description"], loss_table("fig4", runs), timing(f4))
        if f4b:
            out["fig4"] += " The alpha 5e-5 run: %s." % timing(f4b)
    f3 = load(results, "fig3_mnist_latent.json")
    if f3:
        out["fig3"] = ("Test-set latent means after %d epochs: mean (%.2f, %.2f), standard deviation (%.2f, %.2f) "
                       "(the prior's is (1, 1))." % (f3["epochs"], *f3["mu_mean"], *f3["mu_std"]))
    f2 = load(results, "fig2_mnist_samples.json")
    if f2:
        nll = f2["per_digit_reconstruction_bernoulli_nll"]
        out["fig2"] = ("Per-digit reconstruction NLL of each digit's first test image (nats), digits 0-9: %s."
                       % ", ".join("%.0f" % v for v in nll))
    f5 = [(t, load(results, n)) for t, n in (
        ("lute, schedule 1e-3:30,1e-5 (default)", "fig5_midi_loss_bach_lute.json"),
        ("lute, alpha 1e-5 (committed script)", "fig5_midi_loss_bach_lute_alpha1e-5.json"),
        ("music21 Bach, default", "fig5_midi_loss.json"))]
    f5 = [(t, d) for t, d in f5 if d]
    if f5:
        out["fig5"] = "%s\n\nThe first rows are at epoch 11, the first the paper's Fig. 5 plots.\n\n" % loss_table("fig5", f5, 11)
        out["fig5"] += "\n".join("- %s: %s; %s." % (t, d["data_description"], timing(d)) for t, d in f5)
    arch = os.path.join(results, "architectures.md")
    if os.path.exists(arch):
        with open(arch) as f:
            out["architectures"] = "\n".join(f.read().splitlines()[2:]).strip()
        rows = load(results, "architectures.json")["rows"]
        out["architectures"] += "\n\n" + "\n".join(verdict(rows, d) for d in sorted({r["data"] for r in rows}))
    music = [(t, load(results, os.path.join(d, "music_stats.json")), d) for t, d in (
        ("lute", "music_bach_lute"), ("music21 Bach (default data)", "music"))]
    music = [(t, s, d) for t, s, d in music if s]
    if music:
        out["music_stats"] = "\n\n".join(music_table(t, s) for t, s, _ in music)
    steer = [(t, d) for t, d in (("lute", "music_bach_lute"), ("music21 Bach (default data)", "music"))
             if load(results, os.path.join(d, "genres.json"))]
    if steer:
        out["music_steer"] = "\n\n".join(steer_lines(t, results, d) for t, d in steer)
    return out


MUSIC_COLUMNS = (("notes_per_bar", "notes / bar", "%.1f"), ("polyphony", "polyphony", "%.2f"),
                 ("pitch_range", "pitch range", "%.1f"), ("empty_fraction", "empty steps", "%.2f"),
                 ("mean_note_length", "note length (steps)", "%.2f"), ("pc_distance", "PC distance", "%.2f"))


def music_table(title, s):
    """Means of each feature for prior samples under each sampling setting, and the overlaps."""
    head = "| %s: windows | %s | overlap, prior samples | overlap, reconstructions |" % (
        title, " | ".join(c[1] for c in MUSIC_COLUMNS))
    lines = ["**%s** (%s; %d prior samples per setting vs %s)" % (
        title, s["data_description"], s["prior_samples_per_setting"], s["reference"]), "", head,
        "|" + "---|" * (len(MUSIC_COLUMNS) + 3)]
    ref = s["reference_means"]
    lines.append("| real test windows (reference) | %s | 1 | 1 |" % " | ".join(
        f % ref[k] for k, _, f in MUSIC_COLUMNS))
    tr = s["train_windows_vs_test"]["features"]
    lines.append("| real train windows | %s | %.3f | |" % (" | ".join(
        f % tr[k]["mean"] for k, _, f in MUSIC_COLUMNS), s["train_windows_vs_test"]["mean_overlap"]))
    for row in s["settings"]:
        feats = row["prior"]["features"]
        name = row["setting"] + (" (authors')" if row["setting"] == "threshold=0.2" else "")
        if row["setting"] == s["recommended_for_prior_samples"]:
            name = "**%s**" % name
        lines.append("| %s | %s | %.3f | %.3f |" % (name, " | ".join(f % feats[k]["mean"] for k, _, f in MUSIC_COLUMNS),
                                                    row["prior"]["mean_overlap"], row["reconstruction"]["mean_overlap"]))
    best = max(s["settings"], key=lambda r: r["reconstruction"]["mean_overlap"])
    lines += ["", "Closest to the real windows: prior samples with **%s** (mean overlap %.3f), reconstructions with "
              "%s (%.3f)." % (s["recommended_for_prior_samples"], max(r["prior"]["mean_overlap"] for r in s["settings"]),
                               best["setting"], best["reconstruction"]["mean_overlap"])]
    return "\n".join(lines)


def steer_lines(title, results, folder):
    """Genres: pitch-class distances of each class's style to the real classes, and the attribute vector."""
    g = load(results, os.path.join(folder, "genres.json"))
    lines = ["**%s** (%s, %s):" % (title, g["data_description"], g["sampling"]), ""]
    for cls, st in g["styles"].items():
        lines.append("- style of %s (%d windows): pitch-class distance to real %s." % (
            cls, g["windows_per_class_measured"], ", ".join("%s %.3f" % kv for kv in st["pitch_class_distance_to_real"].items())))
    a = g["attribute"]
    lines.append("- attribute vector %s -> %s (norm %.2f) added to all %d %s test windows: %s." % (
        a["from"], a["to"], a["vector_norm"], a["test_windows_of_from_class"], a["from"], "; ".join(
            "x%g: distance to %s" % (r["strength"], ", ".join("%s %.3f" % kv for kv in r["pitch_class_distance"].items()))
            for r in a["shifted"])))
    paths = load(results, os.path.join(folder, "paths.json"))
    if paths:
        lines.append("- interpolation between test windows %s and %s (latent distance %.2f); long piece: %s." % (
            paths["pair"]["a"], paths["pair"]["b"], paths["pair"]["latent_distance"], paths["long_piece"]))
    return "\n".join(lines)


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default="results")
    parser.add_argument("--file", default="REPRODUCE.md")
    args = parser.parse_args()
    with open(args.file) as f:
        text = f.read()
    for name, body in blocks(args.results).items():
        pattern = re.compile(r"(<!-- generated:%s -->\n).*?(<!-- /generated:%s -->)" % (name, name), re.S)
        text, n = pattern.subn(lambda m: m.group(1) + body + "\n" + m.group(2), text)
        if not n:
            print("no block %r in %s" % (name, args.file))
    tmp = args.file + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, args.file)
    print("updated", args.file)


if __name__ == "__main__":
    main()
