"""Metrics on hand-computed cases; span F1 follows conlleval."""

from __future__ import annotations

import math

import numpy as np
import pytest

from seqtag.exceptions import InputError
from seqtag.metrics import (
    accuracy,
    classification_report,
    confusion_matrix,
    get_spans,
    known_unknown_accuracy,
    macro_f1,
    mcnemar,
    paired_bootstrap,
    sentence_accuracy,
    span_f1,
    span_report,
)


def test_accuracy_and_sentence_accuracy():
    gold = [["A", "B"], ["C"], []]
    pred = [["A", "X"], ["C"], []]
    assert accuracy(gold, pred) == pytest.approx(2 / 3)
    assert sentence_accuracy(gold, pred) == pytest.approx(2 / 3)
    assert math.isnan(accuracy([[]], [[]]))
    with pytest.raises(InputError, match="sentence 0: 2 gold tags but 1 predicted"):
        accuracy([["A", "B"]], [["A"]])
    with pytest.raises(InputError, match="same number of sentences, got 1 and 2"):
        accuracy([["A"]], [["A"], ["B"]])


def test_known_unknown():
    X = [["the", "zorp", "cat"], ["blah"]]
    gold = [["DT", "NN", "NN"], ["UH"]]
    pred = [["DT", "VB", "NN"], ["UH"]]
    r = known_unknown_accuracy(X, gold, pred, vocab=["the", "cat"])
    assert r == {"known": 1.0, "unknown": 0.5, "n_known": 2, "n_unknown": 2}


def test_classification_report_and_confusion():
    gold = [["A", "A", "B", "C"]]
    pred = [["A", "B", "B", "B"]]
    rep = classification_report(gold, pred)
    assert rep.loc["A", "precision"] == 1.0 and rep.loc["A", "recall"] == 0.5
    assert rep.loc["B", "precision"] == pytest.approx(1 / 3) and rep.loc["B", "recall"] == 1.0
    assert rep.loc["C", "f1"] == 0.0 and rep.loc["C", "support"] == 1
    f1s = [2 / 3, 0.5, 0.0]
    assert rep.loc["macro avg", "f1"] == pytest.approx(np.mean(f1s))
    assert macro_f1(gold, pred) == pytest.approx(np.mean(f1s))
    cm = confusion_matrix(gold, pred)
    assert cm.loc["A", "B"] == 1 and cm.loc["C", "B"] == 1 and cm.loc["B", "B"] == 1
    assert cm.values.sum() == 4


@pytest.mark.parametrize(
    "tags, spans",
    [
        # IOB1: I-X after O or after another type starts a chunk; B-X splits two X chunks
        (["I-NP", "I-NP", "B-NP", "I-VP", "O", "I-NP"], [("NP", 0, 2), ("NP", 2, 3), ("VP", 3, 4), ("NP", 5, 6)]),
        # IOB2
        (["B-NP", "I-NP", "B-VP", "O", "B-PP"], [("NP", 0, 2), ("VP", 2, 3), ("PP", 4, 5)]),
        # BIOES
        (["S-NP", "B-VP", "I-VP", "E-VP", "O", "B-NP", "E-NP"], [("NP", 0, 1), ("VP", 1, 4), ("NP", 5, 7)]),
        # ill-formed sequences decode as conlleval does
        (["B-NP", "I-VP"], [("NP", 0, 1), ("VP", 1, 2)]),
        (["E-NP", "E-NP"], [("NP", 0, 1), ("NP", 1, 2)]),
        (["O", "O"], []),
        ([], []),
    ],
)
def test_get_spans(tags, spans):
    assert get_spans(tags) == spans


def test_span_f1_hand_computed():
    gold = [["B-NP", "I-NP", "O", "B-VP"], ["B-PP", "B-NP"]]
    pred = [["B-NP", "I-NP", "O", "B-NP"], ["B-PP", "O"]]
    # gold spans: NP(0,2) VP(3,4) PP(0,1) NP(1,2) = 4; pred: NP(0,2) NP(3,4) PP(0,1) = 3; correct 2
    r = span_f1(gold, pred)
    assert (r["n_true"], r["n_pred"], r["n_correct"]) == (4, 3, 2)
    assert r["precision"] == pytest.approx(2 / 3) and r["recall"] == pytest.approx(0.5)
    assert r["f1"] == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))
    rep = span_report(gold, pred)
    assert rep.loc["VP", "recall"] == 0.0 and rep.loc["PP", "f1"] == 1.0


def test_span_errors():
    with pytest.raises(InputError, match="not a chunk tag"):
        get_spans(["NN", "VB"])
    with pytest.raises(InputError, match="not a chunk tag"):
        get_spans(["S-NP"], scheme="IOB2")
    with pytest.raises(InputError, match="unknown scheme 'XYZ'"):
        get_spans(["O"], scheme="XYZ")


def test_mcnemar():
    gold = [["A"] * 100]
    a = [["A"] * 90 + ["B"] * 10]
    b = [["A"] * 60 + ["B"] * 40]
    r = mcnemar(gold, a, b)
    assert r.details["a_only"] == 30 and r.details["b_only"] == 0
    assert r.method == "mcnemar-chi2"
    assert r.statistic == pytest.approx(29**2 / 30)
    assert r.pvalue < 1e-6
    same = mcnemar(gold, a, a)
    assert same.pvalue == 1.0
    small = mcnemar([["A"] * 5], [["A"] * 5], [["A", "A", "A", "B", "B"]])
    assert small.method == "mcnemar-exact" and small.pvalue == pytest.approx(0.5)


def test_paired_bootstrap():
    rng = np.random.default_rng(1)
    gold = [["A"] * 10 for _ in range(200)]
    good = [["A"] * 10 for _ in range(200)]
    noisy = [[("A" if rng.random() < 0.8 else "B") for _ in range(10)] for _ in range(200)]
    r = paired_bootstrap(gold, good, noisy, n_resamples=300)
    assert r.statistic == pytest.approx(accuracy(gold, good) - accuracy(gold, noisy))
    assert 2 / 301 <= r.pvalue < 0.01  # a Monte Carlo p-value is never exactly 0
    lo, hi = r.details["ci95"]
    assert lo <= r.statistic <= hi
    # identical systems: no evidence of a difference
    assert paired_bootstrap(gold, noisy, noisy, n_resamples=50).pvalue == 1.0
    # the same test with A and B swapped is symmetric
    assert paired_bootstrap(gold, noisy, good, n_resamples=300).pvalue < 0.01


# ------------------------------------------------------------------------------ WER / CER
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def _all_optimal_counts(ref, hyp):
    """Every (S, D, I, H) of a minimal-cost alignment, by brute force over all alignments."""
    from functools import lru_cache

    @lru_cache(maxsize=None)
    def go(i, j):
        if i == len(ref) and j == len(hyp):
            return {(0, 0, 0, 0, 0)}
        out = set()
        if i < len(ref) and j < len(hyp):
            same = ref[i] == hyp[j]
            out |= {(c + (not same), s + (not same), d, n, h + same) for c, s, d, n, h in go(i + 1, j + 1)}
        if i < len(ref):
            out |= {(c + 1, s, d + 1, n, h) for c, s, d, n, h in go(i + 1, j)}
        if j < len(hyp):
            out |= {(c + 1, s, d, n + 1, h) for c, s, d, n, h in go(i, j + 1)}
        best = min(c for c, *_ in out)
        return {x for x in out if x[0] == best}

    return {x[1:] for x in go(0, 0)}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from("abc"), min_size=0, max_size=6), st.lists(st.sampled_from("abc"), max_size=6))
def test_edit_counts_are_those_of_a_minimal_alignment(ref, hyp):
    from seqtag.metrics.asr import edit_counts

    assert edit_counts(ref, hyp) in _all_optimal_counts(tuple(ref), tuple(hyp))


def test_wer_and_cer_agree_with_jiwer():
    jiwer = pytest.importorskip("jiwer")
    from seqtag.metrics import cer, wer

    rng = np.random.default_rng(0)
    refs = [" ".join(rng.choice(list("abcd"), rng.integers(1, 9))) for _ in range(300)]
    hyps = [" ".join(rng.choice(list("abcd"), rng.integers(0, 9))) for _ in range(300)]
    ours, theirs = wer(refs, hyps), jiwer.process_words(refs, hyps)
    assert ours.rate == pytest.approx(theirs.wer, abs=1e-12)
    assert ours.substitutions + ours.deletions + ours.insertions == (
        theirs.substitutions + theirs.deletions + theirs.insertions)
    assert ours.reference_length == ours.hits + ours.substitutions + ours.deletions
    assert cer(refs, hyps).rate == pytest.approx(jiwer.cer(refs, hyps), abs=1e-12)
    one = wer("the cat sat on the mat", "the cat sat on the mat")
    assert one.rate == 0 and one.hits == 6


def test_wer_bad_input():
    from seqtag.metrics import wer

    with pytest.raises(InputError, match="as many texts"):
        wer(["a", "b"], ["a"])
    with pytest.raises(InputError, match="must be a str"):
        wer([["a"]], ["a"])
    assert np.isnan(wer("", "a b").rate)
