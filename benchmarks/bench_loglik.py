"""Importance-sampled test log-likelihood (k = 5,000, Burda et al. 2015) per image: ours
(``chainer_vae.evaluation.likelihood``, the k samples decoded in chunks of likelihood.CHUNK rows) against
other chunk sizes of the same code (all k at once, and 50) and against the same estimate in
PyTorch with all k samples in one batch, with the same weights, interleaved.

    python benchmarks/bench_loglik.py            # 5 rounds of 10 images
    python benchmarks/bench_loglik.py --quick    # 1 round of 1 image: checks it runs

The model is the paper's MNIST MLP (784-500-2, tanh) with random weights: the cost does not
depend on the weights.  Every side scores the same images and agrees on the estimate (checked).
"""
import common

THREADS = common.setup_threads()

import math  # noqa: E402

import chainer_vae  # noqa: E402,F401
import numpy as np  # noqa: E402

from chainer_vae.evaluation import likelihood  # noqa: E402
from chainer_vae.model import make_decoder, make_encoder  # noqa: E402
from chainer_vae.model.vae import VAELoss  # noqa: E402

K = 5000


def ours(model, x, chunk):
    encode, log_lik = likelihood.model_functions(model)
    return lambda: likelihood.estimate(encode, log_lik, x, k=K, chunk=chunk)["log_px"]


def torch_side(torch, model, x):
    """The same estimate in PyTorch: our weights copied into peers.torch_vae's MLP."""
    import peers
    net = peers.torch_vae(torch, 784, [500], 2, [500], "tanh")
    pairs = [(net.enc[0], model.encoder.layers[0]), (net.mu, model.encoder.mu),
             (net.ln_var, model.encoder.ln_var), (net.dec[0], model.decoder.layers[0]),
             (net.out, model.decoder.out)]
    with torch.no_grad():
        for t, c in pairs:
            t.weight.copy_(torch.from_numpy(c.W.array))
            t.bias.copy_(torch.from_numpy(c.b.array))
    tx = torch.from_numpy(x)
    gen = torch.Generator().manual_seed(0)
    log_2pi = math.log(2 * math.pi)

    def run():
        out = []
        with torch.no_grad():
            h = net.enc(tx)
            mu, ln_var = net.mu(h), net.ln_var(h)
            for j in range(len(tx)):
                eps = torch.randn(K, mu.shape[1], generator=gen)
                z = mu[j] + torch.exp(0.5 * ln_var[j]) * eps
                logits = net.out(net.dec(z))
                log_px_z = -torch.nn.functional.binary_cross_entropy_with_logits(
                    logits, tx[j].expand_as(logits), reduction="none").sum(1)
                log_pz = -0.5 * (log_2pi + z ** 2).sum(1)
                log_qz = -0.5 * (log_2pi + ln_var[j] + eps ** 2).sum(1)
                out.append(float(torch.logsumexp(log_px_z + log_pz - log_qz, 0) - math.log(K)))
        return np.array(out)
    return run


def main(argv=None):
    args = common.parser(__doc__.splitlines()[0]).parse_args(argv)
    rounds, n = (1, 1) if args.quick else (args.repeats or 5, 10)
    torch = common.import_torch(args.no_torch)
    if torch is not None:
        torch.set_num_threads(THREADS)
    print(common.machine(THREADS, torch))
    np.random.seed(0)
    model = VAELoss(make_encoder("mlp", "mnist", 2), make_decoder("mlp", "mnist", 2))
    x = (np.random.RandomState(1).rand(n, 784) < 0.15).astype(np.float32)
    fns = {"ours": ours(model, x, likelihood.CHUNK), "ours, all %d at once" % K: ours(model, x, K),
           "ours, chunks of 50": ours(model, x, 50)}
    if torch is not None:
        fns["pytorch"] = torch_side(torch, model, x)
    # The sides must compute the same estimate (different random draws: agree to a few nats / k).
    results = {name: fn() for name, fn in fns.items()}
    spread = max(float(np.max(np.abs(r - results["ours"]))) for r in results.values())
    print("largest difference between sides' estimates: %.3f nats (Monte Carlo noise)" % spread)
    assert spread < 1.0, results
    times = common.interleaved(fns, rounds, warmup=False)
    common.report(times, "ours", "pytorch" if torch is not None else None, scale=1.0 / n, label="per image")


if __name__ == "__main__":
    main()
