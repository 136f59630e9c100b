"""Principal component analysis, the linear baseline the paper compares a VAE with (Sec. 4).

Fitted by the SVD of the centred training images; ``reconstruct`` projects onto the first n
components and back, the best rank-n affine approximation in squared error (Eckart-Young).
"""
import numpy as np


class PCA:
    def __init__(self, x, n_components):
        x = np.asarray(x, dtype=np.float64)
        self.mean = x.mean(axis=0)
        _, s, vt = np.linalg.svd(x - self.mean, full_matrices=False)
        self.components = vt[:n_components]               # (n, D), orthonormal rows
        self.explained_variance = s[:n_components] ** 2 / (len(x) - 1)

    def encode(self, x):
        return (np.asarray(x, dtype=np.float64) - self.mean) @ self.components.T

    def decode(self, z):
        return z @ self.components + self.mean

    def reconstruct(self, x):
        return self.decode(self.encode(x))
