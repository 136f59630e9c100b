"""The pieces of a training step, ours vs the alternatives tried (BENCHMARKS.md), interleaved:
one training step's phases (forward, backward, update) against PyTorch's -- at the paper's MNIST
sizes, on the same graph at 8-8-2 (the frameworks' own per-step work), and at the paper's MIDI
sizes (15600-1000-500-100-20, ReLU) --, the 32x784x500 matrix products in NumPy's two layouts and
PyTorch's, and one Adam + L2 update of a 500x784 matrix (ours: the Numba pass where Numba is
installed; its NumPy-chunk form at three chunk sizes, PyTorch's, numexpr's).

    python benchmarks/bench_kernels.py            # 200 rounds
    python benchmarks/bench_kernels.py --quick    # 5 rounds: checks it runs

PyTorch, Numba and numexpr are optional (the rows are skipped without them).  Times are medians per call.
"""
import common

THREADS = common.setup_threads()

import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import chainer_vae  # noqa: E402,F401
import chainer  # noqa: E402
import numpy as np  # noqa: E402

from chainer_vae.train import optim  # noqa: E402

ALPHA, RATE = 5e-5, 5e-4


def _timed_step(times, side, forward, clear, update):
    """One training step of either framework; each phase's seconds go to times[side, phase]."""
    t0 = time.perf_counter()
    loss = forward()
    t1 = time.perf_counter()
    clear()
    loss.backward()
    t2 = time.perf_counter()
    update()
    t3 = time.perf_counter()
    for phase, dt in zip(("forward", "backward", "update"), (t1 - t0, t2 - t1, t3 - t2)):
        times[side, phase].append(dt)


def phases(torch, steps, n_in=784, hidden=500, midi=False):
    """Per-step medians of ours' and PyTorch's forward, backward and update, alternating steps.
    n_in, hidden: the MLP's sizes (the paper's 784, 500; tiny ones time the frameworks' own work
    on the same graph: what a step costs besides its arithmetic).  midi: the paper's MIDI MLP
    instead (x: random 0/1 cells, a quarter of them on, about a lute batch's share)."""
    import peers
    from chainer_vae.model import mlp
    from chainer_vae.model.vae import VAELoss
    from chainer_vae.train import loop as training
    np.random.seed(0)
    enc, latent, dec, act = [hidden], 2, [hidden], "tanh"
    if midi:
        p = mlp.PAPER["midi"]
        n_in, enc, latent, dec, act = 15600, p["encoder"], 20, p["decoder"], p["activation"]
    model = VAELoss(mlp.MLPEncoder(n_in, enc, latent, act), mlp.MLPDecoder(latent, dec, n_in, act))
    opt = training.make_optimizer(model, ALPHA, RATE)
    x = np.random.RandomState(0).rand(32 * steps, n_in).astype(np.float32)
    if midi:
        x = (x < 0.25).astype(np.float32)
    sides = {"ours": [model, opt]}
    if torch is not None:
        torch.manual_seed(0)
        tmodel = peers.torch_vae(torch, n_in, enc, latent, dec, act)
        sides["pytorch"] = [tmodel, torch.optim.Adam(tmodel.parameters(), lr=ALPHA, weight_decay=RATE)]
        tx = torch.from_numpy(x)
    times = {(side, phase): [] for side in sides for phase in ("forward", "backward", "update")}
    from chainer_vae.cli import allocator  # each side with its users' malloc (common.as_run)
    with chainer.using_config("type_check", False):
        for i in range(steps):
            allocator.reuse_freed_memory()
            _timed_step(times, "ours", lambda: model(x[i * 32:(i + 1) * 32]), model.cleargrads, opt.update)
            if torch is None:
                continue
            allocator.glibc_default()
            tmodel, topt = sides["pytorch"]
            _timed_step(times, "pytorch", lambda: tmodel(tx[i * 32:(i + 1) * 32])[0],
                        lambda: topt.zero_grad(set_to_none=True), topt.step)
    warm = 3 if midi else 20
    print("\none %s training step by phase, MLP %s (median of %d alternating steps after %d warm-up)"
          % ("MIDI" if midi else "MNIST", "-".join(map(str, [n_in] + enc + [latent])), steps - warm, warm))
    for side in sides:
        meds = [1e3 * statistics.median(times[side, p][warm:]) for p in ("forward", "backward", "update")]
        print("  %-8s forward %.2f ms  backward %.2f ms  update %.2f ms  sum %.2f ms" % ((side,) + tuple(meds) + (sum(meds),)))


def products(rng, torch):
    x, gy = rng.rand(32, 784).astype(np.float32), rng.randn(32, 784).astype(np.float32)
    W, h = rng.randn(500, 784).astype(np.float32), rng.rand(32, 500).astype(np.float32)
    xwt, hw, hgy = "x W^T (Chainer's Linear)", "h W (Linear's data gradient)", "h^T gy (weight gradient)"
    fns = {xwt: (lambda: x.dot(W.T), xwt),
           "(W x^T)^T, made C-contiguous": (lambda: np.ascontiguousarray(W.dot(x.T).T), xwt),
           hw: (lambda: h.dot(W), hw),
           "(W^T h^T)^T, made C-contiguous": (lambda: np.ascontiguousarray(W.T.dot(h.T).T), hw),
           hgy: (lambda: h.T.dot(gy), hgy)}
    if torch is not None:
        tx, tW, tgy, th = (torch.from_numpy(a) for a in (x, W, gy, h))
        fns.update({"torch x W^T": (lambda: torch.mm(tx, tW.t()), xwt),
                    "torch h W": (lambda: torch.mm(th, tW), hw),
                    "torch h^T gy": (lambda: torch.mm(th.t(), tgy), hgy)})
    return fns


OURS_ADAM = "ours (Adam + L2; the Numba pass if installed)"


def adam(rng, torch, numexpr=None):
    w0, g0 = rng.randn(500, 784).astype(np.float32) * 0.05, rng.randn(500, 784).astype(np.float32) * 1e-3
    fns = {}

    def ours(chunk=None):
        """chunk=None: what training runs; a size: the NumPy-chunk form (Numba set aside)."""
        link = chainer.Link()
        with link.init_scope():
            link.W = chainer.Parameter(w0.copy())
        opt = optim.Adam(alpha=ALPHA, l2_rate=RATE)
        opt.setup(link)

        def step():  # a fresh gradient each call (the update adds rate * W to it)
            link.W.grad = g0.copy()
            if chunk is None:
                return opt.update()
            saved = optim.CHUNK, optim._numba_update
            optim.CHUNK, optim._numba_update = chunk, None
            opt.update()
            optim.CHUNK, optim._numba_update = saved
        return step

    fns[OURS_ADAM] = ours()
    fns["NumPy chunks, 64 K (without Numba)"] = ours(chunk=1 << 16)
    fns["NumPy chunks, 32 K"] = ours(chunk=1 << 15)
    fns["NumPy chunks, 256 K"] = ours(chunk=1 << 18)
    fns["a fresh gradient alone (subtract from the rows above)"] = lambda: g0.copy()
    if torch is not None:
        p = torch.nn.Parameter(torch.from_numpy(w0.copy()))
        topt = torch.optim.Adam([p], lr=ALPHA, weight_decay=RATE)

        def torch_step():
            p.grad = torch.from_numpy(g0.copy())
            topt.step()
        fns["torch.optim.Adam(weight_decay)"] = torch_step
    if numexpr is not None:
        fns["numexpr: 4 expressions, 1 thread"] = numexpr_step(numexpr, w0, g0)
    return {name: (fn, OURS_ADAM) for name, fn in fns.items()}


def numexpr_step(ne, w0, g0):
    """The same four expressions through numexpr, in float32 (its constants as float32 variables),
    one thread, one pass each; two updates are checked bit for bit against NumPy's whole-array
    form of the same expressions (what ours evaluates chunk by chunk)."""
    ne.set_num_threads(1)
    p, m, v = w0.copy().ravel(), np.zeros(w0.size, np.float32), np.zeros(w0.size, np.float32)
    consts = dict(zip(("r", "b1", "b2", "a", "e"), (np.float32(c) for c in (RATE, 0.1, 0.001, ALPHA, 1e-8))))
    rp, rm, rv = p.copy(), m.copy(), v.copy()
    c = consts
    for _ in range(2):
        g = g0.copy().ravel() + rp * c["r"]
        rm += (g - rm) * c["b1"]
        rv += (g * g - rv) * c["b2"]
        rp -= c["a"] / (np.sqrt(rv) + c["e"]) * rm

    def update():
        d = dict(consts, p=p, g=g0.copy().ravel(), m=m, v=v)
        g = d["g"]
        ne.evaluate("g + p * r", local_dict=d, out=g, casting="same_kind")
        ne.evaluate("m + (g - m) * b1", local_dict=d, out=m, casting="same_kind")
        ne.evaluate("v + (g * g - v) * b2", local_dict=d, out=v, casting="same_kind")
        ne.evaluate("p - (a / (sqrt(v) + e)) * m", local_dict=d, out=p, casting="same_kind")
    update()
    update()
    print("numexpr's update equals NumPy's expressions bit for bit: %s"
          % all(np.array_equal(x, y) for x, y in ((p, rp), (m, rm), (v, rv))))
    return update


def optional(name):
    try:
        return __import__(name)
    except ImportError:
        print("%s rows skipped: %s is not importable" % (name, name))
        return None


def main(argv=None):
    args = common.parser(__doc__.splitlines()[0]).parse_args(argv)
    rounds = args.repeats or (5 if args.quick else 200)
    torch = None if args.no_torch else optional("torch")
    if torch is not None:
        torch.set_num_threads(THREADS)
    numexpr = optional("numexpr")
    print(common.machine(THREADS, torch))
    phases(torch, 30 if args.quick else 520)
    phases(torch, 30 if args.quick else 520, n_in=8, hidden=8)  # the same graph, next to no arithmetic
    phases(torch, 5 if args.quick else 33, midi=True)
    rng = np.random.RandomState(0)
    for title, fns in (("matrix products, 32 x 784 x 500", products(rng, torch)),
                       ("one Adam + L2 update of a 500 x 784 matrix", adam(rng, torch, numexpr))):
        times = {name: [] for name in fns}
        for r in range(rounds):
            for name in (list(fns) if r % 2 == 0 else reversed(list(fns))):
                t = time.perf_counter()
                fns[name][0]()
                times[name].append(time.perf_counter() - t)
        print("\n%s (median of %d interleaved rounds)" % (title, rounds))
        for name, ts in times.items():
            base = fns[name][1]
            ratio = statistics.median(a / b for a, b in zip(ts, times[base]))
            print("  %-50s %7.1f us  %.2f x %s" % (name, 1e6 * statistics.median(ts), ratio, base.split(" (")[0]))
    return True


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
