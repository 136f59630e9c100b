"""Windows, splits, bad-file reports and the on-disk cache (chainer_vae.data.midi.corpus)."""
import os
import time

import numpy as np
import pytest

from chainer_vae.data.midi import corpus, notestate
from chainer_vae.data.midi.corpus import export_corpus_midi, load_midi_dataset, song_windows, window_starts
from chainer_vae.data.midi.windows import Windows
from chainer_vae.errors import DataError


def random_song(rng, n_steps):
    """A random monophonic line plus a bass: distinct songs give distinct windows."""
    notes, t = [], 0
    while t < n_steps:
        length = int(rng.randint(1, 4))
        notes.append((int(rng.randint(48, 84)), t, min(t + length, n_steps)))
        t += length
    notes += [(36 + int(rng.randint(0, 12)), s, s + 8) for s in range(0, n_steps - 8, 8)]
    return notestate.notestate_from_notes(notes, n_steps)


def make_dataset(root, songs_per_class=4, classes=("b_minor", "a_major"), seed=1):
    rng = np.random.RandomState(seed)
    for cls in classes:
        for i in range(songs_per_class):
            notestate.write_midi(random_song(rng, int(rng.randint(150, 400))), root / cls / f"song{i}.mid")
    return root


def window_set(x):
    return {w.tobytes() for w in x}


def test_window_starts_and_shapes():
    assert window_starts(500, 100, 200).tolist() == [2 * i for i in range(200)]
    starts = window_starts(1234, 100, 200)
    assert starts.tolist() == [i * 1134 // 200 for i in range(200)] and starts[-1] < 1134
    m = np.random.RandomState(0).randint(0, 2, (537, 156)).astype(np.uint8)
    w = song_windows(m, 100, 200)
    assert w.shape == (200, 100, 156) and w.dtype == np.uint8
    for i in (0, 1, 77, 199):
        np.testing.assert_array_equal(w[i], m[window_starts(537)[i]:window_starts(537)[i] + 100])
    assert (window_starts(100) == 0).all()
    with pytest.raises(ValueError):
        song_windows(m[:99])


def test_window_split_sizes_and_balance(tmp_path):
    root = make_dataset(tmp_path / "data")
    d = load_midi_dataset(root, cache_dir=tmp_path / "cache", progress=False)
    assert d.classes == ["a_major", "b_minor"]  # sorted by name
    assert d.train_x.shape == (1280, 100, 156) and d.test_x.shape == (320, 100, 156)
    assert d.train_x.dtype == np.uint8 and d.train_y.dtype == np.int32
    assert np.bincount(d.train_y).tolist() == [640, 640] and np.bincount(d.test_y).tolist() == [160, 160]
    assert len(d.songs) == 8 and {s["windows"] for s in d.songs} == {200}
    # each class's train + test windows are exactly that class's song windows
    for ci, cls in enumerate(d.classes):
        expected = [song_windows(notestate.read_notestate(os.path.join(root, s["path"]))[0]) for s in d.songs if s["class"] == cls]
        got = np.concatenate([d.train_x[d.train_y == ci], d.test_x[d.test_y == ci]])
        assert sorted(w.tobytes() for w in got) == sorted(w.tobytes() for w in np.concatenate(expected))
    again = load_midi_dataset(root, cache_dir=tmp_path / "cache", progress=False)
    np.testing.assert_array_equal(again.test_x.starts, d.test_x.starts)  # seeded: reproducible
    other = load_midi_dataset(root, cache_dir=tmp_path / "cache", progress=False, seed=5)
    assert not np.array_equal(other.test_x.starts, d.test_x.starts)


def test_song_split_is_disjoint(tmp_path):
    root = make_dataset(tmp_path / "data")
    d = load_midi_dataset(root, split="song", cache_dir=tmp_path / "cache", progress=False)
    for cls in d.classes:
        assert sorted(s["split"] for s in d.songs if s["class"] == cls) == ["test", "train", "train", "train"]
    assert len(d.train_x) == 6 * 200 and len(d.test_x) == 2 * 200
    assert not window_set(d.train_x) & window_set(d.test_x)
    for s in d.songs:
        windows = window_set(song_windows(notestate.read_notestate(os.path.join(root, s["path"]))[0]))
        assert windows <= window_set(d.test_x if s["split"] == "test" else d.train_x)


def test_bad_files_are_reported_not_fatal(tmp_path):
    root = make_dataset(tmp_path / "data", songs_per_class=1)
    (root / "a_major" / "empty.mid").write_bytes(b"")
    (root / "a_major" / "notes.mid").write_text("these are my notes, not MIDI\n")
    notestate.write_midi(notestate.notestate_from_notes([(60, 0, 40)], 40), root / "b_minor" / "short.mid")
    (root / "b_minor" / "readme.txt").write_text("ignored: not named like MIDI")
    d = load_midi_dataset(root, cache_dir=tmp_path / "cache", progress=False)
    assert [s["name"] for s in d.songs] == ["song0.mid", "song0.mid"]
    lines = d.report[:-1]
    assert len(lines) == 4 and "ignored: 1 file that is not MIDI (.mid, .midi, .kar): .txt: 1" in lines
    assert any("empty.mid" in line and "empty file" in line for line in lines)
    assert any("notes.mid" in line and "not a MIDI file" in line for line in lines)
    assert any("short.mid" in line and "too short (40 steps" in line for line in lines)
    assert "3 files skipped" in d.report[-1] and "2 songs" in d.report[-1]


def test_a_quota_or_smoke_run_still_reports_every_bad_file(tmp_path):
    # --smoke takes one song a class: the bad files after it must still be named, not hidden
    root = make_dataset(tmp_path / "data", songs_per_class=2)
    (root / "b_minor" / "zz_broken.mid").write_bytes(b"MThd\x00")
    d = load_midi_dataset(root, cache_dir=tmp_path / "cache", progress=False, max_songs_per_class=1)
    assert len(d.songs) == 2
    assert any("zz_broken.mid" in line and "corrupt MIDI data" in line for line in d.report[:-1])
    assert "1 files skipped" in d.report[-1]


def test_link_loops_and_dangling_links_get_one_line_each(tmp_path):
    root = make_dataset(tmp_path / "data", songs_per_class=1)
    os.symlink("loop.mid", root / "a_major" / "loop.mid")              # points to itself
    os.symlink(tmp_path / "gone.mid", root / "b_minor" / "gone.mid")   # its target is missing
    os.symlink("folk", root / "folk")                                  # a class folder that loops
    d = load_midi_dataset(root, cache_dir=False, progress=False)
    lines = d.report[:-1]
    assert len(d.songs) == 2 and len(lines) == 3, lines
    assert any("loop.mid" in line and "leads back to itself (a loop)" in line for line in lines)
    assert any("folk" in line and "leads back to itself" in line for line in lines)
    assert any("gone.mid" in line and "does not exist" in line for line in lines)


def test_a_run_prints_the_first_bad_files_and_a_count_of_the_rest():
    from chainer_vae.data.classes import REPORT_LINES, report_lines
    report = ["skipped: f%d.mid: empty file (0 bytes)" % i for i in range(12)] + ["summary"]
    shown = report_lines(report)
    assert shown[:REPORT_LINES] == report[:REPORT_LINES] and shown[-1] == "summary"
    assert "and %d more" % (12 - REPORT_LINES) in shown[REPORT_LINES] and len(shown) == REPORT_LINES + 2
    assert report_lines(report[-3:]) == report[-3:]


def test_only_bad_files_is_a_data_error(tmp_path):
    bad = tmp_path / "bad" / "cls"
    bad.mkdir(parents=True)
    (bad / "a.mid").write_bytes(b"")
    (bad / "b.mid").write_text("text")
    with pytest.raises(DataError, match=str(tmp_path / "bad")):
        load_midi_dataset(tmp_path / "bad", cache_dir=False, progress=False)
    with pytest.raises(DataError, match="does not exist"):
        load_midi_dataset(tmp_path / "missing", cache_dir=False, progress=False)


def test_second_load_hits_the_cache(tmp_path, monkeypatch):
    root = make_dataset(tmp_path / "data")
    first = load_midi_dataset(root, cache_dir=tmp_path / "cache", progress=False)
    assert "0 from cache, 8 converted" in first.report[-1]
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 8

    def no_conversion(path):
        raise AssertionError(f"converted {path} again")

    monkeypatch.setattr(notestate, "read_notestate", no_conversion)
    second = load_midi_dataset(root, cache_dir=tmp_path / "cache", progress=False)
    assert "8 from cache, 0 converted" in second.report[-1]
    for name in ("train_x", "train_y", "test_x", "test_y"):
        np.testing.assert_array_equal(getattr(second, name), getattr(first, name))
    assert second.songs == first.songs


def test_corrupt_cache_entry_is_reconverted(tmp_path):
    root = make_dataset(tmp_path / "data", songs_per_class=1)
    first = load_midi_dataset(root, cache_dir=tmp_path / "cache", progress=False)
    windows = first.train_x[np.arange(len(first.train_x))]  # read before the files are damaged in place
    for f in (tmp_path / "cache").rglob("*.*"):  # songs and the build record
        f.write_bytes(b"garbage")
    second = load_midi_dataset(root, cache_dir=tmp_path / "cache", progress=False)
    assert "0 from cache, 2 converted" in second.report[-1]
    np.testing.assert_array_equal(second.train_x[np.arange(len(second.train_x))], windows)


def test_music21_bach_corpus_default_source(tmp_path):
    d = load_midi_dataset(None, max_songs_per_class=1, cache_dir=tmp_path / "cache", progress=False)
    assert d.classes == ["major", "minor"] and d.source == "music21 Bach corpus (major/minor)"
    assert len(d.songs) == 2 and len(d.train_x) == 320 and len(d.test_x) == 80
    assert all(s["n_steps"] >= 100 for s in d.songs)
    (out,) = export_corpus_midi(tmp_path / "mid", n=1, progress=False)
    m, info = notestate.read_notestate(out)
    assert m.shape[1] == 156 and info.n_notes > 0


def test_corpus_export_skips_a_work_music21_cannot_write(tmp_path, monkeypatch, capsys):
    from chainer_vae.data.midi import bach as bach_corpus
    from music21 import corpus
    bad = tmp_path / "bwv000.mxl"
    bad.write_bytes(b"PK\x03\x04 not really a zip")  # a damaged compressed MusicXML file
    good = str(corpus.getComposer("bach")[0])
    monkeypatch.setattr(bach_corpus, "_bach_corpus_paths", lambda: [str(bad), good])
    (out,) = export_corpus_midi(tmp_path / "mid", n=1, progress=False)
    assert out.endswith(os.path.splitext(os.path.basename(good))[0] + ".mid") and os.path.getsize(out) > 0
    assert "skipped bwv000.mxl: music21 cannot write it as MIDI" in capsys.readouterr().err
    assert sorted(os.listdir(tmp_path / "mid")) == [os.path.basename(out)]  # nothing half-written


def test_paper_lute_set(tmp_path, lute_dir):  # lute_dir (conftest) skips when the files are absent
    d = load_midi_dataset(lute_dir, cache_dir=tmp_path / "cache", progress=False)
    assert d.classes == ["cminor", "ebmajor"]
    assert len(d.train_x) == 1280 and len(d.test_x) == 320
    assert np.bincount(d.train_y).tolist() == [640, 640]
    assert len(d.report) == 1  # nothing skipped
    assert corpus.SongCache(tmp_path / "cache").dir == str(tmp_path / "cache")


def test_nested_class_folders_take_their_files_and_loose_files_are_reported(tmp_path):
    rng = np.random.RandomState(2)
    root = tmp_path / "data"
    for rel in ("a/song.mid", "a/suite1/prelude.mid", "a/suite1/deeper/gigue.MID", "a/.hidden/x.mid",
                "b/op1/no1/allegro.mid", "loose.mid"):
        notestate.write_midi(random_song(rng, 150), root / rel)
    d = load_midi_dataset(root, cache_dir=False, progress=False)
    assert d.classes == ["a", "b"]
    assert [(s["class"], s["name"]) for s in d.songs] == [
        ("a", "song.mid"), ("a", "prelude.mid"), ("a", "gigue.MID"), ("b", "allegro.mid")]
    assert d.report[0] == (f"ignored: 1 MIDI file directly in {root} (loose.mid): with sub-folders "
                           f"present, each sub-folder is a class")
    assert len(d.report) == 2 and "0 files skipped" in d.report[-1]


def stored_windows(root, d, window=100, n=200, seed=0, test_fraction=0.2):
    """The windows as the original code stored them: every song's windows, each class's pooled
    windows shuffled with the seeded generator and split 4/5 : 1/5."""
    rng = np.random.RandomState(seed)
    out = {"train": [], "test": []}
    for cls in d.classes:
        songs = [notestate.read_notestate(os.path.join(root, s["path"]))[0] for s in d.songs if s["class"] == cls]
        pooled = np.concatenate([song_windows(m, window, n) for m in songs])
        perm = rng.permutation(len(pooled))
        n_train = len(pooled) - int(round(len(pooled) * test_fraction))
        out["train"].append(pooled[perm[:n_train]])
        out["test"].append(pooled[perm[n_train:]])
    return {k: np.concatenate(v) for k, v in out.items()}


@pytest.mark.parametrize("cache", ["cold", "warm", "off"])
def test_windows_cut_on_the_fly_are_the_stored_windows(tmp_path, cache):
    """Element for element: the batches the training loop draws are the original's windows."""
    root = make_dataset(tmp_path / "data")
    cache_dir = False if cache == "off" else tmp_path / "cache"
    if cache == "warm":
        load_midi_dataset(root, cache_dir=cache_dir, progress=False)
    d = load_midi_dataset(root, cache_dir=cache_dir, progress=False)
    if cache == "warm":
        assert isinstance(d.train_x.packed, np.memmap) and "8 from cache, 0 converted" in d.report[-1]
    want = stored_windows(root, d)
    for split, x in (("train", d.train_x), ("test", d.test_x)):
        assert x.shape == want[split].shape
        np.testing.assert_array_equal(x[np.arange(len(x))], want[split])
        idx = np.random.RandomState(3).permutation(len(x))[:32]
        batch = x.take(idx)
        assert batch.dtype == np.float32
        np.testing.assert_array_equal(batch, want[split][idx].astype(np.float32))
    # a song is held once, packed: 20 bytes a step, not 200 windows of 100 x 156 bytes
    assert d.train_x.packed.nbytes == sum(s["n_steps"] for s in d.songs) * 20


def test_paper_lute_windows_are_the_stored_windows(tmp_path, lute_dir):
    d = load_midi_dataset(lute_dir, cache_dir=tmp_path / "cache", progress=False)
    want = stored_windows(lute_dir, d)
    np.testing.assert_array_equal(d.train_x[np.arange(len(d.train_x))], want["train"])
    np.testing.assert_array_equal(d.test_x[np.arange(len(d.test_x))], want["test"])


def test_a_changed_folder_is_rebuilt_not_served_from_the_build_cache(tmp_path):
    root = make_dataset(tmp_path / "data", songs_per_class=2)
    first = load_midi_dataset(root, cache_dir=tmp_path / "cache", progress=False)
    make_dataset(tmp_path / "data", songs_per_class=3, seed=1)  # one more song per class
    second = load_midi_dataset(root, cache_dir=tmp_path / "cache", progress=False)
    assert len(second.songs) == 6 and len(first.songs) == 4
    assert "4 from cache, 2 converted" in second.report[-1]


def _crashing_or_hanging(path):
    """A MIDI converter whose process dies on song2.mid and hangs on song3.mid (module level: the
    pool's workers find it by name)."""
    from chainer_vae.data.midi import songcache
    if path.endswith("song2.mid"):
        os._exit(3)  # as a segfault or the OOM killer would end the worker
    if path.endswith("song3.mid"):
        time.sleep(60)  # a runaway: the per-file alarm ends it
    return songcache.convert_midi(path)


def test_a_midi_file_that_kills_or_hangs_its_worker_is_skipped_by_name(tmp_path, monkeypatch):
    """One builder for image and MIDI folders (data/isolate.py): the same crash isolation and
    per-file time limit the image folders have."""
    from chainer_vae.data.midi import songcache
    monkeypatch.setattr(songcache, "FILE_SECONDS", 1)
    root = make_dataset(tmp_path / "data", songs_per_class=10, classes=("a_major",))  # >= 8: a pool
    jobs = [(str(p), songcache.SongCache.key(p.read_bytes(), "midi")) for p in sorted(root.rglob("*.mid"))]
    t = time.perf_counter()
    songs, lines = songcache.convert_all(jobs, songcache.SongCache(False), convert=_crashing_or_hanging, workers=2)
    assert time.perf_counter() - t < 30
    assert sum(s is not None for s in songs) == 8 and len(lines) == 2
    assert any("song2.mid" in line and "died" in line for line in lines)
    assert any("song3.mid" in line and "took over 1 s" in line for line in lines)


def test_pool_conversion_equals_one_process(tmp_path, monkeypatch):
    from chainer_vae.data.midi import songcache
    root = make_dataset(tmp_path / "data", songs_per_class=6)
    (root / "a_major" / "broken.mid").write_bytes(b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x00\x00")  # 0 ticks
    jobs = [(str(p), songcache.SongCache.key(p.read_bytes(), "midi")) for p in sorted(root.rglob("*.mid"))]
    pooled, lines = songcache.convert_all(jobs, songcache.SongCache(False), workers=2)
    alone, lines1 = songcache.convert_all(jobs, songcache.SongCache(False), workers=1)
    assert len(lines) == len(lines1) == 1 and "broken.mid" in lines[0] and lines == lines1
    for a, b in zip(pooled, alone):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_array_equal(a[0], b[0])
            assert a[1] == b[1]


def test_windows_per_epoch_samples_without_replacement(tmp_path, monkeypatch):
    from chainer_vae.train import loop as training
    from chainer_vae.device import resolve_device
    from chainer_vae.cli.midi import MidiConfig
    from chainer_vae.train.runs import build_model
    root = make_dataset(tmp_path / "data", songs_per_class=1)
    d = load_midi_dataset(root, windows_per_song=50, cache_dir=False, progress=False)
    seen = []
    model = build_model(MidiConfig())
    original = Windows.batch
    monkeypatch.setattr(Windows, "batch", lambda self, idx: (
        seen.append(np.asarray(idx).copy()) if len(self) == len(d.train_x) and not isinstance(idx, slice)
        else None) or original(self, idx))
    h = training.train(model, d.train_x, d.test_x, training.Settings(run_dir=str(tmp_path / "run"), epochs=1, batch_size=8,
                       device=resolve_device("@numpy"), progress=False, examples_per_epoch=24))
    drawn = np.concatenate(seen)
    assert len(seen) == 3 and len(set(drawn.tolist())) == 24  # 3 batches of 8, no repeats
    assert np.isfinite(h[0]["train"]["loss"])
