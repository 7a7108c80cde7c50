"""seqtag: sequence labeling and alignment, classical and neural models side by side.

Public names are imported lazily, so ``import seqtag`` stays fast and torch is
only loaded by the models that need it.
"""

from __future__ import annotations

from ._lazy import lazy_exports

__version__ = "0.1.0"

# public name -> module that defines it
_LAZY = {
    "Tagger": "seqtag.base",
    "Aligner": "seqtag.align.aligners.base",
    "AlignmentResult": "seqtag.align.result",
    "load": "seqtag.persistence",
    "register_model": "seqtag.registry",
    "make_model": "seqtag.registry",
    "BaselineTagger": "seqtag.baseline",
    "load_corpus": "seqtag.corpora",
    "HMMTagger": "seqtag.hmm.tagger",
    "CategoricalHMM": "seqtag.hmm.unsupervised",
    "CRFTagger": "seqtag.crf.tagger",
    "BiLSTMTagger": "seqtag.neural.bilstm",
    "TransformerTagger": "seqtag.neural.transformer",
    "compare": "seqtag.comparison",
    "tag_dataframe": "seqtag.dataframe",
    "align_dataframe": "seqtag.dataframe",
    "tag_dask": "seqtag.distributed",
    "align_dask": "seqtag.distributed",
    "to_parquet_as_completed": "seqtag.distributed",
    "allowed_transitions": "seqtag.crf.constraints",
    "ctc_align": "seqtag.align.ctc",
    "merge_tokens": "seqtag.align.spans",
    "TokenSpan": "seqtag.align.spans",
    "Interval": "seqtag.intervals",
    "SeqtagError": "seqtag.exceptions",
    "InputError": "seqtag.exceptions",
    "NotFittedError": "seqtag.exceptions",
    "CorpusNotFoundError": "seqtag.exceptions",
    "ModelFileError": "seqtag.exceptions",
}

__all__ = ["__version__", *_LAZY]


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
