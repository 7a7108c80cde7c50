"""seqtag: sequence labeling and alignment, classical and neural models side by side.

Public names are imported lazily, so ``import seqtag`` stays fast and torch is
only loaded by the models that need it.
"""

from __future__ import annotations

import importlib

from ._lazy import lazy_exports

__version__ = "0.1.0"

# public name -> module that defines it
_LAZY = {
    "Tagger": "seqtag.base",
    "load": "seqtag.base",
    "register_tagger": "seqtag.base",
    "BaselineTagger": "seqtag.baseline",
    "load_corpus": "seqtag.corpora",
    "HMMTagger": "seqtag.hmm.tagger",
    "CategoricalHMM": "seqtag.hmm.unsupervised",
    "CRFTagger": "seqtag.crf.tagger",
    "BiLSTMTagger": "seqtag.neural.bilstm",
    "TransformerTagger": "seqtag.neural.transformer",
    "make_tagger": "seqtag.models",
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
    "Interval": "seqtag.align.spans",
    "SeqtagError": "seqtag.exceptions",
    "InputError": "seqtag.exceptions",
    "NotFittedError": "seqtag.exceptions",
    "CorpusNotFoundError": "seqtag.exceptions",
    "ModelFileError": "seqtag.exceptions",
}

__all__ = ["__version__", *_LAZY]


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())


def _import_all_taggers() -> None:
    """Import every module that registers a tagger class (used by ``load``)."""
    from .models import TAGGER_MODULES

    for module in TAGGER_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:  # a module of a later feature not built yet
            if exc.name != module:
                raise
