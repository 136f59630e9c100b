"""Recurrent encoders and decoders: one LSTM layer over the time axis (same VAE objective).

A window is read as a sequence: MIDI x (B, 100, 156) is 100 steps of 156 note-state features;
MNIST x (B, 784) is read as 28 steps (rows) of 28 features (pixels of the row).

    encoder  x_1..x_T -LSTM(F -> H)-> h_T -> Linear H -> mu (n_latent), Linear H -> ln_var
    decoder  h_0 = tanh(Linear(z)), c_0 = 0; input z at every one of the T steps
             -LSTM(n_latent -> H)-> h_1..h_T -> the same Linear H -> F at every step (logits)

    H = 256 for MIDI (0.76M parameters in all; the paper's MIDI MLP has 24M),
    H = 128 for MNIST (0.15M; the paper's MNIST MLP has 0.79M).  One layer: the latent code
    is small (2 or 20 numbers), so a deeper recurrence buys little, and every step of the
    recurrence is sequential Python work on a CPU.

The decoder is deliberately NOT autoregressive: it never sees x, nor its own previous outputs
(no teacher forcing), only z -- as the initial hidden state and as the input at every step, so
that z cannot be forgotten over 100 steps.  A decoder that sees x_{<t} can model the data well
enough on its own to ignore z: the KL term then drives q(z|x) onto the prior and the code
carries nothing (the posterior collapse the paper warns about).  Here all that the decoder knows
about a particular x beyond what it learnt of the whole data set has to come through z.

Speed.  ``L.NStepLSTM`` holds the weights, and on a GPU it is called as is (cuDNN).  On a CPU
its implementation re-stacks the eight weight matrices and computes the input projection at
every one of the T steps; ``run_lstm`` instead stacks them once, projects all T inputs with one
matrix product (the decoder's constant input z only once), and loops over time with only the
recurrent product and ``F.lstm`` -- the same arithmetic in the same gate order (tests check that
the two agree), in fewer nodes.  Still, the recurrence dominates a training step on a CPU.
Both timings are in BENCHMARKS.md (benchmarks/bench_nets.py).
"""
import chainer
import chainer.functions as F
import chainer.links as L
import numpy

HIDDEN = {"mnist": 128, "midi": 256}

# NStepLSTM's w0..w3 act on the input, w4..w7 on h; F.lstm wants the gates (a, i, f, o)
# interleaved per unit, which is the order chainer.functions.n_step_lstm uses: 2, 0, 1, 3.
_GATES_X = (2, 0, 1, 3)
_GATES_H = (6, 4, 5, 7)


def _stack(ws):
    w = F.stack(ws, axis=1)  # (H, 4, ...) -> (4H, ...): unit-major, gate-minor as F.lstm reads it
    return F.reshape(w, (w.shape[0] * 4,) + w.shape[2:])


def _gates(link):
    """A one-layer NStepLSTM's weights as F.lstm reads them: (W_x (4H, I), W_h (4H, H), bias (4H,))."""
    w, b = link.ws[0], link.bs[0]
    w_x = _stack([w[i] for i in _GATES_X])
    w_h = _stack([w[i] for i in _GATES_H])
    return w_x, w_h, _stack([b[i] for i in _GATES_X]) + _stack([b[i] for i in _GATES_H])


def run_lstm(link, xs, h0=None, steps=None, via_link=None):
    """Run a one-layer ``L.NStepLSTM`` over a batch of equal-length sequences.

    xs: (B, T, I), or (B, I) with ``steps`` = T for an input that is the same at every step.
    h0: (B, H) initial hidden state or None (zeros); the initial cell state is zero.
    via_link: True calls the link itself, False runs the loop below; None (default) picks the
    loop on a CPU and the link elsewhere (cuDNN on a GPU).
    Returns (h_T, hs): the last hidden state (B, H) and all of them, (B, T, H).
    """
    if link.n_layers != 1 or link.direction != 1:
        raise ValueError("run_lstm handles one uni-directional layer")
    constant = xs.ndim == 2
    if via_link is None:
        via_link = link.xp is not numpy
    if via_link:
        if constant:
            xs = F.broadcast_to(F.expand_dims(xs, 1), (xs.shape[0], steps, xs.shape[1]))
        hx = None if h0 is None else F.expand_dims(h0, 0)
        hy, _, ys = link(hx, None, list(F.separate(xs, axis=0)))
        return hy[0], F.stack(ys, axis=0)

    w_x, w_h, bias = _gates(link)
    batch = xs.shape[0]
    if constant:
        xw = [F.linear(xs, w_x, bias)] * steps
    else:  # one (B*T, I) x (I, 4H) product for all steps, then T contiguous (B, 4H) slices
        xw = F.linear(F.reshape(F.transpose(xs, (1, 0, 2)), (-1, xs.shape[2])), w_x, bias)
        xw = F.separate(F.reshape(xw, (xs.shape[1], batch, -1)), axis=0)
    h = h0
    c = link.xp.zeros((batch, link.out_size), dtype=w_x.dtype)
    hs = []
    for x_t in xw:
        c, h = F.lstm(c, x_t if h is None else x_t + F.linear(h, w_h))
        hs.append(h)
    return h, F.stack(hs, axis=1)


class LSTMEncoder(chainer.Chain):
    """x (B, T, F) (or flat) -> LSTM -> last hidden state -> (mu, ln_var)."""

    def __init__(self, shape, hidden, n_latent):
        super().__init__()
        self.shape = tuple(shape)
        with self.init_scope():
            self.rnn = L.NStepLSTM(1, self.shape[1], hidden, 0.0)
            self.mu = L.Linear(hidden, n_latent)
            self.ln_var = L.Linear(hidden, n_latent)

    def forward(self, x):
        x = F.reshape(x, (len(x),) + self.shape)
        h, _ = run_lstm(self.rnn, x)
        return self.mu(h), self.ln_var(h)


class LSTMDecoder(chainer.Chain):
    """z -> h_0 = tanh(Linear(z)); LSTM fed z at each of T steps -> Linear per step -> logits (B, T*F)."""

    def __init__(self, shape, hidden, n_latent):
        super().__init__()
        self.shape = tuple(shape)
        with self.init_scope():
            self.h0 = L.Linear(n_latent, hidden)
            self.rnn = L.NStepLSTM(1, n_latent, hidden, 0.0)
            self.out = L.Linear(hidden, self.shape[1])

    def forward(self, z):
        batch, (steps, features) = len(z), self.shape
        _, hs = run_lstm(self.rnn, z, F.tanh(self.h0(z)), steps=steps)
        logits = self.out(F.reshape(hs, (batch * steps, -1)))
        return F.reshape(logits, (batch, steps * features))


class LSTMARDecoder(chainer.Chain):
    """The autoregressive decoder (kind lstm-ar), a departure from the paper: step t reads z and x_{t-1}.

        h_0 = tanh(Linear(z)), c_0 = 0, x_0 = 0
        h_t = LSTM([z, x_{t-1}], h_{t-1})  ->  logits_t = Linear(h_t) + Linear(x_{t-1})  (F per step)

    so p(x|z) = prod_t p(x_t | z, x_{<t}): a note can be held because the decoder sees that it
    sounds, which the other decoders, deciding every cell from z alone, cannot (their samples
    flicker: many one-step notes).  This is MusicVAE's and Bowman et al.'s (2016) decoder, with
    a direct linear path from x_{t-1} to the logits (a residual connection, no bias, starting at
    zero): "this pitch sounded, so it goes on" is then one weight per cell instead of something
    the LSTM has to learn through its gates (without it, 15 epochs on 950 chorale windows left
    the test loss falling fast and the samples full of one-step notes).  The
    risk is the one LSTMDecoder's docstring names: x_{<t} can explain x_t so well that z is
    ignored.  Against it: KL annealing (--anneal-epochs) and ``dropout``, the share of steps
    whose x_{t-1} is hidden (zeroed) in training, Bowman et al.'s word dropout, so that the
    decoder has to keep its plan in z.

    Training: ``teacher_forced(z, x)``, the window's own previous steps as input (what the
    objective calls; model/vae.py).  Generation: ``generate(z, draw)``, each step's
    probabilities turned into notes by ``draw`` (threshold or temperature: music/sampling.py)
    and fed back.  Both run the same step arithmetic, so fed x they give the same logits."""

    reads_x = True  # VAELoss.objective passes it the window (teacher forcing)

    def __init__(self, shape, hidden, n_latent, dropout=0.0):
        super().__init__()
        self.shape = tuple(shape)
        self.dropout = dropout
        with self.init_scope():
            self.h0 = L.Linear(n_latent, hidden)
            self.rnn = L.NStepLSTM(1, n_latent + self.shape[1], hidden, 0.0)
            self.out = L.Linear(hidden, self.shape[1])
            self.skip = L.Linear(self.shape[1], self.shape[1], nobias=True, initialW=0)

    def forward(self, z):
        """Logits of z alone: the greedy generation's (each cell kept where p >= 0.5)."""
        return self.generate(z, greedy)[0]

    def teacher_forced(self, z, x):
        """Logits (B, T*F) of p(x_t | z, x_{<t}) for every step of the windows x."""
        batch, (steps, features) = len(z), self.shape
        x = F.reshape(x, (batch, steps, features))
        xp = self.xp
        previous = F.concat((xp.zeros((batch, 1, features), x.dtype), x[:, :-1]), axis=1)  # x_0 = 0
        if self.dropout > 0 and chainer.config.train:  # hide whole steps, never single cells
            keep = xp.random.random_sample((batch, steps, 1)) >= self.dropout
            previous = previous * keep.astype(x.dtype)
        zs = F.broadcast_to(F.expand_dims(z, 1), (batch, steps, z.shape[1]))
        _, hs = run_lstm(self.rnn, F.concat((zs, previous), axis=2), F.tanh(self.h0(z)))
        logits = self.out(F.reshape(hs, (batch * steps, -1))) + self.skip(F.reshape(previous, (batch * steps, -1)))
        return F.reshape(logits, (batch, steps * features))

    def generate(self, z, draw):
        """(logits (B, T*F), notes (B, T, F) as draw returned them) of windows drawn step by step.

        draw(t, p) turns step t's probabilities p (host (B, F) float32) into its notes (host
        (B, F), 0/1), which are the next step's input.  The arithmetic is teacher_forced's, one
        step at a time (run_lstm over one step with the state carried)."""
        batch, (steps, features) = len(z), self.shape
        xp = self.xp
        w_x, w_h, bias = _gates(self.rnn)
        h = F.tanh(self.h0(z))
        c = xp.zeros((batch, self.rnn.out_size), dtype=w_x.dtype)
        x_t = xp.zeros((batch, features), dtype=w_x.dtype)
        logits, notes = [], []
        for t in range(steps):
            c, h = F.lstm(c, F.linear(F.concat((z, x_t), axis=1), w_x, bias) + F.linear(h, w_h))
            step = self.out(h) + self.skip(x_t)
            logits.append(step)
            p = chainer.backend.CpuDevice().send(F.sigmoid(step).array)
            drawn = numpy.asarray(draw(t, p))
            notes.append(drawn)
            x_t = self.device.send(drawn.astype(w_x.dtype))
        return F.reshape(F.stack(logits, axis=1), (batch, steps * features)), numpy.stack(notes, axis=1)


def greedy(t, p):
    """Keep a cell where its probability is at least 0.5 (the decoder's likeliest note)."""
    return (p >= 0.5).astype(numpy.uint8)


def make_encoder(data, shape, n_latent):
    return LSTMEncoder(shape, HIDDEN[data], n_latent)


def make_decoder(data, shape, n_latent):
    return LSTMDecoder(shape, HIDDEN[data], n_latent)


def make_ar_decoder(data, shape, n_latent, dropout=0.0):
    return LSTMARDecoder(shape, HIDDEN[data], n_latent, dropout)
