"""Errors a user can fix. Scripts print them as one sentence (no traceback) and exit 2."""
from chainer_vae.files import display_name


class UserError(Exception):
    """Base: bad input, a missing file, an unusable device.  Its text shows file names in
    files.display_name's form (undecodable bytes as ``\\xe9``), on any console."""

    def __str__(self):
        return display_name(super().__str__())


class DeviceError(UserError):
    """The requested --device cannot be used here."""


class DataError(UserError):
    """A data file or folder is missing, corrupt or unusable; the message names it."""


class ConfigError(UserError, ValueError):
    """A flag's value is not usable (an unknown network kind, a malformed schedule)."""


class RunFileError(DataError):
    """A file of a run (model.npz, history.json, run.json, snapshot.npz, a shipped model) is
    damaged or unreadable; the message names the file and the damage."""


class DivergedError(UserError):
    """The loss became NaN or infinite; the last good snapshot is kept."""
