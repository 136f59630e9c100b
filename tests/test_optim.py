"""The fused Adam + L2 update is Chainer's Adam + WeightDecay hook, bit for bit: its compiled
loop (Numba) and its NumPy chunks both."""
import chainer
import numpy as np
import pytest

from chainer_vae.train import loop, optim
from chainer_vae.model import make_decoder, make_encoder
from chainer_vae.model.vae import VAELoss


def model(seed=0):
    np.random.seed(seed)
    return VAELoss(make_encoder("mlp", "mnist", 2), make_decoder("mlp", "mnist", 2))


def chainer_reference(m, alpha, rate, eta=1.0):
    opt = chainer.optimizers.Adam(alpha=alpha, eta=eta)
    opt.setup(m)
    opt.add_hook(chainer.optimizer_hooks.WeightDecay(rate))
    return opt


def steps(m, opt, n, seed=1):
    rng = np.random.RandomState(seed)
    for i in range(n):
        x = rng.rand(8, 784).astype(np.float32)
        np.random.seed(100 + i)  # the same z samples on both sides
        loss = m(x)
        m.cleargrads()
        loss.backward()
        opt.update()


@pytest.fixture(params=["numba", "numpy-chunks"])
def kernel(request, monkeypatch):
    """Each of the fused update's two forms in turn."""
    if request.param == "numba":
        compiled = optim._compile_numba()
        if compiled is None:
            pytest.skip("Numba is not installed (or CHAINER_VAE_NUMBA=0): only the NumPy chunks run")
        monkeypatch.setattr(optim, "_numba_update", compiled)
    else:
        monkeypatch.setattr(optim, "_numba_update", None)
        monkeypatch.setattr(optim, "CHUNK", 1000)  # several chunks per matrix, and a ragged last one
    return request.param


@pytest.mark.parametrize("rate,eta", [(5e-4, 1.0), (0.0, 1.0), (5e-4, 0.5)])
def test_fused_adam_equals_chainer_adam_with_weight_decay_bitwise(rate, eta, kernel):
    ref, fused = model(), model()
    ref_opt = chainer_reference(ref, 1e-3, rate, eta)
    fused_opt = optim.Adam(alpha=1e-3, l2_rate=rate, eta=eta)
    fused_opt.setup(fused)
    steps(ref, ref_opt, 5)
    steps(fused, fused_opt, 5)
    assert fused_opt.t == ref_opt.t == 5
    ref_params, fused_params = dict(ref.namedparams()), dict(fused.namedparams())
    for name, p in ref_params.items():
        q = fused_params[name]
        np.testing.assert_array_equal(q.array, p.array, err_msg=name)
        np.testing.assert_array_equal(q.grad, p.grad, err_msg=name)  # grad += rate * param too
        for key in ("m", "v"):
            np.testing.assert_array_equal(q.update_rule.state[key], p.update_rule.state[key])
        assert q.update_rule.t == p.update_rule.t


def test_float64_parameters_match_chainer_bitwise(kernel):
    def tiny():
        link = chainer.links.Linear(300, 7, initialW=np.random.RandomState(0).randn(7, 300) / 10,
                                    initial_bias=np.zeros(7))
        return link.to_device(chainer.get_device("@numpy"))
    a, b = tiny(), tiny()
    a.W.array, b.W.array = a.W.array.astype(np.float64), b.W.array.astype(np.float64)
    a.b.array, b.b.array = a.b.array.astype(np.float64), b.b.array.astype(np.float64)
    oa = chainer_reference(a, 1e-2, 1e-3)
    ob = optim.Adam(alpha=1e-2, l2_rate=1e-3)
    ob.setup(b)
    x = np.random.RandomState(1).randn(4, 300)
    for link, opt in ((a, oa), (b, ob)):
        for _ in range(4):
            link.cleargrads()
            chainer.functions.sum(chainer.functions.tanh(link(x)) ** 2).backward()
            opt.update()
    assert b.W.dtype == np.float64
    np.testing.assert_array_equal(a.W.array, b.W.array)
    np.testing.assert_array_equal(a.b.array, b.b.array)


def test_numba_can_be_turned_off(monkeypatch):
    monkeypatch.setenv("CHAINER_VAE_NUMBA", "0")
    assert optim._compile_numba() is None


def test_fallback_path_float16_matches_chainer():
    # float16 is not fused: the rule must run Chainer's hook + AdamRule code unchanged.
    def tiny():
        link = chainer.links.Linear(3, 2, nobias=True,
                                   initialW=np.arange(6, dtype=np.float16).reshape(2, 3) / 10)
        return link
    a, b = tiny(), tiny()
    oa = chainer_reference(a, 1e-2, 1e-2)
    ob = optim.Adam(alpha=1e-2, l2_rate=1e-2)
    ob.setup(b)
    for link, opt in ((a, oa), (b, ob)):
        for _ in range(3):
            link.cleargrads()
            chainer.functions.sum(link(np.ones((1, 3), dtype=np.float16))).backward()
            opt.update()
    np.testing.assert_array_equal(a.W.array, b.W.array)


def test_snapshots_are_interchangeable_with_chainer_adam(tmp_path):
    ref = model()
    ref_opt = chainer_reference(ref, 1e-3, 5e-4)
    steps(ref, ref_opt, 3)
    path = str(tmp_path / "opt.npz")
    chainer.serializers.save_npz(path, ref_opt)
    fused = model()
    fused_opt = optim.Adam(alpha=1e-3, l2_rate=5e-4)
    fused_opt.setup(fused)
    steps(fused, fused_opt, 1)  # creates the states, then overwritten by the load
    chainer.serializers.load_npz(path, fused_opt)
    assert fused_opt.t == 3
    for (name, p), (_, q) in zip(ref.namedparams(), fused.namedparams()):
        np.testing.assert_array_equal(p.update_rule.state["m"], q.update_rule.state["m"])


def test_training_uses_the_fused_optimizer():
    opt = loop.make_optimizer(model(), 1e-3, 5e-4)
    assert isinstance(opt, optim.Adam) and opt.l2_rate == 5e-4 and opt.alpha == 1e-3
    assert not opt._hookable._pre_update_hooks  # no second WeightDecay on top of the fused one


def test_fresh_state_is_a_newly_built_optimizer_bitwise():
    a, b = model(), model()
    opt_a = loop.make_optimizer(a, 1e-3, 5e-4)
    opt_b = loop.make_optimizer(b, 1e-3, 5e-4)
    steps(a, opt_a, 3)
    steps(b, opt_b, 3)
    optim.fresh_state(opt_a)                       # in place ...
    assert all(p.update_rule.t == 0 and p.update_rule.state is None for p in a.params())
    opt_b = loop.make_optimizer(b, 1e-3, 5e-4)     # ... as a new Adam on the same weights
    steps(a, opt_a, 2, seed=7)
    steps(b, opt_b, 2, seed=7)
    for (name, pa), (_, pb) in zip(sorted(a.namedparams()), sorted(b.namedparams())):
        np.testing.assert_array_equal(pa.array, pb.array, err_msg=name)
        np.testing.assert_array_equal(pa.update_rule.state["m"], pb.update_rule.state["m"])
    assert opt_a.alpha == 1e-3 and opt_a.l2_rate == 5e-4


def test_numba_is_loaded_only_once_a_run_repays_it_and_the_switch_is_invisible(monkeypatch):
    monkeypatch.setattr(optim, "_numba_update", "not compiled yet")
    monkeypatch.setattr(optim, "_numpy_elements", 0)
    per_step = sum(p.size for p in model().params())
    monkeypatch.setattr(optim, "NUMBA_AFTER", 2 * per_step)  # NumPy for two steps, then Numba
    ref, fused = model(), model()
    ref_opt = chainer_reference(ref, 1e-3, 5e-4)
    fused_opt = optim.Adam(alpha=1e-3, l2_rate=5e-4)
    fused_opt.setup(fused)
    steps(fused, fused_opt, 1)
    assert optim._numba_update == "not compiled yet"  # a short run: not loaded
    steps(fused, fused_opt, 4, seed=2)
    if optim._compile_numba() is not None:
        assert callable(optim._numba_update)
    steps(ref, ref_opt, 1)
    steps(ref, ref_opt, 4, seed=2)
    for (name, p), (_, q) in zip(sorted(ref.namedparams()), sorted(fused.namedparams())):
        np.testing.assert_array_equal(q.array, p.array, err_msg=name)
