"""Pronunciation dictionaries and ``feat.params`` of a Sphinx model.

Dictionary lines are ``word PH ON ES``; alternates are ``word(2) ...``
(PocketSphinx strips any trailing ``(...)`` to find the base word). Lines
starting with ``##`` or ``;;`` are comments, as in PocketSphinx's ``dict.c``;
a ``#`` token after the word starts a trailing comment (CMUdict's
``word W ER D # note`` style). ``feat.params`` holds the front-end options the
model was trained with, one ``-key value`` per line.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import NoReturn

from ...exceptions import ModelFileError
from .s3file import read_bytes

__all__ = ["read_dictionary", "read_noisedict", "read_feat_params", "base_word"]


def _fail(path, what: str, lineno: int, message: str) -> NoReturn:
    raise ModelFileError(f"{path}, line {lineno}: not a valid {what}: {message}.")


def base_word(word: str) -> str:
    """The word without an alternate-pronunciation suffix: ``"read(2)"`` -> ``"read"``.

    Examples
    --------
    >>> base_word("read(2)"), base_word("(paren"), base_word("a(b)c")
    ('read', '(paren', 'a(b)c')
    """
    if word.endswith(")"):
        i = word.rfind("(", 0, len(word) - 1)
        if i > 0:
            return word[:i]
    return word


def _read_lines(path: str | os.PathLike, what: str) -> list[str]:
    data = read_bytes(path, what)
    nul = data.find(b"\0")
    if nul >= 0:
        raise ModelFileError(f"{path}: a {what} should be text, found a NUL byte at offset {nul} "
                             "(is this a binary model file?).")
    try:
        return data.decode("utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise ModelFileError(f"{path}: a {what} should be UTF-8 text, found byte 0x{data[exc.start]:02x} "
                             f"at offset {exc.start}.") from None


def _entries(path: str | os.PathLike, what: str) -> Iterator[tuple[int, str, str]]:
    """``(line number, word, the rest of the line)`` of every entry; alternates give their base word."""
    for lineno, line in enumerate(_read_lines(path, what), 1):
        parts = line.split(None, 1)
        if not parts or line.startswith(("##", ";;")):
            continue
        word = base_word(parts[0]) if parts[0][-1] == ")" else parts[0]
        yield lineno, word, parts[1] if len(parts) == 2 else ""


def _phones(rest: str) -> list[str]:
    """The phones of an entry's text, without a trailing ``# comment``."""
    phones = rest.split()
    return phones[: phones.index("#")] if "#" in phones else phones


def read_dictionary(path: str | os.PathLike, *, what: str = "pronunciation dictionary") -> dict[str, list[list[str]]]:
    """Read a Sphinx dictionary such as ``cmudict-en-us.dict``.

    Parameters
    ----------
    path : path
        The dictionary file (UTF-8).
    what : str
        What the file is, for messages.

    Returns
    -------
    dict of str to list of list of str
        ``{word: [pronunciation, alternate, ...]}`` (words in file order,
        pronunciations in file order, a pronunciation repeated under the same
        word kept once). Phones are kept as written.

    Raises
    ------
    ModelFileError
        A word without a pronunciation, or a file that is not UTF-8 text.

    Examples
    --------
    >>> import tempfile, os
    >>> f = os.path.join(tempfile.mkdtemp(), "x.dict")
    >>> _ = open(f, "w").write(";; comment\\nread R IY D\\nread(2) R EH D\\nzoo Z UW # note\\n")
    >>> read_dictionary(f)
    {'read': [['R', 'IY', 'D'], ['R', 'EH', 'D']], 'zoo': [['Z', 'UW']]}
    """
    out: dict[str, list[list[str]]] = {}
    for lineno, word, rest in _entries(path, what):
        phones = _phones(rest)
        if not phones:
            _fail(path, what, lineno, f"the word {word!r} has no pronunciation (expected 'word PHONE ...')")
        prons = out.get(word)
        if prons is None:
            out[word] = [phones]
        elif phones not in prons:
            prons.append(phones)
    return out


def read_noisedict(path: str | os.PathLike) -> dict[str, list[list[str]]]:
    """Read a model's ``noisedict`` (filler words such as ``<sil> SIL``, ``[NOISE] +NSN+``).

    Same format and result as :func:`read_dictionary`.

    Parameters
    ----------
    path : path
        The ``noisedict`` file.

    Returns
    -------
    dict of str to list of list of str
    """
    return read_dictionary(path, what="noise dictionary (noisedict)")


def read_feat_params(path: str | os.PathLike) -> dict[str, str]:
    """Read ``feat.params``: ``-key value`` lines -> ``{"key": "value"}``.

    Parameters
    ----------
    path : path
        The ``feat.params`` file. Blank lines and ``#`` comments are skipped;
        a value is the rest of the line (stripped).

    Returns
    -------
    dict of str to str
        E.g. ``{"lowerf": "130", "upperf": "6800", "feat": "1s_c_d_dd", ...}``.

    Raises
    ------
    ModelFileError
        A line that is not ``-key value``.

    Examples
    --------
    >>> import tempfile, os
    >>> f = os.path.join(tempfile.mkdtemp(), "feat.params")
    >>> _ = open(f, "w").write("-lowerf 130\\n-svspec 0-12/13-25/26-38\\n")
    >>> read_feat_params(f)
    {'lowerf': '130', 'svspec': '0-12/13-25/26-38'}
    """
    out: dict[str, str] = {}
    for lineno, line in enumerate(_read_lines(path, "feature parameter file (feat.params)"), 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        key, value = (text.split(None, 1) + [""])[:2]
        if len(key) < 2 or not key.startswith("-") or not value.strip():
            _fail(path, "feature parameter file (feat.params)", lineno,
                  f"expected '-key value', found {text[:60]!r}")
        out[key[1:]] = value.strip()
    return out


class PronunciationDictionary(Mapping):
    """A Sphinx dictionary read on demand: ``{word: first pronunciation}``.

    Reading the 135,000 entries of ``cmudict-en-us.dict`` into lists takes about a
    second; this keeps each entry's text and splits it when the word is asked for, so
    a short transcript costs milliseconds.

    Parameters
    ----------
    path : path
        The dictionary file (UTF-8).

    Examples
    --------
    >>> import tempfile, os
    >>> f = os.path.join(tempfile.mkdtemp(), "x.dict")
    >>> _ = open(f, "w").write("read R IY D\\nread(2) R EH D\\n")
    >>> d = PronunciationDictionary(f)
    >>> d["read"], "zoo" in d, len(d)
    (['R', 'IY', 'D'], False, 1)
    """

    def __init__(self, path: str | os.PathLike):
        self.path = path
        self._lines: dict[str, str] = {}
        for _, word, rest in _entries(path, "pronunciation dictionary"):
            self._lines.setdefault(word, rest)

    def __getitem__(self, word: str) -> list[str]:
        phones = _phones(self._lines[word])
        if not phones:
            raise ModelFileError(f"{self.path}: the word {word!r} has no pronunciation")
        return phones

    def __contains__(self, word) -> bool:
        return word in self._lines

    def __iter__(self):
        return iter(self._lines)

    def __len__(self) -> int:
        return len(self._lines)
