"""Numba kernels of senone scoring with top-N Gaussian selection: arrays in, arrays out.

A senone ``s`` of stream ``f`` is a mixture over the Gaussians of its codebook
``c = cb[s]``; only the ``N`` best Gaussians of that codebook at each frame count
(PocketSphinx's top-N approximation, ``-topn``). With the top-N log densities ``v``
(sorted, best first) and indices ``j`` of frame ``t``, codebook ``c``, stream ``f``::

    log p_f(x_t | s) = v_0 + log sum_n w[s, f, j_n] * exp(v_n - v_0)

and the senone's score is the sum over streams. ``-inf`` is legal: a senone whose
top-N weights are all zero scores ``-inf`` at that frame.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from ..._numba import pjit

NEG_INF = -np.inf


@pjit
def top_n(dens, n_cb, n_den, vals, idx):
    """Top-N of every (frame, codebook) row of densities.

    ``dens`` (T, n_cb * n_den) float32 log densities of one stream; ``vals`` (T, n_cb, N)
    float32 and ``idx`` (T, n_cb, N) int16 receive the N best, best first (ties: lower index).
    """
    T = dens.shape[0]
    N = vals.shape[2]
    for t in prange(T):
        best = np.empty(N)
        arg = np.empty(N, dtype=np.int64)
        for c in range(n_cb):
            for n in range(N):
                best[n] = NEG_INF
                arg[n] = 0
            o = c * n_den
            for j in range(n_den):
                v = dens[t, o + j]
                if v > best[N - 1]:
                    p = N - 1
                    while p > 0 and v > best[p - 1]:
                        best[p] = best[p - 1]
                        arg[p] = arg[p - 1]
                        p -= 1
                    best[p] = v
                    arg[p] = j
            for n in range(N):
                vals[t, c, n] = best[n]
                idx[t, c, n] = arg[n]


@pjit
def senone_scores(vals, idx, weights, sen_cb, senones, out):
    """Scores ``out`` (T, S) of the senones ``senones`` (S,) at every frame.

    ``vals`` / ``idx`` (T, n_cb, n_feat, N): the top-N log densities and Gaussian indices;
    ``weights`` (n_sen, n_feat, n_den) float32 linear mixture weights; ``sen_cb`` (n_sen,)
    the codebook of each senone. The ``exp(v - v_0)`` of a frame are computed once and
    shared by all senones, and the streams' sums are multiplied before the one log a
    senone costs per frame.
    """
    T, C, F, N = vals.shape
    S = senones.shape[0]
    for t in prange(T):
        rel = np.empty((C, F, N))
        for c in range(C):
            for f in range(F):
                top = vals[t, c, f, 0]
                for n in range(N):
                    v = vals[t, c, f, n]
                    rel[c, f, n] = math.exp(v - top) if v > NEG_INF else 0.0
        for i in range(S):
            s = senones[i]
            c = sen_cb[s]
            tops = 0.0
            prod = 1.0  # per stream the sum is in (1e-7, N]: the product of F of them stays normal
            for f in range(F):
                acc = 0.0
                for n in range(N):
                    acc += weights[s, f, idx[t, c, f, n]] * rel[c, f, n]
                tops += vals[t, c, f, 0]
                prod *= acc
            out[t, i] = tops + math.log(prod) if prod > 0.0 and tops > NEG_INF else NEG_INF


@pjit
def map_stats(feats, vals, idx, weights, sen_cb, frame_sen, frame_w, starts, ends, acc_n, acc_x):
    """Zeroth and first order statistics of the codebook Gaussians for MAP adaptation.

    Frame ``t`` belongs to the senones ``frame_sen[t, :]`` (-1: unused slot) with weights
    ``frame_w[t, :]`` (their state posteriors; one slot of weight 1 for a Viterbi path).
    Within a senone's top-N Gaussians of stream ``f`` its share is split by their
    posteriors ``w * N / sum``. ``feats`` (T, D); stream ``f`` holds columns
    ``starts[f]:ends[f]``. ``acc_n`` (n_chunks, n_cb, F, n_den), ``acc_x`` (n_chunks, n_cb, F,
    n_den, max_len); frames are dealt to chunks by ``t % n_chunks``.
    """
    T = feats.shape[0]
    F = vals.shape[2]
    N = vals.shape[3]
    M = frame_sen.shape[1]
    n_chunks = acc_n.shape[0]
    for ch in prange(n_chunks):
        post = np.empty(N)
        for t in range(ch, T, n_chunks):
            for m in range(M):
                s = frame_sen[t, m]
                w = frame_w[t, m]
                if s < 0 or not w > 0.0:
                    continue
                c = sen_cb[s]
                for f in range(F):
                    top = vals[t, c, f, 0]
                    tot = 0.0
                    for n in range(N):
                        v = vals[t, c, f, n]
                        p = weights[s, f, idx[t, c, f, n]] * math.exp(v - top) if v > NEG_INF else 0.0
                        post[n] = p
                        tot += p
                    if not tot > 0.0:
                        continue
                    for n in range(N):
                        g = w * post[n] / tot
                        if g <= 0.0:
                            continue
                        j = idx[t, c, f, n]
                        acc_n[ch, c, f, j] += g
                        for d in range(ends[f] - starts[f]):
                            acc_x[ch, c, f, j, d] += g * feats[t, starts[f] + d]


@pjit
def frame_senone_scores(vals, idx, weights, sen_cb, frame_senone, out):
    """``out[t]``: the score of senone ``frame_senone[t]`` at frame ``t`` (-1: ``-inf``)."""
    T, C, F, N = vals.shape
    for t in prange(T):
        s = frame_senone[t]
        if s < 0:
            out[t] = NEG_INF
            continue
        c = sen_cb[s]
        tops = 0.0
        prod = 1.0
        for f in range(F):
            top = vals[t, c, f, 0]
            acc = 0.0
            for n in range(N):
                v = vals[t, c, f, n]
                if v > NEG_INF:
                    acc += weights[s, f, idx[t, c, f, n]] * math.exp(v - top)
            tops += top
            prod *= acc
        out[t] = tops + math.log(prod) if prod > 0.0 and tops > NEG_INF else NEG_INF
