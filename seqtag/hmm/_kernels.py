"""Numba kernel of the categorical HMM's emission M-step: arrays in, arrays out."""

from __future__ import annotations

import numpy as np

from .._numba import jit

__all__ = ["symbol_counts"]


@jit
def symbol_counts(X, post, n_symbols):
    """Sum of posterior rows per symbol: (n_symbols, K), the categorical emission M-step."""
    K = post.shape[1]
    out = np.zeros((n_symbols, K))
    for t in range(X.shape[0]):
        row = out[X[t]]
        for k in range(K):
            row[k] += post[t, k]
    return out
