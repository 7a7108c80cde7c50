"""How far predicted segment boundaries are from reference ones.

Two views:

* :func:`boundary_errors` pairs the boundaries of two alignments **of the same
  label sequence**: for every interval ``i`` its start and its end, in order
  ``[start_0, end_0, start_1, end_1, ...]`` (a boundary shared by two
  touching intervals is therefore counted twice, once as an end and once as a
  start; this is the usual phone/word boundary error of MFA-style
  evaluations).
* the boundary F1 of :func:`boundary_report` does not need the same labels: the
  boundary *sets* (distinct start/end times of each side) are matched
  one-to-one when ``|hyp - ref| <= tolerance``, a maximum matching.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..exceptions import InputError
from ..intervals import Interval

__all__ = ["boundary_errors", "boundary_report", "match_boundaries", "pooled_boundary_report", "by_position"]

_EPS = 1e-6  # seconds: absorbs float noise and the microsecond rounding of interval times in "within tolerance"


def _check(intervals, name: str) -> list[Interval]:
    out = list(intervals)
    for i, iv in enumerate(out):
        if not isinstance(iv, Interval):
            raise InputError(f"{name}[{i}] must be an Interval, got {type(iv).__name__}")
    return out


def by_position(ref: Sequence[Interval], hyp: Sequence[Interval]) -> list[Interval]:
    """``hyp`` with ``ref``'s labels, pair by pair in order: boundaries compared by position.

    For an aligner's tier against a reference that spells the same items differently
    (case and punctuation as written, another phone set); :func:`boundary_errors`
    still refuses tiers of different lengths.

    Examples
    --------
    >>> by_position([Interval("hello", 0.0, 0.4)], [Interval("Hello,", 0.01, 0.42, 0.9)])
    [Interval(label='hello', start=0.01, end=0.42, score=0.9)]
    """
    return [Interval(r.label, h.start, h.end, h.score) for r, h in zip(ref, hyp)]


def boundary_errors(ref: Sequence[Interval], hyp: Sequence[Interval]) -> np.ndarray:
    """Signed boundary errors ``hyp - ref`` in seconds, shape ``(2 N,)``.

    Parameters
    ----------
    ref, hyp : list of Interval
        Same number of intervals with the same labels, in the same order (drop
        silences/empty intervals on both sides first if only one side has them).

    Returns
    -------
    (2N,) float64 array
        ``[start_0, end_0, start_1, end_1, ...]`` differences.

    Examples
    --------
    >>> ref = [Interval("a", 0.0, 0.5), Interval("b", 0.5, 1.0)]
    >>> hyp = [Interval("a", 0.02, 0.45), Interval("b", 0.45, 1.0)]
    >>> boundary_errors(ref, hyp).round(3).tolist()
    [0.02, -0.05, -0.05, 0.0]
    """
    r, h = _check(ref, "ref"), _check(hyp, "hyp")
    rl, hl = [iv.label for iv in r], [iv.label for iv in h]
    if rl != hl:
        first = next((i for i, (a, b) in enumerate(zip(rl, hl)) if a != b), min(len(rl), len(hl)))
        raise InputError(
            f"ref and hyp must have the same label sequence ({len(rl)} vs {len(hl)} intervals; first "
            f"difference at position {first}: {rl[first:first + 1]} vs {hl[first:first + 1]}); "
            f"use boundary_report(...)['boundary_f1'] to compare different segmentations"
        )
    rb = np.array([[iv.start, iv.end] for iv in r], dtype=np.float64).reshape(-1)
    hb = np.array([[iv.start, iv.end] for iv in h], dtype=np.float64).reshape(-1)
    return hb - rb


def _boundary_set(intervals: list[Interval]) -> np.ndarray:
    times = np.sort(np.array([t for iv in intervals for t in (iv.start, iv.end)], dtype=np.float64))
    if times.size == 0:
        return times
    keep = np.concatenate([[True], np.diff(times) > _EPS])
    return times[keep]


def match_boundaries(ref_times, hyp_times, tolerance: float = 0.02) -> int:
    """Size of a maximum one-to-one matching of boundary times within ``tolerance``.

    Greedy on sorted times (each reference takes the earliest free hypothesis in
    ``[r - tol, r + tol]``), which is optimal for equal-width windows on a line.

    Examples
    --------
    >>> match_boundaries([0.0, 0.1], [0.015, 0.03], tolerance=0.02)
    1
    """
    r = np.sort(np.asarray(ref_times, dtype=np.float64))
    h = np.sort(np.asarray(hyp_times, dtype=np.float64))
    j = n = 0
    for t in r:
        while j < h.size and h[j] < t - tolerance - _EPS:
            j += 1
        if j < h.size and h[j] <= t + tolerance + _EPS:
            n += 1
            j += 1
    return n


def boundary_report(ref: Sequence[Interval], hyp: Sequence[Interval], tolerance: float = 0.02) -> dict:
    """Summary of boundary accuracy.

    Parameters
    ----------
    ref, hyp : list of Interval
    tolerance : float, default 0.02
        Seconds, for the boundary precision/recall/F1.

    Returns
    -------
    dict
        ``n_boundaries``, ``mean_abs_ms``, ``median_abs_ms``, ``within_10ms``,
        ``within_20ms``, ``within_50ms`` (percent of paired boundaries, see
        :func:`boundary_errors`; ``nan`` when the label sequences differ or are
        empty), and ``boundary_precision``, ``boundary_recall``, ``boundary_f1``
        (fractions, matching of boundary sets within ``tolerance``; always
        computed).

    Examples
    --------
    >>> ref = [Interval("a", 0.0, 0.5), Interval("b", 0.5, 1.0)]
    >>> hyp = [Interval("a", 0.0, 0.45), Interval("b", 0.45, 1.0)]
    >>> r = boundary_report(ref, hyp)
    >>> r["mean_abs_ms"], r["within_20ms"], r["boundary_f1"]
    (25.0, 50.0, 0.6666666666666666)
    """
    r, h = _check(ref, "ref"), _check(hyp, "hyp")
    if not tolerance >= 0:
        raise InputError(f"tolerance must be >= 0 seconds, got {tolerance!r}")
    out: dict = {}
    same = [iv.label for iv in r] == [iv.label for iv in h] and len(r) > 0
    if same:
        err = np.abs(boundary_errors(r, h)) * 1000.0
        out["n_boundaries"] = int(err.size)
        out["mean_abs_ms"] = float(np.round(err.mean(), 9))
        out["median_abs_ms"] = float(np.round(np.median(err), 9))
        for ms in (10, 20, 50):
            out[f"within_{ms}ms"] = float(100.0 * np.mean(err <= ms + _EPS * 1000))
    else:
        out["n_boundaries"] = 0
        for key in ("mean_abs_ms", "median_abs_ms", "within_10ms", "within_20ms", "within_50ms"):
            out[key] = float("nan")
    rb, hb = _boundary_set(r), _boundary_set(h)
    m = match_boundaries(rb, hb, tolerance)
    p = m / hb.size if hb.size else float("nan")
    rc = m / rb.size if rb.size else float("nan")
    out["boundary_precision"] = p
    out["boundary_recall"] = rc
    out["boundary_f1"] = 2 * p * rc / (p + rc) if (p + rc) > 0 else 0.0
    return out


def pooled_boundary_report(refs: Sequence[Sequence[Interval]], hyps: Sequence[Sequence[Interval]],
                           tolerance: float = 0.02) -> dict:
    """:func:`boundary_report` over many utterances at once.

    The utterances are laid end to end (with a gap wider than ``tolerance``) so
    that boundaries of different utterances are never matched to each other;
    each ``refs[i]``/``hyps[i]`` pair must have the same labels.

    Returns
    -------
    dict
        As :func:`boundary_report`; every metric is ``nan`` when there is no boundary.

    Examples
    --------
    >>> a = [[Interval("a", 0.0, 0.5)], [Interval("b", 0.0, 1.0)]]
    >>> b = [[Interval("a", 0.01, 0.5)], [Interval("b", 0.0, 1.05)]]
    >>> r = pooled_boundary_report(a, b)
    >>> r["n_boundaries"], r["mean_abs_ms"], r["within_20ms"]
    (4, 15.0, 75.0)
    """
    if len(refs) != len(hyps):
        raise InputError(f"refs and hyps must hold the same number of utterances, got {len(refs)} and {len(hyps)}")
    r_all, h_all, off = [], [], 0.0
    for r, h in zip(refs, hyps):
        r_all += [Interval(v.label, v.start + off, v.end + off) for v in r]
        h_all += [Interval(v.label, v.start + off, v.end + off) for v in h]
        off += max([v.end for v in [*r, *h]], default=0.0) + 1.0 + 2 * tolerance
    rep = boundary_report(r_all, h_all, tolerance=tolerance)
    if rep["n_boundaries"] == 0:
        rep = {k: (0 if k == "n_boundaries" else float("nan")) for k in rep}
    return rep
