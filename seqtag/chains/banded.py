"""Left-to-right chains with bounded jumps: O(T K W) forward-backward and Viterbi.

An utterance HMM of a forced aligner is a chain: every state either stays, moves to
the next state, or jumps a few states ahead (over an optional silence). Instead of a
dense ``(K, K)`` transition matrix (O(T K^2) with the generic kernels of
:mod:`seqtag.hmm.kernels`) the chain is given in **band form**
``band[k, d] = log P(k -> k + d)`` for ``d = 0 .. W-1``; entries that would leave
the chain (``k + d >= K``) are ignored. :func:`band_to_dense` converts to the dense
form, and the tests check these functions against the generic kernels and brute force.
"""

from __future__ import annotations

import numpy as np

from ..exceptions import InputError
from ..hmm.kernels import _scores
from . import _gmm_kernels as _g

__all__ = ["band_to_dense", "lr_posteriors", "lr_viterbi"]


def _check(band, log_start, log_emit, log_end):
    b = _scores(band, "band", 2)
    K, W = b.shape
    if K == 0 or W == 0:
        raise InputError(f"band must have shape (K, W) with K, W >= 1, got {b.shape}")
    if W > 127:
        raise InputError(f"band width W must be <= 127 (jumps are stored as int8), got {W}")
    start = _scores(log_start, "log_start", 1)
    emit = _scores(log_emit, "log_emit", 2)
    end = np.zeros(K) if log_end is None else _scores(log_end, "log_end", 1)
    if start.shape != (K,) or end.shape != (K,):
        raise InputError(f"log_start and log_end must have shape ({K},) to match band {b.shape}, "
                         f"got {start.shape} and {end.shape}")
    if emit.shape[1] != K:
        raise InputError(f"log_emit must have shape (T, {K}) to match band {b.shape}, got {emit.shape}")
    return b, start, emit, end


def band_to_dense(band) -> np.ndarray:
    """Dense ``(K, K)`` log transition matrix of a band chain (``-inf`` off the band).

    Examples
    --------
    >>> import numpy as np
    >>> band_to_dense(np.log([[0.5, 0.5], [1.0, 0.3]])).round(3).tolist()
    [[-0.693, -0.693], [-inf, 0.0]]
    """
    b = _scores(band, "band", 2)
    K, W = b.shape
    dense = np.full((K, K), -np.inf)
    for d in range(W):
        k = np.arange(max(0, K - d))
        dense[k, k + d] = b[k, d]
    return dense


def lr_posteriors(band, log_start, log_emit, log_end=None) -> tuple[float, np.ndarray, np.ndarray]:
    """Forward-backward on a band chain.

    Parameters
    ----------
    band : array (K, W)
        ``band[k, d]``: log score of ``k -> k + d``.
    log_start : array (K,)
    log_emit : array (T, K)
    log_end : array (K,), optional
        Absent means 0 (end anywhere).

    Returns
    -------
    log_likelihood : float
        ``-inf`` when no path has a finite score (then the other outputs are zero);
        0.0 when T = 0.
    posteriors : ndarray (T, K)
    band_counts : ndarray (K, W)
        Expected number of ``k -> k + d`` transitions.

    Examples
    --------
    >>> import numpy as np
    >>> ll, post, xi = lr_posteriors(np.log([[0.5, 0.5], [1.0, 1.0]]), [0.0, -np.inf], np.zeros((2, 2)))
    >>> post.tolist(), xi.tolist()
    ([[1.0, 0.0], [0.5, 0.5]], [[0.5, 0.5], [0.0, 0.0]])
    """
    b, start, emit, end = _check(band, log_start, log_emit, log_end)
    T, K = emit.shape
    frame_off = np.array([0, T], dtype=np.int64)
    state_off = np.array([0, K], dtype=np.int64)
    occ = np.zeros((T, K))
    xi = np.zeros_like(b)
    ll = np.zeros(1)
    _g._batch_lr_posteriors(emit, frame_off, state_off, np.arange(K, dtype=np.int64), b, start, end, occ, xi,
                            np.zeros(0), np.zeros(2, dtype=np.int64), ll)
    return float(ll[0]), occ, xi


def lr_viterbi(band, log_start, log_emit, log_end=None) -> tuple[np.ndarray, float]:
    """Best path of a band chain (ties go to the lowest predecessor state).

    Parameters are those of :func:`lr_posteriors`.

    Returns
    -------
    path : ndarray of int64 (T,)
        All ``-1`` when no path has a finite score.
    log_prob : float

    Examples
    --------
    >>> import numpy as np
    >>> lr_viterbi(np.log([[0.5, 0.5], [1.0, 1.0]]), [0.0, -np.inf], np.log([[0.9, 0.1], [0.2, 0.8]]))[0]
    array([0, 1])
    """
    b, start, emit, end = _check(band, log_start, log_emit, log_end)
    T, K = emit.shape
    path = np.empty(T, dtype=np.int64)
    score = np.zeros(1)
    _g._batch_lr_viterbi(emit, np.array([0, T], dtype=np.int64), np.array([0, K], dtype=np.int64),
                         np.arange(K, dtype=np.int64), b, start, end, path, score)
    return path, float(score[0])
