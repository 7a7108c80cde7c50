"""CTC decoding without a transcript against brute-force enumeration of every path."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqtag.align.ctc_decode import ctc_collapse, ctc_greedy_decode, ctc_prefix_beam_search
from seqtag.exceptions import InputError


def _labellings(lp, blank=0):
    """log P(labelling) for every labelling, summing every path that collapses to it."""
    T, C = lp.shape
    out: dict[tuple, float] = {}
    for path in itertools.product(range(C), repeat=T):
        key = tuple(ctc_collapse(path, blank))
        p = float(sum(lp[t, c] for t, c in enumerate(path)))
        out[key] = np.logaddexp(out.get(key, -np.inf), p)
    return {k: v for k, v in out.items() if v > -np.inf}  # labellings no path can spell are not found


def _random_log_probs(seed, T, C):
    rng = np.random.default_rng(seed)
    x = rng.random((T, C)) ** 3
    x[rng.random((T, C)) < 0.1] = 0.0
    x[:, 0] += 1e-3
    with np.errstate(divide="ignore"):  # zeros are meant: -inf log probabilities
        return np.log(x / x.sum(axis=1, keepdims=True))


def test_collapse_rule():
    assert ctc_collapse([0, 1, 1, 0, 1, 2, 2, 0, 0]) == [1, 1, 2]
    assert ctc_collapse([3, 3, 3], blank=3) == []
    assert ctc_collapse([]) == []


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 10**6), st.integers(1, 5), st.integers(2, 3), st.integers(0, 2))
def test_prefix_beam_search_is_exact_with_a_wide_beam(seed, T, C, blank):
    blank = min(blank, C - 1)
    lp = _random_log_probs(seed, T, C)
    truth = _labellings(lp, blank)
    found = ctc_prefix_beam_search(lp, beam=len(truth) + 1, blank=blank)
    assert len(found) == len(truth)
    for labels, p in found:
        assert math.isclose(p, truth[tuple(labels)], rel_tol=1e-9, abs_tol=1e-12)
    best = max(truth.values())
    assert math.isclose(found[0][1], best, rel_tol=1e-9, abs_tol=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10**6), st.integers(1, 5), st.integers(2, 3))
def test_greedy_is_the_collapse_of_the_best_path(seed, T, C):
    lp = _random_log_probs(seed, T, C)
    best_path = max(itertools.product(range(C), repeat=T), key=lambda p: sum(lp[t, c] for t, c in enumerate(p)))
    labels, score = ctc_greedy_decode(lp)
    assert labels == ctc_collapse(best_path)
    assert math.isclose(score, sum(lp[t, c] for t, c in enumerate(best_path)))


def test_greedy_can_lose_to_the_summed_labelling():
    # the best path is all blanks (0.36), but the paths spelling [1] sum to 0.64
    lp = np.log([[0.6, 0.4], [0.6, 0.4]])
    assert ctc_greedy_decode(lp)[0] == []
    assert ctc_prefix_beam_search(lp, beam=2)[0][0] == [1]


def test_decode_bad_input():
    with pytest.raises(InputError, match="2-D array"):
        ctc_greedy_decode(np.zeros(3))
    with pytest.raises(InputError, match="blank=5"):
        ctc_greedy_decode(np.zeros((2, 3)), blank=5)
    with pytest.raises(InputError, match="beam must be"):
        ctc_prefix_beam_search(np.zeros((2, 3)), beam=0)
    with pytest.raises(InputError, match="NaN"):
        ctc_prefix_beam_search(np.full((2, 3), np.nan))
