"""Slow, obvious reference code for the trigram HMM tagger tests (brute force)."""

from __future__ import annotations

import itertools

import numpy as np


def path_score(log_trans3, log_emit, tags) -> float:
    """Log score of one tag sequence: boundary, trigram transitions, emissions, end."""
    K = log_emit.shape[1]
    hist = [K, K, *tags, K]
    score = 0.0
    for i in range(len(tags) + 1):
        score += log_trans3[hist[i], hist[i + 1], hist[i + 2]]
    for i, t in enumerate(tags):
        score += log_emit[i, t]
    return score


def brute_force(log_trans3, log_emit):
    """All K**T sequences: (best score, best paths set, log Z, marginals (T, K))."""
    T, K = log_emit.shape
    scores = {}
    for tags in itertools.product(range(K), repeat=T):
        scores[tags] = path_score(log_trans3, log_emit, tags)
    best = max(scores.values())
    best_paths = {t for t, s in scores.items() if s == best}
    vals = np.array(list(scores.values()))
    if best == -np.inf:
        return best, best_paths, -np.inf, np.zeros((T, K))
    log_z = best + np.log(np.exp(vals - best).sum())
    marg = np.zeros((T, K))
    for tags, s in scores.items():
        w = np.exp(s - log_z)
        for i, t in enumerate(tags):
            marg[i, t] += w
    return best, best_paths, log_z, marg
