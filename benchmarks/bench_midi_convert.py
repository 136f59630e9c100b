"""MIDI file -> note-state matrix, songs per second: ours (chainer_vae.data.midi.read_notestate,
one pass over the file's bytes) vs music21.converter.parse + the same note extraction
(notestate.stream_to_notestate), interleaved file by file; then a cached rerun of the lute set.

    python benchmarks/bench_midi_convert.py          # >= 100 Bach works written to MIDI
    python benchmarks/bench_midi_convert.py --quick  # 3 lute files: checks it runs
    python benchmarks/bench_midi_convert.py --midi-dir .cache/bench_corpus_scale/s200/n100
        # any folder's first --n MIDI files (sorted, at any depth), e.g. bench_corpus_scale.py's
        # small (folk-song sized) generated songs

Then, for ours, where the time of converting one file for the corpus goes, stage by stage
(songcache._job's work plus the hashing _load_folder does), each stage interleaved file by file.

The corpus: the first 100 works of music21's Bach corpus written as MIDI once
(corpus.export_corpus_midi) into .cache/bench_bach_midi/ (gitignored), reused afterwards.
"""
import common

THREADS = common.setup_threads()

import glob  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

warnings.filterwarnings("ignore")

import chainer_vae  # noqa: E402,F401
import numpy as np  # noqa: E402

from chainer_vae.data.midi import corpus, notestate, smf  # noqa: E402

LUTE = os.path.join(os.path.dirname(common.ROOT), "shared", "data", "midi", "bach_lute")
CORPUS_DIR = os.path.join(common.ROOT, ".cache", "bench_bach_midi")
CACHED_RERUN = """
import sys, time
sys.path.insert(0, %r)
import chainer_vae
from chainer_vae.data.midi.corpus import load_midi_dataset
t = time.perf_counter()
load_midi_dataset(sys.argv[1], cache_dir=sys.argv[2], progress=False)
print(time.perf_counter() - t)
""" % common.ROOT


def via_music21(path):
    from music21 import converter
    score = converter.parse(path, format="midi", forceSource=True)
    return notestate.stream_to_notestate(score, path)[0]


def main(argv=None):
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=100, help="Bach corpus works to convert (default 100)")
    p.add_argument("--midi-dir", default="", help="take the first --n MIDI files of this folder instead")
    args = p.parse_args(argv)
    lute = sorted(glob.glob(os.path.join(LUTE, "*", "*.mid")))
    if args.quick:
        files, source = lute[:3], "3 lute files"
        if not files:
            print("no lute files beside this checkout; nothing to convert")
            return {"skipped": True}
    elif args.midi_dir:
        files = sorted(os.path.join(d, f) for d, _, fs in os.walk(args.midi_dir) for f in fs
                       if f.lower().endswith(corpus.MIDI_EXTENSIONS))[:args.n]
        source = "%d MIDI files of %s" % (len(files), args.midi_dir)
    else:
        print("writing the Bach corpus as MIDI to %s (once) ..." % CORPUS_DIR, flush=True)
        files = corpus.export_corpus_midi(CORPUS_DIR, args.n, progress=False)
        source = "%d music21 Bach corpus works written as MIDI" % len(files)
    repeats = args.repeats or 1
    print("MIDI conversion: %s (%.1f MB)" % (source, sum(os.path.getsize(f) for f in files) / 1e6))
    print(common.machine(THREADS))
    import music21  # noqa: F401  (both sides pay the import before timing)
    via_music21(files[0]), notestate.read_notestate(files[0])  # warm both code paths

    ours_t, peer_t, agree = [], [], []
    for r in range(repeats):
        for i, path in enumerate(files):
            pair = [("ours", notestate.read_notestate), ("peer", via_music21)]
            if (i + r) % 2:
                pair.reverse()
            got = {}
            for name, fn in pair:
                t = time.perf_counter()
                out = fn(path)
                (ours_t if name == "ours" else peer_t).append(time.perf_counter() - t)
                got[name] = out[0] if name == "ours" else out
            a, b = got["ours"], got["peer"]
            t_ = min(len(a), len(b))
            union = np.count_nonzero(a[:t_] | b[:t_])
            agree.append(np.count_nonzero(a[:t_] & b[:t_]) / union if union else 1.0)
    n = len(files) * repeats
    ours_s, peer_s = sum(ours_t), sum(peer_t)
    print("%-36s %8s %12s %14s" % ("implementation", "songs/s", "total s", "median ms/song"))
    print("%-36s %8.1f %12.2f %14.1f" % ("ours (read_notestate)", n / ours_s, ours_s, 1e3 * statistics.median(ours_t)))
    print("%-36s %8.1f %12.2f %14.1f" % ("music21.converter.parse + extract", n / peer_s, peer_s, 1e3 * statistics.median(peer_t)))
    speedup = peer_s / ours_s
    print("speed-up ours vs music21 parse (total time): %.1fx; goal >= 30x: %s"
          % (speedup, "met" if speedup >= 30 else "NOT met"))
    # Not bit-identical: converter.parse quantizes onsets/durations its own way (and may
    # see triplets); this is how much the two readings agree, cell by cell.
    print("agreement with music21's reading (ones in both / ones in either): median %.3f"
          % statistics.median(agree))

    result = {"speedup": speedup, "ours_songs_per_s": n / ours_s, "peer_songs_per_s": n / peer_s}
    result["stages"] = stages(files, repeats)
    if lute:
        with tempfile.TemporaryDirectory() as cache:
            t = time.perf_counter()
            corpus.load_midi_dataset(LUTE, cache_dir=cache, progress=False)
            cold = time.perf_counter() - t
            warm, procs = [], []
            for _ in range(3):  # a fresh process each time, as a rerun of a script would be
                t = time.perf_counter()
                out = subprocess.run([sys.executable, "-c", CACHED_RERUN, LUTE, cache],
                                     capture_output=True, text=True, check=True).stdout
                procs.append(time.perf_counter() - t)
                warm.append(float(out.split()[-1]))
        print("lute set (%d files) -> windows: first load %.2f s; cached rerun in a new process "
              "%.3f s (median of 3; %.2f s with Python start-up and imports); goal < 1 s: %s"
              % (len(lute), cold, statistics.median(warm), statistics.median(procs),
                 "met" if statistics.median(warm) < 1 else "NOT met"))
        result["lute_cached_s"] = statistics.median(warm)
    return result


def stages(files, repeats):
    """Median ms per file of each stage of converting one file for the corpus, interleaved."""
    import io
    import json
    from chainer_vae.data.midi import songcache
    from chainer_vae.data.midi.windows import pack

    with tempfile.TemporaryDirectory() as tmp:
        cache = songcache.SongCache(tmp)
        got, keys = {}, iter(range(10 ** 9))  # a fresh cache entry each time, as in a real build

        def read(f):
            got["data"] = songcache.read_capped(f, smf.MAX_FILE_BYTES)

        def scan(f):
            got["scan"] = smf.scan(got["data"], f)

        def job(f):  # what a pool worker does: read_notestate, pack, SongCache.save
            got["song"] = songcache._job(tmp, songcache.convert_midi, (f, "j%d" % next(keys)))[0]
        fns = {
            "read file": read,
            "sha256 key": lambda f: songcache.SongCache.key(got["data"], "midi"),
            "read_notestate (all)": notestate.read_notestate,
            "  of which _scan_midi (events)": scan,
            "pack": lambda f: pack(got["matrix"]),
            "SongCache.save (savez_compressed + atomic rename)": lambda f: cache.save("s%d" % next(keys), *got["song"]),
            "  np.savez_compressed to memory": lambda f: np.savez_compressed(
                io.BytesIO(), packed=got["song"][0], meta=json.dumps(got["song"][1])),
            "  np.savez to memory (uncompressed)": lambda f: np.savez(
                io.BytesIO(), packed=got["song"][0], meta=json.dumps(got["song"][1])),
            "SongCache.load (a hit)": lambda f: cache.load("s0"),
            "_job: a worker's whole conversion": job,
        }
        times = {k: [] for k in fns}
        for r in range(repeats):
            for i, f in enumerate(files):
                got["matrix"] = notestate.read_notestate(f)[0]
                got["song"] = songcache.convert_midi(f)
                order = list(fns) if (i + r) % 2 == 0 else list(reversed(list(fns)))
                order.remove("read file")
                for k in ["read file"] + order:  # the bytes first: the key and scan use them
                    t = time.perf_counter()
                    fns[k](f)
                    times[k].append(time.perf_counter() - t)
    print("ours, per file, by stage (interleaved; the mean includes the stalls of a loaded machine):")
    print("  %-52s %9s %9s" % ("stage", "median ms", "mean ms"))
    out = {}
    for k, ts in times.items():
        out[k] = 1e3 * statistics.median(ts)
        print("  %-52s %9.3f %9.3f" % (k, out[k], 1e3 * statistics.mean(ts)))
    return out


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
