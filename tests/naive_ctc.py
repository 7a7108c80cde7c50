"""Slow, obvious references for CTC alignment: enumerate every frame labelling."""

from __future__ import annotations

import itertools

import numpy as np


def collapse(path, blank=0):
    """CTC collapse: merge repeats, then drop blanks."""
    out = []
    prev = None
    for p in path:
        if p != prev and p != blank:
            out.append(p)
        prev = p
    return out


def brute_force_align(log_probs, targets, blank=0, star=None):
    """Best path (label per frame) collapsing to ``targets`` and its score, by enumeration.

    With ``star``, the label ``star`` is one more symbol whose emission at frame t is
    ``max_c log_probs[t, c]``. Returns ``(None, -inf)`` when no path exists.
    """
    lp = np.asarray(log_probs, dtype=np.float64)
    T, C = lp.shape
    symbols = list(range(C)) + ([star] if star is not None else [])
    star_em = lp.max(axis=1)
    best, best_path = -np.inf, None
    tg = list(targets)
    for path in itertools.product(symbols, repeat=T):
        if collapse(path, blank) != tg:
            continue
        score = sum(star_em[t] if p == star else lp[t, p] for t, p in enumerate(path))
        if score > best:
            best, best_path = score, list(path)
    return best_path, best


def path_score(log_probs, path, star=None):
    lp = np.asarray(log_probs, dtype=np.float64)
    return float(sum(lp[t].max() if p == star else lp[t, p] for t, p in enumerate(path)))
