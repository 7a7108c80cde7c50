"""Vocabularies of the neural taggers: words, characters, tags; JSON-able, no pickle.

Index 0 is always padding and index 1 the unknown item, so a tensor of ids
can be padded with zeros and an unseen word or character maps to 1.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from ..exceptions import InputError

__all__ = ["Vocab", "PAD", "UNK", "PAD_ID", "UNK_ID", "word_chars"]

PAD, UNK = "<pad>", "<unk>"
PAD_ID, UNK_ID = 0, 1


class Vocab:
    """A string <-> id mapping with padding (id 0) and unknown (id 1).

    Parameters
    ----------
    items : iterable of str
        Items after the two specials, in id order (duplicates are dropped).
    lowercase_fallback : bool, default False
        When an item is missing, look up its lowercase form before giving up
        (used for words, so ``"The"`` finds the vector of ``"the"``).

    Examples
    --------
    >>> v = Vocab(["the", "dog"], lowercase_fallback=True)
    >>> v.encode(["The", "dog", "zebra"])
    [2, 3, 1]
    >>> len(v), v.itos[:2]
    (4, ['<pad>', '<unk>'])
    >>> Vocab.from_json(v.to_json()).encode(["dog"])
    [3]
    """

    def __init__(self, items: Iterable[str] = (), lowercase_fallback: bool = False) -> None:
        self.itos: list[str] = [PAD, UNK]
        self.stoi: dict[str, int] = {PAD: PAD_ID, UNK: UNK_ID}
        self.lowercase_fallback = bool(lowercase_fallback)
        for item in items:
            self.add(item)

    @classmethod
    def from_counts(
        cls, counts: Counter, min_count: int = 1, lowercase_fallback: bool = False
    ) -> Vocab:
        """Items seen at least ``min_count`` times, most frequent first (ties alphabetical).

        Parameters
        ----------
        counts : Counter
            Item frequencies.
        min_count : int
            Frequency threshold.
        lowercase_fallback : bool
            See :class:`Vocab`.

        Returns
        -------
        Vocab

        Examples
        --------
        >>> from collections import Counter
        >>> Vocab.from_counts(Counter("abracadabra"), min_count=2).itos
        ['<pad>', '<unk>', 'a', 'b', 'r']
        """
        keep = sorted((k for k, c in counts.items() if c >= min_count), key=lambda k: (-counts[k], k))
        return cls(keep, lowercase_fallback=lowercase_fallback)

    def add(self, item: str) -> int:
        """Add ``item`` if new; return its id."""
        idx = self.stoi.get(item)
        if idx is None:
            idx = self.stoi[item] = len(self.itos)
            self.itos.append(item)
        return idx

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, item: object) -> bool:
        return item in self.stoi

    def lookup(self, item: str) -> int:
        """Id of ``item`` (its lowercase form as fallback, if enabled), else :data:`UNK_ID`."""
        idx = self.stoi.get(item)
        if idx is None and self.lowercase_fallback:
            idx = self.stoi.get(item.lower())
        return UNK_ID if idx is None else idx

    def encode(self, items: Sequence[str]) -> list[int]:
        """Ids of a sequence of items."""
        return [self.lookup(x) for x in items]

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (the items after the specials and the fallback flag)."""
        return {"items": self.itos[2:], "lowercase_fallback": self.lowercase_fallback}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Vocab:
        """Inverse of :meth:`to_json`."""
        if not isinstance(data, dict) or not isinstance(data.get("items"), list):
            raise InputError(f"a saved vocabulary must be a dict with an 'items' list, got {type(data).__name__}")
        return cls(data["items"], lowercase_fallback=bool(data.get("lowercase_fallback", False)))


def word_chars(word: str, max_len: int) -> str:
    """The characters the char encoder sees: the word, or its prefix and suffix if long.

    Examples
    --------
    >>> word_chars("antidisestablishmentarianism", 10)
    'antidanism'
    """
    if len(word) <= max_len:
        return word
    head = (max_len + 1) // 2
    return word[:head] + word[len(word) - (max_len - head):]


#: How many affix strings :func:`word_affixes` gives for every word.
N_AFFIXES = 5


def word_affixes(word: str) -> list[str]:
    """The lower-cased suffixes of 1-4 characters and the short shape of ``word``, tagged by kind.

    A suffix longer than the word is the whole word. These are the strongest clues to
    the tag of a word never seen in training (``-ing``, ``-ly``, ``Xx``, ``d.d``),
    as in the CRF's feature templates.

    Examples
    --------
    >>> word_affixes("Running")
    ['s1:g', 's2:ng', 's3:ing', 's4:ning', 'shape:Xx']
    >>> word_affixes("3.5")
    ['s1:5', 's2:.5', 's3:3.5', 's4:3.5', 'shape:d.d']
    """
    from ..crf.features import short_shape

    low = word.lower()
    return [f"s{n}:{low[-n:]}" for n in range(1, N_AFFIXES)] + [f"shape:{short_shape(word)}"]
