"""Alignment output: Praat TextGrid (via praatio), NIST CTM and JSON, with readers.

All writers take tiers as ``{tier_name: [Interval, ...]}`` in seconds (see
:class:`seqtag.intervals.Interval`).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from typing import IO

from ..exceptions import InputError
from ..intervals import Interval, read_textgrid

__all__ = ["write_textgrid", "read_textgrid", "write_ctm", "read_ctm", "write_json", "read_json"]


def _check_tiers(tiers: Mapping[str, Sequence[Interval]]) -> None:
    if not isinstance(tiers, Mapping) or not tiers:
        raise InputError("tiers must be a non-empty dict {tier name: list of Interval}")
    for name, items in tiers.items():
        prev_end = -math.inf
        for i, iv in enumerate(items):
            if not isinstance(iv, Interval):
                raise InputError(f"tier {name!r} item {i} must be an Interval, got {type(iv).__name__}")
            if iv.start < prev_end - 1e-9:
                raise InputError(
                    f"tier {name!r}: interval {i} ({iv.label!r}, {iv.start}-{iv.end}) overlaps the previous "
                    f"one ending at {prev_end}; intervals of a tier must be sorted and disjoint"
                )
            prev_end = iv.end


def write_textgrid(path: str | os.PathLike, tiers: Mapping[str, Sequence[Interval]], duration: float | None = None) -> None:
    """Write interval tiers to a Praat TextGrid (long text format).

    Parameters
    ----------
    path : str or path-like
    tiers : dict of str to list of Interval
        E.g. ``{"words": [...], "chars": [...]}``; tier order is kept. Scores are not stored
        (TextGrid has no field for them); use :func:`write_json` to keep them.
    duration : float or None
        Total duration in seconds (xmax); default the last interval's end. Gaps
        (including before the first and after the last interval) become empty
        intervals, as Praat expects.

    Examples
    --------
    >>> write_textgrid("a.TextGrid", {"words": [Interval("hi", 0.1, 0.4)]}, 1.0)  # doctest: +SKIP
    """
    from praatio import textgrid

    _check_tiers(tiers)
    end = max((iv.end for items in tiers.values() for iv in items), default=0.0)
    duration = end if duration is None else float(duration)
    if duration < end - 1e-9 or duration <= 0:
        raise InputError(f"duration={duration} must be positive and cover the last interval end {end}")
    tg = textgrid.Textgrid()
    for name, items in tiers.items():
        entries = [(iv.start, iv.end, iv.label) for iv in items if iv.end > iv.start and iv.label != ""]
        tg.addTier(textgrid.IntervalTier(str(name), entries, 0.0, duration))
    try:
        tg.save(str(path), format="long_textgrid", includeBlankSpaces=True, reportingMode="silence")
    except Exception as exc:  # praatio raises its own error types
        raise InputError(f"praatio could not write {str(path)!r}: {exc}") from exc


def _open(path_or_file, mode: str):
    if hasattr(path_or_file, "write") or hasattr(path_or_file, "read"):
        return path_or_file, False
    return open(path_or_file, mode, encoding="utf-8"), True


def write_ctm(
    path_or_file: str | os.PathLike | IO[str],
    utt_id: str,
    intervals: Sequence[Interval],
    channel: int = 1,
) -> None:
    """Write intervals as NIST CTM lines ``utt channel start duration label [conf]``.

    Parameters
    ----------
    path_or_file : path or text file object
        A path is overwritten; an open file is appended to (several utterances
        in one CTM).
    utt_id : str
        Utterance id (no whitespace).
    intervals : list of Interval
        Empty labels are skipped; the confidence column is written when the score is not nan.
    channel : int, default 1

    Examples
    --------
    >>> import io
    >>> f = io.StringIO()
    >>> write_ctm(f, "utt1", [Interval("hi", 0.1, 0.4, 0.9)])
    >>> f.getvalue()
    'utt1 1 0.100 0.300 hi 0.900\\n'
    """
    if not utt_id or any(c.isspace() for c in str(utt_id)):
        raise InputError(f"utt_id must be a non-empty string without whitespace, got {utt_id!r}")
    _check_tiers({"ctm": intervals})
    fh, close = _open(path_or_file, "w")
    try:
        for iv in intervals:
            if iv.label == "":
                continue
            if any(c.isspace() for c in iv.label):
                raise InputError(f"CTM labels cannot contain whitespace, got {iv.label!r}")
            line = f"{utt_id} {channel} {iv.start:.3f} {iv.end - iv.start:.3f} {iv.label}"
            if not math.isnan(iv.score):
                line += f" {iv.score:.3f}"
            fh.write(line + "\n")
    finally:
        if close:
            fh.close()


def read_ctm(path_or_file: str | os.PathLike | IO[str]) -> dict[str, list[Interval]]:
    """Read a CTM file into ``{utt_id: [Interval, ...]}`` (channel ignored).

    Examples
    --------
    >>> import io
    >>> read_ctm(io.StringIO("u 1 0.10 0.30 hi 0.9\\n"))
    {'u': [Interval(label='hi', start=0.1, end=0.4, score=0.9)]}
    """
    fh, close = _open(path_or_file, "r")
    out: dict[str, list[Interval]] = {}
    try:
        for n, line in enumerate(fh, 1):
            parts = line.split()
            if not parts or parts[0].startswith(";;"):
                continue
            if len(parts) not in (5, 6):
                raise InputError(f"CTM line {n}: expected 'utt channel start duration label [conf]', got {line!r}")
            try:
                start, dur = float(parts[2]), float(parts[3])
                score = float(parts[5]) if len(parts) == 6 else math.nan
            except ValueError as exc:
                raise InputError(f"CTM line {n}: bad number in {line!r}") from exc
            out.setdefault(parts[0], []).append(Interval(parts[4], start, round(start + dur, 9), score))
    finally:
        if close:
            fh.close()
    return out


def write_json(
    path_or_file: str | os.PathLike | IO[str],
    tiers: Mapping[str, Sequence[Interval]],
    duration: float | None = None,
    **metadata,
) -> None:
    """Write tiers (with scores) as JSON.

    Layout: ``{"duration": float|null, **metadata, "tiers": {name: [{"label", "start",
    "end", "score"}, ...]}}``; a nan score is written as ``null``.

    Examples
    --------
    >>> import io
    >>> f = io.StringIO()
    >>> write_json(f, {"words": [Interval("hi", 0.1, 0.4)]}, 1.0, utt_id="u1")
    >>> read_json(io.StringIO(f.getvalue()))["words"]
    [Interval(label='hi', start=0.1, end=0.4, score=nan)]
    """
    _check_tiers(tiers)
    doc = {
        "duration": duration,
        **metadata,
        "tiers": {
            name: [
                {"label": iv.label, "start": iv.start, "end": iv.end, "score": None if math.isnan(iv.score) else iv.score}
                for iv in items
            ]
            for name, items in tiers.items()
        },
    }
    fh, close = _open(path_or_file, "w")
    try:
        json.dump(doc, fh, indent=1, ensure_ascii=False)
    finally:
        if close:
            fh.close()


def read_json(path_or_file: str | os.PathLike | IO[str]) -> dict[str, list[Interval]]:
    """Read the tiers written by :func:`write_json`."""
    fh, close = _open(path_or_file, "r")
    try:
        doc = json.load(fh)
    except json.JSONDecodeError as exc:
        raise InputError(f"not a JSON alignment file: {exc}") from exc
    finally:
        if close:
            fh.close()
    if not isinstance(doc, dict) or not isinstance(doc.get("tiers"), dict):
        raise InputError("JSON alignment must be an object with a 'tiers' object (as written by write_json)")
    return {
        name: [Interval(d["label"], d["start"], d["end"], math.nan if d.get("score") is None else d["score"]) for d in items]
        for name, items in doc["tiers"].items()
    }
