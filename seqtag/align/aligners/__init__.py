"""The forced aligners, one module each, all following the :class:`~seqtag.align.aligners.base.Aligner` contract.

- :class:`~seqtag.align.aligners.hmm_gmm.HMMAligner`: flat-start GMM-HMM trained on the corpus it aligns;
- :class:`~seqtag.align.aligners.ctc.CTCAligner`: a small CTC acoustic model trained here;
- :class:`~seqtag.align.aligners.attention.AttentionAligner`: an attention encoder-decoder trained here;
- :class:`~seqtag.align.aligners.english.EnglishAligner`: a pretrained US-English HMM (PocketSphinx's model
  files, seqtag's own front end and decoder), usable without training.
"""

from __future__ import annotations

from ..._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, globals(), """
    .base: Aligner load_audio
    .hmm_gmm: HMMAligner hmm_features
    .ctc: CTCAligner
    .attention: AttentionAligner
    .english: EnglishAligner
""")
