"""HMMTagger: trigram kernels against brute force, interpolation, unknown words, persistence."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import seqtag
from seqtag.exceptions import InputError
from seqtag.chains.trigram import trigram_posteriors_batch, trigram_viterbi_batch
from seqtag.hmm._unknown import SHAPE_CLASSES, SuffixModel, shape_class
from seqtag.hmm.tagger import HMMTagger, deleted_interpolation

from . import naive_hmm_tagger as nv
from .conftest import need_corpus

NEG = -np.inf


def _random_model(rng, K, T, p_inf=0.2):
    log_trans3 = np.log(rng.dirichlet(np.ones(K + 1), size=(K + 1, K + 1)))  # (K+1, K+1, K+1)
    log_trans3[rng.random(log_trans3.shape) < p_inf / 2] = NEG
    log_emit = rng.normal(0, 2, size=(T, K))
    log_emit[rng.random((T, K)) < p_inf] = NEG
    return log_trans3, log_emit


def _check_exact(log_trans3, log_emit):
    T = log_emit.shape[0]
    best, best_paths, log_z, marg = nv.brute_force(log_trans3, log_emit)
    paths, scores = trigram_viterbi_batch(log_trans3, log_emit, np.array([T]))
    log_liks, post = trigram_posteriors_batch(log_trans3, log_emit, np.array([T]))
    if best == NEG:
        assert scores[0] == NEG and (paths == -1).all()
        assert log_liks[0] == NEG and (post == 0).all()
        return
    assert np.isclose(scores[0], best, rtol=1e-10, atol=1e-10)
    assert tuple(paths.tolist()) in best_paths
    assert np.isclose(nv.path_score(log_trans3, log_emit, paths), best)
    assert np.isclose(log_liks[0], log_z, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(post, marg, atol=1e-10)


@pytest.mark.parametrize("K,T", [(1, 1), (1, 4), (2, 1), (2, 5), (3, 1), (3, 4), (4, 3)])
def test_exact_viterbi_and_posteriors_match_brute_force(K, T):
    rng = np.random.default_rng(K * 10 + T)
    for _ in range(8):
        _check_exact(*_random_model(rng, K, T))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), K=st.integers(1, 3), T=st.integers(1, 5), p_inf=st.sampled_from([0.0, 0.3, 0.7]))
def test_property_brute_force(seed, K, T, p_inf):
    _check_exact(*_random_model(np.random.default_rng(seed), K, T, p_inf))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), K=st.integers(1, 4), T=st.integers(1, 5), log_beam=st.floats(0.0, 3.0))
def test_beam_gives_a_valid_path_no_better_than_exact(seed, K, T, log_beam):
    log_trans3, log_emit = _random_model(np.random.default_rng(seed), K, T, p_inf=0.1)
    best = nv.brute_force(log_trans3, log_emit)[0]
    paths, scores = trigram_viterbi_batch(log_trans3, log_emit, np.array([T]), log_beam)
    if scores[0] == NEG:  # the beam may prune every path; then no path is claimed
        assert (paths == -1).all()
        return
    assert ((paths >= 0) & (paths < K)).all()
    assert np.isclose(nv.path_score(log_trans3, log_emit, paths), scores[0])
    assert scores[0] <= best + 1e-9
    wide = trigram_viterbi_batch(log_trans3, log_emit, np.array([T]), 1e9)[1]
    assert wide[0] == pytest.approx(best) if best > NEG else wide[0] == NEG


def test_batch_equals_one_by_one():
    rng = np.random.default_rng(5)
    K = 3
    log_trans3, _ = _random_model(rng, K, 1, p_inf=0.0)
    lengths = np.array([3, 1, 0, 6, 2])
    log_emit = rng.normal(size=(lengths.sum(), K))
    paths, scores = trigram_viterbi_batch(log_trans3, log_emit, lengths)
    log_liks, post = trigram_posteriors_batch(log_trans3, log_emit, lengths)
    start = 0
    for s, n in enumerate(lengths):
        p1, s1 = trigram_viterbi_batch(log_trans3, log_emit[start : start + n], np.array([n]))
        l1, q1 = trigram_posteriors_batch(log_trans3, log_emit[start : start + n], np.array([n]))
        assert (paths[start : start + n] == p1).all() and scores[s] == s1[0]
        assert log_liks[s] == pytest.approx(l1[0]) and np.allclose(post[start : start + n], q1)
        start += n


def test_long_sentence_no_underflow():
    rng = np.random.default_rng(1)
    log_trans3, _ = _random_model(rng, 3, 1, p_inf=0.0)
    log_emit = rng.normal(-8, 2, size=(20000, 3))  # (T, K): tiny probabilities everywhere
    log_liks, post = trigram_posteriors_batch(log_trans3, log_emit, np.array([20000]))
    assert np.isfinite(log_liks[0]) and log_liks[0] < -1e5
    np.testing.assert_allclose(post.sum(1), 1.0)
    paths, scores = trigram_viterbi_batch(log_trans3, log_emit, np.array([20000]))
    assert scores[0] <= log_liks[0] and (paths >= 0).all()


def test_kernel_rejects_bad_shapes():
    with pytest.raises(ValueError, match="log_trans3"):
        trigram_viterbi_batch(np.zeros((2, 2, 2)), np.zeros((3, 2)), np.array([3]))
    with pytest.raises(ValueError, match="sum to N"):
        trigram_posteriors_batch(np.zeros((3, 3, 3)), np.zeros((3, 2)), np.array([2]))


# --------------------------------------------------------------- estimation
def test_deleted_interpolation_hand_example():
    # sentences "A A" and "A" padded: BOS BOS A A EOS / BOS BOS A EOS (A = 0, boundary = 1)
    # trigram (B,B,A) x2: trigram 1/1 ties bigram 1/1 > unigram 2/4 -> l2 += 1, l3 += 1
    # (B,A,A): unigram 2/4 wins -> l1 += 1; (A,A,E) and (B,A,E): bigram 1/2 wins -> l2 += 2
    f3 = np.zeros((2, 2, 2))
    f3[1, 1, 0], f3[1, 0, 0], f3[0, 0, 1], f3[1, 0, 1] = 2, 1, 1, 1
    np.testing.assert_allclose(deleted_interpolation(f3), [0.2, 0.6, 0.2])
    # bigrams (B,A) x2 -> l2 += 2; (A,A) -> l1 += 1; (A,E) x2 -> l2 += 2
    np.testing.assert_allclose(deleted_interpolation(f3, order=1), [0.2, 0.8])
    tagger = HMMTagger().fit([["x", "y"], ["z"]], [["A", "A"], ["A"]])
    np.testing.assert_array_equal(tagger.trigram_counts_, f3)
    np.testing.assert_allclose(tagger.lambdas_, [0.2, 0.6, 0.2])


@pytest.mark.parametrize("order", [1, 2])
def test_transitions_normalised_and_lambdas_sum_to_one(toy_data, order):
    tagger = HMMTagger(order=order).fit(*toy_data)
    assert tagger.lambdas_.shape == (order + 1,)
    assert tagger.lambdas_.sum() == pytest.approx(1.0) and (tagger.lambdas_ >= 0).all()
    K = len(tagger.tags_)
    rows = np.exp(tagger.log_trans3_).sum(2)  # (K+1, K+1)
    np.testing.assert_allclose(rows[:, :K], 1.0)  # every real history (a, b) with b a tag
    np.testing.assert_allclose(rows[K, K], 1.0)  # (BOS, BOS)


@pytest.mark.parametrize("order", [1, 2])
def test_predict_marginals_match_brute_force(toy_data, order):
    X, y = toy_data
    tagger = HMMTagger(order=order).fit(X, y)
    sents = [["the", "zebra", "runs"], [], ["a", "cat"]]
    out = tagger.predict_marginals(sents)
    assert [len(s) for s in out] == [3, 0, 2]
    K = len(tagger.tags_)
    for sent, marg in zip(sents, out):
        if not sent:
            continue
        emit = tagger._emissions([sent])
        if order == 1:  # a first-order chain in the trigram table's layout: the first index is ignored
            log_trans3 = np.broadcast_to(tagger.log_trans3_[K], tagger.log_trans3_.shape)
        else:
            log_trans3 = tagger.log_trans3_
        want = nv.brute_force(log_trans3, emit)[3]
        got = np.array([[m[t] for t in tagger.tags_] for m in marg])
        np.testing.assert_allclose(got, want, atol=1e-9)
    # posterior decoding picks the most probable tag of each token
    post = tagger.set_params(decode="posterior").predict(sents)
    assert post == [[max(m, key=m.get) for m in s] for s in out]


def test_shape_classes():
    cases = {("1,000", False): "num", ("mid-1990s", False): "num", ("well-known", False): "hyph",
             ("NASA", False): "upper", ("Rome", False): "cap", ("Rome", True): "cap-first",
             ("runs", True): "lower", ("'s", False): "other", ("A", False): "cap"}
    for (word, initial), cls in cases.items():
        assert SHAPE_CLASSES[shape_class(word, initial)] == cls, word


def test_suffix_model_normalises_over_tags():
    words = ["walking", "talking", "table", "cable", "Paris", "1999", "high-tech", "quickly"]
    tags = np.array([0, 0, 1, 1, 2, 3, 4, 5])
    model = SuffixModel(6, suffix_length=5, theta=1.0).fit(
        words, [False] * 8, tags, np.ones(8, bool), np.full(6, 1 / 6)
    )
    for w in ["jumping", "fable", "Berlin", "Berlin", "2001", "x", "zzz", "low-key", "OK"]:
        for initial in (False, True):
            p = model.tag_probs(w, initial)
            assert p.shape == (6,) and (p > 0).all() and p.sum() == pytest.approx(1.0)
    assert model.tag_probs("jumping", False).argmax() == 0
    assert model.tag_probs("fable", False).argmax() == 1


# -------------------------------------------------------------- the tagger
VERB_DATA = (
    [["he", "is", "running"], ["she", "was", "eating", "fish"], ["they", "are", "walking"],
     ["the", "dog", "is", "barking"], ["we", "were", "singing"], ["the", "dog", "runs"],
     ["the", "cat", "eats", "fish"], ["a", "table", "is", "big"], ["the", "bird", "is", "flying"]],
    [["PRP", "VBZ", "VBG"], ["PRP", "VBD", "VBG", "NN"], ["PRP", "VBP", "VBG"],
     ["DT", "NN", "VBZ", "VBG"], ["PRP", "VBD", "VBG"], ["DT", "NN", "VBZ"],
     ["DT", "NN", "VBZ", "NN"], ["DT", "NN", "VBZ", "JJ"], ["DT", "NN", "VBZ", "VBG"]],
)


@pytest.mark.parametrize("params", [dict(order=2), dict(order=1), dict(decode="posterior"),
                                    dict(order=1, decode="posterior"), dict(beam=None), dict(beam=1)])
def test_learns_toy_task_and_unknown_ing_word(toy_data, params):
    tagger = HMMTagger(**params).fit(*toy_data)
    assert tagger.score(*toy_data) == 1.0
    assert tagger.predict([["the", "zebra", "runs"]]) == [["DT", "NN", "VBZ"]]
    verbs = HMMTagger(**params).fit(*VERB_DATA)
    assert verbs.predict([["she", "is", "jumping"], ["the", "cat", "was", "dancing"]]) == [
        ["PRP", "VBZ", "VBG"], ["DT", "NN", "VBD", "VBG"]]
    assert verbs.tags_[verbs.unknown_.tag_probs("jumping", False).argmax()] == "VBG"


def test_order1_generic_kernels_agree_with_pair_state_kernel():
    tagger = HMMTagger(order=1).fit(*VERB_DATA)
    X = [["she", "is", "jumping"], ["a", "zebra", "eats", "fish"], ["the"]]
    emit = tagger._emissions(X)
    lengths = np.array([len(s) for s in X])
    paths = trigram_viterbi_batch(tagger.log_trans3_, emit, lengths)[0]
    assert sum(tagger.predict(X), []) == [tagger.tags_[p] for p in paths]


def test_lowercase_initial():
    X = [["stocks", "fell"], ["the", "stocks", "rose"]]
    y = [["NNS", "VBD"], ["DT", "NNS", "VBD"]]
    on = HMMTagger().fit(X, y)
    assert on.predict([["Stocks", "fell"]]) == [["NNS", "VBD"]]
    off = HMMTagger(lowercase_initial=False).fit(X, y)
    np.testing.assert_array_equal(off._emissions([["Stocks"]])[0], off.unknown_.log_emission("Stocks", True))


@pytest.mark.parametrize("params", [dict(order=2), dict(order=1, decode="posterior"), dict(theta=None, beam=None)])
def test_save_load_roundtrip(tmp_path, params):
    tagger = HMMTagger(**params).fit(*VERB_DATA)
    loaded = seqtag.load(tagger.save(tmp_path / "m"))
    assert loaded.get_params() == tagger.get_params()
    assert loaded.tags_ == tagger.tags_ and loaded.vocab_ == tagger.vocab_
    np.testing.assert_array_equal(loaded.log_trans3_, tagger.log_trans3_)
    np.testing.assert_array_equal(loaded.lambdas_, tagger.lambdas_)
    np.testing.assert_array_equal(loaded.log_emit_, tagger.log_emit_)
    test = [["she", "is", "jumping"], ["Zebras", "were", "3-D", "IBM"], ["x"]]
    assert loaded.predict(test) == tagger.predict(test)
    np.testing.assert_array_equal(loaded._emissions(test), tagger._emissions(test))


@pytest.mark.parametrize("params,match", [
    (dict(order=3), r"order must be 1 \(bigram\) or 2 \(trigram\), got 3"),
    (dict(order=True), "order must be"),
    (dict(decode="mbr"), "decode must be one of"),
    (dict(beam=0), "beam must be None"),
    (dict(beam=-5.0), "beam must be None"),
    (dict(beam=0.5), "number >= 1"),
    (dict(beam="wide"), "beam must be None"),
    (dict(suffix_length=-1), "suffix_length must be an int >= 0"),
    (dict(rare_threshold=0), "rare_threshold must be an int >= 1"),
    (dict(theta=0.0), "theta must be None"),
    (dict(lowercase_initial="yes"), "lowercase_initial must be True or False"),
])
def test_bad_parameters(toy_data, params, match):
    with pytest.raises(InputError, match=match):
        HMMTagger(**params).fit(*toy_data)


def test_fit_rejects_extra_arguments(toy_data):
    with pytest.raises(InputError, match="takes no extra arguments"):
        HMMTagger().fit(*toy_data, X_dev=[])


def test_does_not_mutate_input(toy_data):
    X, y = toy_data
    X0, y0 = [list(s) for s in X], [list(t) for t in y]
    HMMTagger().fit(X, y).predict(X)
    assert X == X0 and y == y0


def test_ptb_sample_smoke():
    train = need_corpus("ptb-sample", split="train")
    dev = need_corpus("ptb-sample", split="dev")
    tagger = HMMTagger().fit(train.X[:300], train.y[:300])
    assert tagger.score(dev.X, dev.y) > 0.85
    assert HMMTagger(order=1).fit(train.X[:300], train.y[:300]).score(dev.X, dev.y) > 0.85
