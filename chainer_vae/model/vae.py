"""The VAE objective (the paper's eq. 6) as a Chain that takes an encoder and a decoder.

loss = E_q[-log p(x|z)] + beta * KL(q(z|x) || N(0, I)), in nats per example, where
q(z|x) = N(mu, diag(exp(ln_var))) and z = mu + exp(ln_var / 2) * eps (eq. 8, reparametrization).
The reconstruction term is the Bernoulli negative log-likelihood of x under the decoder's logits
(pixels in [0, 1] are used as soft targets, as in the original code); the KL is analytic.
"""
import chainer
import chainer.functions as F

from chainer_vae.errors import ConfigError
from chainer_vae.model import replay
from chainer_vae.model.lstm import greedy


class VAELoss(chainer.Chain):
    """Loss Chain: ``loss = VAELoss(encoder, decoder)(x)``; reports ``loss``, ``reconstr``, ``kl_penalty``.

    beta: weight of the KL term (1 is the ELBO; with --anneal-epochs the training loop raises it
          linearly from 0 to beta).
    k:    samples of z per example for the reconstruction term (the paper uses 1).
    static_graph: opt-in speed, off by default (model/replay.py): CPU training steps replay
          Chainer's static schedule of ``objective``, checked to be the plain model's numbers or
          not used; Python in ``objective`` that reads values or state would run only once.
    """

    def __init__(self, encoder, decoder, beta=1.0, k=1, static_graph=False):
        super().__init__()
        if k < 1:
            raise ConfigError("k (samples of z per example) must be >= 1, got %r" % (k,))
        self.beta = beta
        self.k = k
        self.static_graph = static_graph
        # z ~ q(z|x) by eq. 8.  An attribute so that under MPI each rank can take its rows of the
        # one-process draw (parallel/mpi.py's ShardedSampler); F.gaussian otherwise.
        self.sample = F.gaussian
        with self.init_scope():
            self.encoder = encoder
            self.decoder = decoder

    def forward(self, x):
        if self.static_graph and replay.replayable(self, x):  # speed only, opt-in: model/replay.py
            self.loss, self.reconstr, self.kl_penalty = replay.step(self, x)
        else:
            self.loss, self.reconstr, self.kl_penalty = self.objective(x, self.beta, self.sample)
        chainer.report({"loss": self.loss, "reconstr": self.reconstr,
                        "kl_penalty": self.kl_penalty}, self)
        return self.loss

    def objective(self, x, beta, sample):
        """(loss, reconstr, kl_penalty) for the batch x, with z drawn by sample(mu, ln_var)."""
        batch = len(x)
        mu, ln_var = self.encoder(x)
        reconstr = None
        for _ in range(self.k):
            z = sample(mu, ln_var)  # eq. 8
            # An autoregressive decoder (model/lstm.py's lstm-ar) reads the window's own previous
            # steps (teacher forcing); every other one, the paper's included, z alone.
            logits = self.decoder.teacher_forced(z, x) if self.reads_x else self.decoder(z)
            if logits.shape != x.shape:  # no reshape node when the decoder already gives x's shape
                logits = F.reshape(logits, x.shape)
            nll = F.bernoulli_nll(x, logits)  # -log p(x|z), summed over the batch
            reconstr = nll if reconstr is None else reconstr + nll
        reconstr = reconstr / (self.k * batch)
        kl_penalty = F.gaussian_kl_divergence(mu, ln_var) / batch  # analytic KL(q(z|x) || N(0, I))
        return reconstr + beta * kl_penalty, reconstr, kl_penalty  # eq. 6

    @property
    def reads_x(self):
        """Whether the decoder is autoregressive: p(x|z) needs x itself (model/lstm.py)."""
        return getattr(self.decoder, "reads_x", False)

    def encode(self, x):
        """The posterior mean and log-variance of z for a batch x."""
        return self.encoder(x)

    def decode(self, z, probabilities=True, draw=None):
        """Decoder output for z: Bernoulli means (sigmoid of the logits) or the logits.

        An autoregressive decoder generates step by step: draw(t, p) makes step t's notes from
        its probabilities (default: the likeliest, p >= 0.5), and the output is each step's
        distribution given the notes drawn before it."""
        logits = self.decoder.generate(z, draw or greedy)[0] if self.reads_x else self.decoder(z)
        return F.sigmoid(logits) if probabilities else logits
