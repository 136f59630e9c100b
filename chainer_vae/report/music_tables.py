"""REPRODUCE.md's music blocks (and the results page's): the statistics of generated music
under each sampling setting, and the class styles and attribute vector."""
import os

from chainer_vae.outputs import load_result as load


def music_blocks(results):
    out = {}
    music = [(t, load(results, os.path.join(d, "music_stats.json")), d) for t, d in (
        ("lute", "music_bach_lute"), ("music21 Bach (default data)", "music"))]
    music = [(t, s, d) for t, s, d in music if s]
    if music:
        out["music_stats"] = "\n\n".join(music_table(t, s) for t, s, _ in music)
    steer = [(t, d) for t, d in (("lute", "music_bach_lute"), ("music21 Bach (default data)", "music"))
             if load(results, os.path.join(d, "genres.json"))]
    if steer:
        out["music_steer"] = "\n\n".join(steer_lines(t, results, d) for t, d in steer)
    for stem in ("music_configs", "music_configs_folk"):  # tools/music_configs.py (--folder folk)
        configs = load(results, stem + ".json")
        if configs:
            out[stem] = configs_table(configs)
    return out


MUSIC_COLUMNS = (("notes_per_bar", "notes / bar", "%.1f"), ("polyphony", "polyphony", "%.2f"),
                 ("pitch_range", "pitch range", "%.1f"), ("empty_fraction", "empty steps", "%.2f"),
                 ("mean_note_length", "note length (steps)", "%.2f"), ("pc_distance", "PC distance", "%.2f"))
# What a listener hears (music/stats.py), in music_stats.json written since: a JSON from before has none.
LISTENER_COLUMNS = (("one_step_fraction", "one-step notes", "%.2f"), ("bar_repetition", "repeated bars", "%.2f"),
                    ("top_leap_fraction", "top-voice leaps > 7", "%.2f"),
                    ("melody_coverage", "melody steps", "%.2f"))


def music_table(title, s):
    """Means of each feature for prior samples under each sampling setting, and the overlaps; then,
    where the JSON has them, the listener's features with each one's overlap."""
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
        lines.append("| %s | %s | %.3f | %.3f |" % (_name(s, row), " | ".join(f % feats[k]["mean"] for k, _, f in MUSIC_COLUMNS),
                                                    row["prior"]["mean_overlap"], row["reconstruction"]["mean_overlap"]))
    best = max(s["settings"], key=lambda r: r["reconstruction"]["mean_overlap"])
    lines += ["", "Closest to the real windows: prior samples with **%s** (mean overlap %.3f), reconstructions with "
              "%s (%.3f)." % (s["recommended_for_prior_samples"], max(r["prior"]["mean_overlap"] for r in s["settings"]),
                               best["setting"], best["reconstruction"]["mean_overlap"])]
    if all(k in ref for k, _, _ in LISTENER_COLUMNS):
        lines += ["", listener_table(title, s)]
    return "\n".join(lines)


def _name(s, row):
    name = row["setting"] + (" (authors')" if row["setting"] == "threshold=0.2" else "")
    return "**%s**" % name if row["setting"] == s["recommended_for_prior_samples"] else name


def listener_table(title, s):
    """The listener's four features: each one's mean and, in brackets, the overlap of its
    distribution with the test windows' (prior samples; reconstructions in the last column)."""
    lines = ["%s, what a listener hears (melody steps: a note at or above MIDI %d, the test windows' median "
             "sounding pitch; in brackets each feature's overlap with the test windows):" % (title, s["melody_floor"]),
             "", "| %s: windows | %s | listener overlap, prior samples | listener overlap, reconstructions |" % (
                 title, " | ".join(c[1] for c in LISTENER_COLUMNS)), "|" + "---|" * (len(LISTENER_COLUMNS) + 3)]
    ref = s["reference_means"]
    lines.append("| real test windows (reference) | %s | 1 | 1 |" % " | ".join(f % ref[k] for k, _, f in LISTENER_COLUMNS))
    cells = lambda c: " | ".join(("%s (%.2f)" % (f, c["features"][k]["overlap"])) % c["features"][k]["mean"]  # noqa: E731
                                 for k, _, f in LISTENER_COLUMNS)
    tr = s["train_windows_vs_test"]
    lines.append("| real train windows | %s | %.3f | |" % (cells(tr), tr["listener_overlap"]))
    for row in s["settings"]:
        lines.append("| %s | %s | %.3f | %.3f |" % (_name(s, row), cells(row["prior"]), row["prior"]["listener_overlap"],
                                                    row["reconstruction"]["listener_overlap"]))
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


def configs_table(r):
    """tools/music_configs.py's result: per configuration, its best sampling setting (the highest
    mean overlap of prior samples) and the authors' threshold 0.2, with the listener's features
    (mean, and in brackets the overlap with the held-out windows), the lowest overlap of all twelve
    statistics, the goal the result records (its "goal"), the training cost, and whether z carries the
    window: the test KL, and the notes a reconstruction shares with its window (F1) beside a prior
    sample's (rows measured before these existed show a dash)."""
    goal = r["goal"]
    # How many notes and how many at once, beside the listener's four: an overlap can be high
    # while the mean is far off (REPRODUCE.md, under the table).
    cols = LISTENER_COLUMNS + MUSIC_COLUMNS[:2]
    lines = ["%s; %d epochs, %d windows a song, whole songs held out (--split %s); prior samples against the "
             "held-out windows (melody steps: a note at or above their median sounding pitch). Goal: "
             "every statistic's overlap >= %g, one-step notes and repeated bars within %gx of the data's. "
             "`%s` on %s." % (r["folder"], r["epochs"], r["windows_per_song"], r["split"], goal["overlap"],
                              goal["factor"], r["command"], r["machine"]), ""]
    if r["configs"]:
        c0 = r["configs"][0]
        lines[0] = "%s (%s). " % (r["folder"], c0["data_description"]) + lines[0][len(r["folder"]) + 2:]
    lines += ["| configuration | sampling | %s | lowest overlap | mean overlap | goal met | test loss | training "
              "| z in use: test KL; notes kept (F1), rebuilt / prior |" % (
        " | ".join(c[1] for c in cols)), "|" + "---|" * (len(cols) + 8)]
    if r["configs"]:
        ref = r["configs"][0]["reference_means"]
        # "—", never an empty cell inside a row: the page test splits rows on " | ".
        lines.append("| held-out windows (reference) | — | %s | 1 | 1 | — | — | — | — |" % " | ".join(f % ref[k] for k, _, f in cols))
        tr = r["configs"][0]["train_windows_vs_test"]
        lines.append("| training windows | — | %s | %.2f (%s) | %.3f | — | — | — | — |" % (
            " | ".join(("%s (%.2f)" % (f, tr["features"][k]["overlap"])) % tr["features"][k]["mean"] for k, _, f in cols),
            tr["min_overlap"], tr["lowest"].replace("_", " "), tr["mean_overlap"]))
    for c in r["configs"]:
        shown = [c["best_setting"]] + [s for s in ("threshold=0.2",) if s != c["best_setting"] and s in c["settings"]]
        for i, name in enumerate(shown):
            s = c["settings"][name]
            unmet = [k for k, ok in s["goal"].items() if not ok]
            kept = s.get("notes_shared")  # F1 with the original: z carries the window when recon > prior
            lines.append("| %s | %s | %s | %.2f (%s) | %.3f | %s | %s | %s | %s |" % (
                # a cell bold whole or not at all: the page's text splits at <strong>
                "**%s (%s)**" % (c["name"], c["what"]) if i == 0 else c["name"],
                "%s (best)" % name if i == 0 else name,
                " | ".join(("%s (%.2f)" % (f, s["features"][k]["overlap"])) % s["features"][k]["mean"] for k, _, f in cols),
                s["min_overlap"], s["lowest"].replace("_", " "), s["mean_overlap"],
                "yes" if not unmet else "no (%d of 3 unmet)" % len(unmet),
                "%.1f" % c["test_loss"] if i == 0 else "—",
                "%.0f s (%.1f s/epoch)" % (c["train_seconds"], c["seconds_per_epoch"] or 0) if i == 0 else "—",
                "; ".join(([("%.1f" % c["test_kl"]) if i == 0 and c.get("test_kl") is not None else "—"]) + (
                    ["%.2f / %.2f" % (kept["reconstruction_f1"], kept["prior_sample_f1"])] if kept else ["—"]))))
    met = [c["name"] for c in r["configs"] if any(not [k for k, ok in s["goal"].items() if not ok]
                                                    for s in c["settings"].values())]
    best = max(r["configs"], key=lambda c: c["settings"][c["best_setting"]]["mean_overlap"], default=None)
    if best:
        b = best["settings"][best["best_setting"]]
        lines += ["", "Highest mean overlap: %s at %s (%.3f; lowest %s %.2f). Goal met by %s." % (
            best["name"], best["best_setting"], b["mean_overlap"], b["lowest"].replace("_", " "), b["min_overlap"],
            ", ".join("%s (some setting)" % m for m in met) if met else "no configuration at any sampling setting")]
    return "\n".join(lines)
