"""Supervised HMM part-of-speech tagger: bigram or TnT-style trigram, strong unknown words."""

from __future__ import annotations

import sys
from collections import Counter
from numbers import Real
from typing import Any, ClassVar

import numpy as np

from .._validation import store_params
from ..base import MarginalsMixin, Tagger
from ..exceptions import InputError
from ._unknown import SuffixModel

__all__ = ["HMMTagger", "deleted_interpolation"]

#: Batches up to this many tokens are decoded in NumPy while Numba is not loaded yet: loading it
#: costs about a second, one sentence takes milliseconds (``seqtag tag`` of a sentence).
SMALL_BATCH = 256

_DECODERS = ("viterbi", "posterior")


def deleted_interpolation(f3: np.ndarray, order: int = 2) -> np.ndarray:
    """Interpolation weights of unigram, bigram (and trigram) tag models (Brants 2000).

    For every n-gram seen in training, each model estimates it with that
    occurrence removed (``(f - 1) / (f_history - 1)``, ``0`` when the history
    is left empty); the model that estimates best gets the n-gram's count.
    Ties share the count equally.  The weights are then normalised.

    Parameters
    ----------
    f3 : ndarray (K+1, K+1, K+1)
        Trigram counts over sentences padded with the boundary index ``K``
        twice in front and once behind.
    order : {1, 2}
        ``2``: weights (unigram, bigram, trigram); ``1``: (unigram, bigram).

    Returns
    -------
    ndarray (order + 1,)
        Non-negative weights summing to 1.

    Examples
    --------
    >>> f3 = np.zeros((2, 2, 2)); f3[1, 1, 0] = 2; f3[1, 0, 1] = 1; f3[1, 0, 0] = 1; f3[0, 0, 1] = 1
    >>> deleted_interpolation(f3).round(3).tolist()
    [0.2, 0.6, 0.2]
    """
    f2 = f3.sum(0)  # (b, c)
    f1 = f2.sum(0)  # (c,)
    n = f1.sum()
    grams = f3 if order == 2 else f2
    idx = np.nonzero(grams)
    weight = grams[idx]
    c = idx[-1]
    b = idx[-2]

    def ratio(num, den):
        num = np.asarray(num, np.float64)
        den = np.broadcast_to(np.asarray(den, np.float64), num.shape)
        out = np.zeros_like(num)
        ok = den > 0
        out[ok] = num[ok] / den[ok]
        return out

    est = [ratio(f1[c] - 1, n - 1), ratio(f2[b, c] - 1, f2.sum(1)[b] - 1)]
    if order == 2:
        a = idx[0]
        est.append(ratio(f3[a, b, c] - 1, f3.sum(2)[a, b] - 1))
    est = np.stack(est, axis=1)  # (ngrams, models)
    best = est == est.max(axis=1, keepdims=True)
    lam = (best * (weight / best.sum(1))[:, None]).sum(0)
    total = lam.sum()
    return lam / total if total > 0 else np.full(order + 1, 1.0 / (order + 1))


class HMMTagger(MarginalsMixin, Tagger):
    """Supervised hidden Markov model POS tagger (TnT-style trigram by default).

    Transition probabilities interpolate unigram, bigram and (``order=2``)
    trigram tag estimates with weights found by deleted interpolation
    (Brants 2000); the sentence boundary is a tag of its own.  Known words
    emit with their relative frequency ``f(word, tag) / f(tag)``; unseen words
    use a suffix model learned on rare words, with one suffix trie per word
    shape (number, hyphen, capitals, sentence-initial capital, ...).

    Parameters
    ----------
    order : {1, 2}, default 2
        Markov order: ``1`` = bigram HMM, ``2`` = trigram HMM over tag pairs.
    decode : {"viterbi", "posterior"}, default "posterior"
        ``"viterbi"``: best tag sequence; ``"posterior"``: the most probable
        tag at each position (forward-backward marginals), the default because
        it scored higher on the PTB sample's dev split (95.72 % vs 95.67 %,
        unknown words 89.5 % vs 89.2 %).
    beam : float or None, default 1000.0
        Viterbi beam (>= 1): pair states less than ``1/beam`` times as probable
        as the best state at their position are dropped.  ``None`` = exact.
    suffix_length : int, default 10
        Longest suffix used for unknown words.
    rare_threshold : int, default 3
        Words seen at most this often train the unknown-word model.
    theta : float or None, default 2.0
        Suffix interpolation weight (larger = trust long suffixes less);
        ``None`` = TnT's standard deviation of the tag probabilities.  The
        defaults of ``rare_threshold`` and ``theta`` were tuned on the PTB
        sample's dev split.
    lowercase_initial : bool, default True
        An unknown sentence-initial word whose lower-cased form is known
        (``"Stocks"``) is tagged like that known word.

    Attributes
    ----------
    tags_ : list of str
        Tag set, sorted.
    vocab_ : list of str
        Words seen in training.
    lambdas_ : ndarray (order + 1,)
        Interpolation weights (unigram, bigram[, trigram]).
    log_trans3_ : ndarray (K+1, K+1, K+1)
        ``log P(c | a, b)`` with index ``K`` the sentence boundary (for
        ``order=1`` it does not depend on ``a``).
    trigram_counts_ : ndarray (K+1, K+1, K+1)
        Tag trigram counts over boundary-padded sentences.
    emit_counts_ : tuple of ndarray
        ``(word ids, tag ids, counts)`` of every (word, tag) pair seen.
    log_emit_ : ndarray (V, K)
        ``log P(word | tag)`` of known words (``-inf``: never seen together).
    unknown_ : SuffixModel
        The unknown-word model.

    Examples
    --------
    >>> X = [["the", "dog", "runs"], ["a", "cat", "sleeps"], ["the", "cat", "eats"]]
    >>> y = [["DT", "NN", "VBZ"], ["DT", "NN", "VBZ"], ["DT", "NN", "VBZ"]]
    >>> tagger = HMMTagger(order=2).fit(X, y)
    >>> tagger.predict([["a", "dog", "sleeps"]])
    [['DT', 'NN', 'VBZ']]
    """

    warm_up_params: ClassVar[dict[str, Any] | None] = {}

    def __init__(
        self,
        order: int = 2,
        decode: str = "posterior",
        beam: float | None = 1000.0,
        suffix_length: int = 10,
        rare_threshold: int = 3,
        theta: float | None = 2.0,
        lowercase_initial: bool = True,
    ):
        store_params(self, locals())

    # ------------------------------------------------------------ validation
    def _check_params(self) -> None:
        def is_int(v):
            return isinstance(v, (int, np.integer)) and not isinstance(v, bool)

        if not is_int(self.order) or self.order not in (1, 2):
            raise InputError(f"order must be 1 (bigram) or 2 (trigram), got {self.order!r}")
        if self.decode not in _DECODERS:
            raise InputError(f"decode must be one of {_DECODERS}, got {self.decode!r}")
        if self.beam is not None and (
            not isinstance(self.beam, Real) or isinstance(self.beam, bool) or not self.beam >= 1
        ):
            raise InputError(
                f"beam must be None (exact search) or a number >= 1 (e.g. 1000), got {self.beam!r}"
            )
        if not is_int(self.suffix_length) or self.suffix_length < 0:
            raise InputError(f"suffix_length must be an int >= 0, got {self.suffix_length!r}")
        if not is_int(self.rare_threshold) or self.rare_threshold < 1:
            raise InputError(f"rare_threshold must be an int >= 1, got {self.rare_threshold!r}")
        if self.theta is not None and (
            not isinstance(self.theta, Real) or isinstance(self.theta, bool) or not self.theta > 0
        ):
            raise InputError(f"theta must be None (automatic) or a number > 0, got {self.theta!r}")
        if not isinstance(self.lowercase_initial, (bool, np.bool_)):
            raise InputError(f"lowercase_initial must be True or False, got {self.lowercase_initial!r}")

    # ------------------------------------------------------------------ fit
    def _fit(self, X: list[list[str]], y: list[list[str]], **kwargs: Any) -> None:
        if kwargs:
            raise InputError(f"HMMTagger.fit takes no extra arguments, got {sorted(kwargs)}")
        X = [s for s in X if s]
        y = [t for t in y if t]
        self.tags_ = sorted({t for tags in y for t in tags})
        tag_index = {t: i for i, t in enumerate(self.tags_)}
        K = len(self.tags_)
        words = [w for s in X for w in s]
        tag_ids = np.fromiter((tag_index[t] for tags in y for t in tags), np.int64, len(words))
        word_counts = Counter(words)
        self.vocab_ = sorted(word_counts)
        self._word_index = {w: i for i, w in enumerate(self.vocab_)}
        word_ids = np.fromiter((self._word_index[w] for w in words), np.int64, len(words))
        # (word, tag) counts, kept sparse for saving
        pair = np.unique(word_ids * K + tag_ids, return_counts=True)
        self.emit_counts_ = (pair[0] // K, pair[0] % K, pair[1].astype(np.float64))
        # tag trigram counts over boundary-padded sentences
        lengths = np.array([len(s) for s in X], np.int64)
        f3 = np.zeros((K + 1, K + 1, K + 1))
        offsets = np.concatenate([[0], np.cumsum(lengths + 3)[:-1]]).astype(np.int64)
        pieces, pos = [], 0
        for n in lengths:  # BOS BOS t1 .. tn EOS
            pieces += [[K, K], tag_ids[pos : pos + n], [K]]
            pos += n
        padded = np.concatenate(pieces).astype(np.int64)
        starts = np.concatenate([np.arange(o, o + n + 1) for o, n in zip(offsets, lengths)])
        np.add.at(f3, (padded[starts], padded[starts + 1], padded[starts + 2]), 1.0)
        self.trigram_counts_ = f3
        initial = np.zeros(len(words), bool)
        initial[np.cumsum(lengths) - lengths] = True
        rare = np.array([word_counts[w] <= self.rare_threshold for w in words], bool)
        unigram = np.bincount(tag_ids, minlength=K).astype(np.float64)
        self.unknown_ = SuffixModel(K, int(self.suffix_length), self.theta).fit(
            words, initial, tag_ids, rare, unigram / unigram.sum()
        )
        self._build()

    def _build(self) -> None:
        """Derive the log tables from the stored counts (after fit or load)."""
        K = len(self.tags_)
        f3 = self.trigram_counts_
        f2 = f3.sum(0)
        f1 = f2.sum(0)
        lam = deleted_interpolation(f3, self.order)
        if lam[0] < 1e-6:  # keep every tag sequence possible (tiny training sets)
            lam = lam + np.eye(len(lam))[0] * 1e-6
            lam /= lam.sum()
        self.lambdas_ = lam
        p1 = f1 / f1.sum()
        h2 = f2.sum(1, keepdims=True)
        p2 = np.divide(f2, h2, out=np.zeros_like(f2), where=h2 > 0)
        if self.order == 2:
            h3 = f3.sum(2, keepdims=True)
            p3 = np.divide(f3, h3, out=np.zeros_like(f3), where=h3 > 0)
            # an unseen history gives its trigram weight to the bigram
            l3 = np.where(h3 > 0, lam[2], 0.0)
            trans = lam[0] * p1 + (lam[1] + lam[2] - l3) * p2[None] + l3 * p3
        else:
            trans = np.broadcast_to(lam[0] * p1 + lam[1] * p2, (K + 1, K + 1, K + 1))
        with np.errstate(divide="ignore"):
            self.log_trans3_ = np.ascontiguousarray(np.log(trans))
        rows, cols, vals = self.emit_counts_
        tag_totals = np.bincount(cols, weights=vals, minlength=K)
        emit = np.full((len(self.vocab_), K), -np.inf)
        emit[rows, cols] = np.log(vals) - np.log(tag_totals[cols])
        self.log_emit_ = emit

    # -------------------------------------------------------------- predict
    def _emissions(self, X: list[list[str]]) -> np.ndarray:
        """``log P(word | tag)`` of every token, ``(N, K)``; one suffix look-up per unknown type."""
        index = self._word_index
        words = [w for s in X for w in s]
        ids = np.fromiter((index.get(w, -1) for w in words), np.int64, len(words))
        emit = self.log_emit_[np.maximum(ids, 0)]  # (N, K)
        unknown = np.flatnonzero(ids < 0)
        if unknown.size:
            lengths = np.fromiter((len(s) for s in X), np.int64, len(X))
            firsts = set((np.cumsum(lengths) - lengths).tolist())
            keys: dict[tuple[str, bool], int] = {}
            rows: list[np.ndarray] = []
            which = np.empty(unknown.size, np.int64)
            for n, i in enumerate(unknown.tolist()):
                key = (words[i], i in firsts)
                r = keys.get(key)
                if r is None:
                    r = keys[key] = len(rows)
                    rows.append(self._unknown_row(*key))
                which[n] = r
            emit[unknown] = np.stack(rows)[which]
        return emit

    def _unknown_row(self, word: str, initial: bool) -> np.ndarray:
        if initial and self.lowercase_initial:  # "Stocks" opening a sentence is "stocks"
            j = self._word_index.get(word.lower())
            if j is not None:
                return self.log_emit_[j]
        return self.unknown_.log_emission(word, initial)

    def _posteriors(self, X: list[list[str]], emit: np.ndarray | None = None) -> np.ndarray:
        """(tokens, K) posterior tag probabilities (forward-backward); ``decode="posterior"`` takes their argmax."""
        emit = self._emissions(X) if emit is None else emit
        lengths = np.fromiter((len(s) for s in X), np.int64, len(X))
        K = len(self.tags_)
        if "numba" not in sys.modules and lengths.sum() <= SMALL_BATCH:
            # first-order transitions are the trigram table broadcast: the same marginals
            from ..chains.trigram_numpy import trigram_posteriors_small

            return trigram_posteriors_small(self.log_trans3_, emit, lengths)[1]
        if self.order == 1:  # a plain first-order chain: the generic kernels
            from ..chains.dense import batch_posteriors

            bigram = self.log_trans3_[K]  # (K+1, K+1): row K = start, column K = end
            return batch_posteriors(bigram[K, :K], bigram[:K, :K], emit, lengths, bigram[:K, K])[1]
        from ..chains.trigram import trigram_posteriors_batch

        return trigram_posteriors_batch(self.log_trans3_, emit, lengths)[1]

    def _predict(self, X: list[list[str]]) -> list[list[str]]:
        emit = self._emissions(X)  # (N, K)
        lengths = np.fromiter((len(s) for s in X), np.int64, len(X))
        K = len(self.tags_)
        if self.decode == "posterior":
            paths = self._posteriors(X, emit).argmax(1)
        elif self.order == 1:  # a plain first-order chain: the generic kernels
            from ..chains.dense import batch_viterbi

            bigram = self.log_trans3_[K]  # (K+1, K+1): row K = start, column K = end
            paths = batch_viterbi(bigram[K, :K], bigram[:K, :K], emit, lengths, bigram[:K, K])[0]
        else:
            log_beam = np.inf if self.beam is None else float(np.log(self.beam))
            from ..chains.trigram import trigram_viterbi_batch

            paths = trigram_viterbi_batch(self.log_trans3_, emit, lengths, log_beam)[0]
        tags = np.asarray(self.tags_, dtype=object)[paths]
        out, start = [], 0
        for n in lengths:
            out.append(tags[start : start + n].tolist())
            start += n
        return out

    # ---------------------------------------------------------- persistence
    def _get_state(self):
        unk_state, unk_arrays = self.unknown_.get_state()
        rows, cols, vals = self.emit_counts_
        state = {"tags": list(self.tags_), "vocab": list(self.vocab_), "unknown": unk_state}
        arrays = {
            "trigram_counts": self.trigram_counts_,
            "emit_words": rows,
            "emit_tags": cols,
            "emit_counts": vals,
            **{f"unknown_{k}": v for k, v in unk_arrays.items()},
        }
        return state, arrays

    def _set_state(self, state, arrays):
        self.tags_ = [str(t) for t in state["tags"]]
        self.vocab_ = [str(w) for w in state["vocab"]]
        self._word_index = {w: i for i, w in enumerate(self.vocab_)}
        K = len(self.tags_)
        self.trigram_counts_ = np.asarray(arrays["trigram_counts"], np.float64)
        if self.trigram_counts_.shape != (K + 1, K + 1, K + 1):
            raise ValueError(f"trigram_counts has shape {self.trigram_counts_.shape}, expected {(K + 1,) * 3}")
        self.emit_counts_ = (
            np.asarray(arrays["emit_words"], np.int64),
            np.asarray(arrays["emit_tags"], np.int64),
            np.asarray(arrays["emit_counts"], np.float64),
        )
        unk = {k[len("unknown_") :]: v for k, v in arrays.items() if k.startswith("unknown_")}
        self.unknown_ = SuffixModel.from_state(K, int(self.suffix_length), self.theta, state["unknown"], unk)
        self._build()
