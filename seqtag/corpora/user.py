"""The user's own tagged files as a corpus: CoNLL-U, column files, ``word/TAG`` text, or folders of them.

:func:`load_files` is what ``load_corpus(PATH)`` and the command line's ``--corpus PATH`` /
``--train/--dev/--test PATH`` use.  Splits come from, in this order: explicit ``train=``,
``dev=``, ``test=`` paths; the file names in a folder (``*train*``, ``*dev*`` / ``*valid*``,
``*test*``, as in a Universal Dependencies release); else a held-out split of the
documents (80 / 10 / 10, seeded), announced with a warning so that nobody trains on their
test data by accident.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import numpy as np

from ..exceptions import InputError
from ._base import Corpus, MissingSplitError
from .readers import read_columns, read_conllu

__all__ = ["FORMATS", "load_files", "read_file", "read_slash"]

#: File formats :func:`read_file` understands (``"auto"`` looks at the first data line).
FORMATS = ("auto", "conllu", "columns", "slash")

#: Suffixes a folder's tagged files may have; other files (README, LICENSE, scripts) are skipped.
TAGGED_SUFFIXES = (".conllu", ".conll", ".conllx", ".txt", ".tsv", ".pos", ".tag", ".tags", ".col", ".iob",
                   ".bio", ".gold")

_SPLIT_NAMES = {"train": "train", "training": "train", "dev": "dev", "development": "dev", "valid": "dev",
                "validation": "dev", "test": "test", "testing": "test"}
_SPLIT_RE = re.compile(r"(?<![a-z])(" + "|".join(sorted(_SPLIT_NAMES, key=len, reverse=True)) + r")(?![a-z])")
#: Held-out shares of (dev, test) when the files name no split.
HELD_OUT = (0.1, 0.1)


def read_slash(path: str | os.PathLike, name: str | None = None, split: str = "all") -> Corpus:
    """Read NLTK-style tagged text: one sentence per line, tokens ``word/TAG`` split by whitespace.

    The tag is what follows the *last* ``/`` (as :func:`nltk.tag.str2tuple` reads it), so
    ``1/2/CD`` is the token ``1/2`` tagged ``CD``.  Blank lines are skipped; each file is one
    document.

    Parameters
    ----------
    path : str or path-like
    name, split : str
        Stored on the corpus.

    Returns
    -------
    Corpus

    Raises
    ------
    InputError
        For a token without ``/`` or with an empty word or tag, naming ``file:line``.
    """
    path = Path(path)
    X, y = [], []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            items = line.split()
            if not items:
                continue
            toks, tags = [], []
            for item in items:
                word, sep, tag = item.rpartition("/")
                if not sep or not word or not tag:
                    raise InputError(
                        f"{path}:{lineno}: expected word/TAG tokens separated by spaces, found {item!r}; "
                        f"for one token per line use format='columns' (--format columns)"
                    )
                toks.append(word)
                tags.append(tag)
            X.append(toks)
            y.append(tags)
    return Corpus(name or path.stem, split, X, y, [path.name] * len(X))


def sniff_format(path: str | os.PathLike) -> str:
    """``"conllu"``, ``"slash"`` or ``"columns"``, judged by the suffix or the first data line."""
    path = Path(path)
    if path.suffix.lower() == ".conllu":
        return "conllu"
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.rstrip("\n").split("\t")
            if len(cols) == 10 and cols[0].split("-")[0].split(".")[0].isdigit():
                return "conllu"
            items = line.split()
            slashed = sum("/" in item.strip("/") for item in items)
            return "slash" if 2 * slashed > len(items) else "columns"
    return "columns"


def read_file(path: str | os.PathLike, format: str = "auto", tagset: str = "xpos", token_column: int = 0,
              tag_column: int = -1, name: str | None = None, split: str = "all") -> Corpus:
    """Read one tagged file in any of :data:`FORMATS`.

    Parameters
    ----------
    path : str or path-like
    format : {"auto", "conllu", "columns", "slash"}
        ``"auto"``: CoNLL-U for ``.conllu`` files or 10 tab-separated columns, ``word/TAG``
        text when most items of the first data line hold a ``/``, else one token per line.
    tagset : {"xpos", "upos"}
        The CoNLL-U tag field.
    token_column, tag_column : int
        The columns of a column file (negative counts from the end).
    name, split : str
        Stored on the corpus.

    Returns
    -------
    Corpus
    """
    if format not in FORMATS:
        raise InputError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
    path = Path(path)
    if not path.is_file():
        raise InputError(f"no such file: {str(path)!r}")
    kind = sniff_format(path) if format == "auto" else format
    if kind == "conllu":
        corpus = read_conllu(path, tagset=tagset, name=name, split=split)
        if corpus.n_tokens and all(t == "_" for tags in corpus.y for t in tags):
            raise InputError(f"{path}: every {tagset.upper()} field is '_'; this file has no {tagset} tags: "
                             f"choose the other field with tagset={'upos' if tagset == 'xpos' else 'xpos'!r} "
                             f"(--tagset)")
        return corpus
    if kind == "slash":
        return read_slash(path, name=name, split=split)
    return read_columns(path, token_col=token_column, tag_col=tag_column, name=name, split=split)


def _folder_files(folder: Path) -> list[Path]:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in TAGGED_SUFFIXES
                   and not p.name.upper().startswith(("README", "LICENSE")) and not p.name.startswith("."))
    if not files:
        raise InputError(f"folder {str(folder)!r} holds no tagged files (looked for {', '.join(TAGGED_SUFFIXES)})")
    return files


def split_of(path: Path) -> str | None:
    """``"train"``, ``"dev"``, ``"test"`` when a file's name says so (``en_ewt-ud-dev.conllu``), else None."""
    found = {_SPLIT_NAMES[m] for m in _SPLIT_RE.findall(path.stem.lower())}
    return found.pop() if len(found) == 1 else None


def _sources(path, train, dev, test) -> dict[str, list[Path]]:
    """split -> files: explicit paths first, then a folder's file names, else everything under "all"."""
    sources: dict[str, list[Path]] = {}
    for split, given in (("train", train), ("dev", dev), ("test", test)):
        if given is not None:
            sources[split] = _expand(given, f"{split}=")
    if path is None:
        if not sources:
            raise InputError("no tagged files given: pass a file or folder, or train=/dev=/test= paths "
                             "(--corpus PATH or --train/--dev/--test PATH)")
        return sources
    files = _expand(path, "path")
    named = {f: split_of(f) for f in files}
    if len(files) > 1 and any(s is not None for s in named.values()):
        unnamed = [str(f) for f, s in named.items() if s is None]
        if unnamed:
            raise InputError(f"some files in {str(path)!r} name a split (train/dev/test) and some do not: "
                             f"{', '.join(unnamed[:5])}; rename them or give --train/--dev/--test explicitly")
        for f, s in named.items():
            sources.setdefault(s, []).append(f)
        return sources
    if sources:
        raise InputError("give either one file or folder without split names, or train=/dev=/test= paths, "
                         "not a mix of both")
    return {"all": files}


def _expand(path, what: str) -> list[Path]:
    p = Path(path)
    if p.is_dir():
        return _folder_files(p)
    if p.is_file():
        return [p]
    raise InputError(f"{what}: no such file or folder: {str(p)!r}")


def _concat(corpora: list[Corpus], name: str, split: str) -> Corpus:
    keys = set.intersection(*(set(c.columns) for c in corpora)) if corpora else set()
    return Corpus(name, split, [s for c in corpora for s in c.X], [t for c in corpora for t in c.y],
                  [d for c in corpora for d in c.doc_ids], {k: [v for c in corpora for v in c.columns[k]] for k in keys})


def held_out_split(corpus: Corpus, seed: int = 0) -> dict[str, Corpus]:
    """Train / dev / test parts of a corpus with no split of its own: 80 / 10 / 10 of its documents.

    Whole documents are dealt out when there are at least ten of them, else sentences.
    The order is a seeded shuffle, so every command sees the same split.
    """
    units = sorted(set(corpus.doc_ids))
    by_doc = len(units) >= 10
    n = len(units) if by_doc else len(corpus)
    if n < 3:
        raise InputError(f"{corpus.name}: {n} sentences are too few to hold out dev and test data; "
                         f"give --train/--dev/--test files, or train on everything with --split all")
    order = np.random.default_rng(seed).permutation(n)
    n_dev, n_test = (max(1, round(share * n)) for share in HELD_OUT)
    part = {int(u): "test" for u in order[:n_test]} | {int(u): "dev" for u in order[n_test:n_test + n_dev]}
    index = {d: i for i, d in enumerate(units)}
    owner = [part.get(index[d] if by_doc else i, "train") for i, d in enumerate(corpus.doc_ids)]
    return {s: corpus.subset([i for i, o in enumerate(owner) if o == s], s) for s in ("train", "dev", "test")}


def load_files(path=None, split: str = "train", *, train=None, dev=None, test=None, format: str = "auto",
               tagset: str = "xpos", token_column: int = 0, tag_column: int = -1, seed: int = 0) -> Corpus:
    """One split of the user's own tagged files.

    Parameters
    ----------
    path : str or path-like, optional
        A tagged file, or a folder of them (read recursively; files whose names say
        ``train``, ``dev``/``valid`` or ``test`` form those splits).
    split : {"train", "dev", "test", "all"}
        Which part to return; ``"all"`` is every file.
    train, dev, test : str or path-like, optional
        Explicit files or folders per split (then ``path`` must not also name splits).
    format : {"auto", "conllu", "columns", "slash"}
        See :func:`read_file`.
    tagset : {"xpos", "upos"}
        CoNLL-U tag field.
    token_column, tag_column : int
        Column-file fields.
    seed : int
        Seed of the held-out split used when no file names a split.

    Returns
    -------
    Corpus

    Raises
    ------
    MissingSplitError
        For a split that was not given (e.g. ``dev`` when only ``train=`` and ``test=`` were).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "train.txt").write_text("the/DT dog/NN barks/VBZ\\na/DT cat/NN\\n")
    >>> _ = (folder / "test.txt").write_text("the/DT cat/NN\\n")
    >>> load_files(folder, split="test").X
    [['the', 'cat']]
    """
    if split not in ("train", "dev", "test", "all"):
        raise InputError(f"unknown split {split!r}; valid splits: train, dev, test, all")
    sources = _sources(path, train, dev, test)
    name = Path(path).stem if path is not None else "files"
    read = {"format": format, "tagset": tagset, "token_column": token_column, "tag_column": tag_column}
    if split == "all":
        files = [f for fs in sources.values() for f in fs]
        return _concat([read_file(f, name=name, split="all", **read) for f in files], name, "all")
    if "all" in sources:
        whole = _concat([read_file(f, name=name, split="all", **read) for f in sources["all"]], name, "all")
        warnings.warn(f"{name}: no file names a train/dev/test split, so {HELD_OUT[1]:.0%} of the "
                      f"documents are held out as test and {HELD_OUT[0]:.0%} as dev (seed {seed}); "
                      f"give --train/--dev/--test to choose, or --split all to use everything", stacklevel=2)
        return held_out_split(whole, seed=seed)[split]
    if split not in sources:
        flag = {"train": "--train", "dev": "--dev", "test": "--test"}[split]
        raise MissingSplitError(f"{name}: no {split} split was given; pass {split}=PATH ({flag} PATH) "
                                f"or a folder whose file names say {split}")
    return _concat([read_file(f, name=name, split=split, **read) for f in sources[split]], name, split)
