"""The Corpus type, where data is looked for, and document-level folds."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..exceptions import CorpusNotFoundError, InputError

__all__ = ["Corpus", "MissingSplitError", "data_home", "document_folds", "not_found"]


class MissingSplitError(InputError):
    """A corpus has no such split (e.g. no dev files were given); callers may go on without it."""


@dataclass(frozen=True, eq=False)
class Corpus(Sequence):
    """Tagged sentences of one corpus split: a sequence of ``[(token, tag), ...]``.

    Parameters
    ----------
    name : str
        Corpus name (e.g. ``"ptb-sample"``).
    split : str
        Split name (``"train"``, ``"dev"``, ``"test"``, ``"all"``, ``"fold2-train"``...).
    X : list of list of str
        Tokens of each sentence.
    y : list of list of str
        Tags of each sentence.
    doc_ids : list of str
        The document each sentence comes from (folds never split a document).
    columns : dict of str to list of list of str
        Extra per-token columns, e.g. ``"pos"`` for a chunking corpus.

    Examples
    --------
    >>> c = Corpus("toy", "train", [["a", "dog"]], [["DT", "NN"]], ["d1"])
    >>> len(c), c[0], c.n_tokens
    (1, [('a', 'DT'), ('dog', 'NN')], 2)
    """

    name: str
    split: str
    X: list[list[str]]
    y: list[list[str]]
    doc_ids: list[str]
    columns: dict[str, list[list[str]]] = field(default_factory=dict)

    def __post_init__(self):
        n = len(self.X)
        if len(self.y) != n or len(self.doc_ids) != n or any(len(v) != n for v in self.columns.values()):
            raise InputError(
                f"corpus {self.name}/{self.split}: X, y, doc_ids and columns must have one entry per "
                f"sentence; got {n}, {len(self.y)}, {len(self.doc_ids)}, "
                f"{ {k: len(v) for k, v in self.columns.items()} }"
            )

    def __len__(self) -> int:
        return len(self.X)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return self.subset(range(len(self))[i])
        return list(zip(self.X[i], self.y[i]))

    def __iter__(self) -> Iterator[list[tuple[str, str]]]:
        for toks, tags in zip(self.X, self.y):
            yield list(zip(toks, tags))

    def __repr__(self) -> str:
        return (
            f"Corpus(name={self.name!r}, split={self.split!r}, sentences={len(self)}, "
            f"tokens={self.n_tokens}, documents={len(set(self.doc_ids))})"
        )

    @property
    def n_tokens(self) -> int:
        """Number of tokens over all sentences."""
        return sum(len(s) for s in self.X)

    @property
    def tagset(self) -> list[str]:
        """Sorted tags that occur in this split."""
        return sorted({t for tags in self.y for t in tags})

    def subset(self, indices, split: str | None = None) -> Corpus:
        """A new corpus holding the sentences at ``indices`` (in that order)."""
        idx = list(indices)
        return Corpus(
            self.name,
            self.split if split is None else split,
            [self.X[i] for i in idx],
            [self.y[i] for i in idx],
            [self.doc_ids[i] for i in idx],
            {k: [v[i] for i in idx] for k, v in self.columns.items()},
        )

    def tagged_sents(self) -> list[list[tuple[str, str]]]:
        """NLTK-style ``[[(token, tag), ...], ...]``."""
        return list(self)


def document_folds(corpus: Corpus, k: int = 5, seed: int = 0) -> list[tuple[Corpus, Corpus]]:
    """Split a corpus into ``k`` (train, test) folds by document.

    Documents are shuffled with ``seed`` and dealt out so that every fold's
    test part holds whole documents and each document is tested exactly once.

    Parameters
    ----------
    corpus : Corpus
    k : int
        Number of folds, 2 <= k <= number of documents.
    seed : int
        Seed of the document shuffle.

    Returns
    -------
    list of (Corpus, Corpus)
    """
    docs = sorted(set(corpus.doc_ids))
    if not isinstance(k, int) or not 2 <= k <= len(docs):
        raise InputError(f"k must be an int between 2 and the number of documents ({len(docs)}), got {k!r}")
    order = np.random.default_rng(seed).permutation(len(docs))
    fold_of = {docs[j]: r % k for r, j in enumerate(order)}
    folds = []
    for f in range(k):
        test = [i for i, d in enumerate(corpus.doc_ids) if fold_of[d] == f]
        train = [i for i, d in enumerate(corpus.doc_ids) if fold_of[d] != f]
        folds.append(
            (corpus.subset(train, f"fold{f}-train"), corpus.subset(test, f"fold{f}-test"))
        )
    return folds


def data_home() -> Path:
    """The folder ``seqtag download`` writes to.

    ``SEQTAG_HOME`` if set; else the project's ``corpora/`` folder when running
    from a source checkout; else ``~/.local/share/seqtag``.
    """
    env = os.environ.get("SEQTAG_HOME")
    if env:
        return Path(env)
    checkout = Path(__file__).resolve().parents[2] / "corpora"
    if (checkout / "README.md").is_file():
        return checkout
    return Path.home() / ".local" / "share" / "seqtag"


def env_paths(var: str) -> list[Path]:
    """Folders listed in an environment variable (``os.pathsep``-separated)."""
    return [Path(p) for p in os.environ.get(var, "").split(os.pathsep) if p]


def not_found(name: str, looked: list[Path], var: str) -> CorpusNotFoundError:
    """The error for a corpus that is not on this machine, naming how to get it."""
    where = "\n  ".join(str(p) for p in looked) or "(nowhere)"
    return CorpusNotFoundError(
        f"corpus {name!r} was not found. Looked in:\n  {where}\n"
        f"Get it with `seqtag download {name}` (needs internet), or point {var} at a folder "
        f"that holds it, or pass path=..."
    )
