"""MIDI -> WAV with a General MIDI SoundFont, so every written .mid can be heard.

The synthesizer is ``midirenderer`` (a pip wheel, Rust, no system libraries) and the SoundFont
is the General MIDI ``TimGM6mb.sf2`` that ``pretty_midi``'s wheel ships; both come with
requirements.txt, so no apt step is needed.  Another .sf2 can be given (``soundfont=``).
The renderer returns 48 kHz stereo; we write 16-bit PCM mono at 22.05 kHz (``RATE``), which
keeps committed results small: the stereo channels are averaged and the signal is resampled
band-limited (SciPy's polyphase ``resample_poly``, in float32: a long piece's audio costs about
twice its rendered bytes, where an FFT of the whole signal in float64 cost ten times), then
peak-normalised to -6 dBFS (at most x10, so silence stays silence).

Without a synthesizer, ``synthesizer(...)`` returns None and ``why_not`` says why in one line;
callers still write the MIDI.
"""
import io
import os
import wave

import numpy as np

from chainer_vae.errors import DataError
from chainer_vae.files import atomic_path

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
        mono, source_rate = read_wav_bytes(rendered, mono=True)
        del rendered
        mono = resample(mono, source_rate, rate)
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
    """Band-limited resampling of a 1-D float32 signal (polyphase FIR, Kaiser window)."""
    from math import gcd

    from scipy.signal import resample_poly
    x = np.asarray(x, np.float32)
    if source_rate == rate or not len(x):
        return x
    g = gcd(int(source_rate), int(rate))
    return resample_poly(x, int(rate) // g, int(source_rate) // g)


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


def read_wav_bytes(data, mono=False):
    """16-bit PCM WAV bytes -> (float32 array (frames, channels) in [-1, 1], rate); with mono, the
    channels' mean (frames,)."""
    with wave.open(io.BytesIO(data)) as f:
        if f.getsampwidth() != 2:
            raise ValueError("expected 16-bit PCM, got %d bytes per sample" % f.getsampwidth())
        pcm = np.frombuffer(f.readframes(f.getnframes()), "<i2").reshape(-1, f.getnchannels())
        rate = f.getframerate()
    if mono:
        out = pcm[:, 0].astype(np.float32)
        for c in range(1, pcm.shape[1]):
            out += pcm[:, c]
        out *= np.float32(1 / (32768.0 * pcm.shape[1]))
        return out, rate
    return pcm.astype(np.float32) / np.float32(32768.0), rate


def excerpt(path, seconds, rate=RATE):
    """The first ``seconds`` of a WAV file as a mono float32 signal resampled to ``rate`` ->
    (signal, rate): a short, small clip of a long rendering (the notebook embeds two)."""
    signal, source_rate = read_wav(path)
    mono = signal[:int(round(seconds * source_rate))].mean(axis=1, dtype=np.float32)
    return resample(mono, source_rate, rate), rate


def read_wav(path):
    with open(path, "rb") as f:
        return read_wav_bytes(f.read())
