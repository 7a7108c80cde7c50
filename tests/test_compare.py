"""compare(): same data for every model, the report agrees with the table, CV never leaks documents."""

from __future__ import annotations

import pandas as pd
import pytest

from seqtag.comparison import ComparisonResult, compare, learning_curve
from seqtag.comparison.tagger_report import write_report
from seqtag.corpora import Corpus
from seqtag.exceptions import InputError
from seqtag.registry import PRESET_CURVES, PRESETS

from .test_cli import run


def _tiny(toy_data):
    X, y = toy_data
    docs = [f"d{i // 6}" for i in range(len(X))]
    train = Corpus("toy", "train", X[:48], y[:48], docs[:48])
    test = Corpus("toy", "test", X[48:] + [["a", "zebra", "runs"]], y[48:] + [["DT", "NN", "VBZ"]], docs[48:] + ["z"])
    return train, test


def test_compare_two_fast_models_and_report(toy_data, tmp_path):
    train, test = _tiny(toy_data)
    res = compare(["baseline", "hmm1"], (train, test), curve_sizes=(0.5, 1.0), n_resamples=50,
                  return_result=True)
    assert isinstance(res, ComparisonResult)
    t = res.table
    assert list(t.index) == ["baseline", "hmm1"]
    for col in ("accuracy", "known_accuracy", "unknown_accuracy", "macro_f1", "train_s", "tokens_per_s",
                "size_mb", "peak_mem_mb", "p_mcnemar_vs_best", "p_bootstrap_vs_best"):
        assert col in t, col
    assert (t["size_mb"] > 0).all() and t["best"].sum() == 1
    # the table's accuracy is the accuracy of the stored predictions
    from seqtag.metrics import accuracy

    for name in t.index:
        assert t.loc[name, "accuracy"] == pytest.approx(accuracy(test.y, res.predictions[name]))
    assert set(res.curves["model"]) == {"baseline", "hmm1"} and len(res.curves) == 4
    out = write_report(res, tmp_path / "rep")
    csv = pd.read_csv(out / "results.csv", index_col="model")
    pd.testing.assert_series_equal(csv["accuracy"], t["accuracy"], check_names=False)
    md = (out / "results.md").read_text()
    for name in t.index:
        assert f"| {name} | {t.loc[name, 'accuracy']:.2%}" in md
    html = (out / "index.html").read_text()
    assert "<table>" in html and "accuracy.png" in html and "learning_curves.png" in html
    for png in ("accuracy.png", "confusion_best.png", "per_tag_f1.png", "learning_curves.png"):
        assert (out / png).stat().st_size > 1000


def test_curve_reuses_the_main_run_and_presets_give_sizes(toy_data, monkeypatch):
    import seqtag.comparison.taggers as cmp

    train, test = _tiny(toy_data)
    fits = []
    real_fit = cmp._fit

    def counting_fit(tagger, tr, dev):
        fits.append(len(tr))
        return real_fit(tagger, tr, dev)

    monkeypatch.setattr(cmp, "_fit", counting_fit)
    res = compare(["baseline", "hmm1"], (train, test), curve_sizes="preset", significance=False,
                  return_result=True)
    # main runs on all 48 sentences, then the smaller fractions of the preset's curve; 1.0 is not trained again
    assert PRESET_CURVES["quick"][-1] == 1.0
    assert fits[:2] == [48, 48] and len(fits) == 2 + 2 * (len(PRESET_CURVES["quick"]) - 1)
    assert 48 not in fits[2:]
    full = res.curves[res.curves["fraction"] == 1.0].set_index("model")["accuracy"]
    pd.testing.assert_series_equal(full, res.table["accuracy"], check_names=False)
    with pytest.raises(InputError, match="curve_sizes must be fractions, None or 'preset', got 'all'"):
        compare(["baseline"], (train, test), curve_sizes="all")


def test_worker_processes_give_the_same_table_and_curve(toy_data):
    train, test = _tiny(toy_data)
    kw = {"curve_sizes": (0.3, 0.6, 1.0), "n_resamples": 50, "return_result": True}
    serial = compare(["baseline", "hmm1", "hmm2"], (train, test), **kw)
    parallel = compare(["baseline", "hmm1", "hmm2"], (train, test), n_jobs=2, **kw)
    cols = ["accuracy", "known_accuracy", "unknown_accuracy", "macro_f1", "p_mcnemar_vs_best"]
    pd.testing.assert_frame_equal(parallel.table[cols], serial.table[cols])
    pd.testing.assert_frame_equal(parallel.curves, serial.curves)
    assert parallel.predictions == serial.predictions
    # the small fractions really were trained (0.3 of 8 documents = 2 of them)
    assert sorted(set(parallel.curves["train_sentences"])) == [12, 30, 48]


def test_workers_draw_no_progress_bars():
    from seqtag.comparison.taggers import _without_bars
    from seqtag.hmm import HMMTagger
    from seqtag.neural.bilstm import BiLSTMTagger

    loud = BiLSTMTagger(hidden_size=8, verbose=True)
    quiet = _without_bars(loud)
    assert quiet.verbose is False and loud.verbose is True and quiet.hidden_size == 8
    hmm = HMMTagger()
    assert _without_bars(hmm) is hmm  # nothing to turn off


def test_each_model_is_warmed_up_before_it_is_measured(toy_data):
    from seqtag.baseline import BaselineTagger

    calls = []

    class Counting(BaselineTagger):
        warm_up_params = {"rare_count": 1}

        def _fit(self, X, y, **kwargs):
            calls.append((len(X), self.rare_count))
            super()._fit(X, y, **kwargs)

    train, test = _tiny(toy_data)
    proto = Counting(rare_count=3)
    table = compare({"counting": proto, "baseline": "baseline"}, (train, test), significance=False)
    # first a copy with the warm-up parameters on a few sentences, then the model itself on all of them
    assert calls == [(8, 1), (48, 3)]
    assert proto.rare_count == 3 and table.loc["counting", "accuracy"] > 0.5
    # once per configuration and process: the same model again is not warmed up again, another one is
    calls.clear()
    compare({"counting": proto}, (train, test), significance=False)
    assert calls == [(48, 3)]
    compare({"counting": Counting(rare_count=2)}, (train, test), significance=False)
    assert calls == [(48, 3), (8, 1), (48, 2)]


@pytest.mark.parametrize("name", ["hmm2", "crf", "bilstm-crf", "transformer-crf"])
def test_warm_up_params_make_a_short_fit_of_the_full_preset(toy_data, name):
    from seqtag.registry import make_model

    X, y = toy_data
    model = make_model(name, "full", kind="tagger")
    tiny = model.set_params(**model.warm_up_params)
    tiny.fit(X[:8], y[:8])
    assert len(tiny.predict(X[:2])) == 2
    if hasattr(tiny, "history_"):  # neural: two optimiser steps, not the preset's 800
        assert int(tiny.history_["steps"].iloc[-1]) == 2


def test_bad_n_jobs_and_models_that_cannot_travel(toy_data):
    from seqtag.baseline import BaselineTagger

    train, test = _tiny(toy_data)
    for bad in (0, -2, 1.5, True):
        with pytest.raises(InputError, match=r"n_jobs must be a positive int or -1 \(one per CPU core\)"):
            compare(["baseline"], (train, test), n_jobs=bad)

    class Local(BaselineTagger):  # defined in a function: pickle cannot find it again
        pass

    with pytest.raises(InputError, match="n_jobs=2 sends each model to a worker process, but one cannot be "
                                         "pickled .*use n_jobs=1"):
        compare({"local": Local(), "base": BaselineTagger()}, (train, test), n_jobs=2, curve_sizes=None)


def test_cv_folds_do_not_leak_documents(toy_data, monkeypatch):
    train, _ = _tiny(toy_data)
    seen = []
    import seqtag.comparison.taggers as cmp

    def fake_load_folds(name, k, seed, **opts):
        from seqtag.corpora import document_folds

        folds = document_folds(train, k=k, seed=seed)
        seen.extend(folds)
        return folds

    monkeypatch.setattr(cmp, "load_folds", fake_load_folds)
    table = compare(["baseline"], "ptb-sample", cv=4)
    assert table.loc["baseline", "folds"] == 4 and "accuracy_std" in table
    assert len(seen) == 4
    for tr, te in seen:
        assert not set(tr.doc_ids) & set(te.doc_ids)


def test_bad_names_list_the_valid_ones(toy_data):
    train, test = _tiny(toy_data)
    with pytest.raises(InputError, match="unknown model 'hmm3'; valid models: baseline, hmm1, hmm2"):
        compare(["baseline", "hmm3"], (train, test))
    with pytest.raises(InputError, match="unknown corpus 'ptb'; valid corpora: ptb-sample"):
        compare(["baseline"], "ptb")
    with pytest.raises(InputError, match="unknown preset 'fast'; valid presets: quick, full"):
        compare(["baseline"], (train, test), preset="fast")
    with pytest.raises(InputError, match="sizes must be fractions"):
        learning_curve({}, train, test, sizes=(0, 1))


def test_cli_compare_bad_model(capsys):
    code, _, err = run(["compare", "--models", "baseline,nope", "--corpus", "ptb-sample"], capsys=capsys)
    assert code == 2 and "unknown model 'nope'; valid models: baseline" in err


def test_cli_compare_bad_curve(capsys):
    code, _, err = run(["compare", "--models", "baseline", "--corpus", "ptb-sample", "--curve", "half"],
                       capsys=capsys)
    assert code == 2 and "--curve takes comma-separated fractions such as 0.1,0.5,1 or 'none'" in err


def test_named_models_get_the_preset_and_the_seed():
    from seqtag.comparison.taggers import _resolve_models

    # the overrides come from the one preset table of seqtag.registry
    quick_steps = PRESETS["quick"]["bilstm"]["max_steps"]  # the quick preset trains by a step budget
    assert PRESETS["full"]["bilstm-crf"]["hidden_size"] == 200 and quick_steps >= 1
    models = _resolve_models(["bilstm-crf", "crf", "hmm2"], "full", random_state=3)
    p = models["bilstm-crf"].get_params()
    assert p["random_state"] == 3 and p["hidden_size"] == 200 and p["patience"] is None
    assert models["crf"].get_params()["random_state"] == 3
    assert _resolve_models(["bilstm"], "quick", random_state=5)["bilstm"].get_params()["max_steps"] == quick_steps


def test_cli_compare_bad_jobs(capsys):
    code, _, err = run(["compare", "--models", "baseline", "--corpus", "ptb-sample", "--jobs", "0"], capsys=capsys)
    assert code == 2 and "n_jobs must be a positive int or -1" in err


def test_workers_from_a_program_on_stdin_fall_back_to_one_process(tmp_path):
    import subprocess
    import sys
    import textwrap

    program = textwrap.dedent("""
        import warnings
        from seqtag.comparison import compare
        from seqtag.corpora import Corpus
        train = Corpus("toy", "train", [["a", "dog"], ["the", "cat"]] * 5, [["DT", "NN"]] * 10, ["d"] * 10)
        test = Corpus("toy", "test", [["a", "cat"]], [["DT", "NN"]], ["e"])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            table = compare(["baseline", "hmm1"], (train, test), n_jobs=2, significance=False)
        print(table["accuracy"].tolist(), [str(w.message) for w in caught])
    """)
    out = subprocess.run([sys.executable, "-"], input=program, capture_output=True, text=True, cwd=tmp_path,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert "[1.0, 1.0]" in out.stdout
    assert "cannot start from a program read from <stdin>; running the 2 fits here" in out.stdout


def test_a_script_without_a_main_guard_gets_a_clear_error(tmp_path):
    import subprocess
    import sys

    script = tmp_path / "unguarded.py"
    script.write_text(
        "from seqtag.comparison import compare\n"
        "from seqtag.corpora import Corpus\n"
        "train = Corpus('toy', 'train', [['a', 'dog']] * 4, [['DT', 'NN']] * 4, ['d'] * 4)\n"
        "test = Corpus('toy', 'test', [['a', 'dog']], [['DT', 'NN']], ['e'])\n"
        "compare(['baseline', 'hmm1'], (train, test), n_jobs=2, significance=False)\n"
    )
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert out.returncode != 0
    assert "must call this under `if __name__ == \"__main__\":`" in out.stderr
