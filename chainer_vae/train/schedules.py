"""Per-epoch schedules for the learning rate (Adam's alpha) and the KL weight beta."""

from chainer_vae.errors import ConfigError

FRESH = "|"  # between two pieces of a schedule: the later one starts with a new Adam


class Piece(tuple):
    """(last epoch or None, alpha) of a learning-rate schedule; ``fresh``: this piece starts
    with a new Adam (moments and step count zeroed), as each chunk of the authors' notebook,
    which built an optimizer per chunk of epochs, may have."""

    def __new__(cls, last, alpha, fresh=False):
        piece = super().__new__(cls, (last, alpha))
        piece.fresh = fresh
        return piece


def parse_lr_schedule(text):
    """'1e-3' -> constant; '1e-3:30,1e-5' -> 1e-3 for epochs 1..30, then 1e-5 (the authors trained
    in chunks of epochs and lowered alpha for the last chunk); '1e-3:30|1e-5' -> the same with a new
    Adam at epoch 31 (its moments and bias correction start over).  Returns [Piece(last_epoch or
    None, alpha)], each also a plain (last_epoch, alpha) tuple."""
    text = str(text)
    parts, fresh = [], []
    for i, chunk in enumerate(text.split(FRESH)):
        for j, part in enumerate(chunk.split(",")):
            parts.append(part)
            fresh.append(i > 0 and j == 0)
    pieces = []
    for i, (part, new) in enumerate(zip(parts, fresh)):
        value, _, until = part.strip().partition(":")
        try:
            alpha = float(value)
            last = int(until) if until else None
        except ValueError:
            raise ConfigError("learning-rate schedule %r: expected e.g. '1e-3', '1e-3:30,1e-5' or "
                              "'1e-3:30|1e-5' (a new Adam at epoch 31)" % (text,))
        if alpha <= 0:
            raise ConfigError("learning-rate schedule %r: alpha must be > 0" % (text,))
        if last is None and i != len(parts) - 1:
            raise ConfigError("learning-rate schedule %r: only the last piece may omit ':epochs'" % (text,))
        if pieces and last is not None and last <= pieces[-1][0]:
            raise ConfigError("learning-rate schedule %r: each piece must end after the one before" % (text,))
        pieces.append(Piece(last, alpha, new))
    return pieces


def lr_at(schedule, epoch):
    """Alpha for a 1-based epoch under a parsed schedule (the last piece holds forever)."""
    for last, alpha in schedule:
        if last is None or epoch <= last:
            return alpha
    return schedule[-1][1]


def fresh_adam_at(schedule, epoch):
    """True when a 1-based epoch is the first of a piece written after '|': the training loop
    then starts that epoch with a new Adam (``optim.fresh_state``)."""
    for before, piece in zip(schedule, schedule[1:]):
        if epoch == before[0] + 1:
            return getattr(piece, "fresh", False)
    return False


def beta_at(epoch, beta=1.0, anneal_epochs=0):
    """KL weight for a 1-based epoch: rises linearly from 0 (epoch 1) to `beta` (epoch anneal+1),
    the warm-up of the paper's ref. [6]; constant `beta` when anneal_epochs is 0."""
    if anneal_epochs <= 0:
        return beta
    return beta * min(1.0, (epoch - 1) / float(anneal_epochs))
