"""Chain DP kernels against brute-force enumeration, properties, errors and long sequences."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqtag.chains import dense as hk
from seqtag.exceptions import InputError

from . import naive_hmm as nv

NEG = -np.inf


def _model(rng, K, T, p_inf=0.0, scale=2.0):
    start, trans, emit, end = (rng.normal(0, scale, size=s) for s in [(K,), (K, K), (T, K), (K,)])
    if p_inf:
        for a in (start, trans, emit, end):
            a[rng.random(a.shape) < p_inf] = NEG
    return start, trans, emit, end


def _close(a, b, tol=1e-9):
    a, b = np.asarray(a, float), np.asarray(b, float)
    assert a.shape == b.shape
    same_inf = (a == b) | (np.isfinite(a) & np.isfinite(b) & np.isclose(a, b, rtol=tol, atol=tol))
    assert same_inf.all(), (a, b)


def _check_all(start, trans, emit, end):
    """Every kernel of one model against enumeration."""
    T, K = emit.shape
    z = nv.log_likelihood(start, trans, emit, end)
    ll, la = hk.forward(start, trans, emit, end)
    _close(ll, z)
    _close(la, nv.log_alpha(start, trans, emit, end))
    _close(hk.backward(start, trans, emit, end), nv.log_beta(start, trans, emit, end))
    _close(hk.batch_log_likelihood(start, trans, emit, [T], end), [z])
    _close(hk.posteriors(start, trans, emit, end), nv.posteriors(start, trans, emit, end))
    llc, sc, xi, ec, _ = hk.batch_expected_counts(start, trans, emit, [T], end)
    z2, sc2, xi2, ec2 = nv.expected_counts(start, trans, emit, end)
    _close(llc, [z2])
    _close(sc, sc2)
    _close(xi, xi2)
    _close(ec, ec2)
    ranked = nv.ranked(start, trans, emit, end)
    path, score = hk.viterbi(start, trans, emit, end)
    if ranked:
        _close(score, ranked[0][1])
        _close(nv.path_score(start, trans, emit, end, tuple(path)), score)
    else:
        assert score == NEG and (path == -1).all()
    k = min(len(ranked) + 2, 12)
    paths, scores = hk.nbest_viterbi(start, trans, emit, k, end)
    assert paths.shape == (k, T) and scores.shape == (k,)
    want = [s for _, s in ranked[:k]] + [NEG] * (k - min(k, len(ranked)))
    _close(scores, want)
    finite = [tuple(p) for p, s in zip(paths, scores) if s > NEG]
    assert len(set(finite)) == len(finite)
    for p, s in zip(paths, scores):
        if s > NEG:
            _close(nv.path_score(start, trans, emit, end, tuple(p)), s)
        else:
            assert (p == -1).all()


@pytest.mark.parametrize("K,T", [(1, 1), (1, 4), (2, 1), (2, 3), (3, 4), (4, 3)])
@pytest.mark.parametrize("with_end", [False, True])
@pytest.mark.parametrize("p_inf", [0.0, 0.3])
def test_brute_force(K, T, with_end, p_inf):
    rng = np.random.default_rng(K * 100 + T * 10 + int(with_end) + int(p_inf * 10))
    for _ in range(3):
        start, trans, emit, end = _model(rng, K, T, p_inf)
        _check_all(start, trans, emit, end if with_end else None)


def test_forbidden_rows_and_columns():
    rng = np.random.default_rng(1)
    start, trans, emit, end = _model(rng, 3, 4)
    trans[1, :] = NEG  # state 1 can only be last
    trans[:, 2] = NEG  # state 2 can only be first
    emit[2, 0] = NEG
    _check_all(start, trans, emit, end)
    _check_all(start, trans, emit, None)


def test_impossible_sequence():
    start, trans, emit = np.zeros(2), np.zeros((2, 2)), np.zeros((3, 2))
    emit[1] = NEG
    assert hk.forward(start, trans, emit)[0] == NEG
    assert (hk.posteriors(start, trans, emit) == 0).all()
    path, score = hk.viterbi(start, trans, emit)
    assert score == NEG and (path == -1).all()
    paths, scores = hk.nbest_viterbi(start, trans, emit, 2)
    assert (paths == -1).all() and (scores == NEG).all()
    ll, sc, xi, ec, post = hk.batch_expected_counts(start, trans, np.vstack([emit, np.zeros((2, 2))]), [3, 2])
    assert ll[0] == NEG and np.isfinite(ll[1])
    np.testing.assert_allclose(sc, [0.5, 0.5])  # only the possible sequence counts
    with pytest.raises(InputError, match="no path has a finite score"):
        hk.sample(start, trans, emit, 3, random_state=0)


def test_extreme_scores_fall_back_to_log_space():
    """Scores far apart (the scaled pass would underflow) and huge unnormalised potentials."""
    start = np.array([0.0, -900.0])
    trans = np.array([[0.0, NEG], [NEG, 0.0]])
    emit = np.array([[0.0, 0.0], [NEG, -5.0], [800.0, 1000.0]])
    _check_all(start, trans, emit, None)
    rng = np.random.default_rng(3)
    s, t, e, en = _model(rng, 3, 4, scale=400.0)
    _check_all(s, t, e + 900.0, en)


def test_sample_matches_posterior_distribution():
    rng = np.random.default_rng(5)
    start, trans, emit, end = _model(rng, 2, 3, scale=1.0)
    trans[1, 0] = NEG
    paths = hk.sample(start, trans, emit, 20000, end, random_state=7)
    assert paths.shape == (20000, 3)
    z = nv.log_likelihood(start, trans, emit, end)
    counts = {}
    for p in map(tuple, paths):
        counts[p] = counts.get(p, 0) + 1
    for p in itertools.product(range(2), repeat=3):
        prob = np.exp(nv.path_score(start, trans, emit, end, p) - z)
        freq = counts.get(p, 0) / 20000
        assert abs(freq - prob) < 4 * np.sqrt(prob * (1 - prob) / 20000) + 1e-3, (p, freq, prob)
    again = hk.sample(start, trans, emit, 20000, end, random_state=7)
    np.testing.assert_array_equal(paths, again)


def test_empty_sequences_in_batch():
    rng = np.random.default_rng(2)
    start, trans, _, end = _model(rng, 3, 1)
    emit = rng.normal(size=(5, 3))
    lengths = [0, 2, 0, 3, 0]
    ll, la = hk.batch_forward(start, trans, emit, lengths, end)
    assert ll[0] == ll[2] == ll[4] == 0.0
    _close(ll[1], nv.log_likelihood(start, trans, emit[:2], end))
    for fn in (hk.batch_posteriors, hk.batch_expected_counts):
        assert fn(start, trans, emit, lengths, end)[0][[0, 2, 4]].tolist() == [0.0] * 3
    paths, scores = hk.batch_viterbi(start, trans, emit, lengths, end)
    assert paths.shape == (5,) and scores[[0, 2, 4]].tolist() == [0.0] * 3
    assert hk.forward(start, trans, np.zeros((0, 3)))[0] == 0.0
    path, score = hk.viterbi(start, trans, np.zeros((0, 3)), end)
    assert path.shape == (0,) and score == 0.0
    paths, scores = hk.nbest_viterbi(start, trans, np.zeros((0, 3)), 2)
    assert paths.shape == (2, 0) and scores.tolist() == [0.0, NEG]


score_st = st.one_of(st.floats(-6, 6), st.just(NEG))


@st.composite
def batches(draw):
    K = draw(st.integers(1, 3))
    lengths = draw(st.lists(st.integers(0, 4), min_size=1, max_size=4))
    N = sum(lengths)

    def arr(*shape):
        n = int(np.prod(shape))
        return np.array(draw(st.lists(score_st, min_size=n, max_size=n)), dtype=float).reshape(shape)

    end = arr(K) if draw(st.booleans()) else None
    return arr(K), arr(K, K), arr(N, K), end, np.array(lengths)


@settings(max_examples=60, deadline=None)
@given(batches())
def test_property_batched_equals_brute_force(b):
    start, trans, emit, end, lengths = b
    ll_f, la = hk.batch_forward(start, trans, emit, lengths, end)
    ll_p, post = hk.batch_posteriors(start, trans, emit, lengths, end)
    ll_c, sc, xi, ec, post_c = hk.batch_expected_counts(start, trans, emit, lengths, end)
    ll_s = hk.batch_log_likelihood(start, trans, emit, lengths, end)
    paths, scores = hk.batch_viterbi(start, trans, emit, lengths, end)
    K = start.shape[0]
    tot = [0.0, np.zeros(K), np.zeros((K, K)), np.zeros(K)]
    off = np.concatenate([[0], np.cumsum(lengths)])
    for s, (a, b_) in enumerate(zip(off[:-1], off[1:])):
        e = emit[a:b_]
        if b_ == a:
            assert ll_f[s] == ll_p[s] == ll_c[s] == ll_s[s] == scores[s] == 0.0
            continue
        z, c0, c1, c2 = nv.expected_counts(start, trans, e, end)
        for got in (ll_f[s], ll_p[s], ll_c[s], ll_s[s]):
            _close(got, z, 1e-8)
        _close(la[a:b_], hk.forward(start, trans, e, end)[1])
        _close(post[a:b_], nv.posteriors(start, trans, e, end), 1e-8)
        _close(post_c[a:b_], post[a:b_])
        if z > NEG:
            for i, c in enumerate((c0, c1, c2)):
                tot[i + 1] = tot[i + 1] + c
        ranked = nv.ranked(start, trans, e, end)
        _close(scores[s], ranked[0][1] if ranked else NEG, 1e-8)
        if ranked:
            _close(nv.path_score(start, trans, e, end, tuple(paths[a:b_])), scores[s], 1e-8)
    _close(sc, tot[1], 1e-8)
    _close(xi, tot[2], 1e-8)
    _close(ec, tot[3], 1e-8)


def test_long_sequence_no_underflow():
    """T = 10**6: finite log-likelihood equal to a chunk-wise recomputation."""
    rng = np.random.default_rng(0)
    K, T = 3, 10**6
    start = np.log(rng.dirichlet(np.ones(K)))
    trans = np.log(rng.dirichlet(np.ones(K), size=K))
    emit = np.log(rng.dirichlet(np.ones(50), size=K)).T[rng.integers(0, 50, T)]  # (T, K)
    ll, la = hk.forward(start, trans, emit)
    fast = hk.batch_log_likelihood(start, trans, emit, [T])[0]
    assert np.isfinite(ll) and ll < -1e5
    # chunk-wise: carry the last log-alpha of each chunk into the next chunk's start
    carry, cut = start, 0
    for stop in (250_000, 600_000, T):
        part_ll, part_la = hk.forward(carry, trans, emit[cut:stop])
        last = part_la[-1]
        carry = np.logaddexp.reduce(last[:, None] + trans, axis=0)
        cut = stop
    np.testing.assert_allclose([ll, fast], [part_ll, part_ll], rtol=1e-10)
    _close(la[-1], last, 1e-8)
    post = hk.posteriors(start, trans, emit)
    np.testing.assert_allclose(post.sum(axis=1), 1.0, atol=1e-9)
    path, score = hk.viterbi(start, trans, emit)
    assert np.isfinite(score) and path.min() >= 0
    _close(nv.path_score(start, trans, emit, None, path), score, 1e-9)


def test_input_errors():
    s, t, e = np.zeros(2), np.zeros((2, 2)), np.zeros((3, 2))
    with pytest.raises(InputError, match=r"log_trans must have shape \(K, K\) = \(2, 2\).*got \(3, 2\)"):
        hk.forward(s, np.zeros((3, 2)), e)
    with pytest.raises(InputError, match=r"log_emit must have shape \(T, K\) with K = 2.*got \(3, 3\)"):
        hk.viterbi(s, t, np.zeros((3, 3)))
    with pytest.raises(InputError, match=r"log_end must have shape \(2,\)"):
        hk.posteriors(s, t, e, np.zeros(3))
    with pytest.raises(InputError, match="log_emit must be a 2-D array, got shape"):
        hk.forward(s, t, np.zeros(3))
    with pytest.raises(InputError, match=r"contains NaN \(first at index \(1, 0\)\)"):
        e2 = e.copy()
        e2[1, 0] = np.nan
        hk.forward(s, t, e2)
    with pytest.raises(InputError, match=r"log_start contains \+inf"):
        hk.backward(np.array([np.inf, 0.0]), t, e)
    with pytest.raises(InputError, match="real log scores"):
        hk.forward(np.array(["a", "b"]), t, e)
    with pytest.raises(InputError, match="at least one state"):
        hk.forward(np.zeros(0), np.zeros((0, 0)), np.zeros((3, 0)))
    with pytest.raises(InputError, match=r"sum\(lengths\) = 4 must equal.*= 3"):
        hk.batch_viterbi(s, t, e, [2, 2])
    with pytest.raises(InputError, match="lengths must be >= 0"):
        hk.batch_forward(s, t, e, [4, -1])
    with pytest.raises(InputError, match="lengths must be a 1-D array of ints"):
        hk.batch_posteriors(s, t, e, [1.5, 1.5])
    with pytest.raises(InputError, match="k must be an int >= 1"):
        hk.nbest_viterbi(s, t, e, 0)
    with pytest.raises(InputError, match="n_samples must be an int >= 0"):
        hk.sample(s, t, e, -1)
    with pytest.raises(InputError, match="log_start is not normalised"):
        hk.forward(s, t, e, check_normalized=True)
    with pytest.raises(InputError, match="log_trans rows are not normalised: row 0"):
        hk.forward(np.log([0.5, 0.5]), t, e, check_normalized=True)
    with pytest.raises(InputError, match="log_trans with log_end rows are not normalised"):
        hk.forward(np.log([0.5, 0.5]), np.log(np.full((2, 2), 0.5)), e, np.zeros(2), check_normalized=True)
    hk.forward(np.log([0.5, 0.5]), np.log(np.full((2, 2), 0.5)), e, check_normalized=True)


def test_inputs_not_mutated():
    rng = np.random.default_rng(4)
    arrays = _model(rng, 3, 4, p_inf=0.2)
    copies = [a.copy() for a in arrays]
    hk.batch_expected_counts(*arrays[:3], [4], arrays[3])
    if np.isfinite(hk.forward(*arrays)[0]):
        hk.sample(*arrays[:3], 2, arrays[3], random_state=0)
    for a, c in zip(arrays, copies):
        np.testing.assert_array_equal(a, c)


def test_pure_python_mode():
    """The kernels also run with NUMBA_DISABLE_JIT=1 (debuggable in plain Python)."""
    code = (
        "import numpy as np; from seqtag.chains import dense as hk; from tests import naive_hmm as nv;"
        "r=np.random.default_rng(0); s,t,e=r.normal(size=2),r.normal(size=(2,2)),r.normal(size=(3,2));"
        "assert np.isclose(hk.forward(s,t,e)[0], nv.log_likelihood(s,t,e));"
        "assert np.allclose(hk.batch_expected_counts(s,t,e,[3])[2], nv.expected_counts(s,t,e)[2]);"
        "assert np.isclose(hk.nbest_viterbi(s,t,e,2)[1][1], nv.ranked(s,t,e)[1][1]);"
        "hk.batch_viterbi(s,t,e,[1,2]); hk.sample(s,t,e,2,random_state=0); print('ok')"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=root, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]
