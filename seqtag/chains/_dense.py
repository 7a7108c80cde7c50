"""Numba kernels for dense first-order chains (HMM / linear-chain CRF): arrays in, arrays out.

Conventions shared by every kernel (the public wrappers in :mod:`seqtag.chains.dense` check them):

- ``start`` (K,), ``trans`` (K, K) [from, to], ``end`` (K,) and ``emit`` (N, K) are
  float64 log scores; ``-inf`` is legal everywhere, NaN and ``+inf`` never reach here.
  "No end scores" is passed as ``end = zeros(K)``.
- Batches are concatenated: sequence ``s`` occupies rows ``offsets[s]:offsets[s+1]``
  of ``emit``.  An empty sequence has log-likelihood 0 and no path.
- Exact log-space kernels (``_fwd_log``, ``_bwd_log``, Viterbi, N-best) use a
  max-shifted logsumexp that returns ``-inf`` (never NaN) when every term is ``-inf``.
- The fast forward-backward (``_batch_scaled``) works in probability space with one
  normaliser per position (Rabiner scaling), so nothing underflows at any length.  It
  checks itself: when a normaliser drops below ``_TINY`` (precision could be lost to
  underflow) or a backward value overflows, that sequence is recomputed with the exact
  log-space kernels.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from .._numba import jit, pjit

NEG_INF = -np.inf
#: Below this per-position normaliser the scaled pass hands the sequence to log space.
_TINY = 1e-100


@jit
def _lse_row(x):
    """log(sum(exp(x))) of a 1-D array; ``-inf`` if every entry is ``-inf``."""
    m = NEG_INF
    for i in range(x.shape[0]):
        if x[i] > m:
            m = x[i]
    if m == NEG_INF:
        return NEG_INF
    s = 0.0
    for i in range(x.shape[0]):
        s += math.exp(x[i] - m)
    return m + math.log(s)


# ----------------------------------------------------------------------------------------
# exact log-space forward / backward of one sequence
# ----------------------------------------------------------------------------------------


@jit
def _fwd_log(start, trans_t, emit, end, o, T, la):
    """Forward pass in log space into ``la[o:o+T]``; returns the log-likelihood.

    ``trans_t`` is the transposed transition matrix [to, from] (contiguous inner loop).
    """
    K = start.shape[0]
    if T == 0:
        return 0.0
    tmp = np.empty(K)
    for j in range(K):
        la[o, j] = start[j] + emit[o, j]
    for t in range(1, T):
        prev = la[o + t - 1]
        cur = la[o + t]
        for j in range(K):
            if emit[o + t, j] == NEG_INF:
                cur[j] = NEG_INF
                continue
            row = trans_t[j]
            for i in range(K):
                tmp[i] = prev[i] + row[i]
            v = _lse_row(tmp)
            cur[j] = v + emit[o + t, j] if v != NEG_INF else NEG_INF
    last = la[o + T - 1]
    for i in range(K):
        tmp[i] = last[i] + end[i]
    return _lse_row(tmp)


@jit
def _bwd_log(trans, emit, end, o, T, lb):
    """Backward pass in log space into ``lb[o:o+T]`` (``trans`` is [from, to])."""
    K = end.shape[0]
    if T == 0:
        return
    for j in range(K):
        lb[o + T - 1, j] = end[j]
    v = np.empty(K)
    tmp = np.empty(K)
    for t in range(T - 2, -1, -1):
        for j in range(K):
            v[j] = emit[o + t + 1, j] + lb[o + t + 1, j]
        cur = lb[o + t]
        for i in range(K):
            row = trans[i]
            for j in range(K):
                tmp[j] = row[j] + v[j]
            cur[i] = _lse_row(tmp)


@pjit
def _batch_forward_log(start, trans_t, emit, end, offsets, la, ll):
    """Exact log-space forward of every sequence (parallel over sequences); ``trans_t`` is [to, from]."""
    for s in prange(offsets.shape[0] - 1):
        o = offsets[s]
        ll[s] = _fwd_log(start, trans_t, emit, end, o, offsets[s + 1] - o, la)


@pjit
def _batch_backward_log(trans, emit, end, offsets, lb):
    """Exact log-space backward of every sequence (parallel over sequences)."""
    for s in prange(offsets.shape[0] - 1):
        o = offsets[s]
        _bwd_log(trans, emit, end, o, offsets[s + 1] - o, lb)


@jit
def _log_space_stats(start, trans, emit, end, o, T, post, start_acc, end_acc, xi_acc, want_counts):
    """Exact log-space posteriors (and expected counts) of one sequence; returns log Z.

    Used as the fallback of the scaled pass; an impossible sequence (log Z = -inf)
    gets all-zero posteriors and adds nothing to the counts.
    """
    K = start.shape[0]
    la = np.empty((T, K))
    lb = np.empty((T, K))
    ll = _fwd_log(start, np.ascontiguousarray(trans.T), emit[o : o + T], end, 0, T, la)
    if ll == NEG_INF:
        for t in range(T):
            for k in range(K):
                post[o + t, k] = 0.0
        return ll
    _bwd_log(trans, emit[o : o + T], end, 0, T, lb)
    for t in range(T):
        for k in range(K):
            post[o + t, k] = math.exp(la[t, k] + lb[t, k] - ll)
    if want_counts:
        for k in range(K):
            start_acc[k] += post[o, k]
            end_acc[k] += post[o + T - 1, k]
        for t in range(1, T):
            for i in range(K):
                if la[t - 1, i] == NEG_INF:
                    continue
                for j in range(K):
                    x = la[t - 1, i] + trans[i, j] + emit[o + t, j] + lb[t, j] - ll
                    if x > NEG_INF:
                        xi_acc[i, j] += math.exp(x)
    return ll


# ----------------------------------------------------------------------------------------
# scaled forward-backward (fast path) with per-sequence log-space fallback
# ----------------------------------------------------------------------------------------


@jit
def _scaled_seq(P, tshift, s0, sshift, E, eshift, emit, o, T, A, W, C, post, tmp, bcur, bnext, want_post, xi):
    """Scaled forward (and backward) of one sequence; returns (log Z, ok).

    ``P = exp(trans - tshift)``, ``s0 = exp(start - sshift)``, ``E = exp(end - eshift)``.
    Writes normalised alphas into ``A``, ``exp(emit - rowmax)`` then the backward
    messages ``w_t = e_t * b_t / c_t`` into ``W``, and posteriors into ``post``.  When
    ``xi`` has K rows it receives ``sum_t outer(alpha_{t-1}, w_t)``; the expected
    transition counts are that times ``P`` elementwise.  ``ok`` is False when the
    sequence must be redone in log space (``xi`` is then partial: discard it).
    """
    K = P.shape[0]
    ll = 0.0
    for t in range(T):
        r = o + t
        m = NEG_INF
        for j in range(K):
            if emit[r, j] > m:
                m = emit[r, j]
        if m == NEG_INF:
            return NEG_INF, False
        for j in range(K):
            W[r, j] = math.exp(emit[r, j] - m)
        if t == 0:
            for j in range(K):
                A[r, j] = s0[j] * W[r, j]
            shift = sshift
        else:
            for j in range(K):
                tmp[j] = 0.0
            for i in range(K):
                ai = A[r - 1, i]
                if ai != 0.0:
                    for j in range(K):
                        tmp[j] += ai * P[i, j]
            for j in range(K):
                A[r, j] = tmp[j] * W[r, j]
            shift = tshift
        c = 0.0
        for j in range(K):
            c += A[r, j]
        if not c >= _TINY:
            return NEG_INF, False
        inv = 1.0 / c
        for j in range(K):
            A[r, j] *= inv
        C[r] = c
        ll += math.log(c) + m + shift
    z = 0.0
    last = o + T - 1
    for j in range(K):
        z += A[last, j] * E[j]
    if not z >= _TINY:
        return NEG_INF, False
    ll += math.log(z) + eshift
    if not want_post:
        return ll, True
    for j in range(K):
        bcur[j] = E[j] / z
    for t in range(T - 1, -1, -1):
        r = o + t
        tot = 0.0
        for j in range(K):
            g = A[r, j] * bcur[j]
            post[r, j] = g
            tot += g
        if not abs(tot - 1.0) < 1e-6:
            return NEG_INF, False
        if t == 0:
            break
        inv = 1.0 / C[r]
        for j in range(K):
            W[r, j] = W[r, j] * bcur[j] * inv
        if xi.shape[0] == K:
            for i in range(K):
                ai = A[r - 1, i]
                if ai != 0.0:
                    for j in range(K):
                        xi[i, j] += ai * W[r, j]
        for i in range(K):
            acc = 0.0
            for j in range(K):
                acc += P[i, j] * W[r, j]
            if not acc < np.inf:
                return NEG_INF, False
            bnext[i] = acc
        for j in range(K):
            bcur[j] = bnext[j]
    return ll, True


@pjit
def _batch_scaled(start, trans, emit, end, scaled, shifts, offsets, want_post, want_counts, out, acc, xs_acc):
    """Log-likelihoods, posteriors and E-step counts of a batch (parallel over chunks).

    ``scaled`` (3, K, K) holds ``P = exp(trans - shifts[0])`` then ``exp(start - shifts[1])``
    and ``exp(end - shifts[2])`` in row 0 of the next two slices.  ``out`` is
    ``(ll (n,), post (N or 0, K), A (N, K), W (N, K), C (N,))``; ``acc`` (n_chunks, K + 2, K)
    receives per chunk start counts (row K), end counts (row K + 1) and the log-space
    fallbacks' transition counts (rows :K); ``xs_acc`` (n_chunks, K, K) the scaled
    sequences' ``sum_t outer(alpha_{t-1}, w_t)`` (times ``P`` gives counts).  Sequences
    are dealt to chunks by ``s % n_chunks``; the caller reduces over chunks.  Array
    expressions are kept out of this function: with ``parallel=True`` each one would
    become its own parallel region.
    """
    ll, post, A, W, C = out
    K = start.shape[0]
    n = offsets.shape[0] - 1
    n_chunks = acc.shape[0]
    P = scaled[0]
    s0 = scaled[1, 0]
    E = scaled[2, 0]
    tshift, sshift, eshift = shifts[0], shifts[1], shifts[2]
    for c in prange(n_chunks):
        tmp = np.empty(K)
        bcur = np.empty(K)
        bnext = np.empty(K)
        xi_seq = np.empty((K if want_counts else 0, K))
        for s in range(c, n, n_chunks):
            o = offsets[s]
            T = offsets[s + 1] - o
            if T == 0:
                ll[s] = 0.0
                continue
            if want_counts:
                for i in range(K):
                    for j in range(K):
                        xi_seq[i, j] = 0.0
            v, ok = _scaled_seq(
                P, tshift, s0, sshift, E, eshift, emit, o, T, A, W, C, post, tmp, bcur, bnext, want_post, xi_seq
            )
            if ok:
                ll[s] = v
                if want_counts:
                    for k in range(K):
                        acc[c, K, k] += post[o, k]
                        acc[c, K + 1, k] += post[o + T - 1, k]
                    for i in range(K):
                        for j in range(K):
                            xs_acc[c, i, j] += xi_seq[i, j]
                continue
            if want_post:
                ll[s] = _log_space_stats(
                    start, trans, emit, end, o, T, post, acc[c, K], acc[c, K + 1], acc[c, :K], want_counts
                )
            else:
                ll[s] = _fwd_log(start, trans.T.copy(), emit[o : o + T], end, 0, T, np.empty((T, K)))


# ----------------------------------------------------------------------------------------
# Viterbi, N-best, sampling
# ----------------------------------------------------------------------------------------


@jit
def _viterbi_seq(start, trans, emit, end, o, T, path):
    """Best path of one sequence into ``path[o:o+T]`` (all -1 if none is finite).

    ``trans`` is [from, to].  The forward pass keeps only the best score per state
    (a max over previous states whose inner loop runs over contiguous ``to`` entries
    and vectorises); the backtrace recomputes each argmax from the stored scores with
    the same arithmetic, so it is exact.  Ping-pong buffers keep every store away from
    the row being read, which lets LLVM emit a plain vector max (a masked store was
    10x slower on AMD).  Ties go to the lowest state index.  Works in the dtype of
    ``emit`` (the CRF layer runs it in float32).
    """
    K = start.shape[0]
    if T == 0:
        return 0.0
    S = np.empty((T, K), dtype=emit.dtype)  # best score of a path ending in each state
    buf = np.empty((2, K), dtype=emit.dtype)
    for j in range(K):
        S[0, j] = start[j] + emit[o, j]
    for t in range(1, T):
        src = buf[0]
        dst = buf[1]
        for j in range(K):
            src[j] = NEG_INF
        for i in range(K):
            si = S[t - 1, i]
            row = trans[i]
            for j in range(K):
                v = si + row[j]
                m = src[j]
                dst[j] = v if v > m else m
            src, dst = dst, src
        for j in range(K):
            S[t, j] = src[j] + emit[o + t, j]
    best = NEG_INF
    cur = -1
    for j in range(K):
        v = S[T - 1, j] + end[j]
        if v > best:
            best = v
            cur = j
    if cur < 0:
        for t in range(T):
            path[o + t] = -1
        return NEG_INF
    path[o + T - 1] = cur
    for t in range(T - 1, 0, -1):
        arg = 0
        top = NEG_INF
        for i in range(K):
            v = S[t - 1, i] + trans[i, cur]
            if v > top:
                top = v
                arg = i
        cur = arg
        path[o + t - 1] = cur
    return best


@pjit
def _batch_viterbi(start, trans, emit, end, offsets, paths, scores):
    """Viterbi of every sequence (parallel over sequences); ``trans`` is [from, to]."""
    for s in prange(offsets.shape[0] - 1):
        o = offsets[s]
        scores[s] = _viterbi_seq(start, trans, emit, end, o, offsets[s + 1] - o, paths)


@jit
def _insert_topk(vals, a, b, v, x, y):
    """Insert score ``v`` with payload (x, y) into the descending top-k list ``vals``.

    Returns False (and changes nothing) when ``v`` does not beat the last entry; ties
    keep the earlier entry.
    """
    k = vals.shape[0]
    if not v > vals[k - 1]:
        return False
    p = k - 1
    while p > 0 and v > vals[p - 1]:
        vals[p] = vals[p - 1]
        a[p] = a[p - 1]
        b[p] = b[p - 1]
        p -= 1
    vals[p] = v
    a[p] = x
    b[p] = y
    return True


@jit
def _nbest(start, trans, emit, end, k, paths, scores):
    """Exact k best paths (list Viterbi with a top-k list per state and position)."""
    T, K = emit.shape
    for r in range(k):
        scores[r] = NEG_INF
        for t in range(T):
            paths[r, t] = -1
    if T == 0:
        scores[0] = 0.0
        return
    D = np.full((T, K, k), NEG_INF)
    bs = np.full((T, K, k), -1, dtype=np.int64)
    br = np.full((T, K, k), -1, dtype=np.int64)
    for j in range(K):
        D[0, j, 0] = start[j] + emit[0, j]
    for t in range(1, T):
        for j in range(K):
            if emit[t, j] == NEG_INF:
                continue
            for i in range(K):
                w = trans[i, j]
                if w == NEG_INF:
                    continue
                for r in range(k):
                    v = D[t - 1, i, r] + w
                    if not v > D[t, j, k - 1]:
                        break  # the list of (t-1, i) is sorted: no later rank can enter
                    _insert_topk(D[t, j], bs[t, j], br[t, j], v, i, r)
            for r in range(k):
                D[t, j, r] += emit[t, j]
    fs = np.full(k, -1, dtype=np.int64)
    fr = np.full(k, -1, dtype=np.int64)
    for j in range(K):
        for r in range(k):
            v = D[T - 1, j, r] + end[j]
            if not v > scores[k - 1]:
                break
            _insert_topk(scores, fs, fr, v, j, r)
    for q in range(k):
        if fs[q] < 0:
            continue
        j = fs[q]
        r = fr[q]
        for t in range(T - 1, -1, -1):
            paths[q, t] = j
            j2 = bs[t, j, r]
            r = br[t, j, r]
            j = j2


@jit
def _pick(w, u):
    """Index drawn from unnormalised weights ``w`` with a uniform ``u`` in [0, 1)."""
    tot = 0.0
    for i in range(w.shape[0]):
        tot += w[i]
    target = u * tot
    acc = 0.0
    last = -1
    for i in range(w.shape[0]):
        if w[i] > 0.0:
            last = i
            acc += w[i]
            if acc > target:
                return i
    return last


@jit
def _sample_paths(start, trans, emit, end, u, paths):
    """Forward-filtering backward-sampling: one path per row of ``u`` (n, T)."""
    T, K = emit.shape
    la = np.empty((T, K))
    ll = _fwd_log(start, np.ascontiguousarray(trans.T), emit, end, 0, T, la)
    if ll == NEG_INF:
        return ll
    w = np.empty(K)
    for n in range(u.shape[0]):
        m = NEG_INF
        for j in range(K):
            if la[T - 1, j] + end[j] > m:
                m = la[T - 1, j] + end[j]
        for j in range(K):
            w[j] = math.exp(la[T - 1, j] + end[j] - m)
        z = _pick(w, u[n, T - 1])
        paths[n, T - 1] = z
        for t in range(T - 2, -1, -1):
            m = NEG_INF
            for i in range(K):
                if la[t, i] + trans[i, z] > m:
                    m = la[t, i] + trans[i, z]
            for i in range(K):
                w[i] = math.exp(la[t, i] + trans[i, z] - m)
            z = _pick(w, u[n, t])
            paths[n, t] = z
    return ll
