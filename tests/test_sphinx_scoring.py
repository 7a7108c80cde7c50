"""Senone scoring, the transcript graph and the windowed band Viterbi against obvious references."""

from __future__ import annotations

import itertools
import math
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqtag.chains.banded import diagonal_windows, lr_viterbi, windowed_band_viterbi
from seqtag.exceptions import InputError


def _tiny_model(rng, n_cb=3, n_feat=2, n_den=5, dim=3, n_sen=7):
    means = rng.normal(size=(n_cb, n_feat, n_den, dim)).astype(np.float32)
    var = rng.uniform(0.3, 2.0, size=means.shape).astype(np.float32)
    w = rng.dirichlet(np.ones(n_den), size=(n_sen, n_feat)).astype(np.float32)
    return SimpleNamespace(
        means=means, precisions=(1 / var).astype(np.float32), n_density=n_den,
        log_norm=(-0.5 * np.log(2 * np.pi * var).sum(-1)).astype(np.float32),
        veclen=np.full(n_feat, dim, dtype=np.int32), log_mixw=np.log(w),
        senone_codebook=rng.integers(0, n_cb, n_sen).astype(np.int32),
    ), var


def _reference(model, var, x, senones, topn):
    """float64, one frame, one senone at a time: the top-N mixture of each stream, summed."""
    out = np.empty((x.shape[0], len(senones)))
    for t, frame in enumerate(x.astype(np.float64)):
        for i, s in enumerate(senones):
            c, total = model.senone_codebook[s], 0.0
            for f in range(model.means.shape[1]):
                xs = frame[f * model.veclen[0]:(f + 1) * model.veclen[0]]
                dens = (model.log_norm[c, f].astype(np.float64)
                        - 0.5 * (((xs - model.means[c, f]) ** 2) / var[c, f]).sum(-1))
                top = np.argsort(-dens, kind="stable")[:topn]
                total += math.log(np.sum(np.exp(model.log_mixw[s, f, top].astype(np.float64) + dens[top])))
            out[t, i] = total
    return out


@pytest.mark.parametrize("topn", [1, 2, 5])
def test_senone_scores_match_a_direct_computation(topn):
    from seqtag.align.sphinx.scoring import SenoneScorer

    rng = np.random.default_rng(topn)
    model, var = _tiny_model(rng)
    scorer = SenoneScorer(model, topn)
    x = rng.normal(size=(9, 6)).astype(np.float32)
    top = scorer.top_n(x)
    senones = np.arange(7)
    got = scorer.scores(top, senones)
    np.testing.assert_allclose(got, _reference(model, var, x, senones, topn), atol=2e-3)
    path = rng.integers(0, 7, 9)
    np.testing.assert_allclose(scorer.path_scores(top, path), got[np.arange(9), path], rtol=1e-7)
    assert np.all(np.diff(top.vals, axis=-1) <= 0), "top-N values come best first"


def test_map_statistics_share_a_frame_among_its_gaussians():
    from seqtag.align.sphinx.scoring import SenoneScorer

    rng = np.random.default_rng(0)
    model, _ = _tiny_model(rng)
    scorer = SenoneScorer(model, 3)
    x = rng.normal(size=(4, 6)).astype(np.float32)
    top = scorer.top_n(x)
    n, sx = scorer.map_statistics(x, top, np.array([0, 1, -1, 2]), np.array([1.0, 0.5, 1.0, 1.0]))
    # every stream of a counted frame distributes its weight: 1 + 0.5 + 1 per stream
    np.testing.assert_allclose(n.sum(axis=(0, 2)), [2.5, 2.5])
    assert n.shape == (3, 2, 5) and sx.shape == (3, 2, 5, 3)


def test_scorer_refuses_bad_input():
    from seqtag.align.sphinx.scoring import SenoneScorer

    model, _ = _tiny_model(np.random.default_rng(0))
    with pytest.raises(InputError, match="topn must be"):
        SenoneScorer(model, 0)
    scorer = SenoneScorer(model, 2)
    with pytest.raises(InputError, match=r"features must have shape \(frames, 6\)"):
        scorer.top_n(np.zeros((3, 5)))
    with pytest.raises(InputError, match="senones must be ids"):
        scorer.scores(scorer.top_n(np.zeros((3, 6))), [9])


# ----------------------------------------------------------------------------- windowed Viterbi
def _brute_force(band, start, end, emit, lo, hi):
    T, K = emit.shape
    best, arg = -np.inf, None
    for path in itertools.product(range(K), repeat=T):
        if any(not lo[t] <= k < hi[t] for t, k in enumerate(path)):
            continue
        s = start[path[0]] + emit[0, path[0]] + end[path[-1]]
        for t in range(1, T):
            d = path[t] - path[t - 1]
            s += band[path[t - 1], d] + emit[t, path[t]] if 0 <= d < band.shape[1] else -np.inf
        if s > best:
            best, arg = s, path
    return best, arg


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4), st.integers(1, 3), st.integers(1, 5), st.integers(0, 10**6), st.booleans())
def test_windowed_viterbi_against_brute_force(K, W, T, seed, narrow):
    rng = np.random.default_rng(seed)
    band = np.log(rng.random((K, W)))
    band[rng.random((K, W)) < 0.2] = -np.inf
    start, end = np.log(rng.random(K)), np.log(rng.random(K))
    start[rng.random(K) < 0.3] = -np.inf
    emit = np.log(rng.random((T, K)))
    lo, hi = diagonal_windows(T, K, 0 if narrow else None)
    path, score = windowed_band_viterbi(band, start, end, np.arange(K), lambda a, b, ids: emit[a:b][:, ids], lo, hi,
                                        chunk=int(rng.integers(1, 4)))
    ref, ref_path = _brute_force(band, start, end, emit, lo, hi)
    if ref == -np.inf:
        assert score == -np.inf and np.all(path == -1)
    else:
        assert math.isclose(score, ref, rel_tol=1e-12, abs_tol=1e-9)
        total = start[path[0]] + emit[0, path[0]] + end[path[-1]] + sum(
            band[path[t - 1], path[t] - path[t - 1]] + emit[t, path[t]] for t in range(1, T))
        assert math.isclose(total, ref, rel_tol=1e-12, abs_tol=1e-9)


def test_windowed_viterbi_equals_the_full_band_viterbi_and_shares_emissions():
    rng = np.random.default_rng(3)
    K, T = 12, 60
    band = np.log(rng.random((K, 3)))
    start = np.full(K, -np.inf)
    start[0] = 0.0
    ids = rng.integers(0, 4, K)  # states share 4 emission ids
    table = np.log(rng.random((T, 4)))
    asked = []

    def emissions(a, b, need):
        asked.append(need.tolist())
        return table[a:b][:, need]

    lo, hi = diagonal_windows(T, K, None)
    path, score = windowed_band_viterbi(band, start, np.zeros(K), ids, emissions, lo, hi, chunk=16)
    ref_path, ref = lr_viterbi(band, start, table[:, ids])
    assert math.isclose(score, ref) and np.array_equal(path, ref_path)
    assert all(sorted(set(a)) == a for a in asked) and len(asked) == 4


def test_windowed_viterbi_on_a_million_frames_does_not_underflow():
    K, T = 3, 1_000_000
    band = np.log([[0.9, 0.1], [0.9, 0.1], [0.5, 1.0]])
    emit = np.log(np.full((T, K), 0.5))
    start, end = [0.0, -np.inf, -np.inf], [-np.inf, -np.inf, 0.0]
    lo, hi = diagonal_windows(T, K, None)
    path, score = windowed_band_viterbi(band, start, end, np.arange(K), lambda a, b, ids: emit[a:b][:, ids], lo, hi,
                                        chunk=100_000)
    # the best path stays in state 0 until the last two frames: T halves, T - 3 times 0.9, twice 0.1
    assert path[0] == 0 and path[-1] == 2 and np.all(path[:-2] == 0)
    assert score == pytest.approx(T * math.log(0.5) + 2 * math.log(0.1) + (T - 3) * math.log(0.9), rel=1e-10)


def test_windowed_viterbi_refuses_bad_windows():
    band = np.zeros((3, 2))
    with pytest.raises(InputError, match="non-decreasing"):
        windowed_band_viterbi(band, np.zeros(3), np.zeros(3), np.arange(3), lambda a, b, i: np.zeros((b - a, i.size)),
                              np.array([1, 0]), np.array([3, 3]))
    with pytest.raises(InputError, match="W must be <= 16"):
        windowed_band_viterbi(np.zeros((3, 17)), np.zeros(3), np.zeros(3), np.arange(3),
                              lambda a, b, i: np.zeros((b - a, i.size)), np.array([0]), np.array([3]))


def test_graph_of_a_transcript():
    from seqtag.align.sphinx.graph import build_graph
    from seqtag.align.sphinx.model import find_model_dir, load_sphinx_model
    from seqtag.exceptions import ModelFileError

    try:
        find_model_dir()
    except ModelFileError:
        pytest.skip("PocketSphinx's en-us model is not installed")
    model = load_sphinx_model()
    g = build_graph(model, [["HH", "AY"], ["+SPN+"], ["DH", "EH", "R"]], [False, True, False], sil_prob=0.3)
    n = model.mdef.n_emit_state
    assert g.n_states == (1 + 2 + 1 + 1 + 1 + 3 + 1) * n and g.phone_labels == ["HH", "AY", "+SPN+", "DH", "EH", "R"]
    assert list(g.min_frames) == [2 * n, 3 * n, 6 * n]
    # the first word's first phone: a word-begin triphone with SIL on the left, AY on the right
    pid = model.mdef.phone_id("HH", "SIL", "AY", "b")
    assert list(g.senone[n:2 * n]) == list(model.mdef.senones(pid))
    assert math.isclose(math.exp(g.log_start[0]) + math.exp(g.log_start[n]), 1.0)
    rows = np.logaddexp.reduce(np.column_stack([g.band, g.log_end]), axis=1)
    np.testing.assert_allclose(rows, 0.0, atol=1e-9)  # every state leaves with probability 1
