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

__getattr__, __dir__, __all__ = lazy_exports(__name__, globals(), """
    .taggers: compare ComparisonResult learning_curve
    .tagger_report: write_report format_table
    .aligners: compare_aligners load_splits strip_references
    .aligner_report: write_aligner_report format_aligner_table
    .mfa: mfa_agreement
    ._files: markdown_table
""")
