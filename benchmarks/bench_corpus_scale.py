"""MIDI at scale: peak RSS and wall time of building the dataset and training on it, vs songs.

    python benchmarks/bench_corpus_scale.py                    # 100, 1,000, 3,000, 10,000 songs
    python benchmarks/bench_corpus_scale.py --sizes 100,1000   # some sizes
    python benchmarks/bench_corpus_scale.py --quick            # 16 songs from the lute files: checks it runs

The test folders (built once under .cache/bench_corpus_scale/, gitignored, reused by reruns):

* Seeds: the first music21 Bach corpus works (sorted paths) written as MIDI as
  ``corpus.export_corpus_midi`` writes them (``converter.parse(path).write("midi")``, same file
  names, a work music21 cannot write -- bwv277.krn, bad repeats -- skipped as there, but
  exported in a process pool), read back with ``midi.read_notestate``; the first ``--seeds``
  (default 200) of them with 100..2,000 sixteenth-note steps are kept (with 200: 128..1,088
  steps, mean 257 -- folk-song sized).  ``--quick`` uses the 8 lute files instead (no export).
* Song j of a folder is seed ``s = j % S`` (S seeds) in variant ``r = j // S``: its note-state
  matrix transposed by ``TRANSPOSE[r % 12]`` semitones (0, +1, -1, ..., -5, +6: both halves of the
  156 columns shifted; a note leaving the 24..101 range is dropped), written with
  ``midi.write_midi`` at the seed's tempo times ``TEMPO[r // 12]`` (1, 0.8, 1.25, 0.9, 1.1).  So
  every file has distinct bytes (each one is a cache miss and is converted) and the first 12 * S
  songs distinct note content; beyond that a song repeats an earlier one's notes at another
  written tempo (the same steps: tempo is metadata).  With 200 seeds: 100 songs = 100 seeds as
  written, 1,000 = 200 seeds x 5 transpositions, 3,000 = x 12 transpositions + 600 at tempo
  0.8, 10,000 = 12 transpositions x 4 tempos + 400 at the 5th.
* Classes: 4 sub-folders ``c0..c3``, song j in ``c{s % 4}``; a folder of N songs holds hard links
  to the first N songs of one pool of files.

For each N, each step a fresh child process (peak RSS from ``resource.getrusage``: the process
itself, and separately its largest child -- the conversion pool's workers are forked and share
its pages, so the two are not added):

(a) cold build: ``load_midi_dataset(folder, cache_dir=<empty>)`` -- wall time of that call;
(b) warm build: the same call again on the same cache;
(c) train: ``experiments/fig5_midi_loss.py --midi-dir folder --epochs 1 --windows-per-epoch 3200
    --no-progress`` (100 batches of the paper's model, then its one pass over the whole test
    set) on the warm cache: wall time of the whole process, peak RSS;
    Its peak is set by that test pass, which runs in batches of up to 4,096 windows
    (training.evaluate): about the same for any folder with >= 4,096 test windows (>= ~103
    songs); its time grows with the folder (0.2 x 200 windows a song), so ``--train-sizes``
    picks the sizes trained (the test pass of 3,000 songs is 120,000 windows);
(d) bytes held per song: the packed songs' bytes / songs (before: 200 stored 100x156 windows,
    3.12 MB a song).

"Before" (``--before-sizes``, default 100 and 1,000: the old code needs ~6.3 GB at 1,000 songs
and would need > 20 GB at 3,000): the last commit whose corpus stored dense windows
(``--before``, default a4593c1^), extracted with ``git archive`` into a temp folder, its
``load_midi_dataset`` run the same way on an empty cache.

Every row prints the 1-minute load average before its steps: the machine may be shared, so
wall times are load-dependent; peak RSS and bytes per song are not.
"""
import common

import argparse  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

LUTE = os.path.join(os.path.dirname(common.ROOT), "shared", "data", "midi", "bach_lute")
ROOT_CACHE = os.path.join(common.ROOT, ".cache", "bench_corpus_scale")
TRANSPOSE = (0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6)
TEMPO = (1.0, 0.8, 1.25, 0.9, 1.1)
N_CLASSES = 4
MIN_STEPS, MAX_STEPS = 100, 2000
BEFORE = "a4593c1^"  # parent of "MIDI songs held once, bit-packed": the last dense-window corpus
OLD_BYTES_PER_SONG = 200 * 100 * 156  # 3.12 MB
LAST = os.path.join(ROOT_CACHE, "last_run.json")

BUILD = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[3])
import chainer_vae
try:
    from chainer_vae.data.midi.corpus import load_midi_dataset
except ImportError:  # an old commit (--before), from before the grouped layout
    from chainer_vae.data.corpus import load_midi_dataset
t = time.perf_counter()
d = load_midi_dataset(sys.argv[1], cache_dir=sys.argv[2], progress=False)
seconds = time.perf_counter() - t
x = d.train_x
held = x.packed.nbytes if hasattr(x, "packed") else d.train_x.nbytes + d.test_x.nbytes
print("RESULT " + json.dumps({
    "seconds": seconds, "songs": len(d.songs), "held_bytes": int(held),
    "steps": int(sum(s["n_steps"] for s in d.songs)), "windows": len(d.train_x) + len(d.test_x),
    "self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    "children_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0,
    "summary": d.report[-1]}))
"""


def build(folder, cache, root=common.ROOT):
    _, wall, out = common.run_child([sys.executable, "-c", BUILD, folder, cache, root])
    line = [x for x in out.splitlines() if x.startswith("RESULT ")][-1]
    return dict(json.loads(line[len("RESULT "):]), process_s=wall)


# ----------------------------------------------------------------------------- test folders
def seed_songs(n_seeds, quick):
    """[(name, (T, 156) matrix, tempo)] of the seeds, in order."""
    from chainer_vae.data.midi import bach, corpus, notestate as midi
    if quick:
        import glob
        paths = sorted(glob.glob(os.path.join(LUTE, "*", "*.mid")))
        if not paths:
            raise SystemExit("no lute files beside this checkout for --quick")
    else:
        seed_dir = os.path.join(ROOT_CACHE, "seeds")
        want, usable = n_seeds + n_seeds // 5 + 10, []
        works = bach._bach_corpus_paths()
        while True:  # export more works until enough have a usable length
            paths = export(seed_dir, works[:want])
            usable = [p for p in paths if MIN_STEPS <= _steps(p) <= MAX_STEPS]
            if len(usable) >= n_seeds or want >= len(works):
                break
            want *= 2
        paths = usable
    out = []
    for p in paths:
        matrix, info = midi.read_notestate(p)
        if quick or MIN_STEPS <= len(matrix) <= MAX_STEPS:
            out.append((os.path.splitext(os.path.basename(p))[0], matrix, info.tempo_bpm))
    return out[:n_seeds]


def _export_one(args):
    from chainer_vae.data.midi.bach import write_work_midi
    return write_work_midi(*args)


def export(seed_dir, works):
    """corpus.export_corpus_midi's files (same names, same music21 write, the works music21 cannot
    write skipped), exported in a process pool, once."""
    os.makedirs(seed_dir, exist_ok=True)
    outs = [os.path.join(seed_dir, os.path.splitext(os.path.basename(p))[0] + ".mid") for p in works]
    todo = [(p, o) for p, o in zip(works, outs) if not os.path.exists(o)]
    if todo:
        print("exporting %d music21 Bach corpus works to %s ..." % (len(todo), seed_dir), flush=True)
        with multiprocessing.get_context("fork").Pool(os.cpu_count()) as pool:
            for why in pool.imap(_export_one, todo, chunksize=4):
                if why:
                    print("  not exported: " + why)
    return [o for o in outs if os.path.exists(o)]


def _steps(path):
    from chainer_vae.data.midi import notestate as midi
    try:
        return midi.read_notestate(path)[1].n_steps
    except Exception:  # noqa: BLE001 - an unreadable export is just not a seed
        return 0


def transpose(matrix, t):
    import numpy as np
    from chainer_vae.data.midi.notestate import N_PITCHES
    out = np.zeros_like(matrix)
    for half in (0, N_PITCHES):
        src = matrix[:, half:half + N_PITCHES]
        dst = out[:, half:half + N_PITCHES]
        if t >= 0:
            dst[:, t:] = src[:, :N_PITCHES - t]
        else:
            dst[:, :t] = src[:, -t:]
    return out


def song_path(pool, j, seeds):
    s, r = j % len(seeds), j // len(seeds)
    name = "%05d_%s_t%+d_q%g.mid" % (j, seeds[s][0], TRANSPOSE[r % 12], TEMPO[r // 12])
    return os.path.join(pool, "c%d" % (s % N_CLASSES), name)


_SEEDS = None


def _write(args):
    from chainer_vae.data.midi import notestate as midi
    pool, j = args
    seeds = _SEEDS
    s, r = j % len(seeds), j // len(seeds)
    _, matrix, tempo = seeds[s]
    path = song_path(pool, j, seeds)
    midi.write_midi(transpose(matrix, TRANSPOSE[r % 12]), path, tempo_bpm=tempo * TEMPO[r // 12])
    return path


def make_folders(sizes, n_seeds, quick):
    """{N: folder of N songs}: hard links into one pool of generated files (written once)."""
    global _SEEDS
    _SEEDS = seeds = seed_songs(n_seeds, quick)
    most = max(sizes)
    if most > len(seeds) * len(TRANSPOSE) * len(TEMPO):
        raise SystemExit("%d songs need more than %d seeds x %d variants" % (most, len(seeds), 60))
    base = os.path.join(ROOT_CACHE, "quick" if quick else "s%d" % len(seeds))
    pool = os.path.join(base, "pool")
    for k in range(N_CLASSES):
        os.makedirs(os.path.join(pool, "c%d" % k), exist_ok=True)
    todo = [(pool, j) for j in range(most) if not os.path.exists(song_path(pool, j, seeds))]
    if todo:
        print("writing %d generated songs to %s ..." % (len(todo), pool), flush=True)
        t = time.perf_counter()
        with multiprocessing.get_context("fork").Pool(os.cpu_count()) as p:
            p.map(_write, todo, chunksize=16)
        print("  (%.0f s)" % (time.perf_counter() - t), flush=True)
    folders = {}
    for n in sizes:
        folder = os.path.join(base, "n%d" % n)
        for j in range(n):
            src = song_path(pool, j, seeds)
            dst = os.path.join(folder, os.path.relpath(src, pool))
            if not os.path.exists(dst):
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                try:
                    os.link(src, dst)
                except OSError:
                    import shutil
                    shutil.copyfile(src, dst)
        folders[n] = folder
    return folders, seeds


def before_checkout(rev, tmp):
    """The old code's chainer_vae package, extracted (git archive) into tmp; None if no git."""
    dest = os.path.join(tmp, "before")
    os.makedirs(dest)
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", rev], cwd=common.ROOT, check=True,
                             capture_output=True, text=True).stdout.strip()
        arch = subprocess.run(["git", "archive", rev, "chainer_vae"], cwd=common.ROOT, check=True,
                              capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", dest], input=arch, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print("before: skipped (cannot extract %s: %s)" % (rev, e))
        return None, None
    return dest, sha


# ----------------------------------------------------------------------------- main
def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="16 songs from the lute files: checks it runs")
    p.add_argument("--sizes", default="100,1000,3000,10000", help="songs per test folder")
    p.add_argument("--before-sizes", default="100,1000", help="sizes also built by the old code ('' none)")
    p.add_argument("--before", default=BEFORE, help="git revision of the old code (default %(default)s)")
    p.add_argument("--train-sizes", default=None, help="sizes also trained on (default: all)")
    p.add_argument("--seeds", type=int, default=200, help="Bach corpus works as seeds (default 200)")
    p.add_argument("--windows-per-epoch", type=int, default=3200, help="windows trained on (default 3200)")
    p.add_argument("--report", action="store_true", help="print the last full run's table again (%s)" % LAST)
    args = p.parse_args(argv)
    if args.report:
        with open(LAST) as f:
            last = json.load(f)
        print(table(last["rows"], last["before"], last["wpe"]) + "\n")
        verdicts(last["rows"])
        return last["rows"]
    ints = lambda s: [int(x) for x in s.split(",") if x.strip()]  # noqa: E731
    if args.quick:
        sizes, before_sizes, train_sizes, n_seeds, wpe = [16], [16], [16], 8, 64
    else:
        sizes, before_sizes, n_seeds, wpe = ints(args.sizes), ints(args.before_sizes), args.seeds, args.windows_per_epoch
        train_sizes = sizes if args.train_sizes is None else ints(args.train_sizes)
    folders, seeds = make_folders(sizes, n_seeds, args.quick)
    print("MIDI at scale; seeds: %d %s (mean %.0f steps); %s, %d cores" % (
        len(seeds), "lute files" if args.quick else "music21 Bach corpus works",
        sum(len(m) for _, m, _ in seeds) / len(seeds), common.cpu_model(), os.cpu_count()))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        old_root, old_sha = before_checkout(args.before, tmp) if before_sizes else (None, None)
        for n in sizes:
            row = {"n": n, "load": os.getloadavg()[0]}
            cache_base = os.path.join(tmp, "cache%d" % n)
            cache = os.path.join(cache_base, "notestate")
            row["cold"] = build(folders[n], cache)
            row["warm"] = build(folders[n], cache)
            print("%6d songs  cold %s" % (n, _fmt(row["cold"])), flush=True)
            print("%6d songs  warm %s" % (n, _fmt(row["warm"])), flush=True)
            if n in train_sizes:
                cmd = [sys.executable, os.path.join(common.ROOT, "experiments", "fig5_midi_loss.py"),
                       "--midi-dir", folders[n], "--epochs", "1", "--windows-per-epoch", str(wpe),
                       "--no-progress", "--out", os.path.join(tmp, "out%d" % n)]
                rss, wall, out = common.run_child(cmd, env=dict(os.environ, CHAINER_VAE_CACHE=cache_base))
                epoch = [x for x in out.splitlines() if x.lstrip().startswith("epoch")]
                row["train"] = {"mb": rss, "s": wall, "epoch": epoch[-1].strip() if epoch else ""}
                print("%6d songs  train %.0f MB, %.1f s; %s" % (n, rss, wall, row["train"]["epoch"]), flush=True)
            if old_root and n in before_sizes:
                row["before"] = build(folders[n], os.path.join(tmp, "old%d" % n), old_root)
                print("%6d songs  before (%s) %s" % (n, old_sha, _fmt(row["before"])), flush=True)
            rows.append(row)
    if not args.quick:
        with open(LAST, "w") as f:
            json.dump({"rows": rows, "before": old_sha, "wpe": wpe}, f)
    print()
    print(table(rows, old_sha, wpe))
    print()
    verdicts(rows)
    return rows


def _fmt(r):
    return "%.2f s, peak RSS %.0f MB (largest worker %.0f MB), %d songs, %.0f bytes/song" % (
        r["seconds"], r["self_mb"], r["children_mb"], r["songs"], r["held_bytes"] / max(r["songs"], 1))


def table(rows, old_sha, wpe):
    head = ["songs", "steps/song", "cold build", "cold peak RSS (largest worker)", "warm build",
            "warm peak RSS", "train %d batches: wall, peak RSS" % (wpe // 32), "held/song",
            "before (%s): cold build, peak RSS, held/song" % (old_sha or "old code"), "load 1 min"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for r in rows:
        c, w = r["cold"], r["warm"]
        tr = r.get("train")
        b = r.get("before")
        lines.append("| " + " | ".join([
            "{:,}".format(r["n"]), "%.0f" % (c["steps"] / c["songs"]),
            "%.1f s (%.0f songs/s)" % (c["seconds"], c["songs"] / c["seconds"]),
            "%.0f MB (%.0f MB)" % (c["self_mb"], c["children_mb"]),
            "%.2f s" % w["seconds"], "%.0f MB" % w["self_mb"],
            "%.0f s, %.0f MB" % (tr["s"], tr["mb"]) if tr else "-",
            "%.1f KB" % (c["held_bytes"] / c["songs"] / 1e3),
            "%.1f s, %.0f MB, %.2f MB" % (b["seconds"], max(b["self_mb"], b["children_mb"]),
                                         b["held_bytes"] / b["songs"] / 1e6) if b else "-",
            "%.1f" % r["load"]]) + " |")
    return "\n".join(lines)


def verdicts(rows):
    trained = [r for r in rows if r.get("train")]
    for r in rows:
        if r["n"] != 3000:
            continue
        c, w, tr = r["cold"], r["warm"], r.get("train")
        build = max(c["self_mb"], w["self_mb"])
        if tr:
            peak, how = max(build, tr["mb"]), "%.0f MB" % max(build, tr["mb"])
        elif trained:  # the train peak is set by the test pass's 4,096-window batches, not by N
            t = max(trained, key=lambda x: x["train"]["mb"])
            peak = max(build, t["train"]["mb"])
            how = "build %.0f MB; train not run at 3,000, at {:,} songs it peaked at %.0f MB".format(
                t["n"]) % (build, t["train"]["mb"])
        else:
            peak, how = build, "%.0f MB (build only; train not measured)" % build
        print("goal, 3,000 songs: peak RSS to build and train <= 1 GB: %s -> %s" % (
            how, "met" if peak <= 1024 else "NOT met"))
        print("goal: <= 30 KB held per song: %.1f KB -> %s" % (
            c["held_bytes"] / c["songs"] / 1e3, "met" if c["held_bytes"] / c["songs"] <= 30e3 else "NOT met"))
        print("goal: cold build of 3,000 songs <= 30 s on %d cores: %.1f s -> %s" % (
            os.cpu_count(), c["seconds"], "met" if c["seconds"] <= 30 else "NOT met"))
        print("goal: warm rebuild <= 5 s: %.2f s -> %s" % (w["seconds"], "met" if w["seconds"] <= 5 else "NOT met"))


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
