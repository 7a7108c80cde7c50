"""CTC forced alignment against brute-force enumeration, plus its error messages."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqtag.align.ctc import ctc_align, ctc_align_batch, ctc_band
from seqtag.exceptions import InputError

from .naive_ctc import brute_force_align, collapse, path_score


def log_softmax(x, axis=-1):
    x = x - x.max(axis=axis, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=axis, keepdims=True))


def random_case(rng, T, C, L):
    lp = log_softmax(rng.normal(size=(T, C)) * 2)
    targets = rng.integers(1, C, size=L)
    return lp, targets


@st.composite
def ctc_cases(draw, max_T=6, star=False):
    T = draw(st.integers(1, max_T))
    C = draw(st.integers(2, 4))
    L = draw(st.integers(0, min(T, 4)))
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    lp, tg = random_case(rng, T, C, L)
    if draw(st.booleans()):  # some impossible emissions
        lp[rng.random(lp.shape) < 0.15] = -np.inf
    if star and L:
        tg[draw(st.integers(0, L - 1))] = -1
    return lp, tg


def _check_against_brute(lp, tg, star=None):
    best_path, best = brute_force_align(lp, tg, star=star)
    if best_path is None or not np.isfinite(best):
        with pytest.raises(InputError, match="too long|no CTC alignment"):
            ctc_align(lp, tg, star=star)
        return
    path, scores = ctc_align(lp, tg, star=star)
    assert path.dtype == np.int64 and path.shape == (lp.shape[0],)
    assert collapse(path.tolist(), 0) == tg.tolist()
    assert path_score(lp, path.tolist(), star) == pytest.approx(best, abs=1e-9)
    assert scores.sum() == pytest.approx(best, abs=1e-9)


@settings(max_examples=150, deadline=None)
@given(ctc_cases())
def test_matches_brute_force(case):
    _check_against_brute(*case)


@settings(max_examples=80, deadline=None)
@given(ctc_cases(max_T=5, star=True))
def test_star_token_matches_brute_force(case):
    _check_against_brute(*case, star=-1)


def test_repeated_labels_need_a_blank_between():
    # targets [1, 1] in 2 frames is impossible (needs 3: 1, blank, 1)
    lp = np.log(np.full((2, 2), 0.5))
    with pytest.raises(InputError, match=r"log_probs length: 2, targets length: 2, and number of repeats: 1"):
        ctc_align(lp, [1, 1])
    path, _ = ctc_align(np.log(np.full((3, 2), 0.5)), [1, 1])
    assert path.tolist() == [1, 0, 1]


def test_star_absorbs_untranscribed_audio():
    # frames 0-3 strongly class 3 (not in the transcript), then "1 2"
    p = np.full((6, 4), 0.02)
    p[:4, 3] = 0.94
    p[4, 1] = 0.94
    p[5, 2] = 0.94
    lp = np.log(p / p.sum(1, keepdims=True))
    path, scores = ctc_align(lp, [-1, 1, 2], star=-1)
    assert path.tolist() == [-1, -1, -1, -1, 1, 2]
    assert np.allclose(scores[:4], lp[:4].max(axis=1))


def test_float32_and_float64_agree_on_clear_input():
    rng = np.random.default_rng(1)
    lp, tg = random_case(rng, 40, 6, 12)
    p64, s64 = ctc_align(lp, tg)
    p32, s32 = ctc_align(lp.astype(np.float32), tg)
    assert s32.dtype == np.float32 and s64.dtype == np.float64
    assert (p32 == p64).all()


def test_torch_in_torch_out():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    lp, tg = random_case(rng, 30, 5, 8)
    path, scores = ctc_align(torch.from_numpy(lp), torch.from_numpy(tg))
    assert isinstance(path, torch.Tensor) and path.dtype == torch.int64
    assert isinstance(scores, torch.Tensor)
    ref, _ = ctc_align(lp, tg)
    assert (path.numpy() == ref).all()


def test_does_not_mutate_input():
    rng = np.random.default_rng(3)
    lp, tg = random_case(rng, 20, 4, 5)
    lp0, tg0 = lp.copy(), tg.copy()
    ctc_align(lp, tg)
    assert (lp == lp0).all() and (tg == tg0).all()


def test_empty_transcript_gives_all_blank():
    lp = log_softmax(np.random.default_rng(4).normal(size=(5, 3)))
    path, _ = ctc_align(lp, np.array([], dtype=np.int64))
    assert path.tolist() == [0] * 5


def test_batch_equals_single():
    rng = np.random.default_rng(5)
    B, Tm, C, Lm = 4, 30, 6, 8
    lp = log_softmax(rng.normal(size=(B, Tm, C)))
    tg = rng.integers(1, C, size=(B, Lm))
    in_len = np.array([30, 12, 25, 9])
    tg_len = np.array([8, 5, 0, 3])
    tg[1, 2] = -1  # a star
    out = ctc_align_batch(lp, tg, in_len, tg_len, star=-1)
    for b in range(B):
        single = ctc_align(lp[b, : in_len[b]], tg[b, : tg_len[b]], star=-1)
        assert (out[b][0] == single[0]).all()
        assert np.allclose(out[b][1], single[1])


def test_batch_reports_bad_utterance():
    lp = log_softmax(np.random.default_rng(6).normal(size=(2, 5, 3)))
    with pytest.raises(InputError, match="utterance 1: targets length is too long"):
        ctc_align_batch(lp, np.array([[1, 2], [1, 2]]), [5, 1], [2, 2])
    with pytest.raises(InputError, match="input_lengths must lie in"):
        ctc_align_batch(lp, np.array([[1, 2], [1, 2]]), [5, 6], [2, 2])


@pytest.mark.parametrize("seed", range(3))
def test_long_mode_equals_full_when_path_in_band(seed):
    rng = np.random.default_rng(seed)
    T, C, L = 400, 8, 120
    lp, tg = random_case(rng, T, C, L)
    full, fs = ctc_align(lp, tg)
    # the exact path's states, to check it lies in the band
    S = 2 * L + 1
    states = np.empty(T, dtype=np.int64)
    k = -1
    for t in range(T):
        if full[t] != 0 and (t == 0 or full[t] != full[t - 1]):
            k += 1
        states[t] = 2 * k + 1 if full[t] != 0 else 2 * (k + 1)
    checked = 0
    for window in (121, 81, 41):  # S = 241
        lo, hi = ctc_band(T, S, window)
        if ((states >= lo) & (states < hi)).all():
            banded, bs = ctc_align(lp, tg, window=window)
            assert (banded == full).all() and np.allclose(bs, fs)
            checked += 1
    assert checked >= 2  # the random optimum stays within ~35 states of the diagonal
    assert (ctc_align(lp, tg, window=S)[0] == full).all()


def test_long_mode_raises_when_no_path_fits():
    # all speech at the very start, long silence after: far from the diagonal
    T, C, L = 300, 5, 60
    p = np.full((T, C), 1e-6)
    p[:, 0] = 1.0
    rng = np.random.default_rng(7)
    tg = rng.integers(1, C, size=L)
    tg[1:][tg[1:] == tg[:-1]] = 1 + (tg[1:][tg[1:] == tg[:-1]] % (C - 1))
    lp = np.log(p / p.sum(1, keepdims=True))
    lp[L * 2 :, 1:] = -np.inf  # labels only possible in the first 2L frames
    lp[: L * 2 : 2, 0] = -np.inf
    with pytest.raises(InputError, match="window=10 states.*larger window"):
        ctc_align(lp, tg, window=10)
    path, _ = ctc_align(lp, tg)  # the exact aligner finds it
    assert collapse(path.tolist()) == tg.tolist()


def test_band_limits():
    lo, hi = ctc_band(4, 5)  # L = 2
    assert lo.tolist() == [0, 0, 1, 3] and hi.tolist() == [2, 4, 5, 5]


@pytest.mark.parametrize(
    "lp, tg, kwargs, match",
    [
        (np.zeros((3,)), [1], {}, r"2-D array of shape \(T, C\)"),
        (np.zeros((3, 2)).astype(object), [1], {}, "real numbers"),
        (np.array([[0.0, np.nan], [0.0, 0.0]]), [1], {}, "NaN or \\+inf"),
        (np.array([[0.0, np.inf], [0.0, 0.0]]), [1], {}, "NaN or \\+inf"),
        (np.zeros((3, 3)), [1, 0], {}, r"targets\[1\] is the blank index 0"),
        (np.zeros((3, 3)), [1, 3], {}, r"targets\[1\] = 3 is not a class index in \[0, 3\)"),
        (np.zeros((3, 3)), [1.0], {}, "integer class indices"),
        (np.zeros((3, 3)), [[1]], {}, "1-D sequence"),
        (np.zeros((3, 3)), [1], {"blank": 5}, "blank must be a class index"),
        (np.zeros((3, 3)), [1], {"star": 2}, "star must be an int outside"),
        (np.zeros((3, 3)), [1], {"window": 1}, "window must be None or an int >= 2"),
        (np.zeros((2, 3)), [1, 2, 1], {}, "log_probs length: 2, targets length: 3, and number of repeats: 0"),
        (np.full((2, 2), -np.inf), [1], {}, "no CTC alignment with a finite score exists"),
    ],
)
def test_errors(lp, tg, kwargs, match):
    with pytest.raises(InputError, match=match):
        ctc_align(lp, tg, **kwargs)


def random_valid_path(rng, T, targets):
    """A random labelling of T frames that collapses to ``targets``."""
    units = []
    for i, y in enumerate(targets):
        if i and targets[i - 1] == y:
            units.append(0)  # mandatory blank between repeats
        units.append(y)
    counts = np.ones(len(units), dtype=int)
    gaps = np.zeros(len(units) + 1, dtype=int)  # optional blanks around units
    for _ in range(T - len(units)):
        if units and rng.random() < 0.5:
            counts[rng.integers(len(units))] += 1
        else:
            gaps[rng.integers(len(gaps))] += 1
    path = [0] * gaps[0]
    for u, c, g in zip(units, counts, gaps[1:]):
        path += [u] * c + [0] * g
    return path


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**31), st.integers(10, 60), st.integers(1, 12))
def test_property_optimal_against_random_valid_paths(seed, T, L):
    rng = np.random.default_rng(seed)
    lp, tg = random_case(rng, T, 5, min(L, T // 2))
    path, scores = ctc_align(lp, tg)
    assert collapse(path.tolist()) == tg.tolist()
    best = scores.sum()
    for _ in range(5):
        other = random_valid_path(rng, T, tg.tolist())
        assert len(other) == T and collapse(other) == tg.tolist()
        assert path_score(lp, other) <= best + 1e-9
    # windowed with the full width is the same aligner
    assert (ctc_align(lp, tg, window=2 * tg.size + 1)[0] == path).all()


def test_batch_with_window_equals_single():
    rng = np.random.default_rng(8)
    lp = log_softmax(rng.normal(size=(3, 200, 6)))
    tg = rng.integers(1, 6, size=(3, 40))
    out = ctc_align_batch(lp, tg, [200, 150, 180], [40, 30, 35], window=41)
    for b, (T, L) in enumerate([(200, 40), (150, 30), (180, 35)]):
        assert (out[b][0] == ctc_align(lp[b, :T], tg[b, :L], window=41)[0]).all()


def test_torchaudio_layout_and_bfloat16():
    """(1, T, C) / (1, L) in, (1, T) out, as torchaudio.functional.forced_align; bfloat16 accepted."""
    torch = pytest.importorskip("torch")
    lp = torch.log_softmax(torch.randn(12, 5, generator=torch.Generator().manual_seed(0)), -1)
    targets = torch.tensor([[1, 3, 3, 2]])
    ref_path, ref_scores = ctc_align(lp, targets[0])
    path, scores = ctc_align(lp[None], targets)
    assert path.shape == scores.shape == (1, 12)
    assert torch.equal(path[0], ref_path) and torch.equal(scores[0], ref_scores)
    path16, scores16 = ctc_align(lp.to(torch.bfloat16), targets[0])
    assert scores16.dtype == torch.float32 and path16.shape == (12,)
    assert torch.equal(path16, ctc_align(lp.to(torch.bfloat16).float(), targets[0])[0])
    out = ctc_align_batch(lp[None].to(torch.bfloat16), targets)
    assert torch.equal(out[0][0], path16)


def test_probabilities_warn_but_logits_do_not():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(10, 4))
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    with pytest.warns(UserWarning, match=r"looks like probabilities.*np.log\(probs\)"):
        ctc_align(probs, [1, 2])
    with pytest.warns(UserWarning, match="looks like probabilities"):
        ctc_align_batch(probs[None], np.array([[1, 2]]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path_logits, _ = ctc_align(logits, [1, 2])  # a per-frame shift: the same best path
        path_log, _ = ctc_align(np.log(probs), [1, 2])
    assert path_logits.tolist() == path_log.tolist()
