"""The baseline tagger: most frequent tag per word, a suffix guess for unknown words."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from ._validation import store_params
from .base import Tagger
from .exceptions import InputError

__all__ = ["BaselineTagger", "word_signature"]


def word_signature(word: str) -> str:
    """A coarse orthographic class of a word, used to back off for unknown words.

    Returns one of ``"num"`` (has a digit), ``"hyph"`` (has a hyphen),
    ``"cap"`` (starts upper-case), ``"upper"`` (all upper-case), ``"lower"``
    or ``"other"``.

    Examples
    --------
    >>> [word_signature(w) for w in ["1987", "well-known", "Paris", "IBM", "dog", "$"]]
    ['num', 'hyph', 'cap', 'upper', 'lower', 'other']
    """
    if any(c.isdigit() for c in word):
        return "num"
    if "-" in word:
        return "hyph"
    if word.isupper() and len(word) > 1:
        return "upper"
    if word[:1].isupper():
        return "cap"
    if word.islower():
        return "lower"
    return "other"


class BaselineTagger(Tagger):
    """Most frequent tag of each known word; unknown words by suffix and signature.

    For an unknown word the tagger tries the longest suffix (up to
    ``max_suffix`` characters) seen with the same :func:`word_signature` among
    rare training words (count <= ``rare_count``), then the signature alone,
    then the most frequent tag.

    Parameters
    ----------
    max_suffix : int, default 3
        Longest suffix used for unknown words.
    rare_count : int, default 3
        Words seen at most this often shape the unknown-word tables (rare
        words look most like unseen ones).

    Attributes
    ----------
    tags_ : list of str
        Tag set, sorted.
    vocab_ : list of str
        Words seen in training.

    Examples
    --------
    >>> tagger = BaselineTagger().fit([["I", "walked", "home"]], [["PRP", "VBD", "NN"]])
    >>> tagger.predict([["I", "talked"]])
    [['PRP', 'VBD']]
    """

    def __init__(self, max_suffix: int = 3, rare_count: int = 3):
        store_params(self, locals())

    def _check_params(self) -> None:
        for name in ("max_suffix", "rare_count"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InputError(f"{name} must be an int >= 0, got {value!r}")

    def _fit(self, X: list[list[str]], y: list[list[str]], **kwargs: Any) -> None:
        if kwargs:
            raise InputError(f"BaselineTagger.fit takes no extra arguments, got {sorted(kwargs)}")
        word_tags: dict[str, Counter] = defaultdict(Counter)
        all_tags: Counter = Counter()
        for sent, tags in zip(X, y):
            for w, t in zip(sent, tags):
                word_tags[w][t] += 1
                all_tags[t] += 1
        guess: dict[str, Counter] = defaultdict(Counter)
        for w, counts in word_tags.items():
            if sum(counts.values()) > self.rare_count:
                continue
            sig = word_signature(w)
            low = w.lower()
            for k in range(1, min(self.max_suffix, len(low)) + 1):
                guess[f"{sig}|{low[-k:]}"].update(counts)
            guess[sig].update(counts)
        self.tags_ = sorted(all_tags)
        self.vocab_ = sorted(word_tags)
        self.word_tag_ = {w: _best(c) for w, c in word_tags.items()}
        self.guess_ = {k: _best(c) for k, c in guess.items()}
        self.default_tag_ = _best(all_tags)

    def _tag_word(self, word: str) -> str:
        tag = self.word_tag_.get(word)
        if tag is not None:
            return tag
        sig = word_signature(word)
        low = word.lower()
        for k in range(min(self.max_suffix, len(low)), 0, -1):
            tag = self.guess_.get(f"{sig}|{low[-k:]}")
            if tag is not None:
                return tag
        return self.guess_.get(sig, self.default_tag_)

    def _predict(self, X: list[list[str]]) -> list[list[str]]:
        return [[self._tag_word(w) for w in sent] for sent in X]

    def _get_state(self):
        state = {
            "tags": self.tags_,
            "vocab": self.vocab_,
            "word_tag": [self.word_tag_[w] for w in self.vocab_],
            "guess_keys": sorted(self.guess_),
            "guess_tags": [self.guess_[k] for k in sorted(self.guess_)],
            "default_tag": self.default_tag_,
        }
        return state, {}

    def _set_state(self, state, arrays):
        self.tags_ = list(state["tags"])
        self.vocab_ = list(state["vocab"])
        self.word_tag_ = dict(zip(self.vocab_, state["word_tag"]))
        self.guess_ = dict(zip(state["guess_keys"], state["guess_tags"]))
        self.default_tag_ = state["default_tag"]


def _best(counts: Counter) -> str:
    """Most frequent key; ties broken alphabetically so results never depend on order."""
    top = max(counts.values())
    return min(k for k, v in counts.items() if v == top)

