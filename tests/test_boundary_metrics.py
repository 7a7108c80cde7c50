"""Boundary errors and boundary F1 on hand-computed cases."""

from __future__ import annotations

import math

import pytest

from seqtag.exceptions import InputError
from seqtag.intervals import Interval
from seqtag.metrics import boundary_errors, boundary_report, match_boundaries

REF = [Interval("a", 0.00, 0.10), Interval("b", 0.10, 0.30), Interval("c", 0.40, 0.60)]
HYP = [Interval("a", 0.005, 0.12), Interval("b", 0.12, 0.34), Interval("c", 0.40, 0.55)]
# signed errors: a: +5, +20; b: +20, +40; c: 0, -50 (ms)


def test_boundary_errors_hand_computed():
    err = boundary_errors(REF, HYP) * 1000
    assert err.tolist() == pytest.approx([5, 20, 20, 40, 0, -50])


def test_boundary_report_hand_computed():
    r = boundary_report(REF, HYP)
    assert r["n_boundaries"] == 6
    assert r["mean_abs_ms"] == pytest.approx(135 / 6)
    assert r["median_abs_ms"] == pytest.approx(20.0)
    assert r["within_10ms"] == pytest.approx(100 * 2 / 6)
    assert r["within_20ms"] == pytest.approx(100 * 4 / 6)  # 20 ms counts as within
    assert r["within_50ms"] == pytest.approx(100.0)
    # boundary sets: ref {0, .1, .3, .4, .6}; hyp {.005, .12, .34, .4, .55}
    # within 20 ms one-to-one: 0-.005, .1-.12, .4-.4 -> 3 matches
    assert r["boundary_precision"] == pytest.approx(3 / 5)
    assert r["boundary_recall"] == pytest.approx(3 / 5)
    assert r["boundary_f1"] == pytest.approx(3 / 5)


def test_f1_with_different_label_sequences():
    hyp = [Interval("a", 0.0, 0.2), Interval("x", 0.2, 0.6)]
    r = boundary_report(REF, hyp)
    assert math.isnan(r["mean_abs_ms"]) and r["n_boundaries"] == 0
    # hyp set {0, .2, .6}: matches 0 and .6 -> P = 2/3, R = 2/5
    assert r["boundary_precision"] == pytest.approx(2 / 3)
    assert r["boundary_recall"] == pytest.approx(2 / 5)
    assert r["boundary_f1"] == pytest.approx(2 * (2 / 3) * (2 / 5) / (2 / 3 + 2 / 5))
    with pytest.raises(InputError, match="same label sequence.*position 1"):
        boundary_errors(REF, hyp)


def test_matching_is_one_to_one_and_maximum():
    # one hyp close to two refs only counts once
    assert match_boundaries([0.10, 0.11], [0.105], tolerance=0.02) == 1
    # greedy must not steal: ref .10 could take .09 or .115; ref .13 only .115
    assert match_boundaries([0.10, 0.13], [0.085, 0.115], tolerance=0.02) == 2
    assert match_boundaries([], [0.1]) == 0


def test_perfect_alignment():
    r = boundary_report(REF, REF)
    assert r["mean_abs_ms"] == 0 and r["within_10ms"] == 100 and r["boundary_f1"] == 1.0


def test_bad_input():
    with pytest.raises(InputError, match=r"ref\[0\] must be an Interval"):
        boundary_errors([("a", 0, 1)], REF)
    with pytest.raises(InputError, match="tolerance must be >= 0"):
        boundary_report(REF, HYP, tolerance=-1)
