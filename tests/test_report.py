"""The results page (chainer_vae.report, `make report`): its content, its latent explorer's decoder
against the Python one, and the page itself in headless Chromium."""
import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser

import numpy as np
import pytest

import browser
from conftest import ROOT
from chainer_vae.model import apply
from chainer_vae import files
from chainer_vae.train import loop, runs
from chainer_vae.cli.mnist import MnistConfig
from chainer_vae.report import explorer, page, tables

RESULTS = os.path.join(ROOT, "results")
NODE = shutil.which("node")
Z = [[0.0, 0.0], [1.5, -2.0], [-3.0, 0.7], [0.25, 4.0], [0.5, -1.0]]


class Refs(HTMLParser):
    """Every src/href of a page, and its visible text."""

    def __init__(self):
        super().__init__()
        self.refs, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.refs += [(tag, v) for k, v in attrs if k in ("src", "href") and v]

    def handle_data(self, data):
        self.text.append(data)


def parse(path):
    refs = Refs()
    with open(path, encoding="utf-8") as f:
        refs.feed(f.read())
    return refs


def missing_files(path):
    """Relative links of the page at ``path`` whose file is absent; absolute URLs are errors too."""
    bad = []
    for tag, ref in parse(path).refs:
        if ref.startswith("#"):
            continue
        if re.match(r"^([a-z]+:|//|/)", ref):
            bad.append("not relative: %s" % ref)
        elif not os.path.exists(os.path.join(os.path.dirname(path), ref.split("#")[0])):
            bad.append("%s %s" % (tag, ref))
    return bad


def copy_checkout(tmp_path):
    """results/ (without the trained runs) and the two pages it links to, as in a fresh clone."""
    repo = tmp_path / "repo"
    shutil.copytree(RESULTS, repo / "results", ignore=shutil.ignore_patterns("runs", ".*"))
    for name in ("README.md", "REPRODUCE.md"):
        shutil.copy(os.path.join(ROOT, name), repo / name)
    return repo / "results"


def empty_checkout(tmp_path):
    """A checkout with no results yet: the page's links up to README.md and REPRODUCE.md resolve."""
    for name in ("README.md", "REPRODUCE.md"):
        (tmp_path / name).write_text("x")
    return tmp_path / "results"


def sharp_model(seed=0):
    """The paper's MNIST VAE with weights scaled up, so decodes reach near 0 and 1 (a harder test
    of the page's decoder than the near-0.5 outputs of fresh weights)."""
    model = runs.build_model(MnistConfig(seed=seed))
    for link in list(model.decoder.layers) + [model.decoder.out]:
        link.W.array[...] *= 3
    return model


def explorer_page(tmp_path, model):
    """A results folder holding only an explorer of ``model`` (codes: 200 random points)."""
    results = tmp_path / "results"
    rng = np.random.RandomState(1)
    data = explorer.payload(model, rng.randn(200, 2).astype(np.float32), rng.randint(0, 10, 200),
                            {"run_id": "mnist-test", "epochs": 0, "data_fingerprint": "-"})
    explorer.write(str(results / explorer.FILE), data)
    files.write_json(str(results / "fig4_mnist_loss.json"), {"run": {"run_id": "mnist-test", "data_fingerprint": "-"}})
    return results


def float64_decode(model, z):
    h = np.asarray(z, np.float64)
    for W, b, act in explorer.decoder_layers(model):
        h = h @ W.astype(np.float64).T + b
        h = np.tanh(h) if act == "tanh" else 1 / (1 + np.exp(-h))
    return h


def assert_matches_python(decoded, model, z, span=True):
    """The page's decode vs the float64 result rounded to float32 (1 unit in the last place, for
    the engines' tanh/exp) and vs apply.decode, whose float32 sums over 500 products differ by
    their rounding: 2e-6 here, while a transposed or shifted weight moves values by > 0.01."""
    decoded = np.asarray(decoded, np.float32)
    exact = float64_decode(model, z).astype(np.float32)
    np.testing.assert_array_max_ulp(decoded, exact, maxulp=1)
    python = apply.decode(model, np.asarray(z, np.float32))
    assert np.abs(decoded - python).max() <= 2e-6
    if span:
        assert python.min() < 0.01 and python.max() > 0.99  # the points span the sigmoid's range


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_page_decoder_equals_python_decoder_in_node(tmp_path):
    model = sharp_model()
    results = explorer_page(tmp_path, model)
    page.build(str(results))
    harness = ("globalThis.window = globalThis; require(process.argv[1]);"
               "const ex = require(process.argv[2]); const layers = ex.loadDecoder(window.VAE_EXPLORER.decoder);"
               "console.log(JSON.stringify(JSON.parse(process.argv[3]).map(z => Array.from(ex.decode(layers, z)))));")
    proc = subprocess.run([NODE, "-e", harness, str(results / "explorer" / "data.js"),
                           str(results / "explorer" / "explorer.js"), json.dumps(Z)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert_matches_python(json.loads(proc.stdout), model, Z)


def test_explorer_data_layout_is_the_documented_one():
    model = sharp_model()
    data = explorer.payload(model, np.zeros((3, 2), np.float32), np.arange(3), {})
    flat = np.frombuffer(__import__("base64").b64decode(data["decoder"]["float32_le_base64"]), "<f4")
    assert [(l["in"], l["out"], l["activation"]) for l in data["decoder"]["layers"]] == [
        (2, 500, "tanh"), (500, 784, "sigmoid")]
    W1, b1 = model.decoder.layers[0].W.array, model.decoder.layers[0].b.array
    assert flat.size == 2 * 500 + 500 + 500 * 784 + 784
    np.testing.assert_array_equal(flat[:1000].reshape(500, 2), W1)
    np.testing.assert_array_equal(flat[1000:1500], b1)
    np.testing.assert_array_equal(flat[-784:], model.decoder.out.b.array)


def test_explorer_is_exported_from_the_finished_run_and_kept_without_it(tmp_path, mnist_root):
    from chainer_vae.data import fingerprint
    from chainer_vae.cli import mnist
    config = MnistConfig().smoke_config()
    data = mnist.load_data(config)
    results = tmp_path / "results"
    run_id = config.run_id("mnist", fingerprint(data.train_x, data.test_x))
    model = sharp_model()
    loop.save_model(str(results / "runs" / run_id / "model.npz"), model)
    files.write_json(str(results / "fig4_mnist_loss.json"), {"run": {
        "run_id": run_id, "config": config.identity(), "data_fingerprint": fingerprint(data.train_x, data.test_x)}})
    path, notes = page.build(str(results))
    assert notes == []
    saved = explorer.read(str(results / explorer.FILE))
    assert saved["run_id"] == run_id and saved["codes"]["n"] == len(data.test_x) == 100
    codes = np.frombuffer(__import__("base64").b64decode(saved["codes"]["mu_float32_le_base64"]), "<f4")
    np.testing.assert_array_equal(codes.reshape(-1, 2), apply.encode(model, data.test_x))
    before = (results / explorer.FILE).read_bytes()
    # The same run retrained elsewhere: weights equal to float rounding, not to the bit.  The
    # explorer is keyed by the run's identity, so the page does not change for it.
    other = sharp_model()
    other.decoder.out.b.array[...] += np.float32(1e-6)
    loop.save_model(str(results / "runs" / run_id / "model.npz"), other)
    page.build(str(results))
    assert (results / explorer.FILE).read_bytes() == before
    page.build(str(results), rebuild_explorer=True)  # make report ARGS=--rebuild-explorer
    assert (results / explorer.FILE).read_bytes() != before
    shutil.rmtree(results / "runs")  # a fresh clone: the committed explorer stays
    page.build(str(results))
    assert explorer.read(str(results / explorer.FILE))["run_id"] == run_id
    assert 'id="explorer"' in (results / "index.html").read_text()
    files.write_json(str(results / "fig4_mnist_loss.json"), {"run": {  # another run, no model here
        "run_id": "mnist-other", "config": config.identity(), "data_fingerprint": "f"}})
    _, notes = page.build(str(results))
    assert notes == ["no latent explorer: the finished model of run mnist-other is not here: "
                     "run experiments/fig4_mnist_loss.py"]


def test_a_page_that_cannot_be_built_raises(tmp_path):
    """make report is the only writer of the page, and a broken page fails it (and the tests)."""
    results = empty_checkout(tmp_path)
    results.mkdir()
    (results / "fig4_mnist_loss.json").write_text("{not json")
    with pytest.raises(ValueError):
        page.build(str(results))
    assert not hasattr(page, "refresh")


def test_without_a_run_the_page_says_why_and_shows_dashes(tmp_path):
    results = empty_checkout(tmp_path)
    files.write_json(str(results / "fig4_mnist_loss.json"), {"figure": "Fig. 4", "data_description": "d",
                                                          "run": {"device": "@numpy"}, "history": []})
    path, notes = page.build(str(results))
    assert notes == ["no latent explorer: fig4_mnist_loss.json names no run (written by older code): "
                     "rerun experiments/fig4_mnist_loss.py"]
    html = open(path, encoding="utf-8").read()
    assert "No latent explorer: fig4_mnist_loss.json names no run" in html
    row = re.search(r"<tr><td><a href=\"fig4_mnist_loss.json\">.*?</tr>", html, re.S).group(0)
    cells = [re.sub(r"<[^>]+>", " ", c).split() for c in re.findall(r"<td>(.*?)</td>", row, re.S)]
    columns = ["file", "run", "data", "epochs", "device", "machine", "versions", "wall"]
    by_name = dict(zip(columns, cells))
    assert len(cells) == len(columns)
    assert by_name["run"] == ["—", "—"]  # run id, then data fingerprint: not known
    assert all(by_name[c] == ["—"] for c in ("epochs", "machine", "versions", "wall"))
    assert by_name["device"] == ["@numpy"] and by_name["data"] == ["d"]
    assert not missing_files(path)


def test_music_pieces_get_their_piano_roll_player_and_numbers(tmp_path):
    results = empty_checkout(tmp_path)
    folder = results / "music_x"
    folder.mkdir(parents=True)
    for name in ("a.mid", "a.png", "a.wav", "b.mid", "b.png"):
        (folder / name).write_bytes(b"x")
    files.write_json(str(folder / "music.json"), {"data_description": "songs", "run_id": "midi_x-1", "threshold": 0.2,
                                               "files": [{"kind": "prior sample", "file": "a.mid", "notes": 1234,
                                                          "stats": {"pitch_range": 31}},
                                                         {"kind": "reconstruction", "file": "b.mid", "density": 0.0123}]})
    path, _ = page.build(str(results))
    html = open(path, encoding="utf-8").read()
    assert html.count("<audio") == 1 and '<audio controls preload="none" src="music_x/a.wav">' in html
    assert 'src="music_x/b.png"' in html and "notes <b>1,234</b>" in html and "stats pitch range <b>31</b>" in html
    assert "density <b>0.0123</b>" in html and "threshold 0.2" in html
    assert not missing_files(path)


def test_page_shows_reproduce_md_numbers(tmp_path):
    """One source for both: every cell of REPRODUCE.md's generated tables is on the page."""
    results = copy_checkout(tmp_path)
    path, _ = page.build(str(results))
    text = " ".join(parse(path).text)
    blocks = tables.blocks(str(results))
    assert {"fig4", "fig5", "architectures"} <= set(blocks)
    for name, block in blocks.items():
        for line in block.splitlines():
            if line.startswith("| ") and "---" not in line:
                for cell in line.strip("| ").split(" | "):
                    assert cell.replace("**", "").replace("\\|", "|") in text, (name, cell)


def test_committed_page_links_only_to_files_that_exist():
    path = os.path.join(RESULTS, "index.html")
    if not os.path.exists(path):
        pytest.skip("no results/index.html yet (make report)")
    assert not missing_files(path)


needs_chromium = pytest.mark.skipif(browser.chromium() is None, reason="chromium is not installed "
                                    "(.ci/run installs it: apt-get install chromium)")


@needs_chromium
def test_results_page_in_headless_chromium(tmp_path):
    """The page built from the committed results, as a fresh clone has them: no missing file, no
    error, fits a 1280-px window.  The screenshot: $REPORT_SCREENSHOT, else under tmp_path."""
    results = copy_checkout(tmp_path)
    path, _ = page.build(str(results))
    assert not missing_files(path)
    shot = os.environ.get("REPORT_SCREENSHOT") or str(tmp_path / "index.png")
    record = browser.check(path, str(tmp_path), screenshot=shot)
    assert record["errors"] == [] and record["broken_images"] == []
    assert record["images"] >= 8
    assert record["scroll_width"] <= record["client_width"] == browser.WIDTH, record
    assert record["wide_boxes"] == []
    if os.path.exists(results / explorer.FILE):
        assert record["explorer"] == "0,0"  # the explorer drew its first digit
    print("screenshot:", shot, file=sys.stderr)


@needs_chromium
def test_page_decoder_equals_python_decoder_in_chromium(tmp_path):
    model = sharp_model(seed=3)
    results = explorer_page(tmp_path, model)
    path, _ = page.build(str(results))
    record = browser.check(path, str(tmp_path))
    assert record["errors"] == [] and record["explorer"] == "0,0"
    assert_matches_python([record["decoded"]], model, [[0.5, -1.0]], span=False)


@needs_chromium
def test_the_browser_check_catches_a_broken_page(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text('<html><head></head><body><img src="gone.png"><div style="width:2000px">x</div>'
                   '<script>console.error("boom"); undefinedFunction();</script></body></html>')
    record = browser.check(str(bad), str(tmp_path))
    assert record["broken_images"] == ["gone.png"] and record["scroll_width"] > browser.WIDTH
    assert any("boom" in e for e in record["errors"]) and any("undefinedFunction" in e for e in record["errors"])
    assert any("gone.png" in e for e in record["errors"])


def test_literature_rows_are_cited_from_the_files_they_were_read_from():
    from chainer_vae.report import claims
    rows = claims.anchors([{"model": "mlp-mlp_z50", "trained_on": "none", "n_images": 1000,
                            "scores": {"binarized": {"log_px": {"mean": -96.28}}}}])
    who, value, note = rows[0]
    assert value == "-86.76" and "50 units" in who and "dynamically binarized" in who
    assert "nbip/IWAE README (commit 3a5e38b)" in note and "yburda/iwae README and experiments.py" in note
    assert "-86.47" in note and "-86.35" in note and "59,600 training images" in note
    assert "mlp-mlp_z50 (log p(x) of the binarized test set -96.28, 1000 test images: 9.5 nats below)" in note
    assert rows[1][1] == "-85.33" and rows[2][1] == "about 2 nats lower" and "3.5 nats" in rows[2][2]
    assert not any("verified" in r[2] for r in rows)


def test_a_presets_prior_samples_play_beside_the_paper_models_of_the_same_data(tmp_path):
    """sections.beside pairs a music folder that names a --preset with the one of the same data
    fingerprint that names none, prior sample by prior sample (never reconstructions)."""
    import json
    from chainer_vae.report import sections

    def folder(name, fingerprint, **extra):
        d = tmp_path / name
        d.mkdir()
        files = [{"file": "sample_00.mid", "kind": "prior sample"}, {"file": "test_00_original.mid", "kind": "test window"}]
        for f in files:
            for ext in (".mid", ".wav", ".png"):
                (d / (f["file"][:-4] + ext)).write_bytes(b"x")
        (d / "music.json").write_text(json.dumps(dict(data_fingerprint=fingerprint, data_description="folk",
                                                      sampling="threshold=0.2", files=files, **extra)))
    folder("music_folk_paper", "f1")
    folder("music_folk_melody", "f1", preset="melody")
    folder("music_other_melody", "f2", preset="melody")  # no paper model's pieces on its data
    pairs = sections.beside(str(tmp_path))
    assert [(b["paper"], b["folder"], b["preset"]) for b in pairs] == [("music_folk_paper", "music_folk_melody", "melody")]
    (kind, paper, preset), = pairs[0]["rows"]
    assert kind == "prior sample" and paper["wav"] == "music_folk_paper/sample_00.wav"
    assert preset["wav"] == "music_folk_melody/sample_00.wav"
