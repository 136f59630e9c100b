"""mido (1.3, installed with pretty_midi) against our MIDI byte reader (chainer_vae/data/midi/smf.py):
what each does with the fuzz test's hostile files (tests/test_midi_fuzz.py: seeded mutants of
valid files, odd divisions, whole-file oddities, stress files), and how fast each reads the lute
files: whether mido does the byte level as robustly and as fast as ours.

    python benchmarks/bench_mido.py          # all 301 hostile files, the 8 lute files best of 5
    python benchmarks/bench_mido.py --quick  # 20 hostile files, 1 round: checks it runs
"""
import common

import argparse  # noqa: E402
import collections  # noqa: E402
import glob  # noqa: E402
import io  # noqa: E402
import os  # noqa: E402
import pathlib  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

sys.path.insert(0, os.path.join(common.ROOT, "tests"))
import mido  # noqa: E402
import test_midi_fuzz  # noqa: E402

from chainer_vae.data.midi import smf  # noqa: E402
from chainer_vae.errors import DataError  # noqa: E402

HANG_SECONDS = 5


class _Hang(Exception):
    pass


def _alarm(*_):
    raise _Hang()


def ours(data, path):
    try:
        smf.scan(data, path)
        return "reads"
    except DataError:
        return "DataError"


def theirs(data):
    signal.alarm(HANG_SECONDS)
    try:
        mido.MidiFile(file=io.BytesIO(data))
        return "reads", None
    except _Hang:
        return "runs > %d s" % HANG_SECONDS, None
    except Exception as e:  # what mido raises on damaged bytes: any exception type
        return "raises", type(e).__name__
    finally:
        signal.alarm(0)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="20 hostile files, 1 round: checks it runs")
    args = p.parse_args()
    signal.signal(signal.SIGALRM, _alarm)
    with tempfile.TemporaryDirectory() as tmp:
        files = test_midi_fuzz.hostile_files(pathlib.Path(tmp))
        if args.quick:
            files = files[::max(1, len(files) // 20)][:20]
        both, raised, seconds = collections.Counter(), collections.Counter(), {"ours": 0.0, "mido": 0.0}
        for _, path in files:
            data = path.read_bytes()
            t = time.perf_counter()
            a = ours(data, str(path))
            seconds["ours"] += time.perf_counter() - t
            t = time.perf_counter()
            b, kind = theirs(data)
            seconds["mido"] += time.perf_counter() - t
            both[(a, b)] += 1
            raised[kind] += kind is not None
    print("hostile files: %d" % len(files))
    for (a, b), n in sorted(both.items()):
        print("  ours %-9s  mido %-10s  %4d files" % (a, b, n))
    print("mido's exception types: %s" % ", ".join("%s %d" % kv for kv in raised.most_common() if kv[0]))
    print("hostile files, total seconds: ours %.2f, mido %.2f" % (seconds["ours"], seconds["mido"]))
    lute = sorted(glob.glob(os.path.join(common.ROOT, "..", "shared", "data", "midi", "bach_lute", "*", "*.mid")))
    rounds = 1 if args.quick else 5
    for name, read in (("ours", lambda d, p: smf.scan(d, p)), ("mido", lambda d, p: mido.MidiFile(file=io.BytesIO(d)))):
        best = min(_timed(read, lute) for _ in range(rounds))
        print("lute, %d files, %s: %.1f ms (best of %d)" % (len(lute), name, 1000 * best, rounds))


def _timed(read, paths):
    t = time.perf_counter()
    for p in paths:
        with open(p, "rb") as f:
            read(f.read(), p)
    return time.perf_counter() - t


if __name__ == "__main__":
    main()
