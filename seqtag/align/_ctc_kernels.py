"""Numba kernels of CTC forced alignment (arrays in, arrays out).

The trellis has ``S = 2L + 1`` extended states (blank, y1, blank, y2, ...,
blank).  Row ``t`` of the dynamic programme is restricted to the states
``[lo[t], hi[t])``: for the exact aligner this is the reachable band
``[max(0, S - 2(T - t)), min(S, 2t + 2))``; for long audio it is additionally
clipped to a window around the diagonal.  ``lo`` and ``hi`` must be
non-decreasing and ``hi[t] - hi[t-1] <= 4`` (both hold by construction in
:mod:`seqtag.align.ctc`).

Backpointers are packed: each cell chooses among at most three predecessors
(stay ``s``, advance from ``s-1``, skip from ``s-2``), stored as a 2-bit code
(0, 1, 2 = how many states back), four cells per ``uint8``.  Row ``t`` stores
only its band (cell ``s`` at bit offset ``2 * (s - lo[t])`` of the row's
bytes), so memory is ``sum_t ceil((hi[t] - lo[t]) / 4)`` bytes.

Emissions are read in their dtype (float32 or float64) but the alpha
recursion always accumulates in float64, so the path is the exact optimum
also for float32 input (torchaudio accumulates float32 in float32 and can
miss it by rounding on long inputs).  ``-inf`` is a legal log probability.
Ties prefer staying, then advancing (strictly greater wins), which matches
torchaudio whenever its float32 sums do not tie.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from .._numba import jit, pjit

__all__ = ["viterbi_band", "viterbi_band_batch"]

_PAD = 8  # -inf guard cells after each alpha row (hi grows by <= 4 per frame)


@jit
def viterbi_band(log_probs, ext, skip, lo, hi, states_out):
    """Best CTC path restricted to the band ``[lo[t], hi[t])`` of every row.

    Parameters
    ----------
    log_probs : (T, C) float32 or float64
    ext : (S,) int64
        Column of ``log_probs`` emitted by each extended state.
    skip : (S,) float64
        0 where state ``s`` may be entered from ``s - 2`` (skip of a blank), else
        ``-inf`` (added to the skip candidate: branch-free).
    lo, hi : (T,) int64
        First and one-past-last state of each row's band.
    states_out : (T,) int64
        Filled with the extended state of the best path at every frame.

    Returns
    -------
    float
        Score of the best path (``-inf`` if no path fits in the band).
    """
    T = log_probs.shape[0]
    S = ext.shape[0]
    # row t of the packed backpointers starts at byte rowstart[t] and holds ceil((hi-lo)/4) bytes
    rowstart = np.empty(T + 1, dtype=np.int64)
    rowstart[0] = 0
    width = 0
    for t in range(T):
        n = hi[t] - lo[t]
        rowstart[t + 1] = rowstart[t] + (n + 3) // 4
        if n > width:
            width = n
    bp = np.empty(rowstart[T], dtype=np.uint8)  # every byte of a row is written below
    neg = -np.inf
    prev = np.full(width + _PAD, neg)  # float64 alphas; index s - lo[t-1] + 2
    cur = np.full(width + _PAD, neg)
    em = np.empty(width + 4)  # emissions of the current row's band
    codes = np.zeros(width + 4, dtype=np.uint8)  # 2-bit choices before packing
    for s in range(lo[0], hi[0]):
        prev[s - lo[0] + 2] = log_probs[0, ext[s]]
    for t in range(1, T):
        l = lo[t]
        n = hi[t] - l
        off = l - lo[t - 1] + 2  # prev index of state l + k is k + off
        row = log_probs[t]
        base = rowstart[t]
        for k in range(n):  # gather the emissions of the band first (faster loop below)
            em[k] = row[ext[l + k]]
        for k in range(n):  # branch-free: comparisons become selects
            j = k + off
            x0 = prev[j]
            x1 = prev[j - 1]
            x2 = prev[j - 2] + skip[l + k]
            c1 = x1 > x0
            b01 = max(x0, x1)
            c2 = x2 > b01
            cur[k + 2] = max(b01, x2) + em[k]
            codes[k] = (np.uint8(c1) & ~np.uint8(c2)) | (np.uint8(c2) << 1)
        for k in range(n, n + 4):
            codes[k] = 0
        for kb in range((n + 3) // 4):
            q = 4 * kb
            bp[base + kb] = codes[q] | (codes[q + 1] << 2) | (codes[q + 2] << 4) | (codes[q + 3] << 6)
        for k in range(n + 2, min(n + _PAD, width + _PAD)):
            cur[k] = neg
        tmp = prev
        prev = cur
        cur = tmp
    # final state: S-1 (trailing blank) or S-2 (last label), as torchaudio
    lt = lo[T - 1]
    s = S - 1
    if S > 1 and s - 1 >= lt:
        a_last = prev[s - lt + 2] if s < hi[T - 1] else neg
        if not a_last > prev[s - 1 - lt + 2]:
            s = S - 2
    score = prev[s - lt + 2] if (s >= lt and s < hi[T - 1]) else neg
    if score == neg:
        return score
    states_out[T - 1] = s
    for t in range(T - 1, 0, -1):
        k = s - lo[t]
        s -= (bp[rowstart[t] + (k >> 2)] >> (2 * (k & 3))) & 3
        states_out[t - 1] = s
    return score


@pjit
def viterbi_band_batch(log_probs, n_frames, ext, n_states, skip, lo, hi, states_out, scores_out):
    """:func:`viterbi_band` over a padded batch, in parallel over utterances.

    Parameters
    ----------
    log_probs : (B, T, C) float
    n_frames : (B,) int64
    ext : (B, S) int64
    n_states : (B,) int64
    skip : (B, S) float64
    lo, hi : (B, T) int64
    states_out : (B, T) int64
    scores_out : (B,) float64
    """
    for b in prange(log_probs.shape[0]):
        T = n_frames[b]
        S = n_states[b]
        scores_out[b] = viterbi_band(
            log_probs[b, :T], ext[b, :S], skip[b, :S], lo[b, :T], hi[b, :T], states_out[b, :T]
        )
