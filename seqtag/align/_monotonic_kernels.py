"""Numba kernel of monotonic hard alignment (arrays in, arrays out).

``L`` tokens are laid over ``T`` frames in order: every token takes a
contiguous run of at least one frame, token ``l + 1`` starts after token ``l``
ends, and a frame either belongs to one token or, where allowed, to a *gap*
(an unassigned frame). The trellis has ``S = 2L + 1`` states, like CTC's
extended states: even state ``2g`` is the gap at position ``g`` (before token 0,
between tokens ``g - 1`` and ``g``, after the last token), odd state ``2l + 1`` is
token ``l``. A state is entered from itself (stay), from the state before it
(advance) or, for a token, from the previous token (skip the gap). A path
starts in state 0 or 1 and ends in state ``S - 1`` or ``S - 2``.

Scores are added in float64 (max-sum in log space, so nothing underflows);
``-inf`` is a legal score. Ties prefer staying, then advancing from ``s - 1``,
then skipping from ``s - 2`` (a candidate must be strictly greater to win).
Backpointers take one byte per (frame, state) cell.
"""

from __future__ import annotations

import numpy as np

from .._numba import jit

__all__ = ["monotonic_viterbi"]


@jit
def monotonic_viterbi(scores, gap, allow, path_out):
    """Best monotonic alignment of the rows of ``scores`` to its columns.

    Parameters
    ----------
    scores : (L, T) float32 or float64
        Log score of token ``l`` at frame ``t``.
    gap : (T,) float64
        Log score of leaving frame ``t`` unassigned.
    allow : (L + 1,) bool
        Whether gap position ``g`` may hold frames.
    path_out : (T,) int64
        Filled with the token of every frame, ``-1`` for a gap frame.

    Returns
    -------
    float
        Score of the best path (``-inf`` when no path has a finite score; then
        ``path_out`` is meaningless).
    """
    L = scores.shape[0]
    T = scores.shape[1]
    S = 2 * L + 1
    neg = -np.inf
    bp = np.zeros((T, S), dtype=np.uint8)  # 0 stay, 1 from s - 1, 2 from s - 2
    prev = np.full(S, neg)
    cur = np.full(S, neg)
    if allow[0]:
        prev[0] = gap[0]
    prev[1] = scores[0, 0]
    for t in range(1, T):
        g_t = gap[t]
        for s in range(S):
            best = prev[s]
            code = 0
            if s >= 1 and prev[s - 1] > best:
                best = prev[s - 1]
                code = 1
            if s % 2 == 1:
                if s >= 3 and prev[s - 2] > best:
                    best = prev[s - 2]
                    code = 2
                cur[s] = best + scores[s // 2, t]
            elif allow[s // 2]:
                cur[s] = best + g_t
            else:
                cur[s] = neg
            bp[t, s] = code
        for s in range(S):
            prev[s] = cur[s]
    s = S - 1
    if prev[S - 2] >= prev[S - 1]:
        s = S - 2
    total = prev[s]
    for t in range(T - 1, -1, -1):
        path_out[t] = (s - 1) // 2 if s % 2 == 1 else -1
        if t > 0:
            s -= bp[t, s]
    return total
