"""Numba kernels of trigram chains (the trigram HMM tagger): arrays in, arrays out.

A second-order HMM is a first-order chain over *tag pairs*.  Tags are
``0..K-1``; index ``K`` is the sentence boundary, used twice before the first
token (``BOS BOS``) and once after the last (``EOS``).  Every kernel takes

- ``log_trans3`` ``(K+1, K+1, K+1)``: ``log P(c | a, b)``, where ``a`` and
  ``b`` may be the boundary ``K`` (start of sentence) and ``c == K`` means
  "end of sentence";
- ``log_emit`` ``(N, K)``: ``log P(word_i | tag)`` for all tokens of the
  batch, sentences concatenated (``-inf`` = the word never has that tag);
- ``lengths`` ``(n,)``: the sentence lengths, summing to ``N``.

Only the tags with a finite emission score are visited at each position
(a known word usually allows one to three tags), so the O(T K^3) pair-state
recursion costs O(T c^3) with ``c`` the number of candidate tags.  The
Viterbi kernel also prunes, after each position, every pair state whose score
is below ``best - log_beam`` (TnT's beam search) and then never expands it.
Sentences are independent and run in parallel with ``prange``.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from .._numba import jit, pjit


_NEG_INF = -np.inf


@jit
def _candidates(log_emit, start, length, K):
    """Candidate tags per extended position (two leading boundary positions)."""
    cand = np.empty((length + 2, K + 1), np.int64)  # (positions, tags)
    ncand = np.zeros(length + 2, np.int64)
    cand[0, 0] = K
    cand[1, 0] = K
    ncand[0] = 1
    ncand[1] = 1
    for i in range(length):
        n = 0
        for k in range(K):
            if log_emit[start + i, k] > _NEG_INF:
                cand[i + 2, n] = k
                n += 1
        ncand[i + 2] = n
    return cand, ncand


@jit
def _viterbi_one(log_trans3, log_emit, start, length, log_beam, paths):
    K = log_emit.shape[1]
    cand, ncand = _candidates(log_emit, start, length, K)
    maxc = 1
    for j in range(length + 2):
        if ncand[j] == 0:
            for i in range(length):
                paths[start + i] = -1
            return _NEG_INF
        maxc = max(maxc, ncand[j])
    prev = np.full((maxc, maxc), _NEG_INF)  # (pair: tag at j-1, tag at j)
    cur = np.full((maxc, maxc), _NEG_INF)
    back = np.empty((length + 2, maxc, maxc), np.int32)  # index of the tag at j-2
    prev[0, 0] = 0.0  # (BOS, BOS)
    for j in range(2, length + 2):
        n2 = ncand[j - 2]
        n1 = ncand[j - 1]
        n0 = ncand[j]
        for p in range(n1):
            for q in range(n0):
                cur[p, q] = _NEG_INF
        for o in range(n2):
            a = cand[j - 2, o]
            for p in range(n1):
                v = prev[o, p]
                if v == _NEG_INF:  # impossible or pruned: never expanded
                    continue
                b = cand[j - 1, p]
                for q in range(n0):
                    s = v + log_trans3[a, b, cand[j, q]]
                    if s > cur[p, q]:
                        cur[p, q] = s
                        back[j, p, q] = o
        best = _NEG_INF
        row = start + j - 2
        for q in range(n0):
            e = log_emit[row, cand[j, q]]
            for p in range(n1):
                if cur[p, q] > _NEG_INF:
                    cur[p, q] += e
                    if cur[p, q] > best:
                        best = cur[p, q]
        if best == _NEG_INF:
            for i in range(length):
                paths[start + i] = -1
            return _NEG_INF
        if log_beam < np.inf:
            threshold = best - log_beam
            for p in range(n1):
                for q in range(n0):
                    if cur[p, q] < threshold:
                        cur[p, q] = _NEG_INF
        prev, cur = cur, prev
    # end of sentence
    last = length + 1
    best = _NEG_INF
    bp = 0
    bq = 0
    for p in range(ncand[last - 1]):
        a = cand[last - 1, p]
        for q in range(ncand[last]):
            v = prev[p, q]
            if v == _NEG_INF:
                continue
            s = v + log_trans3[a, cand[last, q], K]
            if s > best:
                best = s
                bp = p
                bq = q
    if best == _NEG_INF:
        for i in range(length):
            paths[start + i] = -1
        return _NEG_INF
    p = bp
    q = bq
    for j in range(last, 1, -1):
        paths[start + j - 2] = cand[j, q]
        if j > 2:
            o = back[j, p, q]
            q = p
            p = o
    return best


@pjit
def _viterbi_batch(log_trans3, log_emit, starts, lengths, log_beam, paths, scores):
    for s in prange(lengths.shape[0]):
        scores[s] = _viterbi_one(log_trans3, log_emit, starts[s], lengths[s], log_beam, paths)


@jit
def _posteriors_one(trans3, log_emit, start, length, post):
    K = log_emit.shape[1]
    cand, ncand = _candidates(log_emit, start, length, K)
    maxc = 1
    for j in range(length + 2):
        if ncand[j] == 0:
            return _NEG_INF
        maxc = max(maxc, ncand[j])
    # scaled forward-backward in probability space: each step is renormalised,
    # so nothing underflows however long the sentence is.
    emit = np.zeros((length + 2, maxc))  # (positions, candidates), scaled by the row max
    log_shift = 0.0
    for j in range(2, length + 2):
        row = start + j - 2
        m = _NEG_INF
        for q in range(ncand[j]):
            m = max(m, log_emit[row, cand[j, q]])
        if m == np.inf:
            return np.nan
        log_shift += m
        for q in range(ncand[j]):
            emit[j, q] = np.exp(log_emit[row, cand[j, q]] - m)
    alpha = np.zeros((length + 2, maxc, maxc))  # (positions, tag at j-1, tag at j)
    scale = np.ones(length + 2)
    alpha[1, 0, 0] = 1.0
    for j in range(2, length + 2):
        n2 = ncand[j - 2]
        n1 = ncand[j - 1]
        n0 = ncand[j]
        for o in range(n2):
            a = cand[j - 2, o]
            for p in range(n1):
                v = alpha[j - 1, o, p]
                if v == 0.0:
                    continue
                b = cand[j - 1, p]
                for q in range(n0):
                    alpha[j, p, q] += v * trans3[a, b, cand[j, q]]
        total = 0.0
        for p in range(n1):
            for q in range(n0):
                alpha[j, p, q] *= emit[j, q]
                total += alpha[j, p, q]
        if total == 0.0:
            return _NEG_INF
        scale[j] = total
        for p in range(n1):
            for q in range(n0):
                alpha[j, p, q] /= total
    last = length + 1
    beta = np.zeros((length + 2, maxc, maxc))
    z_end = 0.0
    for p in range(ncand[last - 1]):
        a = cand[last - 1, p]
        for q in range(ncand[last]):
            beta[last, p, q] = trans3[a, cand[last, q], K]
            z_end += alpha[last, p, q] * beta[last, p, q]
    if z_end == 0.0:
        return _NEG_INF
    for p in range(ncand[last - 1]):
        for q in range(ncand[last]):
            beta[last, p, q] /= z_end
    for j in range(last, 2, -1):
        n2 = ncand[j - 2]
        n1 = ncand[j - 1]
        n0 = ncand[j]
        for o in range(n2):
            a = cand[j - 2, o]
            for p in range(n1):
                b = cand[j - 1, p]
                acc = 0.0
                for q in range(n0):
                    acc += trans3[a, b, cand[j, q]] * emit[j, q] * beta[j, p, q]
                beta[j - 1, o, p] = acc / scale[j]
    for j in range(2, length + 2):
        row = start + j - 2
        for q in range(ncand[j]):
            acc = 0.0
            for p in range(ncand[j - 1]):
                acc += alpha[j, p, q] * beta[j, p, q]
            post[row, cand[j, q]] = acc
    log_z = np.log(z_end) + log_shift
    for j in range(2, length + 2):
        log_z += np.log(scale[j])
    return log_z


@pjit
def _posteriors_batch(trans3, log_emit, starts, lengths, post, log_liks):
    for s in prange(lengths.shape[0]):
        log_liks[s] = _posteriors_one(trans3, log_emit, starts[s], lengths[s], post)
