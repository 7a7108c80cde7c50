"""Numba kernels of the GMM-HMM aligner: arrays in, arrays out.

Two families, both checked by the public wrappers in :mod:`seqtag.align.lr_chain`
and :mod:`seqtag.align.hmm_gmm`:

* **Diagonal-Gaussian mixtures.** A mixture of state ``s`` has log weights
  ``log_w[s]`` (M,) (``-inf`` for a dead component), means ``means[s]`` (M, D),
  precisions ``prec[s]`` (M, D) = 1 / variance and per-component constants
  ``log_const[s, m] = log_w[s, m] - 0.5 * (D log 2 pi + sum_d log var[s, m, d])``,
  so ``log p(x | s) = logsumexp_m (log_const[s, m] - 0.5 * sum_d prec (x - mu)^2)``.
  :func:`_gmm_loglik` evaluates it for every frame and a list of states (prange over
  frames); :func:`_gmm_stats` accumulates the zeroth, first and second order
  statistics weighted by state occupancies (prange over chunks of frames, one
  accumulator per chunk, summed by the caller).
* **Left-to-right chains with bounded jumps** ("band" form). An utterance HMM of
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
``-inf`` (never NaN) when all its terms are ``-inf``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from .._numba import jit, pjit

NEG_INF = -np.inf
#: Below this per-frame normaliser (or above _HUGE in the backward pass) the scaled pass
#: hands the utterance to the exact log-space passes.
_TINY = 1e-100
_HUGE = 1e100


# ------------------------------------------------------------------------------------------
# Gaussian mixtures
# ------------------------------------------------------------------------------------------


@jit
def _mix_logpdf(x, s, log_const, means, prec, comp):
    """Per-component log densities of frame ``x`` under state ``s`` into ``comp`` (M,); returns their lse."""
    M = means.shape[1]
    D = x.shape[0]
    m_max = NEG_INF
    for m in range(M):
        c = log_const[s, m]
        if c == NEG_INF:
            comp[m] = NEG_INF
            continue
        q = 0.0
        for d in range(D):
            diff = x[d] - means[s, m, d]
            q += prec[s, m, d] * diff * diff
        v = c - 0.5 * q
        comp[m] = v
        if v > m_max:
            m_max = v
    if m_max == NEG_INF:
        return NEG_INF
    acc = 0.0
    for m in range(M):
        if comp[m] != NEG_INF:
            acc += math.exp(comp[m] - m_max)
    return m_max + math.log(acc)


@pjit
def _gmm_loglik(X, log_const, means, prec, states, out):
    """``out[t, j] = log p(X[t] | states[j])`` for every frame (prange over frames)."""
    N = X.shape[0]
    M = means.shape[1]
    for t in prange(N):
        comp = np.empty(M)
        for j in range(states.shape[0]):
            out[t, j] = _mix_logpdf(X[t], states[j], log_const, means, prec, comp)


@pjit
def _gmm_stats(X, occ, log_const, means, prec, threshold, chunk_off, acc_n, acc_x, acc_xx):
    """Mixture statistics weighted by state occupancies ``occ`` (N, S).

    For chunk ``c`` (frames ``chunk_off[c]:chunk_off[c+1]``) and every frame/state with
    ``occ[t, s] > threshold`` the occupancy is split over the components by their
    posterior ``r_m``; ``acc_n[c, s, m] += occ r_m``, ``acc_x[c, s, m] += occ r_m x`` and
    ``acc_xx[c, s, m] += occ r_m x^2`` (elementwise).
    """
    S = occ.shape[1]
    M = means.shape[1]
    D = X.shape[1]
    for c in prange(chunk_off.shape[0] - 1):
        comp = np.empty(M)
        for t in range(chunk_off[c], chunk_off[c + 1]):
            for s in range(S):
                g = occ[t, s]
                if g <= threshold:
                    continue
                tot = _mix_logpdf(X[t], s, log_const, means, prec, comp)
                if tot == NEG_INF:
                    continue
                for m in range(M):
                    if comp[m] == NEG_INF:
                        continue
                    r = g * math.exp(comp[m] - tot)
                    acc_n[c, s, m] += r
                    for d in range(D):
                        v = X[t, d]
                        acc_x[c, s, m, d] += r * v
                        acc_xx[c, s, m, d] += r * v * v


# ------------------------------------------------------------------------------------------
# left-to-right band chains
# ------------------------------------------------------------------------------------------


@jit
def _lr_alpha(emit_full, f0, T, smap, band, start, end, s0, K, alpha):
    """Forward pass of one utterance into ``alpha`` (T, K); returns the log-likelihood."""
    W = band.shape[1]
    for k in range(K):
        alpha[0, k] = start[s0 + k] + emit_full[f0, smap[s0 + k]]
    for t in range(1, T):
        for k in range(K):
            m = NEG_INF
            dmax = min(W - 1, k)
            for d in range(dmax + 1):
                v = alpha[t - 1, k - d] + band[s0 + k - d, d]
                if v > m:
                    m = v
            if m == NEG_INF:
                alpha[t, k] = NEG_INF
                continue
            acc = 0.0
            for d in range(dmax + 1):
                v = alpha[t - 1, k - d] + band[s0 + k - d, d]
                if v != NEG_INF:
                    acc += math.exp(v - m)
            alpha[t, k] = m + math.log(acc) + emit_full[f0 + t, smap[s0 + k]]
    m = NEG_INF
    for k in range(K):
        v = alpha[T - 1, k] + end[s0 + k]
        if v > m:
            m = v
    if m == NEG_INF:
        return NEG_INF
    acc = 0.0
    for k in range(K):
        v = alpha[T - 1, k] + end[s0 + k]
        if v != NEG_INF:
            acc += math.exp(v - m)
    return m + math.log(acc)


@jit
def _lr_beta(emit_full, f0, T, smap, band, end, s0, K, beta):
    """Backward pass of one utterance into ``beta`` (T, K) (``beta[T-1] = end``)."""
    W = band.shape[1]
    for k in range(K):
        beta[T - 1, k] = end[s0 + k]
    for t in range(T - 2, -1, -1):
        for k in range(K):
            dmax = min(W - 1, K - 1 - k)
            m = NEG_INF
            for d in range(dmax + 1):
                v = band[s0 + k, d] + emit_full[f0 + t + 1, smap[s0 + k + d]] + beta[t + 1, k + d]
                if v > m:
                    m = v
            if m == NEG_INF:
                beta[t, k] = NEG_INF
                continue
            acc = 0.0
            for d in range(dmax + 1):
                v = band[s0 + k, d] + emit_full[f0 + t + 1, smap[s0 + k + d]] + beta[t + 1, k + d]
                if v != NEG_INF:
                    acc += math.exp(v - m)
            beta[t, k] = m + math.log(acc)


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
        f0 = frame_off[u]
        T = frame_off[u + 1] - f0
        s0 = state_off[u]
        K = state_off[u + 1] - s0
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
        f0 = frame_off[u]
        T = frame_off[u + 1] - f0
        s0 = state_off[u]
        K = state_off[u + 1] - s0
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
