"""Every metric once: token accuracy, known/unknown words, per-tag P/R/F1, spans, significance."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.metrics import confusion_matrix as _sk_confusion
from sklearn.metrics import precision_recall_fscore_support

from ..exceptions import InputError

__all__ = [
    "accuracy",
    "known_unknown_accuracy",
    "sentence_accuracy",
    "classification_report",
    "macro_f1",
    "confusion_matrix",
    "get_spans",
    "span_f1",
    "span_report",
    "mcnemar",
    "paired_bootstrap",
    "SignificanceResult",
]


def _flatten_pair(y_true, y_pred) -> tuple[list[str], list[str]]:
    if len(y_true) != len(y_pred):
        raise InputError(
            f"y_true and y_pred must hold the same number of sentences, got {len(y_true)} and {len(y_pred)}"
        )
    flat_t, flat_p = [], []
    for i, (t, p) in enumerate(zip(y_true, y_pred)):
        if len(t) != len(p):
            raise InputError(f"sentence {i}: {len(t)} gold tags but {len(p)} predicted tags")
        flat_t.extend(t)
        flat_p.extend(p)
    return flat_t, flat_p


def accuracy(y_true, y_pred) -> float:
    """Token accuracy over all sentences.

    Returns ``nan`` when there are no tokens.

    Examples
    --------
    >>> accuracy([["A", "B"], ["C"]], [["A", "X"], ["C"]])
    0.6666666666666666
    """
    t, p = _flatten_pair(y_true, y_pred)
    if not t:
        return float("nan")
    return float(np.mean(np.asarray(t, dtype=object) == np.asarray(p, dtype=object)))


def _flatten_tokens(X, y_true) -> list[str]:
    toks = []
    for i, (s, t) in enumerate(zip(X, y_true)):
        if len(s) != len(t):
            raise InputError(f"sentence {i}: {len(s)} tokens but {len(t)} gold tags")
        toks.extend(s)
    if len(X) != len(y_true):
        raise InputError(f"X has {len(X)} sentences but y_true has {len(y_true)}")
    return toks


def known_unknown_accuracy(X, y_true, y_pred, vocab) -> dict[str, float]:
    """Accuracy on tokens seen in training (``known``) and on the others (``unknown``).

    Parameters
    ----------
    X : list of list of str
        The tokens that were tagged.
    y_true, y_pred : list of list of str
    vocab : iterable of str
        The training vocabulary (e.g. every token of the training split).

    Returns
    -------
    dict
        ``known``, ``unknown`` (nan when there are none), ``n_known``, ``n_unknown``.

    Examples
    --------
    >>> r = known_unknown_accuracy([["a", "zyx"]], [["D", "N"]], [["D", "V"]], {"a"})
    >>> r["known"], r["unknown"], r["n_unknown"]
    (1.0, 0.0, 1)
    """
    toks = _flatten_tokens(X, y_true)
    t, p = _flatten_pair(y_true, y_pred)
    vocab = vocab if isinstance(vocab, (set, frozenset, dict)) else set(vocab)
    known = np.fromiter((w in vocab for w in toks), dtype=bool, count=len(toks))
    correct = np.asarray(t, dtype=object) == np.asarray(p, dtype=object)
    nk, nu = int(known.sum()), int((~known).sum())
    return {
        "known": float(correct[known].mean()) if nk else float("nan"),
        "unknown": float(correct[~known].mean()) if nu else float("nan"),
        "n_known": nk,
        "n_unknown": nu,
    }


def sentence_accuracy(y_true, y_pred) -> float:
    """Fraction of sentences whose every tag is right (empty sentences count as right)."""
    _flatten_pair(y_true, y_pred)
    if not len(y_true):
        return float("nan")
    return float(np.mean([list(t) == list(p) for t, p in zip(y_true, y_pred)]))


def classification_report(y_true, y_pred, labels=None) -> pd.DataFrame:
    """Per-tag precision, recall, F1 and support as a DataFrame (one row per tag).

    Rows are sorted by tag; precision of a tag never predicted is 0 (and
    recall of a tag never in the gold data is 0), as in scikit-learn with
    ``zero_division=0``.  A final ``macro avg`` row averages the tag rows.
    """
    t, p = _flatten_pair(y_true, y_pred)
    labels = sorted(set(t) | set(p)) if labels is None else list(labels)
    prec, rec, f1, sup = precision_recall_fscore_support(t, p, labels=labels, zero_division=0)
    df = pd.DataFrame({"precision": prec, "recall": rec, "f1": f1, "support": sup}, index=labels)
    df.index.name = "tag"
    macro = df[["precision", "recall", "f1"]].mean()
    df.loc["macro avg"] = [*macro, int(df["support"].sum())]
    df["support"] = df["support"].astype(int)
    return df


def macro_f1(y_true, y_pred) -> float:
    """Unweighted mean of per-tag F1 over tags in the gold or predicted data."""
    return float(classification_report(y_true, y_pred).loc["macro avg", "f1"])


def confusion_matrix(y_true, y_pred, labels=None) -> pd.DataFrame:
    """Token confusion counts: rows are gold tags, columns predicted tags."""
    t, p = _flatten_pair(y_true, y_pred)
    labels = sorted(set(t) | set(p)) if labels is None else list(labels)
    m = _sk_confusion(t, p, labels=labels)
    df = pd.DataFrame(m, index=pd.Index(labels, name="gold"), columns=pd.Index(labels, name="predicted"))
    return df


# ---------------------------------------------------------------- chunk spans
_SCHEMES = {"auto": "BIOES", "IOB1": "BIO", "IOB2": "BIO", "BIO": "BIO", "BIOES": "BIOES"}


def _split_tag(tag: str, allowed: str) -> tuple[str, str]:
    if tag == "O":
        return "O", ""
    prefix, _, kind = tag.partition("-")
    if prefix not in allowed or prefix == "O":
        raise InputError(
            f"tag {tag!r} is not a chunk tag of the form B-X / I-X{' / E-X / S-X' if 'E' in allowed else ''} "
            f"or O; span metrics need IOB1, IOB2 (BIO) or BIOES tags"
        )
    return prefix, kind


def _end_of_chunk(prev: str, tag: str, prev_type: str, kind: str) -> bool:
    # conlleval.pl's endOfChunk, with the E/S cases of its BIOES-aware ports
    return (
        prev in ("E", "S")
        or (prev in ("B", "I") and tag in ("B", "S", "O"))
        or (prev != "O" and prev_type != kind)
    )


def _start_of_chunk(prev: str, tag: str, prev_type: str, kind: str) -> bool:
    # conlleval.pl's startOfChunk, with the E/S cases of its BIOES-aware ports
    return (
        tag in ("B", "S")
        or (prev in ("E", "S", "O") and tag in ("E", "I"))
        or (tag != "O" and prev_type != kind)
    )


def get_spans(tags, scheme: str = "auto") -> list[tuple[str, int, int]]:
    """Chunks of one tag sequence as ``(type, start, end)`` with ``end`` exclusive.

    Follows conlleval's chunk rules, so IOB1 (an I-X after O or after another
    type starts a chunk), IOB2/BIO and BIOES all decode as conlleval would.

    Examples
    --------
    >>> get_spans(["B-NP", "I-NP", "O", "I-VP", "B-VP"])
    [('NP', 0, 2), ('VP', 3, 4), ('VP', 4, 5)]
    """
    if scheme not in _SCHEMES:
        raise InputError(f"unknown scheme {scheme!r}; valid: {', '.join(_SCHEMES)}")
    allowed = _SCHEMES[scheme] + "O"
    spans, start, prev, prev_type = [], None, "O", ""
    for i, tag in enumerate(list(tags) + ["O"]):
        prefix, kind = _split_tag(tag, allowed)
        if start is not None and _end_of_chunk(prev, prefix, prev_type, kind):
            spans.append((prev_type, start, i))
            start = None
        if _start_of_chunk(prev, prefix, prev_type, kind) and prefix != "O":
            start = i
        prev, prev_type = prefix, kind
    return spans


def span_f1(y_true, y_pred, scheme: str = "auto") -> dict[str, float]:
    """Chunk precision, recall and F1 as conlleval computes them (exact span and type match).

    Returns
    -------
    dict
        ``precision``, ``recall``, ``f1`` (fractions, not percent), ``n_true``,
        ``n_pred``, ``n_correct``.

    Examples
    --------
    >>> span_f1([["B-NP", "I-NP", "O"]], [["B-NP", "B-NP", "O"]])["f1"]
    0.0
    """
    rows = span_report(y_true, y_pred, scheme)
    return {k: (float(v) if k in ("precision", "recall", "f1") else int(v))
            for k, v in rows.loc["overall"].items()}


def span_report(y_true, y_pred, scheme: str = "auto") -> pd.DataFrame:
    """Per chunk type precision/recall/F1 and counts, plus an ``overall`` row."""
    _flatten_pair(y_true, y_pred)
    counts: dict[str, list[int]] = {}
    for t, p in zip(y_true, y_pred):
        gold, pred = set(get_spans(t, scheme)), set(get_spans(p, scheme))
        for kind, *_ in gold | pred:
            counts.setdefault(kind, [0, 0, 0])
        for s in gold:
            counts[s[0]][0] += 1
        for s in pred:
            counts[s[0]][1] += 1
        for s in gold & pred:
            counts[s[0]][2] += 1
    total = np.sum(list(counts.values()), axis=0) if counts else np.zeros(3, dtype=int)
    rows = {k: counts[k] for k in sorted(counts)}
    rows["overall"] = list(total)
    out = {}
    for k, (nt, npred, nc) in rows.items():
        prec = nc / npred if npred else 0.0
        rec = nc / nt if nt else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        out[k] = {"precision": prec, "recall": rec, "f1": f1, "n_true": nt, "n_pred": npred, "n_correct": nc}
    df = pd.DataFrame.from_dict(out, orient="index")
    df.index.name = "type"
    return df


# ------------------------------------------------------------ significance
@dataclass(frozen=True)
class SignificanceResult:
    """Outcome of a paired test between systems A and B.

    Attributes
    ----------
    statistic : float
        The test statistic (McNemar's chi-square, or the observed metric difference A - B).
    pvalue : float
        Two-sided p-value.
    method : str
    details : dict
    """

    statistic: float
    pvalue: float
    method: str
    details: dict = field(default_factory=dict)


def mcnemar(y_true, pred_a, pred_b, exact: bool | None = None) -> SignificanceResult:
    """McNemar's test on token correctness of two taggers on the same tokens.

    Uses the exact binomial test when the discordant count is below 25 (or
    ``exact=True``), else the chi-square statistic with continuity correction.

    Examples
    --------
    >>> r = mcnemar([["A"] * 30], [["A"] * 30], [["B"] * 30])
    >>> r.details["a_only"], r.details["b_only"], r.pvalue < 0.001
    (30, 0, True)
    """
    t, a = _flatten_pair(y_true, pred_a)
    _, b = _flatten_pair(y_true, pred_b)
    t = np.asarray(t, dtype=object)
    ca, cb = t == np.asarray(a, dtype=object), t == np.asarray(b, dtype=object)
    n01, n10 = int(np.sum(ca & ~cb)), int(np.sum(~ca & cb))
    n = n01 + n10
    details = {"a_only": n01, "b_only": n10, "n_tokens": len(t)}
    if n == 0:
        return SignificanceResult(0.0, 1.0, "mcnemar-exact", details)
    if exact or (exact is None and n < 25):
        p = float(stats.binomtest(n01, n, 0.5).pvalue)
        return SignificanceResult(float(min(n01, n10)), p, "mcnemar-exact", details)
    chi2 = (abs(n01 - n10) - 1) ** 2 / n
    return SignificanceResult(float(chi2), float(stats.chi2.sf(chi2, 1)), "mcnemar-chi2", details)


def paired_bootstrap(
    y_true, pred_a, pred_b, metric=accuracy, n_resamples: int = 1000, random_state=0
) -> SignificanceResult:
    """Paired bootstrap over sentences (Koehn 2004; Berg-Kirkpatrick et al. 2012).

    Sentences are resampled with replacement; the p-value is the share of
    resamples in which the difference ``metric(A) - metric(B)`` exceeds twice
    the observed difference (the shifted null), counted as ``(hits + 1) / (n + 1)``
    so that it is never 0, and doubled for a two-sided test.

    Parameters
    ----------
    metric : callable
        ``metric(y_true, y_pred) -> float``; accuracy by default.
    """
    _flatten_pair(y_true, pred_a)
    _flatten_pair(y_true, pred_b)
    n = len(y_true)
    if n == 0:
        raise InputError("paired_bootstrap needs at least one sentence")
    observed = metric(y_true, pred_a) - metric(y_true, pred_b)
    rng = np.random.default_rng(random_state)
    deltas = np.empty(n_resamples)
    for r in range(n_resamples):
        idx = rng.integers(0, n, n)
        yt = [y_true[i] for i in idx]
        deltas[r] = metric(yt, [pred_a[i] for i in idx]) - metric(yt, [pred_b[i] for i in idx])
    # share of resamples where the difference, centred on the observed one, is as large again;
    # (hits + 1) / (n + 1), the usual Monte Carlo p-value, which is never exactly 0
    hits = int(np.sum(np.sign(observed) * (deltas - observed) >= abs(observed)))
    p_one = (hits + 1) / (n_resamples + 1) if observed else 1.0
    return SignificanceResult(
        float(observed), min(1.0, 2 * p_one), "paired-bootstrap",
        {"n_resamples": n_resamples, "ci95": tuple(np.quantile(deltas, [0.025, 0.975]).tolist())},
    )
