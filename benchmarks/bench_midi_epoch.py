"""One MIDI training epoch, the paper's MIDI model: ours vs PyTorch (and the original-style loop,
and the matrix-product floor), interleaved.

    python benchmarks/bench_midi_epoch.py            # 1,280 windows, batch 32, 3 rounds
    python benchmarks/bench_midi_epoch.py --quick    # 2 batches, 1 round: checks it runs

Model 15600-1000-500-100-20 / 20-100-500-15600 (ReLU), Bernoulli NLL + KL, Adam(1e-3) + L2 5e-4.
Data: the lute set's training windows (../shared/data/midi/bach_lute, or --midi-dir) when they
load, else synthetic 0/1 windows of the same shape and sparsity.
"""
import common

THREADS = common.setup_threads()

import os  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402

warnings.filterwarnings("ignore", message="pkg_resources is deprecated")

import chainer_vae  # noqa: E402,F401  (compatibility shims before chainer)
import numpy as np  # noqa: E402

import peers  # noqa: E402
from chainer_vae.model import make_decoder, make_encoder  # noqa: E402
from chainer_vae.model.vae import VAELoss  # noqa: E402

ALPHA, WEIGHT_DECAY, BATCH, N_LATENT = 1e-3, 5e-4, 32, 20
LUTE = os.path.join(os.path.dirname(common.ROOT), "shared", "data", "midi", "bach_lute")


def synthetic_windows(n, density=0.014, seed=0):
    """0/1 windows (n, 100, 156) shaped like note-states: a few held pitches per step (the "play"
    half) with an articulation (the other half) where each note starts; ~`density` ones."""
    rng = np.random.RandomState(seed)
    x = np.zeros((n, 100, 156), np.uint8)
    n_notes = max(1, int(round(density * 100 * 156 / 2 / 4)))  # notes of mean length 4 steps
    for w in range(n):
        pitches = rng.randint(20, 60, n_notes)
        starts = rng.randint(0, 100, n_notes)
        lengths = rng.randint(1, 8, n_notes)
        for p, s, ln in zip(pitches, starts, lengths):
            x[w, s:s + ln, p] = 1
            x[w, s, 78 + p] = 1
    return x


def midi_data(n, midi_dir):
    if midi_dir and os.path.isdir(midi_dir):
        try:
            from chainer_vae.data.midi.corpus import load_midi_dataset
            data = load_midi_dataset(midi_dir, progress=False)
            x = data.train_x
            if len(x) >= n:  # ours cuts the windows per batch; the peers get them stored
                windows = x.subset(slice(0, n))
                return windows[np.arange(n)], windows, "%s (%d training windows)" % (
                    os.path.basename(midi_dir.rstrip("/")), len(x))
        except Exception as e:  # the data module missing or the files unreadable: synthetic
            print("note: %s unusable (%s); synthetic windows" % (midi_dir, e))
    return synthetic_windows(n), None, "synthetic windows"


def chainer_model(seed=0):
    np.random.seed(seed)
    return VAELoss(make_encoder("mlp", "midi", N_LATENT), make_decoder("mlp", "midi", N_LATENT))


def main(argv=None):
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--midi-dir", default=LUTE, help="MIDI folder (one subfolder per class)")
    p.add_argument("--static-graph", action="store_true", help="ours as VAELoss(static_graph=True)")
    args = p.parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 3)
    n = 2 * BATCH if args.quick else 1280
    x_host, x_ours, source = midi_data(n, args.midi_dir)
    torch = common.import_torch(args.no_torch)
    print("MIDI epoch: %d windows %s of %s, %.2f%% ones, batch %d, 15600-1000-500-100-20 ReLU VAE, "
          "Adam %g + L2 %g" % (len(x_host), x_host.shape[1:], source, 100 * x_host.mean(), BATCH,
                               ALPHA, WEIGHT_DECAY))
    print(common.machine(THREADS, torch))
    if args.static_graph:
        print("ours: VAELoss(static_graph=True)")

    fns = peers.epoch_contenders(chainer_model, x_host, BATCH, ALPHA, WEIGHT_DECAY, torch,
                                 (15600, [1000, 500, 100], N_LATENT, [100, 500], "relu"),
                                 [(15600, 1000), (1000, 500), (500, 100), (100, 20), (100, 20),
                                  (20, 100), (100, 500), (500, 15600)], THREADS, x_ours=x_ours, static_graph=args.static_graph)
    times = common.interleaved(common.as_run(fns, args.peer_malloc), repeats, warmup=not args.quick)
    return peers.report_against_torch(common, times, torch, goal=0.4)


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
