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

Training (:func:`crf_nll_grad`) runs the chains' forward-backward of one sequence
(:mod:`seqtag.chains.kernels`) in *scaled probability space* (like CRFsuite; no
``exp``/``log`` in the K x K inner loops, which is what makes it fast).  Whenever scaling
cannot represent a sentence (an all -inf row, a scale factor that underflows) that
sentence is recomputed in log space with an -inf safe logsumexp, so -inf scores are
always legal.  Decoding and marginals for prediction
reuse the shared HMM kernels (:mod:`seqtag.chains.dense`), which take unnormalised
scores; this module only provides :func:`emission_scores` for them.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from .._numba import jit, pjit
from ..chains.kernels import log_space_stats, scaled_seq

__all__ = ["emission_scores", "sentence_marginals", "crf_nll_grad"]



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
        _emissions(w, attr_ptr, feat_label, indptr, indices, data, t, t + 1, E[t:])
    return E


@jit
def _shifted(trans, start, end):
    """``(P, s0, e0, shifts, ok)``: exp of the scores minus their maxima, for :func:`scaled_seq`.

    ``ok`` is False when a maximum is not finite (then every sentence goes to log space).
    """
    shifts = np.array([np.max(trans), np.max(start), np.max(end)])
    ok = np.isfinite(shifts[0]) and np.isfinite(shifts[1]) and np.isfinite(shifts[2])
    if not ok:
        shifts[:] = 0.0
    return np.exp(trans - shifts[0]), np.exp(start - shifts[1]), np.exp(end - shifts[2]), shifts, ok


@jit
def _forward_backward(E, T, trans, start, end, P, s0, e0, shifts, ok, post, A, W, C, tmp, bcur, bnext, xi, gt,
                      dummy):
    """log Z of one sentence (emissions ``E[:T]``); marginals into ``post[:T]``; expected
    transitions *added* to ``gt`` (K, K). The chains' scaled pass, or its exact log-space pass
    when scaling cannot represent the sentence."""
    K = trans.shape[0]
    if ok:
        for i in range(K):
            for j in range(K):
                xi[i, j] = 0.0
        log_z, good = scaled_seq(P, shifts[0], s0, shifts[1], e0, shifts[2], E, 0, T, A, W, C, post, tmp, bcur,
                                 bnext, True, xi)
        if good:
            for i in range(K):
                for j in range(K):
                    gt[i, j] += P[i, j] * xi[i, j]
            return log_z
    return log_space_stats(start, trans, E, end, 0, T, post, dummy[0], dummy[1], gt, True)


@jit
def sentence_marginals(E, trans, start, end, force_log):
    """Forward-backward of one sentence given its emission scores ``E`` (T, K).

    Returns ``(log_z, marginals (T, K), expected_transitions (K, K))``.  The scaled
    path is used unless it cannot represent the sentence or ``force_log`` is true.
    """
    T, K = E.shape
    P, s0, e0, shifts, ok = _shifted(trans, start, end)
    post = np.zeros((T, K))
    Xi = np.zeros((K, K))
    log_z = _forward_backward(E, T, trans, start, end, P, s0, e0, shifts, ok and not force_log, post,
                              np.empty((T, K)), np.empty((T, K)), np.empty(T), np.empty(K), np.empty(K),
                              np.empty(K), np.empty((K, K)), Xi, np.zeros((2, K)))
    return log_z, post, Xi


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
    P, s0, e0, shifts, ok = _shifted(trans, start, end)
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
        W = np.zeros((max_len, K))
        C = np.zeros(max_len)
        tmp = np.empty(K)
        bcur = np.empty(K)
        bnext = np.empty(K)
        xi = np.empty((K, K))
        dummy = np.zeros((2, K))
        post = np.zeros((max_len, K))
        nll = 0.0
        for s in range(chunks[ch], chunks[ch + 1]):
            t0 = offsets[s]
            t1 = offsets[s + 1]
            T = t1 - t0
            if T == 0:
                continue
            _emissions(w, attr_ptr, feat_label, indptr, indices, data, t0, t1, E)
            logZ = _forward_backward(E, T, trans, start, end, P, s0, e0, shifts, ok, post, A, W, C, tmp, bcur,
                                     bnext, xi, gt, dummy)
            y0 = labels[t0]
            gold = start[y0] + E[0, y0] + end[labels[t1 - 1]]
            for t in range(1, T):
                gold += trans[labels[t0 + t - 1], labels[t0 + t]] + E[t, labels[t0 + t]]
                gt[labels[t0 + t - 1], labels[t0 + t]] -= 1.0
            nll += logZ - gold
            for j in range(K):
                gs[j] += post[0, j]
                ge[j] += post[T - 1, j]
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
                        g = post[r, lab]
                        if lab == y:
                            g -= 1.0
                        gw[f] += v * g
        nll_buf[ch] = nll
