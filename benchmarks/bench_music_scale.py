"""Every music script on a big MIDI folder: peak RSS and wall time at 100, 1,000 and 3,000 songs.

    python benchmarks/bench_music_scale.py                        # 100, 1,000 and 3,000 songs
    python benchmarks/bench_music_scale.py --sizes 1000           # one size
    python benchmarks/bench_music_scale.py --quick                # 16 songs from the lute files, the
                                                                  # first two scripts: checks it runs

The folders are bench_corpus_scale.py's (music21 Bach seeds, transposed and re-tempoed, in 4
classes; built once under .cache/bench_corpus_scale/).  For each size, each script runs in a
fresh child process on one warm song cache and one --out folder, in the order below, with the
options a user of a big folder passes (README: Big MIDI folders):

    --epochs 1 --windows-per-epoch W --test-windows W --no-progress      (W = --windows, 2,000)

so the first script (fig5_midi_loss.py) trains the run, and generate_music.py, music_paths.py,
music_encode.py and music_genres.py reuse it; architectures.py (--data midi --pairs mlp/mlp) and
kl_anneal.py (--data midi) train their own runs (an annealed one; the no-anneal run is Fig. 5's).
Each trained run evaluates every test window once after its last epoch, so its wall time grows
with the folder.  Peak RSS is the child's own (common.run_child); the 1-minute load average is
printed before each size: wall times are load-dependent, peak RSS is not.
"""
import common

import argparse  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402

import bench_corpus_scale  # noqa: E402

SCRIPTS = (  # (script, its own options), in the order they run on one --out folder
    ("fig5_midi_loss.py", []),
    ("generate_music.py", []),
    ("music_paths.py", []),
    ("music_encode.py", []),
    ("music_genres.py", []),
    ("architectures.py", ["--data", "midi", "--pairs", "mlp/mlp"]),
    ("kl_anneal.py", ["--data", "midi"]),
)


def run_scripts(folder, out, windows, scripts):
    common_args = ["--midi-dir", folder, "--out", out, "--epochs", "1", "--no-progress",
                   "--windows-per-epoch", str(windows), "--test-windows", str(windows)]
    rows = []
    for name, extra in scripts:
        cmd = [sys.executable, os.path.join(common.ROOT, "experiments", name)] + common_args + extra
        peak, wall, _ = common.run_child(cmd)
        rows.append({"script": name, "peak_rss_mb": peak, "seconds": wall})
        print("  %-20s peak %6.0f MB  %7.1f s" % (name, peak, wall), flush=True)
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="the 8 lute files, 64 windows: checks it runs")
    p.add_argument("--sizes", default="100,1000,3000", help="songs per test folder (default %(default)s)")
    p.add_argument("--windows", type=int, default=2000, help="--windows-per-epoch and --test-windows")
    p.add_argument("--seeds", type=int, default=200, help="Bach corpus works as seeds (default 200)")
    args = p.parse_args(argv)
    sizes = [16] if args.quick else [int(n) for n in args.sizes.split(",") if n]
    windows = 64 if args.quick else args.windows
    scripts = SCRIPTS[:2] if args.quick else SCRIPTS
    folders, _ = bench_corpus_scale.make_folders(sizes, args.seeds, args.quick)
    print("%s\nevery script with --epochs 1 --windows-per-epoch %d --test-windows %d\n" % (
        common.machine(int(os.environ.get("OPENBLAS_NUM_THREADS", "1"))), windows, windows))
    table = []
    for n in sizes:
        print("%d songs (load %.1f):" % (n, os.getloadavg()[0]), flush=True)
        with tempfile.TemporaryDirectory() as out:
            table += [dict(r, songs=n) for r in run_scripts(folders[n], out, windows, scripts)]
    print("\n| script | " + " | ".join("%d songs: peak RSS, wall" % n for n in sizes) + " |")
    print("|---|" + "---|" * len(sizes))
    for name, _ in scripts:
        cells = ["%.0f MB, %.0f s" % (r["peak_rss_mb"], r["seconds"]) for r in table if r["script"] == name]
        print("| `%s` | %s |" % (name, " | ".join(cells)))
    worst = max(r["peak_rss_mb"] for r in table)
    print("\nlargest peak: %.0f MB (goal: <= 2,048 MB)" % worst)


if __name__ == "__main__":
    main()
