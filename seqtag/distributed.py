"""Tag and align large corpora on Dask (``pip install 'seqtag[dask]'``).

The work is the one of :mod:`seqtag.dataframe`, run inside every partition, so
the distributed result equals the single-process one row for row.  What this
module adds:

* **the model goes to each worker once**: :func:`ship_model` saves it the
  pickle-free way (``tagger.save`` / ``aligner.save``: JSON + ``.npz`` /
  ``state_dict``), scatters those *bytes* to every worker (``broadcast=True``),
  and has every worker rebuild it with the class' own ``load`` and tag a dummy
  sentence, so the Numba kernels are compiled or read from the on-disk cache
  before the first partition.  Each worker process keeps the rebuilt model;
  nothing is ever written to disk as a pickle.  An object that cannot be saved
  (a user aligner class) travels in memory through Dask's own serialization.
* :func:`tag_dask` / :func:`align_dask` over a ``dask.dataframe`` (via
  ``map_partitions``) or a ``dask.bag`` of texts / utterances: a lazy Dask
  DataFrame of result rows.
* :func:`to_parquet_as_completed` writes one ``part-NNNNN.parquet`` per
  partition as soon as it is done (atomically), so a long job leaves its
  finished parts behind even if it is stopped.
* :func:`tag_file`: the engine of ``seqtag tag DIR --input big.txt --output
  out.parquet``, streaming the file in chunks with a bounded number in flight.

Item failures never fail the job: they come back as rows with an ``error``
message (see :mod:`seqtag.dataframe`).  Importing this module does not import
Dask; the functions that need it say how to install it.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import dataframe as _df
from ._model_payload import ModelPayload, pack_model, unpack_model, warm_model
from .persistence import load_model
from .exceptions import InputError, SeqtagError

__all__ = [
    "ModelPayload", "pack_model", "unpack_model", "load_model", "ship_model", "dask_client",
    "tag_dask", "align_dask", "to_parquet_as_completed", "tag_file",
]

_LINE_IDS = np.dtype(np.int64)


def _require_dask():
    try:
        for name in ("dask", "dask.dataframe", "distributed", "pyarrow"):
            importlib.import_module(name)
    except ImportError as exc:
        raise InputError(
            f"seqtag's Dask support needs dask[dataframe,distributed] and pyarrow ({exc}); "
            f"install them with: pip install 'seqtag[dask]'"
        ) from None


def _default_client(client=None):
    if client is not None:
        return client
    try:
        from distributed import default_client

        return default_client()
    except (ImportError, ValueError):
        return None


def ship_model(model, client=None):
    """Send a model to every worker once and warm it there.

    Parameters
    ----------
    model : Tagger, aligner, path-like or ModelPayload
        See :func:`pack_model`.
    client : distributed.Client or None
        Default: the current default client; without one (local Dask schedulers)
        the payload itself is returned and used in-process.

    Returns
    -------
    distributed.Future or ModelPayload
        What to pass to the partition functions.

    Examples
    --------
    >>> with dask_client(n_workers=2) as client:                    # doctest: +SKIP
    ...     ref = ship_model("models/hmm2", client)  # bytes to both workers, warmed
    """
    payload = pack_model(model)
    client = _default_client(client)
    if client is None:
        return payload
    [future] = client.scatter([payload], broadcast=True, hash=False)
    workers = list(client.nthreads())
    warm = [client.submit(warm_model, future, workers=[w], allow_other_workers=False, pure=False) for w in workers]
    try:
        client.gather(warm)
    except Exception as exc:  # a model that cannot be rebuilt is a setup error, not an item error
        raise SeqtagError(f"the workers could not load the model: {type(exc).__name__}: {exc}") from exc
    return future


@contextmanager
def dask_client(scheduler: str | None = None, n_workers: int = 2) -> Iterator[Any]:
    """A ``distributed.Client``: connected to ``scheduler``, or to a new local cluster.

    Parameters
    ----------
    scheduler : str or None
        Address of a running scheduler (``tcp://host:8786``); None starts a
        ``LocalCluster`` of ``n_workers`` single-threaded processes on 127.0.0.1.
    n_workers : int, default 2

    Yields
    ------
    distributed.Client
        Closed (and the local cluster shut down) on exit.

    Examples
    --------
    >>> with dask_client("tcp://10.0.0.5:8786") as client:           # doctest: +SKIP
    ...     rows = tag_dask(docs, "models/hmm2", client=client)
    """
    _require_dask()
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    if isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1:
        raise InputError(f"n_workers must be an int >= 1, got {n_workers!r}")
    with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        yield client


# ------------------------------------------------------------------ partition tasks
def _model_of(ref):
    return unpack_model(ref) if isinstance(ref, ModelPayload) else ref


def _tag_chunk(payload, ids, cells, tokenized, marginals, batch_size, id_dtype) -> pd.DataFrame:
    try:
        return _df._tag_items(ids, cells, _model_of(payload), tokenized=tokenized, marginals=marginals,
                              batch_size=batch_size, id_dtype=id_dtype)
    except Exception as exc:  # noqa: BLE001 - even a model that cannot be rebuilt gives rows, not a failed job
        return _df._tag_items(ids, [exc] * len(ids), None, tokenized=tokenized, marginals=marginals,
                              batch_size=batch_size, id_dtype=id_dtype)


def _align_chunk(payload, ids, audios, texts, batch_size, id_dtype) -> pd.DataFrame:
    try:
        return _df._align_items(ids, audios, texts, _model_of(payload), batch_size=batch_size, id_dtype=id_dtype)
    except Exception as exc:  # noqa: BLE001
        return _df._align_items(ids, audios, [exc] * len(ids), None, batch_size=batch_size, id_dtype=id_dtype)


def _columns(pdf, id_column, *names):
    return (pdf.index.tolist() if id_column is None else pdf[id_column].tolist(), *(pdf[n].tolist() for n in names))


def _tag_partition(pdf, payload, text_column, id_column, tokenized, marginals, batch_size, id_dtype):
    ids, texts = _columns(pdf, id_column, text_column)
    return _tag_chunk(payload, ids, texts, tokenized, marginals, batch_size, id_dtype)


def _align_partition(pdf, payload, audio_column, transcript_column, id_column, batch_size, id_dtype):
    ids, audios, texts = _columns(pdf, id_column, audio_column, transcript_column)
    return _align_chunk(payload, ids, audios, texts, batch_size, id_dtype)


def _bag_items(part: Iterable, k: int, with_ids: bool, width: int) -> tuple[list, list[tuple]]:
    """Ids and fields of a bag partition; an item of the wrong shape gets an InputError as its fields."""
    ids, fields = [], []
    for i, item in enumerate(part):
        want = width + with_ids
        if want > 1 and not (isinstance(item, (tuple, list)) and len(item) == want):
            shape = "(item_id, " * with_ids + ("audio_path, transcript)" if width == 2 else "text)")
            bad = InputError(f"a bag item must be {shape}, got {str(item)[:40]!r}")
            item = (f"{k}:{i}",) * with_ids + (bad,) * width
        item = tuple(item) if want > 1 else (item,)
        ids.append(item[0] if with_ids else f"{k}:{i}")
        fields.append(item[1:] if with_ids else item)
    return ids, fields


def _tag_bag_partition(part, k, payload, with_ids, tokenized, marginals, batch_size):
    ids, fields = _bag_items(part, k, with_ids, 1)
    return _tag_chunk(payload, ids, [f[0] for f in fields], tokenized, marginals, batch_size,
                      None if with_ids else _df._STR)


def _align_bag_partition(part, k, payload, with_ids, batch_size):
    ids, fields = _bag_items(part, k, with_ids, 2)
    return _align_chunk(payload, ids, [f[0] for f in fields], [f[1] for f in fields], batch_size,
                        None if with_ids else _df._STR)


# ----------------------------------------------------------------------- collections
def _check_collection(data, caller: str, columns: dict[str, str | None]) -> bool:
    """True for a bag; for a frame, check that the named columns exist."""
    import dask.bag as db
    import dask.dataframe as dd

    if isinstance(data, db.Bag):
        return True
    if not isinstance(data, dd.DataFrame):
        kind = "seqtag.tag_dataframe" if caller == "tag_dask" else "seqtag.align_dataframe"
        raise InputError(f"{caller} expects a dask DataFrame or Bag, got {type(data).__name__}; "
                         f"for a pandas DataFrame use {kind}")
    for what, name in columns.items():
        if name is not None and name not in data.columns:
            raise InputError(f"{what}={name!r} is not a column of the frame; its columns are {list(data.columns)}")
    return False


def tag_dask(data, tagger, *, client=None, text_column: str = "text", id_column: str | None = None,
             ids: bool = False, tokenized: bool = False, marginals: bool = False, batch_size: int = 2048):
    """Tag a ``dask.dataframe`` of documents or a ``dask.bag`` of texts.

    Parameters
    ----------
    data : dask.dataframe.DataFrame or dask.bag.Bag
        A frame with ``text_column`` (ids from ``id_column`` or the index), or a
        bag whose items are texts (or token lists with ``tokenized=True``); with
        ``ids=True`` the items are ``(doc_id, text)`` pairs, else a bag item's id
        is ``"partition:position"``.
    tagger : Tagger or path-like
        Shipped once to every worker (:func:`ship_model`).
    client : distributed.Client or None
        Default: the current client; none: Dask's local scheduler.
    text_column, id_column, tokenized, marginals, batch_size
        As in :func:`seqtag.dataframe.tag_dataframe`.
    ids : bool, default False
        Bag items are ``(doc_id, text)`` pairs.

    Returns
    -------
    dask.dataframe.DataFrame
        Lazy; the rows of :func:`~seqtag.dataframe.tag_dataframe`, partition by partition.
        Compute it, or write it with :func:`to_parquet_as_completed`.

    Examples
    --------
    >>> import dask.bag as db
    >>> from seqtag import BaselineTagger
    >>> tagger = BaselineTagger().fit([["a", "dog", "runs"]], [["DT", "NN", "VBZ"]])
    >>> pairs = db.from_sequence([(7, "a dog runs"), (8, "a dog")], npartitions=2)
    >>> rows = tag_dask(pairs, tagger, ids=True, tokenized=True).compute()  # no client: local scheduler
    >>> rows[["doc_id", "token", "tag"]].values.tolist()
    [[7, 'a', 'DT'], [7, 'dog', 'NN'], [7, 'runs', 'VBZ'], [8, 'a', 'DT'], [8, 'dog', 'NN']]
    """
    _require_dask()
    import dask
    import dask.dataframe as dd

    model = _df._check_tagger(tagger, marginals)
    batch_size = _df._check_batch_size(batch_size)
    tokenized, marginals = bool(tokenized), bool(marginals)
    bag = _check_collection(data, "tag_dask", {"text_column": text_column, "id_column": id_column})
    ref = ship_model(tagger if isinstance(tagger, (str, os.PathLike)) else model, client)
    if bag:
        id_dtype = None if ids else _df._STR
        parts = [dask.delayed(_tag_bag_partition, pure=True)(p, k, ref, bool(ids), tokenized, marginals, batch_size)
                 for k, p in enumerate(data.to_delayed())]
        return dd.from_delayed(parts, meta=_df.empty_tag_frame(marginals, id_dtype), verify_meta=False)
    id_dtype = data.index.dtype if id_column is None else data[id_column].dtype
    return data.map_partitions(_tag_partition, ref, text_column, id_column, tokenized, marginals, batch_size,
                               id_dtype, meta=_df.empty_tag_frame(marginals, id_dtype))


def align_dask(data, aligner, *, client=None, audio_column: str = "audio_path",
               transcript_column: str = "transcript", id_column: str | None = None, ids: bool = False,
               batch_size: int = 16):
    """Align a ``dask.dataframe`` of (audio path, transcript) rows or a ``dask.bag`` of pairs.

    Parameters
    ----------
    data : dask.dataframe.DataFrame or dask.bag.Bag
        A frame with the two columns, or a bag of ``(audio_path, transcript)``
        items (``(item_id, audio_path, transcript)`` with ``ids=True``).
    aligner : CTCAligner, HMMAligner, path-like or object with ``align``
        Shipped once to every worker (:func:`ship_model`).
    client, audio_column, transcript_column, id_column, ids, batch_size
        As in :func:`tag_dask` and :func:`seqtag.dataframe.align_dataframe`.

    Returns
    -------
    dask.dataframe.DataFrame
        Lazy; the rows of :func:`~seqtag.dataframe.align_dataframe`.

    Examples
    --------
    >>> from seqtag.align.aligners.hmm_gmm import HMMAligner
    >>> aligner = seqtag.load("models/hmm-aligner")                             # doctest: +SKIP
    >>> utts = dask.dataframe.read_csv("utterances.csv")  # audio_path,transcript  # doctest: +SKIP
    >>> words = align_dask(utts, aligner, client=client).compute()                # doctest: +SKIP
    """
    _require_dask()
    import dask
    import dask.dataframe as dd

    model = _df._check_aligner(aligner)
    batch_size = _df._check_batch_size(batch_size)
    bag = _check_collection(data, "align_dask", {"audio_column": audio_column, "id_column": id_column,
                                                 "transcript_column": transcript_column})
    ref = ship_model(aligner if isinstance(aligner, (str, os.PathLike)) else model, client)
    if bag:
        id_dtype = None if ids else _df._STR
        parts = [dask.delayed(_align_bag_partition, pure=True)(p, k, ref, bool(ids), batch_size)
                 for k, p in enumerate(data.to_delayed())]
        return dd.from_delayed(parts, meta=_df.empty_align_frame(id_dtype), verify_meta=False)
    id_dtype = data.index.dtype if id_column is None else data[id_column].dtype
    return data.map_partitions(_align_partition, ref, audio_column, transcript_column, id_column, batch_size,
                               id_dtype, meta=_df.empty_align_frame(id_dtype))


# --------------------------------------------------------------------------- Parquet
def to_parquet_as_completed(frame, path: str | os.PathLike, *, client=None, overwrite: bool = False,
                            progress=None) -> dict[str, Any]:
    """Compute a Dask DataFrame and write each partition as soon as it is done.

    Parameters
    ----------
    frame : dask.dataframe.DataFrame
        E.g. the result of :func:`tag_dask` or :func:`align_dask`.
    path : str or path-like
        Folder of ``part-NNNNN.parquet`` files (NNNNN = partition number), read back
        with ``pandas.read_parquet(path)``.  The client writes them: the folder is
        on the machine running this call, not on the workers.
    client : distributed.Client or None
        Default: the current client; none: partitions are computed one at a time here.
    overwrite : bool, default False
        Replace part files already in the folder (otherwise that is an error).
    progress : callable or None
        Called with the running stats dict after each part.

    Returns
    -------
    dict
        ``parts, rows, tokens`` (rows without error), ``errors``, ``seconds``.

    Raises
    ------
    SeqtagError
        If whole partitions failed (e.g. a worker kept dying); the other parts are written.

    Examples
    --------
    >>> import tempfile, pandas as pd, dask.bag as db
    >>> from seqtag import BaselineTagger
    >>> tagger = BaselineTagger().fit([["a", "dog"]], [["DT", "NN"]])
    >>> rows = tag_dask(db.from_sequence(["a dog", "a"], npartitions=2), tagger)
    >>> out = tempfile.mkdtemp() + "/out.parquet"
    >>> to_parquet_as_completed(rows, out)["parts"]
    2
    >>> pd.read_parquet(out)["tag"].tolist()
    ['DT', 'NN', 'DT']
    """
    _require_dask()
    import dask

    writer = _df._PartWriter(path, overwrite, progress)
    parts = frame.to_delayed()
    client = _default_client(client)
    if client is None:
        for i, part in enumerate(parts):
            writer.write(dask.compute(part)[0], i)
        return writer.stats()
    from distributed import as_completed

    futures = client.compute(parts)
    number, failed = {f.key: i for i, f in enumerate(futures)}, []
    for fut in as_completed(futures):
        if fut.status != "finished":
            failed.append((number[fut.key], fut.exception()))
            continue
        writer.write(fut.result(), number[fut.key])
        fut.release()
    if failed:
        i, exc = failed[0]
        raise SeqtagError(f"{len(failed)} of {len(parts)} partitions failed (first: partition {i}: "
                          f"{type(exc).__name__}: {exc}); the other {writer.parts} parts are in {str(path)!r}")
    return writer.stats()


def _line_chunks(lines: Iterable[str], size: int) -> Iterator[tuple[list[int], list[str]]]:
    ids, texts = [], []
    for n, line in enumerate(lines, 1):
        ids.append(n)
        texts.append(line.rstrip("\r\n"))
        if len(ids) == size:
            yield ids, texts
            ids, texts = [], []
    if ids:
        yield ids, texts


def tag_file(input_path: str | os.PathLike, tagger, output: str | os.PathLike, *, client=None,
             tokenized: bool = True, marginals: bool = False, chunk_lines: int = 5000, batch_size: int = 2048,
             overwrite: bool = False, progress=None) -> dict[str, Any]:
    """Tag a text file, one document per line, into a Parquet folder (``seqtag tag --output``).

    The file is read here in chunks of ``chunk_lines`` lines; at most two chunks
    per worker are in flight, and each finished chunk is written at once as
    ``part-NNNNN.parquet``.  ``doc_id`` is the 1-based line number.

    Parameters
    ----------
    input_path : str, path-like or text stream
        UTF-8 text; with ``tokenized=True`` a line is one whitespace-tokenized
        sentence (the ``seqtag tag`` input), else raw text cut by
        :func:`seqtag.dataframe.tokenize`.
    tagger : Tagger or path-like
    output : str or path-like
        The Parquet folder.
    client : distributed.Client or None
        None: tag in this process, no Dask needed.
    tokenized, marginals, batch_size
        As in :func:`seqtag.dataframe.tag_dataframe`.
    chunk_lines : int, default 5000
    overwrite : bool, default False
    progress : callable or None
        Called with the running stats dict after each part.

    Returns
    -------
    dict
        ``parts, rows, tokens, errors, seconds`` and ``lines``.

    Examples
    --------
    >>> import io, tempfile, pandas as pd
    >>> from seqtag import BaselineTagger
    >>> tagger = BaselineTagger().fit([["a", "dog"]], [["DT", "NN"]])
    >>> out = tempfile.mkdtemp() + "/out.parquet"
    >>> stats = tag_file(io.StringIO("a dog\\n\\na\\n"), tagger, out)  # client=None: no Dask
    >>> stats["lines"], stats["tokens"], stats["errors"]
    (3, 3, 0)
    >>> pd.read_parquet(out)["doc_id"].tolist()  # line numbers; the blank line gives no rows
    [1, 1, 3]
    """
    model = _df._check_tagger(tagger, marginals)
    batch_size = _df._check_batch_size(batch_size)
    chunk_lines = _df._check_batch_size(chunk_lines)
    if hasattr(input_path, "read"):
        source = nullcontext(input_path)
    elif Path(input_path).is_file():
        source = open(input_path, encoding="utf-8", errors="replace")
    else:
        raise InputError(f"input file {str(input_path)!r} does not exist (stdin formats: text, conllu)")
    writer = _df._PartWriter(output, overwrite, progress)
    args = (bool(tokenized), bool(marginals), batch_size, _LINE_IDS)
    n_lines = 0
    with source as fh:
        chunks = enumerate(_line_chunks(fh, chunk_lines))
        if client is None:
            for i, (ids, texts) in chunks:
                n_lines += len(ids)
                writer.write(_tag_chunk(model, ids, texts, *args), i)
            return {**writer.stats(), "lines": n_lines}
        from distributed import as_completed

        ref = ship_model(tagger if isinstance(tagger, (str, os.PathLike)) else model, client)
        limit = 2 * max(1, len(client.nthreads()))
        queue, meta = as_completed(), {}

        def collect(fut):
            i, ids = meta.pop(fut.key)
            # a task that died (e.g. its worker was killed) turns its lines into error rows
            frame = fut.result() if fut.status == "finished" else _tag_chunk(None, ids, [fut.exception()] * len(ids),
                                                                           *args)
            fut.release()
            writer.write(frame, i)

        for i, (ids, texts) in chunks:
            n_lines += len(ids)
            fut = client.submit(_tag_chunk, ref, ids, texts, *args, pure=False)
            meta[fut.key] = (i, ids)
            queue.add(fut)
            while len(meta) >= limit:
                collect(next(queue))
        for fut in queue:
            collect(fut)
    return {**writer.stats(), "lines": n_lines}
