"""Forced alignment, laid out by its data flow.

audio -> features -> emission scores -> alignment kernel -> frame spans -> word/phone
intervals (:mod:`~seqtag.align.spans` holds the one frame-to-seconds rule) -> output
formats (:mod:`~seqtag.align.formats`); boundary metrics are in :mod:`seqtag.metrics`.

- kernels: :mod:`~seqtag.align.ctc` (CTC trellis), :mod:`~seqtag.align.monotonic`
  (monotonic attention paths); left-to-right HMM chains are in :mod:`seqtag.chains`;
- the aligners, one contract: :mod:`seqtag.align.aligners`;
- a pretrained model's files: :mod:`seqtag.align.sphinx`;
- pronunciations and units: :mod:`~seqtag.align.lexicon`, :mod:`~seqtag.align.tokenizers`,
  :mod:`~seqtag.align.transcripts`.

Names are imported lazily so that ``import seqtag.align.spans`` does not load torch or numba.
"""

from __future__ import annotations

from .._lazy import lazy_exports

_LAZY = {
    "Aligner": "seqtag.align.aligners.base",
    "AlignmentResult": "seqtag.align.result",
    "CTCAligner": "seqtag.align.aligners.ctc",
    "AttentionAligner": "seqtag.align.aligners.attention",
    "HMMAligner": "seqtag.align.aligners.hmm_gmm",
    "EnglishAligner": "seqtag.align.aligners.english",
    "hmm_features": "seqtag.align.aligners.hmm_gmm",
    "train_attention": "seqtag.align.aligners.attention",
    "align_emissions": "seqtag.align.word_timing",
    "word_timing": "seqtag.align.word_timing",
    "refine_result": "seqtag.align.word_timing",
    "monotonic_alignment": "seqtag.align.monotonic",
    "path_bounds": "seqtag.align.monotonic",
    "plot_alignment": "seqtag.align.plots",
    "plot_alignments": "seqtag.align.plots",
    "refine_word_boundaries": "seqtag.align.refine",
    "Lexicon": "seqtag.align.lexicon",
    "ctc_align": "seqtag.align.ctc",
    "ctc_align_batch": "seqtag.align.ctc",
    "ctc_band": "seqtag.align.ctc",
    "read_ctm": "seqtag.align.formats",
    "read_json": "seqtag.align.formats",
    "read_textgrid": "seqtag.intervals",
    "write_ctm": "seqtag.align.formats",
    "write_json": "seqtag.align.formats",
    "write_textgrid": "seqtag.align.formats",
    "Interval": "seqtag.intervals",
    "TokenSpan": "seqtag.align.spans",
    "frames_to_seconds": "seqtag.align.spans",
    "group_words": "seqtag.align.spans",
    "merge_tokens": "seqtag.align.spans",
    "spans_to_intervals": "seqtag.align.spans",
}

__all__ = list(_LAZY)

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
