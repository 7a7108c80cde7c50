"""The Tagger contract shared by every seqtag tagger.

A tagger is a scikit-learn estimator over sentences: ``X`` is a list of token
lists and ``y`` a list of tag lists.  Subclasses implement small hooks:

- ``_check_params()``: raise InputError for bad constructor arguments (run by
  ``fit`` and again when a saved tagger is loaded);
- ``_fit(X, y, **kwargs)``: learn from validated copies of the data, set ``tags_``;
- ``_predict(X)``: tag a list of *non-empty* validated sentences;
- ``_get_state()`` -> ``(state, arrays)`` and ``_set_state(state, arrays)``: the
  learned values as JSON and numpy arrays (plus ``_get_weights`` / ``_set_weights``
  for torch weights), written by :mod:`seqtag.persistence` -- atomically, never pickled.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from . import exceptions
from ._estimator import Estimator, nltk_method, register_when_imported
from ._validation import check_sentences, check_tagged, check_tokens
from .exceptions import InputError
from .persistence import Persistent

__all__ = ["Tagger", "MarginalsMixin"]


class Tagger(Persistent, Estimator):
    """Base class of all taggers: scikit-learn ``fit/predict/score`` and NLTK's ``TaggerI``.

    Every tagger is an ``nltk.tag.api.TaggerI``: ``tag``, ``tag_sents`` and NLTK's own
    ``accuracy(gold)``, ``evaluate_per_tag``, ``confusion`` ... work on tagged sentences.
    Neither library is imported until it is used (``seqtag tag`` with an HMM needs neither):
    ``isinstance(tagger, TaggerI)`` holds from the moment NLTK is imported, and scikit-learn's
    ``clone``, ``GridSearchCV`` and ``cross_val_score`` take a tagger as they take any estimator.

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

    #: What a saved folder says it holds.
    model_kind: ClassVar[str] = "tagger"

    #: Parameters that make ``fit`` a moment's work (a couple of optimiser steps or iterations):
    #: :func:`seqtag.compare` fits such a copy on a few sentences before it measures the model,
    #: so the one-time start-up of the libraries the model uses (Numba compiling or loading
    #: its kernels, torch choosing its kernels) is not counted in the model's time and memory,
    #: whichever model happens to run first in a process. ``None``: no warm-up.
    warm_up_params: ClassVar[dict[str, Any] | None] = None

    # ------------------------------------------------------------------ hooks
    def _fit(self, X: list[list[str]], y: list[list[str]], **kwargs: Any) -> None:
        raise NotImplementedError

    def _predict(self, X: list[list[str]]) -> list[list[str]]:
        raise NotImplementedError

    # ------------------------------------------------------------ public API
    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "tags_")

    def _check_fitted(self) -> None:
        if not self.__sklearn_is_fitted__():
            raise exceptions.NotFittedError(
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
        self._check_params()
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


    accuracy = nltk_method("accuracy", "Token accuracy of ``tag_sents`` on NLTK-style gold tagged sentences.")
    evaluate = nltk_method("evaluate", "NLTK's deprecated name of :meth:`accuracy`.")
    confusion = nltk_method("confusion", "NLTK's ``ConfusionMatrix`` of the tags on gold tagged sentences.")
    recall = nltk_method("recall", "Per-tag recall on gold tagged sentences.")
    precision = nltk_method("precision", "Per-tag precision on gold tagged sentences.")
    f_measure = nltk_method("f_measure", "Per-tag F-measure on gold tagged sentences.")
    evaluate_per_tag = nltk_method("evaluate_per_tag", "A per-tag precision / recall / F table as text.")
    _confusion_cached = nltk_method("_confusion_cached", "NLTK's cached confusion matrix (used by confusion).")


register_when_imported("nltk.tag.api", "TaggerI", Tagger)


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
