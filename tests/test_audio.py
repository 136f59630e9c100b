"""Every .mid gets a .wav from a real General MIDI SoundFont synthesizer, installed by pip: the
audio is 16-bit PCM mono at 22.05 kHz, as long as the MIDI, and not silent when notes play."""
import wave

import numpy as np
import pytest

from chainer_vae.music import audio
from chainer_vae.data.midi import notestate as M

needs_synth = pytest.mark.skipif(audio.why_not() is not None, reason=str(audio.why_not()))


def scale(n_steps=64):
    notes = [(60 + [0, 2, 4, 5, 7, 9, 11, 12][i % 8], 4 * i, 4 * i + 3) for i in range(n_steps // 4)]
    return M.notestate_from_notes(notes, n_steps)


@needs_synth
def test_a_written_midi_renders_to_audible_16bit_mono_wav_of_its_length(tmp_path):
    tempo = 100.0
    M.write_midi(scale(64), tmp_path / "scale.mid", tempo_bpm=tempo)
    info = audio.synthesizer().render(tmp_path / "scale.mid", tmp_path / "scale.wav")
    with wave.open(str(tmp_path / "scale.wav")) as f:
        assert (f.getnchannels(), f.getsampwidth(), f.getframerate()) == (1, 2, 22050)
        seconds = f.getnframes() / f.getframerate()
    midi_seconds = 64 * 60.0 / tempo / 4  # 64 sixteenths at 100 bpm = 9.6 s
    assert abs(seconds - midi_seconds) < 0.05 and info["seconds"] == pytest.approx(seconds, abs=1e-3)
    signal, _ = audio.read_wav(tmp_path / "scale.wav")
    rms = np.sqrt(np.mean(signal ** 2))
    assert rms > 0.01 and info["rms_dbfs"] > -40
    # Each of the 16 notes sounds: every 0.6 s beat has energy, not just the start.
    beats = signal[:, 0][: int(16 * 0.6 * 22050)].reshape(16, -1)
    assert (np.sqrt((beats ** 2).mean(axis=1)) > 0.003).all()
    assert not list(tmp_path.glob("*.tmp*"))


@needs_synth
def test_an_empty_piece_is_silence_of_the_same_length(tmp_path):
    M.write_midi(np.zeros((32, M.N_FEATURES), np.uint8), tmp_path / "rest.mid", tempo_bpm=120)
    info = audio.synthesizer().render(tmp_path / "rest.mid", tmp_path / "rest.wav")
    signal, rate = audio.read_wav(tmp_path / "rest.wav")
    assert abs(len(signal) / rate - 4.0) < 0.05 and info["rms_dbfs"] is None and not signal.any()


def test_without_a_soundfont_it_says_so_in_one_line(tmp_path):
    why = audio.why_not(str(tmp_path / "missing.sf2"))
    assert why is not None and "\n" not in why and "missing.sf2" in why and "MIDI only" in why
    assert audio.synthesizer(str(tmp_path / "missing.sf2")) is None


def test_resampling_keeps_a_tone_and_its_length():
    t = np.arange(48000) / 48000.0
    out = audio.resample(np.sin(2 * np.pi * 440 * t), 48000, 22050)
    assert len(out) == 22050
    spectrum = np.abs(np.fft.rfft(out))
    assert np.argmax(spectrum) == 440  # 1 s: bin k is k Hz
    assert abs(np.sqrt(np.mean(out ** 2)) - np.sqrt(0.5)) < 0.01
