"""What new users hit at the edges of their data: file and folder names that are not UTF-8 on a
strict console, folder entries that are not usable files, truncated images, damaged run files,
generated pieces without notes, and the hints that name the flag that fixes a refusal.

Every case is fed as a user would meet it; the assertions are one line where it refuses (exit
2), and nothing lost: every entry of a folder used or named.
"""
import io
import re
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from chainer_vae import files
from chainer_vae.errors import ConfigError, DataError, UserError
from conftest import ROOT

EXPERIMENTS = os.path.join(ROOT, "experiments")
ETE = os.fsdecode(b"\xe9t\xe9")          # a class folder named in Latin-1 bytes: not UTF-8
PHOTOS = os.fsdecode(b"ph\xf6tos")       # the image folder itself
ODD_FILE = os.fsdecode(b"bad\xff.png")  # a damaged file with such a name


@pytest.fixture(scope="module", autouse=True)
def own_cache(tmp_path_factory):
    """This module's image and song caches in a folder of their own, not the checkout's."""
    with pytest.MonkeyPatch.context() as m:
        m.setenv("CHAINER_VAE_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield


def strings(obj):
    """Every string (keys too) of a JSON value."""
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield k
            yield from strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from strings(v)


def strict_json(path):
    """The JSON at ``path`` read as a strict reader would: UTF-8, no lone surrogate anywhere."""
    with open(path, "rb") as f:
        obj = json.loads(f.read().decode("utf-8"))
    bad = [s for s in strings(obj) if any("\ud800" <= ch <= "\udfff" for ch in s)]
    assert not bad, bad[:3]
    return obj


def noise_folder(root, classes, per_class=24, seed=0):
    rng = np.random.RandomState(seed)
    for cls in classes:
        os.makedirs(os.path.join(root, cls))
        for i in range(per_class):
            Image.fromarray((rng.rand(28, 28) * 255).astype(np.uint8)).save(os.path.join(root, cls, "%02d.png" % i))
    return root


# ----------------------------------------------------------------------------- names
def test_a_name_is_shown_in_one_form_that_any_encoder_takes():
    assert files.display_name(ETE) == "\\xe9t\\xe9" == files.display_name(b"\xe9t\xe9")
    assert files.display_name(os.path.join(PHOTOS, ETE)) == "ph\\xf6tos/\\xe9t\\xe9"
    assert files.display_name("été/ok.png") == "été/ok.png"  # valid UTF-8 stays as it is
    assert files.display_name(files.display_name(ETE)) == files.display_name(ETE)
    files.display_name("\ud800").encode("utf-8")  # a surrogate no file name decodes to: still encodes
    assert str(DataError("cannot read %s" % ETE)) == "cannot read \\xe9t\\xe9"  # every project error


def test_a_strict_console_prints_an_undecodable_name_escaped():
    code = ("import os, sys; from chainer_vae import files; files.console_safe(); "
            "print(os.fsdecode(b'caf\\xe9/\\xff.png')); print('été', os.fsdecode(b'\\xe9'), file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=ROOT, timeout=120,
                          env=dict(os.environ, PYTHONIOENCODING="utf-8:strict"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode("utf-8") == "caf\\xe9/\\xff.png\n"
    assert proc.stderr.decode("utf-8") == "été \\xe9\n"
    ascii_console = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=ROOT, timeout=120,
                                   env=dict(os.environ, PYTHONIOENCODING="ascii:strict"))
    assert ascii_console.returncode == 0, ascii_console.stderr
    assert ascii_console.stdout == b"caf\\xe9/\\xff.png\n" and ascii_console.stderr == b"\\xe9t\\xe9 \\xe9\n"


def test_json_with_an_undecodable_name_stays_valid_utf8(tmp_path):
    files.write_json(str(tmp_path / "x.json"), {"classes": [ETE, "ok"], ETE: os.path.join(PHOTOS, ODD_FILE)})
    assert strict_json(tmp_path / "x.json") == {"classes": ["\\xe9t\\xe9", "ok"],
                                                "\\xe9t\\xe9": "ph\\xf6tos/bad\\xff.png"}


def test_a_non_utf8_image_folder_runs_end_to_end_on_a_strict_console(tmp_path):
    """fig3 --smoke (the scatter's legend draws the class names) on a folder whose own name, a
    class folder and a damaged file's name are not UTF-8, writing into an --out that is not
    either, under PYTHONIOENCODING=utf-8:strict: exit 0, every name escaped in one form."""
    root = noise_folder(os.path.join(str(tmp_path), PHOTOS), [ETE, "hiver"])
    with open(os.path.join(root, ETE, ODD_FILE), "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n not really")
    out = os.path.join(str(tmp_path), os.fsdecode(b"r\xe9sultats"))
    proc = subprocess.run([sys.executable, os.path.join(EXPERIMENTS, "fig3_mnist_latent.py"), "--smoke",
                           "--no-progress", "--image-dir", root, "--out", out], capture_output=True, timeout=600,
                          cwd=ROOT, env=dict(os.environ, PYTHONIOENCODING="utf-8:strict"))
    stdout, stderr = proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")
    assert proc.returncode == 0, stderr[-3000:]
    assert "skipped: ph\\xf6tos/\\xe9t\\xe9/bad\\xff.png: not an image" in stdout, stdout
    assert "(hiver: 24, \\xe9t\\xe9: 24)" in stdout and "r\\xe9sultats" in stdout + stderr
    (json_path,) = [os.path.join(out, f) for f in os.listdir(out) if f.endswith(".json")]
    d = strict_json(json_path)
    assert d["classes"] == ["hiver", "\\xe9t\\xe9"] and d["image_folder"] == "ph\\xf6tos"
    assert any("bad\\xff.png" in line for line in d["conversion_report"])


def test_a_non_utf8_midi_class_is_named_in_the_same_form(tmp_path):
    from chainer_vae.data.midi.corpus import load_midi_dataset
    from test_corpus import make_dataset
    root = make_dataset(tmp_path / "tunes", songs_per_class=2, classes=(ETE, "reel"))
    with open(os.path.join(str(root), ETE, ODD_FILE.replace(".png", ".mid")), "wb") as f:
        f.write(b"MThd garbage")
    data = load_midi_dataset(str(root), windows_per_song=4, cache_dir=str(tmp_path / "c"), progress=False)
    assert data.classes == ["reel", "\\xe9t\\xe9"] or data.classes == ["\\xe9t\\xe9", "reel"]
    assert any(line.startswith("skipped: ") and "\\xe9t\\xe9/bad\\xff.mid" in line for line in data.report), data.report
    for line in data.report + data.classes + [s["class"] for s in data.songs]:
        line.encode("utf-8")
    # and a music script end to end on a strict console: piano-roll titles name the class
    out = os.path.join(str(tmp_path), os.fsdecode(b"m\xfcsic"))
    proc = subprocess.run([sys.executable, os.path.join(EXPERIMENTS, "generate_music.py"), "--smoke", "--no-progress",
                           "--midi-dir", str(root), "--out", out, "--stat-windows", "32"], capture_output=True,
                          timeout=600, cwd=ROOT, env=dict(os.environ, PYTHONIOENCODING="utf-8:strict"))
    assert proc.returncode == 0, proc.stderr.decode("utf-8")[-3000:]
    assert "\\xe9t\\xe9/bad\\xff.mid" in proc.stdout.decode("utf-8")
    music = strict_json(os.path.join(out, "music_tunes", "music.json"))
    assert any("\\xe9t\\xe9/bad\\xff.mid" in line for line in music["conversion_report"])


# ----------------------------------------------------------------------------- folder entries
def test_every_entry_of_an_image_folder_is_used_or_named(tmp_path):
    from chainer_vae.data.images.folder import scan
    root = noise_folder(str(tmp_path / "imgs"), ["a", "b"], per_class=2)
    os.symlink("loop.png", os.path.join(root, "a", "loop.png"))                   # points to itself
    os.symlink(str(tmp_path / "gone.png"), os.path.join(root, "b", "gone.png"))  # its target is missing
    os.symlink(os.path.join(root, "b"), os.path.join(root, "a", "elsewhere"))    # a folder, inside a class
    os.mkfifo(os.path.join(root, "a", "pipe.png"))                               # would hang a reader
    os.symlink("self", os.path.join(root, "self"))                               # beside the classes
    report = []
    classes, found = scan(root, report)
    assert classes == ["a", "b"] and len(found) == 4
    said = {line.split(": ")[1]: line.split(": ", 2)[2] for line in report if line.startswith("skipped: ")}
    assert said == {
        os.path.join(root, "a", "loop.png"): "a symbolic link that leads back to itself (a loop)",
        os.path.join(root, "b", "gone.png"): "a symbolic link to %s, which does not exist" % (tmp_path / "gone.png"),
        os.path.join(root, "a", "elsewhere"): "a symbolic link to a folder (links inside a class folder are not followed)",
        os.path.join(root, "a", "pipe.png"): "not a regular file: a named pipe (FIFO)",
        os.path.join(root, "self"): "a symbolic link that leads back to itself (a loop)"}


def test_every_entry_of_a_midi_folder_is_used_or_named(tmp_path):
    from chainer_vae.data.midi.corpus import _midi_files
    from test_corpus import make_dataset
    root = make_dataset(tmp_path / "tunes", songs_per_class=1)
    os.symlink("loop.mid", root / "a_major" / "loop.mid")
    os.mkfifo(root / "b_minor" / "pipe.mid")
    os.symlink(root / "b_minor", root / "a_major" / "elsewhere")
    (root / "a_major" / "notes.txt").write_text("liner notes")
    (root / "b_minor" / "cover.jpg").write_bytes(b"x")
    report = []
    classes, found = _midi_files(str(root), report)
    assert classes == ["a_major", "b_minor"] and len(found) == 2
    assert sorted(report) == sorted([
        "skipped: %s: a symbolic link that leads back to itself (a loop)" % (root / "a_major" / "loop.mid"),
        "skipped: %s: not a regular file: a named pipe (FIFO)" % (root / "b_minor" / "pipe.mid"),
        "skipped: %s: a symbolic link to a folder (links inside a class folder are not followed)"
        % (root / "a_major" / "elsewhere"),
        "ignored: 2 files that are not MIDI (.mid, .midi, .kar): .txt: 1, .jpg: 1"])


def test_a_file_given_as_the_folder_is_called_a_file(tmp_path):
    from chainer_vae.cli import flags, mnist, midi
    from chainer_vae.data.images import load_image_folder
    png = tmp_path / "one.png"
    Image.new("L", (8, 8)).save(png)
    with pytest.raises(ConfigError, match=r"^--image-dir .*one\.png: a file, not a folder$"):
        flags.parse(mnist.MnistConfig, ["--image-dir", str(png)])
    with pytest.raises(ConfigError, match=r"^--midi-dir .*one\.png: a file, not a folder$"):
        flags.parse(midi.MidiConfig, ["--midi-dir", str(png)])
    with pytest.raises(ConfigError, match=r"^--image-dir .*nothing: no such folder$"):
        flags.parse(mnist.MnistConfig, ["--image-dir", str(tmp_path / "nothing")])
    with pytest.raises(DataError, match=r"one\.png is a file, not a folder"):
        load_image_folder(str(png), cache_dir=False, progress=False)


def jpeg_bytes(progressive=False, exif=False):
    rng = np.random.RandomState(1)
    im = Image.fromarray((rng.rand(64, 48, 3) * 255).astype(np.uint8))
    buf = io.BytesIO()
    kwargs = {"exif": Image.Exif()} if exif else {}
    if exif:
        kwargs["exif"][0x010F] = "a camera"
    im.save(buf, "JPEG", quality=90, progressive=progressive, **kwargs)
    return buf.getvalue()


@pytest.mark.parametrize("progressive", [False, True])
def test_a_truncated_jpeg_is_skipped_as_ending_early(tmp_path, progressive):
    from chainer_vae.data.images.file import ImageSkip, jpeg_ends_early, read_image
    whole = jpeg_bytes(progressive)
    for name, data, ends_early in [("whole.jpg", whole, False), ("appended.jpg", whole + b"camera junk \xff\xda", False),
                                   ("thumb.jpg", jpeg_bytes(progressive, exif=True), False),
                                   ("no_end.jpg", whole[:-2], True), ("half.jpg", whole[:len(whole) // 2], True)]:
        if name == "whole.jpg":  # stray bytes between two segments: resynchronized on, as libjpeg does
            stray = tmp_path / "stray.jpg"
            stray.write_bytes(whole[:2] + b"\x00\x00" + whole[2:])
            assert not jpeg_ends_early(str(stray))
        path = tmp_path / name
        path.write_bytes(data)
        assert jpeg_ends_early(str(path)) == ends_early or name == "half.jpg", name
        if ends_early:
            with pytest.raises(ImageSkip, match="image data ends early"):
                read_image(str(path))
        else:
            read_image(str(path))


# ----------------------------------------------------------------------------- damaged run files
def script_main(name):
    import runpy
    return runpy.run_path(os.path.join(EXPERIMENTS, name + ".py"))["main"]


def smoke(name, out, *argv):
    return script_main(name)(["--smoke", "--no-progress", "--out", str(out)] + [str(a) for a in argv])


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """(image folder, --out, the run folder) of a fig4 --smoke run on a small noise folder."""
    root = noise_folder(str(tmp_path_factory.mktemp("data") / "noise"), ["a", "b"])
    out = tmp_path_factory.mktemp("results")
    smoke("fig4_mnist_loss", out, "--image-dir", root)
    (run_dir,) = [p for p in (out / "runs").iterdir()]
    return root, out, run_dir


def truncate(path, keep=0.5):
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])


@pytest.mark.parametrize("damage, says", [
    ("model.npz", "model.npz is damaged (not a complete .npz archive: truncated or overwritten)"),
    ("history.json", "history.json is damaged: not valid JSON (it breaks off at byte"),
    ("run.json", "run.json is damaged: not valid JSON (it breaks off at byte"),
])
def test_from_run_with_a_damaged_file_names_it_in_one_line(finished, tmp_path, damage, says):
    root, _, run_dir = finished
    elsewhere = tmp_path / "copied_run"
    shutil.copytree(run_dir, elsewhere)
    truncate(elsewhere / damage)
    with pytest.raises(UserError) as e:
        smoke("fig3_mnist_latent", tmp_path / "out", "--image-dir", root, "--from-run", elsewhere)
    assert str(e.value).startswith("--from-run %s: %s" % (elsewhere, says)), str(e.value)
    assert "\n" not in str(e.value) and not (tmp_path / "out" / "runs").exists()


def test_from_run_with_a_truncated_model_exits_2_with_one_line(finished, tmp_path):
    root, _, run_dir = finished
    elsewhere = tmp_path / "copied_run"
    shutil.copytree(run_dir, elsewhere)
    truncate(elsewhere / "model.npz", 0.9)
    proc = subprocess.run([sys.executable, os.path.join(EXPERIMENTS, "fig2_mnist_samples.py"), "--smoke",
                           "--out", str(tmp_path / "out"), "--image-dir", root, "--from-run", str(elsewhere)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert proc.stderr.strip().splitlines()[-1] == (
        "error: --from-run %s: model.npz is damaged (not a complete .npz archive: truncated or overwritten)"
        % elsewhere), proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("damage", ["model.npz", "history.json", "run.json"])
def test_a_damaged_finished_run_is_named_with_the_flag_that_retrains_it(finished, tmp_path, damage):
    root, out, run_dir = finished
    mine = tmp_path / "out"
    shutil.copytree(out / "runs", mine / "runs")
    path = mine / "runs" / run_dir.name / damage
    path.write_bytes(b"\x00" * 7)  # overwritten
    with pytest.raises(UserError) as e:
        smoke("fig3_mnist_latent", mine, "--image-dir", root)
    text = str(e.value)
    assert text.startswith(str(path) + " is damaged") and text.endswith("; --retrain trains this run again"), text
    assert "\n" not in text and path.read_bytes() == b"\x00" * 7  # nothing touched


def test_a_damaged_snapshot_is_kept_aside_and_the_run_starts_over(finished, tmp_path, capsys):
    """An interrupted run whose snapshot.npz was cut short: one line says so and what happens
    (kept as snapshot.npz.corrupt, training starts over), and the new run is the fresh run's
    to the last bit: nothing of the damaged file was half-loaded."""
    root, out, run_dir = finished
    mine = tmp_path / "out"
    interrupted = mine / "runs" / run_dir.name
    shutil.copytree(run_dir, interrupted)
    (interrupted / "model.npz").rename(interrupted / "snapshot.npz")  # a snapshot-sized archive ...
    truncate(interrupted / "snapshot.npz", 0.6)                      # ... cut short
    (interrupted / "run.json").unlink()
    capsys.readouterr()
    smoke("fig4_mnist_loss", mine, "--image-dir", root)
    err = capsys.readouterr().err
    (line,) = [x for x in err.splitlines() if "snapshot" in x]
    assert line == ("snapshot %s is damaged (not a complete .npz archive: truncated or overwritten): moved it "
                    "aside to snapshot.npz.corrupt; training starts over at epoch 1" % (interrupted / "snapshot.npz"))
    assert (interrupted / "snapshot.npz.corrupt").exists() and (interrupted / "model.npz").exists()
    strip = lambda h: [{k: v for k, v in row.items() if k != "seconds"} for row in h]  # noqa: E731
    assert strip(files.read_json(str(interrupted / "history.json"))) == \
        strip(files.read_json(str(run_dir / "history.json")))


def test_a_damaged_shipped_record_is_one_warning_and_training(tmp_path, capsys):
    from chainer_vae.train import shipped
    (tmp_path / "images_x-abc.json").write_text('{"model": {"file": "images_x-abc.npz", "sha2')
    assert shipped.find("images_x-abc", str(tmp_path)) is None
    assert capsys.readouterr().out == ("warning: the shipped model's record %s is damaged (not valid JSON: "
                                       "truncated or overwritten); training instead\n" % (tmp_path / "images_x-abc.json"))
    (tmp_path / "images_x-abc.json").write_text('{"model": {"file": "images_x-abc.npz"}}')
    assert shipped.find("images_x-abc", str(tmp_path)) is None
    assert "valid JSON, but not a shipped model's record" in capsys.readouterr().out


# ----------------------------------------------------------------------------- silent samples
@pytest.fixture(scope="module")
def tunes(tmp_path_factory):
    """A small MIDI class folder (synthesized: the test does not depend on the shared data)."""
    from test_corpus import make_dataset
    return str(make_dataset(tmp_path_factory.mktemp("midi") / "tunes", songs_per_class=2))


def test_empty_generated_pieces_are_counted_and_the_fix_named(tunes, tmp_path, capsys):
    """A model whose probabilities stay below the threshold (here 0.999 on a 2-epoch model; on a
    pop folder the paper's 0.2 does the same): the pieces are written and one line says how many
    are empty and which setting gives them notes; --threshold auto then measures one."""
    out = tmp_path / "out"
    smoke("generate_music", out, "--midi-dir", tunes, "--threshold", "0.999", "--stat-windows", 64)
    lines = capsys.readouterr().out.splitlines()
    (warning,) = [x for x in lines if x.startswith("warning: ")]
    assert warning.startswith("warning: of the 6 generated pieces, 6 have no notes (sample_00.mid, sample_01.mid, "
                              "sample_02.mid, sample_03.mid, ...): the decoder's note probabilities stay below "
                              "threshold=0.999; --threshold auto picks the threshold"), warning
    music = files.read_json(str(out / "music_tunes" / "music.json"))
    assert music["threshold"] == 0.999 and sum(e["notes"] == 0 for e in music["files"]) >= 6

    smoke("generate_music", out, "--midi-dir", tunes, "--threshold", "auto", "--stat-windows", 64)
    lines = capsys.readouterr().out.splitlines()
    (auto,) = [x for x in lines if x.startswith("--threshold auto: ")]
    t, got, target = (float(v) for v in re.match(
        r"--threshold auto: ([0-9.e-]+) \(prior samples sound in ([0-9.]+)% of the cells at it, the training "
        r"windows in ([0-9.]+)%; measured on 64 prior samples and 64 training windows\)$", auto).groups())
    assert 0 < t < 1 and abs(got - target) < 0.5, auto
    music = files.read_json(str(out / "music_tunes" / "music.json"))
    assert music["threshold"] == t and music["threshold_auto"] is True and music["sampling"] == "threshold=%g" % t
    prior = [e for e in music["files"] if e["kind"] == "prior sample"]
    assert all(e["notes"] > 0 for e in prior), prior


def test_the_sparse_warning_counts_only_generated_pieces():
    from chainer_vae.cli import music
    w = music.Writer.__new__(music.Writer)
    w.out, w.setting, w.auto = "out", ("threshold", 0.2), False
    w.written = [{"kind": "prior sample", "file": "a.mid", "notes": 0, "steps": 100},
                 {"kind": "prior sample", "file": "b.mid", "notes": 3, "steps": 100},   # 3 < 100 / 16
                 {"kind": "prior sample", "file": "c.mid", "notes": 7, "steps": 100},
                 {"kind": "test window (x)", "file": "d.mid", "notes": 0, "steps": 100}]
    assert w.sparse() == ("warning: of the 3 generated pieces, 1 has no notes (a.mid) and 1 has fewer than 1 note "
                          "a bar (b.mid): the decoder's note probabilities stay below threshold=0.2; --threshold auto "
                          "picks the threshold at which prior samples sound as often as the training data "
                          "(README: Big MIDI folders)")
    w.written = w.written[2:]
    assert w.sparse() == ""


# ----------------------------------------------------------------------------- hints
def test_a_finished_run_of_other_settings_on_the_same_data_is_named(finished, tmp_path, capsys):
    """After fig4 with --epochs 3 --image-size 32, fig3 without them does not reuse that run: it
    says which finished run exists, the flags that differ, and the --from-run that draws it."""
    root, out, _ = finished
    mine = tmp_path / "out"
    smoke("fig4_mnist_loss", mine, "--image-dir", root, "--epochs", 3, "--image-size", 32)
    (theirs,) = list((mine / "runs").iterdir())
    capsys.readouterr()
    smoke("fig3_mnist_latent", mine, "--image-dir", root)
    (note,) = [x for x in capsys.readouterr().err.splitlines() if x.startswith("note: ")]
    assert note == ("note: no finished run has this command's settings; %s, on the same data, was trained with "
                    "--epochs 3 --image-size 32 (this command: --epochs 2 --image-size 28): add those flags to "
                    "reuse it, or draw it as it is with --from-run %s --image-size 32; training a new run"
                    % (theirs, theirs))
    capsys.readouterr()
    smoke("fig3_mnist_latent", tmp_path / "drawn", "--image-dir", root, "--from-run", theirs, "--image-size", 32)
    assert "using the run %s (--from-run" % theirs in capsys.readouterr().err  # the hint works as said


def test_a_batch_larger_than_the_data_names_the_flag(tmp_path):
    root = noise_folder(str(tmp_path / "few"), ["a", "b"], per_class=5)
    with pytest.raises(DataError, match=r"^batch size 32 exceeds the 8 training examples: pass a --batch-size "
                                        r"no larger than that, or more data$"):
        smoke("fig4_mnist_loss", tmp_path / "out", "--image-dir", root)


# ----------------------------------------------------------------------------- smaller
def test_an_unknown_device_lists_the_accepted_values():
    from chainer_vae.device import resolve_device
    from chainer_vae.errors import DeviceError
    with pytest.raises(DeviceError) as e:
        resolve_device("banana")
    assert str(e.value) == ("--device banana: not a device; accepted: -1 or @numpy (the CPU), a GPU number 0, 1, ... "
                            "or @cupy:0, @cupy:1, ...")


@pytest.mark.parametrize("signature, label, ticks", [
    (None, "sixteenth-note step (a line every 16 steps)", ["0", "16", "32"]),
    ("6/8", "bar (6/8, 12 sixteenth-note steps each)", ["1", "2", "3"]),
])
def test_the_piano_roll_claims_no_metre_the_data_does_not_have(monkeypatch, tmp_path, signature, label, ticks):
    from chainer_vae.figures import rolls
    drawn = {}
    monkeypatch.setattr(rolls, "save", lambda fig, path, **kw: drawn.setdefault("ax", fig.axes[0]))
    notes = np.zeros((32 if signature is None else 24, 156), np.uint8)
    notes[:8, 40] = 1
    rolls.piano_roll(notes, str(tmp_path / "x.png"), "t", steps_per_bar=16 if signature is None else 12,
                     time_signature=signature)
    ax = drawn["ax"]
    assert ax.get_xlabel() == label and [t.get_text() for t in ax.get_xticklabels()] == ticks


def test_user_facing_text_speaks_of_no_issues():
    import ast
    texts = {}
    for folder in ("experiments", os.path.join("chainer_vae", "cli")):
        for name in os.listdir(os.path.join(ROOT, folder)):
            if name.endswith(".py"):
                with open(os.path.join(ROOT, folder, name)) as f:
                    texts[os.path.join(folder, name)] = f.read()  # docstrings (--help) and option help
    with open(os.path.join(ROOT, "tools", "gpu_check.py")) as f:
        texts["tools/gpu_check.py --help"] = ast.get_docstring(ast.parse(f.read()))
    for name in ("README.md", "REPRODUCE.md"):
        with open(os.path.join(ROOT, name)) as f:
            texts[name] = f.read()
    found = {k: m.group(0) for k, v in texts.items() for m in [re.search(r"\b[Ii]ssues?( author|'s| \d)", v)] if m}
    assert not found, found


def test_readme_lists_every_png_fig2_writes():
    with open(os.path.join(ROOT, "README.md")) as f:
        (row,) = [line for line in f if line.startswith("| Fig. 2 ")]
    for name in ("manifold", "manifold_codes", "prior_samples", "per_digit"):
        assert re.search(r"fig2_mnist_\{[^}]*\b%s\b[^}]*\}\.png" % name, row), name


def test_a_song_split_without_songs_to_spare_names_the_flags(tmp_path):
    from chainer_vae.data.midi.corpus import load_midi_dataset
    from test_corpus import make_dataset
    root = make_dataset(tmp_path / "tunes", songs_per_class=1)
    with pytest.raises(DataError, match=r"^split='song' \(--split song\) needs at least 2 usable songs in class "
                                        r"'a_major', found 1 \(tunes\): add songs, or pass --split window$"):
        load_midi_dataset(str(root), split="song", cache_dir=str(tmp_path / "c"), progress=False)
