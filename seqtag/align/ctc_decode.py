"""Decoding CTC emissions without a transcript: the collapse rule, greedy decoding, prefix beam search.

A CTC path (one class per frame) maps to a labelling by the **collapse rule**: merge runs of
the same class, then drop the blanks (``a a - b b - b`` -> ``a b b``). Greedy decoding
collapses the best path; prefix beam search (Hannun et al. 2014) keeps the ``beam`` most
probable labelling prefixes, summing over every path that collapses to each (blank-ending
and label-ending probabilities kept apart), so its best labelling is exact when the beam
holds every prefix. Log space throughout; ``-inf`` is a legal log probability.
"""

from __future__ import annotations

import math

import numpy as np

from ..exceptions import InputError
from .ctc import _as_log_probs, _check_blank_star, _check_finite_rows

__all__ = ["ctc_collapse", "ctc_greedy_decode", "ctc_prefix_beam_search"]


def ctc_collapse(path, blank: int = 0) -> list[int]:
    """The labelling of a CTC path: merge repeated classes, then drop blanks.

    Examples
    --------
    >>> ctc_collapse([1, 1, 0, 2, 2, 0, 2, 0])
    [1, 2, 2]
    """
    out, prev = [], None
    for c in (int(v) for v in path):
        if c != prev and c != blank:
            out.append(c)
        prev = c
    return out


def ctc_greedy_decode(log_probs, blank: int = 0) -> tuple[list[int], float]:
    """The labelling of the single best path (best class at every frame) and that path's log probability.

    Parameters
    ----------
    log_probs : (T, C) array or tensor
        Per-frame log probabilities.
    blank : int

    Returns
    -------
    labels : list of int
    log_prob : float
        Of the best *path* (a lower bound of the labelling's probability).

    Examples
    --------
    >>> import numpy as np
    >>> lp = np.log([[0.6, 0.3, 0.1], [0.3, 0.6, 0.1], [0.8, 0.1, 0.1], [0.1, 0.1, 0.8]])
    >>> ctc_greedy_decode(lp)[0]
    [1, 2]
    """
    lp = _check(log_probs, blank)
    best = lp.argmax(axis=1)
    return ctc_collapse(best, blank), float(lp[np.arange(lp.shape[0]), best].sum())


def _lse(a: float, b: float) -> float:
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    m = max(a, b)
    return m + math.log(math.exp(a - m) + math.exp(b - m))


def ctc_prefix_beam_search(log_probs, beam: int = 8, blank: int = 0) -> list[tuple[list[int], float]]:
    """The ``beam`` most probable labellings by CTC prefix beam search.

    Parameters
    ----------
    log_probs : (T, C) array or tensor
        Per-frame log probabilities.
    beam : int
        Prefixes kept after every frame.
    blank : int

    Returns
    -------
    list of (labels, log_prob)
        Best first; ``log_prob`` sums over every path that collapses to ``labels``
        (exact for the prefixes the beam kept).

    Examples
    --------
    >>> import numpy as np
    >>> lp = np.log([[0.6, 0.4], [0.6, 0.4]])          # blank or "1", twice
    >>> [(labels, round(float(np.exp(p)), 2)) for labels, p in ctc_prefix_beam_search(lp, beam=4)]
    [([1], 0.64), ([], 0.36)]
    """
    lp = _check(log_probs, blank)
    if isinstance(beam, bool) or not isinstance(beam, (int, np.integer)) or beam < 1:
        raise InputError(f"beam must be an int >= 1, got {beam!r}")
    T, C = lp.shape
    # prefix -> (log P(paths ending in blank), log P(paths ending in its last label))
    beams: dict[tuple[int, ...], tuple[float, float]] = {(): (0.0, -math.inf)}
    for t in range(T):
        row = lp[t].tolist()
        nxt: dict[tuple[int, ...], list[float]] = {}

        def add(prefix, blank_p, label_p):
            cur = nxt.setdefault(prefix, [-math.inf, -math.inf])
            cur[0] = _lse(cur[0], blank_p)
            cur[1] = _lse(cur[1], label_p)

        for prefix, (pb, pnb) in beams.items():
            total = _lse(float(pb), float(pnb))
            add(prefix, total + row[blank], -math.inf)  # a blank keeps the prefix
            for c in range(C):
                if c == blank or row[c] == -math.inf:
                    continue
                if prefix and prefix[-1] == c:
                    add(prefix, -math.inf, pnb + row[c])  # repeat merged into the last label
                    add(prefix + (c,), -math.inf, pb + row[c])  # a new label after a blank
                else:
                    add(prefix + (c,), -math.inf, total + row[c])
        alive = [kv for kv in nxt.items() if _lse(*kv[1]) > -math.inf]
        ranked = sorted(alive, key=lambda kv: (-_lse(*kv[1]), kv[0]))[:beam]
        beams = {k: (v[0], v[1]) for k, v in ranked}
    out = [(list(k), float(_lse(*v))) for k, v in beams.items()]
    out.sort(key=lambda kv: (-kv[1], kv[0]))
    return out


def _check(log_probs, blank: int) -> np.ndarray:
    lp = _as_log_probs(log_probs).astype(np.float64)
    _check_blank_star(blank, None, lp.shape[1])
    _check_finite_rows(lp, "log_probs")
    return lp
