"""Which of this project's configurations makes music a listener would call music?

Builds a folder from music21's own corpus (never the paper's data): the first --per-class Bach
chorales of each mode (sorted paths; the mode as notated, else analysed), written as MIDI into
.cache/music21_chorales/{major,minor}/ (gitignored, reused).  Then, for each configuration below,
trains it at a small size with experiments/fig5_midi_loss.py (whole songs held out: --split song)
and measures it with experiments/generate_music.py (every sampling setting of its --compare,
prior samples against the held-out windows), both into a scratch --out (.cache/music_configs/).
Writes results/music_configs.json and .md: per configuration its training cost, its test loss,
and the music statistics of its best sampling setting and of the authors' threshold 0.2;
`make report` puts the table in REPRODUCE.md and on the results page.

    python tools/music_configs.py                   # every configuration (about 20 minutes on 2 cores)
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

FOLDER = os.path.join(".cache", "music21_chorales")  # relative to the checkout: no machine path
SCRATCH = os.path.join(".cache", "music_configs")
# name -> (what it is, the flags it adds to the shared ones)
CONFIGS = {
    "mlp": ("the paper's MLP encoder and decoder", []),
    "mlp-anneal": ("the paper's MLPs, KL annealed over the first 5 epochs", ["--anneal-epochs", "5"]),
    "lstm-dec": ("MLP encoder, LSTM decoder (each step from z and the LSTM's state)", ["--decoder", "lstm"]),
    "lstm-dec-anneal": ("MLP encoder, LSTM decoder, KL annealed over 5 epochs",
                        ["--decoder", "lstm", "--anneal-epochs", "5"]),
    "lstm-lstm": ("LSTM encoder and decoder", ["--encoder", "lstm", "--decoder", "lstm"]),
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


def shared_flags(args):
    return ["--midi-dir", FOLDER, "--epochs", str(args.epochs), "--windows-per-song", str(args.windows_per_song),
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
    tag = os.path.basename(FOLDER)
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
    best = max(rows, key=lambda s: rows[s]["mean_overlap"])
    return {"name": name, "what": CONFIGS[name][0], "flags": " ".join(CONFIGS[name][1]),
            "run_id": fig5["run"]["run_id"], "test_loss": fig5["summary"]["final"]["test"]["loss"],
            "train_seconds": record.get("train_seconds", round(trained, 1)),
            "seconds_per_epoch": record.get("seconds_per_epoch_median"),
            "best_setting": best, "settings": rows,
            "reference_means": ref, "melody_floor": stats["melody_floor"],
            "data_description": stats["data_description"], "prior_samples": stats["prior_samples_per_setting"],
            "train_windows_vs_test": summarize(stats["train_windows_vs_test"])}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated configurations (default: all of %s)"
                        % ", ".join(CONFIGS))
    parser.add_argument("--per-class", type=int, default=24, help="chorales per mode (default 24)")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--windows-per-song", type=int, default=25)
    parser.add_argument("--results", default="results", help="where music_configs.{json,md} go")
    args = parser.parse_args(argv)
    names = [n for n in args.only.split(",") if n] or list(CONFIGS)
    unknown = [n for n in names if n not in CONFIGS]
    if unknown:
        parser.error("unknown configuration(s) %s; known: %s" % (", ".join(unknown), ", ".join(CONFIGS)))
    os.chdir(ROOT)
    counts = build_folder(FOLDER, args.per_class)
    from chainer_vae import files
    from chainer_vae.report.music_tables import configs_table
    from chainer_vae.train.runs import machine
    rows = []
    for name in names:
        rows.append(measure(name, args))
        print("%s: best %s, mean overlap %.3f, lowest %s %.3f" % (
            name, rows[-1]["best_setting"], rows[-1]["settings"][rows[-1]["best_setting"]]["mean_overlap"],
            rows[-1]["settings"][rows[-1]["best_setting"]]["lowest"],
            rows[-1]["settings"][rows[-1]["best_setting"]]["min_overlap"]), flush=True)
    result = {"title": "Configurations on a music21 chorale folder: what a listener hears",
              "command": "python tools/music_configs.py" + (" --only " + args.only if args.only else "") + (
                  "" if args.per_class == 24 else " --per-class %d" % args.per_class) + (
                  "" if args.epochs == 15 else " --epochs %d" % args.epochs) + (
                  "" if args.windows_per_song == 25 else " --windows-per-song %d" % args.windows_per_song),
              "folder": "music21's Bach chorales, the first %d of each mode (sorted corpus paths), as MIDI" % min(counts.values()),
              "epochs": args.epochs, "windows_per_song": args.windows_per_song, "split": "song",
              "machine": machine(), "goal": {"overlap": GOAL_OVERLAP, "factor": GOAL_FACTOR}, "configs": rows}
    os.makedirs(args.results, exist_ok=True)
    files.write_json(os.path.join(args.results, "music_configs.json"), result)
    with open(os.path.join(args.results, "music_configs.md"), "w") as f:
        f.write("# %s (generated by tools/music_configs.py)\n\n%s\n" % (result["title"], configs_table(result)))
    print("wrote %s" % os.path.join(args.results, "music_configs.{json,md}"))


if __name__ == "__main__":
    main()
