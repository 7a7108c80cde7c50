"""When a detection fires: the per-frame probability has stayed above a threshold long enough (arrays only)."""

from __future__ import annotations

import numpy as np

from ..exceptions import InputError

__all__ = ["fire_frames"]


def fire_frames(prob: np.ndarray, threshold: float, min_frames: int, refractory: int) -> np.ndarray:
    """Frames where a detection fires: the output has stayed above ``threshold`` for ``min_frames`` frames.

    A run of frames above the threshold fires once, at its ``min_frames``-th frame; a firing
    less than ``refractory`` frames after the previous one is dropped.

    Parameters
    ----------
    prob : (frames,) float array
    threshold : float
    min_frames, refractory : int

    Returns
    -------
    (detections,) int64 array
        Frame indices, increasing.

    Examples
    --------
    >>> fire_frames(np.array([0, .9, .9, .9, 0, .9, 0, .8, .8]), 0.5, 2, 3).tolist()
    [2, 8]
    """
    prob = np.asarray(prob)
    if prob.ndim != 1 or prob.dtype.kind not in "fiu":
        raise InputError(f"prob must be a 1-D array of per-frame probabilities, got shape {prob.shape}, "
                         f"dtype {prob.dtype}")
    for name, v in (("min_frames", min_frames), ("refractory", refractory)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise InputError(f"{name} must be a positive int (frames), got {v!r}")
    above = np.concatenate([[False], prob > threshold, [False]])
    edges = np.flatnonzero(np.diff(above.astype(np.int8)))
    starts, stops = edges[::2], edges[1::2]  # runs [start, stop)
    cand = (starts + min_frames - 1)[stops - starts >= min_frames]
    keep: list[int] = []
    for f in cand.tolist():  # few candidates per recording
        if not keep or f - keep[-1] >= refractory:
            keep.append(f)
    return np.asarray(keep, dtype=np.int64)
