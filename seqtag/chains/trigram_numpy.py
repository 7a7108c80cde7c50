"""Trigram-chain posteriors in NumPy, for batches too small to repay Numba's start-up.

Loading even a cached Numba kernel costs about a second the first time in a process (importing
Numba and building its CPU target), while one sentence takes milliseconds in NumPy. The
trigram HMM tagger therefore decodes a small batch here when Numba is not loaded yet
(``seqtag tag`` of a sentence); everything else goes to the kernels of :mod:`._trigram`.
Same arrays in, same arrays out as :func:`seqtag.chains.trigram.trigram_posteriors_batch`
(``tests/test_trigram_numpy.py`` checks them against it and against brute force).
"""

from __future__ import annotations

import numpy as np

__all__ = ["trigram_posteriors_small"]


def _lse(x: np.ndarray, axis: int) -> np.ndarray:
    """``log(sum(exp(x)))`` along ``axis``; all ``-inf`` gives ``-inf`` (never NaN)."""
    m = x.max(axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        return np.log(np.exp(x - m).sum(axis=axis)) + np.squeeze(m, axis)


def _one(log_trans3: np.ndarray, emit: np.ndarray) -> tuple[float, np.ndarray]:
    """Log-likelihood and ``(n, K)`` posteriors of one sentence; pair states ``(tag j-1, tag j)``."""
    n, K = emit.shape
    ext = np.full((n, K + 1), -np.inf)
    ext[:, :K] = emit  # the boundary K is never emitted
    alpha = np.empty((n, K + 1, K + 1))
    prev = np.full((K + 1, K + 1), -np.inf)
    prev[K, K] = 0.0  # (BOS, BOS)
    for i in range(n):  # alpha[i][b, c] = log P(words <= i, tags i-1 = b, i = c)
        prev = alpha[i] = _lse(prev[:, :, None] + log_trans3, 0) + ext[i][None, :]
    log_lik = float(_lse((prev + log_trans3[:, :, K]).ravel(), 0))
    post = np.zeros((n, K))
    if not np.isfinite(log_lik):
        return log_lik, post
    beta = log_trans3[:, :, K]  # beta[i][b, c] = log P(words > i, end | tags i-1 = b, i = c)
    for i in range(n - 1, -1, -1):
        with np.errstate(invalid="ignore"):
            joint = alpha[i] + beta
        post[i] = np.exp(_lse(joint, 0) - log_lik)[:K]
        if i:
            beta = _lse(log_trans3 + (ext[i] + beta)[None, :, :], 2)  # (a, b): sum over the next tag c
    return log_lik, post


def trigram_posteriors_small(log_trans3, log_emit, lengths) -> tuple[np.ndarray, np.ndarray]:
    """Per-token tag marginals under a trigram HMM, in NumPy (see the module docstring).

    Parameters
    ----------
    log_trans3 : ndarray (K+1, K+1, K+1)
        ``log P(c | a, b)``; index ``K`` is the sentence boundary (``c == K``: end).
    log_emit : ndarray (N, K)
        ``log P(word_i | tag)`` of the batch's tokens, sentences concatenated.
    lengths : ndarray (n,)
        Sentence lengths, summing to ``N``.

    Returns
    -------
    log_likelihoods : ndarray (n,)
    posteriors : ndarray (N, K)
        Rows are zero for a sentence with no path.
    """
    log_trans3 = np.asarray(log_trans3, np.float64)
    log_emit = np.asarray(log_emit, np.float64)
    lengths = np.asarray(lengths, np.int64)
    post = np.zeros(log_emit.shape)
    log_liks = np.full(len(lengths), -np.inf)
    start = 0
    K = log_emit.shape[1]
    for s, n in enumerate(lengths.tolist()):
        if n:
            log_liks[s], post[start:start + n] = _one(log_trans3, log_emit[start:start + n])
        else:  # an empty sentence: straight from the start to the end
            log_liks[s] = log_trans3[K, K, K]
        start += n
    return log_liks, post
