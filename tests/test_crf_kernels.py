"""CRF training kernels and optimisers against brute-force enumeration and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqtag.crf._kernels import crf_nll_grad, emission_scores, sentence_marginals
from seqtag.crf._optim import CRFObjective, _pseudo_gradient, lbfgs, owlqn

from . import naive_crf


def _random_chain(rng, T, K, n_inf=0):
    E = rng.normal(size=(T, K))
    tr = rng.normal(size=(K, K))
    s, e = rng.normal(size=K), rng.normal(size=K)
    for _ in range(n_inf):
        [E, tr][rng.integers(2)].ravel()[rng.integers(K * min(T, K))] = -np.inf
    return E, tr, s, e


def _expected_transitions(E, tr, s, e):
    T, K = E.shape
    log_z = naive_crf.log_partition(E, tr, s, e)
    Xi = np.zeros((K, K))
    if not np.isfinite(log_z):
        return Xi
    for p, score in naive_crf.all_paths(E, tr, s, e):
        for t in range(1, T):
            Xi[p[t - 1], p[t]] += np.exp(score - log_z)
    return Xi


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), T=st.integers(1, 5), K=st.integers(1, 4),
       n_inf=st.integers(0, 3), force_log=st.booleans())
def test_forward_backward_matches_enumeration(seed, T, K, n_inf, force_log):
    E, tr, s, e = _random_chain(np.random.default_rng(seed), T, K, n_inf)
    log_z, P, Xi = sentence_marginals(E, tr, s, e, force_log)
    ref = naive_crf.log_partition(E, tr, s, e)
    if np.isfinite(ref):
        assert log_z == pytest.approx(ref, abs=1e-9)
    else:
        assert log_z == -np.inf
    np.testing.assert_allclose(P, naive_crf.marginals(E, tr, s, e), atol=1e-9)
    np.testing.assert_allclose(Xi, _expected_transitions(E, tr, s, e), atol=1e-9)


def test_all_paths_impossible_gives_minus_inf_not_nan():
    E, tr, s, e = _random_chain(np.random.default_rng(0), 3, 2)
    e[:] = -np.inf
    for force_log in (False, True):
        log_z, P, Xi = sentence_marginals(E, tr, s, e, force_log)
        assert log_z == -np.inf
        assert not np.isnan(P).any() and not P.any() and not Xi.any()


def test_long_and_extreme_sequences_agree_with_log_space():
    rng = np.random.default_rng(1)
    T, K = 20000, 3
    E, tr, s, e = rng.normal(size=(T, K)) * 30, rng.normal(size=(K, K)), rng.normal(size=K), rng.normal(size=K)
    E[5, 1] = -np.inf
    tr[0, 2] = -np.inf
    tr[2, 1] = -800.0  # exp underflows after shifting; the scaled pass must stay exact or hand over
    a = sentence_marginals(E, tr, s, e, False)
    b = sentence_marginals(E, tr, s, e, True)
    assert np.isfinite(a[0])
    assert a[0] == pytest.approx(b[0], rel=1e-10)
    np.testing.assert_allclose(a[1], b[1], atol=1e-8)
    np.testing.assert_allclose(a[2], b[2], rtol=1e-7, atol=1e-8)


def _random_problem(rng, n_sent=5, K=3, n_attr=6, max_T=4):
    lengths = rng.integers(1, max_T + 1, size=n_sent)
    N = int(lengths.sum())
    rows = [np.sort(rng.choice(n_attr, size=rng.integers(1, 4), replace=False)) for _ in range(N)]
    indptr = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int64)
    indices = np.concatenate(rows).astype(np.int64)
    data = rng.uniform(0.5, 2.0, size=len(indices))
    # every attribute gets a random subset of labels as features
    feats = [np.sort(rng.choice(K, size=rng.integers(1, K + 1), replace=False)) for _ in range(n_attr)]
    attr_ptr = np.concatenate([[0], np.cumsum([len(f) for f in feats])]).astype(np.int64)
    feat_label = np.concatenate(feats).astype(np.int64)
    labels = rng.integers(0, K, size=N).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    return attr_ptr, feat_label, indptr, indices, data, labels, offsets, K


def _naive_nll(theta, prob):
    attr_ptr, feat_label, indptr, indices, data, labels, offsets, K = prob
    F = len(feat_label)
    w, tr = theta[:F], theta[F:F + K * K].reshape(K, K)
    s, e = theta[F + K * K:F + K * K + K], theta[F + K * K + K:]
    E = np.zeros((len(labels), K))
    for t in range(len(labels)):
        for p in range(indptr[t], indptr[t + 1]):
            for f in range(attr_ptr[indices[p]], attr_ptr[indices[p] + 1]):
                E[t, feat_label[f]] += w[f] * data[p]
    nll = 0.0
    for a, b in zip(offsets[:-1], offsets[1:]):
        nll += naive_crf.log_partition(E[a:b], tr, s, e) - naive_crf.path_score(E[a:b], tr, s, e, labels[a:b])
    return nll, E


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), c2=st.sampled_from([0.0, 0.7]))
def test_nll_and_gradient(seed, c2):
    rng = np.random.default_rng(seed)
    prob = _random_problem(rng)
    obj = CRFObjective(*prob[:7], prob[7], c2=c2)
    theta = rng.normal(size=obj.n_params)
    f, g = obj(theta)
    ref, E = _naive_nll(theta, prob)
    assert f == pytest.approx(ref + c2 * theta @ theta, rel=1e-10)
    F = len(prob[1])
    np.testing.assert_allclose(
        emission_scores(theta[:F], prob[0], prob[1], prob[2], prob[3], prob[4], prob[7]), E, atol=1e-12)
    # central differences on every coordinate: state, transition, start and end weights
    h = 1e-5
    num = np.empty_like(theta)
    for i in range(len(theta)):
        d = np.zeros_like(theta)
        d[i] = h
        num[i] = (obj(theta + d)[0] - obj(theta - d)[0]) / (2 * h)
    np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-6)


def test_parallel_chunks_equal_per_sentence():
    rng = np.random.default_rng(3)
    prob = _random_problem(rng, n_sent=40, K=4, n_attr=10, max_T=7)
    attr_ptr, feat_label, indptr, indices, data, labels, offsets, K = prob
    F = len(feat_label)
    theta = rng.normal(size=F + K * K + 2 * K)
    w, tr = theta[:F], theta[F:F + K * K].reshape(K, K)
    s, e = theta[F + K * K:F + K * K + K], theta[F + K * K + K:]
    n = len(offsets) - 1

    def run(chunks):
        nc = len(chunks) - 1
        bufs = (np.zeros((nc, F)), np.zeros((nc, K, K)), np.zeros((nc, K)), np.zeros((nc, K)), np.zeros(nc))
        crf_nll_grad(w, tr, s, e, attr_ptr, feat_label, indptr, indices, data, labels, offsets,
                     np.asarray(chunks, dtype=np.int64), 7, *bufs)
        return [b.sum(0) for b in bufs]

    whole = run([0, n])
    per_sentence = run(list(range(n + 1)))
    uneven = run([0, 1, 17, 18, n])
    for a, b, c in zip(whole, per_sentence, uneven):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(a, c, rtol=1e-10, atol=1e-10)


def test_marginals_match_shared_hmm_kernels():
    from seqtag.chains import dense as hk

    rng = np.random.default_rng(5)
    lengths = [3, 1, 6]
    K = 4
    E = rng.normal(size=(sum(lengths), K)) * 3
    tr, s, e = rng.normal(size=(K, K)), rng.normal(size=K), rng.normal(size=K)
    tr[1, 2] = -np.inf
    ll, post = hk.batch_posteriors(s, tr, E, lengths, log_end=e)
    o = 0
    for i, n in enumerate(lengths):
        log_z, P, _ = sentence_marginals(E[o:o + n], tr, s, e, False)
        assert log_z == pytest.approx(ll[i], rel=1e-10)
        np.testing.assert_allclose(P, post[o:o + n], atol=1e-10)
        o += n


# ------------------------------------------------------------------ optimisers
def _l1_problem():
    rng = np.random.default_rng(7)
    A = rng.normal(size=(30, 12))
    b = A[:, :3] @ np.array([2.0, -1.5, 1.0]) + 0.1 * rng.normal(size=30)

    def fun(x):  # smooth least squares part
        r = A @ x - b
        return 0.5 * float(r @ r), A.T @ r

    return fun


def test_owlqn_gives_exact_zeros_and_monotone_objective():
    fun = _l1_problem()
    x0 = np.zeros(12)
    c1 = 5.0
    hist: list = []
    x, info = owlqn(fun, x0, c1, max_iter=200, tol=1e-10, history=hist)
    assert np.all(np.diff(hist) <= 1e-12), "OWL-QN objective must never increase"
    assert info["objective"] < hist[0]
    assert np.count_nonzero(x == 0.0) >= 3, "L1 must produce exact zeros"
    assert np.all(x[:3] != 0)
    # optimality: the pseudo-gradient vanishes at the solution
    assert np.abs(_pseudo_gradient(x, fun(x)[1], c1)).max() < 1e-3
    # a much larger c1 zeroes everything
    x_big, _ = owlqn(fun, x0, 1e4, max_iter=50, tol=1e-10)
    assert not np.any(x_big)


def test_owlqn_with_zero_c1_matches_lbfgs():
    fun = _l1_problem()
    x1, _ = owlqn(fun, np.zeros(12), 0.0, max_iter=300, tol=1e-14)
    x2, info = lbfgs(fun, np.zeros(12), max_iter=300, tol=1e-14)
    np.testing.assert_allclose(x1, x2, atol=1e-4)
    assert info["n_iter"] > 0
