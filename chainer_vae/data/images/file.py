"""One image file -> one flat uint8 vector: the reader behind ``images.load_image_folder``.

``read_image(path, size, channels)`` returns ``(pixels, note)``: ``pixels`` is a uint8 vector of
``size * size * channels`` values, rows top to bottom, pixels left to right, channels last
(H, W, C flattened -- ``pixels.reshape(size, size, channels)`` is the image); ``note`` names the
conversion applied when the file was not already 8-bit grey or RGB ('' when none).  Any file it
cannot use raises ``ImageSkip`` (a ``DataError``) naming the file and the cause, and nothing else:
every exception Pillow's decoders raise on damaged input (OSError, SyntaxError, ValueError,
struct.error, EOFError, MemoryError, DecompressionBombError, ...) ends here as one reason.

What is done to a picture, in order, and why:

* **Decoding**: Pillow, any format it opens (by content, not name); ``verify()`` first (checks PNG
  CRCs), then a fresh open and ``load()``; truncated data is an error (``LOAD_TRUNCATED_IMAGES``
  stays off).  Multi-frame files (GIF, APNG, TIFF) give their first frame.  An EXIF orientation
  tag (phone photos) is applied.
* **Size caps**: at most ``MAX_PIXELS`` pixels (Pillow's decompression-bomb warning and error are
  both a skip: a header claiming 50,000 x 50,000 is refused before anything is allocated) and
  ``MAX_FILE_BYTES`` on disk.  JPEGs are decoded at 1/2, 1/4 or 1/8 scale when still at least
  ``size`` (``draft``): a 24-megapixel photo costs a 0.4-megapixel decode.
* **16-bit** grey ("I;16*", "I"): scaled to 8 bits as round(v * 255 / 65535) -- Pillow's own
  ``convert("L")`` clips at 255, which turns most 16-bit images white.  32-bit float ("F") has no
  defined intensity range: skipped.
* **Alpha** (RGBA, LA, PA, palette or grey with a transparent colour): composited over an opaque
  ``background`` grey level (default 0, black: the background of MNIST, the "no ink" value a
  Bernoulli decoder models as 0; 255 for dark drawings on transparent paper).  The composite is
  taken after resizing, which Pillow does premultiplied, so it is the average of the full-size
  composite (to within 3/255 of rounding) at a fraction of the memory.
* **Colour**: CMYK is converted by Pillow's formula (no ICC profile), palettes expanded, other
  modes converted to RGB; grey (``channels=1``) is Pillow's ITU-R 601-2 luma
  L = 0.299 R + 0.587 G + 0.114 B.
* **Aspect ratio** (``fit``): "crop" (default) keeps the largest centred square -- padding
  would add borders whose size varies with each picture's shape, a feature the VAE would spend
  its two latent dimensions on, while a crop keeps the subject at one scale; "pad" fits the whole
  picture in the square and fills the rest with ``background``, for drawings that reach the
  edges (letters, digits).
* **Resizing**: BOX when shrinking -- an exact area average, so an output intensity is the
  fraction of "ink" of the area it covers (what a Bernoulli target means) and nothing rings or
  needs clipping, as LANCZOS or BICUBIC do at stroke edges; BILINEAR when enlarging (BOX would
  give blocky squares); nothing when the square is already ``size`` (a 28 x 28 grey PNG comes
  back byte for byte).
"""
import os
import warnings

import numpy as np

from chainer_vae.errors import ConfigError, DataError

MAX_PIXELS = 8192 * 8192  # 64 MP: a 61 MP camera still fits; a decoded RGBA frame <= 256 MB
MAX_FILE_BYTES = 256 * 2 ** 20  # hashing and decoding bound; an 8192^2 RGB BMP is 192 MB
FITS = ("crop", "pad")
SIXTEEN_BIT = ("I;16", "I;16L", "I;16B", "I;16N", "I")
ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")


class ImageSkip(DataError):
    """An image file that cannot be used; ``cause`` is the reason without the file's name."""

    def __init__(self, path, cause):
        super().__init__(f"{path}: {cause}")
        self.path, self.cause = path, cause


def _pil():
    from PIL import Image
    return Image


def check_settings(size, channels, fit, background):
    if not isinstance(size, (int, np.integer)) or not 1 <= size <= 1024:
        raise ConfigError(f"image size must be an integer from 1 to 1024, not {size!r}")
    if channels not in (1, 3):
        raise ConfigError(f"channels must be 1 (grey) or 3 (RGB), not {channels!r}")
    if fit not in FITS:
        raise ConfigError(f"fit must be one of {', '.join(FITS)}, not {fit!r}")
    if not isinstance(background, (int, np.integer)) or not 0 <= background <= 255:
        raise ConfigError(f"background must be a grey level 0..255, not {background!r}")


def read_image(path, size=28, channels=1, fit="crop", background=0):
    """(uint8 vector of size * size * channels, conversion note) or ImageSkip; see the docstring."""
    Image = _pil()
    try:
        n_bytes = os.path.getsize(path)
    except OSError as e:
        raise ImageSkip(path, f"cannot read: {e.strerror or e}") from None
    if n_bytes == 0:
        raise ImageSkip(path, "empty file (0 bytes)")
    if n_bytes > MAX_FILE_BYTES:
        raise ImageSkip(path, f"file of {n_bytes:,} bytes, over the reader's cap of {MAX_FILE_BYTES:,}")
    saved = Image.MAX_IMAGE_PIXELS
    try:
        Image.MAX_IMAGE_PIXELS = MAX_PIXELS
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "palette images with transparency ..."
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return _read(Image, path, size, channels, fit, background)
    except ImageSkip:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageSkip(path, f"too many pixels (decompression-bomb guard: the cap is "
                              f"{MAX_PIXELS:,} pixels, {_claimed(path)})") from None
    except Image.UnidentifiedImageError:
        raise ImageSkip(path, "not an image Pillow can read (unknown or damaged format)") from None
    except MemoryError:
        raise ImageSkip(path, "out of memory while decoding") from None
    except (OSError, SyntaxError) as e:
        if _ends_early(e):
            raise ImageSkip(path, f"image data ends early (a truncated file: {_why(e)})") from None
        raise ImageSkip(path, f"damaged or unsupported image ({_why(e)})") from None
    except Exception as e:  # noqa: BLE001 - damaged files raise nearly anything; never abort a folder
        raise ImageSkip(path, f"damaged or unsupported image ({_why(e)})") from None
    finally:
        Image.MAX_IMAGE_PIXELS = saved


def _ends_early(e):
    """Whether Pillow's error says that the file stops before its image data does."""
    text = str(e).lower()
    return "truncated" in text or "ends early" in text or isinstance(e, EOFError)


def jpeg_ends_early(path):
    """Whether a JPEG file lacks the end marker (FF D9) after its image's first scan: the file
    was cut short.  libjpeg decodes such a file without a word when the scan happens to end on a
    row, so ``load()`` alone accepts a truncated photo.  The marker segments before the scan are
    skipped by their lengths (an EXIF thumbnail inside APP1 has its own end marker); bytes after
    the end marker (what some cameras append) are allowed."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] != b"\xff\xd8":
        return False  # not a baseline JPEG stream: Pillow decides
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:  # stray bytes between segments (libjpeg skips them too): on to the next marker
            i = data.find(b"\xff", i)
            if i < 0:
                return True
            continue
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0xD9:
            return False  # an end before any scan: Pillow refuses such a file itself
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            i += 2
            continue
        length = int.from_bytes(data[i + 2:i + 4], "big")
        if marker == 0xDA:  # start of the first scan: its data cannot hold FF D9 (FF is stuffed)
            return data.find(b"\xff\xd9", i + 2 + length) < 0
        i += 2 + length
    return True


def _why(e):
    text = " ".join(str(e).split())[:200]
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def _claimed(path):
    """'the header claims W x H' for a bomb's message, read without the guard tripping again."""
    Image = _pil()
    saved = Image.MAX_IMAGE_PIXELS
    try:
        Image.MAX_IMAGE_PIXELS = None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as im:
                return "the header claims %d x %d" % im.size
    except Exception:  # noqa: BLE001 - only for the message
        return "its header claims more"
    finally:
        Image.MAX_IMAGE_PIXELS = saved


def _read(Image, path, size, channels, fit, background):
    with Image.open(path) as im:
        im.verify()  # PNG CRCs, structure; the image cannot be used after verify()
    notes = []
    with Image.open(path) as im:
        w, h = im.size
        if w < 1 or h < 1:
            raise ImageSkip(path, f"image of {w} x {h} pixels")
        frames = getattr(im, "n_frames", 1)
        if frames > 1:
            notes.append("first frame")
        if im.format == "JPEG" and min(w, h) >= 2 * size:
            im.draft(None, (size, size))  # DCT scaling: both sides stay >= size
        im.load()
        if im.format == "JPEG" and jpeg_ends_early(path):
            raise ImageSkip(path, "image data ends early (a truncated JPEG: no end marker)")
        target = "L" if channels == 1 else "RGB"
        out = _to_mode(_orient(im, notes), target, notes, path)
        out = _square(out, size, fit, background)
        if out.mode == "RGBA":  # composited after resizing: Pillow resizes RGBA premultiplied,
            under = Image.new("RGBA", out.size, (background,) * 3 + (255,))  # so it is the same
            out = Image.alpha_composite(under, out)  # average, at a size^2 cost
            notes.append("alpha composited")
        if out.mode != target:  # colour to luma, grey replicated to RGB, palette or 1-bit expanded
            out = out.convert(target)
        pixels = np.asarray(out, dtype=np.uint8).reshape(-1)
    if pixels.size != size * size * channels:  # a decoder that lied about its size
        raise ImageSkip(path, f"decoded {pixels.size} values, expected {size * size * channels}")
    return pixels, ", ".join(notes)


def _orient(im, notes):
    from PIL import ImageOps
    try:
        orientation = im.getexif().get(0x0112, 1)
    except Exception:  # noqa: BLE001 - damaged EXIF: keep the pixels as stored
        return im
    if orientation in (2, 3, 4, 5, 6, 7, 8):
        notes.append("EXIF rotation")
        return ImageOps.exif_transpose(im)
    return im


def _to_mode(im, target, notes, path):
    """``im`` as 8-bit "L" or "RGB" (the target, when it is cheaper to resize), or "RGBA" when it
    has transparency; a conversion other than a lossless one is noted."""
    Image = _pil()
    mode = im.mode
    if mode in SIXTEEN_BIT:
        a = np.asarray(im)
        out = np.empty(a.shape, np.uint8)
        for r in range(0, len(a), 256):  # round(v * 255 / 65535) = (v + 128) // 257, in blocks
            out[r:r + 256] = (np.clip(a[r:r + 256], 0, 65535).astype(np.uint32) + 128) // 257
        im = Image.fromarray(out, "L")
        notes.append("16-bit scaled to 8-bit")
    elif mode == "F":
        raise ImageSkip(path, "32-bit floating-point image (mode F): no defined intensity range")
    elif mode in ALPHA_MODES or "transparency" in im.info:
        return im if mode == "RGBA" else im.convert("RGBA")
    elif mode == "CMYK":
        im = im.convert("RGB")
        notes.append("CMYK to RGB")
    elif mode not in ("L", "RGB", "P", "1"):
        im = im.convert("RGB")  # YCbCr, RGBX, HSV, LAB ... (Pillow raises on what it cannot)
        notes.append(f"{mode} to RGB")
    if im.mode != target:  # colour to luma, grey replicated to RGB, palette or 1-bit expanded
        im = im.convert(target)
    return im


def _square(im, size, fit, background):
    """Centre-crop (or pad) to a square, then resize to size x size."""
    Image = _pil()
    R = getattr(Image, "Resampling", Image)  # Pillow < 9.1 has the filters on Image
    w, h = im.size
    if fit == "crop":
        s = min(w, h)
        box = ((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s)
        if s == size:
            return im.crop(box) if (w, h) != (size, size) else im
        return im.resize((size, size), R.BOX if s > size else R.BILINEAR,
                         box=box)
    s = max(w, h)
    nw, nh = max(1, round(w * size / s)), max(1, round(h * size / s))
    if (nw, nh) != (w, h):
        im = im.resize((nw, nh), R.BOX if s > size else R.BILINEAR)
    if (nw, nh) == (size, size):
        return im
    fill = (0, 0, 0, 0) if im.mode == "RGBA" else background if im.mode == "L" else (background,) * 3
    canvas = Image.new(im.mode, (size, size), fill)  # transparent: the composite fills it
    canvas.paste(im, ((size - nw) // 2, (size - nh) // 2))
    return canvas
