"""Word and character error rates with the counts of their edit-distance alignment.

:func:`wer` and :func:`cer` align each hypothesis to its reference with the
Levenshtein distance (unit costs) and count the substitutions ``S``, deletions ``D``
(reference units missing from the hypothesis) and insertions ``I``; the rate is
``(S + D + I) / N`` with ``N`` the reference length, summed over all pairs first (a
corpus-level rate, as jiwer computes it). When several alignments have the minimal cost,
the counts follow the backtrace that prefers a match or substitution, then a deletion (jiwer's
rapidfuzz may pick another of them: the rate is the same, the split among S, D, I can differ).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..exceptions import InputError

__all__ = ["ErrorRate", "wer", "cer", "edit_counts"]


@dataclass(frozen=True)
class ErrorRate:
    """An error rate and the counts behind it.

    Attributes
    ----------
    rate : float
        ``(substitutions + deletions + insertions) / reference_length`` (``nan`` when the
        references are empty).
    substitutions, deletions, insertions, hits : int
    reference_length : int
    """

    rate: float
    substitutions: int
    deletions: int
    insertions: int
    hits: int
    reference_length: int


def edit_counts(ref: Sequence, hyp: Sequence) -> tuple[int, int, int, int]:
    """``(substitutions, deletions, insertions, hits)`` of a minimal edit-distance alignment.

    The alignment is traced back from the end preferring a match or substitution, then a
    deletion, then an insertion.

    Examples
    --------
    >>> edit_counts("the cat sat".split(), "the bat sat down".split())
    (1, 0, 1, 2)
    """
    n, m = len(ref), len(hyp)
    cost = np.zeros((n + 1, m + 1), dtype=np.int64)
    cost[:, 0] = np.arange(n + 1)
    cost[0, :] = np.arange(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i, j] = min(cost[i - 1, j - 1] + (ref[i - 1] != hyp[j - 1]), cost[i - 1, j] + 1, cost[i, j - 1] + 1)
    sub = dele = ins = hit = 0
    i, j = n, m
    while i or j:
        if i and j and cost[i, j] == cost[i - 1, j - 1] + (ref[i - 1] != hyp[j - 1]):
            if ref[i - 1] == hyp[j - 1]:
                hit += 1
            else:
                sub += 1
            i, j = i - 1, j - 1
        elif i and cost[i, j] == cost[i - 1, j] + 1:
            dele += 1
            i -= 1
        else:
            ins += 1
            j -= 1
    return sub, dele, ins, hit


def _pairs(reference, hypothesis, split) -> list[tuple[list, list]]:
    refs = [reference] if isinstance(reference, str) else list(reference)
    hyps = [hypothesis] if isinstance(hypothesis, str) else list(hypothesis)
    if len(refs) != len(hyps):
        raise InputError(f"reference and hypothesis must hold as many texts, got {len(refs)} and {len(hyps)}")
    out = []
    for i, (r, h) in enumerate(zip(refs, hyps)):
        if not isinstance(r, str) or not isinstance(h, str):
            raise InputError(f"text {i} must be a str in both reference and hypothesis, got "
                             f"{type(r).__name__} and {type(h).__name__}")
        out.append((split(r), split(h)))
    return out


def _rate(pairs) -> ErrorRate:
    s = d = i = h = n = 0
    for ref, hyp in pairs:
        cs, cd, ci, ch = edit_counts(ref, hyp)
        s, d, i, h, n = s + cs, d + cd, i + ci, h + ch, n + len(ref)
    return ErrorRate((s + d + i) / n if n else float("nan"), s, d, i, h, n)


def wer(reference, hypothesis) -> ErrorRate:
    """Word error rate of one text or of a list of texts (words split on white space).

    Parameters
    ----------
    reference, hypothesis : str or list of str

    Returns
    -------
    ErrorRate

    Examples
    --------
    >>> r = wer("the cat sat on the mat", "the cat sit on mat")
    >>> round(r.rate, 3), r.substitutions, r.deletions, r.insertions
    (0.333, 1, 1, 0)
    """
    return _rate(_pairs(reference, hypothesis, str.split))


def cer(reference, hypothesis) -> ErrorRate:
    """Character error rate (every character counts, spaces included, as jiwer's ``cer``).

    Examples
    --------
    >>> r = cer("kitten", "sitting")
    >>> r.substitutions, r.deletions, r.insertions, round(r.rate, 3)
    (2, 0, 1, 0.5)
    """
    return _rate(_pairs(reference, hypothesis, list))
