"""seqtag: sequence labeling and alignment, classical and neural models side by side.

Public names are imported lazily, so ``import seqtag`` stays fast and torch is
only loaded by the models that need it.
"""

from __future__ import annotations

from ._lazy import lazy_exports

__version__ = "0.1.0"

__getattr__, __dir__, __all__ = lazy_exports(__name__, globals(), """
    .base: Tagger
    .align.aligners.base: Aligner
    .align.aligners.english: EnglishAligner
    .align.result: AlignmentResult
    .persistence: load
    .registry: register_model make_model
    .baseline: BaselineTagger
    .corpora: load_corpus
    .hmm.tagger: HMMTagger
    .hmm.unsupervised: CategoricalHMM
    .crf.tagger: CRFTagger
    .neural.bilstm: BiLSTMTagger
    .neural.transformer: TransformerTagger
    .comparison: compare compare_aligners
    .dataframe: tag_dataframe align_dataframe
    .distributed: tag_dask align_dask to_parquet_as_completed
    .crf.constraints: allowed_transitions
    .align.ctc: ctc_align
    .align.spans: merge_tokens TokenSpan
    .intervals: Interval
    .exceptions: SeqtagError InputError NotFittedError CorpusNotFoundError ModelFileError
""")
__all__.insert(0, "__version__")
