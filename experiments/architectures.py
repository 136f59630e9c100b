"""The comparison the paper left out: linear, convolutional and LSTM encoders/decoders on MNIST
and on MIDI, trained with the same data, epochs and optimizer per data set.

    python experiments/architectures.py --midi-dir ../shared/data/midi/bach_lute
Writes results/architectures.md (a table), architectures.png (test-loss curves) and .json.
Each pair is an ordinary run of Fig. 4's / Fig. 5's script with --encoder/--decoder, so a row can
be rerun or extended alone, e.g. `python experiments/fig4_mnist_loss.py --encoder conv --decoder lstm`.
"""
import dataclasses

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from fig4_mnist_loss import MnistConfig, train_mnist  # noqa: E402
from fig5_midi_loss import MidiConfig, train_midi  # noqa: E402

import chainer_vae  # noqa: F401,E402
from chainer_vae import config as cfg  # noqa: E402
from chainer_vae import io  # noqa: E402


@dataclasses.dataclass(frozen=True)
class ArchConfig(cfg.RunConfig):
    """Train each encoder/decoder pair on each data set and tabulate the results."""
    data: str = dataclasses.field(default="mnist,midi", metadata={"help": "mnist, midi or both"})
    pairs: str = dataclasses.field(default="mlp/mlp,conv/conv,lstm/lstm", metadata={
        "help": "encoder/decoder pairs, comma-separated"})
    # Fewer epochs than the figures (60): on a CPU an LSTM epoch costs ~10x an MLP epoch (a
    # sequential Python loop over 28 or 100 steps), so 6 pairs x 60 epochs would take hours.
    mnist_epochs: int = 10
    midi_epochs: int = 10
    mnist_alpha: float = 1e-3    # Fig. 4's rate, for every MNIST pair
    midi_alpha: float = 1e-3     # Fig. 5's first-phase rate, for every MIDI pair
    midi_dir: str = dataclasses.field(default="", metadata={
        "help": "MIDI class folders; empty: Bach from music21's corpus"})

    def smoke_config(self):
        return dataclasses.replace(self, mnist_epochs=1, midi_epochs=1, smoke=True)


def run_pair(config, data, encoder, decoder):
    common = dict(device=config.device, seed=config.seed, out=config.out, progress=config.progress,
                  resume=config.resume, encoder=encoder, decoder=decoder)
    if data == "mnist":
        base = MnistConfig().smoke_config() if config.smoke else MnistConfig()
        c = dataclasses.replace(base, epochs=config.mnist_epochs, alpha=config.mnist_alpha, **common)
        run, _ = train_mnist(c)
    else:
        base = MidiConfig().smoke_config() if config.smoke else MidiConfig()
        c = dataclasses.replace(base, epochs=config.midi_epochs, lr_schedule="", alpha=config.midi_alpha,
                                midi_dir=config.midi_dir, **common)
        run, _, _ = train_midi(c)
    test = [row["test"]["loss"] for row in run.history]
    best = int(np.argmin(test))
    return {
        "data": data, "encoder": encoder, "decoder": decoder, "epochs": len(run.history),
        "final": run.history[-1]["test"], "final_train": run.history[-1]["train"],
        "best_test_loss": {"epoch": best + 1, "value": test[best]},
        "parameters": int(sum(p.size for p in run.model.params())),
        "seconds_per_epoch": float(np.median([row["seconds"] for row in run.history])),
        "test_curve": test, "run_dir": run.run_dir, "data_description": run.info["data"],
    }


def table(rows):
    lines = ["| data | encoder / decoder | test loss | reconstr | KL | best test loss (epoch) | "
             "train loss | parameters | s / epoch |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append("| %s | %s / %s | %.2f | %.2f | %.2f | %.2f (%d) | %.2f | %s | %.1f |" % (
            r["data"], r["encoder"], r["decoder"], r["final"]["loss"], r["final"]["reconstr"],
            r["final"]["kl_penalty"], r["best_test_loss"]["value"], r["best_test_loss"]["epoch"],
            r["final_train"]["loss"], format(r["parameters"], ","), r["seconds_per_epoch"]))
    return "\n".join(lines)


def main(argv=None):
    config = cfg.parse(ArchConfig, argv)
    datasets = [d.strip() for d in config.data.replace("both", "mnist,midi").split(",") if d.strip()]
    pairs = [tuple(p.strip().split("/")) for p in config.pairs.split(",") if p.strip()]
    rows = [run_pair(config, d, e, dec) for d in datasets for e, dec in pairs]

    fig, axes = plt.subplots(1, len(datasets), figsize=(6 * len(datasets), 4), squeeze=False)
    for ax, d in zip(axes[0], datasets):
        for r in (r for r in rows if r["data"] == d):
            ax.plot(range(1, r["epochs"] + 1), r["test_curve"], label="%s / %s" % (r["encoder"], r["decoder"]))
        ax.set_title("%s: test loss per epoch" % d.upper(), fontsize=10)
        ax.set_xlabel("epoch")
        ax.set_ylabel("nats / example")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    stem = config.stem("architectures")
    io.save_figure(fig, stem + ".png", dpi=110)
    plt.close(fig)
    data_lines = sorted({"- %s: %s" % (r["data"], r["data_description"]) for r in rows})
    text = "\n".join([
        "# Encoder/decoder architectures (generated by experiments/architectures.py)", "",
        "Same data, epochs, batch size 32 and Adam + weight decay 5e-4 for every pair of a data set; "
        "losses are per-example nats at the last epoch (KL in the ELBO, beta = 1). Seconds per epoch "
        "are medians on this run's device: %s." % config.device, ""] + data_lines + ["", table(rows), ""])
    with io.atomic_path(stem + ".md") as tmp:
        with open(tmp, "w") as f:
            f.write(text)
    io.write_json(stem + ".json", {"config": dataclasses.asdict(config), "rows": rows})
    print(text)


if __name__ == "__main__":
    cfg.main_guard(main)
