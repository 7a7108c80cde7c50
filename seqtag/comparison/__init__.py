"""Same data, many models, one table: the comparison of taggers and of aligners.

- :func:`compare` (:mod:`~seqtag.comparison.taggers`): taggers on one corpus split,
  with significance tests, learning curves and cross-validation; its report folder
  (:mod:`~seqtag.comparison.tagger_report`);
- :func:`compare_aligners` (:mod:`~seqtag.comparison.aligners`): forced aligners on the
  same utterances, boundary errors and speed; its report folder
  (:mod:`~seqtag.comparison.aligner_report`); agreement with MFA's TextGrids
  (:mod:`~seqtag.comparison.mfa`).

Both build named models from the one registry and preset table (:mod:`seqtag.registry`).
"""

from __future__ import annotations

from .._lazy import lazy_exports

_LAZY = {
    "compare": "seqtag.comparison.taggers",
    "ComparisonResult": "seqtag.comparison.taggers",
    "learning_curve": "seqtag.comparison.taggers",
    "write_report": "seqtag.comparison.tagger_report",
    "format_table": "seqtag.comparison.tagger_report",
    "compare_aligners": "seqtag.comparison.aligners",
    "load_splits": "seqtag.comparison.aligners",
    "strip_references": "seqtag.comparison.aligners",
    "write_aligner_report": "seqtag.comparison.aligner_report",
    "format_aligner_table": "seqtag.comparison.aligner_report",
    "mfa_agreement": "seqtag.comparison.mfa",
    "markdown_table": "seqtag.comparison._files",
}

__all__ = list(_LAZY)

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
