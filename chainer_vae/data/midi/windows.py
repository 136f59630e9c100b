"""Windows of a MIDI corpus, cut when a batch is drawn from songs held once, bit-packed.

The authors' code stored every window (200 overlapping 100 x 156 windows per song, 3.1 MB a
song); a corpus of thousands of songs then needs tens of GB.  Here all songs are one (S, 20)
uint8 array -- each step's 156 bits packed into 20 bytes, songs one after another, 20 bytes a
step (a 300-step folk song: 6 KB) -- that may be memory-mapped from the cache, and a window is
its start row.  ``Windows.take`` gathers and unpacks a batch on the array's device: the float32
batch is element for element what the stored windows gave.
"""
import numpy as np

N_FEATURES = 156
N_BYTES = (N_FEATURES + 7) // 8  # 20


def window_starts(n_steps, window=100, n=200):
    """Evenly spaced starts floor(i * (T - window) / n), exact in integer arithmetic."""
    if n_steps < window:
        raise ValueError(f"song of {n_steps} steps is shorter than the window ({window})")
    return (np.arange(n, dtype=np.int64) * (n_steps - window)) // n


def pack(matrix):
    """(T, 156) 0/1 matrix -> (T, 20) uint8, bits big-endian within a byte (np.packbits)."""
    return np.packbits(np.asarray(matrix, dtype=bool), axis=1)


def unpack(packed, xp=np):
    """(..., 20) uint8 -> (..., 156) uint8 0/1 on the array's device."""
    if xp is np:
        return np.unpackbits(packed, axis=-1, count=N_FEATURES)
    shifts = xp.arange(7, -1, -1, dtype=np.uint8)
    bits = (packed[..., None] >> shifts) & 1
    return bits.reshape(packed.shape[:-1] + (8 * N_BYTES,))[..., :N_FEATURES]


class Windows:
    """``len(starts)`` windows of ``length`` steps over the packed songs ``packed``.

    Behaves like the (N, length, 156) uint8 array of windows where the code needs one:
    ``len``, ``shape``, ``windows[i]`` / ``windows[indices]`` (dense host windows); the training
    loop's data protocol (train/loop.py) is ``batch`` (float32 batches on the device), ``to_device``
    and ``subset``.
    """

    def __init__(self, packed, starts, length=100):
        self.packed, self.starts, self.length = packed, starts, int(length)

    def __len__(self):
        return len(self.starts)

    dtype = np.dtype(np.uint8)  # of the dense windows that indexing gives

    @property
    def shape(self):
        return (len(self.starts), self.length, N_FEATURES)

    def arrays(self):
        """What identifies these windows: the packed songs and the starts (data fingerprint)."""
        return (self.packed, self.starts, np.int64(self.length))

    def subset(self, index):
        """The windows at ``index`` (slice or positions), still cut on the fly."""
        return Windows(self.packed, self.starts[index], self.length)

    def to_device(self, device):
        return Windows(device.send(np.asarray(self.packed)), device.send(np.asarray(self.starts)), self.length)

    def take(self, index):
        """The windows at ``index`` (a device array of positions) as a float32 batch."""
        xp = _xp(self.packed)
        rows = self.starts[index][:, None] + xp.arange(self.length)
        return unpack(self.packed[rows], xp).astype(np.float32)

    batch = take  # the training loop's name for it

    def __getitem__(self, index):
        """Dense uint8 windows on the host, like indexing the stored array would give."""
        starts = np.asarray(_host(self.starts))[index]
        rows = np.asarray(starts)[..., None] + np.arange(self.length)
        return unpack(np.asarray(_host(self.packed))[rows])


def _xp(a):
    import chainer
    return chainer.backend.get_array_module(a)


def _host(a):
    return a if isinstance(a, np.ndarray) else a.get()
