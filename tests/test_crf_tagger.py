"""CRFTagger: learning, marginals, N-best, feature templates, feature_fn, persistence, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

import seqtag
from seqtag.crf import features as crf_features
from seqtag.crf.features import (
    DEFAULT_FEATURES_V1,
    FeatureExtractor,
    parse_features,
    short_shape,
    word_shape,
)
from seqtag.crf.tagger import CRFTagger
from seqtag.exceptions import InputError
from seqtag.persistence import CONFIG_FILE

from . import naive_crf


@pytest.fixture(scope="module")
def toy():
    rng = np.random.default_rng(0)
    dets, nouns, verbs = ["the", "a", "this"], ["dog", "cat", "bird", "fish"], ["runs", "sees", "eats"]
    X, y = [], []
    for _ in range(40):
        sent, tags = [], []
        for _ in range(rng.integers(1, 3)):
            sent += [str(rng.choice(dets)), str(rng.choice(nouns)), str(rng.choice(verbs))]
            tags += ["DT", "NN", "VBZ"]
        X.append(sent)
        y.append(tags)
    return X, y


@pytest.fixture(scope="module")
def fitted(toy):
    return CRFTagger(max_iter=40).fit(*toy)


TEST = [["the", "zebra", "runs"], ["a", "cat", "sees", "this", "fish", "eats"], []]


def test_learns_toy_task_and_generalises_to_unknown_words(fitted, toy):
    assert fitted.score(*toy) == 1.0
    assert fitted.predict(TEST) == [["DT", "NN", "VBZ"], ["DT", "NN", "VBZ", "DT", "NN", "VBZ"], []]
    assert fitted.tags_ == ["DT", "NN", "VBZ"]
    assert fitted.n_iter_ >= 1


def test_marginals_are_distributions_and_agree_with_enumeration(fitted):
    marg = fitted.predict_marginals(TEST)
    assert [len(m) for m in marg] == [3, 6, 0]
    for sent in marg:
        for row in sent:
            assert set(row) == set(fitted.tags_)
            assert sum(row.values()) == pytest.approx(1.0, abs=1e-9)
    E, _ = fitted._scores([TEST[0]])
    ref = naive_crf.marginals(E, fitted.transitions_, fitted.start_, fitted.end_)
    got = np.array([[row[t] for t in fitted.tags_] for row in marg[0]])
    np.testing.assert_allclose(got, ref, atol=1e-9)


@pytest.mark.parametrize("k", [1, 2, 5, 40])
def test_nbest_matches_enumeration_and_predict(fitted, k):
    out = fitted.predict_nbest(TEST, k=k)
    assert len(out) == 3
    pred = fitted.predict(TEST)
    for (paths, scores), p in zip(out[:2], pred[:2]):
        assert isinstance(paths, list) and isinstance(scores, list)
        assert paths[0] == p
        assert scores == sorted(scores, reverse=True)
    E, _ = fitted._scores([TEST[0]])
    ref = naive_crf.kbest(E, fitted.transitions_, fitted.start_, fitted.end_, k)
    paths, scores = out[0]
    assert len(paths) == min(k, 3**3)
    np.testing.assert_allclose(scores, [s for _, s in ref], rtol=1e-10)
    assert out[2] == ([[]], [0.0])


def test_feature_fn_alone_and_with_templates(toy):
    X, y = toy

    def fn(tokens, i):
        return {"w=" + tokens[i]: 1.0, "prev=" + (tokens[i - 1] if i else "<s>"): 0.5}

    only_fn = CRFTagger(features=[], feature_fn=fn, max_iter=30).fit(X, y)
    assert only_fn.score(X, y) == 1.0
    assert all(a.startswith(("w=", "prev=")) for a in only_fn.attributes_)
    both = CRFTagger(features=["suffix2"], feature_fn=lambda toks, i: ["len=" + str(len(toks[i]))], max_iter=30)
    both.fit(X, y)
    assert any(a.startswith("len=") for a in both.attributes_)
    assert any(a.startswith("suffix2=") for a in both.attributes_)
    with pytest.raises(InputError, match="must return a list of attribute strings or a dict"):
        CRFTagger(feature_fn=lambda toks, i: 3, max_iter=2).fit(X, y)


def test_save_load_roundtrip_and_feature_fn_refused(fitted, toy, tmp_path):
    loaded = seqtag.load(fitted.save(tmp_path / "crf"))
    assert loaded.get_params() == fitted.get_params()
    assert loaded.predict(TEST) == fitted.predict(TEST)
    assert loaded.predict_marginals(TEST[:1]) == fitted.predict_marginals(TEST[:1])
    np.testing.assert_array_equal(loaded.state_weights_, fitted.state_weights_)
    tagger = CRFTagger(features=["word"], feature_fn=lambda toks, i: ["x"], max_iter=3).fit(*toy)
    with pytest.raises(InputError, match="feature_fn=.*cannot be saved as JSON"):
        tagger.save(tmp_path / "fn")


def test_loaded_model_keeps_its_templates_when_the_defaults_change(toy, tmp_path, monkeypatch):
    tagger = CRFTagger(max_iter=20).fit(*toy)
    path = tagger.save(tmp_path / "crf")
    monkeypatch.setattr(crf_features, "DEFAULT_FEATURES", ["word"])
    assert CRFTagger(max_iter=1).fit(*toy).attributes_[0].startswith("word=")  # the patch took effect
    loaded = seqtag.load(path)
    assert loaded.get_params()["features"] is None
    assert loaded._extractor.templates == tagger._extractor.templates
    assert loaded.predict(TEST) == tagger.predict(TEST)
    np.testing.assert_array_equal(loaded._scores(TEST[:2])[0], tagger._scores(TEST[:2])[0])


def test_model_saved_before_templates_were_recorded_loads_with_the_old_defaults(toy, tmp_path):
    """Files written when ``features=None`` meant DEFAULT_FEATURES_V1 have no ``templates`` entry."""
    old = CRFTagger(features=DEFAULT_FEATURES_V1, c2=1.0, min_freq=1, max_iter=20).fit(*toy)
    path = old.save(tmp_path / "old")
    config_file = path / CONFIG_FILE
    config = json.loads(config_file.read_text())
    config["params"]["features"] = None
    del config["state"]["templates"]
    config_file.write_text(json.dumps(config))
    loaded = seqtag.load(path)
    assert loaded._extractor.templates == parse_features(DEFAULT_FEATURES_V1) != parse_features(None)
    np.testing.assert_array_equal(loaded._scores(TEST[:2])[0], old._scores(TEST[:2])[0])
    assert loaded.predict(TEST) == old.predict(TEST)


def test_l1_gives_sparse_weights(toy):
    X, y = toy
    l2 = CRFTagger(c1=0.0, c2=0.1, max_iter=50).fit(X, y)
    l1 = CRFTagger(c1=1.0, c2=0.0, max_iter=50).fit(X, y)
    assert l1.score(X, y) == 1.0
    assert np.count_nonzero(l1.state_weights_ == 0) > len(l1.state_weights_) // 2
    assert np.count_nonzero(l2.state_weights_ == 0) < len(l2.state_weights_) // 10


def test_feature_templates():
    assert word_shape("Ab-12") == "Xx-dd" and short_shape("Abcd12") == "Xxd"
    assert parse_features({"local": ["word", "flags"], "context": ["lower"], "window": 1}) == [
        ("word", 0), ("has_digit", 0), ("is_digit", 0), ("has_hyphen", 0), ("has_upper", 0),
        ("is_upper", 0), ("is_title", 0), ("lower", -1), ("lower", 1)]
    ex = FeatureExtractor(["word", "suffix2", "lower[-1]", "lower[+2]", "is_title"])
    X = [["The", "dog", "barks"], ["Hi"]]
    dicts = ex.to_dicts(X)
    assert set(dicts[0][0]) == {"word=The", "suffix2=he", "lower[-1]=<s>", "lower[+2]=barks", "is_title=1"}
    assert set(dicts[0][2]) == {"word=barks", "suffix2=ks", "lower[-1]=dog", "lower[+2]=</s>"}
    assert set(dicts[1][0]) == {"word=Hi", "suffix2=Hi", "lower[-1]=<s>", "lower[+2]=</s>", "is_title=1"}
    M = ex.fit_transform(X)
    assert M.shape == (4, len(ex.attributes_))
    for t, d in enumerate(dicts[0] + dicts[1]):  # the CSR matrix holds exactly these attributes
        assert {ex.attributes_[j] for j in M[t].indices} == set(d)
    assert ex.transform([["dog", "unseen"]]).shape == (2, len(ex.attributes_))
    pruned = FeatureExtractor(["word"])
    pruned.fit_transform([["a", "a", "b"]], min_freq=2)
    assert pruned.attributes_ == ["word=a"]


@pytest.mark.parametrize("params, match", [
    ({"c1": -0.1}, "c1 must be a finite number >= 0"),
    ({"c2": float("nan")}, "c2 must be a finite number >= 0"),
    ({"algorithm": "sgd"}, "unknown algorithm 'sgd'"),
    ({"max_iter": 0}, "max_iter must be an int >= 1"),
    ({"min_freq": 1.5}, "min_freq must be an int >= 1"),
    ({"features": ["word", "suffx3"]}, "unknown feature template 'suffx3'"),
    ({"features": ["lower[-x]"]}, "is not valid; write 'name' or 'name\\[offset\\]'"),
    ({"features": {"local": ["word"], "windw": 2}}, "unknown keys \\['windw'\\]"),
    ({"features": "word"}, "features must be None, a list"),
    ({"features": []}, "needs attributes"),
    ({"feature_fn": 3}, "feature_fn must be a callable"),
])
def test_bad_params(toy, params, match):
    with pytest.raises(InputError, match=match):
        CRFTagger(**params).fit(*toy)


def test_bad_k_and_untouched_input(fitted):
    with pytest.raises(InputError, match="k must be an int >= 1"):
        fitted.predict_nbest(TEST, k=0)
    X = [list(s) for s in TEST]
    fitted.predict_marginals(X)
    fitted.predict_nbest(X, 3)
    assert X == TEST
