"""Measure MIDI files against a MIDI folder's held-out windows: the music statistics of
chainer_vae/music/stats.py (what a listener hears among them), no model needed.

For pieces already written (the committed prior samples, a piece from elsewhere) without
regenerating them: each file is read as the training data is, cut into windows of 100 steps
(a shorter piece, or its last part, padded with rests: a written sample's trailing rests are not
in its MIDI file), and compared with the folder's test windows (the same split and seed as the
scripts' defaults) by each feature's mean and overlapping area.  Prints a table; --json writes it.

    python tools/measure_music.py --midi-dir ../shared/data/midi/bach_lute results/music_bach_lute/sample_0*.mid
"""
import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

WINDOW = 100  # steps: the scripts' windows


def windows_of(matrix, steps=WINDOW):
    """A (T, 156) song -> (ceil(T / steps), steps, 156) consecutive windows, the last padded."""
    n = max(1, -(-len(matrix) // steps))
    out = np.zeros((n * steps, matrix.shape[1]), np.uint8)
    out[:len(matrix)] = matrix
    return out.reshape(n, steps, -1)


def measure(midi_dir, paths, seed=0, windows_per_song=200):
    from chainer_vae.data.midi import notestate as M
    from chainer_vae.data.midi.corpus import load_midi_dataset
    from chainer_vae.music import stats as S

    data = load_midi_dataset(midi_dir or None, windows_per_song=windows_per_song, split="window", seed=seed,
                             progress=False)
    reference = S.features(data.test_x)
    pieces = np.concatenate([windows_of(M.read_notestate(p)[0]) for p in paths])
    measured = S.features(pieces, reference["pitch_classes"], reference["melody_floor"])
    result = S.compare(measured, reference)
    return {"files": [os.path.basename(p) for p in paths], "windows": len(pieces),
            "reference": "%d test windows of %s" % (len(data.test_x), data.source),
            "melody_floor": reference["melody_floor"], **result}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", help=".mid files to measure")
    parser.add_argument("--midi-dir", default="", help="the folder whose test windows are the reference "
                        "(empty: music21's Bach, the scripts' default data)")
    parser.add_argument("--seed", type=int, default=0, help="the split's seed (the scripts' --seed)")
    parser.add_argument("--json", default="", help="also write the result here")
    args = parser.parse_args(argv)
    from chainer_vae.music import stats as S
    r = measure(args.midi_dir, args.files, args.seed)
    print("%d windows of %d files vs %s (melody register: MIDI %d and up)" % (
        r["windows"], len(r["files"]), r["reference"], r["melody_floor"]))
    print("%-18s %10s %10s %8s" % ("feature", "files", "reference", "overlap"))
    for k in S.SCALARS:
        f = r["features"][k]
        print("%-18s %10.3f %10.3f %8.3f" % (k, f["mean"], f["reference_mean"], f["overlap"]))
    for k in ("pitch_classes", "note_lengths"):
        print("%-18s %10s %10s %8.3f" % (k, "", "", r["features"][k]["overlap"]))
    print("mean overlap %.3f; the listener's four: %.3f" % (r["mean_overlap"], r["listener_overlap"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(r, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
