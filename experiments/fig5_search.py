"""Fig. 5's schedule search: which reading of the data and which learning-rate schedule bring the
lute runs closest to the paper's digitized curves (results/paper_curves.json, epochs 12-60).

Each candidate is READER:SCHEDULE -- the reader (ours: whole pieces; authors: the authors'
midi_manipulation, which stops at the first 3/x or 6/x time signature) and an --lr-schedule
('3e-4:40,1e-5': 3e-4 for epochs 1-40, then 1e-5 with the same Adam; '3e-4:40|1e-5': a new
Adam at epoch 41, as a new chunk of the authors' notebook built one).  Every other setting is
Fig. 5's default.  Each candidate is an ordinary Fig. 5 run, trained once (or reused) in
<runs-dir>/runs/; --jobs trains that many at a time, --no-train scores what is there (an
unfinished run over the epochs it has, marked partial).  A candidate whose run folder is absent
but whose run is a committed Fig. 5 result (results/fig5_midi_loss*.json, same run id) is scored
from that JSON's history.

A run's distance to the paper, per curve (train/test loss, train/test KL), is the mean and the
largest absolute gap over the paper's plotted epochs; its score is the mean over the four curves
of the mean gap divided by the range the paper's curve spans (0 = on the paper's curves).  Also
recorded per run: the KL at epoch 12, its minimum and last value, the kink (the largest one-epoch
fall of the train loss from epoch 25 on) and test - train loss at epochs 12 and 60.

Writes <out>/fig5_search.json (every candidate: its settings, run id, status, distances, score,
shape, and the paper's own shape; ranked by score) and <out>/fig5_search.png (the best --plot
runs and the default's against the paper's curves).  REPRODUCE.md's search table is generated
from the JSON (tools/update_reproduce.py).

    nice -n 10 python experiments/fig5_search.py --midi-dir ../shared/data/midi/bach_lute \\
        --runs-dir /work/fig5-runs --jobs 2           # the committed search (see --candidates)
"""
import concurrent.futures
import dataclasses
import multiprocessing
import os

from chainer_vae import files, outputs
from chainer_vae.cli import flags as cfg
from chainer_vae.cli import midi
from chainer_vae.cli.flags import at_least_one, existing_dir, option
from chainer_vae.data import fingerprint
from chainer_vae.errors import ConfigError
from chainer_vae.figures import curves
from chainer_vae.figures import paper as P

# The committed search, in the order it was run (REPRODUCE.md, Fig. 5's schedule search).
CANDIDATES = " ".join([
    "ours:1e-3:30,1e-5",      # the default before the search
    "ours:5e-4:40,1e-5", "ours:3e-4:40,1e-5",
])


def _candidates_problem(text):
    try:
        parse_candidates(text)
    except ValueError as e:
        return str(e)
    return None


def parse_candidates(text):
    """'ours:1e-3:30,1e-5 authors:3e-4:40|1e-5' -> [(reader, schedule)]."""
    out = []
    for item in text.split():
        reader, _, schedule = item.partition(":")
        if reader not in ("ours", "authors") or not schedule:
            raise ValueError("%r: expected READER:SCHEDULE, READER ours or authors" % item)
        problem = cfg.lr_schedule_problem(schedule)
        if problem:
            raise ValueError(problem)
        out.append((reader, schedule))
    if not out:
        raise ValueError("no candidates")
    return out


@dataclasses.dataclass(frozen=True)
class SearchConfig(cfg.RunConfig):
    """Train and score Fig. 5 candidates against the paper's curves."""
    midi_dir: str = option("", "the paper's lute folder; '' = shared/data/midi/bach_lute beside the checkout",
                           existing_dir)
    candidates: str = option(CANDIDATES, "space-separated READER:SCHEDULE candidates (module docstring)",
                             _candidates_problem)
    runs_dir: str = option("", "where the candidates are trained and cached (<runs-dir>/runs/); '' = --out")
    jobs: int = option(1, "candidates trained at a time (each on one core)", at_least_one)
    train: bool = option(True, "train the missing candidates",
                         no_help="train nothing: score the runs that exist (unfinished ones over their epochs)")
    plot: int = option(3, "how many of the best runs fig5_search.png shows (with the default's)", at_least_one)

    def smoke_config(self):
        return dataclasses.replace(self, smoke=True, candidates="ours:1e-3:1,1e-5 authors:1e-3:1|1e-5")


def run_config(config, reader, schedule):
    base = midi.MidiConfig()
    base = base.smoke_config() if config.smoke else base
    return dataclasses.replace(base, midi_dir=config.midi_dir, reader=reader, lr_schedule=schedule,
                               out=config.runs_dir or config.out, device=config.device,
                               progress=config.progress and config.jobs == 1, resume=config.resume)


def _train(run_cfg):
    midi.train(run_cfg)
    return run_cfg.lr_schedule


def run_dir(run_cfg, data):
    """Where midi.train keeps this candidate's run, and its id (the same as midi.train's)."""
    tag = midi.data_tag(run_cfg)
    run_id = run_cfg.run_id("midi" + ("_" + tag if tag else ""), fingerprint(data.train_x, data.test_x))
    return os.path.join(run_cfg.out, "runs", run_id), run_id


def committed_histories(folder):
    """{run id: (file name, history, median seconds per epoch)} of the Fig. 5 results in
    ``folder`` (e.g. results/): a committed run is scored from its JSON when its run folder is not
    on this machine; its epoch times are in its machine record (outputs.read_record)."""
    out = {}
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else ():
        if name.startswith("fig5_midi_loss") and name.endswith(".json"):
            path = os.path.join(folder, name)
            d = files.read_json(path)
            if d.get("history") and d.get("run", {}).get("run_id"):
                seconds = outputs.read_record(path).get("seconds_per_epoch_median")
                out[d["run"]["run_id"]] = (name, d["history"], seconds)
    return out


def score_run(path, run_cfg, committed):
    history_path = os.path.join(path, "history.json")
    run_id = os.path.basename(path)
    if os.path.exists(history_path):
        history = files.read_json(history_path)
        seconds = [r["seconds"] for r in history if "seconds" in r]
        seconds = sorted(seconds)[len(seconds) // 2] if seconds else None
        finished = os.path.exists(os.path.join(path, "model.npz"))
        status = "finished" if finished else "partial, %d of %d epochs" % (len(history), run_cfg.epochs)
    elif run_id in committed:
        name, history, seconds = committed[run_id]
        status = "finished" if len(history) == run_cfg.epochs else "partial, %d epochs" % len(history)
        status += " (history from %s)" % name
    else:
        return {"status": "not trained"}
    row = {"status": status, "epochs": len(history), "history": history}
    try:
        dist = P.distance(history, "fig5")
    except ValueError:  # none of the paper's epochs yet
        return row
    row.update(distance=dist, score=P.score(dist, "fig5"), shape=P.shape(history),
               seconds_per_epoch=seconds)
    return row


def main(argv=None):
    config = cfg.parse(SearchConfig, argv, __doc__)
    if not config.midi_dir:
        lute = os.path.join(os.path.dirname(files.CHECKOUT or os.getcwd()), "shared", "data", "midi", "bach_lute")
        if not os.path.isdir(lute):
            raise ConfigError("give --midi-dir: the paper's lute folder is not at %s" % lute)
        config = dataclasses.replace(config, midi_dir=lute)
    todo = [run_config(config, reader, schedule) for reader, schedule in parse_candidates(config.candidates)]
    data = {}
    for c in todo:  # each reader's data once (cached songs): the run ids need their fingerprints
        if c.reader not in data:
            data[c.reader] = midi.load_data(c)
    paths = [run_dir(c, data[c.reader]) for c in todo]
    committed = committed_histories(config.out)
    if config.out != "results":
        committed = dict(committed_histories("results"), **committed)
    if config.train:
        missing = [c for c, (path, run_id) in zip(todo, paths)
                   if not os.path.exists(os.path.join(path, "model.npz")) and run_id not in committed]
        if config.jobs == 1:
            for c in missing:
                midi.train(c)
        else:
            with concurrent.futures.ProcessPoolExecutor(config.jobs, mp_context=multiprocessing.get_context("fork")) as pool:
                for schedule in pool.map(_train, missing):
                    print("trained", schedule)
    rows = []
    for c, (path, run_id) in zip(todo, paths):
        row = {"candidate": "%s:%s" % (c.reader, c.lr_schedule), "reader": c.reader, "lr_schedule": c.lr_schedule,
               "run_id": run_id, "default": c.reader == midi.MidiConfig.reader and
               c.lr_schedule == midi.MidiConfig.lr_schedule}
        row.update(score_run(path, c, committed))
        rows.append(row)
    scored = sorted((r for r in rows if "score" in r), key=lambda r: (not r["status"].startswith("finished"), r["score"]))
    for rank, r in enumerate(scored, start=1):
        r["rank"] = rank
    os.makedirs(config.out, exist_ok=True)
    stem = os.path.join(config.out, "fig5_search" + ("_" + config.tag if config.tag else ""))
    shown = scored[:config.plot] + [r for r in scored[config.plot:] if r["default"]]
    if shown:
        curves.paper_fits([("%s (score %.3f)" % (r["candidate"], r["score"]), r["history"]) for r in shown],
                          stem + ".png", "Fig. 5 schedule search on %s: the best %d runs%s against the paper's "
                          "curves (dashed)" % (data[todo[0].reader].source, min(config.plot, len(scored)),
                                               " and the default" if len(shown) > config.plot else ""))
    for r in rows:
        r.pop("history", None)
    files.write_json(stem + ".json", {
        "title": "Fig. 5 schedule search", "data": {k: midi.describe(d) for k, d in data.items()},
        "score": "mean over the four curves of the mean absolute gap to the paper over epochs 12-60, each "
                 "divided by the range of the paper's curve (figures/paper.py: score)",
        "kink": "epoch of the largest one-epoch fall of the train loss from epoch %d on" % P.KINK_FROM,
        "paper_shape": P.shape(None), "ranked": [r["candidate"] for r in scored], "runs": rows})
    for r in scored:
        print("%2d. %-28s score %.3f  %s" % (r["rank"], r["candidate"], r["score"], r["status"]))
    print("wrote %s.json%s" % (stem, " and %s.png" % stem if shown else ""))


if __name__ == "__main__":
    cfg.main_guard(main)
