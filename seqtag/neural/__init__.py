"""Neural taggers (PyTorch): :class:`BiLSTMTagger` and :class:`TransformerTagger`.

Both share one base (:mod:`seqtag.neural.base`), one training loop
(:mod:`seqtag.neural.train`) and a softmax or CRF output layer.  Names are
imported lazily so that ``import seqtag.neural`` does not load torch.
"""

from __future__ import annotations

from .._lazy import lazy_exports

_LAZY = {
    "BiLSTMTagger": "seqtag.neural.bilstm",
    "TransformerTagger": "seqtag.neural.transformer",
    "NeuralTagger": "seqtag.neural.base",
    "Vocab": "seqtag.neural.vocab",
    "read_embeddings": "seqtag.neural.embeddings",
}

__all__ = list(_LAZY)


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
