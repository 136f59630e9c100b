"""The paper's digitized curves: tools/digitize_paper.py, results/paper_curves.json, chainer_vae.paper_curves."""
import math
import os

import matplotlib

matplotlib.use("Agg")  # headless
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from chainer_vae.figures import paper as P  # noqa: E402
from chainer_vae.errors import DataError  # noqa: E402
from conftest import load_script  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAPER_DIR = os.path.join(os.path.dirname(ROOT), "shared", "paper")
# ../shared/paper/README.md's numbers, read off the figures by eye: (start, end) per curve and,
# for the KL curves, the minimum they dip to.
README = {
    "fig4": {"train_loss": (197, 148), "test_loss": (179, 155), "train_kl": (6.0, 6.6), "test_kl": (5.1, 6.3)},
    "fig5": {"train_loss": (1055, 747), "test_loss": (973, 832), "train_kl": (42, 28.5), "test_kl": (35, 23.3)},
}
README_MIN = {"fig4": {"train_kl": 5.4, "test_kl": 4.9}, "fig5": {"train_kl": 18, "test_kl": 16}}
README_TOLERANCE = 0.03  # "within a few percent": the README's numbers are rounded readings by eye


def load_digitizer():
    return load_script("tools/digitize_paper.py")


@pytest.fixture(scope="module")
def digitizer():
    return load_digitizer()


# ----------------------------------------------------------------------------- the committed JSON
def test_committed_json_has_every_curve_per_epoch():
    paper = P.load_paper_curves()
    assert set(paper) == {"fig4", "fig5"}
    assert paper["fig4"]["epochs"] == list(range(1, 61))
    assert paper["fig5"]["epochs"] == list(range(12, 61))  # loss_train[11:60]
    for fig, record in paper.items():
        assert record["x_plotted"] == list(range(len(record["epochs"])))
        for curve in P.CURVES:
            assert len(record[curve]) == len(record["epochs"]), (fig, curve)
            assert all(math.isfinite(v) and v > 0 for v in record[curve]), (fig, curve)
        assert record["source"] and record["method"] and record["epoch_mapping"]


def test_load_refuses_a_curve_of_the_wrong_length(tmp_path):
    bad = tmp_path / "curves.json"
    bad.write_text('{"fig4": {"epochs": [1, 2], "train_loss": [1], "test_loss": [1, 2], '
                   '"train_kl": [1, 2], "test_kl": [1, 2]}}')
    with pytest.raises(DataError, match="train_loss has 1 values for 2 epochs"):
        P.load_paper_curves(str(bad))
    with pytest.raises(DataError, match="cannot read"):
        P.load_paper_curves(str(tmp_path / "missing.json"))


# ----------------------------------------------------------------------------- the digitizer
@pytest.mark.skipif(not os.path.isdir(PAPER_DIR), reason="the paper's figures are not beside this checkout")
@pytest.mark.parametrize("fig", ["fig4", "fig5"])
def test_digitizer_matches_the_readme_and_the_committed_json(digitizer, fig):
    record = digitizer.digitize_figure(os.path.join(PAPER_DIR, digitizer.PANELS[fig]["file"]), fig)
    committed = P.load_paper_curves()[fig]
    for curve, (start, end) in README[fig].items():
        values = record[curve]
        assert values[0] == pytest.approx(start, rel=README_TOLERANCE), curve
        assert values[-1] == pytest.approx(end, rel=README_TOLERANCE), curve
        assert values == pytest.approx(committed[curve], abs=1e-3), "results/paper_curves.json is stale"
    for curve, low in README_MIN[fig].items():
        assert min(record[curve]) == pytest.approx(low, rel=README_TOLERANCE), curve
    if fig == "fig5":  # "falls to ~18 (around plotted epoch 14)"
        assert abs(int(np.argmin(record["train_kl"])) - 14) <= 1
    for notes in record["panels"]:  # the curves' ink starts at plotted x = 0 and ends at the last point
        for curve in (k for k in notes if k != "calibration"):
            lo, hi = notes[curve]["x_extent_plotted"]
            assert abs(lo) < 0.5 and abs(hi - (len(record["epochs"]) - 1)) < 0.5


def draw_like_the_paper(record, panels, path):
    """Known curves drawn the way the paper's notebook drew them: 15 x 5 in at 72 dpi, two
    panels, matplotlib's default line width, the two reds, a legend per panel."""
    colours = [tuple(c / 255 for c in rgb) for rgb in (load_digitizer().TRAIN_RGB, load_digitizer().TEST_RGB)]
    fig, axes = plt.subplots(1, 2, figsize=(15, 5), dpi=72)
    x = np.arange(len(record["epochs"]))
    for ax, spec in zip(axes, panels):
        for curve, colour in zip(spec["curves"], colours):
            ax.plot(x, record[curve], color=colour, label=curve.replace("_", " "))
        ax.set_xticks(spec["x_ticks"])
        ax.set_yticks(spec["y_ticks"])
        ax.set_xlabel("epochs")
        ax.set_ylabel("loss")
        ax.legend(fontsize=16)
    fig.savefig(path, dpi=72)
    plt.close(fig)


@pytest.mark.parametrize("fig", ["fig4", "fig5"])
def test_digitizer_reads_back_curves_it_knows(digitizer, tmp_path, fig):
    """Draw known curves (the committed ones, jittered) with the paper's layout and digitize them:
    every value within about a pixel, the mean error far below one."""
    rng = np.random.RandomState(0)
    truth = {k: (v if k not in P.CURVES else list(np.asarray(v) + rng.normal(0, 0.003 * np.ptp(v), len(v))))
             for k, v in P.load_paper_curves()[fig].items()}
    panels = digitizer.PANELS[fig]["panels"]
    draw_like_the_paper(truth, panels, tmp_path / "drawn.png")
    read = digitizer.digitize_figure(str(tmp_path / "drawn.png"), fig)
    for spec in panels:
        lo, hi = min(spec["y_ticks"]), max(spec["y_ticks"])
        px = (hi - lo) / 230  # units per pixel: these panels' tick ranges span 210-250 px
        for curve in spec["curves"]:
            error = np.asarray(read[curve]) - np.asarray(truth[curve])
            assert np.abs(error).max() < 1.5 * px, (curve, np.abs(error).max() / px)
            assert abs(error.mean()) < 0.2 * px, (curve, error.mean() / px)


def test_digitizer_refuses_a_wrong_number_of_tick_labels(digitizer, tmp_path):
    record = P.load_paper_curves()["fig4"]
    panels = digitizer.PANELS["fig4"]["panels"]
    draw_like_the_paper(record, panels, tmp_path / "drawn.png")
    wrong = [dict(panels[0], y_ticks=panels[0]["y_ticks"][:-1]), panels[1]]
    with pytest.raises(ValueError, match="detected 5 tick marks"):
        digitizer.digitize_figure(str(tmp_path / "drawn.png"), "fig4", panels=wrong)


# ----------------------------------------------------------------------------- distance, overlay
def history_from(record, offsets=None, epochs=None):
    """A history in our runs' format whose curves are the paper's plus per-curve offsets."""
    offsets = offsets or {}
    rows = []
    for i, e in enumerate(record["epochs"]):
        if epochs is not None and e not in epochs:
            continue
        row = {"epoch": e, "train": {"reconstr": 0.0}, "test": {"reconstr": 0.0}}
        for curve, (split, term) in P.CURVES.items():
            off = offsets.get(curve, 0.0)
            row[split][term] = record[curve][i] + (off(e) if callable(off) else off)
        rows.append(row)
    return rows


def test_distance_on_a_synthetic_history():
    paper = P.load_paper_curves()
    record = paper["fig5"]
    history = history_from(record, {"train_loss": 2.0, "test_loss": -3.0,
                                    "test_kl": lambda e: 5.0 if e == 30 else 0.0})
    history = history_from({"epochs": list(range(1, 12)), **{c: [1e3] * 11 for c in P.CURVES}}) + history
    d = P.distance(history, "fig5", paper)
    assert d["epochs"] == [12, 60] and d["missing_epochs"] == []
    assert d["train_loss"]["mean_abs"] == pytest.approx(2.0) and d["train_loss"]["max_abs"] == pytest.approx(2.0)
    assert d["test_loss"]["mean_abs"] == pytest.approx(3.0)
    assert d["train_kl"]["max_abs"] == pytest.approx(0.0, abs=1e-9)  # epochs 1-11 are not plotted: ignored
    assert d["test_kl"]["max_abs"] == pytest.approx(5.0) and d["test_kl"]["max_abs_epoch"] == 30
    assert d["test_kl"]["mean_abs"] == pytest.approx(5.0 / 49)
    assert all(d[c]["n_epochs"] == 49 for c in P.CURVES)


def test_distance_of_a_shorter_run_lists_the_missing_epochs():
    paper = P.load_paper_curves()
    d = P.distance(history_from(paper["fig4"], {"train_kl": 0.5}, epochs=range(1, 11)), "fig4", paper)
    assert d["missing_epochs"] == list(range(11, 61))
    assert d["train_kl"]["n_epochs"] == 10 and d["train_kl"]["mean_abs"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="none of fig5's epochs"):
        P.distance(history_from(paper["fig4"], epochs=range(1, 11)), "fig5", paper)


def test_overlay_draws_dashed_paper_curves_at_our_epochs():
    fig, ax = plt.subplots()
    try:
        lines = P.plot_paper_curves(ax, "fig5", curves=("train_kl", "test_kl"))
        record = P.load_paper_curves()["fig5"]
        assert [ln.get_label() for ln in lines] == ["paper train KL", "paper test KL"]
        assert all(ln.get_linestyle() == "--" for ln in lines)
        assert list(lines[0].get_xdata()) == record["epochs"]
        assert list(lines[1].get_ydata()) == record["test_kl"]
    finally:
        plt.close(fig)


def test_fig4_and_fig5_draw_the_paper_over_ours_with_paper(monkeypatch, tmp_path):
    from chainer_vae.figures import curves
    drawn = []
    monkeypatch.setattr(curves, "save", lambda fig, path, dpi=110: drawn.append(fig) or path)
    record = P.load_paper_curves()["fig5"]
    history = history_from({"epochs": list(range(1, 12)), **{c: [1e3] * 11 for c in P.CURVES}}) + \
        history_from(record, {c: 1.0 for c in P.CURVES})
    history[0]["train"]["loss"] = 5e3  # a first epoch far above the rest, as Fig. 5's
    curves.loss_and_kl(history, str(tmp_path / "f.png"), "t", (12, 60), paper="fig5")
    curves.loss_and_kl(history, str(tmp_path / "g.png"), "t", (12, 60))
    (loss_ax, kl_ax), (plain, _) = drawn[0].axes, drawn[1].axes
    labels = [ln.get_label() for ln in loss_ax.get_lines()]
    assert "paper train loss" in labels and "paper test loss" in labels
    assert "paper train KL" in [ln.get_label() for ln in kl_ax.get_lines()]
    assert not [ln for ln in plain.get_lines() if ln.get_label().startswith("paper")]
    assert loss_ax.get_ylim()[1] < 1.2 * max(record["train_loss"])  # our first epoch is left out
    plt.close("all")


def test_paper_is_an_option_of_the_figure_scripts():
    from chainer_vae.cli import flags
    fig5 = load_script("experiments/fig5_midi_loss.py", "fig5")
    with_paper = flags.parse(fig5.Fig5Config, ["--paper"])
    assert with_paper.paper and with_paper.run_id("midi", "x") == flags.parse(fig5.Fig5Config, []).run_id("midi", "x")
    assert fig5.PAPER_PLOTTED_EPOCHS == tuple(P.load_paper_curves()["fig5"]["epochs"][::48])


def test_score_and_shape():
    paper = P.load_paper_curves()
    record = paper["fig5"]
    on = history_from(record)
    assert P.score(P.distance(on, "fig5", paper), "fig5", paper) == 0
    off = history_from(record, {c: 0.1 * (max(record[c]) - min(record[c])) for c in P.CURVES})
    assert P.score(P.distance(off, "fig5", paper), "fig5", paper) == pytest.approx(0.1)
    own = P.shape(None, "fig5", paper)
    assert own == P.shape(on, "fig5", paper)
    # the README's readings: KL ~42 falling to ~18 around plotted epoch 14 (epoch 26), the kink at epoch 41
    assert own["train_kl"]["first"] == pytest.approx(42, abs=1) and own["train_kl"]["min"] == pytest.approx(18, abs=1)
    assert 24 <= own["train_kl"]["min_epoch"] <= 28 and own["kink"]["epoch"] == 41
    assert own["test_minus_train"]["first"] < -70 and own["test_minus_train"]["last"] > 70


@pytest.mark.usefixtures("mnist_root")
def test_fig4_paper_writes_the_overlay_beside_the_plain_figure(tmp_path):
    """--paper adds <stem>_paper.png and leaves <stem>.png as a run without it draws it (so a
    reviewer's rerun with or without --paper keeps the committed figure)."""
    fig4 = load_script("experiments/fig4_mnist_loss.py", "fig4")
    out = tmp_path / "out"
    fig4.main(["--smoke", "--no-progress", "--out", str(out)])
    plain = (out / "fig4_mnist_loss.png").read_bytes()
    assert not (out / "fig4_mnist_loss_paper.png").exists()
    fig4.main(["--smoke", "--no-progress", "--out", str(out), "--paper"])
    assert (out / "fig4_mnist_loss.png").read_bytes() == plain
    overlay = (out / "fig4_mnist_loss_paper.png").read_bytes()
    assert overlay != plain and overlay.startswith(b"\x89PNG")
