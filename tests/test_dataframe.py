"""pandas in and out: tag_dataframe / align_dataframe against the taggers and aligners called directly."""

from __future__ import annotations

import math
import string

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqtag import BaselineTagger, CRFTagger, HMMTagger
from seqtag.dataframe import align_dataframe, split_sentences, tag_columns, tag_dataframe, tokenize
from seqtag.exceptions import InputError, NotFittedError

from .conftest import SPEECH_TEXTS, need_corpus, run_cli


@pytest.fixture(scope="module")
def ptb():
    train = need_corpus("ptb-sample", split="train")
    test = need_corpus("ptb-sample", split="test")
    return HMMTagger(order=2).fit(train.X, train.y), test


def expected_rows(tagger, doc_ids, docs, probs=None):
    """The rows tag_dataframe must give, built from one predict call per document."""
    rows = []
    for d, sents in zip(doc_ids, docs):
        tags = tagger.predict(sents)
        for s, (toks, tg) in enumerate(zip(sents, tags)):
            rows += [(d, s, i, w, t) for i, (w, t) in enumerate(zip(toks, tg))]
    return rows


def as_rows(out):
    ok = out[out["error"].isna()]
    return list(zip(ok["doc_id"], ok["sentence"], ok["token_index"], ok["token"], ok["tag"]))


# ------------------------------------------------------------------ sentence splitting
def test_split_sentences_rules():
    text = ('Mr. Smith met Dr. J. Doe in the U.S. on Jan. 5. They talked! "Did it work?" He asked. '
            "It cost $3.50 in 2010. 42 people came.\nA new line\n\n  ")
    assert split_sentences(text) == [
        "Mr. Smith met Dr. J. Doe in the U.S. on Jan. 5.", "They talked!", '"Did it work?"', "He asked.",
        "It cost $3.50 in 2010.", "42 people came.", "A new line",
    ]
    assert split_sentences("a.b. no split here. still one") == ["a.b. no split here. still one"]
    assert split_sentences("") == [] and split_sentences(" \n\t") == []
    with pytest.raises(InputError, match="expects a str, got int"):
        split_sentences(3)


def test_tokenize_is_treebank_style():
    assert tokenize("I can't go. (She said \"no\".)\nOK") == [
        ["I", "ca", "n't", "go", "."], ["(", "She", "said", "``", "no", "''", ".", ")"], ["OK"]]


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=string.ascii_letters + string.digits + " .,!?;:-\n", max_size=80))
def test_tokenize_keeps_every_character(text):
    sents = tokenize(text)
    assert all(sents) and all(tok and not any(c.isspace() for c in tok) for s in sents for tok in s)
    assert "".join(t for s in sents for t in s) == "".join(text.split())


# ---------------------------------------------------------------------------- tagging
def test_tokenized_lists_equal_predict(ptb):
    tagger, test = ptb
    df = pd.DataFrame({"text": test.X[:60]}, index=np.arange(100, 160))
    before = df.copy(deep=True)
    out = tag_dataframe(df, tagger, tokenized=True, batch_size=7)
    assert list(out.columns) == tag_columns()
    assert as_rows(out) == expected_rows(tagger, df.index, [[s] for s in test.X[:60]])
    assert out["error"].isna().all() and out["doc_id"].dtype == np.int64
    assert out["sentence"].dtype == "Int64" and str(out["token"].dtype) == "string"
    pd.testing.assert_frame_equal(df, before)  # the input is not touched
    for bs in (1, 10_000):  # batching changes nothing
        pd.testing.assert_frame_equal(tag_dataframe(df, tagger, tokenized=True, batch_size=bs), out)


def test_raw_text_and_cell_shapes(ptb):
    tagger, _ = ptb
    raw = "Mr. Vinken is chairman. The company said it wouldn't sell.\nShares rose 5 %."
    cells = {
        "raw": (raw, False, tokenize(raw)),
        "ws": ("The stock fell .", True, [["The", "stock", "fell", "."]]),
        "one": (["It", "rose", "."], True, [["It", "rose", "."]]),
        "many": ([["It", "rose", "."], [], ["Yes", "."]], True, [["It", "rose", "."], ["Yes", "."]]),
        "array": (np.array(["Prices", "fell"], dtype=object), True, [["Prices", "fell"]]),
    }
    assert len(cells["raw"][2]) == 3
    for key, (cell, tokenized, sents) in cells.items():
        df = pd.DataFrame({"doc": [key, "empty"], "body": [cell, "" if not tokenized else []]})
        out = tag_dataframe(df, tagger, text_column="body", id_column="doc", tokenized=tokenized)
        assert as_rows(out) == expected_rows(tagger, [key], [sents]), key  # the empty document gives no rows


def test_bad_items_become_error_rows(ptb):
    tagger, test = ptb
    good = test.X[:5]
    cells = [good[0], 17, good[1], None, ["fine", 3], good[2], float("nan"), "plain text", good[3], good[4]]
    df = pd.DataFrame({"text": cells}, index=[f"d{i}" for i in range(len(cells))])
    out = tag_dataframe(df, tagger, tokenized=True, batch_size=100)
    errors = out[out["error"].notna()]
    assert errors["doc_id"].tolist() == ["d1", "d3", "d4", "d6"]
    assert errors["error"].str.startswith("InputError: ").all()
    assert "got int" in errors["error"].iloc[0] and "missing" in errors["error"].iloc[1]
    assert errors[["sentence", "token_index", "token", "tag"]].isna().all().all()
    ok_ids = ["d0", "d2", "d5", "d7", "d8", "d9"]
    ok_docs = [[good[0]], [good[1]], [good[2]], [["plain", "text"]], [good[3]], [good[4]]]
    assert as_rows(out) == expected_rows(tagger, ok_ids, ok_docs)
    order = out.drop_duplicates("doc_id")["doc_id"].tolist()
    assert order == list(df.index)  # error rows stay in document order


class ExplodingTagger:
    """A real tagger that fails, mid-batch, on any sentence holding the word BOOM."""

    def __init__(self, tagger):
        self.tagger = tagger

    def predict(self, X):
        if any("BOOM" in s for s in X):
            raise RuntimeError("BOOM in a sentence")
        return self.tagger.predict(X)


def test_a_failing_document_does_not_lose_its_batch(ptb):
    tagger, test = ptb
    docs = [test.X[0], test.X[1] + ["BOOM"], test.X[2]]
    df = pd.DataFrame({"text": docs})
    out = tag_dataframe(df, ExplodingTagger(tagger), tokenized=True, batch_size=1000)
    assert out.loc[out["error"].notna(), "doc_id"].tolist() == [1]
    assert out["error"].dropna().tolist() == ["RuntimeError: BOOM in a sentence"]
    assert as_rows(out) == expected_rows(tagger, [0, 2], [[test.X[0]], [test.X[2]]])


def test_marginals_are_the_crf_posterior_of_the_chosen_tag(toy_data):
    X, y = toy_data
    crf = CRFTagger(max_iter=30).fit(X, y)
    sents = [["the", "dog", "runs"], ["a", "fish", "sees", "this", "cat", "eats"]]
    out = tag_dataframe(pd.DataFrame({"text": [[s] for s in sents]}), crf, tokenized=True, marginals=True)
    assert list(out.columns) == tag_columns(marginals=True)
    post = crf.predict_marginals(sents)
    want = [p[t] for ps, ts in zip(post, crf.predict(sents)) for p, t in zip(ps, ts)]
    np.testing.assert_allclose(out["prob"].to_numpy(), want, rtol=1e-12)
    assert ((out["prob"] > 0) & (out["prob"] <= 1 + 1e-12)).all()
    bad = tag_dataframe(pd.DataFrame({"text": [5]}), crf, tokenized=True, marginals=True)
    assert math.isnan(bad["prob"].iloc[0]) and bad["error"].notna().all()


def test_argument_errors(ptb, toy_data, tmp_path):
    tagger, _ = ptb
    df = pd.DataFrame({"text": ["a b"]})
    with pytest.raises(InputError, match=r"text_column='body' is not a column of the frame; its columns are \['t"):
        tag_dataframe(df, tagger, text_column="body")
    with pytest.raises(InputError, match="id_column='id' is not a column"):
        tag_dataframe(df, tagger, id_column="id")
    with pytest.raises(InputError, match="expects a pandas DataFrame, got list"):
        tag_dataframe([["a"]], tagger)
    with pytest.raises(InputError, match="batch_size must be an int >= 1, got 0"):
        tag_dataframe(df, tagger, batch_size=0)
    with pytest.raises(InputError, match="marginals=True needs a tagger with predict_marginals.*BaselineTagger does not"):
        tag_dataframe(df, BaselineTagger().fit(*toy_data), marginals=True)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        tag_dataframe(df, HMMTagger())
    with pytest.raises(InputError, match="must be a fitted seqtag tagger"):
        tag_dataframe(df, object())
    saved = BaselineTagger().fit(*toy_data).save(tmp_path / "m")
    assert tag_dataframe(df, saved)["tag"].notna().all()  # a saved folder is loaded


# -------------------------------------------------------------------------------- CLI


def test_cli_file_input_and_in_process_parquet(ptb, tmp_path, capsys):
    pytest.importorskip("pyarrow")
    tagger, test = ptb
    model = tagger.save(tmp_path / "hmm")
    lines = [" ".join(s) for s in test.X[:40]]
    lines[3] = ""
    src = tmp_path / "in.txt"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, _ = run_cli(["tag", str(model), "--input", str(src)], capsys=capsys)
    assert code == 0 and out.splitlines()[0] == " ".join(f"{w}/{t}" for w, t in tagger.tag(test.X[0]))
    dest = tmp_path / "out.parquet"
    code, out, _ = run_cli(["tag", str(model), "--input", str(src), "--output", str(dest), "--workers", "0",
                            "--chunk-lines", "7", "--tokenized"], capsys=capsys)
    assert code == 0 and "tagged 40 lines on this process" in out and "(6 parts)" in out
    back = pd.read_parquet(dest)
    want = tag_dataframe(pd.DataFrame({"text": lines}, index=range(1, 41)), tagger, tokenized=True)
    pd.testing.assert_frame_equal(back, want, check_dtype=False)
    code, _, err = run_cli(["tag", str(model), "--input", str(src), "--output", str(dest), "--workers", "0"],
                           capsys=capsys)
    assert code == 2 and "already holds 6 part files" in err
    code, out, _ = run_cli(["tag", str(model)], "It rose. Then it fell.\n", capsys=capsys)
    assert code == 0 and [t for t in out.split() if t.startswith(".")] == ["./.", "./."] and len(out.splitlines()) == 1


@pytest.mark.parametrize("argv, message", [
    (["--output", "x.csv"], "--output must be a Parquet folder ending in .parquet"),
    (["--workers", "2"], "--workers and --scheduler go with --output"),
    (["--input", "conllu", "--output", "x.parquet"], "CoNLL-U input only goes to stdout"),
    (["--input", "nope.txt", "--output", "x.parquet", "--workers", "0"], "input file 'nope.txt' does not exist"),
    (["--output", "x.parquet", "--workers", "-1"], "--workers must be >= 0"),
])
def test_cli_tag_errors(ptb, tmp_path, capsys, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)  # relative --output paths land here, not in the checkout
    model = ptb[0].save(tmp_path / "m")
    code, _, err = run_cli(["tag", str(model), *argv], capsys=capsys)
    assert code == 2 and message in err and "Traceback" not in err


# -------------------------------------------------------------------------- alignment
@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    pytest.importorskip("espeakng_loader")
    from seqtag.align.aligners.hmm_gmm import HMMAligner
    from seqtag.corpora.synthetic import generate_synthetic

    corpus = generate_synthetic(6, "train", seed=0, cache_dir=tmp_path_factory.mktemp("syn"), texts=SPEECH_TEXTS)
    return HMMAligner(max_components=1, viterbi_iter=2, em_iter=2).fit(corpus), corpus


def word_rows(result, item_id, audio):
    return [(item_id, audio, i, w.label, w.start, w.end, w.score) for i, w in enumerate(result.words)]


def test_align_dataframe_equals_align_and_isolates_bad_items(speech, tmp_path):
    aligner, corpus = speech
    paths = [str(u.audio_path) for u in corpus]
    texts = [u.transcript for u in corpus]
    rows = {"audio_path": paths[:3] + [str(tmp_path / "missing.wav"), paths[3], paths[4]],
            "transcript": texts[:3] + [texts[0], "", "zzxq qqzx " * 3]}
    df = pd.DataFrame(rows, index=[f"u{i}" for i in range(6)])
    out = align_dataframe(df, aligner, batch_size=4)
    ok = out[out["error"].isna()]
    got = list(zip(ok["item_id"], ok["audio_path"], ok["word_index"], ok["word"], ok["start"], ok["end"],
                   ok["score"]))
    want = [r for i in range(3) for r in word_rows(aligner.align(paths[i], texts[i]), f"u{i}", paths[i])]
    assert got == want
    errors = out[out["error"].notna()]
    assert errors["item_id"].tolist() == ["u3", "u4", "u5"]
    assert "expected a non-empty transcript" in errors["error"].iloc[1]
    assert errors["word"].isna().all() and errors["start"].isna().all()
    # an object with align only (no align_batch) and a saved folder give the same rows
    class AlignOnly:
        def align(self, audio, transcript):
            return aligner.align(audio, transcript)

    pd.testing.assert_frame_equal(align_dataframe(df, AlignOnly()), out)
    pd.testing.assert_frame_equal(align_dataframe(df, aligner.save(tmp_path / "al")), out)
    with pytest.raises(InputError, match="aligner must have an align"):
        align_dataframe(df, object())
    with pytest.raises(InputError, match="transcript_column='text' is not a column"):
        align_dataframe(df, aligner, transcript_column="text")
