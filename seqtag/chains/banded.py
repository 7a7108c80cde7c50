"""Left-to-right chains with bounded jumps: O(T K W) forward-backward and Viterbi.

An utterance HMM of a forced aligner is a chain: every state either stays, moves to
the next state, or jumps a few states ahead (over an optional silence). Instead of a
dense ``(K, K)`` transition matrix (O(T K^2) with the generic kernels of
:mod:`seqtag.chains.dense`) the chain is given in **band form**
``band[k, d] = log P(k -> k + d)`` for ``d = 0 .. W-1``; entries that would leave
the chain (``k + d >= K``) are ignored. :func:`band_to_dense` converts to the dense
form, and the tests check these functions against the generic kernels and brute force.

The batch functions align many utterances at once (parallel over utterances): the
chains of all utterances are concatenated, and each chain state emits like a model
state (``smap``), so the emission matrix ``(frames, model states)`` is shared.
"""

from __future__ import annotations

import numpy as np

from ..exceptions import InputError
from . import _banded as _g
from .dense import check_scores as _scores

__all__ = ["band_to_dense", "lr_posteriors", "lr_viterbi", "batch_band_viterbi", "batch_band_posteriors",
           "windowed_band_viterbi", "diagonal_windows"]


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
    ll, occ, xi, _, _ = batch_band_posteriors(emit, *_one_chain(emit.shape), b, start, end)
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
    path, score = batch_band_viterbi(emit, *_one_chain(emit.shape), b, start, end)
    return path, float(score[0])


def batch_band_viterbi(emit, frame_off, state_off, smap, band, log_start, log_end) -> tuple[np.ndarray, np.ndarray]:
    """Best paths of many band chains at once (numba, parallel over utterances).

    Parameters
    ----------
    emit : ndarray (N, S) float64
        Log emission scores of all frames (utterances concatenated) under every model state.
    frame_off : ndarray (n + 1,) int64
        Utterance ``u`` owns frames ``frame_off[u]:frame_off[u + 1]``.
    state_off : ndarray (n + 1,) int64
        ... and chain states ``state_off[u]:state_off[u + 1]`` of ``band`` / ``smap``.
    smap : ndarray (sum K,) int64
        Model state (column of ``emit``) of every chain state.
    band : ndarray (sum K, W) float64
        ``band[k, d]``: log score of ``k -> k + d`` within its utterance's chain.
    log_start, log_end : ndarray (sum K,) float64

    Returns
    -------
    path : ndarray (N,) int64
        Chain state (local to its utterance) of every frame; ``-1`` where an utterance has
        no finite path.
    score : ndarray (n,)
        Log score of each best path (``-inf`` when none).
    """
    args = _batch_args(emit, frame_off, state_off, smap, band, log_start, log_end)
    path = np.empty(args[0].shape[0], dtype=np.int64)
    score = np.empty(args[1].shape[0] - 1)
    _g._batch_lr_viterbi(*args, path, score)
    return path, score


def batch_band_posteriors(emit, frame_off, state_off, smap, band, log_start, log_end, *, occupancy: bool = True,
                          state_posteriors: bool = False):
    """Forward-backward of many band chains at once (numba, parallel over utterances).

    Parameters are those of :func:`batch_band_viterbi`.

    Parameters
    ----------
    occupancy : bool
        Return the model-state occupancies and expected band transitions (Baum-Welch counts).
    state_posteriors : bool
        Return every utterance's ``(T_u, K_u)`` chain-state posteriors, flattened.

    Returns
    -------
    log_likelihood : ndarray (n,)
    occ : ndarray (N, S) or None
        Posterior of each model state at each frame.
    xi : ndarray (sum K, W) or None
        Expected number of ``k -> k + d`` transitions.
    gamma, gamma_off : ndarray, ndarray or None
        Utterance ``u``'s posteriors are ``gamma[gamma_off[u]:gamma_off[u + 1]].reshape(T_u, K_u)``.
    """
    emit, frame_off, state_off, smap, band, start, end = _batch_args(emit, frame_off, state_off, smap, band,
                                                                     log_start, log_end)
    n = frame_off.shape[0] - 1
    occ = np.zeros_like(emit)  # the kernel always accumulates them
    xi = np.zeros_like(band)
    gamma_off = np.zeros(n + 1, dtype=np.int64)
    if state_posteriors:
        np.cumsum(np.diff(frame_off) * np.diff(state_off), out=gamma_off[1:])
    gamma = np.zeros(int(gamma_off[-1]))
    ll = np.empty(n)
    _g._batch_lr_posteriors(emit, frame_off, state_off, smap, band, start, end, occ, xi, gamma, gamma_off, ll)
    return (ll, occ if occupancy else None, xi if occupancy else None,
            gamma if state_posteriors else None, gamma_off if state_posteriors else None)


def _one_chain(shape: tuple[int, int]):
    """``frame_off, state_off, smap`` of a batch holding one chain whose states emit by column."""
    T, K = shape
    return np.array([0, T], dtype=np.int64), np.array([0, K], dtype=np.int64), np.arange(K, dtype=np.int64)


def _batch_args(emit, frame_off, state_off, smap, band, log_start, log_end):
    emit = np.ascontiguousarray(emit, dtype=np.float64)
    band = np.ascontiguousarray(band, dtype=np.float64)
    frame_off = np.ascontiguousarray(frame_off, dtype=np.int64)
    state_off = np.ascontiguousarray(state_off, dtype=np.int64)
    smap = np.ascontiguousarray(smap, dtype=np.int64)
    start = np.ascontiguousarray(log_start, dtype=np.float64)
    end = np.ascontiguousarray(log_end, dtype=np.float64)
    K = band.shape[0]
    if (emit.ndim != 2 or band.ndim != 2 or frame_off.shape != state_off.shape or frame_off[-1] != emit.shape[0]
            or state_off[-1] != K or smap.shape != (K,) or start.shape != (K,) or end.shape != (K,)):
        raise InputError(f"batch band chain: inconsistent shapes (emit {emit.shape}, band {band.shape}, "
                         f"frame_off {frame_off.shape}, state_off {state_off.shape}, smap {smap.shape})")
    if K and (smap.min() < 0 or smap.max() >= emit.shape[1]):
        raise InputError(f"smap must index the {emit.shape[1]} columns of emit")
    return emit, frame_off, state_off, smap, band, start, end


def diagonal_windows(n_frames: int, n_states: int, half_width: int | None, progress=None) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame state windows ``[lo[t], hi[t])`` around a monotone path through the chain.

    Parameters
    ----------
    n_frames, n_states : int
    half_width : int or None
        States on each side of the centre; ``None``: every state at every frame (exact search).
    progress : array (n_frames,) or None
        A non-decreasing guess of how far through the chain each frame is, from 0 to 1
        (e.g. the fraction of the speech heard so far, so that long pauses do not move the
        centre); default: the straight diagonal.

    Returns
    -------
    lo, hi : ndarray (n_frames,) int64
        Non-decreasing; every window holds at least one state.

    Examples
    --------
    >>> lo, hi = diagonal_windows(4, 8, 2)
    >>> lo.tolist(), hi.tolist()
    ([0, 0, 3, 5], [3, 5, 8, 8])
    """
    T, K = int(n_frames), int(n_states)
    if half_width is None or 2 * half_width + 1 >= K:
        return np.zeros(T, dtype=np.int64), np.full(T, K, dtype=np.int64)
    frac = np.linspace(0.0, 1.0, T) if progress is None else np.clip(np.asarray(progress, dtype=np.float64), 0, 1)
    if frac.shape != (T,) or np.any(np.diff(frac) < 0):
        raise InputError(f"progress must be a non-decreasing array of {T} fractions")
    centre = np.rint(frac * (K - 1)).astype(np.int64)
    lo = np.clip(centre - half_width, 0, K - 1)
    hi = np.clip(centre + half_width + 1, 1, K)
    return np.maximum.accumulate(lo), np.maximum.accumulate(hi)


def windowed_band_viterbi(band, log_start, log_end, emission_ids, emissions, lo, hi,
                          chunk: int = 2000) -> tuple[np.ndarray, float]:
    """Best path of one long band chain, each frame restricted to a window of states.

    Exact within the windows: with ``lo = 0`` and ``hi = K`` at every frame this is the
    Viterbi path of :func:`lr_viterbi`. Emissions are asked for chunk by chunk, only for
    the states the chunk's windows can visit, so an hour of audio never needs its whole
    ``(frames, states)`` emission matrix; memory is half a byte per (frame, window state).

    Parameters
    ----------
    band : array (K, W)
        ``band[k, d]``: log score of ``k -> k + d``; ``W <= 16``.
    log_start, log_end : array (K,)
    emission_ids : array (K,) of int
        Which emission (e.g. an acoustic model's senone) each chain state uses.
    emissions : callable
        ``emissions(t0, t1, ids) -> (t1 - t0, len(ids))`` log scores of frames
        ``t0 .. t1 - 1`` for the (sorted, distinct) emission ids ``ids``.
    lo, hi : array (T,) of int
        Per-frame windows (see :func:`diagonal_windows`).
    chunk : int
        Frames per ``emissions`` call.

    Returns
    -------
    path : ndarray (T,) int64
        Chain state at every frame; all ``-1`` when no path fits in the windows.
    log_prob : float

    Examples
    --------
    >>> import numpy as np
    >>> band = np.log([[0.5, 0.5], [1.0, 1.0]])
    >>> em = np.log([[0.9, 0.1], [0.2, 0.8]])
    >>> lo, hi = diagonal_windows(2, 2, None)
    >>> path, _ = windowed_band_viterbi(band, [0.0, -np.inf], [0.0, 0.0], [0, 1],
    ...                                 lambda t0, t1, ids: em[t0:t1][:, ids], lo, hi)
    >>> path.tolist()
    [0, 1]
    """
    b = _scores(band, "band", 2)
    K, W = b.shape
    if W > 16:
        raise InputError(f"band width W must be <= 16 here (jumps are stored in 4 bits), got {W}")
    start = _scores(log_start, "log_start", 1)
    end = _scores(log_end, "log_end", 1)
    ids = np.ascontiguousarray(emission_ids, dtype=np.int64)
    lo = np.ascontiguousarray(lo, dtype=np.int64)
    hi = np.ascontiguousarray(hi, dtype=np.int64)
    T = lo.shape[0]
    if start.shape != (K,) or end.shape != (K,) or ids.shape != (K,) or hi.shape != (T,):
        raise InputError(f"log_start, log_end and emission_ids must have shape ({K},) and lo, hi the same length")
    if T == 0:
        return np.zeros(0, dtype=np.int64), 0.0
    if np.any(lo < 0) or np.any(hi > K) or np.any(hi <= lo) or np.any(np.diff(lo) < 0) or np.any(np.diff(hi) < 0):
        raise InputError("windows must be non-empty, inside [0, K) and non-decreasing")
    bp_off = np.zeros(T + 1, dtype=np.int64)
    np.cumsum(hi - lo, out=bp_off[1:])
    bp = np.zeros((int(bp_off[-1]) + 1) // 2, dtype=np.uint8)
    alpha = np.full(K, -np.inf)
    nxt = np.full(K, -np.inf)
    arg = np.zeros(K, dtype=np.int64)
    band_t = np.ascontiguousarray(b.T)
    col = np.zeros(K, dtype=np.int64)
    for t0 in range(0, T, chunk):
        t1 = min(T, t0 + chunk)
        k0, k1 = int(lo[t0]), int(hi[t1 - 1])
        need, inverse = np.unique(ids[k0:k1], return_inverse=True)
        col[k0:k1] = inverse
        em = np.ascontiguousarray(emissions(t0, t1, need), dtype=np.float64)
        if em.shape != (t1 - t0, need.size) or np.isnan(em).any():
            raise InputError(f"emissions({t0}, {t1}, ids) must return a ({t1 - t0}, {need.size}) array without NaN, "
                             f"got shape {em.shape}")
        _g._window_viterbi_chunk(em, col, band_t, start, t0, lo, hi, alpha, nxt, arg, bp, bp_off)
    k_lo, k_hi = int(lo[-1]), int(hi[-1])
    final = alpha[k_lo:k_hi] + end[k_lo:k_hi]
    best = int(np.argmax(final))
    score = float(final[best])
    path = np.full(T, -1, dtype=np.int64)
    if score > -np.inf:
        _g._window_backtrace(bp, bp_off, lo, k_lo + best, path)
    return path, score
