"""Your own images through the MNIST scripts (issue 24): --image-dir on folders made here (MNIST
digits written as PNGs, synthetic colour shapes, damaged files among them), the MLP and conv
pairs on colour, --from-run accepted and refused, the shipped models used without training, and
the results page's section for own-data runs.

Scripts run in-process (their main(argv)) where only the outputs matter -- a subprocess costs
Chainer's import each time -- and as commands where the exit status and the printed line do.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

from chainer_vae import files, outputs
from chainer_vae.cli import mnist as mnist_cli
from chainer_vae.errors import ConfigError
from chainer_vae.train import runs, shipped
from conftest import ROOT, load_script
from test_images import shape_image

EXPERIMENTS = os.path.join(ROOT, "experiments")
COLOURS = {"circle": (230, 40, 40), "square": (40, 200, 60), "triangle": (50, 80, 230)}


def script(name):
    return load_script(os.path.join(EXPERIMENTS, name + ".py"), "own_" + name)


def run(name, out, *argv):
    """main() of experiments/<name>.py in quick mode, writing to ``out``."""
    return script(name).main(["--smoke", "--no-progress", "--out", str(out)] + [str(a) for a in argv])


def shapes_folder(root, per_class=16, seed=0):
    """Colour shapes of random sizes and aspect ratios in three classes, PNG and JPEG, and one
    damaged file."""
    rng = np.random.RandomState(seed)
    for kind, colour in COLOURS.items():
        (root / kind).mkdir(parents=True)
        for i in range(per_class):
            w, h = (int(v) for v in rng.randint(20, 64, 2))
            radius = rng.uniform(0.25, 0.45)
            fill = tuple(int(c * rng.uniform(0.7, 1)) for c in colour)
            im = shape_image(kind, w, h, fill, radius=radius)
            im.save(root / kind / ("%02d.%s" % (i, "jpg" if i % 4 == 3 else "png")))
    (root / "circle" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    return root


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    return shapes_folder(tmp_path_factory.mktemp("own") / "shapes")


@pytest.fixture(scope="module", autouse=True)
def own_cache(tmp_path_factory):
    """The image caches of this module's folders in a folder of its own, not the checkout's."""
    with pytest.MonkeyPatch.context() as m:
        m.setenv("CHAINER_VAE_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.fixture(scope="module")
def trained(shapes, tmp_path_factory):
    """fig4 --smoke on the colour shapes, MLP and conv pairs, in one results folder."""
    out = tmp_path_factory.mktemp("results")
    run("fig4_mnist_loss", out, "--image-dir", shapes, "--channels", 3)
    run("fig4_mnist_loss", out, "--image-dir", shapes, "--channels", 3, "--encoder", "conv", "--decoder", "conv",
        "--tag", "conv")
    return out


def run_dir(out, prefix="images_shapes-smoke-"):
    found = sorted(p for p in (out / "runs").iterdir() if p.name.startswith(prefix))
    return found


# ----------------------------------------------------------------------------- networks
def test_the_conv_pair_reads_colour_channel_last():
    from chainer_vae.model import make_decoder, make_encoder, shape
    assert shape("conv", "mnist", (32, 3)) == (32, 32, 3) and shape("mlp", "mnist", (32, 3)) == (32, 96)
    assert shape("conv", "mnist", (28, 1)) == shape("conv", "mnist", None) == (28, 28)
    enc, dec = make_encoder("conv", "mnist", 2, (16, 3)), make_decoder("conv", "mnist", 2, (16, 3))
    assert enc.conv1.W.shape[1] == 3 and dec.deconv2.W.shape[1] == 3
    x = np.random.RandomState(0).rand(2, 16 * 16 * 3).astype(np.float32)
    mu, _ = enc(x)
    # the same as the convolution of the (B, C, H, W) image the rows spell
    import chainer.functions as F
    chw = x.reshape(2, 16, 16, 3).transpose(0, 3, 1, 2)
    h = F.relu(enc.conv2(F.relu(enc.conv1(chw))))
    np.testing.assert_allclose(mu.array, enc.mu(h).array, rtol=1e-6)
    out = dec(mu).array
    assert out.shape == (2, 768)
    # channel-last out: pixel (0, 0)'s three values are the deconvolution's three channels there
    h = F.relu(dec.deconv1(F.reshape(F.relu(dec.fc(mu)), (2, dec.c2) + dec.small)))
    np.testing.assert_allclose(out.reshape(2, 16, 16, 3)[:, 0, 0], dec.deconv2(h).array[:, :, 0, 0], rtol=1e-6)


# ----------------------------------------------------------------------------- the scripts
def test_colour_shapes_train_with_mlp_and_conv_and_draw(trained, shapes, capsys):
    out = trained
    ids = [p.name for p in run_dir(out)]
    assert len(ids) == 2, ids  # the MLP and the conv run, each its own
    for stem in ("fig4_mnist_loss_shapes", "fig4_mnist_loss_shapes_conv"):
        d = files.read_json(str(out / (stem + ".json")))
        assert d["classes"] == ["circle", "square", "triangle"] and d["image_shape"] == [28, 28, 3]
        assert d["run"]["run_id"].startswith("images_shapes-smoke-")
        assert d["run"]["config"]["channels"] == 3 and "per_class_train" not in d["run"]["config"]
        skipped = [line for line in d["conversion_report"] if line.startswith("skipped")]
        assert skipped == [line for line in skipped if line.startswith("skipped: shapes/circle/broken.png: ")]
        assert len(skipped) == 1 and str(shapes) not in json.dumps(d)  # no machine path
        assert (out / (stem + ".png")).stat().st_size > 0
    assert (out / "explorer" / "data_shapes.js").exists()  # the 2-D MLP's explorer
    capsys.readouterr()
    run("fig2_mnist_samples", out, "--image-dir", shapes, "--channels", 3)
    run("fig3_mnist_latent", out, "--image-dir", shapes, "--channels", 3, "--encoder", "conv", "--decoder", "conv",
        "--tag", "conv")
    err = capsys.readouterr().err
    assert err.count("reusing the finished run") == 2 and "epoch   1/" not in err
    for name in ("fig2_mnist_manifold_shapes.png", "fig2_mnist_prior_samples_shapes.png",
                 "fig2_mnist_per_digit_shapes.png", "fig2_mnist_manifold_codes_shapes.png",
                 "fig3_mnist_latent_shapes_conv.png"):
        im = Image.open(out / name)
        assert im.mode in ("RGB", "RGBA") and im.size[0] > 50, name
    fig2 = files.read_json(str(out / "fig2_mnist_samples_shapes.json"))
    assert len(fig2["decodes_per_digit"]["faithful_grid"]) == 3 and sum(fig2["decodes_per_digit"]["faithful_grid"]) == 225
    assert len(fig2["per_digit_test_indices"]) == 3
    fig3 = files.read_json(str(out / "fig3_mnist_latent_shapes_conv.json"))
    assert sorted(fig3["class_centroids"]) == ["0", "1", "2"]


def test_mnist_digits_written_as_pngs_train_as_grey_images(tmp_path, capsys):
    from test_images import digits
    x, y, _ = digits(per_class=6)
    root = tmp_path / "digits"
    for i, (img, label) in enumerate(zip(x, y)):
        (root / str(label)).mkdir(parents=True, exist_ok=True)
        Image.fromarray(img, "L").save(root / str(label) / ("%03d.png" % i))
    run("fig4_mnist_loss", tmp_path / "out", "--image-dir", root)
    run("fig3_mnist_latent", tmp_path / "out", "--image-dir", root)
    d = files.read_json(str(tmp_path / "out" / "fig3_mnist_latent_digits.json"))
    assert d["classes"] == [str(k) for k in range(10)] and d["image_shape"] == [28, 28, 1]
    assert len(d["class_centroids"]) == 10
    (rd,) = run_dir(tmp_path / "out", "images_digits-smoke-")
    assert files.read_json(str(rd / "run.json"))["n_train"] == 50  # 5 of the 6 per class
    assert "reusing the finished run" in capsys.readouterr().err


def test_a_folder_of_damaged_images_never_aborts_a_run(tmp_path):
    """Property: whatever the damage (the loader tests' damaged files and 60 seeded mutants),
    the run trains on what is usable and its JSON names every skipped file once."""
    from test_images import damaged_files, mutants
    root = tmp_path / "damaged"
    expected = damaged_files(root / "bad")
    del expected["bomb.png"]
    os.remove(root / "bad" / "bomb.png")  # slow to refuse, and test_images covers it
    (root / "mut").mkdir()
    for name, data in mutants(60, seed=3):
        (root / "mut" / name).write_bytes(data)
    for k in range(40):  # enough for a batch of 32 whatever the mutants give
        Image.new("L", (28, 28), 6 * k).save(root / "mut" / ("good%02d.png" % k))
    run("fig4_mnist_loss", tmp_path / "out", "--image-dir", root, "--channels", 3)
    d = files.read_json(str(tmp_path / "out" / "fig4_mnist_loss_damaged.json"))
    skipped = [line for line in d["conversion_report"] if line.startswith("skipped: ")]
    names = [line.split(": ")[1] for line in skipped]
    assert len(names) == len(set(names))
    for name, outcome in expected.items():
        assert (os.path.join("damaged", "bad", name) in names) == (outcome == "skip"), name
    n = int(re.match(r"damaged: (\d+) images in 2 classes", d["conversion_report"][-1]).group(1))  # before --smoke's cut
    total = len(expected) + 60 + 40
    assert n + len(skipped) == total and n >= 40 + sum(o != "skip" for o in expected.values())


def test_image_flags_need_an_image_folder():
    from chainer_vae.cli import flags
    with pytest.raises(ConfigError, match=r"^--channels 3: needs --image-dir"):
        flags.parse(mnist_cli.MnistConfig, ["--channels", "3"])
    with pytest.raises(ConfigError, match=r"^--channels 2: choose from 1, 3"):
        flags.parse(mnist_cli.MnistConfig, ["--channels", "2", "--image-dir", ROOT])
    base = mnist_cli.MnistConfig()
    # MNIST's run ids are unchanged by the new settings (they are left out at their defaults)
    assert base.identity() == {k: v for k, v in base.identity().items()
                               if k not in ("image_size", "channels", "image_fit")}
    own = mnist_cli.MnistConfig(image_dir=ROOT)
    assert own.run_id("images_x", "fp") != mnist_cli.MnistConfig(image_dir=ROOT, channels=3).run_id("images_x", "fp")
    assert own.run_id("images_x", "fp") == mnist_cli.MnistConfig(image_dir=os.path.join(ROOT, "tests")).run_id("images_x", "fp")


# ----------------------------------------------------------------------------- --from-run
def test_from_run_draws_a_run_trained_elsewhere_without_training(trained, shapes, tmp_path, capsys):
    (mlp, *_) = [p for p in run_dir(trained) if files.read_json(str(p / "run.json"))["config"]["encoder"] == "mlp"]
    elsewhere = tmp_path / "cluster_run"
    shutil.copytree(mlp, elsewhere)
    out = tmp_path / "out"
    run("fig2_mnist_samples", out, "--image-dir", shapes, "--channels", 3, "--from-run", elsewhere)
    run("fig4_mnist_loss", out, "--image-dir", shapes, "--channels", 3, "--from-run", elsewhere)
    err = capsys.readouterr().err
    assert err.count("using the run %s (--from-run: run %s" % (elsewhere, mlp.name)) == 2
    assert "epoch   1/" not in err and not (out / "runs").exists()
    assert files.read_json(str(out / "fig2_mnist_samples_shapes.json"))["run_id"] == mlp.name
    assert files.read_json(str(out / "fig4_mnist_loss_shapes.json"))["history"] == \
        outputs.history(files.read_json(str(mlp / "history.json")))  # as the writer stores it


@pytest.mark.parametrize("argv, says", [
    (["--channels", "1"], "has channels 3, this command 1 (pass --channels 3)"),
    (["--channels", "3", "--n-latent", "3"], "has n latent 2, this command 3 (pass --n-latent 2)"),
    (["--channels", "3", "--encoder", "conv"], "has encoder mlp, this command conv (pass --encoder mlp)"),
    (["--channels", "3", "--image-size", "32"], "has image size 28, this command 32 (pass --image-size 28)"),
    (["--channels", "3", "--retrain"], "--retrain trains, --from-run never does; pass one of them"),
])
def test_from_run_refuses_what_does_not_fit_in_one_line(trained, shapes, tmp_path, argv, says):
    (mlp, *_) = [p for p in run_dir(trained) if files.read_json(str(p / "run.json"))["config"]["encoder"] == "mlp"]
    with pytest.raises(ConfigError) as e:
        run("fig3_mnist_latent", tmp_path, "--image-dir", shapes, "--from-run", mlp, *argv)
    assert str(e.value).startswith("--from-run %s: " % mlp) and str(e.value).endswith(says), str(e.value)
    assert "\n" not in str(e.value) and not (tmp_path / "runs").exists()


def test_from_run_refuses_other_data_and_damaged_weights(trained, tmp_path):
    (mlp, *_) = [p for p in run_dir(trained) if files.read_json(str(p / "run.json"))["config"]["encoder"] == "mlp"]
    with pytest.raises(ConfigError, match="was trained on an image folder, this command uses MNIST$"):
        run("fig2_mnist_samples", tmp_path, "--from-run", mlp, "--channels", "1")
    with pytest.raises(ConfigError, match=r"no model.npz, history.json, run.json there \(a finished run"):
        run("fig2_mnist_samples", tmp_path, "--from-run", tmp_path)
    # weights of another shape under the same record: named
    bad = tmp_path / "bad"
    shutil.copytree(mlp, bad)
    with np.load(bad / "model.npz") as npz:
        w = {k: npz[k] for k in npz.files}
    w["decoder/out/b"] = w["decoder/out/b"][:10]
    np.savez(bad / "model.npz", **w)
    from chainer_vae.cli.flags import parse
    config = parse(mnist_cli.MnistConfig, ["--image-dir", str(ROOT), "--channels", "3", "--smoke",
                                           "--from-run", str(bad), "--out", str(tmp_path)])
    with pytest.raises(ConfigError, match=r"model.npz's decoder/out/b is \(10,\), this command's networks need \(2352,\)"):
        runs.from_run(config, "images_x", "fp", runs.build_model(config), __import__(
            "chainer_vae.device", fromlist=["x"]).resolve_device("@numpy"))


def test_from_run_refusal_is_one_line_exit_2(trained, shapes, tmp_path):
    (mlp, *_) = run_dir(trained)
    proc = subprocess.run([sys.executable, os.path.join(EXPERIMENTS, "fig2_mnist_samples.py"), "--smoke",
                           "--out", str(tmp_path), "--image-dir", str(shapes), "--from-run", str(mlp)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --from-run %s: run %s has " % (mlp, mlp.name)), proc.stderr


# ----------------------------------------------------------------------------- shipped models
def test_a_shipped_model_is_used_instead_of_training(trained, shapes, tmp_path, monkeypatch, capsys):
    (mlp, *_) = [p for p in run_dir(trained) if files.read_json(str(p / "run.json"))["config"]["encoder"] == "mlp"]
    models = tmp_path / "models"
    models.mkdir()
    (models / "README.md").write_text("# shipped\n<!-- generated:models -->\n<!-- /generated:models -->\n")
    ship = load_script("tools/ship_model.py")
    ship.main([str(mlp), "--command", "python experiments/fig4_mnist_loss.py --image-dir shapes --channels 3",
               "--models", str(models)])
    record = files.read_json(str(models / (mlp.name + ".json")))
    assert record["model"]["sha256"] == shipped.sha256(str(models / (mlp.name + ".npz")))
    assert record["model"]["weights_sha256"] == shipped.weights_sha256(str(mlp / "model.npz"))
    assert mlp.name in (models / "README.md").read_text()
    monkeypatch.setenv(shipped.ENV, str(models))
    fresh = tmp_path / "fresh"  # a clone's results folder: no runs/
    capsys.readouterr()
    run("fig2_mnist_samples", fresh, "--image-dir", shapes, "--channels", 3)
    err = capsys.readouterr().err
    assert "using the shipped model %s (trained by: python experiments/fig4_mnist_loss.py --image-dir shapes " \
           "--channels 3)" % (models / (mlp.name + ".npz")) in err
    assert "epoch   1/" not in err and not (fresh / "runs").exists()
    assert files.read_json(str(fresh / "fig2_mnist_samples_shapes.json"))["run_id"] == mlp.name
    # Fig. 4 is the training itself: it trains here all the same, never drawing the shipped model
    run("fig4_mnist_loss", fresh, "--image-dir", shapes, "--channels", 3)
    err = capsys.readouterr().err
    assert "epoch   2/2" in err and "using the shipped model" not in err
    assert (fresh / "runs" / mlp.name / "model.npz").exists()
    # and --retrain makes any script train
    shutil.rmtree(fresh / "runs")
    run("fig2_mnist_samples", fresh, "--image-dir", shapes, "--channels", 3, "--retrain")
    assert "epoch   2/2" in capsys.readouterr().err and (fresh / "runs" / mlp.name / "model.npz").exists()
    # a shipped file that does not match its digest is not used: a warning, then training
    shutil.rmtree(fresh / "runs")
    with open(models / (mlp.name + ".npz"), "ab") as f:
        f.write(b"x")
    run("fig3_mnist_latent", fresh, "--image-dir", shapes, "--channels", 3)
    said = capsys.readouterr()
    assert "does not match its digest" in said.out and "epoch   2/2" in said.err


def committed_run(name):
    with open(os.path.join(ROOT, "results", name)) as f:
        d = json.load(f)
    return (d.get("run") or d)["run_id"], (d.get("run") or d)["data_fingerprint"]


def test_the_shipped_models_are_the_committed_results_runs():
    records = {r["run"]["run_id"]: r for r in shipped.listing(os.path.join(ROOT, "models"))}
    for result in ("fig4_mnist_loss.json", "mnist_loglik_mlp-mlp_z20.json", "mnist_loglik_mlp-mlp_z50.json"):
        run_id, fp = committed_run(result)
        assert run_id in records, result
        r = records[run_id]
        path = os.path.join(ROOT, "models", r["model"]["file"])
        assert shipped.sha256(path) == r["model"]["sha256"] and os.path.getsize(path) == r["model"]["bytes"]
        assert r["model"]["file"] in open(os.path.join(ROOT, "models", "README.md")).read()
        assert r["model"]["sha256"] in open(os.path.join(ROOT, "models", "README.md")).read()
        # the recorded settings and data give the run id back: the scripts will ask for it
        config = mnist_cli.MnistConfig(**r["run"]["config"])
        assert config.run_id("mnist", fp) == run_id == r["run"]["run_id"]
        assert r["run"]["data_fingerprint"] == fp and len(r["history"]) == config.epochs
        assert r["command"].startswith("python experiments/fig4_mnist_loss.py")


def test_a_fresh_clone_draws_fig2_from_the_shipped_model(tmp_path, mnist_root):
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, os.path.join(EXPERIMENTS, "fig2_mnist_samples.py"), "--no-progress",
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=600)
    took = time.perf_counter() - started
    assert proc.returncode == 0, proc.stderr
    run_id, _ = committed_run("fig4_mnist_loss.json")
    assert ("using the shipped model %s (trained by: python experiments/fig4_mnist_loss.py)"
            % os.path.join("models", run_id + ".npz")) in proc.stderr
    assert "epoch   1/" not in proc.stderr and not (tmp_path / "runs").exists()
    assert files.read_json(str(tmp_path / "fig2_mnist_samples.json"))["run_id"] == run_id
    print("fig2 from the shipped model: %.1f s" % took)


# ----------------------------------------------------------------------------- the page
def test_the_results_page_shows_own_data_runs_beside_mnist(trained, shapes):
    from test_report import missing_files
    from chainer_vae.report import explorer, page
    run("fig2_mnist_samples", trained, "--image-dir", shapes, "--channels", 3)
    run("fig3_mnist_latent", trained, "--image-dir", shapes, "--channels", 3)
    path, _ = page.build(str(trained))
    html = open(path, encoding="utf-8").read()
    assert 'id="own"' in html and 'data-own-explorer="shapes"' in html and "vaeExplorer.mountOwn()" in html
    own = html[html.index('id="own"'):html.index('id="fig5"')]
    for name in ("fig4_mnist_loss_shapes.png", "fig2_mnist_manifold_shapes.png", "fig3_mnist_latent_shapes.png",
                 "fig4_mnist_loss_shapes_conv.png", "explorer/data_shapes.js"):
        assert name in own, name
    mnist_part = html[:html.index('id="own"')]
    assert "fig4_mnist_loss_shapes" not in mnist_part  # not among MNIST's figures
    assert not [m for m in missing_files(path) if " ../" not in m]  # README and REPRODUCE sit above
    tag, data = explorer.read_own(str(trained / "explorer" / "data_shapes.js"))
    assert tag == "shapes" and data["image_shape"] == [28, 28, 3] and data["classes"] == list(COLOURS)
    assert data["decoder"]["layers"][-1]["out"] == 28 * 28 * 3


def test_the_judge_is_fitted_once_and_comes_back_bit_for_bit(tmp_path, monkeypatch):
    from chainer_vae.evaluation import judge
    monkeypatch.setenv(shipped.ENV, str(tmp_path / "no_models"))
    monkeypatch.setenv("CHAINER_VAE_CACHE", str(tmp_path / "cache"))
    rng = np.random.RandomState(0)
    x, y = rng.rand(300, 20).astype(np.float32), rng.randint(0, 3, 300)
    fitted = judge.cached(x, y, seed=1)
    calls = []
    monkeypatch.setattr(judge, "train", lambda *a, **k: calls.append(1))
    again = judge.cached(x, y, seed=1)
    assert not calls and np.array_equal(again.W, fitted.W) and np.array_equal(again.b, fitted.b)
    assert np.array_equal(again.W, judge.Logistic(20, 3).fit(x, y, seed=1).W)
    assert judge.key(x, y, 1) != judge.key(x, y, 2) and judge.key(x, y, 1) != judge.key(x[1:], y[1:], 1)


def test_the_shipped_judge_is_the_default_mnist_classifier(mnist_root):
    from chainer_vae.evaluation import judge
    config = mnist_cli.MnistConfig(progress=False)
    data = mnist_cli.load_data(config)
    path = os.path.join(ROOT, "models", "judge-%s.npz" % judge.key(data.train_x, data.train_y, 0))
    assert os.path.exists(path) and shipped.sha256(path) in open(os.path.join(ROOT, "models", "README.md")).read()


def test_the_architectures_table_on_an_image_folder(shapes, tmp_path):
    run("architectures", tmp_path, "--data", "mnist", "--pairs", "mlp/mlp,conv/conv", "--image-dir", shapes,
        "--channels", 3)
    text = (tmp_path / "architectures_shapes.md").read_text()
    assert "| images_shapes | mlp / mlp |" in text and "| images_shapes | conv / conv |" in text
    assert "- images_shapes: shapes: 48 images in 3 classes, size 28, channels 3" in text
    rows = files.read_json(str(tmp_path / "architectures_shapes.json"))["rows"]
    assert [r["parameters"] > 0 and r["run_id"].startswith("images_shapes-smoke-") for r in rows] == [True, True]
    assert not (tmp_path / "architectures.md").exists()  # MNIST's table is not touched


def test_a_music_script_refuses_an_image_run_before_reading_any_song(trained, tmp_path):
    (mlp, *_) = run_dir(trained)
    with pytest.raises(ConfigError, match=r"was trained on an image folder, this command uses MIDI$"):
        run("generate_music", tmp_path, "--from-run", mlp)
    assert not list(tmp_path.iterdir())


@pytest.mark.skipif(shutil.which("chromium") is None and shutil.which("chromium-browser") is None,
                    reason="chromium is not installed")
def test_the_own_data_explorer_draws_in_chromium(trained, shapes, tmp_path):
    import browser
    from chainer_vae.report import page
    run("fig3_mnist_latent", trained, "--image-dir", shapes, "--channels", 3)
    path, _ = page.build(str(trained))
    record = browser.check(path, str(tmp_path))
    assert record["errors"] == [] and record["broken_images"] == []
    assert record["own_explorers"] == ["0,0"]  # mounted, in colour, and drew its first image
