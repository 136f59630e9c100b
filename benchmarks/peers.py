"""The peers the benchmarks compare against: the original code's style of Chainer loop, the same
model in PyTorch, and the compute floor (the same matrix products in NumPy)."""
import numpy as np


# ---------------------------------------------------------------------------------------------
# The original code's loop: Chainer's defaults (type checks on), the batch as float32 NumPy on the
# host, Adam + WeightDecay hook, and a host sync every batch (float(loss.array)).

def original_chainer_epoch(model, optimizer, x_host, batch_size, rng):
    import chainer
    n_batches = len(x_host) // batch_size
    perm = rng.permutation(len(x_host))
    total = 0.0
    with chainer.using_config("type_check", True):
        for i in range(n_batches):
            x = chainer.Variable(np.asarray(x_host[perm[i * batch_size:(i + 1) * batch_size]], dtype=np.float32))
            loss = model(x)
            model.cleargrads()
            loss.backward()
            optimizer.update()
            total += float(loss.array)
    return total / n_batches


def original_optimizer(model, alpha, weight_decay):
    import chainer
    opt = chainer.optimizers.Adam(alpha=alpha)
    opt.setup(model)
    opt.add_hook(chainer.optimizer_hooks.WeightDecay(weight_decay))
    return opt


# ---------------------------------------------------------------------------------------------
# PyTorch: the same MLPs (Linear layers of the same sizes and activations), the same objective
# (Bernoulli NLL of x under the logits, summed over features and averaged over the batch, plus the
# analytic KL), z = mu + exp(ln_var / 2) * eps, and Adam with L2 weight decay added to the gradient
# (torch.optim.Adam(weight_decay=wd) does grad += wd * param before the moments, exactly what
# Chainer's WeightDecay hook does before Adam's update).  One difference, immaterial for timing:
# torch adds eps to sqrt(v_hat) (bias-corrected), Chainer to sqrt(v); with eps = 1e-8 both are
# the same to float32 precision once v >> 1e-16.

def torch_vae(torch, n_in, enc_hidden, n_latent, dec_hidden, activation):
    nn = torch.nn
    act = {"tanh": nn.Tanh, "relu": nn.ReLU}[activation]

    def mlp(sizes):
        layers = []
        for a, b in zip(sizes, sizes[1:]):
            layers += [nn.Linear(a, b), act()]
        return nn.Sequential(*layers)

    class VAE(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = mlp([n_in] + list(enc_hidden))
            self.mu = nn.Linear(enc_hidden[-1], n_latent)
            self.ln_var = nn.Linear(enc_hidden[-1], n_latent)
            self.dec = mlp([n_latent] + list(dec_hidden))
            self.out = nn.Linear(dec_hidden[-1], n_in)

        def forward(self, x):
            h = self.enc(x)
            mu, ln_var = self.mu(h), self.ln_var(h)
            z = mu + torch.exp(ln_var * 0.5) * torch.randn_like(mu)
            logits = self.out(self.dec(z))
            batch = x.shape[0]
            reconstr = nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="sum") / batch
            kl = 0.5 * torch.sum(mu * mu + torch.exp(ln_var) - ln_var - 1.0) / batch
            return reconstr + kl, reconstr, kl

    return VAE()


def torch_trainer(torch, model, x_host, batch_size, alpha, weight_decay):
    """A closure running one epoch the idiomatic fast way: data as one tensor, loss sums kept as
    tensors (one sync per epoch), like ours."""
    x_all = torch.from_numpy(np.ascontiguousarray(x_host))
    opt = torch.optim.Adam(model.parameters(), lr=alpha, weight_decay=weight_decay)
    n_batches = len(x_host) // batch_size
    gen = torch.Generator().manual_seed(0)

    def epoch():
        perm = torch.randperm(len(x_all), generator=gen)
        total = torch.zeros(())
        for i in range(n_batches):
            x = x_all[perm[i * batch_size:(i + 1) * batch_size]].float().reshape(batch_size, -1)
            loss, _, _ = model(x)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.detach()
        return float(total) / n_batches

    return epoch


# ---------------------------------------------------------------------------------------------
# The compute floor: one step's matrix products (forward, and the backward products the
# gradients need; the first layer's input gradient is not needed) timed in NumPy.

def floor_products(sizes_fwd, batch, rng):
    """sizes_fwd: the (n_in, n_out) of every Linear in forward order. Returns a closure for one
    step's products: y = x W^T forward; gW = gy^T x, and gx = gy W except for the first layer."""
    ws = [rng.standard_normal((b, a)).astype(np.float32) * 0.01 for a, b in sizes_fwd]
    xs = [rng.standard_normal((batch, a)).astype(np.float32) for a, b in sizes_fwd]
    gys = [rng.standard_normal((batch, b)).astype(np.float32) for a, b in sizes_fwd]

    def step():
        for k, (w, x, gy) in enumerate(zip(ws, xs, gys)):
            x.dot(w.T)
            gy.T.dot(x)
            if k:
                gy.dot(w)

    return step


def epoch_contenders(chainer_model, x_host, batch, alpha, weight_decay, torch, torch_spec,
                     floor_sizes, threads, x_ours=None, static_graph=False):
    """The training-epoch benchmarks' four sides, in the order they interleave:
    ours (the project's loop), PyTorch (when importable; torch_spec = torch_vae's arguments after
    `torch`), the original code's style of Chainer loop, and the NumPy matrix-product floor.
    x_ours: what our loop trains on when it differs from the dense x_host the peers get (the
    MIDI windows, cut per batch from packed songs). static_graph: ours is VAELoss(static_graph=True)
    (model/replay.py), the other sides unchanged."""
    import chainer
    from chainer_vae.train import loop as training

    device = chainer.get_device("@numpy")
    ours_model = chainer_model()
    ours_model.static_graph = static_graph
    ours_opt = training.make_optimizer(ours_model, alpha, weight_decay)
    x_dev = training.examples(x_host if x_ours is None else x_ours).to_device(device)

    def ours():
        return float(training.train_epoch(ours_model, ours_opt, x_dev, batch)[0])  # one sync per epoch

    fns = {"ours": ours}
    if torch is not None:
        torch.set_num_threads(threads)
        torch.manual_seed(0)
        fns["pytorch"] = torch_trainer(torch, torch_vae(torch, *torch_spec), x_host, batch, alpha, weight_decay)

    orig_model = chainer_model()
    orig_opt = original_optimizer(orig_model, alpha, weight_decay)
    orig_rng = np.random.RandomState(1)
    fns["original-style chainer"] = lambda: original_chainer_epoch(orig_model, orig_opt, x_host, batch, orig_rng)

    step = floor_products(floor_sizes, batch, np.random.RandomState(0))
    n_batches = len(x_host) // batch

    def floor():
        for _ in range(n_batches):
            step()

    fns["matmul floor (numpy)"] = floor
    return fns


def report_against_torch(common, times, torch, goal=0.9, floor_goal=None):
    """Print the table and the goal lines (ours <= goal x PyTorch; ours <= floor_goal x the matmul
    floor, where given); return common.report's result."""
    result = common.report(times, "ours", "pytorch" if torch is not None else None)
    if torch is not None:
        print("goal ours <= %g x pytorch: %s" % (goal, "met" if result["ratio"]["pytorch"] <= goal else "NOT met"))
    floor = result["ratio"].get("matmul floor (numpy)")
    if floor_goal is not None and floor is not None:
        print("goal ours <= %g x the matmul floor: %s" % (floor_goal, "met" if floor <= floor_goal else "NOT met"))
    return result
