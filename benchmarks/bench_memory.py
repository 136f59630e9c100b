"""Peak memory (max RSS) of building the MIDI dataset and of training Fig. 5, each measured as a
child process (os.wait4's rusage), so nothing else in this process counts.

    python benchmarks/bench_memory.py           # lute set; Fig. 5 for 2 epochs
    python benchmarks/bench_memory.py --quick   # Fig. 5's --smoke run: checks it runs

For scale: the MIDI model's parameters are 96 MB (float32), Adam's two moments another 192 MB,
the gradients 96 MB; the 1,280 + 320 windows 25 MB as uint8.
"""
import common

import os  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402

LUTE = os.path.join(os.path.dirname(common.ROOT), "shared", "data", "midi", "bach_lute")

BUILD = """
import sys
sys.path.insert(0, %r)
import chainer_vae
from chainer_vae.data.midi.corpus import load_midi_dataset
d = load_midi_dataset(sys.argv[1] or None, cache_dir=sys.argv[2], progress=False)
print(d.train_x.shape, d.test_x.shape)
""" % common.ROOT


def main(argv=None):
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=2)
    args = p.parse_args(argv)
    midi_dir = LUTE if os.path.isdir(LUTE) else ""
    print("peak RSS, each step a child process; data: %s" % (midi_dir or "music21 Bach corpus"))
    print(common.cpu_model(), "%d cores" % os.cpu_count())
    result = {}
    with tempfile.TemporaryDirectory() as tmp:
        cache = os.path.join(tmp, "cache")
        for label in ("build MIDI dataset (convert, cold cache)", "build MIDI dataset (cached)"):
            rss, wall, _ = common.run_child([sys.executable, "-c", BUILD, midi_dir, cache])
            print("%-44s peak RSS %7.0f MB  (%.1f s)" % (label, rss, wall))
            result[label] = rss
        cmd = [sys.executable, os.path.join(common.ROOT, "experiments", "fig5_midi_loss.py"),
               "--out", os.path.join(tmp, "out"), "--no-progress"]
        if midi_dir:
            cmd += ["--midi-dir", midi_dir]
        cmd += ["--smoke", "--epochs", "1"] if args.quick else ["--epochs", str(args.epochs)]
        rss, wall, _ = common.run_child(cmd, env=dict(os.environ, CHAINER_VAE_CACHE=cache))
        label = "train Fig. 5 (%s)" % ("--smoke, 1 epoch" if args.quick else "%d epochs" % args.epochs)
        print("%-44s peak RSS %7.0f MB  (%.1f s)" % (label, rss, wall))
        result[label] = rss
    return result


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
