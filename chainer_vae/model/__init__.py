"""Encoder/decoder factories: an architecture is only a pair of Chains the objective takes.

``make_encoder(kind, data, n_latent)`` / ``make_decoder(kind, data, n_latent)`` where
kind is one of KINDS and data is "mnist" (x: (B, 784), a 28x28 image) or "midi"
(x: (B, 100, 156), a window of note-states). Decoders return logits with x's size per example.

``image=(size, channels)`` shapes the "mnist" networks for an image folder instead of 28 x 28 grey
(x: (B, size * size * channels), channel-last rows): the MLP and LSTM read it as (size,
size * channels) -- rows of pixels, R G B within a pixel -- and the conv pair as ``channels``
input channels of size x size.  ``None`` (or (28, 1)) is MNIST's own shape.

Beyond the paper, one decoder has no encoder of its kind: lstm-ar (model/lstm.py's
LSTMARDecoder), for MIDI windows only, whose step t reads x_{t-1}; ``dropout`` is its share of
hidden x_{t-1} steps in training (the other kinds take none).
"""
from chainer_vae.errors import ConfigError
from chainer_vae.model import conv, lstm, mlp

NETS = {"mlp": mlp, "conv": conv, "lstm": lstm}
KINDS = tuple(NETS)  # encoders; each is also a decoder
AR_DECODERS = {"lstm-ar": lstm.make_ar_decoder}  # decoders that read x_{<t}: a departure from the paper
DECODER_KINDS = KINDS + tuple(AR_DECODERS)
DATA = {"mnist": (28, 28), "midi": (100, 156)}  # per-example shape as (time/rows, features/cols)


def _module(kind):
    if kind not in NETS:
        raise ConfigError("unknown network kind %r (choose from %s)" % (kind, ", ".join(KINDS)))
    return NETS[kind]


def _check(data):
    if data not in DATA:
        raise ConfigError("unknown data %r (choose from %s)" % (data, ", ".join(DATA)))


def shape(kind, data, image=None):
    """The per-example shape a network of ``kind`` is built for (module docstring)."""
    _check(data)
    if image is None or tuple(image) == (28, 1):
        return DATA[data]
    if data != "mnist":
        raise ConfigError("image shapes are for the image networks (data 'mnist'), not %r" % data)
    size, channels = image
    return (size, size, channels) if kind == "conv" and channels > 1 else (size, size * channels)


def make_encoder(kind, data, n_latent, image=None):
    return _module(kind).make_encoder(data, shape(kind, data, image), n_latent)


def make_decoder(kind, data, n_latent, image=None, dropout=0.0):
    if kind in AR_DECODERS:
        if data != "midi":  # the image scripts read a decoder's probabilities of z alone
            raise ConfigError("the %s decoder is for MIDI windows, not images" % kind)
        return AR_DECODERS[kind](data, shape(kind, data, image), n_latent, dropout)
    if dropout:
        raise ConfigError("--decoder-dropout is for an autoregressive decoder (%s), not %s"
                          % (", ".join(AR_DECODERS), kind))
    return _module(kind).make_decoder(data, shape(kind, data, image), n_latent)
