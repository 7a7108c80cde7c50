"""Brute-force linear-chain CRF by enumerating every tag path (tests only; tiny T and K).

Inputs are numpy float64 arrays for ONE sequence: ``emissions`` (T, K),
``transitions`` (K, K) indexed [from, to], ``start`` (K,), ``end`` (K,).
``-inf`` entries mark impossible emissions/transitions.
"""

from __future__ import annotations

import itertools

import numpy as np


def path_score(emissions, transitions, start, end, path) -> float:
    """Score of one path: start + emissions + transitions + end."""
    if len(path) == 0:
        return 0.0
    s = start[path[0]] + end[path[-1]]
    for t, y in enumerate(path):
        s += emissions[t, y]
        if t:
            s += transitions[path[t - 1], y]
    return float(s)


def all_paths(emissions, transitions, start, end):
    """Every (path, score) pair, path a tuple of tag indices."""
    T, K = np.shape(emissions)
    return [(p, path_score(emissions, transitions, start, end, p)) for p in itertools.product(range(K), repeat=T)]


def _lse(scores) -> float:
    scores = np.asarray(list(scores), dtype=float)
    if scores.size == 0 or np.all(np.isneginf(scores)):
        return float("-inf")
    m = scores.max()
    return float(m + np.log(np.exp(scores - m).sum()))


def log_partition(emissions, transitions, start, end) -> float:
    """log of the sum of exp(score) over all paths (0 for an empty sequence)."""
    if np.shape(emissions)[0] == 0:
        return 0.0
    return _lse(s for _, s in all_paths(emissions, transitions, start, end))


def constrained_log_score(emissions, transitions, start, end, tags, ignore_index=-100) -> float:
    """log-sum of exp(score) over the paths that agree with ``tags`` where tags != ignore_index."""
    return _lse(
        s
        for p, s in all_paths(emissions, transitions, start, end)
        if all(g == ignore_index or g == y for g, y in zip(tags, p))
    )


def marginals(emissions, transitions, start, end) -> np.ndarray:
    """(T, K) posterior marginals P(y_t = j)."""
    T, K = np.shape(emissions)
    out = np.zeros((T, K))
    log_z = log_partition(emissions, transitions, start, end)
    if not np.isfinite(log_z):
        return out
    for p, s in all_paths(emissions, transitions, start, end):
        w = np.exp(s - log_z)
        for t, y in enumerate(p):
            out[t, y] += w
    return out


def kbest(emissions, transitions, start, end, k):
    """The k best (path, score) pairs with finite score, best first (ties in any order)."""
    ranked = sorted(
        ((p, s) for p, s in all_paths(emissions, transitions, start, end) if np.isfinite(s)),
        key=lambda ps: -ps[1],
    )
    return ranked[:k]
