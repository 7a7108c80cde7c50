"""Readers for users' own files: CoNLL-U and whitespace-column files."""

from __future__ import annotations

import os
from pathlib import Path

from ..exceptions import InputError
from ._base import Corpus

__all__ = ["read_conllu", "read_columns"]

_CONLLU_FIELDS = {"form": 1, "lemma": 2, "upos": 3, "xpos": 4}


def read_conllu(
    path: str | os.PathLike, tagset: str = "xpos", name: str | None = None, split: str = "all"
) -> Corpus:
    """Read a CoNLL-U file into a :class:`Corpus`.

    Multiword-token lines (IDs like ``3-4``) and empty nodes (IDs like ``5.1``)
    are skipped, so the tokens are the syntactic words.  Documents come from
    ``# newdoc id`` comments, or else from the ``# sent_id`` prefix before its
    last ``-``.

    Parameters
    ----------
    path : str or path-like
    tagset : {"xpos", "upos"}
    name, split : str
        Stored on the corpus.

    Returns
    -------
    Corpus
        With the other tag column kept in ``columns`` (``"upos"`` or ``"xpos"``).
    """
    if tagset not in ("xpos", "upos"):
        raise InputError(f"tagset must be 'xpos' or 'upos', got {tagset!r}")
    other = "upos" if tagset == "xpos" else "xpos"
    path = Path(path)
    X, y, alt, docs = [], [], [], []
    toks, tags, alts = [], [], []
    doc, sent_id = None, None

    def flush():
        if toks:
            X.append(toks.copy())
            y.append(tags.copy())
            alt.append(alts.copy())
            docs.append(doc or (sent_id.rsplit("-", 1)[0] if sent_id else f"{path.name}:{len(X)}"))
        toks.clear(), tags.clear(), alts.clear()

    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.rstrip("\n")
            if not line.strip():
                flush()
                continue
            if line.startswith("#"):
                key, _, value = line[1:].partition("=")
                key, value = key.strip(), value.strip()
                if key == "newdoc id":
                    doc = value
                elif key == "sent_id":
                    sent_id = value
                continue
            cols = line.split("\t")
            if len(cols) != 10:
                raise InputError(
                    f"{path}:{lineno}: a CoNLL-U word line has 10 tab-separated columns, found "
                    f"{len(cols)}: {line[:80]!r}"
                )
            if "-" in cols[0] or "." in cols[0]:
                continue
            toks.append(cols[1])
            tags.append(cols[_CONLLU_FIELDS[tagset]])
            alts.append(cols[_CONLLU_FIELDS[other]])
    flush()
    return Corpus(name or path.stem, split, X, y, docs, {other: alt})


def read_columns(
    path: str | os.PathLike,
    token_col: int = 0,
    tag_col: int = -1,
    extra: dict[str, int] | None = None,
    name: str | None = None,
    split: str = "all",
    doc_marker: str | None = "-DOCSTART-",
) -> Corpus:
    """Read a whitespace-column file (one token per line, blank line between sentences).

    Parameters
    ----------
    path : str or path-like
    token_col, tag_col : int
        Column of the token and of the tag (negative counts from the end).
    extra : dict of str to int, optional
        Further columns to keep, e.g. ``{"pos": 1}``.
    name, split : str
        Stored on the corpus.
    doc_marker : str or None
        A token that starts a new document (CoNLL-2003's ``-DOCSTART-``).

    Returns
    -------
    Corpus
    """
    path = Path(path)
    extra = dict(extra or {})
    X, y, docs = [], [], []
    cols_out: dict[str, list[list[str]]] = {k: [] for k in extra}
    toks, tags, ext = [], [], {k: [] for k in extra}
    doc_no = 0

    def flush():
        if toks:
            X.append(toks.copy())
            y.append(tags.copy())
            docs.append(f"{path.name}:{doc_no}")
            for k in extra:
                cols_out[k].append(ext[k].copy())
                ext[k].clear()
            toks.clear(), tags.clear()

    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            fields = line.split()
            if not fields:
                flush()
                continue
            if doc_marker is not None and fields[0] == doc_marker:
                flush()
                doc_no += 1
                continue
            try:
                toks.append(fields[token_col])
                tags.append(fields[tag_col])
                for k, c in extra.items():
                    ext[k].append(fields[c])
            except IndexError:
                raise InputError(
                    f"{path}:{lineno}: expected columns {token_col} (token) and {tag_col} (tag), "
                    f"the line has {len(fields)}: {line.strip()[:80]!r}"
                ) from None
    flush()
    return Corpus(name or path.stem, split, X, y, docs, cols_out)
