"""Detection metrics of trigger-word detection: precision, recall and F1 of detection times.

A detection at ``d`` seconds *hits* a true occurrence ending at ``e`` when
``e - before <= d <= e + after`` (``after`` is typically the run of 1s the model was
trained to output, ``before`` a small allowance for firing slightly early). Every true
occurrence is matched at most once and every detection at most once; the counts come from
a maximum matching, so a detection between two occurrences never costs a hit it could
have given. Unmatched detections are false alarms, unmatched occurrences misses.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..exceptions import InputError

__all__ = ["detection_scores", "match_detections"]


def _times(values, name: str, noun: str = "times", finite: bool = True) -> np.ndarray:
    """``values`` as a flat float64 array of seconds (``finite``: and no NaN or infinity)."""
    try:
        t = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a list of {noun} in seconds, got {str(values)[:80]}") from None
    if t.ndim != 1:
        raise InputError(f"{name} must be a flat list of {noun} in seconds, got shape {t.shape}")
    if finite and not np.isfinite(t).all():
        raise InputError(f"{name} must hold finite times in seconds, got {float(t[~np.isfinite(t)][0])!r}")
    return t


def _window(before: float, after: float) -> None:
    for name, v in (("before", before), ("after", after)):
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not np.isfinite(v) \
                or v < 0:
            raise InputError(f"{name} must be a non-negative number of seconds, got {v!r}")


def match_detections(detections: Sequence[float], ends: Sequence[float], after: float,
                     before: float = 0.0) -> list[tuple[int, int]]:
    """Pair detections with the true occurrences they hit (a maximum matching) in one recording.

    Parameters
    ----------
    detections : sequence of float
        Detection times in seconds, any order.
    ends : sequence of float
        End times of the true occurrences in seconds, any order.
    after, before : float
        A detection at ``d`` can hit an end ``e`` when ``e - before <= d <= e + after``.

    Returns
    -------
    list of (int, int)
        ``(detection index, end index)`` pairs, by detection time; as many as any matching
        can have (every window has the same length, so taking detections in time order and
        giving each the earliest open window that holds it is optimal).

    Examples
    --------
    >>> match_detections([1.2, 1.3, 5.0], [1.0, 1.25], after=0.5)
    [(0, 0), (1, 1)]
    >>> match_detections([0.9], [1.0], after=0.5), match_detections([0.9], [1.0], after=0.5, before=0.1)
    ([], [(0, 0)])
    """
    _window(before, after)
    d, e = _times(detections, "detections"), _times(ends, "ends")
    d_order, e_order = np.argsort(d, kind="stable"), np.argsort(e, kind="stable")
    pairs, j = [], 0
    used = np.zeros(e.size, dtype=bool)
    for i in d_order:
        while j < e.size and e[e_order[j]] + after < d[i]:  # windows that closed before this detection
            j += 1
        k = j
        while k < e.size and (used[e_order[k]]) and e[e_order[k]] - before <= d[i]:
            k += 1
        if k < e.size and not used[e_order[k]] and e[e_order[k]] - before <= d[i] <= e[e_order[k]] + after:
            used[e_order[k]] = True
            pairs.append((int(i), int(e_order[k])))
    return pairs


def detection_scores(detections: Sequence[Sequence[float]], ends: Sequence[Sequence[float]], after: float,
                     before: float = 0.0) -> dict[str, float]:
    """Precision, recall and F1 of detections over many recordings.

    Parameters
    ----------
    detections : sequence of sequence of float
        Per recording, detection times in seconds.
    ends : sequence of sequence of float
        Per recording, end times of the true occurrences in seconds.
    after, before : float
        The hit window (see :func:`match_detections`).

    Returns
    -------
    dict
        ``precision`` (``nan`` without detections), ``recall`` (``nan`` without occurrences),
        ``f1`` (``nan`` when both are ``nan``, 0 when either is 0 or ``nan`` and the other is not),
        ``tp``, ``fp``, ``fn`` (ints).

    Examples
    --------
    >>> s = detection_scores([[1.2, 3.0], []], [[1.0], [2.0]], after=0.5)
    >>> s["precision"], s["recall"], s["f1"], s["tp"], s["fp"], s["fn"]
    (0.5, 0.5, 0.5, 1, 1, 1)
    """
    if isinstance(detections, (str, bytes)) or isinstance(ends, (str, bytes)) or len(detections) != len(ends):
        raise InputError(f"detections and ends must be lists with one entry per recording, got "
                         f"{_len(detections)} and {_len(ends)} entries")
    tp = fp = fn = 0
    for r, (d, e) in enumerate(zip(detections, ends)):
        if np.ndim(d) != 1 or np.ndim(e) != 1:
            raise InputError(f"recording {r}: detections and ends must each be a list of times (one list per "
                             f"recording), got {np.ndim(d)}-D and {np.ndim(e)}-D values")
        hits = len(match_detections(d, e, after, before))
        tp, fp, fn = tp + hits, fp + len(d) - hits, fn + len(e) - hits
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    if tp + fp + fn == 0:
        f1 = float("nan")
    else:
        f1 = 2 * tp / (2 * tp + fp + fn)
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn}


def _len(x) -> str:
    try:
        return str(len(x))
    except TypeError:
        return f"no ({type(x).__name__})"
