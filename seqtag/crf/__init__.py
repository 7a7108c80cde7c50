"""Linear-chain CRFs: a feature-based tagger (numba + L-BFGS) and a torch output layer.

Names are imported lazily so that ``import seqtag.crf`` does not load torch.
"""

from __future__ import annotations

from .._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, globals(), """
    .layer: CRF
    .constraints: allowed_transitions
    .tagger: CRFTagger
""")
