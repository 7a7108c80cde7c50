"""Every metric once: token accuracy, known/unknown words, per-tag P/R/F1, spans, significance."""

from __future__ import annotations

import numpy as np

from .exceptions import InputError

__all__ = ["accuracy"]


def _flatten_pair(y_true, y_pred) -> tuple[list[str], list[str]]:
    if len(y_true) != len(y_pred):
        raise InputError(
            f"y_true and y_pred must hold the same number of sentences, got {len(y_true)} and {len(y_pred)}"
        )
    flat_t, flat_p = [], []
    for i, (t, p) in enumerate(zip(y_true, y_pred)):
        if len(t) != len(p):
            raise InputError(f"sentence {i}: {len(t)} gold tags but {len(p)} predicted tags")
        flat_t.extend(t)
        flat_p.extend(p)
    return flat_t, flat_p


def accuracy(y_true, y_pred) -> float:
    """Token accuracy over all sentences.

    Returns ``nan`` when there are no tokens.

    Examples
    --------
    >>> accuracy([["A", "B"], ["C"]], [["A", "X"], ["C"]])
    0.6666666666666666
    """
    t, p = _flatten_pair(y_true, y_pred)
    if not t:
        return float("nan")
    return float(np.mean(np.asarray(t, dtype=object) == np.asarray(p, dtype=object)))
