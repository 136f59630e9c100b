"""Encoder/decoder factories: an architecture is only a pair of Chains the objective takes.

``make_encoder(kind, data, n_latent)`` / ``make_decoder(kind, data, n_latent)`` where
kind is one of KINDS and data is "mnist" (x: (B, 784), a 28x28 image) or "midi"
(x: (B, 100, 156), a window of note-states). Decoders return logits with x's size per example.
"""
from chainer_vae.errors import ConfigError
from chainer_vae.model import conv, lstm, mlp

NETS = {"mlp": mlp, "conv": conv, "lstm": lstm}
KINDS = tuple(NETS)
DATA = {"mnist": (28, 28), "midi": (100, 156)}  # per-example shape as (time/rows, features/cols)


def _module(kind):
    if kind not in NETS:
        raise ConfigError("unknown network kind %r (choose from %s)" % (kind, ", ".join(KINDS)))
    return NETS[kind]


def _check(data):
    if data not in DATA:
        raise ConfigError("unknown data %r (choose from %s)" % (data, ", ".join(DATA)))


def make_encoder(kind, data, n_latent):
    _check(data)
    return _module(kind).make_encoder(data, DATA[data], n_latent)


def make_decoder(kind, data, n_latent):
    _check(data)
    return _module(kind).make_decoder(data, DATA[data], n_latent)
