"""Slow, obvious reference for monotonic alignment: enumerate every frame labelling."""

from __future__ import annotations

import itertools

import numpy as np


def is_valid(path, L, allow=None):
    """Every token 0..L-1 occupies one contiguous run, in order; -1 (gap) only where ``allow`` says."""
    runs = [k for k, _ in itertools.groupby(path)]
    tokens = [k for k in runs if k >= 0]
    if tokens != list(range(L)):
        return False
    if -1 in runs:
        if allow is None:
            return False
        for i, k in enumerate(runs):
            if k == -1:
                position = runs[i + 1] if i + 1 < len(runs) else L  # gap before token k (or after the last)
                if not allow[position]:
                    return False
    return True


def path_score(scores, path, gap=None):
    s = np.asarray(scores, dtype=np.float64)
    g = None if gap is None else np.broadcast_to(np.asarray(gap, dtype=np.float64), (s.shape[1],))
    return float(sum(g[t] if k == -1 else s[k, t] for t, k in enumerate(path)))


def brute_force_monotonic(scores, gap=None, allow=None):
    """Best valid path and its score by enumeration; ``(None, -inf)`` when none is finite."""
    s = np.asarray(scores, dtype=np.float64)
    L, T = s.shape
    symbols = list(range(L)) + ([-1] if gap is not None else [])
    if gap is not None and allow is None:
        allow = [True] * (L + 1)
    best, best_path = -np.inf, None
    for path in itertools.product(symbols, repeat=T):
        if not is_valid(path, L, allow if gap is not None else None):
            continue
        score = path_score(s, path, gap)
        if score > best:
            best, best_path = score, list(path)
    return best_path, best
