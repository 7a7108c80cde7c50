"""Tagged corpora behind one function, :func:`load_corpus`.

Data is looked for in this order: an explicit ``path=`` argument; the
environment (``NLTK_DATA`` for NLTK packages, ``SEQTAG_DATA`` for the others);
the data home (the project's ``corpora/`` folder, or ``SEQTAG_HOME``); for NLTK
packages also NLTK's default folders.  A missing corpus raises
:class:`~seqtag.exceptions.CorpusNotFoundError` naming ``seqtag download NAME``
(or, for the LDC-licensed ``ptb-wsj``, how to point seqtag at your copy).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from ..exceptions import InputError
from ._base import Corpus, MissingSplitError, data_home, document_folds
from .download import download
from .nltk_corpora import load_brown_universal, load_conll2000, load_ptb_sample
from .ptb_wsj import load_ptb_wsj
from .readers import read_columns, read_conllu
from .speech import SpeechCorpus, Utterance, read_speech_folder
from .ud import load_ud_ewt

__all__ = [
    "CORPORA",
    "SPEECH_CORPORA",
    "Corpus",
    "MissingSplitError",
    "SpeechCorpus",
    "Utterance",
    "corpus_available",
    "data_home",
    "document_folds",
    "download",
    "load_corpus",
    "load_folds",
    "load_speech_corpus",
    "read_columns",
    "read_conllu",
    "read_speech_folder",
]

#: Speech corpora with reference boundaries made or read here (besides folders).
SPEECH_CORPORA = ("synthetic", "fsdd-strings")

#: corpus name -> loader(split=..., **options)
CORPORA: dict[str, Callable[..., Corpus]] = {
    "ptb-sample": load_ptb_sample,
    "ud-ewt": load_ud_ewt,
    "conll2000": load_conll2000,
    "brown-universal": load_brown_universal,
    "ptb-wsj": load_ptb_wsj,
}


def load_corpus(name: str | os.PathLike | None, split: str = "train", **options) -> Corpus:
    """Load one split of a named corpus.

    Parameters
    ----------
    name : str, path-like or None
        ``"ptb-sample"``, ``"ud-ewt"``, ``"conll2000"``, ``"brown-universal"`` or
        ``"ptb-wsj"`` (your own copy of the LDC's Penn Treebank 3).
        Or the user's own tagged file or folder (:func:`seqtag.corpora.user.load_files`;
        ``None`` with ``train=``/``dev=``/``test=`` paths).
    split : str
        ``"train"``, ``"dev"``, ``"test"`` (and ``"all"`` where it makes sense).
    **options
        Corpus options: ``path`` (a data folder) for all; ``traces`` for
        ptb-sample and ptb-wsj; ``tagset`` (``"xpos"``/``"upos"``) for ud-ewt;
        ``task`` (``"chunk"``/``"pos"``) for conll2000; ``split_scheme``
        (``"pos"``/``"conll2000"``) for ptb-wsj; ``train``, ``dev``, ``test``,
        ``format``, ``tagset``, ``token_column``, ``tag_column`` for the user's own files.

    Returns
    -------
    Corpus
        A sequence of sentences, each a list of ``(token, tag)``, with ``.X`` and ``.y``.

    Examples
    --------
    >>> train = load_corpus("ptb-sample", split="train")  # doctest: +SKIP
    >>> len(train), train.n_tokens  # doctest: +SKIP
    (3396, 81793)
    """
    loader = CORPORA.get(name) if isinstance(name, str) else None
    if loader is None:
        if not (name is None or os.path.exists(name) or set(options) & {"train", "dev", "test"}):
            raise InputError(f"unknown corpus {name!r}; valid corpora: {', '.join(CORPORA)}, or the path of "
                             f"your own tagged file or folder")
        from functools import partial

        from .user import load_files

        loader = partial(load_files, name)
    try:
        return loader(split=split, **options)
    except TypeError as exc:
        if "unexpected keyword" in str(exc):
            raise InputError(f"corpus {name!r} does not take that option: {exc}") from None
        raise


def corpus_available(name: str, **options) -> bool:
    """True when ``load_corpus(name)`` would find its data (cheap: nothing is parsed)."""
    from ..exceptions import CorpusNotFoundError
    from .nltk_corpora import find_resource
    from .ptb_wsj import find_ptb_wsj
    from .ud import UD_EWT_FILES, ud_ewt_roots

    if name not in CORPORA:
        raise InputError(f"unknown corpus {name!r}; valid corpora: {', '.join(CORPORA)}")
    if name == "ud-ewt":
        return any(
            all((root / f).is_file() for f, _ in UD_EWT_FILES.values()) for root in ud_ewt_roots(options.get("path"))
        )
    if name == "ptb-wsj":
        try:
            find_ptb_wsj(options.get("path"))
        except CorpusNotFoundError:
            return False
        return True
    resources = {
        "ptb-sample": ["corpora/treebank/combined"],
        "conll2000": ["corpora/conll2000"],
        "brown-universal": ["corpora/brown", "taggers/universal_tagset"],
    }[name]
    try:
        for res in resources:
            find_resource(res, name, options.get("path"))
    except CorpusNotFoundError:
        return False
    return True


def load_folds(name: str, k: int = 5, seed: int = 0, **options) -> list[tuple[Corpus, Corpus]]:
    """Document-level k-fold (train, test) splits over the train+dev part of a corpus.

    The corpus' own test split is never included, so it stays unseen.
    """
    train = load_corpus(name, split="train", **options)
    try:
        dev = load_corpus(name, split="dev", **options)
    except InputError:
        dev = None
    if dev is not None:
        train = Corpus(
            train.name,
            "train+dev",
            train.X + dev.X,
            train.y + dev.y,
            train.doc_ids + dev.doc_ids,
            {c: train.columns[c] + dev.columns[c] for c in train.columns},
        )
    return document_folds(train, k=k, seed=seed)


def load_speech_corpus(name: str | os.PathLike, split: str = "train", **options) -> SpeechCorpus:
    """Load one split of a speech corpus with reference boundaries.

    Parameters
    ----------
    name : str or path-like
        ``"synthetic"`` (espeak-ng speech, see
        :func:`seqtag.corpora.synthetic.load_synthetic`), ``"fsdd-strings"`` (see
        :func:`seqtag.corpora.fsdd.load_fsdd_strings`), or a folder (see
        :func:`read_speech_folder`; ``split`` is then only a label).
    split : str
        ``"train"``, ``"dev"`` or ``"test"`` for the named corpora.
    **options
        Passed to the loader (e.g. ``n=200, seed=0, cache_dir=...``).

    Returns
    -------
    SpeechCorpus

    Examples
    --------
    >>> test = load_speech_corpus("synthetic", split="test", n=20)  # doctest: +SKIP
    >>> test[0].words[0]  # doctest: +SKIP
    Interval(label='the', start=0.213, end=0.31, score=nan)
    """
    if name == "synthetic":
        from .synthetic import load_synthetic

        return load_synthetic(split=split, **options)
    if name == "fsdd-strings":
        from .fsdd import load_fsdd_strings

        return load_fsdd_strings(split=split, **options)
    if isinstance(name, (str, os.PathLike)) and Path(name).is_dir():
        return read_speech_folder(name, split=split, **options)
    raise InputError(
        f"unknown speech corpus {str(name)!r}: expected one of {', '.join(SPEECH_CORPORA)} or an existing folder"
    )
