"""Neural taggers (PyTorch): :class:`BiLSTMTagger` and :class:`TransformerTagger`.

Both share one base (:mod:`seqtag.neural.base`), one training loop
(:mod:`seqtag.neural.train`) and a softmax or CRF output layer.  Names are
imported lazily so that ``import seqtag.neural`` does not load torch.
"""

from __future__ import annotations

from .._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, globals(), """
    .bilstm: BiLSTMTagger
    .transformer: TransformerTagger
    .base: NeuralTagger
    .vocab: Vocab
    .embeddings: read_embeddings
""")
