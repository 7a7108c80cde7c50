"""The Tagger contract shared by every seqtag tagger.

A tagger is a scikit-learn estimator over sentences: ``X`` is a list of token
lists and ``y`` a list of tag lists.  Subclasses implement four small hooks:

- ``_fit(X, y, **kwargs)``: learn from validated copies of the data, set ``tags_``;
- ``_predict(X)``: tag a list of *non-empty* validated sentences;
- ``_get_state()`` -> ``(state, arrays)``: JSON-able dict and dict of numpy arrays;
- ``_set_state(state, arrays)``: the inverse, on an instance built from ``get_params``.

Saving writes a folder with ``seqtag.json`` (class, parameters, state) and
``arrays.npz`` (read with ``allow_pickle=False``); models with torch weights add
a ``state_dict`` file through ``_save_extra`` / ``_load_extra``.  Nothing is
pickled, and loading only ever builds classes registered with
:func:`register_tagger`, so a foreign or corrupt file is an error, never code.
"""

from __future__ import annotations

import importlib
import json
import os
import zipfile
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator

from . import __version__
from ._validation import check_sentences, check_tagged, check_tokens
from .exceptions import InputError, ModelFileError, NotFittedError

__all__ = ["Tagger", "MarginalsMixin", "register_tagger", "load", "TAGGERS", "FORMAT_VERSION"]

#: Registered tagger classes by class name; :func:`load` builds only these.
TAGGERS: dict[str, type[Tagger]] = {}

#: Version of the on-disk model format written by :meth:`Tagger.save`.
FORMAT_VERSION = 1

_CONFIG = "seqtag.json"
_ARRAYS = "arrays.npz"
_JSON_SCALARS = (str, int, float, bool, type(None))


def register_tagger(cls: type[Tagger]) -> type[Tagger]:
    """Class decorator: make ``cls`` loadable by :func:`load`.

    Parameters
    ----------
    cls : type
        A subclass of :class:`Tagger`.

    Returns
    -------
    type
        ``cls`` unchanged.
    """
    if not (isinstance(cls, type) and issubclass(cls, Tagger)):
        raise TypeError(f"register_tagger expects a Tagger subclass, got {cls!r}")
    TAGGERS[cls.__name__] = cls
    return cls


def _is_json_value(value: Any) -> bool:
    if isinstance(value, _JSON_SCALARS):
        return not (isinstance(value, float) and not np.isfinite(value))
    if isinstance(value, (list, tuple)):
        return all(_is_json_value(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_json_value(v) for k, v in value.items())
    return False


class Tagger(BaseEstimator):
    """Base class of all taggers: scikit-learn ``fit/predict/score`` and NLTK ``tag``.

    Subclasses store their constructor arguments unchanged in ``__init__`` (the
    scikit-learn rule) and set learned attributes, ending in ``_``, in ``_fit``.
    ``tags_`` (the sorted tag set) must be set by every fitted tagger.

    Examples
    --------
    >>> from seqtag import BaselineTagger
    >>> X = [["the", "dog", "runs"], ["a", "cat", "sleeps"]]
    >>> y = [["DT", "NN", "VBZ"], ["DT", "NN", "VBZ"]]
    >>> tagger = BaselineTagger().fit(X, y)
    >>> tagger.tag(["the", "cat", "runs"])
    [('the', 'DT'), ('cat', 'NN'), ('runs', 'VBZ')]
    """

    #: True for taggers whose ``fit`` takes ``X_dev``/``y_dev`` (early stopping);
    #: :func:`seqtag.compare` then passes the corpus' dev split.
    uses_dev_set: ClassVar[bool] = False

    # ------------------------------------------------------------------ hooks
    def _fit(self, X: list[list[str]], y: list[list[str]], **kwargs: Any) -> None:
        raise NotImplementedError

    def _predict(self, X: list[list[str]]) -> list[list[str]]:
        raise NotImplementedError

    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        raise NotImplementedError

    def _set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        raise NotImplementedError

    def _save_extra(self, path: Path) -> None:
        """Write files beyond the JSON config and the arrays (e.g. a torch state_dict)."""

    def _load_extra(self, path: Path) -> None:
        """Read what :meth:`_save_extra` wrote."""

    # ------------------------------------------------------------ public API
    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "tags_")

    def _check_fitted(self) -> None:
        if not self.__sklearn_is_fitted__():
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet; call "
                f"fit(X, y) with tagged sentences before predict, tag, score or save"
            )

    def fit(self, X, y, **kwargs: Any) -> Tagger:
        """Learn from tagged sentences.

        Parameters
        ----------
        X : list of list of str
            Tokenized sentences.
        y : list of list of str
            One tag per token.
        **kwargs
            Passed to the model (e.g. ``X_dev``/``y_dev`` for neural taggers).

        Returns
        -------
        self
        """
        Xs, ys = check_tagged(X, y)
        if sum(len(s) for s in Xs) == 0:
            raise InputError("fit needs at least one token with a tag; all sentences in X are empty")
        self._fit(Xs, ys, **kwargs)
        return self

    def predict(self, X) -> list[list[str]]:
        """Tag sentences.

        Parameters
        ----------
        X : list of list of str
            Tokenized sentences; an empty sentence gets an empty tag list.

        Returns
        -------
        list of list of str
            One tag per token.
        """
        self._check_fitted()
        Xs = check_sentences(X)
        out: list[list[str]] = [[] for _ in Xs]
        idx = [i for i, s in enumerate(Xs) if s]
        if idx:
            for i, tags in zip(idx, self._predict([Xs[i] for i in idx])):
                out[i] = list(tags)
        return out

    def score(self, X, y) -> float:
        """Token accuracy of :meth:`predict` against gold tags ``y``.

        Returns
        -------
        float
            Fraction of tokens tagged correctly (``nan`` when there are none).
        """
        Xs, ys = check_tagged(X, y)
        from .metrics import accuracy

        return accuracy(ys, self.predict(Xs))

    def tag(self, tokens) -> list[tuple[str, str]]:
        """NLTK interface: tag one sentence.

        Parameters
        ----------
        tokens : list of str

        Returns
        -------
        list of (str, str)
        """
        toks = check_tokens(tokens, where="tokens")
        return list(zip(toks, self.predict([toks])[0]))

    def tag_sents(self, sentences) -> list[list[tuple[str, str]]]:
        """NLTK interface: tag many sentences.

        Returns
        -------
        list of list of (str, str)
        """
        Xs = check_sentences(sentences, name="sentences")
        return [list(zip(s, t)) for s, t in zip(Xs, self.predict(Xs))]

    # ------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike) -> Path:
        """Save the fitted model to a folder, without pickle.

        Parameters
        ----------
        path : str or path-like
            Folder to create (or overwrite files in).

        Returns
        -------
        pathlib.Path
            The folder.
        """
        self._check_fitted()
        params = self.get_params(deep=False)
        for key, value in params.items():
            if not _is_json_value(value):
                raise InputError(
                    f"{type(self).__name__} parameter {key}={value!r} cannot be saved as JSON; "
                    f"only str, numbers, bools, None, lists and dicts can; set it to a "
                    f"plain value (or None) before save"
                )
        state, arrays = self._get_state()
        config = {
            "format": "seqtag-model",
            "format_version": FORMAT_VERSION,
            "seqtag_version": __version__,
            "class": type(self).__name__,
            "params": params,
            "state": state,
        }
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        with open(path / _CONFIG, "w", encoding="utf-8") as fh:
            json.dump(config, fh, ensure_ascii=False, indent=1, allow_nan=False)
        np.savez_compressed(path / _ARRAYS, **{k: np.asarray(v) for k, v in arrays.items()})
        self._save_extra(path)
        return path


class MarginalsMixin:
    """``predict_marginals`` for taggers that can compute tag posteriors.

    A subclass implements ``_posteriors(sents) -> (tokens, K)`` for non-empty,
    validated sentences (their tokens one after another, columns in ``tags_`` order).
    """

    def predict_marginals(self, X) -> list[list[dict[str, float]]]:
        """Posterior probability of every tag at every token.

        Parameters
        ----------
        X : list of list of str
            Tokenized sentences; an empty sentence gets an empty list.

        Returns
        -------
        list of list of dict
            ``out[s][i][tag]`` = P(tag at token i | sentence s); each dict sums to 1.
        """
        self._check_fitted()
        Xs = check_sentences(X)
        keep = [s for s in Xs if s]
        post = np.asarray(self._posteriors(keep)) if keep else np.zeros((0, len(self.tags_)))
        out, o = [], 0
        for s in Xs:
            out.append([dict(zip(self.tags_, map(float, row))) for row in post[o : o + len(s)]])
            o += len(s)
        return out

    def _posteriors(self, sents: list[list[str]]) -> np.ndarray:
        raise NotImplementedError


def _import_tagger_module(class_name: str) -> None:
    """Import the module that registers ``class_name`` (only that one: a saved HMM must not pull in torch)."""
    from . import _import_all_taggers
    from .models import MODELS

    if class_name in TAGGERS:
        return
    for module, cls_name, _, _ in MODELS.values():
        if cls_name == class_name:
            importlib.import_module(module)
            return
    _import_all_taggers()  # a class registered outside the presets


def load(path: str | os.PathLike) -> Tagger:
    """Load a model saved by :meth:`Tagger.save`.

    Only classes registered with :func:`register_tagger` are built, arrays are
    read with ``allow_pickle=False`` and torch weights with ``weights_only=True``.

    Parameters
    ----------
    path : str or path-like
        The folder written by ``save``.

    Returns
    -------
    Tagger
        A fitted tagger.

    Raises
    ------
    ModelFileError
        If the folder is missing, corrupt, or not a seqtag model.
    """
    path = Path(path)
    cfg_file = path / _CONFIG
    if not cfg_file.is_file():
        raise ModelFileError(
            f"{path} is not a saved seqtag model: {_CONFIG} is missing; "
            f"save one with tagger.save(path) or `seqtag train ... -o DIR`"
        )
    try:
        with open(cfg_file, encoding="utf-8") as fh:
            config = json.load(fh)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"{cfg_file} is corrupt (not valid JSON): {exc}") from None
    if not isinstance(config, dict) or config.get("format") != "seqtag-model":
        raise ModelFileError(f"{cfg_file} was not written by seqtag (no 'format': 'seqtag-model')")
    if config.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(
            f"{cfg_file} has model format version {config.get('format_version')!r}; this seqtag "
            f"({__version__}) reads version {FORMAT_VERSION}; retrain or use a matching seqtag"
        )
    name = config.get("class")
    if isinstance(name, str):
        _import_tagger_module(name)
    cls = TAGGERS.get(name) if isinstance(name, str) else None
    if cls is None:
        raise ModelFileError(
            f"{cfg_file} names an unknown tagger class {name!r}; known: {sorted(TAGGERS)}"
        )
    params, state = config.get("params"), config.get("state")
    if not isinstance(params, dict) or not isinstance(state, dict):
        raise ModelFileError(f"{cfg_file} is corrupt: 'params' and 'state' must be objects")
    try:
        model = cls(**params)
    except TypeError as exc:
        raise ModelFileError(f"{cfg_file} has parameters {cls.__name__} does not take: {exc}") from None
    arrays_file = path / _ARRAYS
    try:
        with np.load(arrays_file, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except FileNotFoundError:
        raise ModelFileError(f"{arrays_file} is missing; the model folder is incomplete") from None
    except (ValueError, OSError, zipfile.BadZipFile) as exc:
        raise ModelFileError(f"{arrays_file} is corrupt or holds objects (pickle refused): {exc}") from None
    try:
        model._set_state(state, arrays)
        model._load_extra(path)
    except ModelFileError:
        raise
    except (KeyError, ValueError, TypeError, IndexError, RuntimeError) as exc:
        raise ModelFileError(f"{path} is corrupt: {type(exc).__name__}: {exc}") from None
    return model
