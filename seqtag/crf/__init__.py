"""Linear-chain CRFs: a feature-based tagger (numba + L-BFGS) and a torch output layer.

Names are imported lazily so that ``import seqtag.crf`` does not load torch.
"""

from __future__ import annotations

from .._lazy import lazy_exports

_LAZY = {
    "CRF": "seqtag.crf.layer",
    "allowed_transitions": "seqtag.crf.constraints",
    "CRFTagger": "seqtag.crf.tagger",
}

__all__ = list(_LAZY)


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
