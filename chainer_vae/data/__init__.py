"""Data sets: MNIST (mnist.py), MIDI songs (midi/: smf.py, notestate.py, corpus.py), image folders (images/), and the fingerprint of what is trained."""
import hashlib

import numpy as np


def fingerprint(*arrays):
    """A short content hash of the arrays a model is trained and tested on (dtype, shape, bytes).

    Part of a run's identity: a run is reused only for the very same data.  BLAKE2b reads
    ~1 GB/s, so hashing the paper's MNIST arrays (~63 MB) costs a fraction of a second.
    """
    h = hashlib.blake2b(digest_size=8)
    flat = []
    for a in arrays:  # windows cut on the fly are identified by their songs and starts
        flat.extend(a.arrays() if hasattr(a, "arrays") else [a])
    for a in flat:
        a = np.ascontiguousarray(a)
        h.update(("%s%s" % (a.dtype.str, a.shape)).encode())
        h.update(memoryview(a).cast("B"))
    return h.hexdigest()
