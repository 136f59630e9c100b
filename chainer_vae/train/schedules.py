"""Per-epoch schedules for the learning rate (Adam's alpha) and the KL weight beta."""

from chainer_vae.errors import ConfigError


def parse_lr_schedule(text):
    """'1e-3' -> constant; '1e-3:30,1e-5' -> 1e-3 for epochs 1..30, then 1e-5 (the authors trained
    in chunks of epochs and lowered alpha for the last chunk). Returns [(last_epoch or None, alpha)]."""
    pieces = []
    for i, part in enumerate(str(text).split(",")):
        value, _, until = part.strip().partition(":")
        try:
            alpha = float(value)
            last = int(until) if until else None
        except ValueError:
            raise ConfigError("learning-rate schedule %r: expected e.g. '1e-3' or '1e-3:30,1e-5'" % (text,))
        if alpha <= 0:
            raise ConfigError("learning-rate schedule %r: alpha must be > 0" % (text,))
        if last is None and i != len(str(text).split(",")) - 1:
            raise ConfigError("learning-rate schedule %r: only the last piece may omit ':epochs'" % (text,))
        pieces.append((last, alpha))
    return pieces


def lr_at(schedule, epoch):
    """Alpha for a 1-based epoch under a parsed schedule (the last piece holds forever)."""
    for last, alpha in schedule:
        if last is None or epoch <= last:
            return alpha
    return schedule[-1][1]


def beta_at(epoch, beta=1.0, anneal_epochs=0):
    """KL weight for a 1-based epoch: rises linearly from 0 (epoch 1) to `beta` (epoch anneal+1),
    the warm-up of the paper's ref. [6]; constant `beta` when anneal_epochs is 0."""
    if anneal_epochs <= 0:
        return beta
    return beta * min(1.0, (epoch - 1) / float(anneal_epochs))
