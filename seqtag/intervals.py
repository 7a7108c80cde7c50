"""Labelled time intervals and the TextGrid reader: what speech corpora and aligners share.

:class:`Interval` is a tier entry in seconds (a word, a phone); :func:`read_textgrid`
reads the interval tiers of a Praat TextGrid. Both sit below :mod:`seqtag.corpora` and
:mod:`seqtag.align` so that corpora never need to import the aligners.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from .exceptions import InputError

__all__ = ["Interval", "read_textgrid"]


@dataclass(frozen=True)
class Interval:
    """A labelled time interval in seconds (a TextGrid/CTM entry).

    Attributes
    ----------
    label : str
    start, end : float
        Seconds, ``start <= end``.
    score : float
        Confidence in [0, 1], ``nan`` when unknown (e.g. read from a TextGrid).
    """

    label: str
    start: float
    end: float
    score: float = math.nan

    def __post_init__(self):
        if not (self.start <= self.end):
            raise InputError(f"interval {self.label!r} ends before it starts: start={self.start}, end={self.end}")

    @property
    def duration(self) -> float:
        """``end - start`` in seconds."""
        return self.end - self.start


def read_textgrid(path: str | os.PathLike, include_empty: bool = False) -> dict[str, list[Interval]]:
    """Read the interval tiers of a Praat TextGrid (short or long format).

    Parameters
    ----------
    path : str or path-like
    include_empty : bool, default False
        Keep empty-label intervals (silences / gaps).

    Returns
    -------
    dict of str to list of Interval
        Scores are ``nan``; point tiers are skipped.

    Examples
    --------
    >>> read_textgrid("a.TextGrid")["words"]  # doctest: +SKIP
    [Interval(label='hi', start=0.1, end=0.4, score=nan)]
    """
    from praatio import textgrid

    p = Path(path)
    if not p.is_file():
        raise InputError(f"TextGrid file not found: {str(p)!r}")
    try:
        tg = textgrid.openTextgrid(str(p), includeEmptyIntervals=include_empty)
    except Exception as exc:
        raise InputError(f"cannot parse {str(p)!r} as a TextGrid: {exc}") from exc
    out: dict[str, list[Interval]] = {}
    for name in tg.tierNames:
        tier = tg.getTier(name)
        if isinstance(tier, textgrid.IntervalTier):
            out[name] = [Interval(e.label, float(e.start), float(e.end)) for e in tier.entries]
    return out
