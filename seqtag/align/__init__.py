"""Forced alignment: CTC alignment kernels, token/word spans, output formats, boundary metrics."""

from .boundary_metrics import boundary_errors, boundary_report, match_boundaries
from .ctc import ctc_align, ctc_align_batch, ctc_band
from .formats import read_ctm, read_json, read_textgrid, write_ctm, write_json, write_textgrid
from .spans import Interval, TokenSpan, frames_to_seconds, group_words, merge_tokens, spans_to_intervals

__all__ = [
    "Interval",
    "TokenSpan",
    "boundary_errors",
    "boundary_report",
    "ctc_align",
    "ctc_align_batch",
    "ctc_band",
    "frames_to_seconds",
    "group_words",
    "match_boundaries",
    "merge_tokens",
    "read_ctm",
    "read_json",
    "read_textgrid",
    "spans_to_intervals",
    "write_ctm",
    "write_json",
    "write_textgrid",
]
