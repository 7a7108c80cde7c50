"""The linear-chain CRF tagger: feature templates, L-BFGS / OWL-QN training, Viterbi decoding."""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
from threadpoolctl import threadpool_limits

from .._validation import store_params
from ..base import MarginalsMixin, Tagger
from ..exceptions import InputError
from ._kernels import emission_scores
from ._optim import CRFObjective, lbfgs, owlqn
from .features import (
    DEFAULT_FEATURES_V1,
    FeatureExtractor,
    parse_features,
    template_specs,
)

__all__ = ["CRFTagger"]

_ALGORITHMS = ("lbfgs",)


def _number(value: Any, name: str, low: float, *, integer: bool = False, strict: bool = False) -> None:
    kind = numbers.Integral if integer else numbers.Real
    ok = isinstance(value, kind) and not isinstance(value, bool) and np.isfinite(value)
    ok = ok and (value > low if strict else value >= low)
    if not ok:
        what = "an int" if integer else "a finite number"
        raise InputError(f"{name} must be {what} {'>' if strict else '>='} {low}, got {value!r}")


class CRFTagger(MarginalsMixin, Tagger):
    """Linear-chain conditional random field over sparse token attributes.

    Each token gets attributes from feature templates (word, affixes, shape, flags,
    context words ...) and/or a user ``feature_fn``; a weight per observed (attribute,
    tag) pair plus tag-transition, first-tag and last-tag weights are trained by
    maximum likelihood with CRFsuite's regularisation::

        NLL(w) + c1 * sum|w| + c2 * sum w**2

    (NLL summed over sentences).  ``c1 == 0``: L-BFGS (scipy ``L-BFGS-B``);
    ``c1 > 0``: OWL-QN (L1, sparse weights).  Decoding, N-best lists and marginals use
    the chain kernels shared with the HMM (:mod:`seqtag.chains.dense`).  The defaults
    (templates, ``c2``, ``min_freq``, ``max_iter``) are the settings chosen on the PTB-sample
    dev split (docs/benchmarks.md, CRF section).

    Parameters
    ----------
    algorithm : {"lbfgs"}, default "lbfgs"
        Quasi-Newton training; OWL-QN is used automatically when ``c1 > 0``
        (as CRFsuite's ``lbfgs`` does).
    c1 : float, default 0.0
        L1 strength.
    c2 : float, default 0.3
        L2 strength.
    max_iter : int, default 150
        Maximum optimiser iterations.
    tol : float, default 1e-5
        Stop when the relative objective decrease is below ``tol`` (scipy ``ftol``
        for L-BFGS; CRFsuite's ``delta`` over 10 iterations for OWL-QN).
    features : None, list or dict, default None
        Template configuration, see :mod:`seqtag.crf.features`; ``None`` means
        :data:`~seqtag.crf.features.DEFAULT_FEATURES` and ``[]`` no templates (then
        ``feature_fn`` must be given).  A saved model records its templates, so a
        later change of the defaults does not change a loaded model.
    feature_fn : callable, optional
        ``feature_fn(tokens, i) -> list[str] | dict[str, float]``: extra attributes of
        token ``i``.  A model with a ``feature_fn`` cannot be saved (a function is not
        JSON); the error says so.
    min_freq : int, default 2
        Drop attributes active on fewer training tokens (2: a word seen once gets no
        word-identity weight, so its affix and shape weights learn what unknown words do).
    random_state : None or int
        Accepted for interface uniformity; training is deterministic (weights start
        at zero) so it has no effect.
    verbose : bool, default False
        Print optimiser progress.

    Attributes
    ----------
    tags_ : list of str
        Tag set, sorted; index = label id.
    attributes_ : list of str
        Attribute strings (saved as a JSON list).
    state_weights_ : ndarray (F,)
        Weight of each (attribute, tag) feature; the features of attribute ``a`` are
        ``attr_ptr_[a]:attr_ptr_[a+1]`` with tags ``feat_label_[...]``.
    transitions_ : ndarray (K, K)
        ``transitions_[i, j]``: score of tag ``j`` after tag ``i``.
    start_, end_ : ndarray (K,)
        Scores of the first and last tag.
    n_iter_ : int
        Optimiser iterations run.
    training_info_ : dict
        Objective, convergence message, number of function evaluations.

    Examples
    --------
    >>> X = [["the", "dog", "runs"], ["a", "cat", "sleeps"]] * 5
    >>> y = [["DT", "NN", "VBZ"], ["DT", "NN", "VBZ"]] * 5
    >>> tagger = CRFTagger(max_iter=30).fit(X, y)
    >>> tagger.predict([["the", "cat", "runs"]])
    [['DT', 'NN', 'VBZ']]
    >>> paths, scores = tagger.predict_nbest([["the", "cat", "runs"]], k=2)[0]
    >>> paths[0]
    ['DT', 'NN', 'VBZ']
    """

    warm_up_params: ClassVar[dict[str, Any] | None] = {"max_iter": 2, "verbose": False}

    def __init__(self, algorithm: str = "lbfgs", c1: float = 0.0, c2: float = 0.3, max_iter: int = 150,
                 tol: float = 1e-5, features: Any = None, feature_fn: Callable | None = None,
                 min_freq: int = 2, random_state: int | None = None, verbose: bool = False):
        store_params(self, locals())

    # ------------------------------------------------------------- training
    def _check_params(self) -> None:
        if self.algorithm not in _ALGORITHMS:
            raise InputError(
                f"unknown algorithm {self.algorithm!r}; valid: {', '.join(map(repr, _ALGORITHMS))} "
                f"(L1 via OWL-QN is selected by c1 > 0)"
            )
        _number(self.c1, "c1", 0.0)
        _number(self.c2, "c2", 0.0)
        _number(self.max_iter, "max_iter", 1, integer=True)
        _number(self.tol, "tol", 0.0)
        _number(self.min_freq, "min_freq", 1, integer=True)
        if self.feature_fn is not None and not callable(self.feature_fn):
            raise InputError(f"feature_fn must be a callable (tokens, i) -> list or dict, got {self.feature_fn!r}")
        if not parse_features(self.features) and self.feature_fn is None:
            raise InputError("features=[] selects no template and no feature_fn is given; the CRF needs attributes")

    def _fit(self, X: list[list[str]], y: list[list[str]], **kwargs: Any) -> None:
        if kwargs:
            raise InputError(f"CRFTagger.fit takes no extra arguments, got {sorted(kwargs)}")
        X = [s for s in X if s]
        y = [t for t in y if t]
        extractor = FeatureExtractor(self.features, self.feature_fn)
        M = extractor.fit_transform(X, self.min_freq)
        self.tags_ = sorted({t for tags in y for t in tags})
        K = len(self.tags_)
        tag_id = {t: k for k, t in enumerate(self.tags_)}
        labels = np.fromiter((tag_id[t] for tags in y for t in tags), dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum([len(s) for s in X])]).astype(np.int64)
        # state features: (attribute, tag) pairs seen in training, attribute-major
        token_of = np.repeat(np.arange(M.shape[0]), np.diff(M.indptr))
        keys = np.unique(M.indices.astype(np.int64) * K + labels[token_of])
        attr_ptr = np.searchsorted(keys, np.arange(M.shape[1] + 1, dtype=np.int64) * K)
        feat_label = keys % K
        obj = CRFObjective(attr_ptr, feat_label, M.indptr, M.indices, M.data, labels, offsets, K, c2=self.c2)
        theta0 = np.zeros(obj.n_params)
        # The optimisers' vector operations are too small for threaded BLAS, whose idle
        # threads only steal time from the numba kernel (3x slower on a loaded machine).
        with threadpool_limits(1, user_api="blas"):
            if self.c1 > 0:
                theta, info = owlqn(obj, theta0, float(self.c1), self.max_iter, float(self.tol), verbose=self.verbose)
            else:
                theta, info = lbfgs(obj, theta0, self.max_iter, float(self.tol), verbose=self.verbose)
        w, tr, st, en = obj.split(theta)
        self._extractor = extractor
        self.attributes_ = extractor.attributes_
        self.attr_ptr_ = attr_ptr.astype(np.int64)
        self.feat_label_ = feat_label.astype(np.int64)
        self.state_weights_ = w.copy()
        self.transitions_ = tr.copy()
        self.start_ = st.copy()
        self.end_ = en.copy()
        self.n_iter_ = info["n_iter"]
        self.training_info_ = {**info, "n_evals": obj.n_evals, "n_features": int(obj.F)}

    # ------------------------------------------------------------ inference
    def _scores(self, X: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
        """Emission scores (N, K) of the concatenated sentences and their lengths (n,)."""
        M = self._extractor.transform(X)
        E = emission_scores(self.state_weights_, self.attr_ptr_, self.feat_label_, M.indptr.astype(np.int64),
                            M.indices.astype(np.int64), M.data.astype(np.float64), len(self.tags_))
        return E, np.array([len(s) for s in X], dtype=np.int64)

    def _predict(self, X: list[list[str]]) -> list[list[str]]:
        from ..chains.dense import batch_viterbi

        E, lengths = self._scores(X)
        paths, _ = batch_viterbi(self.start_, self.transitions_, E, lengths, log_end=self.end_)
        tags = np.asarray(self.tags_, dtype=object)[paths]
        out, o = [], 0
        for n in lengths:
            out.append(list(tags[o:o + n]))
            o += n
        return out

    def _checked(self, X) -> list[list[str]]:
        from .._validation import check_sentences

        self._check_fitted()
        return check_sentences(X)

    def _posteriors(self, sents: list[list[str]]) -> np.ndarray:
        """(tokens, K) forward-backward marginals, like sklearn-crfsuite's ``predict_marginals``."""
        from ..chains.dense import batch_posteriors

        E, lengths = self._scores(sents)
        return batch_posteriors(self.start_, self.transitions_, E, lengths, log_end=self.end_)[1]

    def predict_nbest(self, X, k: int = 5) -> list[tuple[list[list[str]], list[float]]]:
        """The ``k`` highest-scoring tag sequences of every sentence.

        Parameters
        ----------
        X : list of list of str
        k : int, default 5
            Number of sequences (fewer when a sentence has fewer possible taggings).

        Returns
        -------
        list of (list of list of str, list of float)
            Per sentence: the sequences, best first, and their unnormalised scores
            (log-potentials; subtract log Z for log-probabilities).  The same shape for
            every ``k``, including ``k == 1``; an empty sentence gives ``([[]], [0.0])``.
        """
        from ..chains.dense import nbest_viterbi

        _number(k, "k", 1, integer=True)
        Xs = self._checked(X)
        out = []
        keep = [s for s in Xs if s]
        E_all = self._scores(keep)[0] if keep else None
        o = 0
        for s in Xs:
            if not s:
                out.append(([[]], [0.0]))
                continue
            E = E_all[o:o + len(s)]
            o += len(s)
            paths, scores = nbest_viterbi(self.start_, self.transitions_, E, int(k), log_end=self.end_)
            good = np.isfinite(scores)
            out.append(([[self.tags_[j] for j in p] for p in paths[good]], [float(v) for v in scores[good]]))
        return out

    # ---------------------------------------------------------- persistence
    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        # the templates themselves, not just ``features``: what ``features=None`` means may change
        state = {"tags": list(self.tags_), "attributes": list(self.attributes_), "n_iter": int(self.n_iter_),
                 "training_info": dict(self.training_info_), "templates": template_specs(self._extractor.templates)}
        arrays = {"attr_ptr": self.attr_ptr_, "feat_label": self.feat_label_, "state_weights": self.state_weights_,
                  "transitions": self.transitions_, "start": self.start_, "end": self.end_}
        return state, arrays

    def _set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.tags_ = list(state["tags"])
        self.attributes_ = list(state["attributes"])
        self.n_iter_ = int(state["n_iter"])
        self.training_info_ = dict(state["training_info"])
        self.attr_ptr_ = np.asarray(arrays["attr_ptr"], dtype=np.int64)
        self.feat_label_ = np.asarray(arrays["feat_label"], dtype=np.int64)
        self.state_weights_ = np.asarray(arrays["state_weights"], dtype=np.float64)
        self.transitions_ = np.asarray(arrays["transitions"], dtype=np.float64)
        self.start_ = np.asarray(arrays["start"], dtype=np.float64)
        self.end_ = np.asarray(arrays["end"], dtype=np.float64)
        K, F = len(self.tags_), len(self.state_weights_)
        if (self.transitions_.shape != (K, K) or self.start_.shape != (K,) or self.end_.shape != (K,)
                or self.attr_ptr_.shape != (len(self.attributes_) + 1,) or self.feat_label_.shape != (F,)
                or (F and (self.feat_label_.min() < 0 or self.feat_label_.max() >= K))
                or self.attr_ptr_[0] != 0 or self.attr_ptr_[-1] != F or np.any(np.diff(self.attr_ptr_) < 0)):
            raise ValueError("CRF arrays have inconsistent shapes or indices")
        if "templates" in state:
            features = list(state["templates"])
        else:  # saved before the templates were recorded, when features=None meant DEFAULT_FEATURES_V1
            features = DEFAULT_FEATURES_V1 if self.features is None else self.features
        self._extractor = FeatureExtractor(features, self.feature_fn).set_attributes(self.attributes_)
