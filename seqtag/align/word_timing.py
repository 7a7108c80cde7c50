"""Word timing from per-unit frame spans: the rule of the CTC and attention aligners.

CTC emissions are peaky: a unit usually occupies one or two frames near its
acoustic onset, the rest of its sound is labelled blank. :func:`word_timing`
therefore takes

* ``start = first frame of the word's first unit * hop + start_shift``;
* ``end = (last frame + 1) of the word's last unit * hop + end_shift``, then
  clamped to ``[start + units * hop, next word's start]`` and to the audio;
* shifted starts are pushed forward (then pulled back from the end of the
  audio) so that every word keeps at least one frame per unit, in order: no
  word of the transcript is ever lost to a zero-length interval;
* units (characters/phones) inside a word are contiguous: each ends where the
  next one starts, the last one at the word end, each at least one frame long.

The shifts default to ``-hop / 2``, which is the frame-to-seconds rule of
:mod:`seqtag.align.spans` for frames centred on ``t * hop``; aligners calibrate them
on reference boundaries. :func:`refine_result` then optionally snaps word
boundaries that face a pause to its edges (:mod:`seqtag.align.refine`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._arrays import as_numpy
from ..exceptions import InputError
from ..intervals import Interval
from .ctc import ctc_align
from .result import AlignmentResult
from .spans import frames_to_seconds, merge_tokens

__all__ = ["align_emissions", "word_timing", "refine_result"]


def _units_of(word: str, index: dict[str, int]) -> list[int]:
    out = []
    for c in word:
        for cand in (c, c.lower(), c.upper()):
            if cand in index:
                out.append(index[cand])
                break
        else:
            raise InputError(f"character {c!r} of word {word!r} is not in the vocabulary; remove or spell it out")
    return out


def align_emissions(
    log_probs,
    transcript: str,
    vocab: list[str],
    frame_shift: float,
    blank: int = 0,
    word_sep: str | None = None,
    start_shift: float | None = None,
    end_shift: float | None = None,
    duration: float | None = None,
    word_units: list[list[int]] | None = None,
    unit_labels: list[str] | None = None,
    unit_kind: str = "chars",
) -> AlignmentResult:
    """Forced-align a transcript to CTC emissions from any model (e.g. your own wav2vec2).

    Parameters
    ----------
    log_probs : (T, C) array or tensor
        Per-frame log probabilities.
    transcript : str
        Words separated by spaces.
    vocab : list of str
        Label of each class (``len(vocab) == C``); characters are matched as
        they are, then lower- and upper-cased.
    frame_shift : float
        Seconds per frame (0.02 for wav2vec2).
    blank : int, default 0
    word_sep : str or None
        A word-separator label in ``vocab`` (e.g. ``"|"``) to insert between words.
    start_shift, end_shift : float or None
        Boundary shifts in seconds (default ``-frame_shift / 2``); see the module docstring.
    duration : float or None
        Audio duration (default ``T * frame_shift``).
    word_units : list of list of int or None
        Class ids of each word's units (default: its characters looked up in ``vocab``).
    unit_labels : list of str or None
        Labels of the units (default: the characters).
    unit_kind : str
        Tier name of the units.

    Returns
    -------
    AlignmentResult

    Examples
    --------
    >>> import numpy as np
    >>> probs = np.full((6, 3), 0.05)
    >>> probs[:, 0] = 0.9                                  # blank everywhere ...
    >>> probs[[1, 4], 0], probs[[1, 4], [1, 2]] = 0.05, 0.9  # ... but "a" at frame 1, "b" at frame 4
    >>> lp = np.log(probs)
    >>> r = align_emissions(lp, "a b", ["<b>", "a", "b"], 0.01, start_shift=0, end_shift=0)
    >>> [(w.label, w.start, w.end) for w in r.words]
    [('a', 0.01, 0.02), ('b', 0.04, 0.05)]
    """
    if not isinstance(transcript, str) or not transcript.split():
        raise InputError("the transcript is empty; forced alignment needs at least one word")
    if not frame_shift > 0:
        raise InputError(f"frame_shift must be a positive number of seconds, got {frame_shift!r}")
    lp = as_numpy(log_probs)
    if lp.ndim != 2 or lp.shape[1] != len(vocab):
        raise InputError(f"log_probs must be (T, C={len(vocab)}) to match vocab, got shape {lp.shape}")
    words = transcript.split()
    index = {s: i for i, s in enumerate(vocab) if i != blank}
    if word_units is None:
        word_units = [_units_of(w, index) for w in words]
        unit_labels = [c for w in words for c in w]
    if len(word_units) != len(words) or any(len(u) == 0 for u in word_units):
        raise InputError("word_units must give at least one unit for every word")
    sep = None
    if word_sep is not None:
        if word_sep not in index:
            raise InputError(f"word_sep {word_sep!r} is not in the vocabulary")
        sep = index[word_sep]
    targets, is_unit = [], []
    for k, u in enumerate(word_units):
        if k and sep is not None:
            targets.append(sep)
            is_unit.append(False)
        targets += list(u)
        is_unit += [True] * len(u)
    T = lp.shape[0]
    reps = sum(1 for a, b in zip(targets[1:], targets[:-1]) if a == b)
    if T < len(targets) + reps:
        raise InputError(
            f"the audio is too short for the transcript: {T} frames ({T * frame_shift:.2f} s) cannot hold "
            f"{len(targets)} units (+{reps} repeated); check that transcript and audio belong together"
        )
    path, scores = ctc_align(lp, np.asarray(targets, dtype=np.int64), blank=blank)
    spans = [s for s, keep in zip(merge_tokens(path, scores, blank=blank), is_unit) if keep]
    return word_timing(spans, words, word_units, unit_labels, unit_kind, frame_shift, start_shift, end_shift,
                       T * float(frame_shift) if duration is None else duration)


def word_timing(spans: list, words: list[str], word_units: list[list[int]], unit_labels: list[str], unit_kind: str,
                frame_shift: float, start_shift: float | None, end_shift: float | None,
                duration: float) -> AlignmentResult:
    """Word and unit intervals in seconds from per-unit frame spans (the rule of :func:`align_emissions`).

    ``spans`` holds one :class:`~seqtag.align.spans.TokenSpan` per unit (frames, in order),
    ``word_units`` the units of each word (only their count is used here).
    """
    hop = float(frame_shift)
    s_shift = -hop / 2 if start_shift is None else float(start_shift)
    e_shift = -hop / 2 if end_shift is None else float(end_shift)
    duration = float(duration)
    raw_starts, raw_ends, confs, groups, i = [], [], [], [], 0
    for u in word_units:
        g = spans[i : i + len(u)]
        i += len(u)
        groups.append(g)
        raw_starts.append(frames_to_seconds(g[0].start, hop))
        raw_ends.append(frames_to_seconds(g[-1].end, hop))
        frames = sum(len(s) for s in g)
        confs.append(sum(s.score * len(s) for s in g) / frames)
    # Shifted boundaries must still give every unit at least one frame, in order: push each
    # start past the previous word's units, then pull back from the end of the audio.
    widths = [hop * len(g) for g in groups]
    starts = [a + s_shift for a in raw_starts]
    floor = 0.0
    for k in range(len(starts)):
        starts[k] = max(starts[k], floor)
        floor = starts[k] + widths[k]
    ceiling = duration
    for k in range(len(starts) - 1, -1, -1):
        starts[k] = min(starts[k], ceiling - widths[k])
        ceiling = starts[k]
    out_words, out_units, labels = [], [], iter(unit_labels)
    for k, w in enumerate(words):
        limit = starts[k + 1] if k + 1 < len(words) else duration
        end = min(max(raw_ends[k] + e_shift, starts[k] + widths[k]), limit)
        out_words.append(Interval(w, round(starts[k], 6), round(end, 6), round(float(confs[k]), 6)))
        n = len(groups[k])
        u_starts = [s.start * hop + s_shift for s in groups[k]]
        u_starts[0] = starts[k]
        for j in range(1, n):  # same rule inside the word: one frame per unit at least
            u_starts[j] = max(u_starts[j], u_starts[j - 1] + hop)
        for j in range(n - 1, 0, -1):
            u_starts[j] = min(u_starts[j], end - hop * (n - j), u_starts[j + 1] - hop if j + 1 < n else end - hop)
        for j, s in enumerate(groups[k]):
            u_end = u_starts[j + 1] if j + 1 < n else end
            out_units.append(Interval(next(labels), round(u_starts[j], 6), round(u_end, 6), round(s.score, 6)))
    return AlignmentResult(
        out_words, out_units, duration, hop, float(np.mean(confs)), unit_kind,
        raw={"starts": raw_starts, "ends": raw_ends},
    )


def refine_result(result: AlignmentResult, refine: str | None, audio: np.ndarray, sr: int,
             anchors: list[tuple[float, float]] | None = None) -> AlignmentResult:
    """``result`` with its word boundaries snapped to pauses (``refine="energy"``); units follow their word.

    Parameters
    ----------
    result : AlignmentResult
        From :func:`word_timing` (``raw`` holds the raw word starts and ends).
    refine : {"energy", None}
        ``None`` returns ``result`` unchanged.
    audio : ndarray
        The samples the result was aligned to.
    sr : int
    anchors : list of (float, float) or None
        Per word, two times inside it (default: its raw first and last CTC spike).

    Returns
    -------
    AlignmentResult
    """
    if refine is None:
        return result
    if refine != "energy":
        raise InputError(f"refine must be None or 'energy', got {refine!r}")
    from .refine import refine_word_boundaries

    if anchors is None:
        anchors = list(zip(result.raw["starts"], result.raw["ends"]))
    words = refine_word_boundaries(result.words, anchors, audio, sr)
    units, k, n = [], 0, len(result.units)
    for old, new in zip(result.words, words):
        first = k  # a word's units are contiguous and end by the word's end
        while k < n and (k == first or result.units[k].end <= old.end + 1e-9):
            k += 1
        for j in range(first, k):
            u = result.units[j]
            start = new.start if j == first else min(max(u.start, new.start), new.end)
            end = new.end if j == k - 1 else min(max(u.end, start), new.end)
            units.append(Interval(u.label, round(start, 6), round(end, 6), u.score))
    return dataclasses.replace(result, words=words, units=units)
