"""One contract for every tagger: fit -> predict -> save -> load -> same predictions."""

from __future__ import annotations

import importlib
import json

import numpy as np
import pytest
from sklearn.base import clone

import seqtag
from seqtag.exceptions import InputError, ModelFileError, NotFittedError

from .contract import CONTRACT_TAGGERS


@pytest.fixture(params=sorted(CONTRACT_TAGGERS))
def factory(request):
    f = CONTRACT_TAGGERS[request.param]
    try:
        importlib.import_module(f.module)
    except ModuleNotFoundError as exc:
        if exc.name == f.module:
            pytest.skip(f"{f.module} is not built")
        raise
    return f


def test_fit_predict_save_load_roundtrip(factory, toy_data, tmp_path):
    X, y = toy_data
    before = [list(s) for s in X]
    tagger = factory()
    assert tagger.fit(X, y) is tagger
    assert X == before, "fit must not change the user's data"
    test = [["the", "cat", "sees"], ["a", "zebra", "eats", "this", "fish", "runs"], []]
    pred = tagger.predict(test)
    assert [len(p) for p in pred] == [3, 6, 0]
    assert all(isinstance(t, str) for p in pred for t in p)
    assert set(t for p in pred for t in p) <= set(tagger.tags_)
    assert tagger.score(X, y) > 0.9, "the toy task is easy; a working tagger learns it"
    path = tagger.save(tmp_path / "model")
    loaded = seqtag.load(path)
    assert type(loaded) is type(tagger)
    assert loaded.get_params() == tagger.get_params()
    assert loaded.predict(test) == pred
    assert loaded.predict(X) == tagger.predict(X)


def test_nltk_interface(factory, toy_data):
    X, y = toy_data
    tagger = factory().fit(X, y)
    tokens = ["the", "dog", "runs"]
    tagged = tagger.tag(tokens)
    assert [w for w, _ in tagged] == tokens
    assert [t for _, t in tagged] == tagger.predict([tokens])[0]
    assert tagger.tag_sents([tokens, []]) == [tagged, []]


def test_clone_and_params(factory, toy_data):
    tagger = factory()
    params = tagger.get_params()
    twin = clone(tagger)
    assert twin.get_params() == params
    assert not hasattr(twin, "tags_")
    tagger.fit(*toy_data)
    assert not hasattr(clone(tagger), "tags_")
    assert tagger.set_params(**params) is tagger


def test_not_fitted(factory, tmp_path):
    tagger = factory()
    with pytest.raises(NotFittedError, match="not fitted yet"):
        tagger.predict([["a"]])
    with pytest.raises(NotFittedError, match="not fitted yet"):
        tagger.tag(["a"])
    with pytest.raises(NotFittedError, match="not fitted yet"):
        tagger.save(tmp_path / "m")


def test_bad_input(factory, toy_data):
    X, y = toy_data
    tagger = factory()
    with pytest.raises(InputError, match="same number of sentences"):
        tagger.fit(X, y[:-1])
    with pytest.raises(InputError, match=r"X\[0\] has 3 tokens but y\[0\] has 2 tags"):
        tagger.fit([["a", "b", "c"]], [["A", "B"]])
    with pytest.raises(InputError, match=r"X\[0\]\[1\] must be a str token, got int"):
        tagger.fit([["a", 1]], [["A", "B"]])
    with pytest.raises(InputError, match="single str"):
        tagger.fit(["a b"], [["A", "B"]])
    with pytest.raises(InputError, match="at least one token"):
        tagger.fit([[]], [[]])
    tagger.fit(X, y)
    with pytest.raises(InputError, match=r"X\[0\]\[0\] must be a str token, got NoneType"):
        tagger.predict([[None]])
    with pytest.raises(InputError, match="split it first"):
        tagger.tag("the dog runs")


def test_empty_string_tokens_follow_one_rule(factory, toy_data):
    """Every tagger rejects an empty token or tag, in fit and in predict, the same way."""
    X, y = toy_data
    tagger = factory()
    with pytest.raises(InputError, match=r"X\[0\]\[1\] is an empty string; every token must"):
        tagger.fit([["a", "", "c"]] + X, [["A", "B", "C"]] + y)
    with pytest.raises(InputError, match=r"y\[0\]\[0\] is an empty string; every tag must"):
        tagger.fit([["a"]] + X, [[""]] + y)
    tagger.fit(X, y)
    with pytest.raises(InputError, match=r"X\[1\]\[0\] is an empty string.*line.split\(\)"):
        tagger.predict([X[0], [""]])
    with pytest.raises(InputError, match=r"tokens\[2\] is an empty string"):
        tagger.tag(["the", "dog", ""])


def test_load_rejects_corrupt_and_foreign(factory, toy_data, tmp_path):
    tagger = factory().fit(*toy_data)
    path = tagger.save(tmp_path / "m")
    cfg = json.loads((path / "seqtag.json").read_text())
    cfg["class"] = "os.system"
    (path / "seqtag.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelFileError, match="unknown model class 'os.system'"):
        seqtag.load(path)
    (path / "seqtag.json").write_text("{not json")
    with pytest.raises(ModelFileError, match="not valid JSON"):
        seqtag.load(path)
    with pytest.raises(ModelFileError, match="seqtag.json is missing"):
        seqtag.load(tmp_path / "nothing")
    # an arrays file holding a pickled object must be refused, not executed
    path = factory().fit(*toy_data).save(tmp_path / "m2")
    np.savez(path / "arrays.npz", evil=np.array([object()], dtype=object))
    with pytest.raises(ModelFileError, match="pickle refused|corrupt"):
        seqtag.load(path)


def test_loading_a_classical_model_does_not_import_torch(toy_data, tmp_path):
    import subprocess
    import sys

    X, y = toy_data
    seqtag.HMMTagger().fit(X, y).save(tmp_path / "hmm")
    code = ("import sys, seqtag; m = seqtag.load(sys.argv[1]); m.predict([['the', 'dog']]); "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "hmm")], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_every_tagger_is_an_nltk_tagger(factory, toy_data):
    from nltk.tag.api import TaggerI

    X, y = toy_data
    tagger = factory().fit(X, y)
    assert isinstance(tagger, TaggerI)
    gold = [list(zip(s, t)) for s, t in zip(X, y)]
    assert tagger.accuracy(gold) == pytest.approx(tagger.score(X, y))
