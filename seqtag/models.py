"""Named model presets: ``"hmm2"`` -> ``HMMTagger(order=2)``, used by the CLI and ``compare``.

A preset names the class by module path so that nothing heavy (torch) is
imported until that model is asked for.
"""

from __future__ import annotations

import importlib
from typing import Any

from .exceptions import InputError

__all__ = ["MODELS", "TAGGER_MODULES", "make_tagger", "model_names"]

#: Modules that define (and register) tagger classes.
TAGGER_MODULES = (
    "seqtag.baseline",
    "seqtag.hmm.tagger",
    "seqtag.crf.tagger",
    "seqtag.neural.bilstm",
    "seqtag.neural.transformer",
)

#: preset name -> (module, class name, default parameters, one-line description)
MODELS: dict[str, tuple[str, str, dict[str, Any], str]] = {
    "baseline": ("seqtag.baseline", "BaselineTagger", {}, "most frequent tag per word, suffix guess"),
    "hmm1": ("seqtag.hmm.tagger", "HMMTagger", {"order": 1}, "bigram HMM, suffix model for unknown words"),
    "hmm2": ("seqtag.hmm.tagger", "HMMTagger", {"order": 2}, "TnT-style trigram HMM, shape-specific suffix tries"),
    "crf": ("seqtag.crf.tagger", "CRFTagger", {}, "linear-chain CRF: feature templates, L-BFGS/OWL-QN"),
    "bilstm": ("seqtag.neural.bilstm", "BiLSTMTagger", {"head": "softmax"}, "BiLSTM + char-LSTM, softmax head"),
    "bilstm-crf": ("seqtag.neural.bilstm", "BiLSTMTagger", {"head": "crf"}, "BiLSTM + char-LSTM, CRF head"),
    "transformer": ("seqtag.neural.transformer", "TransformerTagger", {"head": "softmax"},
                    "pre-LN transformer + char-CNN, softmax head"),
    "transformer-crf": ("seqtag.neural.transformer", "TransformerTagger", {"head": "crf"},
                        "pre-LN transformer + char-CNN, CRF head"),
}


def model_names() -> list[str]:
    """Names of the presets whose module is installed, in registry order."""
    names = []
    for name, (module, *_rest) in MODELS.items():
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        names.append(name)
    return names


def make_tagger(name: str, **params: Any):
    """Build an unfitted tagger from a preset name.

    Parameters
    ----------
    name : str
        A key of :data:`MODELS` (see :func:`model_names`).
    **params
        Override the preset's parameters.

    Returns
    -------
    Tagger
    """
    if name not in MODELS:
        raise InputError(f"unknown model {name!r}; valid models: {', '.join(model_names())}")
    module, cls_name, defaults, _ = MODELS[name]
    cls = getattr(importlib.import_module(module), cls_name)
    return cls(**{**defaults, **params})
