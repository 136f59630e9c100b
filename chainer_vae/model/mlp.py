"""The paper's fully connected encoders and decoders (MNIST: 784-500-2; MIDI: 15600-1000-500-100-20)."""
import chainer
import chainer.functions as F
import chainer.links as L

ACTIVATIONS = {"tanh": F.tanh, "relu": F.relu}


class MLPEncoder(chainer.Chain):
    """x -> hidden layers -> (mu, ln_var). Inputs of any shape are flattened per example."""

    def __init__(self, n_in, hidden, n_latent, activation="tanh"):
        super().__init__()
        self.activation = ACTIVATIONS[activation]
        sizes = [n_in] + list(hidden)
        with self.init_scope():
            self.layers = chainer.ChainList(*[L.Linear(a, b) for a, b in zip(sizes, sizes[1:])])
            self.mu = L.Linear(sizes[-1], n_latent)
            self.ln_var = L.Linear(sizes[-1], n_latent)

    def forward(self, x):
        h = x
        for layer in self.layers:
            h = self.activation(layer(h))
        return self.mu(h), self.ln_var(h)


class MLPDecoder(chainer.Chain):
    """z -> hidden layers -> logits (n_out); the sigmoid is applied by the loss / at sampling."""

    def __init__(self, n_latent, hidden, n_out, activation="tanh"):
        super().__init__()
        self.activation = ACTIVATIONS[activation]
        sizes = [n_latent] + list(hidden)
        with self.init_scope():
            self.layers = chainer.ChainList(*[L.Linear(a, b) for a, b in zip(sizes, sizes[1:])])
            self.out = L.Linear(sizes[-1], n_out)

    def forward(self, z):
        h = z
        for layer in self.layers:
            h = self.activation(layer(h))
        return self.out(h)


# The paper's networks, from the authors' code. MNIST: tanh, one hidden layer of 500.
# MIDI: ReLU, 15600-1000-500-100 down but 100-500-15600 up (no 1000 layer on the way back).
PAPER = {
    "mnist": {"encoder": [500], "decoder": [500], "activation": "tanh"},
    "midi": {"encoder": [1000, 500, 100], "decoder": [100, 500], "activation": "relu"},
}


def make_encoder(data, shape, n_latent):
    p = PAPER[data]
    return MLPEncoder(shape[0] * shape[1], p["encoder"], n_latent, p["activation"])


def make_decoder(data, shape, n_latent):
    p = PAPER[data]
    return MLPDecoder(n_latent, p["decoder"], shape[0] * shape[1], p["activation"])
