"""Training-step time of each architecture (MLP, conv, LSTM) on both data sets, and the LSTM's own
time loop (``nets.lstm.run_lstm``) against calling ``L.NStepLSTM`` itself, interleaved.

    python benchmarks/bench_nets.py            # 5 rounds of 10 steps
    python benchmarks/bench_nets.py --quick    # 1 round of 1 step: checks it runs

A step: forward, backward and the Adam + L2 update (training.make_optimizer), batch 32, random
0/1 data of the data set's shape (the time does not depend on the values).
"""
import common

THREADS = common.setup_threads()

import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import chainer_vae  # noqa: E402,F401
import chainer  # noqa: E402
import chainer.functions as F  # noqa: E402
import numpy as np  # noqa: E402

from chainer_vae.train import loop as training  # noqa: E402
from chainer_vae.model import DATA, KINDS, lstm, make_decoder, make_encoder  # noqa: E402
from chainer_vae.model.vae import VAELoss  # noqa: E402

N_LATENT = {"mnist": 2, "midi": 20}


def train_steps(kind, data, steps):
    np.random.seed(0)
    model = VAELoss(make_encoder(kind, data, N_LATENT[data]), make_decoder(kind, data, N_LATENT[data]))
    opt = training.make_optimizer(model, 1e-3, 5e-4)
    x = (np.random.rand(32 * steps, DATA[data][0] * DATA[data][1]) < 0.1).astype(np.float32)
    if data == "midi":
        x = x.reshape(-1, *DATA[data])
    return lambda: training.train_epoch(model, opt, x, 32)


def lstm_pass(data, via_link, steps):
    """Forward + backward of the encoder's LSTM alone over a batch of 32, `steps` times."""
    T, features = DATA[data]
    link = chainer.links.NStepLSTM(1, features, lstm.HIDDEN[data], 0.0)
    x = np.random.RandomState(0).rand(32, T, features).astype(np.float32)

    def run():
        for _ in range(steps):
            link.cleargrads()
            h, hs = lstm.run_lstm(link, x, via_link=via_link)
            F.sum(hs).backward()
    return run


def main(argv=None):
    args = common.parser(__doc__.splitlines()[0]).parse_args(argv)
    rounds, steps = (1, 1) if args.quick else (args.repeats or 5, 10)
    print(common.machine(THREADS))
    fns = {"%s %s" % (kind, data): train_steps(kind, data, steps) for data in DATA for kind in KINDS}
    for data in DATA:
        fns["LSTM alone %s, run_lstm's loop" % data] = lstm_pass(data, False, steps)
        fns["LSTM alone %s, L.NStepLSTM itself" % data] = lstm_pass(data, True, steps)
    times = common.interleaved(fns, rounds, warmup=not args.quick)
    print("%-34s %12s" % ("per step of batch 32 (%d rounds)" % rounds, "median ms"))
    for name, ts in times.items():
        print("%-34s %12.1f" % (name, 1e3 * statistics.median(ts) / steps))
    for data in DATA:
        a, b = (times["LSTM alone %s, %s" % (data, k)] for k in ("run_lstm's loop", "L.NStepLSTM itself"))
        print("LSTM %s: run_lstm / NStepLSTM (median of rounds) %.2f"
              % (data, statistics.median(x / y for x, y in zip(a, b))))
    return True


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
