"""From frame-level paths to token spans, word spans and time intervals; the frame-to-seconds rule.

**The frame-to-seconds rule** (one rule for every aligner of seqtag). Frame ``t`` of a
feature stream is centred at ``c0 + t * hop`` seconds, where ``c0`` is the centre of
frame 0 (0 for the centred features of :mod:`seqtag.audio`; half a window for a
front end whose first window starts at sample 0, such as PocketSphinx's). The boundary
between frames ``t - 1`` and ``t`` lies halfway between their centres, so a segment
of frames ``[a, b)`` covers ``[c0 + (a - 1/2) hop, c0 + (b - 1/2) hop]`` seconds, clipped
to the audio. :func:`frames_to_seconds` computes ``offset + t * hop``: pass
``offset = c0 - hop / 2``. Aligners whose frames are peaky (CTC) add calibrated
start/end shifts on top (:mod:`seqtag.align.word_timing`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .._arrays import as_numpy
from ..exceptions import InputError
from ..intervals import Interval

__all__ = ["TokenSpan", "merge_tokens", "group_words", "frames_to_seconds", "spans_to_intervals", "owner_spans",
           "span_seconds"]


@dataclass(frozen=True)
class TokenSpan:
    """A token aligned to frames ``[start, end)`` (end exclusive), like torchaudio's.

    Attributes
    ----------
    token : int or str
        Class index (from :func:`merge_tokens`) or a label (word spans).
    start, end : int
        First frame and one past the last frame.
    score : float
        Confidence in [0, 1]: mean per-frame probability (see :func:`merge_tokens`).
    """

    token: int | str
    start: int
    end: int
    score: float

    def __len__(self) -> int:
        return self.end - self.start


def _to_numpy(x, name: str) -> np.ndarray:
    arr = as_numpy(x)
    if arr.ndim != 1:
        raise InputError(f"{name} must be 1-D (one value per frame), got shape {arr.shape}")
    return arr


def merge_tokens(path, frame_scores, blank: int = 0) -> list[TokenSpan]:
    """Merge runs of equal non-blank labels of a CTC path into token spans.

    Parameters
    ----------
    path : (T,) int array or tensor
        Label per frame, e.g. from :func:`seqtag.align.ctc_align`.
    frame_scores : (T,) float array or tensor
        Log probability of each frame's label.
    blank : int, default 0

    Returns
    -------
    list of TokenSpan
        One span per run; ``score`` is the mean of ``exp(frame_scores)`` over the
        run (torchaudio's tutorial convention: mean frame probability). For a
        forced-alignment path, span ``i`` belongs to ``targets[i]``.

    Examples
    --------
    >>> import numpy as np
    >>> merge_tokens(np.array([0, 3, 3, 0, 4]), np.log([0.9, 0.5, 0.7, 0.9, 1.0]))
    [TokenSpan(token=3, start=1, end=3, score=0.6), TokenSpan(token=4, start=4, end=5, score=1.0)]
    """
    p = _to_numpy(path, "path").astype(np.int64)
    s = _to_numpy(frame_scores, "frame_scores").astype(np.float64)
    if p.shape != s.shape:
        raise InputError(f"path and frame_scores must have the same length, got {p.size} and {s.size}")
    if p.size == 0:
        return []
    change = np.flatnonzero(p[1:] != p[:-1]) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [p.size]])
    probs = np.exp(s)
    return [
        TokenSpan(int(p[a]), int(a), int(b), round(float(probs[a:b].mean()), 12))
        for a, b in zip(starts, ends)
        if p[a] != blank
    ]


def group_words(
    spans: Sequence[TokenSpan], words: Sequence[str], word_lengths: Sequence[int] | None = None
) -> list[TokenSpan]:
    """Group consecutive token spans into word spans.

    Parameters
    ----------
    spans : list of TokenSpan
        Token spans in transcript order (one per target token).
    words : list of str
        The words; they label the result.
    word_lengths : list of int or None
        Tokens per word; default ``len(word)`` (character models).

    Returns
    -------
    list of TokenSpan
        ``token`` is the word, ``start`` / ``end`` the first / last token's frames,
        ``score`` the frame-weighted mean of the token scores.

    Examples
    --------
    >>> sp = [TokenSpan(1, 0, 2, 0.5), TokenSpan(2, 2, 3, 1.0), TokenSpan(3, 5, 6, 0.9)]
    >>> group_words(sp, ["ab", "c"])
    [TokenSpan(token='ab', start=0, end=3, score=0.666666666667), TokenSpan(token='c', start=5, end=6, score=0.9)]
    """
    words = list(words)
    lengths = [len(w) for w in words] if word_lengths is None else [int(n) for n in word_lengths]
    if len(lengths) != len(words):
        raise InputError(f"got {len(words)} words but {len(lengths)} word_lengths")
    if any(n < 1 for n in lengths):
        raise InputError(f"every word needs at least one token, got word_lengths {lengths}")
    if sum(lengths) != len(spans):
        raise InputError(
            f"the words cover {sum(lengths)} tokens but there are {len(spans)} token spans; "
            f"drop the spans of word separators (e.g. '|') first, or pass word_lengths"
        )
    out, i = [], 0
    for word, n in zip(words, lengths):
        group = spans[i : i + n]
        i += n
        frames = sum(len(s) for s in group)
        score = sum(s.score * len(s) for s in group) / frames if frames else math.nan
        out.append(TokenSpan(word, group[0].start, group[-1].end, round(float(score), 12)))
    return out


def frames_to_seconds(frames, hop_s: float, offset_s: float = 0.0):
    """Frame index (or array of them) to seconds: ``offset_s + frames * hop_s``.

    With ``offset_s = c0 - hop_s / 2`` this is the boundary before frame ``frames``
    (the rule of the module docstring).

    Examples
    --------
    >>> frames_to_seconds(25, 0.02)
    0.5
    """
    if not hop_s > 0:
        raise InputError(f"hop_s must be a positive number of seconds, got {hop_s!r}")
    if np.ndim(frames) == 0:
        return offset_s + float(frames) * hop_s
    return offset_s + np.asarray(frames, dtype=np.float64) * hop_s


def owner_spans(frame_owner, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Frames ``[first, end)`` of every owner ``0 .. n - 1`` (word, phone ...) along a decoded path.

    Parameters
    ----------
    frame_owner : (T,) int array
        The owner of every frame, ``-1`` for none (a pause).
    n : int
        Number of owners.

    Returns
    -------
    first, end : (n,) int64 arrays
        The first frame of each owner and one past its last; ``T`` and ``0`` for an owner
        without frames.

    Examples
    --------
    >>> first, end = owner_spans([-1, 0, 0, -1, 1, 1, 1], 2)
    >>> first.tolist(), end.tolist()
    ([1, 4], [3, 7])
    """
    owner = _to_numpy(frame_owner, "frame_owner").astype(np.int64)
    on = owner >= 0
    frames, ids = np.flatnonzero(on), owner[on]
    first = np.full(n, owner.size, dtype=np.int64)
    end = np.zeros(n, dtype=np.int64)
    np.minimum.at(first, ids, frames)
    np.maximum.at(end, ids, frames + 1)
    return first, end


def span_seconds(first, end, hop_s: float, offset_s: float, duration: float) -> tuple[np.ndarray, np.ndarray]:
    """Start and end seconds of frame spans ``[first, end)``, clipped to ``[0, duration]``, ends never before starts.

    Examples
    --------
    >>> starts, ends = span_seconds([1, 4], [3, 7], 0.01, -0.005, 0.06)
    >>> starts.round(3).tolist(), ends.round(3).tolist()
    ([0.005, 0.035], [0.025, 0.06])
    """
    starts = np.clip(frames_to_seconds(np.asarray(first), hop_s, offset_s), 0.0, duration)
    return starts, np.clip(frames_to_seconds(np.asarray(end), hop_s, offset_s), starts, duration)


def spans_to_intervals(
    spans: Sequence[TokenSpan],
    hop_s: float,
    offset_s: float = 0.0,
    labels: Sequence[str] | None = None,
) -> list[Interval]:
    """Convert frame spans to :class:`Interval` s in seconds.

    Parameters
    ----------
    spans : list of TokenSpan
    hop_s : float
        Seconds per frame (e.g. 0.02 for wav2vec2, 0.01 for 10 ms features).
    offset_s : float, default 0
        Time of the start of frame 0 (``c0 - hop_s / 2`` under the rule of the module
        docstring); negative times are clipped to 0.
    labels : list of str or None
        Labels of the intervals (e.g. characters for token ids); default ``str(span.token)``.

    Returns
    -------
    list of Interval

    Examples
    --------
    >>> spans_to_intervals([TokenSpan("hi", 2, 5, 0.8)], 0.02)
    [Interval(label='hi', start=0.04, end=0.1, score=0.8)]
    """
    if labels is not None and len(labels) != len(spans):
        raise InputError(f"got {len(spans)} spans but {len(labels)} labels")
    out = []
    for i, sp in enumerate(spans):
        a = max(0.0, frames_to_seconds(sp.start, hop_s, offset_s))
        b = max(a, frames_to_seconds(sp.end, hop_s, offset_s))
        label = str(sp.token) if labels is None else str(labels[i])
        out.append(Interval(label, round(a, 9), round(b, 9), float(sp.score)))
    return out
