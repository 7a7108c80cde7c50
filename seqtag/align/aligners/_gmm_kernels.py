"""Numba kernels of the GMM-HMM aligner's diagonal-Gaussian mixtures: arrays in, arrays out.

Checked by the public wrappers of :mod:`seqtag.align.aligners.hmm_gmm` (the chain
dynamic programmes it runs are in :mod:`seqtag.chains._banded`).

* **Diagonal-Gaussian mixtures.** A mixture of state ``s`` has log weights
  ``log_w[s]`` (M,) (``-inf`` for a dead component), means ``means[s]`` (M, D),
  precisions ``prec[s]`` (M, D) = 1 / variance and per-component constants
  ``log_const[s, m] = log_w[s, m] - 0.5 * (D log 2 pi + sum_d log var[s, m, d])``,
  so ``log p(x | s) = logsumexp_m (log_const[s, m] - 0.5 * sum_d prec (x - mu)^2)``.
  :func:`_gmm_loglik` evaluates it for every frame and a list of states (prange over
  frames); :func:`_gmm_stats` accumulates the zeroth, first and second order
  statistics weighted by state occupancies (prange over chunks of frames, one
  accumulator per chunk, summed by the caller).
Log space throughout; ``-inf`` is legal everywhere and every log-sum-exp returns
``-inf`` (never NaN) when all its terms are ``-inf``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from ..._numba import jit, pjit
from ...chains.kernels import logsumexp

NEG_INF = -np.inf


# ------------------------------------------------------------------------------------------
# Gaussian mixtures
# ------------------------------------------------------------------------------------------


@jit
def _mix_logpdf(x, s, log_const, means, prec, comp):
    """Per-component log densities of frame ``x`` under state ``s`` into ``comp`` (M,); returns their lse."""
    M = means.shape[1]
    D = x.shape[0]
    for m in range(M):
        c = log_const[s, m]
        if c == NEG_INF:
            comp[m] = NEG_INF
            continue
        q = 0.0
        for d in range(D):
            diff = x[d] - means[s, m, d]
            q += prec[s, m, d] * diff * diff
        comp[m] = c - 0.5 * q
    return logsumexp(comp)


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
