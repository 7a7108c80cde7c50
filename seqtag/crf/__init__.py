"""Linear-chain CRFs: a feature-based tagger (numba + L-BFGS) and a torch output layer.

Names are imported lazily so that ``import seqtag.crf`` does not load torch.
"""

from __future__ import annotations

import importlib

_LAZY = {
    "CRF": "seqtag.crf.layer",
    "allowed_transitions": "seqtag.crf.constraints",
    "CRFTagger": "seqtag.crf.tagger",
}

__all__ = list(_LAZY)


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'seqtag.crf' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
