"""Forced alignment: CTC alignment kernels, aligners, token/word spans, output formats, boundary metrics.

Names are imported lazily so that ``import seqtag.align.spans`` does not load torch or numba.
"""

from __future__ import annotations

from .._lazy import lazy_exports

_LAZY = {
    "AlignmentResult": "seqtag.align.aligner",
    "CTCAligner": "seqtag.align.aligner",
    "align_emissions": "seqtag.align.aligner",
    "AttentionAligner": "seqtag.align.attention",
    "train_attention": "seqtag.align.attention",
    "monotonic_alignment": "seqtag.align.monotonic",
    "path_bounds": "seqtag.align.monotonic",
    "plot_alignment": "seqtag.align.plots",
    "plot_alignments": "seqtag.align.plots",
    "compare_aligners": "seqtag.align.compare",
    "load_aligner": "seqtag.align.compare",
    "pooled_report": "seqtag.align.compare",
    "write_aligner_report": "seqtag.align.compare_report",
    "mfa_agreement": "seqtag.align.mfa_check",
    "refine_word_boundaries": "seqtag.align.refine",
    "HMMAligner": "seqtag.align.hmm_gmm",
    "hmm_features": "seqtag.align.hmm_gmm",
    "Lexicon": "seqtag.align.lexicon",
    "band_to_dense": "seqtag.align.lr_chain",
    "lr_posteriors": "seqtag.align.lr_chain",
    "lr_viterbi": "seqtag.align.lr_chain",
    "boundary_errors": "seqtag.align.boundary_metrics",
    "boundary_report": "seqtag.align.boundary_metrics",
    "match_boundaries": "seqtag.align.boundary_metrics",
    "ctc_align": "seqtag.align.ctc",
    "ctc_align_batch": "seqtag.align.ctc",
    "ctc_band": "seqtag.align.ctc",
    "read_ctm": "seqtag.align.formats",
    "read_json": "seqtag.align.formats",
    "read_textgrid": "seqtag.align.formats",
    "write_ctm": "seqtag.align.formats",
    "write_json": "seqtag.align.formats",
    "write_textgrid": "seqtag.align.formats",
    "Interval": "seqtag.align.spans",
    "TokenSpan": "seqtag.align.spans",
    "frames_to_seconds": "seqtag.align.spans",
    "group_words": "seqtag.align.spans",
    "merge_tokens": "seqtag.align.spans",
    "spans_to_intervals": "seqtag.align.spans",
}

__all__ = list(_LAZY)

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
