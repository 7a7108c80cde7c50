"""The one result type of every aligner: word and unit intervals of one utterance."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ..exceptions import InputError
from ..intervals import Interval

__all__ = ["AlignmentResult"]


@dataclass
class AlignmentResult:
    """Result of aligning one utterance.

    Attributes
    ----------
    words : list of Interval
        One per transcript word, in order, with confidence ``score`` in [0, 1].
    units : list of Interval
        One per character (or phone).
    duration : float
        Audio duration in seconds.
    frame_shift : float
        Seconds per emission frame.
    score : float
        Mean word confidence.
    unit_kind : str
        ``"chars"`` or ``"phones"`` (the tier name of ``units``).
    warnings : list of str
        What the aligner found suspicious (e.g. a transcript that does not seem to
        match the audio); empty when all is well.
    raw : dict
        Aligner-specific details (frame paths, attention, raw boundaries).
    """

    words: list[Interval]
    units: list[Interval]
    duration: float
    frame_shift: float
    score: float
    unit_kind: str = "chars"
    raw: dict = field(default_factory=dict, repr=False)
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self):
        # interval times are rounded to the microsecond; so is the duration, so that (rounding being
        # monotone) no interval ends after it
        self.duration = round(float(self.duration), 6)

    def tiers(self) -> dict[str, list[Interval]]:
        """``{"words": ..., unit_kind: ...}`` for the writers of :mod:`seqtag.align.formats`."""
        return {"words": self.words, self.unit_kind: self.units}

    def write(self, path: str | os.PathLike, utt_id: str = "utt") -> None:
        """Write a ``.TextGrid``, ``.ctm`` (words) or ``.json`` file, by extension."""
        from .formats import write_ctm, write_json, write_textgrid

        suffix = Path(path).suffix.lower()
        if suffix == ".textgrid":
            write_textgrid(path, self.tiers(), duration=self.duration)
        elif suffix == ".ctm":
            write_ctm(path, utt_id, self.words)
        elif suffix == ".json":
            write_json(path, self.tiers(), duration=self.duration, utt_id=utt_id, score=self.score,
                       warnings=self.warnings)
        else:
            raise InputError(f"output must end in .TextGrid, .ctm or .json, got {str(path)!r}")
