"""CategoricalHMM: monotone EM, partial supervision, restarts, errors, hmmlearn cross-check."""

from __future__ import annotations

import numpy as np
import pytest

from seqtag.chains import dense as hk
from seqtag.exceptions import InputError, NotFittedError
from seqtag.hmm import CategoricalHMM

from . import naive_hmm as nv


def _params(rng, K, V):
    return rng.dirichlet(np.ones(K)), rng.dirichlet(np.ones(K), size=K), rng.dirichlet(np.ones(V), size=K)


def _with_params(K, params, **kw):
    model = CategoricalHMM(K, init="params", **kw)
    model.startprob_, model.transmat_, model.emissionprob_ = params
    return model


def _data(seed=0, K=3, V=8, n=40):
    rng = np.random.default_rng(seed)
    true = CategoricalHMM(K, random_state=seed)
    true.startprob_, true.transmat_, true.emissionprob_ = _params(rng, K, V)
    true.transmat_ = 0.3 * true.transmat_ + 0.7 * np.eye(K)
    true.n_features_ = V
    lengths = rng.integers(1, 15, n)
    X = np.concatenate([true.sample(int(m), random_state=seed + i)[0][:, 0] for i, m in enumerate(lengths)])
    return true, X, lengths


@pytest.mark.parametrize("pseudocount", [0.0, 0.5])
def test_objective_never_decreases(pseudocount):
    _, X, lengths = _data(1)
    model = CategoricalHMM(3, n_iter=40, tol=-np.inf, pseudocount=pseudocount, random_state=0).fit(X, lengths)
    hist = np.array(model.monitor_.history)
    assert len(hist) == 40 and model.monitor_.iter == 40 and model.monitor_.converged
    assert (np.diff(hist) >= -1e-8 * np.abs(hist[1:])).all()
    assert hist[-1] > hist[0] + 1.0
    for a in (model.startprob_, model.transmat_, model.emissionprob_):
        np.testing.assert_allclose(a.sum(axis=-1), 1.0)
    if pseudocount:
        assert (model.emissionprob_ > 0).all()


def test_objective_is_loglik_plus_log_prior():
    _, X, lengths = _data(2)
    rng = np.random.default_rng(3)
    params = _params(rng, 3, 8)
    model = _with_params(3, params, n_iter=1, pseudocount=0.7).fit(X, lengths)
    scorer = _with_params(3, params)
    scorer.n_features_ = 8
    prior = 0.7 * sum(np.log(p).sum() for p in params)
    assert model.monitor_.history[0] == pytest.approx(scorer.score(X, lengths) + prior, rel=1e-12)
    # one M-step by hand: (counts + c) normalised
    ll, sc, xi, ec, post = hk.batch_expected_counts(
        np.log(params[0]), np.log(params[1]), np.log(params[2]).T[X], lengths
    )
    em = np.zeros((3, 8))
    np.add.at(em.T, X, post)
    np.testing.assert_allclose(model.startprob_, (sc + 0.7) / (sc + 0.7).sum(), rtol=1e-10)
    np.testing.assert_allclose(model.transmat_, (xi + 0.7) / (xi + 0.7).sum(1, keepdims=True), rtol=1e-10)
    np.testing.assert_allclose(model.emissionprob_, (em + 0.7) / (em + 0.7).sum(1, keepdims=True), rtol=1e-10)


def test_inference_matches_brute_force():
    rng = np.random.default_rng(4)
    params = _params(rng, 2, 4)
    model = _with_params(2, params)
    model.n_features_ = 4
    X = np.array([0, 3, 1, 2, 2, 0, 1])
    lengths = [3, 4]
    ls, lt, le = np.log(params[0]), np.log(params[1]), np.log(params[2]).T[X]
    z = [nv.log_likelihood(ls, lt, le[:3]), nv.log_likelihood(ls, lt, le[3:])]
    assert model.score(X, lengths) == pytest.approx(sum(z), rel=1e-12)
    total, post = model.score_samples(X[:, None], lengths)
    np.testing.assert_allclose(post[:3], nv.posteriors(ls, lt, le[:3]), atol=1e-12)
    np.testing.assert_allclose(model.predict_proba(X, lengths), post)
    logprob, path = model.decode(X, lengths)
    best = [nv.ranked(ls, lt, le[:3])[0], nv.ranked(ls, lt, le[3:])[0]]
    assert logprob == pytest.approx(best[0][1] + best[1][1], rel=1e-12)
    assert tuple(model.predict(X, lengths)) == best[0][0] + best[1][0]


def test_partial_supervision_clamps_states():
    true, X, lengths = _data(5)
    states = np.full(X.shape[0], -1)
    states[::3] = 0
    model = CategoricalHMM(3, n_iter=15, random_state=1).fit(X, lengths, states=states)
    post = model.predict_proba(X, lengths)  # unclamped inference, but clamped training shaped the model
    assert post.shape == (X.shape[0], 3)
    hist = np.array(model.monitor_.history)
    assert (np.diff(hist) >= -1e-8 * np.abs(hist[1:])).all()
    # the E-step itself: a clamped position has a one-hot posterior on its state
    log_emit = model._log_emit(X, np.ascontiguousarray(np.log(model.emissionprob_).T), states)
    _, post_c = hk.batch_posteriors(np.log(model.startprob_), np.log(model.transmat_), log_emit, lengths)
    np.testing.assert_allclose(post_c[::3, 0], 1.0)
    with pytest.raises(InputError, match=r"states must be -1 \(unknown\) or in 0..2"):
        CategoricalHMM(3).fit(X, lengths, states=np.full(X.shape[0], 3))
    with pytest.raises(InputError, match="states must be ints of shape"):
        CategoricalHMM(3).fit(X, lengths, states=states[:-1])


def test_restarts_keep_best_and_random_state_not_mutated():
    _, X, lengths = _data(6)
    rs = np.random.RandomState(3)
    before = rs.get_state()[1].copy()
    singles = [CategoricalHMM(3, n_iter=10, random_state=s).fit(X, lengths) for s in range(3)]
    multi = CategoricalHMM(3, n_iter=10, n_init=4, random_state=rs).fit(X, lengths)
    np.testing.assert_array_equal(rs.get_state()[1], before)
    again = CategoricalHMM(3, n_iter=10, n_init=4, random_state=np.random.RandomState(3)).fit(X, lengths)
    np.testing.assert_array_equal(multi.transmat_, again.transmat_)
    assert multi.monitor_.history[-1] >= min(m.monitor_.history[-1] for m in singles) - 1e-9
    assert multi.n_features_ == X.max() + 1


def test_converges_and_recovers_structure():
    true, X, lengths = _data(7, K=2, V=6, n=200)
    model = CategoricalHMM(2, n_iter=200, tol=1e-2, n_init=3, random_state=0).fit(X, lengths)
    assert model.monitor_.converged and model.monitor_.iter < 200
    assert model.score(X, lengths) >= true.score(X, lengths) - 1e-6  # ML fit beats the truth on its data


def test_sample_shapes_and_determinism():
    true, _, _ = _data(8)
    X, states = true.sample(500, random_state=1)
    assert X.shape == (500, 1) and states.shape == (500,)
    assert X.min() >= 0 and X.max() < 8 and states.max() < 3
    X2, states2 = true.sample(500, random_state=1)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(states, states2)


def test_errors():
    X = np.array([0, 1, 2])
    with pytest.raises(NotFittedError, match="not fitted"):
        CategoricalHMM(2).predict(X)
    with pytest.raises(InputError, match="n_states must be an int >= 1"):
        CategoricalHMM(0).fit(X)
    with pytest.raises(InputError, match="pseudocount must be a finite number >= 0"):
        CategoricalHMM(2, pseudocount=-1).fit(X)
    with pytest.raises(InputError, match="init must be 'random' or 'params'"):
        CategoricalHMM(2, init="kmeans").fit(X)
    with pytest.raises(InputError, match="init='params' needs startprob_"):
        CategoricalHMM(2, init="params").fit(X)
    with pytest.raises(InputError, match="X must hold int symbols"):
        CategoricalHMM(2).fit(np.array([0.5, 1.0]))
    with pytest.raises(InputError, match=r"X must be int symbols of shape \(N,\) or \(N, 1\), got shape \(3, 2\)"):
        CategoricalHMM(2).fit(np.zeros((3, 2), dtype=int))
    with pytest.raises(InputError, match="X must hold symbols >= 0"):
        CategoricalHMM(2).fit(np.array([0, -1]))
    with pytest.raises(InputError, match=r"sum\(lengths\) = 5"):
        CategoricalHMM(2).fit(X, [2, 3])
    model = CategoricalHMM(2, n_iter=2, random_state=0).fit(X)
    with pytest.raises(InputError, match="the model knows only 3 symbols"):
        model.score(np.array([0, 5]))
    bad = _with_params(2, (np.array([0.5, 0.6]), np.eye(2), np.full((2, 3), 1 / 3)))
    with pytest.raises(InputError, match="startprob_ rows must sum to 1"):
        bad.fit(X)
    bad = _with_params(2, (np.array([0.5, 0.5]), np.eye(3), np.full((2, 3), 1 / 3)))
    with pytest.raises(InputError, match=r"transmat_ must have shape \(2, 2\)"):
        bad.fit(X)


def test_hmmlearn_cross_check():
    hmmlearn = pytest.importorskip("hmmlearn.hmm")
    rng = np.random.default_rng(11)
    K, V = 4, 12
    lengths = rng.integers(1, 30, 25)
    X = rng.integers(0, V, lengths.sum())
    params = _params(rng, K, V)
    ref = hmmlearn.CategoricalHMM(K, n_iter=5, tol=-np.inf, init_params="", params="ste")
    ref.startprob_, ref.transmat_, ref.emissionprob_ = (p.copy() for p in params)
    ref.n_features = V
    ours = _with_params(K, params, n_iter=5, tol=-np.inf)
    ours.n_features_ = V
    assert ours.score(X, lengths) == pytest.approx(ref.score(X[:, None], lengths), abs=1e-8)
    np.testing.assert_allclose(ours.predict_proba(X, lengths), ref.predict_proba(X[:, None], lengths), atol=1e-8)
    ref_lp, ref_path = ref.decode(X[:, None], lengths)
    our_lp, our_path = ours.decode(X, lengths)
    assert our_lp == pytest.approx(ref_lp, abs=1e-8)
    ls, lt, le = np.log(params[0]), np.log(params[1]), np.log(params[2]).T[X]
    off = np.concatenate([[0], np.cumsum(lengths)])
    for a, b in zip(off[:-1], off[1:]):  # equal path scores (exact ties may pick different paths)
        assert nv.path_score(ls, lt, le[a:b], None, our_path[a:b]) == pytest.approx(
            nv.path_score(ls, lt, le[a:b], None, ref_path[a:b]), abs=1e-8
        )
    assert (our_path == ref_path).mean() > 0.95
    ref.fit(X[:, None], lengths)
    ours.fit(X, lengths)
    np.testing.assert_allclose(ours.monitor_.history, list(ref.monitor_.history), atol=1e-8)
    np.testing.assert_allclose(ours.startprob_, ref.startprob_, atol=1e-8)
    np.testing.assert_allclose(ours.transmat_, ref.transmat_, atol=1e-8)
    np.testing.assert_allclose(ours.emissionprob_, ref.emissionprob_, atol=1e-8)
