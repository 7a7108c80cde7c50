"""Numba kernels of left-to-right chains with bounded jumps (forced-alignment HMMs): arrays in, arrays out.

A left-to-right chain with bounded jumps ("band" form): an utterance HMM of
``K`` states has ``band[k, d] = log P(k -> k + d)`` for ``d = 0 .. W-1`` (entries
past the last state are ignored), ``start`` (K,) and ``end`` (K,) log scores. Its
emissions are gathered from a frame x model-state matrix ``emit_full`` (N, S)
through ``smap`` (K,): state ``k`` of the utterance emits like model state
``smap[k]``. Forward-backward and Viterbi then cost O(T K W) instead of the
O(T K^2) of a dense chain kernel. Forward-backward runs in probability space with
per-frame normalisers (no exp/log per cell) and falls back to exact log space when
a normaliser underflows. Batches are concatenated: utterance ``u`` owns
frames ``frame_off[u]:frame_off[u+1]`` and states ``state_off[u]:state_off[u+1]``.

Log space throughout; ``-inf`` is legal everywhere and every log-sum-exp returns
``-inf`` (never NaN) when all its terms are ``-inf``. The public wrappers are in
:mod:`seqtag.chains.banded`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from .._numba import jit, pjit
from ._dense import _lse_row as logsumexp

NEG_INF = -np.inf
#: Below this per-frame normaliser (or above _HUGE in the backward pass) the scaled pass
#: hands the utterance to the exact log-space passes.
_TINY = 1e-100
_HUGE = 1e100


# ------------------------------------------------------------------------------------------
# left-to-right band chains
# ------------------------------------------------------------------------------------------


@jit
def _lr_alpha(emit_full, f0, T, smap, band, start, end, s0, K, alpha):
    """Forward pass of one utterance into ``alpha`` (T, K); returns the log-likelihood."""
    W = band.shape[1]
    cand = np.empty(max(W, K))
    for k in range(K):
        alpha[0, k] = start[s0 + k] + emit_full[f0, smap[s0 + k]]
    for t in range(1, T):
        for k in range(K):
            n = min(W - 1, k) + 1
            for d in range(n):
                cand[d] = alpha[t - 1, k - d] + band[s0 + k - d, d]
            v = logsumexp(cand[:n])
            alpha[t, k] = v + emit_full[f0 + t, smap[s0 + k]] if v != NEG_INF else NEG_INF
    for k in range(K):
        cand[k] = alpha[T - 1, k] + end[s0 + k]
    return logsumexp(cand[:K])


@jit
def _lr_beta(emit_full, f0, T, smap, band, end, s0, K, beta):
    """Backward pass of one utterance into ``beta`` (T, K) (``beta[T-1] = end``)."""
    W = band.shape[1]
    cand = np.empty(W)
    for k in range(K):
        beta[T - 1, k] = end[s0 + k]
    for t in range(T - 2, -1, -1):
        for k in range(K):
            n = min(W - 1, K - 1 - k) + 1
            for d in range(n):
                cand[d] = band[s0 + k, d] + emit_full[f0 + t + 1, smap[s0 + k + d]] + beta[t + 1, k + d]
            beta[t, k] = logsumexp(cand[:n])


@jit
def _utterance(frame_off, state_off, u):
    """First frame, frames, first state and states of utterance ``u`` of a batch."""
    return frame_off[u], frame_off[u + 1] - frame_off[u], state_off[u], state_off[u + 1] - state_off[u]


@jit
def _max_finite(a, lo, hi):
    m = NEG_INF
    for i in range(lo, hi):
        if a[i] > m:
            m = a[i]
    return m if m != NEG_INF else 0.0


@jit
def _lr_scaled(emit_full, f0, T, smap, band, start, end, s0, K, A, E, ah, bh, C):
    """Scaled (probability-space) forward-backward of one utterance; returns ``(ok, ll)``.

    ``E[t, k] = exp(emit - max_k emit[t])``, ``A = exp(band - max band)``; ``ah`` / ``bh``
    are Rabiner-scaled alpha / beta with per-frame normalisers ``C`` (so that
    ``ah * bh`` is the posterior). ``ok`` is False when a normaliser falls below
    ``_TINY`` or a backward value overflows: precision could be lost, and the caller
    then uses the exact log-space passes instead.
    """
    W = band.shape[1]
    shift_b = NEG_INF
    for k in range(K):
        for d in range(W):
            if k + d < K and band[s0 + k, d] > shift_b:
                shift_b = band[s0 + k, d]
    if shift_b == NEG_INF:
        shift_b = 0.0
    for k in range(K):
        for d in range(W):
            A[k, d] = math.exp(band[s0 + k, d] - shift_b) if k + d < K else 0.0
    shift_s = _max_finite(start, s0, s0 + K)
    shift_e = _max_finite(end, s0, s0 + K)
    ll = 0.0
    for t in range(T):
        m = NEG_INF
        for k in range(K):
            v = emit_full[f0 + t, smap[s0 + k]]
            if v > m:
                m = v
        if m == NEG_INF:
            return False, 0.0
        ll += m
        for k in range(K):
            E[t, k] = math.exp(emit_full[f0 + t, smap[s0 + k]] - m)
    for t in range(T):
        c = 0.0
        for k in range(K):
            if t == 0:
                v = math.exp(start[s0 + k] - shift_s)
            else:
                v = 0.0
                for d in range(min(W - 1, k) + 1):
                    v += ah[t - 1, k - d] * A[k - d, d]
            v *= E[t, k]
            ah[t, k] = v
            c += v
        if not c >= _TINY:
            return False, 0.0
        C[t] = c
        for k in range(K):
            ah[t, k] /= c
        ll += math.log(c)
    z = 0.0
    for k in range(K):
        bh[T - 1, k] = math.exp(end[s0 + k] - shift_e)
        z += ah[T - 1, k] * bh[T - 1, k]
    if not z >= _TINY:
        return False, 0.0
    for k in range(K):
        bh[T - 1, k] /= z
    for t in range(T - 2, -1, -1):
        for k in range(K):
            v = 0.0
            for d in range(min(W - 1, K - 1 - k) + 1):
                v += A[k, d] * E[t + 1, k + d] * bh[t + 1, k + d]
            v /= C[t + 1]
            if not v < _HUGE:
                return False, 0.0
            bh[t, k] = v
    return True, ll + math.log(z) + shift_s + shift_e + (T - 1) * shift_b


@pjit
def _batch_lr_posteriors(emit_full, frame_off, state_off, smap, band, start, end, occ, xi, gamma, gamma_off, ll):
    """Forward-backward of every utterance (prange over utterances).

    Outputs (zeroed by the caller): ``occ`` (N, S) state occupancies summed over the
    utterance states that share a model state; ``xi`` (sum K, W) expected band
    transition counts; ``gamma`` (flat, may be empty) the per-utterance (T, K)
    posteriors at ``gamma_off[u]`` when ``gamma.size > 0``; ``ll`` (n,) log-likelihoods.
    An impossible utterance (``ll = -inf``) or an empty one adds nothing. The scaled
    pass (:func:`_lr_scaled`) is used when it is safe, the log-space one otherwise.
    """
    W = band.shape[1]
    want_gamma = gamma.shape[0] > 0
    for u in prange(frame_off.shape[0] - 1):
        f0, T, s0, K = _utterance(frame_off, state_off, u)
        if T == 0:
            ll[u] = 0.0
            continue
        g0 = gamma_off[u]
        A = np.empty((K, W))
        E = np.empty((T, K))
        ah = np.empty((T, K))
        bh = np.empty((T, K))
        C = np.empty(T)
        ok, lu = _lr_scaled(emit_full, f0, T, smap, band, start, end, s0, K, A, E, ah, bh, C)
        if ok:
            ll[u] = lu
            for t in range(T):
                for k in range(K):
                    p = ah[t, k] * bh[t, k]
                    occ[f0 + t, smap[s0 + k]] += p
                    if want_gamma:
                        gamma[g0 + t * K + k] = p
                    if t + 1 < T and ah[t, k] > 0.0:
                        a = ah[t, k] / C[t + 1]
                        for d in range(min(W - 1, K - 1 - k) + 1):
                            xi[s0 + k, d] += a * A[k, d] * E[t + 1, k + d] * bh[t + 1, k + d]
            continue
        alpha = ah  # exact log-space passes
        beta = bh
        lu = _lr_alpha(emit_full, f0, T, smap, band, start, end, s0, K, alpha)
        ll[u] = lu
        if lu == NEG_INF:
            continue
        _lr_beta(emit_full, f0, T, smap, band, end, s0, K, beta)
        for t in range(T):
            for k in range(K):
                v = alpha[t, k] + beta[t, k] - lu
                p = math.exp(v) if v != NEG_INF else 0.0
                occ[f0 + t, smap[s0 + k]] += p
                if want_gamma:
                    gamma[g0 + t * K + k] = p
                if t + 1 < T:
                    dmax = min(W - 1, K - 1 - k)
                    for d in range(dmax + 1):
                        w = (alpha[t, k] + band[s0 + k, d] + emit_full[f0 + t + 1, smap[s0 + k + d]]
                             + beta[t + 1, k + d] - lu)
                        if w != NEG_INF:
                            xi[s0 + k, d] += math.exp(w)


@pjit
def _batch_lr_viterbi(emit_full, frame_off, state_off, smap, band, start, end, path, score):
    """Best path of every utterance: ``path`` (N,) holds utterance-local state indices.

    Ties go to the lowest predecessor state (the longest jump); an utterance without a
    finite path gets ``-1`` everywhere and score ``-inf``; an empty one scores 0.
    """
    W = band.shape[1]
    for u in prange(frame_off.shape[0] - 1):
        f0, T, s0, K = _utterance(frame_off, state_off, u)
        if T == 0:
            score[u] = 0.0
            continue
        delta = np.empty((T, K))
        back = np.zeros((T, K), dtype=np.int8)
        for k in range(K):
            delta[0, k] = start[s0 + k] + emit_full[f0, smap[s0 + k]]
        for t in range(1, T):
            for k in range(K):
                best = NEG_INF
                arg = 0
                for d in range(min(W - 1, k), -1, -1):
                    v = delta[t - 1, k - d] + band[s0 + k - d, d]
                    if v > best:
                        best = v
                        arg = d
                delta[t, k] = best + emit_full[f0 + t, smap[s0 + k]] if best != NEG_INF else NEG_INF
                back[t, k] = arg
        best = NEG_INF
        arg = -1
        for k in range(K):
            v = delta[T - 1, k] + end[s0 + k]
            if v > best:
                best = v
                arg = k
        score[u] = best
        if arg < 0:
            for t in range(T):
                path[f0 + t] = -1
            continue
        k = arg
        for t in range(T - 1, -1, -1):
            path[f0 + t] = k
            k -= back[t, k]


# ------------------------------------------------------------------------------------------
# one long chain, each frame restricted to a window of states, emissions given chunk by chunk
# ------------------------------------------------------------------------------------------


@jit
def _window_viterbi_chunk(emit, col, band_t, start, t0, lo, hi, alpha, nxt, arg, bp, bp_off):
    """Advance the Viterbi recursion over frames ``t0 .. t0 + len(emit) - 1``.

    ``emit`` (Tc, C) holds the chunk's log emission scores of C emission ids, ``col`` (K,)
    the column of every chain state (read only inside the windows); ``band_t`` (W, K) is the
    band transposed (``band_t[d, k] = log P(k -> k + d)``). Frame ``t`` may only be in
    states ``[lo[t], hi[t])`` (both non-decreasing). ``alpha`` (K,) holds the scores after
    frame ``t0 - 1`` and is ``-inf`` outside that frame's window; on return it holds the
    scores after the chunk (``nxt`` and ``arg`` (K,) are work space). The jump ``d < 16`` to
    the best predecessor ``k - d`` of state ``k`` at frame ``t`` is packed into ``bp``
    (uint8, two per byte) at nibble ``bp_off[t] + k - lo[t]``. Ties go to the longest jump
    (the lowest predecessor), as in :func:`_batch_lr_viterbi`. The jumps are the outer loop
    so that the inner one, over states, is vectorised.
    """
    W = band_t.shape[0]
    for i in range(emit.shape[0]):
        t = t0 + i
        lt = lo[t]
        ht = hi[t]
        o = bp_off[t]
        if t == 0:
            for k in range(lt, ht):
                s = start[k]
                nxt[k] = s + emit[i, col[k]] if s != NEG_INF else NEG_INF
                _put_nibble(bp, o + k - lt, 0)
        else:
            pl = lo[t - 1]
            for k in range(lt, ht):
                nxt[k] = NEG_INF
                arg[k] = 0
            for d in range(W - 1, -1, -1):
                row = band_t[d]
                for k in range(max(lt, pl + d), ht):
                    v = alpha[k - d] + row[k - d]
                    if v > nxt[k]:
                        nxt[k] = v
                        arg[k] = d
            for k in range(lt, ht):
                if nxt[k] != NEG_INF:
                    nxt[k] += emit[i, col[k]]
                _put_nibble(bp, o + k - lt, arg[k])
            for k in range(pl, hi[t - 1]):
                alpha[k] = NEG_INF
        for k in range(lt, ht):
            alpha[k] = nxt[k]


@jit
def _put_nibble(bp, n, value):
    byte = n >> 1
    if n & 1:
        bp[byte] = (bp[byte] & 0x0F) | (value << 4)
    else:
        bp[byte] = (bp[byte] & 0xF0) | value


@jit
def _window_backtrace(bp, bp_off, lo, k_end, path):
    """Follow the jumps of :func:`_window_viterbi_chunk` back from state ``k_end`` at the last frame."""
    k = k_end
    for t in range(path.shape[0] - 1, -1, -1):
        path[t] = k
        n = bp_off[t] + k - lo[t]
        k -= (bp[n >> 1] >> (4 * (n & 1))) & 0x0F
