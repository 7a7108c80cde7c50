"""Unknown-word model of the HMM tagger: suffix tries per word-shape class (TnT, extended).

An unseen word gets ``P(tag | word)`` from its last letters, learned on the
rare words of the training data (they look most like unseen ones).  As in
TnT (Brants 2000) the estimate for a suffix of length ``m`` is interpolated
with the estimate for length ``m - 1`` ("successive abstraction")::

    P(t | l[-m:]) = (P^(t | l[-m:]) + theta * P(t | l[-m+1:])) / (1 + theta)

with ``theta`` the standard deviation of the unconditioned tag
probabilities.  Unlike plain TnT, which keeps two tries (capitalised or
not), there is one trie per *shape class* of the word (number, hyphenated,
all capitals, capitalised at the sentence start, capitalised elsewhere,
lower case, other) and the recursion starts from the tag distribution of
that class (itself smoothed towards all rare words) instead of from
``P(t)``.  The tagger turns ``P(t | word)`` into an emission score with
Bayes' rule, ``P(word | t) ~ P(t | word) / P(t)``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SHAPE_CLASSES", "shape_class", "SuffixModel"]

#: The word-shape classes, each with its own suffix trie.
SHAPE_CLASSES = ("num", "hyph", "upper", "cap-first", "cap", "lower", "other")
_INDEX = {c: i for i, c in enumerate(SHAPE_CLASSES)}


def shape_class(word: str, initial: bool) -> int:
    """Index in :data:`SHAPE_CLASSES` of a word's shape.

    Parameters
    ----------
    word : str
        The token.
    initial : bool
        Whether it opens the sentence (a capital there says little).

    Returns
    -------
    int

    Examples
    --------
    >>> [SHAPE_CLASSES[shape_class(w, False)] for w in ["3.5", "ex-wife", "IBM", "Paris", "ran", "%"]]
    ['num', 'hyph', 'upper', 'cap', 'lower', 'other']
    >>> SHAPE_CLASSES[shape_class("Paris", True)]
    'cap-first'
    """
    if not word.isalpha():
        if any(ch.isdigit() for ch in word):
            return _INDEX["num"]
        if "-" in word:
            return _INDEX["hyph"]
    first = word[0]
    if first.isupper():
        if len(word) > 1 and word.isupper():
            return _INDEX["upper"]
        return _INDEX["cap-first"] if initial else _INDEX["cap"]
    if first.isalpha():
        return _INDEX["lower"]
    return _INDEX["other"]


class SuffixModel:
    """``P(tag | suffix, shape)`` by successive abstraction over per-shape suffix tries.

    Parameters
    ----------
    n_tags : int
        Size of the tag set.
    suffix_length : int
        Longest suffix used.
    theta : float or None
        Interpolation weight; ``None`` = TnT's choice (standard deviation of
        the tag unigram probabilities).
    """

    def __init__(self, n_tags: int, suffix_length: int, theta: float | None = None):
        self.n_tags = n_tags
        self.suffix_length = suffix_length
        self.theta = theta

    # ------------------------------------------------------------------ fit
    def fit(self, words, initial, tags, rare, tag_probs) -> SuffixModel:
        """Count suffixes of the rare-word tokens.

        Parameters
        ----------
        words : list of str
            Training tokens.
        initial : list of bool
            Whether each token opens its sentence.
        tags : ndarray (n,) int
            Tag index of each token.
        rare : ndarray (n,) bool
            Which tokens train the model (the rare words).
        tag_probs : ndarray (K,)
            Unigram tag probabilities (for ``theta`` and Bayes' rule).
        """
        K = self.n_tags
        counts: dict[tuple[int, str], np.ndarray] = {}
        class_counts = np.zeros((len(SHAPE_CLASSES), K))
        for word, init, tag, keep in zip(words, initial, tags, rare):
            if not keep:
                continue
            cls = shape_class(word, init)
            class_counts[cls, tag] += 1
            low = word.lower()
            for m in range(1, min(self.suffix_length, len(low)) + 1):
                key = (cls, low[-m:])
                row = counts.get(key)
                if row is None:
                    row = counts[key] = np.zeros(K)
                row[tag] += 1
        self._finish(counts, class_counts, np.asarray(tag_probs, dtype=np.float64))
        return self

    def _finish(self, counts, class_counts, tag_probs) -> None:
        # counts: {(shape class, suffix): (K,) counts}; kept sorted by key for get_state
        keys = sorted(counts)
        dense = np.stack([counts[k] for k in keys]) if keys else np.zeros((0, len(tag_probs)))
        self._finish_dense(keys, dense, class_counts, tag_probs)

    def _finish_dense(self, keys, dense, class_counts, tag_probs) -> None:
        """Smooth every trie node; ``keys`` sorted, ``dense`` (nodes, K) their suffix counts."""
        if any(a >= b for a, b in zip(keys, keys[1:])):
            raise ValueError("suffix keys must be sorted and distinct")
        self.keys_, self.suffix_counts_ = keys, dense
        self.class_counts_ = class_counts
        self.tag_probs_ = tag_probs
        if self.theta is None:
            self.theta_ = float(np.std(tag_probs, ddof=1)) if len(tag_probs) > 1 else 1.0
        else:
            self.theta_ = float(self.theta)
        total = class_counts.sum(0)
        rare_dist = total / total.sum() if total.sum() > 0 else tag_probs.copy()
        th = self.theta_
        base = np.empty_like(class_counts)
        for c in range(class_counts.shape[0]):
            n = class_counts[c].sum()
            ml = class_counts[c] / n if n > 0 else rare_dist
            base[c] = (ml + th * rare_dist) / (1.0 + th)
        self.base_ = base  # (classes, K): P(t | shape), smoothed towards all rare words
        with np.errstate(divide="ignore"):
            self.log_tag_probs_ = np.log(tag_probs)
        # P(t | suffix) depends only on the suffix and its shorter suffixes, so
        # every trie node is smoothed once here, level by level (parents first)
        lengths = np.fromiter((len(k[1]) for k in keys), np.int64, len(keys))
        order = np.argsort(lengths, kind="stable")  # keys are sorted: (length, key) order
        lengths = lengths[order]
        node = self._node = {keys[i]: r for r, i in enumerate(order.tolist())}
        # a one-letter suffix backs off to its shape class, a longer one to itself minus a letter
        parent = np.fromiter((c if len(x) == 1 else node[c, x[1:]] for c, x in (keys[i] for i in order.tolist())),
                             np.int64, len(keys))
        raw = dense[order]
        raw = raw / raw.sum(1, keepdims=True)
        probs = np.empty_like(raw)  # (nodes, K), rows in level order
        for m in np.unique(lengths):
            level = lengths == m
            above = base[parent[level]] if m == 1 else probs[parent[level]]  # one letter: its shape class
            probs[level] = (raw[level] + th * above) / (1.0 + th)
        self.node_probs_ = probs
        self._node_log_emit = self._bayes(probs)
        self._base_log_emit = self._bayes(base)

    def _bayes(self, probs: np.ndarray) -> np.ndarray:
        """``log P(t | x) - log P(t)``; tags never seen in training stay impossible."""
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.log(probs) - self.log_tag_probs_
        out[..., ~np.isfinite(self.log_tag_probs_)] = -np.inf
        return out

    def _longest(self, word: str, initial: bool) -> tuple[int, int]:
        """(shape class, trie node of the longest seen suffix or -1)."""
        cls = shape_class(word, initial)
        low = word.lower()
        node = -1
        for m in range(1, min(self.suffix_length, len(low)) + 1):
            nxt = self._node.get((cls, low[-m:]))
            if nxt is None:
                break
            node = nxt
        return cls, node

    # -------------------------------------------------------------- predict
    def tag_probs(self, word: str, initial: bool) -> np.ndarray:
        """``P(tag | word)`` for an unseen word, shape ``(K,)``, summing to 1."""
        cls, node = self._longest(word, initial)
        return (self.base_[cls] if node < 0 else self.node_probs_[node]).copy()

    def log_emission(self, word: str, initial: bool) -> np.ndarray:
        """``log P(word | tag)`` up to a constant: ``log P(tag | word) - log P(tag)``.

        The returned row is shared with the model: do not modify it.
        """
        cls, node = self._longest(word, initial)
        return self._base_log_emit[cls] if node < 0 else self._node_log_emit[node]

    # ---------------------------------------------------------- persistence
    def get_state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """JSON-able state and arrays (sparse suffix counts)."""
        keys = self.keys_
        rows, cols = np.nonzero(self.suffix_counts_)  # row-major: by suffix, then tag
        state = {
            "suffix_classes": [k[0] for k in keys],
            "suffixes": [k[1] for k in keys],
            "theta": self.theta_,
        }
        arrays = {
            "suffix_rows": rows.astype(np.int64),
            "suffix_tags": cols.astype(np.int64),
            "suffix_counts": self.suffix_counts_[rows, cols].astype(np.float64),
            "class_counts": self.class_counts_,
            "tag_probs": self.tag_probs_,
        }
        return state, arrays

    @classmethod
    def from_state(cls, n_tags, suffix_length, theta, state, arrays) -> SuffixModel:
        """Rebuild from :meth:`get_state` output."""
        model = cls(n_tags, suffix_length, theta)
        keys = list(zip((int(c) for c in state["suffix_classes"]), state["suffixes"]))
        dense = np.zeros((len(keys), n_tags))
        dense[arrays["suffix_rows"], arrays["suffix_tags"]] = arrays["suffix_counts"]
        model._finish_dense(keys, dense, np.asarray(arrays["class_counts"], np.float64),
                            np.asarray(arrays["tag_probs"]))
        return model
