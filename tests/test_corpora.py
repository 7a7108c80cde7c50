"""Corpus loaders: sizes of the fixed splits, lookup order, readers, folds, errors."""

from __future__ import annotations

import io
import urllib.request

import pytest

from seqtag.corpora import (
    CORPORA,
    Corpus,
    document_folds,
    download,
    load_corpus,
    load_folds,
    read_columns,
    read_conllu,
)
from seqtag.exceptions import CorpusNotFoundError, InputError, SeqtagError

from .conftest import need_corpus


@pytest.mark.parametrize(
    "split, n_sents, n_tokens", [("train", 3396, 81793), ("dev", 273, 6327), ("test", 245, 5964)]
)
def test_ptb_sample_split_sizes(split, n_sents, n_tokens):
    c = need_corpus("ptb-sample", split=split)
    assert (len(c), c.n_tokens) == (n_sents, n_tokens)
    assert "-NONE-" not in c.tagset
    assert len(c[0]) == len(c.X[0]) and isinstance(c[0][0], tuple)
    docs = sorted(set(c.doc_ids))
    lo, hi = {"train": (1, 159), "dev": (160, 179), "test": (180, 199)}[split]
    assert docs[0] == f"wsj_{lo:04d}" and docs[-1] == f"wsj_{hi:04d}"


def test_ptb_traces_kept_on_request():
    c = need_corpus("ptb-sample", split="dev", traces=True)
    assert "-NONE-" in c.tagset and c.n_tokens > 6327


def test_ud_ewt_xpos_and_upos():
    c = need_corpus("ud-ewt", split="test")
    # 25,094 syntactic words: multiword-token and empty-node lines skipped
    assert (len(c), c.n_tokens) == (2077, 25094)
    assert "NN" in c.tagset and "NOUN" not in c.tagset
    assert "NOUN" in c.columns["upos"][0] or any("NOUN" in s for s in c.columns["upos"])
    u = need_corpus("ud-ewt", split="dev", tagset="upos")
    assert len(u) == 2001 and "PROPN" in u.tagset


def test_conll2000_chunks_and_pos():
    c = need_corpus("conll2000", split="test")
    assert (len(c), c.n_tokens) == (2012, 47377)
    assert {"B-NP", "I-NP", "O"} <= set(c.tagset)
    assert [len(s) for s in c.columns["pos"]] == [len(s) for s in c.X]
    tr, dev = need_corpus("conll2000", split="train"), need_corpus("conll2000", split="dev")
    assert len(tr) + len(dev) == 8936 and len(dev) == 1000
    pos = need_corpus("conll2000", split="dev", task="pos")
    assert pos.X == dev.X and pos.y == dev.columns["pos"]


def test_brown_universal_split_by_document():
    parts = {s: need_corpus("brown-universal", split=s) for s in ("train", "dev", "test")}
    assert sum(len(c) for c in parts.values()) == 57340
    assert set(parts["test"].tagset) <= {".", "ADJ", "ADP", "ADV", "CONJ", "DET", "NOUN", "NUM", "PRON", "PRT", "VERB", "X"}
    assert not set(parts["train"].doc_ids) & set(parts["test"].doc_ids)


def test_folds_never_split_a_document():
    c = need_corpus("ptb-sample", split="dev")
    folds = document_folds(c, k=4, seed=3)
    tested = []
    for train, test in folds:
        assert not set(train.doc_ids) & set(test.doc_ids)
        assert len(train) + len(test) == len(c)
        tested += test.doc_ids
    assert sorted(tested) == sorted(c.doc_ids)
    assert [len(t) for _, t in document_folds(c, k=4, seed=3)] == [len(t) for _, t in folds]
    with pytest.raises(InputError, match="k must be an int between 2"):
        document_folds(c, k=1)


def test_load_folds_excludes_test_split():
    folds = load_folds("ptb-sample", k=3) if _has_ptb() else pytest.skip("no PTB")
    docs = {d for tr, te in folds for d in tr.doc_ids + te.doc_ids}
    assert "wsj_0180" not in docs and "wsj_0170" in docs


def _has_ptb() -> bool:
    try:
        load_corpus("ptb-sample", split="test")
        return True
    except CorpusNotFoundError:
        return False


def test_missing_corpus_names_the_download_command(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQTAG_DATA", str(tmp_path))
    monkeypatch.setenv("SEQTAG_HOME", str(tmp_path / "home"))
    with pytest.raises(CorpusNotFoundError, match=r"seqtag download ud-ewt.*SEQTAG_DATA"):
        load_corpus("ud-ewt", split="train")
    with pytest.raises(CorpusNotFoundError, match=r"seqtag download ptb-sample"):
        load_corpus("ptb-sample", path=tmp_path)


def test_bad_names_list_the_valid_ones():
    with pytest.raises(InputError, match="unknown corpus 'ptb'; valid corpora: ptb-sample, ud-ewt"):
        load_corpus("ptb")
    with pytest.raises(InputError, match="unknown split 'validation'; valid splits: train, dev, test"):
        load_corpus("ptb-sample", split="validation")
    with pytest.raises(InputError, match="does not take that option"):
        load_corpus("ptb-sample", tagset="upos")
    assert set(CORPORA) == {"ptb-sample", "ud-ewt", "conll2000", "brown-universal", "ptb-wsj"}


CONLLU = """# newdoc id = doc1
# sent_id = doc1-0001
1-2\tdon't\t_\t_\t_\t_\t_\t_\t_\t_
1\tdo\tdo\tAUX\tVBP\t_\t0\troot\t_\t_
2\tn't\tnot\tPART\tRB\t_\t1\tadvmod\t_\t_
3\tgo\tgo\tVERB\tVB\t_\t1\txcomp\t_\t_
3.1\tgone\tgo\tVERB\tVBN\t_\t_\t_\t_\t_

# sent_id = doc1-0002
1\tHi\thi\tINTJ\tUH\t_\t0\troot\t_\t_
"""


def test_read_conllu(tmp_path):
    f = tmp_path / "x.conllu"
    f.write_text(CONLLU)
    c = read_conllu(f)
    assert c.X == [["do", "n't", "go"], ["Hi"]]
    assert c.y == [["VBP", "RB", "VB"], ["UH"]]
    assert c.columns["upos"] == [["AUX", "PART", "VERB"], ["INTJ"]]
    assert c.doc_ids == ["doc1", "doc1"]
    assert read_conllu(f, tagset="upos").y[0] == ["AUX", "PART", "VERB"]
    f.write_text("1\tbad line\n")
    with pytest.raises(InputError, match=r"x.conllu:1: a CoNLL-U word line has 10 tab-separated columns, found 2"):
        read_conllu(f)


def test_read_columns(tmp_path):
    f = tmp_path / "chunks.txt"
    f.write_text("-DOCSTART- -X- O\n\nHe PRP B-NP\nran VBD B-VP\n\nOK UH O\n")
    c = read_columns(f, extra={"pos": 1})
    assert c.X == [["He", "ran"], ["OK"]] and c.y == [["B-NP", "B-VP"], ["O"]]
    assert c.columns["pos"] == [["PRP", "VBD"], ["UH"]]
    f.write_text("lonely\n")
    with pytest.raises(InputError, match="expected columns 0 \\(token\\) and 2"):
        read_columns(f, tag_col=2)


def test_corpus_slicing_and_validation():
    c = Corpus("t", "train", [["a"], ["b", "c"]], [["A"], ["B", "C"]], ["d1", "d2"])
    assert len(c[1:]) == 1 and c[1:].X == [["b", "c"]]
    assert list(c) == [[("a", "A")], [("b", "B"), ("c", "C")]]
    with pytest.raises(InputError, match="one entry per sentence"):
        Corpus("t", "train", [["a"]], [], ["d1"])


def test_ud_download_checks_sha256(tmp_path, monkeypatch):
    """No network: urlopen is replaced; a file with the wrong checksum is refused."""

    class Fake(io.BytesIO):
        def __enter__(self):
            return self

        def __exit__(self, *a):
            return False

    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout=60: Fake(b"not the real file"))
    with pytest.raises(SeqtagError, match="sha256 .* expected 3fb78e2b"):
        download("ud-ewt", dest=tmp_path, quiet=True)
    assert not list((tmp_path / "ud_english_ewt").glob("*.conllu"))
    with pytest.raises(InputError, match="unknown corpus 'nope'"):
        download("nope", dest=tmp_path)


def test_corpus_available(tmp_path, monkeypatch):
    from seqtag.corpora import corpus_available

    if _has_ptb():
        assert corpus_available("ptb-sample")
    assert not corpus_available("ptb-sample", path=tmp_path)
    monkeypatch.setenv("SEQTAG_DATA", str(tmp_path))
    monkeypatch.setenv("SEQTAG_HOME", str(tmp_path / "home"))
    assert not corpus_available("ud-ewt")
    with pytest.raises(InputError, match="unknown corpus"):
        corpus_available("nope")
