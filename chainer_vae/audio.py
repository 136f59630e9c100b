"""MIDI -> WAV with a General MIDI SoundFont, so every written .mid can be heard.

The synthesizer is ``midirenderer`` (a pip wheel, Rust, no system libraries) and the SoundFont
is the General MIDI ``TimGM6mb.sf2`` that ``pretty_midi``'s wheel ships; both come with
requirements.txt, so no apt step is needed.  Another .sf2 can be given (``soundfont=``).
The renderer returns 48 kHz stereo; we write 16-bit PCM mono at 22.05 kHz (``RATE``), which
keeps committed results small: the stereo channels are averaged and the signal is resampled
band-limited (FFT), then peak-normalised to -6 dBFS (at most x10, so silence stays silence).

Without a synthesizer, ``synthesizer(...)`` returns None and ``why_not`` says why in one line;
callers still write the MIDI.
"""
import io
import os
import wave

import numpy as np

from chainer_vae.errors import DataError
from chainer_vae.io import atomic_path

RATE = 22050
PEAK = 0.5  # -6 dBFS
MAX_GAIN = 10.0


def default_soundfont():
    """pretty_midi's General MIDI SoundFont (TimGM6mb.sf2), or None when pretty_midi is missing."""
    try:
        import importlib.util
        spec = importlib.util.find_spec("pretty_midi")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(list(spec.submodule_search_locations)[0], "TimGM6mb.sf2")
    return path if os.path.isfile(path) else None


class Synthesizer:
    """Renders MIDI files to WAV files with one SoundFont (read once)."""

    def __init__(self, soundfont_path):
        import midirenderer
        self._render = midirenderer.render_wave_from
        self.soundfont = os.path.basename(soundfont_path)
        with open(soundfont_path, "rb") as f:
            self._sf2 = f.read()

    def render(self, midi_path, wav_path, rate=RATE):
        """Write ``wav_path`` (16-bit PCM mono at ``rate``) for ``midi_path``; returns
        {"wav", "seconds", "rms_dbfs"} (rms of a silent file: None)."""
        with open(midi_path, "rb") as f:
            midi_bytes = f.read()
        try:
            rendered = self._render(self._sf2, midi_bytes)
        except (ValueError, RuntimeError) as e:
            raise DataError(f"{midi_path}: the synthesizer could not render it ({e})") from e
        signal, source_rate = read_wav_bytes(rendered)
        mono = resample(signal.mean(axis=1), source_rate, rate)
        peak = float(np.abs(mono).max()) if mono.size else 0.0
        if peak > 0:
            mono = mono * min(PEAK / peak, MAX_GAIN)
        write_wav(wav_path, mono, rate)
        rms = float(np.sqrt(np.mean(mono ** 2))) if mono.size else 0.0
        return {"wav": os.path.basename(wav_path), "seconds": round(len(mono) / rate, 3),
                "rms_dbfs": round(20 * np.log10(rms), 1) if rms > 0 else None}


def synthesizer(soundfont=""):
    """A Synthesizer, or None when none can run here (``why_not`` says why)."""
    return None if why_not(soundfont) else Synthesizer(soundfont or default_soundfont())


def why_not(soundfont=""):
    """None when audio can be rendered, else one line saying what is missing."""
    try:
        import midirenderer  # noqa: F401
    except ImportError:
        return "no synthesizer (pip install midirenderer, as requirements.txt does): writing MIDI only"
    if soundfont:
        return None if os.path.isfile(soundfont) else f"no SoundFont at {soundfont}: writing MIDI only"
    if default_soundfont() is None:
        return "no General MIDI SoundFont (pip install pretty_midi, which ships one, or pass --soundfont): " \
               "writing MIDI only"
    return None


def resample(x, source_rate, rate):
    """Band-limited resampling of a 1-D signal by truncating (or padding) its spectrum."""
    x = np.asarray(x, np.float64)
    if source_rate == rate or not len(x):
        return x
    n_out = int(round(len(x) * rate / source_rate))
    spectrum = np.fft.rfft(x)
    keep = n_out // 2 + 1
    spectrum = spectrum[:keep] if len(spectrum) >= keep else np.pad(spectrum, (0, keep - len(spectrum)))
    return np.fft.irfft(spectrum, n_out) * (n_out / len(x))


def write_wav(path, signal, rate=RATE):
    """Float signal in [-1, 1] -> 16-bit PCM mono WAV, written atomically."""
    pcm = np.clip(np.round(np.asarray(signal) * 32767), -32768, 32767).astype("<i2")
    with atomic_path(path) as tmp:
        with wave.open(tmp, "wb") as f:
            f.setnchannels(1)
            f.setsampwidth(2)
            f.setframerate(rate)
            f.writeframes(pcm.tobytes())
    return path


def read_wav_bytes(data):
    """16-bit PCM WAV bytes -> (float array (frames, channels) in [-1, 1], rate)."""
    with wave.open(io.BytesIO(data)) as f:
        if f.getsampwidth() != 2:
            raise ValueError("expected 16-bit PCM, got %d bytes per sample" % f.getsampwidth())
        frames = f.readframes(f.getnframes())
        shape = (-1, f.getnchannels())
        return np.frombuffer(frames, "<i2").reshape(shape) / 32768.0, f.getframerate()


def read_wav(path):
    with open(path, "rb") as f:
        return read_wav_bytes(f.read())
