"""Numba Viterbi and k-best decoding of padded batches (the CRF layer's CPU fast path).

Arrays in, arrays out.  Same arithmetic, in the same order, as the torch code in
``_torch_dp`` (score + transition, max/top-k over the previous tag, then + emission),
so both give identical scores; ties go to the lowest previous tag (then rank).

Serial on purpose: a ``parallel=True`` kernel starts numba's own thread pool,
which then competes with torch's intra-op threads inside a training loop (in
bench_crf_layer.py on 2 cores, torch ops after a parallel call ran several
times slower).
"""

from __future__ import annotations

import numpy as np

from .._numba import jit
from ._dense import _insert_topk, _viterbi_seq


@jit
def viterbi_batch(em, trans, start, end, lengths, paths, scores):  # pragma: no cover - numba
    """em (B, T, K), trans (K, K) [from, to], start/end (K,), lengths (B,) int64.

    Writes paths (B, T) int64 (caller pre-fills -1) and scores (B,).  Each row runs the
    dense chain Viterbi (``seqtag.chains._dense._viterbi_seq``, same arithmetic as the
    torch code), so one Viterbi serves the HMMs, the CRF tagger and this layer.
    """
    for b in range(em.shape[0]):
        scores[b] = _viterbi_seq(start, trans, em[b], end, 0, lengths[b], paths[b])


@jit
def kbest_batch(em, trans, start, end, lengths, paths, scores):  # pragma: no cover - numba
    """Exact k best paths; k = paths.shape[1].

    em (B, T, K); writes paths (B, k, T) int64 (caller pre-fills -1) and scores (B, k)
    (caller pre-fills -inf).  The k best prefixes ending in each tag are kept sorted,
    so merging K sorted lists stops at the first candidate that cannot enter the top k.
    """
    B, T, K = em.shape
    k = paths.shape[1]
    neg = -np.inf
    S = np.empty((T, K, k), dtype=em.dtype)
    bt = np.zeros((T, K, k), dtype=np.int32)  # previous tag
    br = np.zeros((T, K, k), dtype=np.int32)  # previous rank
    vals = np.empty(k, dtype=em.dtype)
    tags = np.zeros(k, dtype=np.int32)
    ranks = np.zeros(k, dtype=np.int32)
    for b in range(B):
        n = lengths[b]
        if n == 0:
            scores[b, 0] = 0.0
            continue
        for j in range(K):
            S[0, j, 0] = em[b, 0, j] + start[j]
            for r in range(1, k):
                S[0, j, r] = neg
        for t in range(1, n):
            for j in range(K):
                vals[:] = neg
                for i in range(K):
                    tij = trans[i, j]
                    for r in range(k):
                        if not _insert_topk(vals, tags, ranks, S[t - 1, i, r] + tij, i, r):
                            break  # S[t-1, i] is sorted: later ranks cannot enter either
                for r in range(k):
                    S[t, j, r] = vals[r] + em[b, t, j]
                    bt[t, j, r] = tags[r]
                    br[t, j, r] = ranks[r]
        vals[:] = neg
        for j in range(K):
            for r in range(k):
                if not _insert_topk(vals, tags, ranks, S[n - 1, j, r] + end[j], j, r):
                    break
        for q in range(k):
            scores[b, q] = vals[q]
            if vals[q] == neg:
                continue
            j = tags[q]
            r = ranks[q]
            for t in range(n - 1, 0, -1):
                paths[b, q, t] = j
                j, r = bt[t, j, r], br[t, j, r]
            paths[b, q, 0] = j
