"""Reading pre-trained word vectors from a local text file (GloVe or word2vec format).

Nothing is downloaded: the user passes the path of a file they already have,
e.g. ``glove.6B.100d.txt``.  Two text layouts are understood:

* GloVe: one ``word v1 v2 ... vD`` line per word, no header;
* word2vec text (``binary=False``): the same lines after a ``N D`` header line.

Lines may end with ``\\n`` or ``\\r\\n``; words may contain spaces (the last
``D`` fields are the vector).  Files ending in ``.gz`` are read with gzip.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ..exceptions import InputError
from .vocab import Vocab

__all__ = ["read_embeddings", "embedding_matrix"]


def _open(path: Path, encoding: str):
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding=encoding, errors="replace")
    return open(path, encoding=encoding, errors="replace")


def read_embeddings(
    path: str | os.PathLike,
    words: Iterable[str] | None = None,
    dim: int | None = None,
    encoding: str = "utf-8",
) -> tuple[list[str], np.ndarray]:
    """Read word vectors from a GloVe or word2vec text file.

    Parameters
    ----------
    path : str or path-like
        A local text file (optionally ``.gz``).
    words : iterable of str, optional
        Keep only these words (and, for each, its lowercase form); None keeps all.
    dim : int, optional
        Expected vector size; a file with another size is an error.
    encoding : str, default "utf-8"

    Returns
    -------
    words : list of str
        The words read, in file order (the first of duplicated words is kept).
    vectors : ndarray of shape (n_words, dim), float32

    Raises
    ------
    InputError
        Missing file, empty file, a line whose size differs from the others,
        a non-numeric value, or a size other than ``dim``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "vec.txt"
    >>> _ = f.write_text("2 3\\nthe 0.1 0.2 0.3\\ndog 1 2 3\\n")
    >>> words, vectors = read_embeddings(f)
    >>> words, vectors.shape
    (['the', 'dog'], (2, 3))
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(
            f"embeddings file {str(path)!r} does not exist; pass the path of a local GloVe or "
            f"word2vec text file (seqtag never downloads vectors)"
        )
    if dim is not None and (isinstance(dim, bool) or not isinstance(dim, int) or dim < 1):
        raise InputError(f"dim must be a positive int or None, got {dim!r}")
    keep: set[str] | None = None
    if words is not None:
        keep = set()
        for w in words:
            keep.add(w)
            keep.add(w.lower())
    out_words: list[str] = []
    rows: list[np.ndarray] = []
    seen: set[str] = set()
    size: int | None = None
    with _open(path, encoding) as fh:
        for lineno, line in enumerate(fh, 1):
            parts = line.rstrip("\r\n").rstrip(" ").split(" ")
            if lineno == 1 and len(parts) == 2 and all(p.isdigit() for p in parts):
                size = int(parts[1])  # word2vec header "n_words dim"
                if dim is not None and size != dim:
                    raise InputError(
                        f"{path.name}: header says vectors have {size} dimensions but dim={dim} was expected"
                    )
                continue
            if parts == [""]:
                continue
            if size is None:
                size = len(parts) - 1
                if size < 1:
                    raise InputError(f"{path.name}:{lineno}: expected 'word v1 v2 ...', got {line[:60]!r}")
                if dim is not None and size != dim:
                    raise InputError(
                        f"{path.name}: vectors have {size} dimensions but dim={dim} was expected; "
                        f"pick the file with {dim}-d vectors or change the dimension"
                    )
            if len(parts) - 1 < size:
                raise InputError(
                    f"{path.name}:{lineno}: vector has {len(parts) - 1} values but the file's "
                    f"vectors have {size}; the file is truncated or mixes dimensions"
                )
            word = " ".join(parts[: len(parts) - size])
            if word in seen or (keep is not None and word not in keep):
                continue
            try:
                vec = np.asarray(parts[len(parts) - size :], dtype=np.float32)
            except ValueError:
                raise InputError(
                    f"{path.name}:{lineno}: non-numeric vector value for word {word!r}; is this a "
                    f"binary word2vec file? convert it to text first"
                ) from None
            seen.add(word)
            out_words.append(word)
            rows.append(vec)
    if size is None:
        raise InputError(f"embeddings file {path.name} is empty")
    vectors = np.stack(rows) if rows else np.zeros((0, size), dtype=np.float32)
    return out_words, vectors


def embedding_matrix(
    vocab: Vocab, words: list[str], vectors: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, int]:
    """Initial embedding table for ``vocab``: file vectors where known, small noise elsewhere.

    A word missing from the file uses the vector of its lowercase form if there
    is one.  Padding gets zeros.

    Parameters
    ----------
    vocab : Vocab
    words : list of str
    vectors : ndarray (n_words, dim)
    rng : numpy Generator
        For the rows of words without a vector.

    Returns
    -------
    matrix : ndarray (len(vocab), dim), float32
    n_found : int
        How many vocabulary words got a pre-trained vector.

    Examples
    --------
    >>> import numpy as np
    >>> m, n = embedding_matrix(Vocab(["The", "cat"]), ["the"], np.ones((1, 2), "f4"), np.random.default_rng(0))
    >>> m.shape, n, m[2].tolist()
    ((4, 2), 1, [1.0, 1.0])
    """
    dim = vectors.shape[1]
    scale = float(vectors.std()) if vectors.size else 0.1
    scale = scale if scale > 0 else 0.1
    matrix = rng.normal(0.0, scale, size=(len(vocab), dim)).astype(np.float32)
    matrix[0] = 0.0
    index = {w: i for i, w in enumerate(words)}
    found = 0
    for i, w in enumerate(vocab.itos[2:], start=2):
        j = index.get(w)
        if j is None:
            j = index.get(w.lower())
        if j is not None:
            matrix[i] = vectors[j]
            found += 1
    return matrix, found
