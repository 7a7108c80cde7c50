"""Monotonic hard alignment of a (tokens x frames) score matrix, e.g. cross-attention.

:func:`monotonic_alignment` finds the order-preserving assignment of frames to
tokens with the highest total log score: every token gets a contiguous run of
at least one frame, tokens keep their order and, unless gaps are allowed, every
frame belongs to a token (the "monotonic alignment search" of Glow-TTS). With
``gap=...`` a frame may also stay unassigned (a pause), at a given log score,
optionally only at chosen positions (e.g. between words).

Adding a constant to a whole column (frame) never changes the best path, since
every path picks exactly one entry per frame: normalising attention over
tokens per frame, or not, gives the same alignment. Only the gap score is
compared with absolute values.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._arrays import as_numpy
from ..exceptions import InputError
from ._monotonic_kernels import monotonic_viterbi

__all__ = ["monotonic_alignment", "path_bounds"]


def _as_scores(scores) -> np.ndarray:
    arr = as_numpy(scores)
    if arr.ndim != 2:
        raise InputError(f"scores must be a 2-D (tokens L, frames T) array of log scores, got shape {arr.shape}")
    if arr.dtype.kind not in "fiu":
        raise InputError(f"scores must hold real numbers (log scores), got dtype {arr.dtype}")
    if arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float64)
    if arr.size and not arr.max() < np.inf:  # nan or +inf somewhere
        idx = np.argwhere(np.isnan(arr) | (arr == np.inf))[0]
        raise InputError(
            f"scores contain NaN or +inf (first at {tuple(int(i) for i in idx)}); "
            f"pass log scores that are finite or -inf (e.g. np.log(attention))"
        )
    return np.ascontiguousarray(arr)


def _as_gap(gap, T: int) -> np.ndarray:
    g = np.asarray(gap, dtype=np.float64)
    if g.ndim == 0:
        g = np.full(T, float(g))
    if g.shape != (T,):
        raise InputError(f"gap must be a number or one log score per frame (shape ({T},)), got shape {g.shape}")
    if np.isnan(g).any() or (g == np.inf).any():
        raise InputError("gap scores must be finite or -inf (no NaN or +inf)")
    return g


def _as_positions(gap_positions, L: int) -> np.ndarray:
    if gap_positions is None:
        return np.ones(L + 1, dtype=np.bool_)
    pos = np.asarray(gap_positions)
    if pos.shape != (L + 1,) or pos.dtype != np.bool_:
        raise InputError(
            f"gap_positions must be L + 1 = {L + 1} booleans (before token 0, between tokens, after the last), "
            f"got {pos.dtype} array of shape {pos.shape}"
        )
    return pos.copy()


def monotonic_alignment(scores, gap: float | np.ndarray | None = None,
                        gap_positions: Sequence[bool] | None = None) -> np.ndarray:
    """Best monotonic hard alignment of ``L`` tokens to ``T`` frames (dynamic programming).

    Parameters
    ----------
    scores : (L, T) array or tensor
        Log score of token ``l`` at frame ``t`` (e.g. ``np.log(attention)``); ``-inf`` is
        allowed (that token can never take that frame), NaN and ``+inf`` are not.
    gap : float, (T,) array or None, default None
        ``None``: every frame belongs to a token. Otherwise the log score of leaving a frame
        unassigned (a scalar for all frames, or one per frame).
    gap_positions : (L + 1,) bool or None
        Where runs of gap frames may sit: index 0 before the first token, ``k`` between tokens
        ``k - 1`` and ``k``, ``L`` after the last. ``None``: anywhere. Ignored without ``gap``.

    Returns
    -------
    path : (T,) int64
        Token index of every frame, non-decreasing over the assigned frames; ``-1`` marks a
        gap frame. Every token occupies one contiguous run of at least one frame; see
        :func:`path_bounds` for per-token ``(start, end)`` frames.

    Raises
    ------
    InputError
        Bad shapes or values, fewer frames than tokens (``T < L``), or no path with a finite score.

    Examples
    --------
    >>> import numpy as np
    >>> att = np.array([[0.6, 0.3, 0.05, 0.05, 0.0],    # token 0
    ...                 [0.0, 0.1, 0.03, 0.25, 0.6]])   # token 1; frame 2 is a pause
    >>> with np.errstate(divide="ignore"):
    ...     monotonic_alignment(np.log(att)).tolist()
    [0, 0, 0, 1, 1]
    >>> with np.errstate(divide="ignore"):
    ...     monotonic_alignment(np.log(att), gap=np.log(0.1)).tolist()
    [0, 0, -1, 1, 1]
    """
    s = _as_scores(scores)
    L, T = s.shape
    if L == 0:
        raise InputError("scores have no rows: there must be at least one token to align")
    if T < L:
        raise InputError(
            f"cannot align {L} tokens to {T} frames: every token needs at least one frame (T >= L); "
            f"use more frames (longer audio or a smaller frame shift) or fewer tokens"
        )
    if gap is None:
        g, allow = np.full(T, -np.inf), np.zeros(L + 1, dtype=np.bool_)
    else:
        g, allow = _as_gap(gap, T), _as_positions(gap_positions, L)
    path = np.empty(T, dtype=np.int64)
    best = monotonic_viterbi(s, g, allow, path)
    if not best > -np.inf:
        raise InputError(
            "no monotonic alignment has a finite score: some token has -inf on every frame it could "
            "take; check the score matrix (rows = tokens, columns = frames) or allow gaps"
        )
    return path


def path_bounds(path, n_tokens: int) -> tuple[np.ndarray, np.ndarray]:
    """First frame and one-past-last frame of every token of a :func:`monotonic_alignment` path.

    Parameters
    ----------
    path : (T,) int array
        Token per frame, ``-1`` for gaps.
    n_tokens : int
        ``L``; every token ``0 .. L - 1`` must occur in ``path``.

    Returns
    -------
    starts, ends : (L,) int64
        Token ``l`` covers frames ``[starts[l], ends[l])``.

    Examples
    --------
    >>> starts, ends = path_bounds(np.array([-1, 0, 0, -1, 1]), 2)
    >>> starts.tolist(), ends.tolist()
    ([1, 4], [3, 5])
    """
    p = np.asarray(path)
    if p.ndim != 1 or (p.size and p.dtype.kind not in "iu"):
        raise InputError(f"path must be a 1-D integer array, got {p.dtype} array of shape {p.shape}")
    L = int(n_tokens)
    keep = (p >= 0) & (p < L)
    toks, frames = p[keep], np.flatnonzero(keep)
    starts = np.full(L, p.size, dtype=np.int64)
    ends = np.full(L, -1, dtype=np.int64)
    np.minimum.at(starts, toks, frames)
    np.maximum.at(ends, toks, frames + 1)
    missing = np.flatnonzero(ends < 0)
    if missing.size:
        raise InputError(f"token {int(missing[0])} does not occur in the path; expected every token 0..{L - 1}")
    return starts, ends
