"""The NumPy trigram posteriors (small batches before Numba is loaded) equal the kernels and brute force."""

from __future__ import annotations

import itertools
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqtag.chains.trigram_numpy import trigram_posteriors_small
from seqtag.chains.trigram import trigram_posteriors_batch


def _model(rng, K, n_tokens, p_forbid):
    lt = np.log(rng.dirichlet(np.ones(K + 1), size=(K + 1, K + 1)))
    lt[rng.random(lt.shape) < p_forbid] = -np.inf
    emit = np.log(rng.random((n_tokens, K)))
    emit[rng.random(emit.shape) < p_forbid] = -np.inf
    return lt, emit


def _brute(lt, emit):
    n, K = emit.shape
    scores, paths = [], list(itertools.product(range(K), repeat=n))
    for path in paths:
        full = (K, K, *path, K)
        scores.append(sum(lt[full[i], full[i + 1], full[i + 2]] for i in range(n + 1))
                      + sum(emit[i, t] for i, t in enumerate(path)))
    scores = np.array(scores)
    ll = np.logaddexp.reduce(scores)
    post = np.zeros((n, K))
    if np.isfinite(ll):
        for path, s in zip(paths, scores):
            post[np.arange(n), path] += np.exp(s - ll)
    return ll, post


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), K=st.integers(1, 3), n=st.integers(1, 4), p=st.sampled_from([0.0, 0.2, 0.5]))
def test_equals_brute_force(seed, K, n, p):
    lt, emit = _model(np.random.default_rng(seed), K, n, p)
    ll, post = trigram_posteriors_small(lt, emit, [n])
    want_ll, want_post = _brute(lt, emit)
    assert ll[0] == pytest.approx(want_ll) if np.isfinite(want_ll) else ll[0] == -np.inf
    np.testing.assert_allclose(post, want_post, atol=1e-9)


@pytest.mark.parametrize("p", [0.0, 0.3])
def test_equals_the_numba_kernel_on_batches(p):
    rng = np.random.default_rng(1)
    lengths = np.array([3, 0, 7, 1, 12])
    lt, emit = _model(rng, 6, lengths.sum(), p)
    got = trigram_posteriors_small(lt, emit, lengths)
    want = trigram_posteriors_batch(lt, emit, lengths)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-10)
    np.testing.assert_allclose(got[1], want[1], atol=1e-10)


def test_a_long_sentence_does_not_underflow():
    lt, emit = _model(np.random.default_rng(2), 4, 3000, 0.0)
    ll, post = trigram_posteriors_small(lt, emit - 50.0, [3000])
    assert np.isfinite(ll[0]) and np.allclose(post.sum(1), 1.0)


@pytest.mark.parametrize("order", [1, 2])
def test_the_hmm_tagger_takes_the_numpy_path_before_numba_and_gives_the_same_tags(tmp_path, order):
    from seqtag import HMMTagger

    X = [["the", "dog", "runs"], ["a", "cat", "sleeps", "well"], ["the", "cat", "runs", "fast"]] * 5
    y = [["DT", "NN", "VBZ"], ["DT", "NN", "VBZ", "RB"], ["DT", "NN", "VBZ", "RB"]] * 5
    model = HMMTagger(order=order).fit(X, y)
    path = model.save(tmp_path / "m")
    sents = [["the", "dog", "sleeps", "well"], ["a", "bird", "runs"]]
    code = ("import sys, json, seqtag; m = seqtag.load(sys.argv[1]); "
            "tags = m.predict(json.loads(sys.argv[2])); print(json.dumps([tags, 'numba' in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code, str(path), __import__("json").dumps(sents)],
                         capture_output=True, text=True, check=True)
    tags, numba_loaded = __import__("json").loads(out.stdout)
    assert tags == model.predict(sents) and numba_loaded is False


def test_same_tags_as_the_kernels_on_the_ptb_test_split():
    from seqtag import HMMTagger
    from seqtag.corpora import load_corpus

    from .conftest import need_corpus

    need_corpus("ptb-sample", split="dev")
    train, test = load_corpus("ptb-sample", split="train"), load_corpus("ptb-sample", split="test")
    for order in (1, 2):
        model = HMMTagger(order=order).fit(train.X, train.y)
        emit = model._emissions(test.X)
        lengths = np.array([len(s) for s in test.X])
        got = trigram_posteriors_small(model.log_trans3_, emit, lengths)[1]
        want = model._posteriors(test.X, emit)  # numba is loaded here: the kernels
        np.testing.assert_allclose(got, want, atol=1e-9)
        assert (got.argmax(1) == want.argmax(1)).all()
