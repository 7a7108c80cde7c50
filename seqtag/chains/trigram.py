"""Second-order (trigram) chains: Viterbi with an optional beam and forward-backward over tag pairs.

The TnT-style trigram HMM tagger's dynamic programmes; states are tag pairs, so a
sentence of ``T`` tokens costs O(T K^3). Kernels are in :mod:`seqtag.chains._trigram`.
"""

from __future__ import annotations

import numpy as np

from ..exceptions import InputError
from ._trigram import _posteriors_batch, _viterbi_batch

__all__ = ["trigram_viterbi_batch", "trigram_posteriors_batch"]

_NEG_INF = -np.inf


def _check(log_trans3, log_emit, lengths):
    log_trans3 = np.ascontiguousarray(log_trans3, dtype=np.float64)
    log_emit = np.ascontiguousarray(log_emit, dtype=np.float64)
    lengths = np.ascontiguousarray(lengths, dtype=np.int64)
    K = log_emit.shape[1] if log_emit.ndim == 2 else -1
    if log_emit.ndim != 2 or log_trans3.shape != (K + 1, K + 1, K + 1):
        raise InputError(
            f"log_emit must be (N, K) and log_trans3 (K+1, K+1, K+1); got {log_emit.shape} "
            f"and {log_trans3.shape}"
        )
    if lengths.ndim != 1 or (lengths < 0).any() or lengths.sum() != log_emit.shape[0]:
        raise InputError(f"lengths must be >= 0 and sum to N={log_emit.shape[0]}, got sum {lengths.sum()}")
    starts = np.zeros(lengths.shape[0], np.int64)
    if lengths.shape[0] > 1:
        np.cumsum(lengths[:-1], out=starts[1:])
    return log_trans3, log_emit, lengths, starts


def trigram_viterbi_batch(log_trans3, log_emit, lengths, log_beam: float = np.inf):
    """Best tag sequence of every sentence under a trigram HMM (beam-pruned).

    Parameters
    ----------
    log_trans3 : ndarray (K+1, K+1, K+1)
        ``log P(c | a, b)``; index ``K`` is the sentence boundary.
    log_emit : ndarray (N, K)
        Emission log scores of every token of the batch.
    lengths : ndarray (n,)
        Sentence lengths, summing to ``N``.
    log_beam : float, default inf
        Pair states scoring below ``best - log_beam`` at their position are
        dropped; ``inf`` searches exactly.

    Returns
    -------
    paths : ndarray (N,) int64
        Best tags; ``-1`` for a sentence with no finite-scoring path.
    log_probs : ndarray (n,)
        Score of each best path (``-inf`` when none exists).
    """
    log_trans3, log_emit, lengths, starts = _check(log_trans3, log_emit, lengths)
    paths = np.full(log_emit.shape[0], -1, np.int64)
    scores = np.full(lengths.shape[0], _NEG_INF)
    _viterbi_batch(log_trans3, log_emit, starts, lengths, float(log_beam), paths, scores)
    return paths, scores


def trigram_posteriors_batch(log_trans3, log_emit, lengths):
    """Per-token tag marginals under a trigram HMM (forward-backward over tag pairs).

    Parameters
    ----------
    log_trans3 : ndarray (K+1, K+1, K+1)
    log_emit : ndarray (N, K)
    lengths : ndarray (n,)
        See :func:`trigram_viterbi_batch`.

    Returns
    -------
    log_likelihoods : ndarray (n,)
        ``log`` of the total score of each sentence (``-inf`` if no path).
    posteriors : ndarray (N, K)
        ``P(tag_i = k | sentence)``; rows are zero for a sentence with no path.
    """
    log_trans3, log_emit, lengths, starts = _check(log_trans3, log_emit, lengths)
    post = np.zeros(log_emit.shape, np.float64)
    log_liks = np.full(lengths.shape[0], _NEG_INF)
    _posteriors_batch(np.exp(log_trans3), log_emit, starts, lengths, post, log_liks)
    bad = ~np.isfinite(log_liks)
    if bad.any():  # a partly computed sentence must not leak numbers
        for s in np.flatnonzero(bad):
            post[starts[s] : starts[s] + lengths[s]] = 0.0
    return log_liks, post
