"""Which of this project's configurations makes music a listener would call music?

Builds a folder from music21's own corpus (never the paper's data), written as MIDI into .cache/
(gitignored, reused): --folder chorales (default), the first --per-class Bach chorales of each
mode (sorted paths; the mode as notated, else analysed) in .cache/music21_chorales/{major,minor}/;
--folder folk, the first --per-class reels, jigs and hornpipes of Ryan's Mammoth Collection
(melodies) in .cache/music21_folk/{reel,jig,hornpipe}/.  Then, for each configuration below,
trains it at a small size with experiments/fig5_midi_loss.py (whole songs held out: --split song)
and measures it with experiments/generate_music.py (every sampling setting of its --compare,
prior samples against the held-out windows), both into a scratch --out (.cache/music_configs/).
Writes results/music_configs.json and .md (folk: music_configs_folk.*): per configuration its
training cost, its test loss and KL, the music statistics of its best sampling setting and of
the authors' threshold 0.2, and how many of a window's notes its reconstruction keeps against a
prior sample (whether z carries the window); `make report` puts the tables in REPRODUCE.md and
on the results page.

    python tools/music_configs.py                   # every configuration on the chorales
    python tools/music_configs.py --folder folk --only mlp,lstm-dec,lstm-ar-drop
    python tools/music_configs.py --only mlp,lstm-dec --epochs 2   # a quick look
"""
import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

SCRATCH = os.path.join(".cache", "music_configs")
# name -> (what it is, the flags it adds to the shared ones)
CONFIGS = {
    "mlp": ("the paper's MLP encoder and decoder", []),
    "mlp-anneal": ("the paper's MLPs, KL annealed over the first 5 epochs", ["--anneal-epochs", "5"]),
    "lstm-dec": ("MLP encoder, LSTM decoder (each step from z and the LSTM's state)", ["--decoder", "lstm"]),
    "lstm-dec-anneal": ("MLP encoder, LSTM decoder, KL annealed over 5 epochs",
                        ["--decoder", "lstm", "--anneal-epochs", "5"]),
    "lstm-lstm": ("LSTM encoder and decoder", ["--encoder", "lstm", "--decoder", "lstm"]),
    # Beyond the paper: the decoder reads the previous step's notes (MusicVAE, Bowman et al. 2016).
    "lstm-ar": ("MLP encoder, autoregressive LSTM decoder (each step from z and the previous step's notes)",
                ["--decoder", "lstm-ar"]),
    "lstm-ar-drop": ("MLP encoder, autoregressive LSTM decoder, 30% of its previous steps hidden in training, "
                     "KL annealed over 5 epochs", ["--decoder", "lstm-ar", "--decoder-dropout", "0.3",
                                                  "--anneal-epochs", "5"]),
    # The autoregressive decoder's test loss was still falling fast after 15 epochs (30 updates an
    # epoch on the chorales): three times the epochs at twice the rate.
    "lstm-ar-drop-long": ("MLP encoder, autoregressive LSTM decoder, 30% of its previous steps hidden, KL annealed "
                          "over 10 epochs; 45 epochs at Adam 2e-3 (--preset melody)",
                          ["--decoder", "lstm-ar", "--decoder-dropout", "0.3", "--anneal-epochs", "10",
                           "--epochs", "45", "--lr-schedule", "", "--alpha", "2e-3"]),
    # Its test loss was still falling at epoch 45 (by ~4 nats an epoch): twice as long, the rate
    # lowered for the last 20 epochs.
    "lstm-ar-drop-90": ("lstm-ar-drop-long trained 90 epochs, Adam 2e-3 then 5e-4 from epoch 71",
                        ["--decoder", "lstm-ar", "--decoder-dropout", "0.3", "--anneal-epochs", "10",
                         "--epochs", "90", "--lr-schedule", "2e-3:70,5e-4"]),
}
GOAL_OVERLAP = 0.8   # a listener's goal: every statistic's overlap with the held-out data at least this
GOAL_FACTOR = 1.5    # and one-step notes and repeated bars within this factor of the data's


def build_folder(folder, per_class, progress=print):
    """The first ``per_class`` chorales of each mode music21 can write as MIDI; files there are
    kept (their mode is their folder).  Returns {mode: count}."""
    from music21 import converter
    from chainer_vae.data.midi.bach import _bach_corpus_paths, _mode_of
    from chainer_vae.files import atomic_path

    have = {m: sorted(os.listdir(os.path.join(folder, m))) if os.path.isdir(os.path.join(folder, m)) else []
            for m in ("major", "minor")}
    if all(len(v) >= per_class for v in have.values()):
        return {m: len(v) for m, v in have.items()}
    started = time.perf_counter()
    for path in _bach_corpus_paths():
        if all(len(v) >= per_class for v in have.values()):
            break
        name = os.path.splitext(os.path.basename(path))[0] + ".mid"
        if not name.startswith("bwv") or "-" in name or any(name in v for v in have.values()):
            continue  # chorales only (bwvNNN.N; bwv112.5-sc is another setting of bwv112.5: not both)
        try:
            score = converter.parse(path)
            mode = _mode_of(score)
            if mode not in have or len(have[mode]) >= per_class:
                continue
            os.makedirs(os.path.join(folder, mode), exist_ok=True)
            with atomic_path(os.path.join(folder, mode, name)) as tmp:
                score.write("midi", fp=tmp)
        except Exception as e:  # noqa: BLE001 - music21 raises many kinds on malformed works
            progress("skipped %s (%s)" % (os.path.basename(path), type(e).__name__))
            continue
        have[mode].append(name)
    progress("chorales: %s in %.0f s" % (", ".join("%d %s" % (len(v), m) for m, v in have.items()),
                                          time.perf_counter() - started))
    return {m: len(v) for m, v in have.items()}


FOLK_TYPES = ("reel", "jig", "hornpipe")  # the tune type ends the file's name (e.g. AcaciaReel.abc)


def build_folk_folder(folder, per_class, progress=print):
    """The first ``per_class`` tunes of each type (reel, jig, hornpipe: the end of the file's
    name) of music21's Ryan's Mammoth Collection (1883; abc, melody only) that music21 can write
    as MIDI; files there are kept (their type is their folder).  Returns {type: count}."""
    from music21 import converter, corpus, stream
    from chainer_vae.files import atomic_path

    have = {t: sorted(os.listdir(os.path.join(folder, t))) if os.path.isdir(os.path.join(folder, t)) else []
            for t in FOLK_TYPES}
    if all(len(v) >= per_class for v in have.values()):
        return {t: len(v) for t, v in have.items()}
    started = time.perf_counter()
    paths = sorted(str(p) for p in corpus.getPaths() if "ryansMammoth" in str(p))
    for path in paths:
        stem = os.path.splitext(os.path.basename(path))[0]
        kind = next((t for t in FOLK_TYPES if stem.lower().endswith(t)), None)
        if kind is None or len(have[kind]) >= per_class or stem + ".mid" in have[kind]:
            continue
        try:
            score = converter.parse(path)
            if isinstance(score, stream.Opus):  # a file of several settings: its first
                score = score.scores[0]
            os.makedirs(os.path.join(folder, kind), exist_ok=True)
            with atomic_path(os.path.join(folder, kind, stem + ".mid")) as tmp:
                score.write("midi", fp=tmp)
        except Exception as e:  # noqa: BLE001 - music21 raises many kinds on malformed tunes
            progress("skipped %s (%s)" % (os.path.basename(path), type(e).__name__))
            continue
        have[kind].append(stem + ".mid")
        if all(len(v) >= per_class for v in have.values()):
            break
    progress("folk tunes: %s in %.0f s" % (", ".join("%d %s" % (len(v), t) for t, v in have.items()),
                                            time.perf_counter() - started))
    return {t: len(v) for t, v in have.items()}


# --folder -> (the folder, its builder, its description, the results' stem, the default per class)
FOLDERS = {
    "chorales": (os.path.join(".cache", "music21_chorales"), build_folder,
                 "music21's Bach chorales, the first %d of each mode (sorted corpus paths), as MIDI",
                 "music_configs", 24),
    "folk": (os.path.join(".cache", "music21_folk"), build_folk_folder,
             "music21's Ryan's Mammoth Collection (1883, melodies), the first %d reels, jigs and hornpipes "
             "(sorted corpus paths; the type is the class), as MIDI", "music_configs_folk", 40),
}


def shared_flags(args):
    return ["--midi-dir", FOLDERS[args.folder][0], "--epochs", str(args.epochs), "--windows-per-song", str(args.windows_per_song),
            "--split", "song", "--out", SCRATCH, "--no-progress"]


def run(script, flags):
    cmd = [sys.executable, os.path.join("experiments", script)] + flags
    print("$ " + " ".join(cmd[1:]), flush=True)
    done = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if done.returncode:
        sys.exit("%s failed:\n%s" % (script, done.stdout[-3000:]))
    return done.stdout


def summarize(stats):
    """One sampling setting's prior samples: each feature's mean and overlap, and the goal."""
    from chainer_vae.music import stats as S
    f = stats["features"]
    out = {"mean_overlap": stats["mean_overlap"], "listener_overlap": stats["listener_overlap"],
           "min_overlap": min(v["overlap"] for v in f.values()),
           "lowest": min(f, key=lambda k: f[k]["overlap"]),
           "features": {k: {"mean": round(f[k]["mean"], 4), "overlap": f[k]["overlap"]} for k in S.SCALARS}}
    out["features"].update({k: {"overlap": f[k]["overlap"]} for k in ("pitch_classes", "note_lengths")})
    return out


def within(value, reference, factor=GOAL_FACTOR):
    """value within ``factor`` of reference (both 0: within)."""
    if reference == 0:
        return value == 0
    return reference / factor <= value <= reference * factor


def measure(name, args):
    flags = shared_flags(args) + CONFIGS[name][1] + ["--tag", name]
    started = time.perf_counter()
    run("fig5_midi_loss.py", flags)
    trained = time.perf_counter() - started
    run("generate_music.py", flags + ["--n-songs", "0", "--n-reconstructions", "0"])
    tag = os.path.basename(FOLDERS[args.folder][0])
    with open(os.path.join(ROOT, SCRATCH, "music_%s_%s" % (tag, name), "music_stats.json")) as f:
        stats = json.load(f)
    with open(os.path.join(ROOT, SCRATCH, "fig5_midi_loss_%s_%s.json" % (tag, name))) as f:
        fig5 = json.load(f)
    record_path = os.path.join(ROOT, SCRATCH, "records", "fig5_midi_loss_%s_%s.json" % (tag, name))
    record = json.load(open(record_path)) if os.path.exists(record_path) else {}
    ref = stats["reference_means"]
    rows = {r["setting"]: summarize(r["prior"]) for r in stats["settings"]}
    for row in rows.values():
        f = row["features"]
        row["goal"] = {"every_overlap_at_least_%g" % GOAL_OVERLAP: row["min_overlap"] >= GOAL_OVERLAP,
                       "one_step_within_%gx" % GOAL_FACTOR: within(f["one_step_fraction"]["mean"], ref["one_step_fraction"]),
                       "bar_repetition_within_%gx" % GOAL_FACTOR: within(f["bar_repetition"]["mean"], ref["bar_repetition"])}
    for r in stats["settings"]:  # whether z carries the window (generate_music.py), where measured
        if "notes_shared_with_original" in r:
            rows[r["setting"]]["notes_shared"] = r["notes_shared_with_original"]
    best = max(rows, key=lambda s: rows[s]["mean_overlap"])
    return {"name": name, "what": CONFIGS[name][0], "flags": " ".join(CONFIGS[name][1]),
            "run_id": fig5["run"]["run_id"], "test_loss": fig5["summary"]["final"]["test"]["loss"],
            "test_kl": fig5["summary"]["final"]["test"].get("kl_penalty"),
            "train_seconds": record.get("train_seconds", round(trained, 1)),
            "seconds_per_epoch": record.get("seconds_per_epoch_median"),
            "best_setting": best, "settings": rows,
            "reference_means": ref, "melody_floor": stats["melody_floor"],
            "data_description": stats["data_description"], "prior_samples": stats["prior_samples_per_setting"],
            "train_windows_vs_test": summarize(stats["train_windows_vs_test"])}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", default="chorales", choices=tuple(FOLDERS),
                        help="chorales (results/music_configs.*) or folk (results/music_configs_folk.*)")
    parser.add_argument("--only", default="", help="comma-separated configurations (default: all of %s); "
                        "the other configurations' rows are kept from the results JSON when it was measured on "
                        "the same folder, epochs and windows" % ", ".join(CONFIGS))
    parser.add_argument("--per-class", type=int, default=0, help="songs per class (default: 24 chorales per "
                        "mode, 40 folk tunes per type)")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--windows-per-song", type=int, default=25)
    parser.add_argument("--results", default="results", help="where music_configs[_folk].{json,md} go")
    parser.add_argument("--table-only", action="store_true", help="only write the .md again from the .json "
                        "(after a change to the table's columns); nothing is trained or measured")
    args = parser.parse_args(argv)
    folder, build, describe, stem, per_class = FOLDERS[args.folder]
    if args.table_only:
        with open(os.path.join(args.results, stem + ".json")) as f:
            result = json.load(f)
        write_table(args.results, stem, result)
        return
    args.per_class = args.per_class or per_class
    names = [n for n in args.only.split(",") if n] or list(CONFIGS)
    unknown = [n for n in names if n not in CONFIGS]
    if unknown:
        parser.error("unknown configuration(s) %s; known: %s" % (", ".join(unknown), ", ".join(CONFIGS)))
    os.chdir(ROOT)
    counts = build(folder, args.per_class)
    from chainer_vae import files
    from chainer_vae.train.runs import machine
    path = os.path.join(args.results, stem + ".json")
    description = describe % min(counts.values())
    kept = {}
    if os.path.exists(path):  # rows measured before on the same data and settings
        with open(path) as f:
            before = json.load(f)
        if (before.get("folder"), before.get("epochs"), before.get("windows_per_song")) == (
                description, args.epochs, args.windows_per_song):
            kept = {c["name"]: c for c in before["configs"]}
    rows = []
    for name in CONFIGS:
        if name not in names:
            if name in kept:
                rows.append(kept[name])
            continue
        rows.append(measure(name, args))
        print("%s: best %s, mean overlap %.3f, lowest %s %.3f" % (
            name, rows[-1]["best_setting"], rows[-1]["settings"][rows[-1]["best_setting"]]["mean_overlap"],
            rows[-1]["settings"][rows[-1]["best_setting"]]["lowest"],
            rows[-1]["settings"][rows[-1]["best_setting"]]["min_overlap"]), flush=True)
    flags = ("" if args.folder == "chorales" else " --folder " + args.folder) + (
        "" if args.per_class == per_class else " --per-class %d" % args.per_class) + (
        "" if args.epochs == 15 else " --epochs %d" % args.epochs) + (
        "" if args.windows_per_song == 25 else " --windows-per-song %d" % args.windows_per_song)
    result = {"title": "Configurations on a music21 %s folder: what a listener hears" % (
                  "chorale" if args.folder == "chorales" else "folk-tune"),
              # every row's: its configurations measured in one go or a few (--only), on this data
              "command": "python tools/music_configs.py" + flags,
              "folder": description, "epochs": args.epochs, "windows_per_song": args.windows_per_song,
              "split": "song", "machine": machine(), "goal": {"overlap": GOAL_OVERLAP, "factor": GOAL_FACTOR},
              "configs": rows}
    os.makedirs(args.results, exist_ok=True)
    files.write_json(path, result)
    write_table(args.results, stem, result)
    print("wrote %s" % path)


def write_table(results, stem, result):
    from chainer_vae.report.music_tables import configs_table
    with open(os.path.join(results, stem + ".md"), "w") as f:
        f.write("# %s (generated by tools/music_configs.py)\n\n%s\n" % (result["title"], configs_table(result)))
    print("wrote %s" % os.path.join(results, stem + ".md"))


if __name__ == "__main__":
    main()
