"""Ship a finished run's model with the checkout: models/<run id>.npz (its float32 weights,
compressed) and models/<run id>.json (run.json, the history, the digest, the command), then
rewrite the table of models/README.md.  Scripts then use it instead of training whenever they
ask for that run (the same settings and data fingerprint); --retrain still trains.

    python tools/ship_model.py results/runs/mnist-96f4f958 --command "python experiments/fig4_mnist_loss.py"
    python tools/ship_model.py --table          # only rewrite models/README.md's table
    python tools/ship_model.py --judge          # the digit classifier Figs. 2, completion and
                                                # interpolation judge decodes with (default MNIST data)
"""
import argparse
import os

from chainer_vae.train import shipped

BEGIN, END = "<!-- generated:models -->", "<!-- /generated:models -->"


def ship_judge(where):
    """models/judge-<key>.npz: evaluation/judge.py's classifier of the default MNIST data, seed 0."""
    import shutil
    from chainer_vae.cli import mnist
    from chainer_vae.evaluation import judge
    from chainer_vae import files
    config = mnist.MnistConfig(progress=False)
    data = mnist.load_data(config)
    name = "judge-%s.npz" % judge.key(data.train_x, data.train_y, config.seed)
    judge.cached(data.train_x, data.train_y, seed=config.seed)  # fitted, or already in the cache
    source = os.path.join(files.cache_dir("judge"), name)
    if os.path.exists(source):
        shutil.copyfile(source, os.path.join(where, name))
    return os.path.join(where, name), data.description


def judges(where):
    if not where or not os.path.isdir(where):
        return []
    return sorted(f for f in os.listdir(where) if f.startswith("judge-") and f.endswith(".npz"))


def table(where):
    lines = ["| file | run id | data fingerprint | latent | epochs | last test loss | size | sha256 | trained by |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in shipped.listing(where):
        run, m = r["run"], r["model"]
        lines.append("| `%s` | `%s` | `%s` | %s | %d | %.2f | %.2f MB | `%s` | `%s` |" % (
            m["file"], run["run_id"], run["data_fingerprint"], run["config"].get("n_latent", "?"), len(r["history"]),
            r["history"][-1]["test"]["loss"], m["bytes"] / 1e6, m["sha256"], r["command"]))
    for name in judges(where):
        path = os.path.join(where, name)
        lines.append("| `%s` | (the digit classifier of evaluation/judge.py: default MNIST data, seed 0) | `91169f56bf6a6f78` "
                     "| | | | %.2f MB | `%s` | `python tools/ship_model.py --judge` |"
                     % (name, os.path.getsize(path) / 1e6, shipped.sha256(path)))
    return "\n".join(lines)


def write_table(where):
    path = os.path.join(where, "README.md")
    with open(path) as f:
        text = f.read()
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    with open(path, "w") as f:
        f.write(head + BEGIN + "\n" + table(where) + "\n" + END + tail)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", nargs="?", help="a finished run's folder (model.npz, history.json, run.json)")
    parser.add_argument("--command", help="the exact command that trained it (recorded and announced)")
    parser.add_argument("--models", default=shipped.folder(), help="the shipped models' folder (default: models/)")
    parser.add_argument("--table", action="store_true", help="only rewrite the README table")
    parser.add_argument("--judge", action="store_true", help="ship the digit classifier of the default MNIST data")
    args = parser.parse_args(argv)
    if args.judge:
        print("wrote %s (%s)" % ship_judge(args.models))
    elif not args.table:
        if not args.run_dir or not args.command:
            parser.error("give a run folder and --command")
        print("wrote", shipped.ship(args.run_dir, args.command, args.models))
    if os.path.exists(os.path.join(args.models, "README.md")):
        print("wrote", write_table(args.models))


if __name__ == "__main__":
    main()
