"""The comparison the paper left out: MLP, convolutional and LSTM encoders/decoders on MNIST and
on MIDI, trained with the same data, epochs and optimizer per data set.

Each pair is an ordinary Fig. 4 / Fig. 5 run with --encoder/--decoder (reused if already trained),
so a row can be rerun alone, e.g. `python experiments/fig4_mnist_loss.py --encoder conv
--decoder lstm --epochs 10`.  Writes <out>/architectures.md (the table), architectures.png (test
loss per epoch) and architectures.json.

    python experiments/architectures.py --midi-dir ../shared/data/midi/bach_lute
    python experiments/architectures.py --data mnist --image-dir my_photos --channels 3

With --image-dir DIR the "mnist" rows are trained on that folder of your own images instead
(README: Your own images) and the outputs are architectures_<folder>.{md,png,json}.
"""
import dataclasses

import numpy as np

from chainer_vae.figures import curves
from chainer_vae.cli import flags as cfg
from chainer_vae import parallel
from chainer_vae import files
from chainer_vae.cli.flags import at_least_one, existing_dir, option, positive, seed_range
from chainer_vae.model import KINDS
from chainer_vae.cli import midi, mnist
from chainer_vae.train import shipped


def _pairs_problem(text):
    pairs = [p.strip().split("/") for p in text.split(",") if p.strip()]
    if not pairs or any(len(p) != 2 or not set(p) <= set(KINDS) for p in pairs):
        return "expected encoder/decoder pairs of %s, e.g. mlp/mlp,conv/lstm" % ", ".join(KINDS)
    return None


@dataclasses.dataclass(frozen=True)
class ArchConfig(cfg.RunConfig, midi.MidiFolder):
    """Train each encoder/decoder pair on each data set and tabulate the results."""
    seed: int = option(0, "training seed of every pair", seed_range)
    data: str = option("mnist,midi", "which data sets: mnist, midi or mnist,midi",
                     choices=("mnist", "midi", "mnist,midi", "midi,mnist"))
    pairs: str = option("mlp/mlp,conv/conv,lstm/lstm", "encoder/decoder pairs, comma-separated", _pairs_problem)
    # Fewer epochs than the figures (60): on a CPU an LSTM epoch costs ~10x an MLP epoch (a
    # sequential Python loop over 28 or 100 steps), so 6 pairs x 60 epochs would take hours.
    epochs: int = option(10, "epochs per pair, on both data sets", at_least_one)
    mnist_alpha: float = option(1e-3, "Adam's rate for every MNIST pair (Fig. 4's)", positive)
    midi_alpha: float = option(1e-3, "Adam's rate for every MIDI pair (Fig. 5's first phase)", positive)
    image_dir: str = option("", "train the image pairs on this folder of your own images instead of MNIST "
                              "(sub-folders are classes; README: Your own images)", existing_dir)
    image_size: int = option(28, "with --image-dir: side the images are resized to", at_least_one)
    channels: int = option(1, "with --image-dir: 1 (grey) or 3 (RGB)", choices=(1, 3))

    def smoke_config(self):
        return dataclasses.replace(self, epochs=1, smoke=True)


def run_pair(config, data, encoder, decoder):
    common = dict(device=config.device, seed=config.seed, out=config.out, progress=config.progress,
                  resume=config.resume, retrain=config.retrain, encoder=encoder, decoder=decoder,
                  epochs=config.epochs, communicator=config.communicator)
    if data == "mnist":
        base = mnist.MnistConfig().smoke_config() if config.smoke else mnist.MnistConfig()
        run, d = mnist.train(dataclasses.replace(base, alpha=config.mnist_alpha, image_dir=config.image_dir,
                                                 image_size=config.image_size, channels=config.channels,
                                                 **common), stand_in=shipped.find)
        description = mnist.label(run, d)
    else:
        base = midi.MidiConfig().smoke_config() if config.smoke else midi.MidiConfig()
        run, d = midi.train(dataclasses.replace(base, lr_schedule="", alpha=config.midi_alpha,
                                                **config.midi_folder(), **common))
        description = midi.label(run, d)
    test = [row["test"]["loss"] for row in run.history]
    best = int(np.argmin(test))
    return {
        "data": data, "encoder": encoder, "decoder": decoder, "epochs": len(run.history),
        "final": run.history[-1]["test"], "final_train": run.history[-1]["train"],
        "best_test_loss": {"epoch": best + 1, "value": test[best]},
        "parameters": int(sum(p.size for p in run.model.params())),
        "seconds_per_epoch": float(np.median([row["seconds"] for row in run.history])),
        "test_curve": test, "run_id": run.info["run_id"], "data_description": description,
        **({"data_label": "images_" + d.tag} if data == "mnist" and config.image_dir else {}),
    }


def table(rows):
    lines = ["| data | encoder / decoder | test loss | reconstr | KL | best test loss (epoch) | "
             "train loss | parameters | s / epoch |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append("| %s | %s / %s | %.2f | %.2f | %.2f | %.2f (%d) | %.2f | %s | %.1f |" % (
            r.get("data_label", r["data"]), r["encoder"], r["decoder"], r["final"]["loss"], r["final"]["reconstr"],
            r["final"]["kl_penalty"], r["best_test_loss"]["value"], r["best_test_loss"]["epoch"],
            r["final_train"]["loss"], format(r["parameters"], ","), r["seconds_per_epoch"]))
    return "\n".join(lines)


def main(argv=None):
    config = cfg.parse(ArchConfig, argv, __doc__)
    datasets = config.data.split(",")
    pairs = [tuple(p.strip().split("/")) for p in config.pairs.split(",") if p.strip()]
    rows = [run_pair(config, d, e, dec) for d in datasets for e, dec in pairs]
    if not parallel.is_root():  # under MPI only rank 0 writes the results
        return
    stem = config.stem("architectures", mnist.folder_tag(config.image_dir) if config.image_dir else "")
    curves.test_curves(rows, datasets, stem + ".png")
    data_lines = sorted({"- %s: %s" % (r.get("data_label", r["data"]), r["data_description"]) for r in rows})
    text = "\n".join([
        "# Encoder/decoder architectures (generated by experiments/architectures.py)", "",
        "Same data, epochs, batch size 32 and Adam + weight decay 5e-4 for every pair of a data set; "
        "losses are per-example nats at the last epoch (KL in the ELBO, beta = 1). Seconds per epoch "
        "are medians on this run's device: %s." % config.device, ""] + data_lines + ["", table(rows), ""])
    with files.atomic_path(stem + ".md") as tmp:
        with open(tmp, "w") as f:
            f.write(text)
    settings = dict(config.__dict__, midi_dir=midi.data_tag(config) or "",
                    image_dir=mnist.folder_tag(config.image_dir) if config.image_dir else "")
    for key in ("out", "progress", "resume", "retrain", "communicator"):
        settings.pop(key)
    files.write_json(stem + ".json", {"config": settings, "rows": rows})
    print(text)


if __name__ == "__main__":
    cfg.main_guard(main)
