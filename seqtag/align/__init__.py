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

__getattr__, __dir__, __all__ = lazy_exports(__name__, globals(), """
    .aligners.base: Aligner
    .result: AlignmentResult
    .aligners.ctc: CTCAligner
    .aligners.attention: AttentionAligner train_attention
    .aligners.hmm_gmm: HMMAligner hmm_features
    .aligners.english: EnglishAligner
    .word_timing: align_emissions word_timing refine_result
    .monotonic: monotonic_alignment path_bounds
    .plots: plot_alignment plot_alignments
    .refine: refine_word_boundaries
    .lexicon: Lexicon
    .ctc: ctc_align ctc_align_batch ctc_band
    .ctc_decode: ctc_collapse ctc_greedy_decode ctc_prefix_beam_search
    .formats: read_ctm read_json write_ctm write_json write_textgrid
    seqtag.intervals: read_textgrid Interval
    .spans: TokenSpan frames_to_seconds group_words merge_tokens spans_to_intervals
""")
