"""Score one fitted tagger on one corpus split: the row every table is built from."""

from __future__ import annotations

import time
from collections.abc import Iterable

from . import metrics

__all__ = ["evaluate", "is_chunk_tagset"]


def is_chunk_tagset(tags: Iterable[str]) -> bool:
    """True when every tag is ``O`` or ``B-/I-/E-/S-`` prefixed (a chunking corpus)."""
    tags = set(tags)
    return bool(tags) and all(t == "O" or (len(t) > 2 and t[1] == "-" and t[0] in "BIES") for t in tags)


def evaluate(tagger, corpus, vocab: Iterable[str] | None = None) -> dict[str, float]:
    """Tag ``corpus`` with ``tagger`` and compute the standard metrics.

    Parameters
    ----------
    tagger : Tagger
        A fitted tagger.
    corpus : Corpus
        Gold sentences (``.X``, ``.y``).
    vocab : iterable of str, optional
        Training vocabulary; when given, known/unknown-word accuracy is added.

    Returns
    -------
    dict
        ``accuracy``, ``sentence_accuracy``, ``macro_f1``, ``tokens_per_s``,
        and ``known_accuracy``/``unknown_accuracy``/``unknown_rate`` with a
        vocabulary, ``span_f1`` for chunk tags.
    """
    t0 = time.perf_counter()
    pred = tagger.predict(corpus.X)
    seconds = time.perf_counter() - t0
    row = {
        "accuracy": metrics.accuracy(corpus.y, pred),
        "sentence_accuracy": metrics.sentence_accuracy(corpus.y, pred),
        "macro_f1": metrics.macro_f1(corpus.y, pred),
    }
    if vocab is not None:
        ku = metrics.known_unknown_accuracy(corpus.X, corpus.y, pred, set(vocab))
        row["known_accuracy"] = ku["known"]
        row["unknown_accuracy"] = ku["unknown"]
        row["unknown_rate"] = ku["n_unknown"] / max(1, ku["n_known"] + ku["n_unknown"])
    if is_chunk_tagset(t for s in corpus.y for t in s):
        row["span_f1"] = metrics.span_f1(corpus.y, pred)["f1"]
    row["tokens_per_s"] = corpus.n_tokens / seconds if seconds > 0 else float("inf")
    return row
