"""Music along paths in the MIDI VAE's latent space: an interpolation between two songs' windows
(straight and spherical), and a longer piece of many windows decoded along a slow random walk
(or a chain of interpolations between prior samples), each written as one piece.

Reuses Fig. 5's model (trains it if missing); no flag here retrains.  Writes
<out>/music_<folder name>/ (or <out>/music/ for the default data):
interpolation_linear.{mid,wav,png}, interpolation_spherical.{mid,wav,png}: --interp-steps
windows from window A to window B, A and B included (the first and last window are their
reconstructions); long_<path>.{mid,wav,png}: --long-windows windows of 100 sixteenth-note steps;
and paths.json (which windows, the distances between neighbouring codes, the files).

    python experiments/music_paths.py --midi-dir ../shared/data/midi/bach_lute --pair 0,300
"""
import dataclasses
import os

import numpy as np

from chainer_vae.cli import flags as cfg
from chainer_vae import files
from chainer_vae.music import latent
from chainer_vae.cli.flags import at_least_one, fraction, option
from chainer_vae.errors import ConfigError
from chainer_vae.cli import midi, music
from chainer_vae.model.apply import encode


def _pair_problem(text):
    parts = text.split(",") if text else []
    if text and (len(parts) != 2 or not all(p.strip().isdigit() for p in parts)):
        return "expected two test-window indices, e.g. 0,300"
    return None


@dataclasses.dataclass(frozen=True)
class PathsConfig(music.MusicConfig):
    """Interpolations and long pieces from paths in the latent space of Fig. 5's model."""
    pair: str = option("", "test windows A,B to interpolate between (indices into the test set); empty: the "
                         "first test window of the first class and of the last class", _pair_problem)
    interp_steps: int = option(5, "windows on the interpolation path, both ends included",
                             lambda v: None if v >= 2 else "must be at least 2")
    long_windows: int = option(6, "windows (100 steps each) in the long piece", at_least_one)
    long_path: str = option("walk", "the long piece's path: walk (a slow random walk on the prior) or chain "
                                  "(spherical interpolations between prior samples, --interp-steps per leg)",
                          choices=("walk", "chain"))
    walk_step: float = option(0.3, "random-walk step s: z' = sqrt(1 - s^2) z + s e (small: slow change)", fraction)


    def smoke_config(self):
        return dataclasses.replace(super().smoke_config(), interp_steps=3, long_windows=2)


def pick_pair(config, data):
    n = len(data.test_x)
    if config.pair:
        a, b = (int(p) for p in config.pair.split(","))
        if max(a, b) >= n:
            raise ConfigError("--pair %s: the test set has %d windows (0 .. %d)" % (config.pair, n, n - 1))
        return a, b
    labels = np.asarray(data.test_y)
    first, last = int(labels.min()), int(labels.max())
    a = int(np.flatnonzero(labels == first)[0])
    b = int(np.flatnonzero(labels == last)[0 if last != first else min(1, n - 1)])
    return a, b


def joined(windows):
    windows = np.asarray(windows)
    starts = [i * windows.shape[1] for i in range(len(windows))]
    return windows.reshape(-1, windows.shape[-1]), starts


def main(argv=None):
    config = cfg.parse(PathsConfig, argv, __doc__)
    session = music.setup(config)
    run, data, write = session.run, session.data, session.write

    a, b = pick_pair(config, data)
    names = ["%d (%s)" % (j, data.classes[int(data.test_y[j])]) for j in (a, b)]
    za, zb = encode(run.model, data.test_x[np.array([a, b])])
    for kind, path in (("linear", latent.lerp(za, zb, config.interp_steps)),
                       ("spherical", latent.slerp(za, zb, config.interp_steps))):
        notes, starts = joined(music.decode_notes(run.model, path, session.shape, session.setting, session.rng))
        marks = ["A"] + ["%.2f" % t for t in np.linspace(0, 1, config.interp_steps)[1:-1]] + ["B"]
        write.piece(notes, "interpolation_" + kind,
                    "%s interpolation from test window %s to %s, %d windows, %s" % (
                        kind, names[0], names[1], config.interp_steps, session.label),
                    "%s interpolation" % kind, boundaries=starts, boundary_labels=marks,
                    step_distances=[round(float(d), 3) for d in np.linalg.norm(np.diff(path, axis=0), axis=1)])

    if config.long_path == "walk":
        path = latent.random_walk(session.rng, config.long_windows, config.n_latent, config.walk_step)
        how = "slow random walk on the prior (step %g)" % config.walk_step
    else:
        legs = max(1, -(-(config.long_windows - 1) // max(config.interp_steps - 1, 1)))
        points = session.rng.standard_normal((legs + 1, config.n_latent))
        path = latent.chain(points, max(config.interp_steps - 1, 1))[:config.long_windows]
        how = "chain of spherical interpolations between %d prior samples" % len(points)
    notes, starts = joined(music.decode_notes(run.model, path, session.shape, session.setting, session.rng))
    write.piece(notes, "long_" + config.long_path, "%d windows along a %s, %s" % (len(path), how, session.label),
                "long piece", boundaries=starts, boundary_labels=[str(i + 1) for i in range(len(path))],
                step_distances=[round(float(d), 3) for d in np.linalg.norm(np.diff(path, axis=0), axis=1)])

    files.write_json(os.path.join(session.out, "paths.json"), {
        **midi.provenance(run, data), "sample_seed": config.sample_seed, "sampling": session.label,
        "pair": {"a": names[0], "b": names[1], "latent_distance": round(float(np.linalg.norm(za - zb)), 3)},
        "long_piece": how, "tempo_bpm": write.tempo, "audio": write.audio_info(), "files": write.written})
    print(write.summary())


if __name__ == "__main__":
    cfg.main_guard(main)
