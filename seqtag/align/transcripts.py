"""Real transcripts -> the tokens an aligner pronounces: words, noises, fillers.

A transcript as people write it has case, punctuation, numbers, hyphens and
annotations. :func:`transcript_tokens` splits it into :class:`Token` s that keep
the text as written (the ``label`` of the word in the output tiers: nothing the user
wrote is lost or changed) and say how to pronounce it:

- ``word``: ``key`` is the lower-cased word without surrounding punctuation
  (``"Don't,"`` -> ``"don't"``; curly apostrophes become ``'``), looked up in the
  dictionary, else given to the G2P (numbers included: espeak-ng reads ``"42"`` as
  "forty-two");
- ``noise``: a bracketed annotation (``[laughter]``, ``<noise>``, ``{cough}``, MFA's
  ``<VOCNOISE>``) -> a noise phone: ``"speech"`` for voice-like noise (laughter,
  unintelligible speech), ``"noise"`` for the rest;
- ``filler``: hesitations (``um``, ``uh``, ``er``, ``hmm`` ...) -- an aligner may model them
  as noise or as words (:class:`~seqtag.align.aligners.english.EnglishAligner` ``fillers``);
- ``silence``: ``<sil>`` / ``sil``: an explicit pause.

Pure punctuation tokens (``"--"``, ``"..."``) carry no sound and are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..exceptions import InputError

__all__ = ["Token", "transcript_tokens", "FILLERS"]

#: Hesitation words (lower case).
FILLERS = frozenset({"um", "uh", "er", "erm", "ah", "hmm", "mm", "mhm", "uhm", "umm", "uhh", "hm"})
_BRACKETED = re.compile(r"^[\[<{(].*[\]>})]$")
_VOICE_LIKE = ("laugh", "speech", "vocnoise", "spn", "unk", "unintelligible", "voc", "breath-speech")
_SILENCE = frozenset({"<sil>", "sil", "[sil]", "<silence>", "[silence]"})
_EDGE = "\"'.,;:!?()[]{}<>«»“”‘’„-–—…*_/\\|"
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})


@dataclass(frozen=True)
class Token:
    """One transcript token.

    Attributes
    ----------
    label : str
        The token as written (the label of its interval).
    key : str
        What to pronounce: the normalised word, or the noise kind ``"speech"`` /
        ``"noise"`` / ``"silence"``.
    kind : {"word", "filler", "noise", "silence"}
    """

    label: str
    key: str
    kind: str


def _noise_kind(inner: str) -> str:
    low = inner.lower()
    return "speech" if any(v in low for v in _VOICE_LIKE) else "noise"


def transcript_tokens(text: str) -> list[Token]:
    """Split a transcript into tokens to pronounce (see the module docstring).

    Parameters
    ----------
    text : str

    Returns
    -------
    list of Token
        At least one.

    Raises
    ------
    InputError
        The transcript has no word, noise or silence token.

    Examples
    --------
    >>> [(t.label, t.key, t.kind) for t in transcript_tokens("Well, um... it's 42 [laughter] OK!")]
    [('Well,', 'well', 'word'), ('um...', 'um', 'filler'), ("it's", "it's", 'word'), ('42', '42', 'word'), \
('[laughter]', 'speech', 'noise'), ('OK!', 'ok', 'word')]
    """
    if not isinstance(text, str):
        raise InputError(f"the transcript must be a str, got {type(text).__name__}")
    out = []
    for raw in text.split():
        low = raw.translate(_APOSTROPHES).lower()
        if low in _SILENCE:
            out.append(Token(raw, "silence", "silence"))
            continue
        if _BRACKETED.match(low) and len(low) > 2:
            out.append(Token(raw, _noise_kind(low[1:-1]), "noise"))
            continue
        key = low.strip(_EDGE)
        if not key:
            continue  # punctuation only
        out.append(Token(raw, key, "filler" if key in FILLERS else "word"))
    if not out:
        raise InputError(f"the transcript {text[:60]!r} has no word to align; forced alignment needs at least one")
    return out
