"""Frame labels of trigger-word detection: 0 everywhere except a run of 1s just after each trigger ends.

Frame ``t`` sits at ``t * hop`` seconds (the convention of :mod:`seqtag.audio.features`
and :func:`seqtag.align.spans.frames_to_seconds`). The run of a trigger that ends at
``end`` seconds starts at the first frame at or after ``end`` (:func:`first_frame_after`)
and covers ``ones`` frames; runs that overlap merge, and a run that would pass the last
frame is cut there.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..exceptions import InputError
from .metrics import _times

__all__ = ["DEFAULT_ONES", "check_ends", "first_frame_after", "run_length", "trigger_labels"]

#: Frames of 1s after each trigger when neither ``ones`` nor ``ones_seconds`` is given.
DEFAULT_ONES = 50
_EPS = 1e-9  # an end of 0.3 s at a 10 ms hop is frame 30, not 31 (0.3 / 0.01 = 29.999999999999996)


def first_frame_after(end: float, hop: float) -> int:
    """Index of the first frame at or after ``end`` seconds: ``ceil(end / hop)`` (float noise ignored).

    Examples
    --------
    >>> first_frame_after(0.3, 0.01), first_frame_after(0.301, 0.01), first_frame_after(0.0, 0.01)
    (30, 31, 0)
    """
    return math.ceil(end / hop - _EPS)


def _check_positive(name: str, value, integer: bool = False) -> None:
    kinds = (int, np.integer) if integer else (int, float, np.integer, np.floating)
    if isinstance(value, bool) or not isinstance(value, kinds) or not np.isfinite(value) or value <= 0:
        what = "a positive int" if integer else "a positive number"
        raise InputError(f"{name} must be {what}, got {value!r}")


def run_length(hop: float, ones: int | None = None, ones_seconds: float | None = None) -> int:
    """Frames per run of 1s from ``ones`` (frames) or ``ones_seconds`` (rounded to frames, at least 1).

    Examples
    --------
    >>> run_length(0.01), run_length(0.02, ones=3), run_length(0.02, ones_seconds=0.5)
    (50, 3, 25)
    """
    _check_positive("hop", hop)
    if ones is not None and ones_seconds is not None:
        raise InputError(f"give the run of 1s in frames (ones={ones!r}) or in seconds "
                         f"(ones_seconds={ones_seconds!r}), not both")
    if ones_seconds is not None:
        _check_positive("ones_seconds", ones_seconds)
        return max(1, round(ones_seconds / hop))
    if ones is None:
        return DEFAULT_ONES
    _check_positive("ones", ones, integer=True)
    return int(ones)


def check_ends(ends, duration: float, where: str = "ends") -> np.ndarray:
    """``ends`` as a float64 array of seconds, each finite and within ``[0, duration]``."""
    e = _times(ends, where, noun="end times", finite=False)  # NaN and infinity: the range check below
    bad = np.flatnonzero(~np.isfinite(e) | (e < 0) | (e > duration + _EPS))
    if bad.size:
        i = int(bad[0])
        raise InputError(f"{where}[{i}] = {float(e[i])!r} s is not a time inside the audio [0, {duration:g}] s; "
                         f"trigger end times must be finite seconds from the start of this recording")
    return e


def trigger_labels(
    n_frames: int,
    ends: Sequence[float],
    hop: float = 0.01,
    ones: int | None = None,
    ones_seconds: float | None = None,
) -> np.ndarray:
    """The 0/1 frame labels of one recording for trigger-word detection.

    Parameters
    ----------
    n_frames : int
        Frames of the recording (of the model's output, e.g. ``1 + n_samples // hop_samples``
        for centred features).
    ends : sequence of float
        End times (seconds) of the trigger's occurrences, in any order; each within
        ``[0, n_frames * hop]`` (the span the frames cover).
    hop : float, default 0.01
        Seconds between frames (``1 / frame rate``).
    ones : int or None
        Frames of 1s after each end (default :data:`DEFAULT_ONES` = 50).
    ones_seconds : float or None
        The same run given in seconds (rounded to frames, at least one); not together with ``ones``.

    Returns
    -------
    (n_frames,) int8 array
        1 on frames ``first_frame_after(end, hop) ... + ones - 1`` of every end (runs merge
        where they overlap, and are cut at the last frame), 0 elsewhere.

    Raises
    ------
    InputError
        Negative or non-integer ``n_frames``; a non-positive ``hop``, ``ones`` or ``ones_seconds``;
        an end that is negative, not finite or past the audio.

    Examples
    --------
    >>> trigger_labels(10, [0.02, 0.075], hop=0.01, ones=3).tolist()
    [0, 0, 1, 1, 1, 0, 0, 0, 1, 1]
    >>> trigger_labels(6, [0.1], hop=0.05, ones_seconds=0.1).tolist()
    [0, 0, 1, 1, 0, 0]
    """
    if isinstance(n_frames, bool) or not isinstance(n_frames, (int, np.integer)) or n_frames < 0:
        raise InputError(f"n_frames must be a non-negative int, got {n_frames!r}")
    run = run_length(hop, ones, ones_seconds)
    e = check_ends(ends, n_frames * hop)
    delta = np.zeros(int(n_frames) + 1, dtype=np.int64)  # +1 at each run's start, -1 after its end
    for end in e:
        a = min(first_frame_after(float(end), hop), int(n_frames))
        delta[a] += 1
        delta[min(a + run, int(n_frames))] -= 1
    return (np.cumsum(delta[:-1]) > 0).astype(np.int8)
