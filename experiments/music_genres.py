"""Music "in the style of" each class, and an attribute vector between two classes.

The paper (section 1) says a VAE can generate a class from where that class sits in the latent
space.  Here each class folder's training windows are encoded; new windows are decoded from
z ~ N(class mean, class spread) (diagonal); and the attribute vector mean(B) - mean(A) is added,
at growing strengths, to a test window of class A (e.g. C minor -> E-flat major on the lute data,
or between genres of your own folders).  Whether it worked is measured, not asserted: the
pitch-class histogram distance (0..1) of each class's generated windows to every class's real
test windows, and of the shifted class-A test windows to classes A and B at each strength.

Reuses Fig. 5's model (trains it if missing); no flag here retrains.  Writes
<out>/music_<folder name>/ (or <out>/music/ for the default data): style_<class>_NN.{mid,wav,png},
attribute_<A>_to_<B>.{mid,wav,png} (one piece, a window per strength), and genres.json.

    python experiments/music_genres.py --midi-dir ../shared/data/midi/bach_lute --attribute cminor,ebmajor
"""
import dataclasses
import os

import numpy as np

from chainer_vae.cli import flags as cfg
from chainer_vae import files
from chainer_vae.music import latent, stats as music_stats
from chainer_vae.cli.flags import at_least_one, non_negative, option
from chainer_vae.errors import ConfigError
from chainer_vae.cli import midi, music
from chainer_vae.model.apply import encode


def _strengths_problem(text):
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        return "expected comma-separated numbers, e.g. 0,0.5,1,1.5"
    return None if values and all(np.isfinite(values)) else "expected finite numbers"


@dataclasses.dataclass(frozen=True)
class GenresConfig(music.MusicConfig):
    """Generate in the style of each class of Fig. 5's data, and move a piece from one class to another."""
    n_per_class: int = option(1, "windows written per class, decoded from z ~ N(class mean, class spread)", non_negative)
    stat_windows: int = option(200, "windows generated per class for the measured pitch-class distances", at_least_one)
    attribute: str = option("", "classes A,B of the attribute vector mean(B) - mean(A); empty: the first and the "
                              "last class", lambda v: None if not v or v.count(",") == 1 else "expected A,B")
    strengths: str = option("0,0.5,1,1.5", "multiples of the attribute vector added to the class-A window",
                          _strengths_problem)



def main(argv=None):
    config = cfg.parse(GenresConfig, argv, __doc__)
    session = music.setup(config)
    run, data, write = session.run, session.data, session.write
    classes = list(data.classes)
    if config.attribute:
        a_name, b_name = (c.strip() for c in config.attribute.split(","))
        if a_name not in classes or b_name not in classes:
            raise ConfigError("--attribute %s: the classes are %s" % (config.attribute, ", ".join(classes)))
    else:
        a_name, b_name = classes[0], classes[-1]

    stats, train_mu, train_y = music.class_means(run.model, data, config.class_windows, config.sample_seed + 3,
                                                 config.progress)
    test_rows = music.per_class_sample(data.test_y, len(classes), config.class_windows, config.sample_seed + 4)
    test_y = np.full(len(data.test_x), -1)
    test_y[test_rows] = np.asarray(data.test_y)[test_rows]  # -1: a test window left session.out of the sample
    real_pcs = {c: music_stats.features(data.test_x.subset(np.flatnonzero(test_y == i)))["pitch_classes"]
                for i, c in enumerate(classes) if (test_y == i).any()}
    styles = {}
    for i, cls in enumerate(classes):
        if stats[i] is None:
            continue
        mean, spread = stats[i]
        z = (mean + spread * session.rng.standard_normal((config.stat_windows, config.n_latent))).astype(np.float32)
        notes = music.decode_notes(run.model, z, session.shape, session.setting, session.rng)
        for k in range(min(config.n_per_class, len(notes))):
            write.piece(notes[k], "style_%s_%02d" % (cls, k),
                        "in the style of class %s: z ~ N(class mean, class spread), %s" % (cls, session.label),
                        "style of %s" % cls, **{"class": cls})
        styles[cls] = {"latent_mean_norm": round(float(np.linalg.norm(mean)), 3),
                       "latent_spread_mean": round(float(spread.mean()), 3),
                       "pitch_class_distance_to_real": {r: round(music_stats.pitch_class_distance(notes, p), 4)
                                                       for r, p in real_pcs.items()}}

    a, b = classes.index(a_name), classes.index(b_name)
    vector = latent.attribute_vector(train_mu, train_y, a, b)
    strengths = [float(v) for v in config.strengths.split(",")]
    a_test = np.flatnonzero(test_y == a)
    a_mu = encode(run.model, data.test_x.subset(a_test))
    shifted = []
    for s in strengths:  # every class-A test window, shifted, decoded and measured a batch at a time
        notes = music.decode_note_batches(run.model, a_mu + s * vector, session.shape, session.setting, session.rng)
        # one pass over the batches (a generator: measured once, then compared with both classes)
        pcs = music_stats.features(notes)["pitch_classes"]
        shifted.append({"strength": s, "pitch_class_distance": {
            r: round(music_stats.histogram_distance(pcs, real_pcs[r]), 4)
            for r in (a_name, b_name) if r in real_pcs}})
    piece = music.decode_notes(run.model, a_mu[:1] + np.array(strengths, np.float32)[:, None] * vector,
                               session.shape, session.setting, session.rng)
    write.piece(piece.reshape(-1, piece.shape[-1]), "attribute_%s_to_%s" % (a_name, b_name),
                "test window %d (class %s) + strength x (mean %s - mean %s), %s" % (
                    a_test[0], a_name, b_name, a_name, session.label), "attribute vector",
                boundaries=[i * session.shape[1] for i in range(len(strengths))],
                boundary_labels=["x%g" % s for s in strengths], strengths=strengths)

    files.write_json(os.path.join(session.out, "genres.json"), {
        **midi.provenance(run, data), "sample_seed": config.sample_seed, "sampling": session.label,
        "windows_per_class_measured": config.stat_windows, "styles": styles,
        "class_statistics_from": {"train_windows": int(len(train_y)), "test_windows": int(len(test_rows)),
                                  "at_most_per_class": config.class_windows or "all"},
        "attribute": {"from": a_name, "to": b_name, "vector_norm": round(float(np.linalg.norm(vector)), 3),
                      "test_windows_of_from_class": int(len(a_test)), "shifted": shifted},
        "tempo_bpm": write.tempo, "audio": write.audio_info(), "files": write.written})
    print(write.summary())
    for row in shifted:
        print("strength %g: pitch-class distance %s" % (row["strength"], ", ".join(
            "to %s %.3f" % kv for kv in row["pitch_class_distance"].items())))


if __name__ == "__main__":
    cfg.main_guard(main)
