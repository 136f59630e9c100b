"""Bring your own song: encode a MIDI file with the MIDI VAE of Fig. 5 and hear what it keeps.

The song is read as the training data are (all tracks merged, pitches 24-101, sixteenth-note
steps) and cut into consecutive windows of 100 steps (the last one padded with rests); each
window's latent code is its posterior mean mu.  Reuses Fig. 5's model (trains it if missing);
no flag here retrains.  Writes <out>/music_<folder name>/ (or <out>/music/ for the default data):
encoded_<song>_original.{mid,wav,png} (the first --max-windows windows as read),
encoded_<song>_reconstruction.{mid,wav,png} (decoded from their codes), and
encoded_<song>.json: every window's latent code, its nearest class mean, and the files.

    python experiments/music_encode.py --midi-dir ../shared/data/midi/bach_lute --encode my_song.mid
"""
import dataclasses
import os
import re

import numpy as np

from chainer_vae.cli import flags as cfg
from chainer_vae import files
from chainer_vae.music import latent
from chainer_vae.cli.flags import existing_file, non_negative, option
from chainer_vae.data.midi import notestate as M
from chainer_vae.cli import midi, music
from chainer_vae.model.apply import encode


@dataclasses.dataclass(frozen=True)
class EncodeConfig(music.MusicConfig):
    """Encode your own MIDI file with the MIDI VAE of Fig. 5 and write its reconstruction."""
    encode: str = option("", "the MIDI file to encode; empty: the first song of the training data "
                           "(a demonstration)", existing_file)
    max_windows: int = option(3, "encode and write at most this many windows of 100 steps (0: the whole song)", non_negative)



def song_path(config, data):
    """The file to encode and the name its outputs carry (no folder of this machine in it)."""
    if config.encode:
        return config.encode, os.path.basename(config.encode)
    song = data.songs[0]
    if not config.midi_dir:
        return song["path"], song["name"]  # a work of music21's corpus
    return os.path.join(config.midi_dir, song["path"]), song["name"]


def read_song(path, reader="ours"):
    """A MIDI file (or, for the default data's demonstration, a music21 corpus work) -> (matrix, info),
    read as --reader reads the training data."""
    if os.path.isfile(path):
        if reader == "authors":
            from chainer_vae.data.midi.authors import read_notestate_authors
            return read_notestate_authors(path)
        return M.read_notestate(path)
    from music21 import corpus
    return M.stream_to_notestate(corpus.parse(path), path)


def windows_of(matrix, window, limit):
    n = -(-len(matrix) // window)
    n = min(n, limit) if limit else n
    padded = np.zeros((n * window, matrix.shape[1]), np.uint8)
    padded[:min(len(matrix), n * window)] = matrix[:n * window]
    return padded.reshape(n, window, -1)


def main(argv=None):
    config = cfg.parse(EncodeConfig, argv, __doc__)
    song = read_song(config.encode, config.reader) if config.encode else None  # a bad file fails before any training
    session = music.setup(config)
    run, data, write = session.run, session.data, session.write

    path, name = song_path(config, data)
    matrix, info = song or read_song(path, config.reader)
    write.tempo = config.tempo or info.tempo_bpm  # the song's own tempo
    stem = "encoded_" + re.sub(r"[^A-Za-z0-9_.-]+", "_", os.path.splitext(name)[0])
    windows = windows_of(matrix, session.shape[1], config.max_windows)
    mu = encode(run.model, windows)
    rebuilt = music.decode_notes(run.model, mu, session.shape, session.setting, session.rng)
    starts = [i * session.shape[1] for i in range(len(windows))]
    marks = [str(i + 1) for i in range(len(windows))]
    write.piece(windows.reshape(-1, windows.shape[-1]), stem + "_original",
                "%s as read: %d windows of %d steps" % (name, len(windows), session.shape[1]), "your song",
                boundaries=starts, boundary_labels=marks)
    write.piece(rebuilt.reshape(-1, rebuilt.shape[-1]), stem + "_reconstruction",
                "%s rebuilt from its windows' latent codes, %s" % (name, session.label), "its reconstruction",
                boundaries=starts, boundary_labels=marks)

    stats, train_mu, _ = music.class_means(run.model, data, config.class_windows, config.sample_seed + 3,
                                           config.progress)
    present = [i for i, s in enumerate(stats) if s is not None]
    nearest = latent.nearest_class(mu, np.array([stats[i][0] for i in present]))
    files.write_json(os.path.join(session.out, stem + ".json"), {
        **midi.provenance(run, data), "song": name, "song_steps": int(len(matrix)),
        "song_tempo_bpm": info.tempo_bpm, "window_steps": int(session.shape[1]), "sampling": session.label,
        "windows": [{"start_step": s, "latent_code": [round(float(v), 4) for v in z],
                     "nearest_class_mean": data.classes[present[k]]}
                    for s, z, k in zip(starts, mu, nearest)],
        "tempo_bpm": write.tempo, "audio": write.audio_info(), "files": write.written})
    print(write.summary())
    print("%d windows of %s encoded; nearest class means: %s" % (
        len(windows), name, ", ".join(data.classes[present[k]] for k in nearest)))


if __name__ == "__main__":
    cfg.main_guard(main)
