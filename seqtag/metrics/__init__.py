"""Every metric once: tagging (accuracy, known/unknown, per-tag P/R/F1, spans, significance)
alignment (boundary errors, boundary F1, pooled reports) and recognition (WER, CER)."""

from __future__ import annotations

from .asr import ErrorRate, cer, wer
from .boundaries import boundary_errors, boundary_report, by_position, match_boundaries, pooled_boundary_report
from .tagging import (
    SignificanceResult,
    accuracy,
    classification_report,
    confusion_matrix,
    get_spans,
    known_unknown_accuracy,
    macro_f1,
    mcnemar,
    paired_bootstrap,
    sentence_accuracy,
    span_f1,
    span_report,
)

__all__ = [
    "accuracy", "known_unknown_accuracy", "sentence_accuracy", "classification_report", "macro_f1",
    "confusion_matrix", "get_spans", "span_f1", "span_report", "mcnemar", "paired_bootstrap",
    "SignificanceResult", "boundary_errors", "boundary_report", "by_position", "match_boundaries", "pooled_boundary_report",
    "wer", "cer", "ErrorRate",
]
