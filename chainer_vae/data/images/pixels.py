"""Images held once as uint8 0..255 (possibly memory-mapped from the cache), float32 per batch.

A 100,000-image folder at 28 x 28 is 78 MB of uint8 but 314 MB as float32 (at 64 x 64 RGB:
1.2 GB and 4.9 GB), so an image folder is never turned into one float32 array.  ``Pixels``
speaks the training loop's data protocol (train/loop.py: ``len``, ``shape``, ``batch``,
``to_device``, ``subset``): the loop sends it to the device once and cuts float32 batches with
``batch``.  A batch is ``uint8 rows .astype(float32) / 255``, the very
operation ``mnist.load_mnist`` applies to MNIST, so an image equals its MNIST float to the bit.

On the CPU the pixels stay a memory map: only the pages of the rows a batch touches are read,
and they are clean file pages the kernel can drop.  On a GPU the rows are copied to the device
as uint8 (a quarter of the float32 size), a block at a time.
"""
import numpy as np

SCALE = np.float32(255)


class Pixels:
    """Rows ``rows`` of the uint8 (M, D) array ``u8``, seen as the float32 (N, D) array of
    intensities in [0, 1]: ``len``, ``shape``, ``dtype``, ``pixels[i]`` / ``pixels[index]``
    (float32 host rows), ``np.asarray(pixels)``; ``batch``, ``to_device`` and ``subset`` for the loop."""

    def __init__(self, u8, rows=None):
        self.u8 = u8
        self.rows = np.arange(len(u8), dtype=np.int64) if rows is None else rows

    def __len__(self):
        return len(self.rows)

    dtype = np.dtype(np.float32)  # of the rows that indexing gives

    @property
    def shape(self):
        return (len(self.rows), self.u8.shape[1])

    def arrays(self):
        """What identifies these images (data fingerprint): the uint8 pixels and the rows."""
        return (self.u8, self.rows)

    def subset(self, index):
        return Pixels(self.u8, self.rows[index])

    def to_device(self, device, block=8192):
        if device.xp is np:
            return self
        out = device.xp.empty((len(self.rows), self.u8.shape[1]), np.uint8)
        for i in range(0, len(self.rows), block):
            out[i:i + block] = device.send(np.ascontiguousarray(self.u8[_host(self.rows[i:i + block])]))
        return Pixels(out, device.xp.arange(len(self.rows)))

    def take(self, index):
        """Rows at ``index`` (positions or a slice, on the array's device) as float32 in [0, 1]."""
        return self.u8[self.rows[index]].astype(np.float32) / SCALE

    batch = take  # the training loop's name for it

    def uint8(self, index=slice(None)):
        """The stored 0..255 values of rows ``index`` (host)."""
        return _host_array(self.u8[self.rows[_host_index(index)]])

    def __getitem__(self, index):
        return _host_array(self.take(_host_index(index)))

    def __array__(self, dtype=None, copy=None):
        x = self[:]
        return x if dtype is None else x.astype(dtype, copy=False)


def _host(a):
    return a if isinstance(a, np.ndarray) else a.get()


def _host_index(index):
    if isinstance(index, list):  # positions as a list, as NumPy takes them
        return np.asarray(index, dtype=np.int64)
    return index if isinstance(index, (slice, int, np.integer, np.ndarray)) else _host(index)


def _host_array(a):
    return a if isinstance(a, np.ndarray) else a.get()
