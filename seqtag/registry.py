"""The one registry: every model class seqtag can load, every named model, every preset.

- :data:`CLASSES`: class name -> module, for every tagger and aligner class. Saved
  folders name their class; :func:`seqtag.load` builds only these (plus classes
  added with :func:`register_model`), importing only the module it needs (loading
  an HMM never imports torch).
- :data:`MODELS`: named models (``"hmm2"``, ``"bilstm-crf"``, ``"ctc"``, ``"english"`` ...):
  kind, class, default parameters, one-line description.
- :data:`PRESETS`: per preset (``quick``, ``full``), parameter overrides of named
  models; used by ``seqtag compare`` and ``seqtag compare-aligners`` alike.

Nothing heavy is imported here.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from .exceptions import InputError

__all__ = ["CLASSES", "MODELS", "PRESETS", "PRESET_CURVES", "ModelEntry", "make_model", "model_names",
           "model_class", "register_model", "preset_params"]

#: Loadable class name -> module that defines it.
CLASSES: dict[str, str] = {
    "BaselineTagger": "seqtag.baseline",
    "HMMTagger": "seqtag.hmm.tagger",
    "CRFTagger": "seqtag.crf.tagger",
    "BiLSTMTagger": "seqtag.neural.bilstm",
    "TransformerTagger": "seqtag.neural.transformer",
    "HMMAligner": "seqtag.align.aligners.hmm_gmm",
    "CTCAligner": "seqtag.align.aligners.ctc",
    "AttentionAligner": "seqtag.align.aligners.attention",
    "EnglishAligner": "seqtag.align.aligners.english",
    "TriggerWordDetector": "seqtag.trigger.detector",
}

_EXTRA: dict[str, type] = {}  # classes registered at run time (user subclasses)


@dataclass(frozen=True)
class ModelEntry:
    """A named model.

    Attributes
    ----------
    kind : {"tagger", "aligner"}
    cls : str
        A key of :data:`CLASSES`.
    params : dict
        Constructor arguments (before preset overrides).
    description : str
    learns_from_audio_only : bool
        Aligners: ``fit`` never reads reference boundaries (it may learn from the very
        recordings it aligns, MFA's protocol).
    pretrained : bool
        Aligners: usable without ``fit`` (a model that ships in a package).
    """

    kind: str
    cls: str
    params: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    learns_from_audio_only: bool = False
    pretrained: bool = False


#: Named models, taggers first.
MODELS: dict[str, ModelEntry] = {
    "baseline": ModelEntry("tagger", "BaselineTagger", {}, "most frequent tag per word, suffix guess"),
    "hmm1": ModelEntry("tagger", "HMMTagger", {"order": 1}, "bigram HMM, suffix model for unknown words"),
    "hmm2": ModelEntry("tagger", "HMMTagger", {"order": 2}, "TnT-style trigram HMM, shape-specific suffix tries"),
    "crf": ModelEntry("tagger", "CRFTagger", {}, "linear-chain CRF: feature templates, L-BFGS/OWL-QN"),
    "bilstm": ModelEntry("tagger", "BiLSTMTagger", {"head": "softmax"}, "BiLSTM + char-LSTM, softmax head"),
    "bilstm-crf": ModelEntry("tagger", "BiLSTMTagger", {"head": "crf"}, "BiLSTM + char-LSTM, CRF head"),
    "transformer": ModelEntry("tagger", "TransformerTagger", {"head": "softmax"},
                              "pre-LN transformer + char-CNN, softmax head"),
    "transformer-crf": ModelEntry("tagger", "TransformerTagger", {"head": "crf"},
                                  "pre-LN transformer + char-CNN, CRF head"),
    "hmm": ModelEntry("aligner", "HMMAligner", {}, "flat-start GMM-HMM trained on the corpus it aligns",
                      learns_from_audio_only=True),
    "ctc": ModelEntry("aligner", "CTCAligner", {}, "CTC conv + BiLSTM, calibrated spans snapped to pauses"),
    "attention": ModelEntry("aligner", "AttentionAligner", {}, "attention encoder-decoder + monotonic path"),
    "english": ModelEntry("aligner", "EnglishAligner", {},
                          "pretrained US-English HMM (PocketSphinx's en-us model, seqtag's own decoder)",
                          learns_from_audio_only=True, pretrained=True),
}

_QUICK_NEURAL = {"batch_size": 16, "schedule": "onecycle", "warmup": 0.2, "dropout": 0.1, "char_encoder": "cnn",
                 "char_hidden": 100, "affix_dim": 20}
_QUICK_BILSTM = {**_QUICK_NEURAL, "max_steps": 300, "lr": 2e-2}
_QUICK_TRANSFORMER = {**_QUICK_NEURAL, "max_steps": 400, "lr": 1e-2, "num_layers": 1, "conv_width": 5}
_FULL_NEURAL = {"char_encoder": "cnn", "char_hidden": 100, "affix_dim": 20, "batch_size": 16, "schedule": "onecycle",
                "warmup": 0.1, "min_steps": 800, "patience": None, "restore_best": False}
_FULL_BILSTM = {**_FULL_NEURAL, "hidden_size": 200, "num_layers": 2, "dropout": 0.33, "lr": 0.01, "max_epochs": 12}
_FULL_TRANSFORMER = {**_FULL_NEURAL, "conv_width": 5, "lr": 0.005, "max_epochs": 15}

#: preset -> model name -> constructor overrides. ``quick`` trains every tagger of the 7-tagger
#: PTB demo past 95 % in under 3 minutes on 2 CPU cores (``--jobs 2``; neural taggers by a step
#: budget, so the 10 % curve point gets as many updates) and keeps the aligner comparison a smoke test; ``full`` holds
#: the settings behind the figures in docs/benchmarks.md.
PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    "quick": {
        "crf": {"max_iter": 40},
        # neural: a step budget (the 10 % curve point gets as many updates as the full run), a
        # one-cycle schedule at a high peak, char-CNN, suffix/shape embeddings, little dropout:
        # >= 95.5 % in a few hundred steps
        "bilstm": dict(_QUICK_BILSTM),
        "bilstm-crf": dict(_QUICK_BILSTM),
        "transformer": dict(_QUICK_TRANSFORMER),
        "transformer-crf": dict(_QUICK_TRANSFORMER),
        "hmm": {"max_components": 2, "viterbi_iter": 3, "em_iter": 2},
        "ctc": {"model_params": {"hidden": 32, "channels": 32, "layers": 1}, "epochs": 15, "lr": 5e-3},
        "attention": {"model_params": {"hidden": 32, "channels": 32, "layers": 1, "dec_hidden": 64, "att_dim": 64,
                                       "embed": 32}, "epochs": 15, "batch_size": 4},
    },
    # neural: a one-cycle schedule over 12 (BiLSTM) or 15 (transformer) epochs, at least 800 steps
    # (the learning curve's small subsets), suffix/shape embeddings, char-CNN; patience=None trains
    # the whole schedule and keeps the last epoch's weights (the best dev epoch of a noisy dev curve
    # was sometimes an early one). bilstm-crf: 96.8 % in 420 s of one CPU.
    "full": {
        "bilstm": dict(_FULL_BILSTM),
        "bilstm-crf": dict(_FULL_BILSTM),
        "transformer": dict(_FULL_TRANSFORMER),
        "transformer-crf": dict(_FULL_TRANSFORMER),
        "ctc": {"model_params": {"hidden": 128, "channels": 128, "layers": 2}},
    },
}

#: preset -> learning-curve training fractions of ``seqtag compare`` (the point at 1.0 is the
#: main run itself). ``quick`` has one extra point only: a second one (0.3) took the README demo
#: past its 3 minutes on 2 cores.
PRESET_CURVES: dict[str, tuple[float, ...]] = {"quick": (0.1, 1.0), "full": (0.1, 0.3, 1.0)}


def register_model(cls: type) -> type:
    """Class decorator: make a user-defined tagger or aligner class loadable by :func:`seqtag.load`.

    Parameters
    ----------
    cls : type
        A subclass of :class:`~seqtag.base.Tagger` or :class:`~seqtag.align.aligners.base.Aligner`.

    Returns
    -------
    type
        ``cls`` unchanged.
    """
    if not (isinstance(cls, type) and getattr(cls, "model_kind", None) in ("tagger", "aligner")
            and callable(getattr(cls, "_get_state", None))):
        raise TypeError(f"register_model expects a Tagger or Aligner subclass, got {cls!r}")
    if CLASSES.get(cls.__name__, cls.__module__) != cls.__module__:
        raise TypeError(f"{cls.__name__} is the name of a seqtag class ({CLASSES[cls.__name__]}); rename yours")
    _EXTRA[cls.__name__] = cls
    return cls


def model_class(name: str) -> type | None:
    """The class called ``name`` (importing its module), or None if seqtag knows no such class."""
    if name in _EXTRA:
        return _EXTRA[name]
    module = CLASSES.get(name)
    if module is None:
        return None
    return getattr(importlib.import_module(module), name)


def model_names(kind: str | None = None) -> list[str]:
    """Named models whose modules import here (``kind``: ``"tagger"``, ``"aligner"`` or None for all)."""
    names = []
    for name, entry in MODELS.items():
        if kind is not None and entry.kind != kind:
            continue
        try:
            importlib.import_module(CLASSES[entry.cls])
        except ModuleNotFoundError as exc:  # an optional dependency (or a later feature) is missing
            if exc.name == CLASSES[entry.cls] or not (exc.name or "").startswith("seqtag"):
                continue
            raise
        names.append(name)
    return names


def preset_params(name: str, preset: str | None) -> dict[str, Any]:
    """Constructor arguments of a named model under a preset (defaults, then the preset's overrides)."""
    if preset is not None and preset not in PRESETS:
        raise InputError(f"unknown preset {preset!r}; valid presets: {', '.join(PRESETS)}")
    entry = MODELS[name]
    over = PRESETS.get(preset, {}).get(name, {}) if preset else {}
    return _copy({**entry.params, **over})


def _copy(d: dict) -> dict:
    import copy

    return copy.deepcopy(d)  # presets are never mutated through the models built from them


def make_model(name: str, preset: str | None = None, kind: str | None = None, **params: Any):
    """Build an unfitted model from its name.

    Parameters
    ----------
    name : str
        A key of :data:`MODELS` (see :func:`model_names`).
    preset : str or None
        Apply the overrides of :data:`PRESETS` ``[preset]``.
    kind : {"tagger", "aligner"} or None
        Refuse names of the other kind.
    **params
        Override the parameters.

    Returns
    -------
    Tagger or Aligner

    Examples
    --------
    >>> make_model("hmm1")
    HMMTagger(order=1)
    """
    entry = MODELS.get(name)
    if entry is None or (kind is not None and entry.kind != kind):
        raise InputError(f"unknown model {name!r}; valid models: {', '.join(model_names(kind))}"
                         + (f" ({kind}s)" if kind else ""))
    cls = model_class(entry.cls)
    valid = cls._get_param_names()
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise InputError(f"{name} ({entry.cls}) has no parameter {unknown[0]!r}; its parameters: {', '.join(valid)}")
    return cls(**{**preset_params(name, preset), **params})
