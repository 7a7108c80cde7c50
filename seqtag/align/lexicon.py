"""Pronunciations for forced alignment: CMUdict first, espeak-ng G2P for the rest.

Phones are ARPAbet without stress digits (the 39 CMUdict phones). A word missing
from CMUdict is given to espeak-ng's own letter-to-sound rules (``en-us``;
``espeak_TextToPhonemes`` of the library shipped by the ``espeakng-loader`` wheel,
the same library :mod:`seqtag.corpora.synthetic` speaks with, :mod:`seqtag.audio.espeak`) and its ASCII
phoneme mnemonics are mapped to ARPAbet with :data:`ESPEAK_TO_ARPABET`.
Tokens in brackets (``[laugh]``, ``<noise>``, MFA's ``<VOCNOISE>``) are spoken
noise: one ``spn`` phone.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from ..exceptions import CorpusNotFoundError, InputError

__all__ = ["Lexicon", "cmudict", "espeak_g2p", "ESPEAK_TO_ARPABET", "SPOKEN_NOISE"]

#: Phone of bracketed noise tokens.
SPOKEN_NOISE = "spn"
_NOISE_RE = re.compile(r"^(\[.*\]|<.*>|\{.*\})$")
_STRESS_RE = re.compile(r"\d")

#: espeak-ng English phoneme mnemonics (stress marks removed) -> ARPAbet phones.
ESPEAK_TO_ARPABET: dict[str, tuple[str, ...]] = {
    # consonants
    "p": ("P",), "b": ("B",), "t": ("T",), "d": ("D",), "k": ("K",), "g": ("G",), "f": ("F",), "v": ("V",),
    "T": ("TH",), "D": ("DH",), "s": ("S",), "z": ("Z",), "S": ("SH",), "Z": ("ZH",), "h": ("HH",),
    "m": ("M",), "n": ("N",), "N": ("NG",), "l": ("L",), "r": ("R",), "w": ("W",), "j": ("Y",),
    "tS": ("CH",), "dZ": ("JH",), "?": ("T",), "t#": ("T",), "d#": ("D",), "n-": ("N",), "m-": ("M",),
    "l-": ("L",), "@L": ("AH", "L"), "L": ("L",), "x": ("K",), "C": ("HH",), "r-": ("R",), "W": ("W",),
    # vowels
    "a": ("AE",), "aa": ("AE",), "a#": ("AH",), "A:": ("AA",), "A": ("AA",), "A@": ("AA", "R"), "0": ("AA",),
    "O:": ("AO",), "O": ("AO",), "O2": ("AO",), "O@": ("AO", "R"), "o@": ("AO", "R"), "OI": ("OY",),
    "oU": ("OW",), "o": ("OW",), "V": ("AH",), "@": ("AH",), "@2": ("AH",), "@5": ("AH",), "3": ("ER",),
    "3:": ("ER",), "I": ("IH",), "I#": ("IH",), "I2": ("IH",), "i": ("IY",), "i:": ("IY",),
    "i@": ("IY", "AH"), "i@3": ("IY", "R"), "E": ("EH",), "e": ("EH",), "e@": ("EH", "R"), "eI": ("EY",),
    "aI": ("AY",), "aI@": ("AY", "ER"), "aI3": ("AY", "ER"), "aU": ("AW",), "aU@": ("AW", "ER"),
    "U": ("UH",), "U@": ("UH", "R"), "u:": ("UW",), "u": ("UW",), "u@": ("UW", "ER"), "IR": ("IH", "R"),
    "VR": ("AH", "R"), "e#": ("EH",), "aI2": ("AY",),
}

_CMU: dict[str, dict[str, list[str]]] = {}  # nltk root -> {word: first pronunciation}


def cmudict(path: str | os.PathLike | None = None) -> dict[str, list[str]]:
    """``{word: phones}`` from NLTK's ``corpora/cmudict`` (first pronunciation, stress removed).

    Parameters
    ----------
    path : path or None
        An NLTK data folder; default ``NLTK_DATA``, seqtag's data home, NLTK's defaults.

    Raises
    ------
    CorpusNotFoundError
        If no ``corpora/cmudict`` (zip or folder) is found.

    Examples
    --------
    >>> cmudict()["cat"]  # doctest: +SKIP
    ['K', 'AE', 'T']
    """
    from nltk.corpus.reader import CMUDictCorpusReader

    from ..corpora.nltk_corpora import find_resource

    root = find_resource("corpora/cmudict", "cmudict", path)
    key = str(root)
    if key not in _CMU:
        reader = CMUDictCorpusReader(root, ["cmudict"])
        _CMU[key] = {w: [_STRESS_RE.sub("", p) for p in prons[0]] for w, prons in reader.dict().items() if prons}
    return _CMU[key]


def _mnemonics_to_arpabet(text: str) -> list[str]:
    out = []
    for piece in text.replace(" ", "|").replace("_", "|").split("|"):
        p = piece.replace("'", "").replace(",", "").replace("%", "").replace("=", "").strip()
        if not p:
            continue
        for cand in (p, p.rstrip("#-"), re.sub(r"\d", "", p), p[:2], p[:1]):
            if cand in ESPEAK_TO_ARPABET:
                out += ESPEAK_TO_ARPABET[cand]
                break
    return out


def espeak_g2p(words: Iterable[str], voice: str = "en-us") -> dict[str, list[str]]:
    """ARPAbet pronunciations from espeak-ng's letter-to-sound rules.

    The library has process-wide state, so (on POSIX) the lookups run in a forked
    child of the process: this process's espeak-ng state is left untouched, the
    same way :mod:`seqtag.corpora.synthetic` synthesises.

    Parameters
    ----------
    words : iterable of str
    voice : str, default "en-us"

    Returns
    -------
    dict
        ``{word: phones}``; a word espeak gives nothing usable for is left out.

    Examples
    --------
    >>> espeak_g2p(["yknow"])  # doctest: +SKIP
    {'yknow': ['IH', 'N', 'OW']}
    """
    words = sorted({w for w in words if w})
    if not words:
        return {}
    from ..audio.espeak import Espeak

    raw = Espeak.get().phonemize(words, voice)
    out = {}
    for word, text in raw.items():
        phones = _mnemonics_to_arpabet(text)
        if phones:
            out[word] = phones
    return out


class Lexicon:
    """Word -> ARPAbet phones: your entries, then CMUdict, then (optionally) espeak-ng G2P.

    Parameters
    ----------
    g2p : bool, default True
        Use espeak-ng for words in neither ``entries`` nor CMUdict.
    entries : dict or None
        ``{word: [phones]}`` consulted first (lower-cased words).
    nltk_path : path or None
        NLTK data folder holding CMUdict (default ``NLTK_DATA`` and friends).
    dictionary : mapping or None
        ``{word: [phones]}`` used instead of NLTK's CMUdict (e.g. the dictionary a
        pretrained model ships with).

    Examples
    --------
    >>> lex = Lexicon(entries={"seqtag": ["S", "IY", "K", "T", "AE", "G"]})
    >>> lex.pronounce(["seqtag", "cat"])  # doctest: +SKIP
    {'seqtag': ['S', 'IY', 'K', 'T', 'AE', 'G'], 'cat': ['K', 'AE', 'T']}
    """

    def __init__(self, g2p: bool = True, entries: dict | None = None, nltk_path=None, dictionary=None):
        self.g2p = g2p
        self.entries = {str(k).lower(): list(v) for k, v in (entries or {}).items()}
        self.nltk_path = nltk_path
        self.dictionary = dictionary
        self.guessed: dict[str, list[str]] = {}

    def pronounce(self, words: Iterable[str]) -> dict[str, list[str]]:
        """Pronunciations of every distinct word.

        Raises
        ------
        InputError
            Naming the words without a pronunciation (when ``g2p`` is off or espeak
            gave nothing).
        CorpusNotFoundError
            CMUdict is not found.
        """
        want = sorted({w.lower() for w in words})
        out, missing = {}, []
        cmu = self.dictionary
        for w in want:
            if w in self.entries:
                out[w] = self.entries[w]
            elif w in self.guessed:
                out[w] = self.guessed[w]
            elif _NOISE_RE.match(w):
                out[w] = [SPOKEN_NOISE]
            else:
                if cmu is None:
                    try:
                        cmu = cmudict(self.nltk_path)
                    except CorpusNotFoundError as exc:
                        raise CorpusNotFoundError(
                            f"pronunciations need NLTK's cmudict (set NLTK_DATA to a folder holding "
                            f"corpora/cmudict.zip); {exc}"
                        ) from exc
                if w in cmu:
                    out[w] = cmu[w]
                else:
                    missing.append(w)
        if missing and self.g2p:
            guessed = espeak_g2p(missing)
            self.guessed.update(guessed)
            out.update(guessed)
            missing = [w for w in missing if w not in guessed]
        if missing:
            shown = ", ".join(repr(w) for w in missing[:20]) + (" ..." if len(missing) > 20 else "")
            how = "add them with entries={word: [phones]}" + ("" if self.g2p else " or use g2p=True")
            raise InputError(f"{len(missing)} word(s) have no pronunciation (not in CMUdict): {shown}; {how}")
        return out
