"""Slow, obviously correct references for the chain kernels: enumerate all K**T paths."""

from __future__ import annotations

import itertools

import numpy as np


def path_score(start, trans, emit, end, path) -> float:
    """Score of one path: start + transitions + emissions (+ end)."""
    if len(path) == 0:
        return 0.0
    s = start[path[0]] + emit[0, path[0]]
    for t in range(1, len(path)):
        s += trans[path[t - 1], path[t]] + emit[t, path[t]]
    if end is not None:
        s += end[path[-1]]
    return float(s)


def all_paths(start, trans, emit, end=None):
    """List of (path tuple, score) over every path."""
    T, K = emit.shape
    return [(p, path_score(start, trans, emit, end, p)) for p in itertools.product(range(K), repeat=T)]


def _lse(values) -> float:
    v = np.asarray(list(values), dtype=float)
    if v.size == 0 or np.all(v == -np.inf):
        return -np.inf
    m = v.max()
    return float(m + np.log(np.exp(v - m).sum()))


def log_likelihood(start, trans, emit, end=None) -> float:
    return _lse(s for _, s in all_paths(start, trans, emit, end))


def log_alpha(start, trans, emit, end=None) -> np.ndarray:
    """log_alpha[t, k] = log sum over prefixes ending in k at t (no end score)."""
    T, K = emit.shape
    out = np.full((T, K), -np.inf)
    for t in range(T):
        for k in range(K):
            out[t, k] = _lse(
                path_score(start, trans, emit[: t + 1], None, p + (k,))
                for p in itertools.product(range(K), repeat=t)
            )
    return out


def log_beta(start, trans, emit, end=None) -> np.ndarray:
    """log_beta[t, k] = log sum over suffixes after t given state k at t (with end)."""
    T, K = emit.shape
    out = np.full((T, K), -np.inf)
    e = np.zeros(K) if end is None else end
    for t in range(T):
        for k in range(K):
            vals = []
            for p in itertools.product(range(K), repeat=T - 1 - t):
                full = (k,) + p
                s = e[full[-1]]
                for u in range(1, len(full)):
                    s += trans[full[u - 1], full[u]] + emit[t + u, full[u]]
                vals.append(s)
            out[t, k] = _lse(vals)
    return out


def posteriors(start, trans, emit, end=None) -> np.ndarray:
    T, K = emit.shape
    paths = all_paths(start, trans, emit, end)
    z = _lse(s for _, s in paths)
    out = np.zeros((T, K))
    if z == -np.inf:
        return out
    for p, s in paths:
        w = np.exp(s - z)
        for t, k in enumerate(p):
            out[t, k] += w
    return out


def expected_counts(start, trans, emit, end=None):
    """(log Z, start counts, transition counts, end counts) by enumeration."""
    T, K = emit.shape
    paths = all_paths(start, trans, emit, end)
    z = _lse(s for _, s in paths)
    sc, xi, ec = np.zeros(K), np.zeros((K, K)), np.zeros(K)
    if z == -np.inf:
        return z, sc, xi, ec
    for p, s in paths:
        w = np.exp(s - z)
        sc[p[0]] += w
        ec[p[-1]] += w
        for t in range(1, T):
            xi[p[t - 1], p[t]] += w
    return z, sc, xi, ec


def ranked(start, trans, emit, end=None):
    """Every path with a finite score, best first."""
    return sorted((x for x in all_paths(start, trans, emit, end) if x[1] > -np.inf), key=lambda x: -x[1])
