"""Atomic file output: a result is either complete on disk or absent, never half-written."""
import contextlib
import json
import os
import tempfile
import zipfile
import zlib


# The source checkout holding this package (its pyproject.toml beside it), or None when the
# package is installed elsewhere: caches and the committed results live there in a checkout.
CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if not os.path.exists(os.path.join(CHECKOUT, "pyproject.toml")):
    CHECKOUT = None


MODELS_ENV = "CHAINER_VAE_MODELS"  # another folder of shipped models (the tests' own)


def models_folder():
    """Where the checkout's trained models lie (``models/``, train/shipped.py), or None."""
    return os.environ.get(MODELS_ENV) or (os.path.join(CHECKOUT, "models") if CHECKOUT else None)


def cache_dir(kind):
    """Where a cache of ``kind`` ("notestate", "images") lives: $CHAINER_VAE_CACHE/<kind>, else
    <checkout>/.cache/<kind>, else ~/.cache/chainer_vae/<kind> for an installed package."""
    if os.environ.get("CHAINER_VAE_CACHE"):
        return os.path.join(os.environ["CHAINER_VAE_CACHE"], kind)
    if CHECKOUT is not None:
        return os.path.join(CHECKOUT, ".cache", kind)
    return os.path.join(os.path.expanduser("~"), ".cache", "chainer_vae", kind)


def short_path(path):
    """``path`` as a run's console lines show it: ``./x`` in the checkout, ``../x`` beside it,
    ``~/x`` under the home folder, else as it is (long absolute paths never go into results)."""
    path = os.path.abspath(os.fspath(path))
    bases = ([(CHECKOUT, "."), (os.path.dirname(CHECKOUT), "..")] if CHECKOUT else []) + [
        (os.path.expanduser("~"), "~")]
    for base, prefix in bases:
        if path == base:
            return prefix
        if path.startswith(base.rstrip(os.sep) + os.sep):
            return prefix + path[len(base.rstrip(os.sep)):]
    return path


def display_name(name):
    """A file or folder name (str, bytes or path) as every console line, figure and JSON shows it:
    bytes that are not UTF-8 (which Python keeps as lone surrogates, ``'\\udce9'``) written as
    ``\\xe9``, the rest unchanged.  The result always encodes as UTF-8, so no console, matplotlib
    text or strict JSON reader trips on it; a name that is valid UTF-8 comes back as it is."""
    name = os.fspath(name)
    if isinstance(name, bytes):
        return name.decode("utf-8", "backslashreplace")
    try:
        raw = name.encode("utf-8", "surrogateescape")  # os.fsdecode's escapes back to their bytes
    except UnicodeEncodeError:  # a surrogate no file name decodes to (e.g. from JSON): its UTF-8-like bytes
        raw = name.encode("utf-8", "surrogatepass")
    return raw.decode("utf-8", "backslashreplace")


def _escape_unencodable(e):
    """The codec error handler "chainer_vae.names": what a console cannot encode is escaped --
    a file name's undecodable bytes as display_name writes them, any other character as
    backslashreplace does -- instead of aborting the script."""
    if not isinstance(e, UnicodeEncodeError):
        raise e
    out = []
    for ch in e.object[e.start:e.end]:
        if "\udc80" <= ch <= "\udcff":
            out.append("\\x%02x" % (ord(ch) - 0xDC00))
        else:
            out.append(ch.encode("ascii", "backslashreplace").decode("ascii"))
    return "".join(out), e.end


def console_safe():
    """Make stdout and stderr print any name on any console encoding (a strict UTF-8 console,
    ``PYTHONIOENCODING=utf-8:strict``, an ASCII one): unencodable characters are escaped in
    display_name's form, never a UnicodeEncodeError.  Idempotent; streams that cannot be
    reconfigured (a test's capture) are left as they are."""
    import codecs
    import sys
    try:
        codecs.lookup_error("chainer_vae.names")
    except LookupError:
        codecs.register_error("chainer_vae.names", _escape_unencodable)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="chainer_vae.names")
        except (AttributeError, ValueError, OSError):
            pass


def say_source(line):
    """A run's one line naming where its data came from (stderr, before training starts)."""
    import sys
    print(display_name(line), file=sys.stderr, flush=True)


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; move it into place only if the block succeeds."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    base, ext = os.path.splitext(os.path.basename(path))
    fd, tmp = tempfile.mkstemp(prefix="." + base + ".", suffix=".tmp" + ext, dir=directory)
    os.close(fd)
    try:
        yield tmp
        # mkstemp makes files 0600; give the result the permissions an ordinary open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _json_names(obj):
    """obj with every string that holds lone surrogates (an undecodable file name) in
    display_name's form, so that the JSON is valid UTF-8 for any reader; others unchanged."""
    if isinstance(obj, str):
        return display_name(obj) if any("\ud800" <= ch <= "\udfff" for ch in obj) else obj
    if isinstance(obj, dict):
        return {_json_names(k): _json_names(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_names(v) for v in obj]
    return obj


def write_json(path, obj):
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(_json_names(obj), f, indent=1, sort_keys=False)
            f.write("\n")


def read_json(path):
    with open(path) as f:
        return json.load(f)


# Metadata that matplotlib writes unless told not to, per format: the matplotlib version (PNG,
# SVG, PDF) and the time of writing (PDF, SVG).  Without them equal figures are equal bytes, so
# a rerun that draws the same numbers leaves a committed PNG unchanged.
DETERMINISTIC_METADATA = {"png": {"Software": None}, "svg": {"Creator": None, "Date": None},
                          "pdf": {"Creator": None, "Producer": None, "CreationDate": None}}


def save_figure(fig, path, **kwargs):
    fmt = os.path.splitext(path)[1].lstrip(".").lower() or "png"
    if fmt in DETERMINISTIC_METADATA:
        kwargs.setdefault("metadata", DETERMINISTIC_METADATA[fmt])
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=fmt, **kwargs)


def move_aside(path):
    """Rename a corrupt file to ``<path>.corrupt`` (replacing an older one) so the next run does
    not trip on it again; returns what happened, in words, for the warning."""
    try:
        os.replace(path, path + ".corrupt")
        return f"moved it aside to {os.path.basename(path)}.corrupt"
    except OSError as e:
        return f"could not move it aside ({e.strerror or e}); it is ignored"


def npz_damage(path):
    """None when every array of the .npz archive at ``path`` reads back whole, else its damage
    in words (describe_load_error).  Reads one array at a time: memory holds the largest."""
    import numpy as np
    try:
        with open(path, "rb") as f:
            if f.read(4) != b"PK\x03\x04":
                return "not an .npz archive: truncated to nothing or overwritten" if os.path.getsize(path) < 4 \
                    else "not an .npz archive: its bytes are garbage"
        with np.load(path) as npz:
            for name in npz.files:
                npz[name]
    except Exception as e:  # noqa: BLE001 - a damaged archive raises nearly anything
        return describe_load_error(e)
    return None


def describe_load_error(e):
    """Why np.load / a cache check failed, in words (NumPy's own messages mislead: garbage bytes
    are reported as 'Cannot load file containing pickled data')."""
    if isinstance(e, zipfile.BadZipFile):
        return "not a complete .npz archive: truncated or overwritten"
    if isinstance(e, ValueError) and "pickled" in str(e):
        return "not an .npz archive: its bytes are garbage"
    if isinstance(e, (EOFError, zlib.error)):
        return "truncated or damaged inside"
    if isinstance(e, OSError):
        return e.strerror or str(e)
    return str(e) or type(e).__name__
