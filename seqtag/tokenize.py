"""Raw text to Penn-Treebank-style sentences of tokens, with nothing heavier than :mod:`re`.

:func:`split_sentences` cuts at line breaks and after ``.``, ``!`` or ``?`` followed by a
capitalised word (not after a few common abbreviations or single initials).
:func:`word_tokenize` is NLTK's ``NLTKWordTokenizer`` (the tokenizer behind
``nltk.word_tokenize``; Apache License 2.0, the NLTK Project) with its rules copied here, so
that ``seqtag tag`` needs neither NLTK nor what NLTK imports (SciPy, scikit-learn, pandas:
seconds of start-up for one sentence). ``tests/test_tokenize.py`` checks that both give the
same tokens on the Brown corpus and on generated text.
"""

from __future__ import annotations

import re

from .exceptions import InputError

__all__ = ["split_sentences", "word_tokenize", "tokenize"]

#: Tokens whose final period does not end a sentence.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st mt vs etc inc corp co ltd no fig e.g i.e u.s u.k jan feb mar apr jun jul "
    "aug sep sept oct nov dec gen col sgt rep sen gov".split()
)
_CANDIDATE = re.compile(r"[.!?]+[\"')\]\u2019\u201d]*(?=\s+[\"'(\[\u2018\u201c]*[A-Z0-9])")


def split_sentences(text: str) -> list[str]:
    """Cut raw text into sentences (rule-based; no model or downloaded data).

    A line break always ends a sentence (the ``seqtag tag`` convention of one
    sentence per line); inside a line, ``.``, ``!`` or ``?`` (with any closing
    quotes or brackets) followed by whitespace and a capital letter or digit
    ends one, unless the word before the period is a common abbreviation (``Mr.``,
    ``U.S.``, ``Jan.``) or a single initial (``J.``).

    Parameters
    ----------
    text : str

    Returns
    -------
    list of str
        Non-empty sentences, stripped.

    Examples
    --------
    >>> split_sentences("Mr. Smith left. He was tired!  Then\\nnew line")
    ['Mr. Smith left.', 'He was tired!', 'Then', 'new line']
    """
    if not isinstance(text, str):
        raise InputError(f"split_sentences expects a str, got {type(text).__name__}")
    out = []
    for line in text.splitlines():
        start = 0
        for m in _CANDIDATE.finditer(line):
            if m.group(0).startswith("."):
                word = line[start:m.start()].rsplit(None, 1)[-1] if line[start:m.start()].strip() else ""
                word = word.lstrip("\"'([\u2018\u201c").lower()
                if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
                    continue
            sent = line[start:m.end()].strip()
            if sent:
                out.append(sent)
            start = m.end()
        rest = line[start:].strip()
        if rest:
            out.append(rest)
    return out


# NLTKWordTokenizer's rules, in its order (nltk/tokenize/destructive.py).
_STARTING_QUOTES = [
    (re.compile("([«“‘„]|[`]+)"), r" \1 "),
    (re.compile(r"^\""), r"``"),
    (re.compile(r"(``)"), r" \1 "),
    (re.compile(r"([ \(\[{<])(\"|\'{2})"), r"\1 `` "),
    (re.compile(r"(?i)(?<!\w)(\')(?!(?:re|ve|ll|m|t|s|d|n)\b)(?=\w)"), r"\1 "),
]
_PUNCTUATION = [
    (re.compile(r'([^\.])(\.)([\]\)}>"\'' "»”’ " r"]*+)\s*$"), r"\1 \2 \3 "),
    (re.compile(r"([:,])([^\d])"), r" \1 \2"),
    (re.compile(r"([:,])$"), r" \1 "),
    (re.compile(r"\.{2,}"), r" \g<0> "),
    (re.compile(r"[;@#$%&]"), r" \g<0> "),
    (re.compile(r"[\u2012-\u2015]"), r" \g<0> "),
    (re.compile(r'([^\.])(\.)([\]\)}>"\']*)\s*$'), r"\1 \2\3 "),
    (re.compile(r"[?!]"), r" \g<0> "),
    (re.compile(r"([^'])' "), r"\1 ' "),
    (re.compile(r"[*]"), r" \g<0> "),
]
_PARENS_BRACKETS = (re.compile(r"[\]\[\(\)\{\}\<\>]"), r" \g<0> ")
_DOUBLE_DASHES = (re.compile(r"--"), r" -- ")
_ENDING_QUOTES = [
    (re.compile("([»”’])"), r" \1 "),
    (re.compile(r"''"), " '' "),
    (re.compile(r'"'), " '' "),
    (re.compile(r"\s+"), " "),
    (re.compile(r"([^' ])('[sS]|'[mM]|'[dD]|') "), r"\1 \2 "),
    (re.compile(r"([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) "), r"\1 \2 "),
]
_CONTRACTIONS = [re.compile(p) for p in (
    r"(?i)\b(can)(?#X)(not)\b", r"(?i)\b(d)(?#X)('ye)\b", r"(?i)\b(gim)(?#X)(me)\b", r"(?i)\b(gon)(?#X)(na)\b",
    r"(?i)\b(got)(?#X)(ta)\b", r"(?i)\b(lem)(?#X)(me)\b", r"(?i)\b(more)(?#X)('n)\b", r"(?i)\b(wan)(?#X)(na)(?=\s)",
    r"(?i) ('t)(?#X)(is)\b", r"(?i) ('t)(?#X)(was)\b",
)]


def word_tokenize(sentence: str) -> list[str]:
    """Penn-Treebank-style tokens of one sentence, as NLTK's ``NLTKWordTokenizer`` makes them.

    Parameters
    ----------
    sentence : str

    Returns
    -------
    list of str

    Examples
    --------
    >>> word_tokenize("It cost $3.50, didn't it?")
    ['It', 'cost', '$', '3.50', ',', 'did', "n't", 'it', '?']
    """
    text = sentence
    for regexp, sub in _STARTING_QUOTES:
        text = regexp.sub(sub, text)
    for regexp, sub in _PUNCTUATION:
        text = regexp.sub(sub, text)
    for regexp, sub in (_PARENS_BRACKETS, _DOUBLE_DASHES):
        text = regexp.sub(sub, text)
    text = " " + text + " "
    for regexp, sub in _ENDING_QUOTES:
        text = regexp.sub(sub, text)
    for regexp in _CONTRACTIONS:
        text = regexp.sub(r" \1 \2 ", text)
    return text.split()


def tokenize(text: str) -> list[list[str]]:
    """Split raw text into sentences of Penn-Treebank-style tokens.

    Parameters
    ----------
    text : str

    Returns
    -------
    list of list of str
        One token list per sentence (see :func:`split_sentences`).

    Examples
    --------
    >>> tokenize("It cost $3.50, didn't it? Yes.")
    [['It', 'cost', '$', '3.50', ',', 'did', "n't", 'it', '?'], ['Yes', '.']]
    """
    sents = [word_tokenize(s) for s in split_sentences(text)]
    return [s for s in sents if s]
