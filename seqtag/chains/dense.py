"""Dynamic programming over chains of states: validating wrappers around numba kernels.

Every function takes log scores: ``log_start`` (K,), ``log_trans`` (K, K) indexed
[from, to], ``log_emit`` (T, K) (score of observation ``t`` under state ``k``) and an
optional ``log_end`` (K,).  The scores may be any real numbers or ``-inf``
(a forbidden start, transition, emission or end): they need not be normalised, so a
linear-chain CRF can pass its potentials and then "log-likelihood" means log Z.
Ask for ``check_normalized=True`` to verify that start / transition (/ end) scores are
log-probabilities.

Batched functions take many sequences concatenated along the first axis of
``log_emit`` (N, K) with ``lengths`` (n,), ``N == sum(lengths)``, and run in parallel
over sequences.  An empty sequence is legal: its log-likelihood is 0.0 and it has no
path (whether or not ``log_end`` is given).  When no path has a finite score, the
log-likelihood is ``-inf``, posteriors are all zero and Viterbi paths are all ``-1``.
"""

from __future__ import annotations

import numba
import numpy as np

from ..exceptions import InputError
from . import _dense as _k

__all__ = [
    "forward",
    "backward",
    "posteriors",
    "viterbi",
    "nbest_viterbi",
    "sample",
    "batch_forward",
    "batch_posteriors",
    "batch_viterbi",
    "batch_expected_counts",
    "batch_log_likelihood",
    "lengths_to_offsets",
    "check_scores",
    "viterbi_padded",
]

_NORM_TOL = 1e-6


def check_scores(value, name: str, ndim: int) -> np.ndarray:
    """``value`` as a C-contiguous float64 array of log scores, or an InputError naming ``name``.

    Log scores are real or ``-inf``; NaN and ``+inf`` are refused.
    """
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise InputError(f"{name} must be a {ndim}-D array of real log scores; could not convert it: {exc}") from None
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise InputError(
            f"{name} must hold real log scores (float), got dtype {arr.dtype}; convert with np.asarray(..., dtype=float)"
        )
    if arr.ndim != ndim:
        raise InputError(f"{name} must be a {ndim}-D array, got shape {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if np.isnan(arr).any():
        where = tuple(int(i) for i in np.argwhere(np.isnan(arr))[0])
        raise InputError(f"{name} contains NaN (first at index {where}); use -inf for impossible events")
    if np.isposinf(arr).any():
        where = tuple(int(i) for i in np.argwhere(np.isposinf(arr))[0])
        raise InputError(f"{name} contains +inf (first at index {where}); log scores must be finite or -inf")
    return arr


def _lse(a: np.ndarray, axis=None):
    m = np.max(a, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    return out if axis is None else np.squeeze(out, axis=axis)


def _model(log_start, log_trans, log_emit, log_end, check_normalized: bool):
    start = check_scores(log_start, "log_start", 1)
    K = start.shape[0]
    if K == 0:
        raise InputError("log_start must have at least one state, got shape (0,)")
    trans = check_scores(log_trans, "log_trans", 2)
    if trans.shape != (K, K):
        raise InputError(f"log_trans must have shape (K, K) = ({K}, {K}) to match log_start {start.shape}, got {trans.shape}")
    emit = check_scores(log_emit, "log_emit", 2)
    if emit.shape[1] != K:
        raise InputError(f"log_emit must have shape (T, K) with K = {K} (from log_start {start.shape}), got {emit.shape}")
    if log_end is None:
        end = np.zeros(K)
    else:
        end = check_scores(log_end, "log_end", 1)
        if end.shape != (K,):
            raise InputError(f"log_end must have shape ({K},) to match log_start {start.shape}, got {end.shape}")
    if check_normalized:
        total = float(_lse(start).squeeze())
        if abs(total) > _NORM_TOL:
            raise InputError(f"log_start is not normalised: logsumexp(log_start) = {total:.3g}, expected 0")
        rows = _lse(trans if log_end is None else np.column_stack([trans, end]), axis=1)
        bad = np.flatnonzero(np.abs(rows) > _NORM_TOL)
        if bad.size:
            what = "log_trans" if log_end is None else "log_trans with log_end"
            raise InputError(
                f"{what} rows are not normalised: row {bad[0]} has logsumexp {rows[bad[0]]:.3g}, expected 0 "
                f"({bad.size} bad rows)"
            )
    return start, trans, emit, end


def lengths_to_offsets(lengths, n_rows: int) -> np.ndarray:
    """Checked sequence offsets ``(n + 1,)`` of ``lengths`` that must cover ``n_rows`` rows.

    Examples
    --------
    >>> lengths_to_offsets([2, 0, 3], 5).tolist()
    [0, 2, 2, 5]
    """
    arr = np.asarray(lengths)
    if arr.ndim != 1 or not (np.issubdtype(arr.dtype, np.integer) and arr.dtype != bool):
        raise InputError(f"lengths must be a 1-D array of ints, got dtype {arr.dtype} and shape {arr.shape}")
    if (arr < 0).any():
        raise InputError(f"lengths must be >= 0, got {int(arr.min())} at index {int(np.argmin(arr))}")
    if int(arr.sum()) != n_rows:
        raise InputError(
            f"sum(lengths) = {int(arr.sum())} must equal the number of rows of log_emit = {n_rows}"
        )
    off = np.zeros(arr.shape[0] + 1, dtype=np.int64)
    np.cumsum(arr, out=off[1:])
    return off


def _n_chunks(n_seq: int) -> int:
    return max(1, min(n_seq, 4 * numba.get_num_threads()))


def forward(log_start, log_trans, log_emit, log_end=None, *, check_normalized: bool = False) -> tuple[float, np.ndarray]:
    """Forward algorithm in log space (exact; no underflow at any length).

    Parameters
    ----------
    log_start : array (K,)
        Log score of starting in each state.
    log_trans : array (K, K)
        Log score of moving from state ``i`` (row) to state ``j`` (column).
    log_emit : array (T, K)
        Log score of observation ``t`` in state ``k``.
    log_end : array (K,), optional
        Log score of ending in each state; absent means 0.
    check_normalized : bool
        Raise :class:`~seqtag.exceptions.InputError` unless start and transition
        (with end) scores are log-probabilities.

    Returns
    -------
    log_likelihood : float
        Log of the sum over paths of exp(path score) (log Z); 0.0 when T = 0.
    log_alpha : ndarray (T, K)
        ``log_alpha[t, k]``: log sum of the scores of prefixes ending in ``k`` at ``t``.

    Examples
    --------
    >>> import numpy as np
    >>> ll, la = forward(np.log([0.5, 0.5]), np.log([[0.9, 0.1], [0.1, 0.9]]), np.log([[0.5, 0.5]]))
    >>> round(float(np.exp(ll)), 6)
    0.5
    """
    start, trans, emit, end = _model(log_start, log_trans, log_emit, log_end, check_normalized)
    ll, la = batch_forward(start, trans, emit, [emit.shape[0]], end)
    return float(ll[0]), la


def backward(log_start, log_trans, log_emit, log_end=None, *, check_normalized: bool = False) -> np.ndarray:
    """Backward algorithm in log space.

    Parameters are those of :func:`forward`.

    Returns
    -------
    log_beta : ndarray (T, K)
        ``log_beta[t, k]``: log sum of the scores of suffixes after ``t`` given state
        ``k`` at ``t`` (including ``log_end``); ``log_beta[T-1] == log_end``.

    Examples
    --------
    >>> import numpy as np
    >>> backward(np.zeros(2), np.log([[0.9, 0.1], [0.1, 0.9]]), np.zeros((2, 2)))[0].round(12)
    array([0., 0.])
    """
    start, trans, emit, end = _model(log_start, log_trans, log_emit, log_end, check_normalized)
    lb = np.empty_like(emit)
    _k._batch_backward_log(trans, emit, end, np.array([0, emit.shape[0]], dtype=np.int64), lb)
    return lb


def posteriors(log_start, log_trans, log_emit, log_end=None, *, check_normalized: bool = False) -> np.ndarray:
    """State marginals ``P(state_t = k | observations)``.

    Parameters are those of :func:`forward`.

    Returns
    -------
    ndarray (T, K)
        Rows sum to 1 (all zero when no path has a finite score).

    Examples
    --------
    >>> import numpy as np
    >>> posteriors(np.zeros(2), np.zeros((2, 2)), np.log([[0.25, 0.75]]))
    array([[0.25, 0.75]])
    """
    start, trans, emit, end = _model(log_start, log_trans, log_emit, log_end, check_normalized)
    return batch_posteriors(start, trans, emit, [emit.shape[0]], end)[1]


def viterbi(log_start, log_trans, log_emit, log_end=None, *, check_normalized: bool = False) -> tuple[np.ndarray, float]:
    """Best path (Viterbi).  Ties go to the lowest state index.

    Parameters are those of :func:`forward`.

    Returns
    -------
    path : ndarray of int64 (T,)
        The best state sequence; all ``-1`` when no path has a finite score.
    log_prob : float
        Its score (``-inf`` if none is finite, 0.0 when T = 0).

    Examples
    --------
    >>> import numpy as np
    >>> viterbi(np.zeros(2), np.log([[0.9, 0.1], [0.1, 0.9]]), np.log([[0.6, 0.4], [0.3, 0.7]]))[0]
    array([1, 1])
    """
    start, trans, emit, end = _model(log_start, log_trans, log_emit, log_end, check_normalized)
    paths, scores = batch_viterbi(start, trans, emit, [emit.shape[0]], end)
    return paths, float(scores[0])


def nbest_viterbi(
    log_start, log_trans, log_emit, k: int, log_end=None, *, check_normalized: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """The exact ``k`` best paths (list Viterbi), best first.

    Parameters
    ----------
    k : int
        How many paths (>= 1).  The other parameters are those of :func:`forward`.

    Returns
    -------
    paths : ndarray of int64 (k, T)
        Distinct paths sorted by descending score.  When fewer than ``k`` paths have a
        finite score, the missing rows are all ``-1``; the shape is always (k, T).
    log_probs : ndarray (k,)
        Their scores, ``-inf`` for padding rows.  For T = 0 the single (empty) path has
        score 0.0 and the rest ``-inf``.

    Examples
    --------
    >>> import numpy as np
    >>> paths, scores = nbest_viterbi(np.zeros(2), np.zeros((2, 2)), np.log([[0.7, 0.3]]), 3)
    >>> paths.tolist(), np.exp(scores).round(2).tolist()
    ([[0], [1], [-1]], [0.7, 0.3, 0.0])
    """
    start, trans, emit, end = _model(log_start, log_trans, log_emit, log_end, check_normalized)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise InputError(f"k must be an int >= 1, got {k!r}")
    k = int(k)
    paths = np.empty((k, emit.shape[0]), dtype=np.int64)
    scores = np.empty(k)
    _k._nbest(start, trans, emit, end, k, paths, scores)
    return paths, scores


def sample(
    log_start,
    log_trans,
    log_emit,
    n_samples: int = 1,
    log_end=None,
    random_state=None,
    *,
    check_normalized: bool = False,
) -> np.ndarray:
    """Draw paths from ``P(path | observations)`` (forward filtering, backward sampling).

    Parameters
    ----------
    n_samples : int
        Number of paths (>= 0).
    random_state : None, int or numpy.random.Generator
        Seed; a Generator passed in is used (and so advanced) by this call.
        The other parameters are those of :func:`forward`.

    Returns
    -------
    ndarray of int64 (n_samples, T)

    Raises
    ------
    InputError
        If no path has a finite score (there is nothing to sample from).

    Examples
    --------
    >>> import numpy as np
    >>> log_emit = np.array([[0.0, -np.inf], [-np.inf, 0.0]])  # state 0 then state 1
    >>> sample(np.zeros(2), np.zeros((2, 2)), log_emit, 2, random_state=0)
    array([[0, 1],
           [0, 1]])
    """
    start, trans, emit, end = _model(log_start, log_trans, log_emit, log_end, check_normalized)
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 0:
        raise InputError(f"n_samples must be an int >= 0, got {n_samples!r}")
    rng = np.random.default_rng(random_state)
    T = emit.shape[0]
    paths = np.zeros((int(n_samples), T), dtype=np.int64)
    if T == 0 or n_samples == 0:
        return paths
    u = rng.random((int(n_samples), T))
    ll = _k._sample_paths(start, trans, emit, end, u, paths)
    if ll == -np.inf:
        raise InputError("no path has a finite score, so there is no posterior to sample from")
    return paths


def batch_forward(log_start, log_trans, log_emit, lengths, log_end=None, *, check_normalized: bool = False):
    """Exact log-space forward pass over many concatenated sequences, in parallel.

    Parameters
    ----------
    log_emit : array (N, K)
        Emission scores of all sequences, one after the other.
    lengths : array of int (n,)
        Length of each sequence; ``sum(lengths) == N``; zeros are allowed.
        The other parameters are those of :func:`forward`.

    Returns
    -------
    log_likelihoods : ndarray (n,)
    log_alpha : ndarray (N, K)

    Examples
    --------
    >>> import numpy as np
    >>> ll, _ = batch_forward(np.zeros(2), np.zeros((2, 2)), np.zeros((3, 2)), [1, 0, 2])
    >>> (ll / np.log(2)).round(6).tolist()
    [1.0, 0.0, 2.0]
    """
    start, trans, emit, end = _model(log_start, log_trans, log_emit, log_end, check_normalized)
    off = lengths_to_offsets(lengths, emit.shape[0])
    ll = np.empty(off.shape[0] - 1)
    la = np.empty_like(emit)
    _k._batch_forward_log(start, np.ascontiguousarray(trans.T), emit, end, off, la, ll)
    return ll, la


def _scaled(start, trans, emit, end, off, want_post: bool, want_counts: bool):
    """Run the scaled kernel; returns ``(ll, post, start_counts, end_counts, trans_counts)``."""
    n = off.shape[0] - 1
    N, K = emit.shape
    shifts = np.array([np.max(trans), np.max(start), np.max(end)])
    shifts[~np.isfinite(shifts)] = 0.0
    scaled = np.zeros((3, K, K))
    scaled[0] = np.exp(trans - shifts[0])
    scaled[1, 0] = np.exp(start - shifts[1])
    scaled[2, 0] = np.exp(end - shifts[2])
    out = (np.empty(n), np.empty((N if want_post else 0, K)), np.empty((N, K)), np.empty((N, K)), np.empty(N))
    chunks = _n_chunks(n)
    acc = np.zeros((chunks, K + 2, K))
    xs = np.zeros((chunks, K, K))
    _k._batch_scaled(start, trans, emit, end, scaled, shifts, off, want_post, want_counts, out, acc, xs)
    acc = acc.sum(axis=0)
    return out[0], out[1], acc[K], acc[K + 1], acc[:K] + scaled[0] * xs.sum(axis=0)


def batch_log_likelihood(log_start, log_trans, log_emit, lengths, log_end=None, *, check_normalized: bool = False):
    """Log-likelihood (log Z) of each sequence: the fast scaled forward pass only.

    Parameters are those of :func:`batch_forward`.

    Returns
    -------
    ndarray (n,)

    Examples
    --------
    >>> import numpy as np
    >>> (batch_log_likelihood(np.zeros(2), np.zeros((2, 2)), np.zeros((3, 2)), [2, 1]) / np.log(2)).round(6)
    array([2., 1.])
    """
    start, trans, emit, end = _model(log_start, log_trans, log_emit, log_end, check_normalized)
    off = lengths_to_offsets(lengths, emit.shape[0])
    return _scaled(start, trans, emit, end, off, False, False)[0]


def batch_posteriors(log_start, log_trans, log_emit, lengths, log_end=None, *, check_normalized: bool = False):
    """Log-likelihoods and state marginals of many concatenated sequences, in parallel.

    Parameters are those of :func:`batch_forward`.

    Returns
    -------
    log_likelihoods : ndarray (n,)
    posteriors : ndarray (N, K)

    Examples
    --------
    >>> import numpy as np
    >>> ll, post = batch_posteriors(np.zeros(2), np.zeros((2, 2)), np.log([[0.2, 0.8], [0.5, 0.5]]), [1, 1])
    >>> post.round(2).tolist()
    [[0.2, 0.8], [0.5, 0.5]]
    """
    start, trans, emit, end = _model(log_start, log_trans, log_emit, log_end, check_normalized)
    off = lengths_to_offsets(lengths, emit.shape[0])
    ll, post = _scaled(start, trans, emit, end, off, True, False)[:2]
    return ll, post


def batch_viterbi(log_start, log_trans, log_emit, lengths, log_end=None, *, check_normalized: bool = False):
    """Viterbi paths of many concatenated sequences, in parallel.

    Parameters are those of :func:`batch_forward`.

    Returns
    -------
    paths : ndarray of int64 (N,)
        Concatenated best paths (a sequence without a finite path gets ``-1``).
    log_probs : ndarray (n,)

    Examples
    --------
    >>> import numpy as np
    >>> batch_viterbi(np.zeros(2), np.zeros((2, 2)), np.log([[0.2, 0.8], [0.6, 0.4]]), [1, 1])[0]
    array([1, 0])
    """
    start, trans, emit, end = _model(log_start, log_trans, log_emit, log_end, check_normalized)
    off = lengths_to_offsets(lengths, emit.shape[0])
    paths = np.empty(emit.shape[0], dtype=np.int64)
    scores = np.empty(off.shape[0] - 1)
    _k._batch_viterbi(start, trans, emit, end, off, paths, scores)
    return paths, scores


def batch_expected_counts(log_start, log_trans, log_emit, lengths, log_end=None, *, check_normalized: bool = False):
    """E-step sufficient statistics of many concatenated sequences, in parallel.

    Parameters are those of :func:`batch_forward`.

    Returns
    -------
    log_likelihoods : ndarray (n,)
    start_counts : ndarray (K,)
        Expected number of sequences starting in each state.
    trans_counts : ndarray (K, K)
        Expected number of ``i -> j`` transitions.
    end_counts : ndarray (K,)
        Expected number of sequences ending in each state.
    posteriors : ndarray (N, K)

    Impossible sequences (log-likelihood ``-inf``) add nothing to the counts.

    Examples
    --------
    >>> import numpy as np
    >>> out = batch_expected_counts(np.zeros(2), np.zeros((2, 2)), np.zeros((3, 2)), [3])
    >>> out[2].tolist()
    [[0.5, 0.5], [0.5, 0.5]]
    """
    start, trans, emit, end = _model(log_start, log_trans, log_emit, log_end, check_normalized)
    return _expected_counts(start, trans, emit, end, lengths_to_offsets(lengths, emit.shape[0]))


def _expected_counts(start, trans, emit, end, off):
    """:func:`batch_expected_counts` on already validated float64 arrays and offsets."""
    ll, post, sc, ec, xi = _scaled(start, trans, emit, end, off, True, True)
    return ll, sc, xi, ec, post


def viterbi_padded(em: np.ndarray, trans: np.ndarray, start: np.ndarray, end: np.ndarray,
                   lengths: np.ndarray, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best paths of every sequence of a padded batch (serial numba; for torch's CPU path).

    Parameters
    ----------
    em : ndarray (B, T, K) float32 or float64
        Emission scores; rows past ``lengths[b]`` are ignored.
    trans : ndarray (K, K)
        [from, to] transition scores (same dtype as ``em``).
    start, end : ndarray (K,)
    lengths : ndarray (B,) int64
    k : int
        Paths per sequence (exact list Viterbi for ``k > 1``).

    Returns
    -------
    paths : ndarray (B, k, T) int64
        ``-1`` past each length and for missing paths.
    scores : ndarray (B, k)
        ``-inf`` for missing paths; an empty sequence has score 0 and no path.
    """
    from ._padded import kbest_batch, viterbi_batch

    B, T, K = em.shape
    if trans.shape != (K, K) or start.shape != (K,) or end.shape != (K,) or lengths.shape != (B,):
        raise InputError(f"viterbi_padded: trans (K, K), start/end (K,) and lengths (B,) must match em {em.shape}")
    paths = np.full((B, k, T), -1, dtype=np.int64)
    scores = np.full((B, k), -np.inf, dtype=em.dtype)
    if k == 1:
        viterbi_batch(em, trans, start, end, lengths, paths[:, 0], scores[:, 0])
    else:
        kbest_batch(em, trans, start, end, lengths, paths, scores)
    return paths, scores
