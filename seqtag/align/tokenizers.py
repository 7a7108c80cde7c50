"""Transcript -> CTC target ids: characters, or ARPAbet phones from CMUdict.

Index 0 is always the CTC blank ``"<b>"``. With ``word_sep=True`` a word
separator ``"|"`` is put between words (wav2vec2 style) so the silence and
transitions between words get a label of their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..exceptions import InputError
from .lexicon import cmudict

__all__ = ["CharTokenizer", "PhoneTokenizer", "tokenizer_from_config", "BLANK", "WORD_SEP"]

BLANK = "<b>"
WORD_SEP = "|"


class CharTokenizer:
    """Characters of lower-cased transcripts.

    Parameters
    ----------
    symbols : list of str
        Vocabulary without the blank (and without the separator), e.g. from :meth:`from_transcripts`.
    word_sep : bool, default False
        Insert ``"|"`` between words.

    Examples
    --------
    >>> tok = CharTokenizer.from_transcripts(["a cab"])
    >>> tok.vocab, tok.encode("cab")
    (['<b>', "'", 'a', 'b', 'c'], ([4, 2, 3], [3]))
    """

    kind = "chars"

    def __init__(self, symbols: Sequence[str], word_sep: bool = False):
        self.symbols = sorted(set(symbols) | {"'"})
        self.word_sep = bool(word_sep)
        self.vocab = [BLANK] + ([WORD_SEP] if self.word_sep else []) + self.symbols
        self.index = {s: i for i, s in enumerate(self.vocab)}

    @classmethod
    def from_transcripts(cls, transcripts: Iterable[str], word_sep: bool = False) -> CharTokenizer:
        """Build the vocabulary from every character of the (lower-cased) transcripts."""
        chars = {c for t in transcripts for c in t.lower() if not c.isspace()}
        if not chars:
            raise InputError("cannot build a character vocabulary from empty transcripts")
        return cls(sorted(chars), word_sep)

    def units(self, word: str) -> list[str]:
        """The units (characters) of one word."""
        return list(word.lower())

    def encode(self, transcript: str) -> tuple[list[int], list[int]]:
        """Target ids and units per word (separators not counted).

        Raises
        ------
        InputError
            Empty transcript or a character outside the vocabulary.
        """
        words = transcript.split()
        if not words:
            raise InputError("the transcript is empty; forced alignment needs at least one word")
        ids, lengths = [], []
        for k, w in enumerate(words):
            units = self.units(w)
            for u in units:
                if u not in self.index:
                    raise InputError(
                        f"{u!r} in word {w!r} is not in the model's vocabulary "
                        f"({''.join(self.symbols)!r}); remove or spell it out (e.g. digits as words)"
                    )
            if k and self.word_sep:
                ids.append(self.index[WORD_SEP])
            ids += [self.index[u] for u in units]
            lengths.append(len(units))
        return ids, lengths

    def unit_labels(self, transcript: str) -> list[str]:
        """Labels of the non-separator targets, in order."""
        return [u for w in transcript.split() for u in self.units(w)]

    def get_config(self) -> dict:
        """JSON-able description (inverse: :func:`tokenizer_from_config`)."""
        return {"kind": self.kind, "symbols": self.symbols, "word_sep": self.word_sep}


class PhoneTokenizer(CharTokenizer):
    """ARPAbet phones (stress removed) from NLTK's CMUdict (``$NLTK_DATA``).

    Parameters
    ----------
    symbols : list of str
        Phone inventory (default: all 39 CMUdict phones).
    word_sep : bool, default False
    lexicon : dict or None
        Extra ``{word: [phones]}`` entries, consulted before CMUdict.

    Examples
    --------
    >>> PhoneTokenizer().units("cat")  # doctest: +SKIP
    ['K', 'AE', 'T']
    """

    kind = "phones"

    def __init__(self, symbols: Sequence[str] | None = None, word_sep: bool = False, lexicon: dict | None = None):
        self.lexicon = {k.lower(): list(v) for k, v in (lexicon or {}).items()}
        if symbols is None:
            symbols = sorted({p for phones in cmudict().values() for p in phones})
        super().__init__(symbols, word_sep)
        self.symbols = sorted(set(symbols))
        self.vocab = [BLANK] + ([WORD_SEP] if self.word_sep else []) + self.symbols
        self.index = {s: i for i, s in enumerate(self.vocab)}

    @classmethod
    def from_transcripts(cls, transcripts: Iterable[str], word_sep: bool = False) -> PhoneTokenizer:
        return cls(None, word_sep)

    def units(self, word: str) -> list[str]:
        w = word.lower()
        if w in self.lexicon:
            return list(self.lexicon[w])
        phones = cmudict().get(w)
        if not phones:
            raise InputError(f"word {word!r} is not in CMUdict; add it with lexicon={{{word!r}: [...phones]}}")
        return list(phones)

    def get_config(self) -> dict:
        return {"kind": self.kind, "symbols": self.symbols, "word_sep": self.word_sep, "lexicon": self.lexicon}


def tokenizer_from_config(config: dict) -> CharTokenizer:
    """Rebuild a tokenizer from :meth:`CharTokenizer.get_config`."""
    kind = config.get("kind")
    if kind == "chars":
        return CharTokenizer(config["symbols"], config.get("word_sep", False))
    if kind == "phones":
        return PhoneTokenizer(config["symbols"], config.get("word_sep", False), config.get("lexicon"))
    raise InputError(f"unknown tokenizer kind {kind!r} (expected 'chars' or 'phones')")
