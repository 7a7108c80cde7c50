"""What the two neural aligners (CTC, attention) share: features, tokenizer, shifts, calibration.

Both turn a transcript into unit ids (characters or phones), compute log-mel features
at a 10 ms hop, train a torch model, and time words with the rule of
:mod:`seqtag.align.word_timing`, whose start/end shifts are calibrated on reference
boundaries at the end of ``fit`` (``start_shift_`` / ``end_shift_``). Constructor
shifts override the calibrated ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...exceptions import InputError
from ..result import AlignmentResult
from .base import Aligner, check_training_params

__all__ = ["NeuralAligner"]


class NeuralAligner(Aligner):
    """Base of :class:`~seqtag.align.aligners.ctc.CTCAligner` and
    :class:`~seqtag.align.aligners.attention.AttentionAligner` (not for direct use).

    Subclasses set ``_default_stride``, build and train ``model_`` in ``_fit`` and
    implement ``_align_one(audio, transcript, shifts, refine)``.
    """

    _default_stride = 1

    # ---------------------------------------------------------------- helpers
    def _check_params(self) -> None:
        if self.units not in ("chars", "phones"):
            raise InputError(f"units must be 'chars' or 'phones', got {self.units!r}")
        if self.refine not in ("energy", None):
            raise InputError(f"refine must be 'energy' or None, got {self.refine!r}")
        for name in ("model_params", "feature_config"):
            if getattr(self, name) is not None and not isinstance(getattr(self, name), dict):
                raise InputError(f"{name} must be a dict or None, got {getattr(self, name)!r}")
        for name in ("start_shift", "end_shift"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v)):
                raise InputError(f"{name} must be a number of seconds or None, got {v!r}")
        check_training_params(self)

    @property
    def _features(self) -> dict:
        from ._ctc_net import FEATURE_DEFAULTS

        return {**FEATURE_DEFAULTS, **(self.feature_config or {})}

    @property
    def frame_shift(self) -> float:
        """Seconds per emission frame."""
        model = getattr(self, "model_", None)
        stride = model.config["stride"] if model is not None else \
            (self.model_params or {}).get("stride", self._default_stride)
        return self._features["hop_ms"] / 1000.0 * stride

    @property
    def sample_rate(self) -> int:  # type: ignore[override]
        return int(self._features["sr"])

    def _shifts(self) -> tuple[float | None, float | None]:
        s = self.start_shift if self.start_shift is not None else getattr(self, "start_shift_", None)
        e = self.end_shift if self.end_shift is not None else getattr(self, "end_shift_", None)
        return s, e

    def _tokenizer(self, transcripts):
        from ..tokenizers import CharTokenizer, PhoneTokenizer

        cls = CharTokenizer if self.units == "chars" else PhoneTokenizer
        return cls.from_transcripts(transcripts, word_sep=self.word_sep)

    def _calibrate(self, items) -> None:
        """Set ``start_shift_`` / ``end_shift_`` from the items that carry reference words."""
        self.start_shift_ = self.end_shift_ = None
        refs = [(x, t, u.words) for x, t, u in items if getattr(u, "words", None)]
        if self.calibrate and refs:
            self.start_shift_, self.end_shift_ = self._calibrated(refs)

    def _calibrated(self, refs) -> tuple[float, float]:
        """Median reference-minus-raw word boundary differences over ``(audio, transcript, words)``."""
        d_start, d_end = [], []
        for x, t, words in refs:
            r = self._align_one(x, t, (0.0, 0.0), refine=False)
            d_start += [ref.start - s for ref, s in zip(words, r.raw["starts"])]
            d_end += [ref.end - e for ref, e in zip(words, r.raw["ends"])]
        return float(np.median(d_start)), float(np.median(d_end))

    # -------------------------------------------------------------- alignment
    def _align_batch(self, items) -> list[AlignmentResult]:
        return [self._align_one(x, t, self._shifts(), refine=True) for x, t in items]

    def _align_one(self, x: np.ndarray, transcript: str, shifts, refine: bool) -> AlignmentResult:
        raise NotImplementedError

    def _state(self) -> dict[str, Any]:
        """The learned values both neural aligners save (their model's config, tokenizer, shifts)."""
        return {"model": self.model_.config, "tokenizer": self.tokenizer_.get_config(),
                "start_shift": self.start_shift_, "end_shift": self.end_shift_}

    def _restore(self, state: dict[str, Any], net_cls) -> None:
        from ..tokenizers import tokenizer_from_config

        self.model_ = net_cls(**state["model"])
        self.tokenizer_ = tokenizer_from_config(state["tokenizer"])
        self.start_shift_, self.end_shift_ = state["start_shift"], state["end_shift"]

    def _get_weights(self):
        return self.model_.state_dict()

    def _set_weights(self, weights) -> None:
        self.model_.load_state_dict(weights)
        self.model_.eval()
