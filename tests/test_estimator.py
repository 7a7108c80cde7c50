"""The estimator protocol without scikit-learn or NLTK imported, and both libraries still taking our models."""

from __future__ import annotations

import subprocess
import sys

import pytest

from seqtag import HMMTagger
from seqtag.exceptions import InputError

HEAVY = ("sklearn", "nltk", "pandas", "torch", "scipy.stats")


def _run(code: str, *args: str) -> str:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    return out.stdout.strip()


@pytest.fixture(scope="module")
def hmm_dir(tmp_path_factory, toy_data):
    X, y = toy_data
    return str(HMMTagger(order=2).fit(X, y).save(tmp_path_factory.mktemp("m") / "hmm2"))


@pytest.fixture(scope="module")
def toy_data():
    X = [["the", "dog", "runs"], ["a", "cat", "sleeps"], ["the", "cat", "runs"], ["a", "dog", "sleeps"]] * 3
    y = [["DT", "NN", "VBZ"]] * 12
    return X, y


def test_tagging_with_a_saved_hmm_imports_no_heavy_library(hmm_dir):
    code = ("import sys, io; from seqtag.cli import main; sys.stdin = io.StringIO('The dog runs. A cat sleeps.\\n'); "
            "main(['tag', sys.argv[1]]); "
            f"print('HEAVY', sorted(m for m in {HEAVY!r} if m in sys.modules))")
    out = _run(code, hmm_dir).splitlines()
    assert out[0].split()[1] == "dog/NN" and out[-1] == "HEAVY []"


@pytest.mark.parametrize("nltk_first", [False, True])
def test_a_tagger_is_an_nltk_tagger_whatever_is_imported_first(hmm_dir, nltk_first):
    first, second = ("import nltk.tag.api", "import seqtag") if nltk_first else ("import seqtag", "import nltk.tag.api")
    code = (f"import sys; {first}; {second}; from nltk.tag.api import TaggerI; m = seqtag.load(sys.argv[1]); "
            "print(isinstance(m, TaggerI), issubclass(seqtag.CRFTagger, TaggerI))")
    assert _run(code, hmm_dir) == "True True"


def test_nltk_methods_run_nltks_code(toy_data):
    X, y = toy_data
    tagger = HMMTagger(order=1).fit(X, y)
    gold = [list(zip(s, t)) for s, t in zip(X, y)]
    assert tagger.accuracy(gold) == 1.0
    assert tagger.confusion(gold)["NN", "NN"] == 12
    assert tagger.f_measure(gold)["DT"] == 1.0
    assert "VBZ" in tagger.evaluate_per_tag(gold)


def test_scikit_learn_takes_a_tagger_as_an_estimator(toy_data):
    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError as SklearnNotFitted
    from sklearn.model_selection import GridSearchCV
    from sklearn.utils.validation import check_is_fitted

    X, y = toy_data
    tagger = HMMTagger(order=1, suffix_length=3)
    twin = clone(tagger)
    assert twin is not tagger and twin.get_params() == tagger.get_params()
    with pytest.raises(SklearnNotFitted, match="not fitted yet"):
        twin.predict(X)
    with pytest.raises(SklearnNotFitted):
        check_is_fitted(twin)
    search = GridSearchCV(tagger, {"order": [1, 2]}, cv=2).fit(X, y)
    assert search.best_score_ == 1.0 and search.best_estimator_.order in (1, 2)
    check_is_fitted(search.best_estimator_)


def test_params_and_repr():
    tagger = HMMTagger(order=1)
    assert repr(tagger) == "HMMTagger(order=1)"
    assert tagger.set_params(order=2) is tagger and tagger.order == 2 and repr(tagger) == "HMMTagger()"
    with pytest.raises(InputError, match="invalid parameter 'orderr' for HMMTagger; valid parameters: .*order"):
        tagger.set_params(orderr=3)
    assert "order" in HMMTagger._get_param_names()
