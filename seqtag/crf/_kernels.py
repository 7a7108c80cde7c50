"""Numba kernels of the linear-chain CRF tagger: arrays in, arrays out.

Model layout (``K`` labels, ``F`` state features)
-------------------------------------------------
- ``w`` (F,): weight of state feature ``f`` = (attribute ``a``, label ``feat_label[f]``);
  the features of attribute ``a`` are ``attr_ptr[a]:attr_ptr[a + 1]`` (attribute-major).
- ``trans`` (K, K), ``start`` (K,), ``end`` (K,): transition, first- and last-label scores.
- Tokens of all sentences are concatenated; ``offsets`` (n_sent + 1,) are sentence
  boundaries; the active attributes of token ``t`` are the CSR row
  ``indices[indptr[t]:indptr[t + 1]]`` with values ``data[...]`` (usually 1.0).

The emission score of label ``k`` at token ``t`` is the sum of ``w[f] * value`` over
the features ``f`` of the token's attributes whose label is ``k``.

Training (:func:`crf_nll_grad`) runs forward-backward in *scaled probability space*
(like CRFsuite; no ``exp``/``log`` in the K x K inner loops, which is what makes it
fast).  Whenever scaling cannot represent a sentence (an all -inf row, a scale factor
that underflows to 0) that sentence is recomputed in log space with an -inf safe
logsumexp, so -inf scores are always legal.  Decoding and marginals for prediction
reuse the shared HMM kernels (:mod:`seqtag.chains.dense`), which take unnormalised
scores; this module only provides :func:`emission_scores` for them.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from .._numba import jit, pjit

__all__ = ["emission_scores", "sentence_marginals", "crf_nll_grad"]

_NEG_INF = -np.inf


@jit
def _logsumexp(x):
    m = _NEG_INF
    for v in x:
        if v > m:
            m = v
    if m == _NEG_INF:
        return _NEG_INF
    s = 0.0
    for v in x:
        s += np.exp(v - m)
    return m + np.log(s)


@jit
def _emissions(w, attr_ptr, feat_label, indptr, indices, data, t0, t1, E):
    """Fill ``E[: t1 - t0]`` (T, K) with the emission scores of tokens ``t0..t1-1``."""
    K = E.shape[1]
    for t in range(t0, t1):
        r = t - t0
        for k in range(K):
            E[r, k] = 0.0
        for p in range(indptr[t], indptr[t + 1]):
            a = indices[p]
            v = data[p]
            for f in range(attr_ptr[a], attr_ptr[a + 1]):
                E[r, feat_label[f]] += w[f] * v


@pjit
def emission_scores(w, attr_ptr, feat_label, indptr, indices, data, K):
    """Emission scores (N, K) of all tokens of a CSR attribute matrix, parallel over tokens."""
    N = indptr.shape[0] - 1
    E = np.empty((N, K))
    for t in prange(N):
        for k in range(K):
            E[t, k] = 0.0
        for p in range(indptr[t], indptr[t + 1]):
            a = indices[p]
            v = data[p]
            for f in range(attr_ptr[a], attr_ptr[a + 1]):
                E[t, feat_label[f]] += w[f] * v
    return E


@jit
def _fb_scaled(E, T, M, mT, start, end, A, B, Psi, c, tmp, Xi):
    """Scaled forward-backward over ``E[:T]``; returns log Z, or NaN if scaling fails.

    On success ``A[:T] * B[:T]`` are the label marginals and the expected transition
    counts are *added* to ``Xi`` (K, K).  ``M = exp(trans - mT)``.  Nothing is added
    to ``Xi`` when NaN is returned (the caller then uses :func:`_fb_log`).
    """
    K = E.shape[1]
    m = _NEG_INF
    for j in range(K):
        s = start[j] + E[0, j]
        if s > m:
            m = s
    if not (m > _NEG_INF) or not np.isfinite(m):
        return np.nan
    tot = 0.0
    for j in range(K):
        A[0, j] = np.exp(start[j] + E[0, j] - m)
        tot += A[0, j]
    inv = 1.0 / tot
    for j in range(K):
        A[0, j] *= inv
    c[0] = tot
    logZ = m + np.log(tot)
    for t in range(1, T):
        m = _NEG_INF
        for j in range(K):
            if E[t, j] > m:
                m = E[t, j]
        if not (m > _NEG_INF) or not np.isfinite(m):
            return np.nan
        for j in range(K):
            Psi[t, j] = np.exp(E[t, j] - m)
            A[t, j] = 0.0
        for i in range(K):
            a = A[t - 1, i]
            if a == 0.0:
                continue
            for j in range(K):
                A[t, j] += a * M[i, j]
        tot = 0.0
        for j in range(K):
            A[t, j] *= Psi[t, j]
            tot += A[t, j]
        if not (tot > 0.0) or not np.isfinite(tot):
            return np.nan
        inv = 1.0 / tot
        for j in range(K):
            A[t, j] *= inv
        c[t] = tot
        logZ += m + mT + np.log(tot)
    mE = _NEG_INF
    for j in range(K):
        if end[j] > mE:
            mE = end[j]
    if not (mE > _NEG_INF) or not np.isfinite(mE):
        return np.nan
    tot = 0.0
    for j in range(K):
        B[T - 1, j] = np.exp(end[j] - mE)
        tot += A[T - 1, j] * B[T - 1, j]
    if not (tot > 0.0) or not np.isfinite(tot):
        return np.nan
    logZ += mE + np.log(tot)
    inv = 1.0 / tot
    for j in range(K):
        B[T - 1, j] *= inv
    for t in range(T - 2, -1, -1):
        inv = 1.0 / c[t + 1]
        for j in range(K):
            Psi[t + 1, j] *= B[t + 1, j] * inv  # Psi[t+1] now holds the backward message
        for i in range(K):
            s = 0.0
            for j in range(K):
                s += M[i, j] * Psi[t + 1, j]
            B[t, i] = s
    if T > 1:
        # expected transitions: sum_t A[t, i] M[i, j] Psi[t+1, j], as one matrix product
        G = np.dot(A[:T - 1].T, Psi[1:T])
        for i in range(K):
            for j in range(K):
                Xi[i, j] += M[i, j] * G[i, j]
    for t in range(T):
        for j in range(K):
            A[t, j] *= B[t, j]
    return logZ


@jit
def _fb_log(E, T, trans, start, end, A, B, tmp, Xi):
    """Log-space forward-backward over ``E[:T]`` (-inf safe); marginals into ``A[:T]``.

    Returns log Z; adds expected transition counts to ``Xi``.  If log Z is -inf (no
    path has a finite score) the marginals are all 0 and ``Xi`` is unchanged.
    """
    K = E.shape[1]
    for j in range(K):
        A[0, j] = start[j] + E[0, j]
    for t in range(1, T):
        for j in range(K):
            for i in range(K):
                tmp[i] = A[t - 1, i] + trans[i, j]
            A[t, j] = _logsumexp(tmp) + E[t, j]
    for j in range(K):
        B[T - 1, j] = end[j]
        tmp[j] = A[T - 1, j] + end[j]
    logZ = _logsumexp(tmp)
    for t in range(T - 2, -1, -1):
        for i in range(K):
            for j in range(K):
                tmp[j] = trans[i, j] + E[t + 1, j] + B[t + 1, j]
            B[t, i] = _logsumexp(tmp)
    if logZ == _NEG_INF:
        for t in range(T):
            for j in range(K):
                A[t, j] = 0.0
        return logZ
    for t in range(T - 1):
        for i in range(K):
            if A[t, i] == _NEG_INF:
                continue
            for j in range(K):
                s = A[t, i] + trans[i, j] + E[t + 1, j] + B[t + 1, j] - logZ
                if s > _NEG_INF:
                    Xi[i, j] += np.exp(s)
    for t in range(T):
        for j in range(K):
            s = A[t, j] + B[t, j] - logZ
            A[t, j] = np.exp(s) if s > _NEG_INF else 0.0
    return logZ


@jit
def sentence_marginals(E, trans, start, end, force_log):
    """Forward-backward of one sentence given its emission scores ``E`` (T, K).

    Returns ``(log_z, marginals (T, K), expected_transitions (K, K))``.  The scaled
    path is used unless it cannot represent the sentence or ``force_log`` is true.
    """
    T, K = E.shape
    A = np.zeros((T, K))
    B = np.zeros((T, K))
    Psi = np.zeros((T, K))
    c = np.zeros(T)
    tmp = np.zeros(K)
    Xi = np.zeros((K, K))
    logZ = np.nan
    if not force_log:
        mT = np.max(trans)
        M = np.exp(trans - mT) if np.isfinite(mT) else np.zeros((K, K))
        if np.isfinite(mT):
            logZ = _fb_scaled(E, T, M, mT, start, end, A, B, Psi, c, tmp, Xi)
    if np.isnan(logZ):
        logZ = _fb_log(E, T, trans, start, end, A, B, tmp, Xi)
    return logZ, A, Xi


@pjit
def crf_nll_grad(w, trans, start, end, attr_ptr, feat_label, indptr, indices, data,
                 labels, offsets, chunks, max_len, gw_buf, gt_buf, gs_buf, ge_buf, nll_buf):
    """Negative log-likelihood of the gold labels and its gradient, parallel over chunks.

    Sentences ``chunks[c]:chunks[c + 1]`` are processed by chunk ``c`` into its own
    buffers ``gw_buf[c]`` (F,), ``gt_buf[c]`` (K, K), ``gs_buf[c]``/``ge_buf[c]`` (K,)
    and ``nll_buf[c]``; the caller sums the buffers over chunks.  The gradient is
    expected minus observed feature counts.
    """
    K = trans.shape[0]
    n_chunks = chunks.shape[0] - 1
    mT = np.max(trans)
    ok_trans = np.isfinite(mT)
    M = np.exp(trans - mT) if ok_trans else np.zeros((K, K))
    for ch in prange(n_chunks):
        gw = gw_buf[ch]
        gt = gt_buf[ch]
        gs = gs_buf[ch]
        ge = ge_buf[ch]
        gw[:] = 0.0
        gt[:, :] = 0.0
        gs[:] = 0.0
        ge[:] = 0.0
        E = np.empty((max_len, K))
        A = np.zeros((max_len, K))
        B = np.zeros((max_len, K))
        Psi = np.zeros((max_len, K))
        cs = np.zeros(max_len)
        tmp = np.zeros(K)
        nll = 0.0
        for s in range(chunks[ch], chunks[ch + 1]):
            t0 = offsets[s]
            t1 = offsets[s + 1]
            T = t1 - t0
            if T == 0:
                continue
            _emissions(w, attr_ptr, feat_label, indptr, indices, data, t0, t1, E)
            logZ = np.nan
            if ok_trans:
                logZ = _fb_scaled(E, T, M, mT, start, end, A, B, Psi, cs, tmp, gt)
            if np.isnan(logZ):
                logZ = _fb_log(E, T, trans, start, end, A, B, tmp, gt)
            y0 = labels[t0]
            gold = start[y0] + E[0, y0] + end[labels[t1 - 1]]
            for t in range(1, T):
                gold += trans[labels[t0 + t - 1], labels[t0 + t]] + E[t, labels[t0 + t]]
                gt[labels[t0 + t - 1], labels[t0 + t]] -= 1.0
            nll += logZ - gold
            for j in range(K):
                gs[j] += A[0, j]
                ge[j] += A[T - 1, j]
            gs[y0] -= 1.0
            ge[labels[t1 - 1]] -= 1.0
            for t in range(t0, t1):
                r = t - t0
                y = labels[t]
                for p in range(indptr[t], indptr[t + 1]):
                    a = indices[p]
                    v = data[p]
                    for f in range(attr_ptr[a], attr_ptr[a + 1]):
                        lab = feat_label[f]
                        g = A[r, lab]
                        if lab == y:
                            g -= 1.0
                        gw[f] += v * g
        nll_buf[ch] = nll
