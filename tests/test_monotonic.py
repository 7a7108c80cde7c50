"""Monotonic hard alignment (the attention aligner's extraction DP) against brute force."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqtag.align.monotonic import monotonic_alignment, path_bounds
from seqtag.exceptions import InputError

from .naive_monotonic import brute_force_monotonic, is_valid, path_score


@st.composite
def cases(draw, max_T=6, max_L=3):
    L = draw(st.integers(1, max_L))
    T = draw(st.integers(L, max_T))
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    scores = rng.normal(size=(L, T)) * 2
    if draw(st.booleans()):
        scores[rng.random(scores.shape) < 0.2] = -np.inf
    kind = draw(st.sampled_from(["none", "scalar", "frames", "positions"]))
    gap = allow = None
    if kind == "scalar":
        gap = float(rng.normal())
    elif kind in ("frames", "positions"):
        gap = rng.normal(size=T)
        if draw(st.booleans()):
            gap[rng.random(T) < 0.3] = -np.inf
    if kind == "positions":
        allow = rng.random(L + 1) < 0.5
    return scores, gap, allow


def check(scores, gap, allow):
    best_path, best = brute_force_monotonic(scores, gap, allow)
    L = scores.shape[0]
    if best_path is None:
        with pytest.raises(InputError, match="no monotonic alignment has a finite score"):
            monotonic_alignment(scores, gap, allow)
        return
    path = monotonic_alignment(scores, gap, allow)
    assert path.dtype == np.int64 and path.shape == (scores.shape[1],)
    assert is_valid(path.tolist(), L, None if gap is None else (allow if allow is not None else [True] * (L + 1)))
    assert path_score(scores, path, gap) == pytest.approx(best, abs=1e-9)


@settings(max_examples=250, deadline=None)
@given(cases())
def test_matches_brute_force(case):
    check(*case)


def test_small_exhaustive_grid():
    rng = np.random.default_rng(0)
    for L in (1, 2, 3):
        for T in range(L, 7):
            for _ in range(3):
                s = np.log(rng.dirichlet(np.ones(T), size=L))  # rows of an attention matrix
                check(s, None, None)
                check(s, np.log(0.1), None)
                check(s, np.log(0.2), np.r_[True, np.zeros(L - 1, bool), True])  # edges only


def test_no_gap_covers_every_frame_and_bounds():
    rng = np.random.default_rng(1)
    s = np.log(rng.dirichlet(np.ones(40), size=9))
    path = monotonic_alignment(s)
    assert path.min() == 0 and path.max() == 8 and np.all(np.diff(path) >= 0)
    starts, ends = path_bounds(path, 9)
    assert starts[0] == 0 and ends[-1] == 40 and np.array_equal(starts[1:], ends[:-1]) and np.all(ends > starts)


def test_diagonal_attention_is_recovered_and_gaps_take_pauses():
    L, T = 5, 30
    centres = np.array([3, 8, 12, 22, 26])  # pause between frame 14 and 20
    att = np.exp(-0.5 * ((np.arange(T)[None] - centres[:, None]) / 1.2) ** 2)
    att /= att.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore"):
        path = monotonic_alignment(np.log(att), gap=np.log(0.02), gap_positions=[True, False, False, True, False, True])
    starts, ends = path_bounds(path, L)
    assert np.all((starts <= centres) & (centres < ends))
    assert np.all(path[15:20] == -1) and path[0] == -1  # the pause and the leading frame stay unassigned
    assert np.array_equal(starts[1:3], ends[:2])  # no gap allowed inside the first "word"


def test_long_input_float32_and_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    T, L = 200_000, 4
    s = (rng.normal(size=(L, T)) - 30).astype(np.float32)  # sums far below float64's exp range: log space is fine
    path = monotonic_alignment(s, gap=-31.0)
    assert path.shape == (T,) and set(np.unique(path)) <= {-1, 0, 1, 2, 3}
    assert np.all(np.diff(path[path >= 0]) >= 0)
    small = rng.normal(size=(3, 8))
    assert np.array_equal(monotonic_alignment(torch.from_numpy(small)), monotonic_alignment(small))
    assert np.array_equal(monotonic_alignment(small.astype(np.float32)), monotonic_alignment(small))


def test_input_is_not_mutated():
    s = np.log(np.random.default_rng(3).dirichlet(np.ones(6), size=3))
    g = np.full(6, -2.0)
    s0, g0 = s.copy(), g.copy()
    monotonic_alignment(s, g)
    assert np.array_equal(s, s0) and np.array_equal(g, g0)


def test_errors():
    with pytest.raises(InputError, match=r"cannot align 4 tokens to 3 frames.*T >= L"):
        monotonic_alignment(np.zeros((4, 3)))
    with pytest.raises(InputError, match="2-D"):
        monotonic_alignment(np.zeros(5))
    with pytest.raises(InputError, match="NaN or \\+inf"):
        monotonic_alignment(np.array([[0.0, np.nan]]))
    with pytest.raises(InputError, match="NaN or \\+inf"):
        monotonic_alignment(np.array([[0.0, np.inf]]))
    with pytest.raises(InputError, match="at least one token"):
        monotonic_alignment(np.zeros((0, 3)))
    with pytest.raises(InputError, match="real numbers"):
        monotonic_alignment(np.array([["a", "b"]]))
    with pytest.raises(InputError, match="one log score per frame"):
        monotonic_alignment(np.zeros((2, 3)), gap=np.zeros(2))
    with pytest.raises(InputError, match="gap_positions must be L \\+ 1 = 3"):
        monotonic_alignment(np.zeros((2, 3)), gap=0.0, gap_positions=[True, False])
    with pytest.raises(InputError, match="no monotonic alignment"):
        monotonic_alignment(np.array([[0.0, 0.0], [-np.inf, -np.inf]]))
    with pytest.raises(InputError, match="does not occur"):
        path_bounds(np.array([0, 0, -1]), 2)
