"""Convolutional encoders and decoders (an alternative to the paper's MLPs, same VAE objective).

MNIST (x: (B, 784), a 28x28 image), the usual small DCGAN-style VAE:

    encoder  (1, 28, 28) -conv 4x4/2 pad 1-> (16, 14, 14) -ReLU-conv 4x4/2 pad 1-> (32, 7, 7)
             -ReLU-> Linear 1568 -> mu (n_latent), Linear 1568 -> ln_var (n_latent)
    decoder  z -Linear-> 1568 = (32, 7, 7) -ReLU-deconv 4x4/2 pad 1-> (16, 14, 14)
             -ReLU-deconv 4x4/2 pad 1-> (1, 28, 28) logits, returned as (B, 784)

  Kernel 4 with stride 2 and pad 1 halves (or, transposed, doubles) the size exactly and gives
  every output pixel the same number of contributions (no checkerboard from k not divisible
  by s).  Two halvings reach 7x7, small enough for a dense layer to the 2-D code.  16/32
  channels: 28k parameters (the paper's 784-500-2 MLP has 0.79M).  The common 32/64 costs
  about 3x the time for little gain with a 2-D code (Chainer's CPU convolution is im2col +
  tensordot); step times are in BENCHMARKS.md (benchmarks/bench_nets.py).

MIDI (x: (B, 100, 156): 100 time steps of 156 note-state features), 1-D convolution along time
with the 156 features as input channels (a step's note-state is one vector, and the patterns
worth sharing are in time: the same rhythm or chord shape recurs at any step):

    encoder  (156, 100) -conv1d k4/2 pad 1-> (128, 50) -ReLU-conv1d k4/2 pad 1-> (128, 25)
             -ReLU-> Linear 3200 -> mu (n_latent), Linear 3200 -> ln_var (n_latent)
    decoder  z -Linear-> 3200 = (128, 25) -ReLU-deconv1d k4/2 pad 1-> (128, 50)
             -ReLU-deconv1d k4/2 pad 1-> (156, 100) logits, returned as (B, 15600)

  Each of the 25 positions after two strides covers 10 steps; the dense layer then sees the
  whole window.  128 channels: 0.49M parameters (the paper's MIDI MLP has 24M).

Colour images (shape (H, W, C), x: (B, H*W*C) channel-last rows, an image folder with
``--channels 3``): the same networks with C input (encoder) and output (decoder) channels.

Decoders return flat logits (B, prod(shape)) like the MLPs; the loss applies the sigmoid.
"""
import chainer
import chainer.functions as F
import chainer.links as L

# channels of the two strided convolutions (the decoder mirrors them)
CHANNELS = {"mnist": (16, 32), "midi": (128, 128)}
KSIZE, STRIDE, PAD = 4, 2, 1  # out = in / 2 exactly for even in (28->14->7, 100->50->25)


def _down(n):
    return (n + 2 * PAD - KSIZE) // STRIDE + 1


def _layout(ndim, shape):
    """(channels of x, spatial sizes, size after both strides, flat size at c2 = 1) for x's shape:
    ndim 2 reads an image (H, W) as one channel and (H, W, C) as C channels; ndim 1 reads (T, F)
    as F channels along T."""
    if ndim == 2:
        channels, spatial = (shape[2] if len(shape) == 3 else 1), tuple(shape[:2])
    else:
        channels, spatial = shape[1], tuple(shape[:1])
    small = tuple(_down(_down(s)) for s in spatial)
    flat = 1
    for s in small:
        flat *= s
    return channels, spatial, small, flat


class ConvEncoder(chainer.Chain):
    """Two strided convolutions + ReLU, then Linear to (mu, ln_var).

    ndim=2: x is an image (B, H*W) or (B, H, W) read as 1 channel; ndim=1: x is (B, T, F) read as
    F channels along T.
    """

    def __init__(self, ndim, shape, channels, n_latent):
        super().__init__()
        self.ndim, self.shape = ndim, tuple(shape)
        c1, c2 = channels
        in_channels, _, _, flat = _layout(ndim, self.shape)
        conv = L.Convolution2D if ndim == 2 else L.Convolution1D
        n_flat = c2 * flat
        with self.init_scope():
            self.conv1 = conv(in_channels, c1, KSIZE, STRIDE, PAD)
            self.conv2 = conv(c1, c2, KSIZE, STRIDE, PAD)
            self.mu = L.Linear(n_flat, n_latent)
            self.ln_var = L.Linear(n_flat, n_latent)

    def forward(self, x):
        batch = len(x)
        if self.ndim == 2 and len(self.shape) == 3:  # (B, H, W, C) -> (B, C, H, W)
            h = F.transpose(F.reshape(x, (batch,) + self.shape), (0, 3, 1, 2))
        elif self.ndim == 2:
            h = F.reshape(x, (batch, 1) + self.shape)
        else:  # (B, T, F) -> (B, F, T): features are channels, convolve along time
            h = F.transpose(F.reshape(x, (batch,) + self.shape), (0, 2, 1))
        h = F.relu(self.conv1(h))
        h = F.relu(self.conv2(h))
        return self.mu(h), self.ln_var(h)  # Linear flattens (B, C, ...) itself


class ConvDecoder(chainer.Chain):
    """Linear z -> (C2, small spatial), then two stride-2 deconvolutions back to x's size."""

    def __init__(self, ndim, shape, channels, n_latent):
        super().__init__()
        self.ndim, self.shape = ndim, tuple(shape)
        c1, c2 = channels
        out_channels, spatial, self.small, flat = _layout(ndim, self.shape)
        deconv = L.Deconvolution2D if ndim == 2 else L.Deconvolution1D
        mid = tuple(_down(s) for s in spatial)
        n_flat = c2 * flat
        self.c2 = c2
        # outsize pins the transposed convolutions to exactly x's size (also for odd sizes)
        with self.init_scope():
            self.fc = L.Linear(n_latent, n_flat)
            self.deconv1 = deconv(c2, c1, KSIZE, STRIDE, PAD, outsize=mid)
            self.deconv2 = deconv(c1, out_channels, KSIZE, STRIDE, PAD, outsize=tuple(spatial))

    def forward(self, z):
        batch = len(z)
        h = F.relu(self.fc(z))
        h = F.reshape(h, (batch, self.c2) + self.small)
        h = F.relu(self.deconv1(h))
        h = self.deconv2(h)
        if self.ndim == 1:  # (B, F, T) -> (B, T, F)
            h = F.transpose(h, (0, 2, 1))
        elif len(self.shape) == 3:  # (B, C, H, W) -> (B, H, W, C)
            h = F.transpose(h, (0, 2, 3, 1))
        return F.reshape(h, (batch, h[0].size if batch else 0))


NDIM = {"mnist": 2, "midi": 1}


def make_encoder(data, shape, n_latent):
    return ConvEncoder(NDIM[data], shape, CHANNELS[data], n_latent)


def make_decoder(data, shape, n_latent):
    return ConvDecoder(NDIM[data], shape, CHANNELS[data], n_latent)
