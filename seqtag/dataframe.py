"""pandas in and out: tag a text column, align (audio, transcript) rows.

:func:`tag_dataframe` turns a frame of documents into one row per token and
:func:`align_dataframe` a frame of utterances into one row per aligned word.
Both batch the model calls (one ``predict`` / ``align_batch`` call per batch)
and never fail because of one bad item: an item that cannot be read or
processed becomes a single row whose ``error`` column holds the message, and
the batch it was in is redone item by item so that its neighbours still get
their results.  Mistakes in the *arguments* (an unknown column, a model that
cannot give what was asked) are raised at once as
:class:`~seqtag.exceptions.InputError`.

The same engine runs inside every Dask partition (:mod:`seqtag.distributed`),
so the single-process and distributed results are identical.

Raw text (``tokenized=False``) is cut into sentences at line breaks and after
``.``, ``!`` or ``?`` followed by a capitalised word (not after a few common
abbreviations or single initials), then into Penn-Treebank-style tokens with
NLTK's ``NLTKWordTokenizer`` rules (:mod:`seqtag.tokenize`; no downloaded data needed).
"""

from __future__ import annotations

import importlib.util
import math
import os
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .exceptions import InputError
from .tokenize import split_sentences, tokenize

__all__ = [
    "tag_dataframe", "align_dataframe", "tokenize", "split_sentences",
    "tag_columns", "align_columns", "empty_tag_frame", "empty_align_frame",
]

_STR = pd.StringDtype()

# ----------------------------------------------------------------------- schema
def tag_columns(marginals: bool = False) -> list[str]:
    """Columns of a :func:`tag_dataframe` result, in order.

    Examples
    --------
    >>> tag_columns(marginals=True)
    ['doc_id', 'sentence', 'token_index', 'token', 'tag', 'prob', 'error']
    """
    return ["doc_id", "sentence", "token_index", "token", "tag", *(["prob"] if marginals else []), "error"]


def align_columns() -> list[str]:
    """Columns of an :func:`align_dataframe` result, in order.

    Examples
    --------
    >>> align_columns()
    ['item_id', 'audio_path', 'word_index', 'word', 'start', 'end', 'score', 'error']
    """
    return ["item_id", "audio_path", "word_index", "word", "start", "end", "score", "error"]


def _ints(values: list[int]) -> pd.arrays.IntegerArray:
    arr = np.asarray(values, dtype=np.int64)
    return pd.arrays.IntegerArray(arr, arr < 0)  # -1 marks an error row (missing)


def _strings(values: list) -> pd.api.extensions.ExtensionArray:
    return pd.array(values, dtype=_STR)


def _ids(values: list, id_dtype) -> Any:
    if id_dtype is None:  # inferred (only for frames built outside a Dask partition)
        return pd.Series(values, dtype=None if values else object).array
    if isinstance(id_dtype, np.dtype):
        return np.asarray(values, dtype=id_dtype)
    return pd.array(values, dtype=id_dtype)


def empty_tag_frame(marginals: bool = False, id_dtype=None) -> pd.DataFrame:
    """A zero-row frame with the columns and dtypes of :func:`tag_dataframe` (a Dask ``meta``).

    Examples
    --------
    >>> empty_tag_frame().dtypes.astype(str).tolist()
    ['object', 'Int64', 'Int64', 'string', 'string', 'string']
    """
    return _TagRows(marginals).frame(id_dtype)


def empty_align_frame(id_dtype=None) -> pd.DataFrame:
    """A zero-row frame with the columns and dtypes of :func:`align_dataframe` (a Dask ``meta``).

    Examples
    --------
    >>> list(empty_align_frame().columns) == align_columns()
    True
    """
    return _AlignRows().frame(id_dtype)


def _message(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class _TagRows:
    """Column-wise accumulator of token rows and error rows."""

    def __init__(self, marginals: bool):
        self.marginals = marginals
        self.doc, self.sent, self.tok_i, self.tok, self.tag, self.prob, self.err = [], [], [], [], [], [], []

    def add_doc(self, doc_id, sents: list[list[str]], tags: list[list[str]], probs) -> None:
        for s, (toks, tg) in enumerate(zip(sents, tags)):
            n = len(toks)
            self.doc.extend([doc_id] * n)
            self.sent.extend([s] * n)
            self.tok_i.extend(range(n))
            self.tok.extend(toks)
            self.tag.extend(tg)
            if self.marginals:
                self.prob.extend(probs[s])
        self.err.extend([None] * (len(self.tok) - len(self.err)))

    def add_error(self, doc_id, message: str) -> None:
        self.doc.append(doc_id)
        self.sent.append(-1)
        self.tok_i.append(-1)
        self.tok.append(None)
        self.tag.append(None)
        if self.marginals:
            self.prob.append(math.nan)
        self.err.append(message)

    def frame(self, id_dtype=None) -> pd.DataFrame:
        cols = {"doc_id": _ids(self.doc, id_dtype), "sentence": _ints(self.sent), "token_index": _ints(self.tok_i),
                "token": _strings(self.tok), "tag": _strings(self.tag)}
        if self.marginals:
            cols["prob"] = np.asarray(self.prob, dtype=np.float64)
        cols["error"] = _strings(self.err)
        return pd.DataFrame(cols)


class _AlignRows:
    def __init__(self):
        self.cols: dict[str, list] = {c: [] for c in align_columns()}

    def add(self, item_id, audio, result) -> None:
        c = self.cols
        for i, w in enumerate(result.words):
            c["item_id"].append(item_id)
            c["audio_path"].append(audio)
            c["word_index"].append(i)
            c["word"].append(w.label)
            c["start"].append(w.start)
            c["end"].append(w.end)
            c["score"].append(w.score)
            c["error"].append(None)

    def add_error(self, item_id, audio, message: str) -> None:
        for key, value in zip(align_columns(), (item_id, audio, -1, None, math.nan, math.nan, math.nan, message)):
            self.cols[key].append(value)

    def frame(self, id_dtype=None) -> pd.DataFrame:
        c = self.cols
        return pd.DataFrame({
            "item_id": _ids(c["item_id"], id_dtype), "audio_path": _strings(c["audio_path"]),
            "word_index": _ints(c["word_index"]), "word": _strings(c["word"]),
            **{k: np.asarray(c[k], dtype=np.float64) for k in ("start", "end", "score")},
            "error": _strings(c["error"]),
        })


# ------------------------------------------------------------------------ tagging
def _sentences_of(cell: Any, tokenized: bool) -> list[list[str]]:
    """The sentences of one cell, or :class:`InputError` saying what was wrong with it."""
    if isinstance(cell, Exception):  # a failure found before the engine (bad bag item, lost task)
        raise cell
    if cell is None or cell is pd.NA or (isinstance(cell, float) and math.isnan(cell)):
        raise InputError("the text is missing (None/NaN)")
    if not tokenized:
        if not isinstance(cell, str):
            raise InputError(f"expected a str of raw text, got {type(cell).__name__}; "
                             f"pass tokenized=True for token lists")
        return tokenize(cell)
    if isinstance(cell, str):  # one whitespace-tokenized sentence, like a `seqtag tag` input line
        return [cell.split()] if cell.split() else []
    if isinstance(cell, np.ndarray):
        cell = cell.tolist()
    if not isinstance(cell, (list, tuple)):
        raise InputError(f"expected a list of tokens (or of sentences), got {type(cell).__name__}")
    if not cell:
        return []
    if all(isinstance(t, str) for t in cell):
        return [list(cell)]
    sents = []
    for i, s in enumerate(cell):
        if isinstance(s, np.ndarray):
            s = s.tolist()
        if not isinstance(s, (list, tuple)) or not all(isinstance(t, str) for t in s):
            raise InputError(f"expected a list of str tokens or a list of sentences (lists of str tokens); "
                             f"item {i} is {type(s).__name__} {str(s)[:40]!r}")
        sents.append(list(s))
    return [s for s in sents if s]


def _predict(tagger, sents: list[list[str]], marginals: bool):
    tags = tagger.predict(sents)
    if not marginals:
        return tags, None
    post = tagger.predict_marginals(sents)
    probs = [[float(p[t]) for p, t in zip(ps, ts)] for ps, ts in zip(post, tags)]
    return tags, probs


def _check_tagger(tagger, marginals: bool):
    from .persistence import load_model as load

    if isinstance(tagger, (str, os.PathLike)):
        tagger = load(tagger)
    if not callable(getattr(tagger, "predict", None)):
        raise InputError(f"tagger must be a fitted seqtag tagger (or a saved model folder), "
                         f"got {type(tagger).__name__}")
    if callable(getattr(tagger, "_check_fitted", None)):
        tagger._check_fitted()  # NotFittedError now, not one error row per document
    if marginals and not callable(getattr(tagger, "predict_marginals", None)):
        raise InputError(
            f"marginals=True needs a tagger with predict_marginals (the HMM, CRF and neural taggers have it); "
            f"{type(tagger).__name__} does not: pass marginals=False"
        )
    return tagger


def _tag_items(ids: Sequence, cells: Iterable, tagger, *, tokenized: bool, marginals: bool, batch_size: int,
               id_dtype=None) -> pd.DataFrame:
    """The engine: tag ``cells`` (one document each) in batches; errors become rows."""
    rows = _TagRows(marginals)
    pending: list[tuple[Any, list[list[str]] | None, str | None]] = []
    n_pending = 0

    def flush():
        nonlocal n_pending
        batch = [s for _, sents, _ in pending if sents for s in sents]
        try:
            tags, probs = _predict(tagger, batch, marginals) if batch else ([], None)
            done = []
            o = 0
            for doc_id, sents, err in pending:
                k = len(sents) if sents is not None else 0
                done.append((doc_id, sents, err, tags[o:o + k], probs[o:o + k] if probs is not None else None))
                o += k
        except Exception:  # redo one document at a time to find the bad one(s)
            done = []
            for doc_id, sents, err in pending:
                if err is None and sents:
                    try:
                        t, p = _predict(tagger, sents, marginals)
                    except Exception as exc:  # noqa: BLE001 - an item's failure is reported in its row
                        err = _message(exc)
                        t = p = None
                    done.append((doc_id, sents, err, t, p))
                else:
                    done.append((doc_id, sents, err, [], None))
        for doc_id, sents, err, t, p in done:
            if err is not None:
                rows.add_error(doc_id, err)
            elif sents:
                rows.add_doc(doc_id, sents, t, p)
        pending.clear()
        n_pending = 0

    for doc_id, cell in zip(ids, cells):
        try:
            sents, err = _sentences_of(cell, tokenized), None
        except Exception as exc:  # noqa: BLE001
            sents, err = None, _message(exc)
        pending.append((doc_id, sents, err))
        n_pending += len(sents) if sents else 0
        if n_pending >= batch_size:
            flush()
    if pending:
        flush()
    return rows.frame(id_dtype)


def _check_batch_size(batch_size) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise InputError(f"batch_size must be an int >= 1, got {batch_size!r}")
    return int(batch_size)


def _column(df, name, what: str):
    if name not in df.columns:
        raise InputError(f"{what}={name!r} is not a column of the frame; its columns are {list(df.columns)}")
    return df[name]


def _id_values(df: pd.DataFrame, id_column: str | None):
    if id_column is None:
        return df.index.tolist(), df.index.dtype
    col = _column(df, id_column, "id_column")
    return col.tolist(), col.dtype


def tag_dataframe(
    df: pd.DataFrame,
    tagger,
    text_column: str = "text",
    *,
    id_column: str | None = None,
    tokenized: bool = False,
    marginals: bool = False,
    batch_size: int = 2048,
) -> pd.DataFrame:
    """Tag a column of documents: one output row per token.

    Parameters
    ----------
    df : pandas.DataFrame
        One document per row.
    tagger : Tagger or path-like
        A fitted seqtag tagger, or a folder saved with ``tagger.save`` (loaded once).
    text_column : str, default "text"
        Column holding the documents.
    id_column : str or None
        Column identifying the documents (default: the frame's index).
    tokenized : bool, default False
        False: cells are raw text, cut by :func:`tokenize`.  True: a cell is a list
        of tokens (one sentence), a list of such lists (several sentences), or a
        whitespace-tokenized string (one sentence, the ``seqtag tag`` format).
    marginals : bool, default False
        Add a ``prob`` column: the posterior probability of the predicted tag.
        Needs a tagger with ``predict_marginals`` (today: :class:`~seqtag.CRFTagger`).
    batch_size : int, default 2048
        Sentences per ``predict`` call (whole documents are kept together).

    Returns
    -------
    pandas.DataFrame
        Columns ``doc_id, sentence, token_index, token, tag, [prob,] error``, in
        document order.  A document that cannot be read or tagged gives one row
        with the message in ``error`` (the other columns missing); an empty
        document gives no rows.

    Examples
    --------
    >>> import pandas as pd
    >>> from seqtag import BaselineTagger
    >>> tagger = BaselineTagger().fit([["the", "dog", "runs", "."]], [["DT", "NN", "VBZ", "."]])
    >>> df = pd.DataFrame({"text": ["the dog runs.", 42]}, index=["a", "b"])
    >>> out = tag_dataframe(df, tagger)
    >>> out[["doc_id", "sentence", "token", "tag"]].head(4).values.tolist()
    [['a', 0, 'the', 'DT'], ['a', 0, 'dog', 'NN'], ['a', 0, 'runs', 'VBZ'], ['a', 0, '.', '.']]
    >>> out["error"].iloc[-1]
    'InputError: expected a str of raw text, got int; pass tokenized=True for token lists'
    """
    if not isinstance(df, pd.DataFrame):
        raise InputError(f"tag_dataframe expects a pandas DataFrame, got {type(df).__name__}")
    tagger = _check_tagger(tagger, marginals)
    texts = _column(df, text_column, "text_column")
    ids, id_dtype = _id_values(df, id_column)
    return _tag_items(ids, texts.tolist(), tagger, tokenized=bool(tokenized), marginals=bool(marginals),
                      batch_size=_check_batch_size(batch_size), id_dtype=id_dtype)


# ---------------------------------------------------------------------- alignment
def _check_aligner(aligner):
    if isinstance(aligner, (str, os.PathLike)):
        from .persistence import load_model

        aligner = load_model(aligner)
    if not callable(getattr(aligner, "align", None)):
        raise InputError(f"aligner must have an align(audio_path, transcript) method "
                         f"(CTCAligner, HMMAligner), got {type(aligner).__name__}")
    if callable(getattr(aligner, "_check_fitted", None)):
        aligner._check_fitted()
    return aligner


def _audio_of(value) -> str:
    if isinstance(value, Exception):
        raise value
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str) or not value:
        raise InputError(f"expected an audio file path, got {type(value).__name__} {str(value)[:40]!r}")
    return value


def _transcript_of(value) -> str:
    if isinstance(value, Exception):
        raise value
    if not isinstance(value, str) or not value.split():
        raise InputError(f"expected a non-empty transcript str, got {type(value).__name__} {str(value)[:40]!r}")
    return value


def _align_items(ids: Sequence, audios: Iterable, transcripts: Iterable, aligner, *, batch_size: int,
                 id_dtype=None) -> pd.DataFrame:
    rows = _AlignRows()
    batched = callable(getattr(aligner, "align_batch", None))
    pending: list = []

    def one(audio, text):
        return aligner.align(audio, text)

    def flush():
        good = [(a, t) for _, a, t, err in pending if err is None]
        results = None
        if batched and len(good) > 1:
            try:
                results = iter(aligner.align_batch(good))
            except Exception:  # noqa: BLE001 - redo one at a time below
                results = None
        for item_id, audio, text, err in pending:
            shown = audio if isinstance(audio, str) else None
            if err is not None:
                rows.add_error(item_id, shown, err)
                continue
            try:
                rows.add(item_id, audio, next(results) if results is not None else one(audio, text))
            except Exception as exc:  # noqa: BLE001 - an item's failure is reported in its row
                rows.add_error(item_id, audio, _message(exc))
        pending.clear()

    for item_id, audio, text in zip(ids, audios, transcripts):
        try:
            a, t, err = _audio_of(audio), _transcript_of(text), None
        except Exception as exc:  # noqa: BLE001
            a, t, err = audio, text, _message(exc)
        pending.append((item_id, a, t, err))
        if len(pending) >= batch_size:
            flush()
    if pending:
        flush()
    return rows.frame(id_dtype)


def align_dataframe(
    df: pd.DataFrame,
    aligner,
    audio_column: str = "audio_path",
    transcript_column: str = "transcript",
    *,
    id_column: str | None = None,
    batch_size: int = 16,
) -> pd.DataFrame:
    """Force-align (audio path, transcript) rows: one output row per word.

    Parameters
    ----------
    df : pandas.DataFrame
        One utterance per row.
    aligner : object or path-like
        Anything with ``align(audio_path, transcript) -> AlignmentResult``
        (:class:`~seqtag.align.CTCAligner`, :class:`~seqtag.align.aligners.hmm_gmm.HMMAligner`),
        or a folder saved by one of them.  Aligners with ``align_batch`` get a
        whole batch at once.
    audio_column, transcript_column : str
        Columns holding audio file paths and transcripts.
    id_column : str or None
        Column identifying the utterances (default: the frame's index).
    batch_size : int, default 16
        Utterances per ``align_batch`` call.

    Returns
    -------
    pandas.DataFrame
        Columns ``item_id, audio_path, word_index, word, start, end, score, error``
        (seconds; ``score`` is the word's confidence).  An utterance that cannot be
        aligned gives one row with the message in ``error``.

    Examples
    --------
    >>> import pandas as pd
    >>> from seqtag.align.spans import Interval
    >>> class Even:  # any object with align(audio, transcript) works
    ...     def align(self, audio, transcript):
    ...         from types import SimpleNamespace
    ...         words = [Interval(w, i * 0.5, i * 0.5 + 0.5, 1.0) for i, w in enumerate(transcript.split())]
    ...         return SimpleNamespace(words=words)
    >>> df = pd.DataFrame({"audio_path": ["a.wav", "b.wav"], "transcript": ["hello world", ""]})
    >>> out = align_dataframe(df, Even())
    >>> out[["item_id", "word", "start", "end"]].head(2).values.tolist()
    [[0, 'hello', 0.0, 0.5], [0, 'world', 0.5, 1.0]]
    >>> out["error"].iloc[2]
    "InputError: expected a non-empty transcript str, got str ''"
    """
    if not isinstance(df, pd.DataFrame):
        raise InputError(f"align_dataframe expects a pandas DataFrame, got {type(df).__name__}")
    aligner = _check_aligner(aligner)
    audios = _column(df, audio_column, "audio_column")
    texts = _column(df, transcript_column, "transcript_column")
    ids, id_dtype = _id_values(df, id_column)
    return _align_items(ids, audios.tolist(), texts.tolist(), aligner, batch_size=_check_batch_size(batch_size),
                        id_dtype=id_dtype)


# ------------------------------------------------------------------ Parquet parts
class _PartWriter:
    """Writes ``part-NNNNN.parquet`` files into a folder, atomically, and counts rows."""

    def __init__(self, path, overwrite: bool, progress=None):
        if importlib.util.find_spec("pyarrow") is None:
            raise InputError("Parquet output needs pyarrow: pip install pyarrow (or 'seqtag[dask]')")
        folder = Path(path)
        if folder.exists() and not folder.is_dir():
            raise InputError(f"{str(folder)!r} exists and is not a folder; a Parquet dataset is written as a "
                             f"folder of part files: choose a new path")
        folder.mkdir(parents=True, exist_ok=True)
        old = sorted(folder.glob("part-*.parquet"))
        if old and not overwrite:
            raise InputError(f"{str(folder)!r} already holds {len(old)} part files; remove them, pick another "
                             f"output or pass overwrite=True")
        for p in old:
            p.unlink()
        self.folder, self.progress, self.t0 = folder, progress, time.perf_counter()
        self.parts = self.rows = self.errors = 0

    def write(self, frame: pd.DataFrame, i: int) -> None:
        tmp = self.folder / f".part-{i:05d}.parquet.tmp"
        frame.to_parquet(tmp, index=False, engine="pyarrow")
        os.replace(tmp, self.folder / f"part-{i:05d}.parquet")  # a part file is either complete or absent
        self.parts += 1
        self.rows += len(frame)
        self.errors += int(frame["error"].notna().sum())
        if self.progress:
            self.progress(self.stats())

    def stats(self) -> dict[str, Any]:
        """``parts, rows, tokens`` (rows without error), ``errors``, ``seconds``."""
        return {"parts": self.parts, "rows": self.rows, "tokens": self.rows - self.errors, "errors": self.errors,
                "seconds": time.perf_counter() - self.t0}
