"""ptb-wsj: the LDC Penn Treebank 3 read from a hand-written tiny copy in tests/data (no real treebank text)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from seqtag.cli import main
from seqtag.corpora import CORPORA, corpus_available, download, load_corpus, load_folds
from seqtag.corpora.ptb_wsj import parse_mrg
from seqtag.exceptions import CorpusNotFoundError, InputError

from .conftest import REQUIRE_DATA
from .conftest import run_cli as run

DATA = Path(__file__).parent / "data"
TREEBANK = DATA / "treebank_3"
WSJ = TREEBANK / "parsed" / "mrg" / "wsj"

# the fixture holds only a few sections; the loader warns about the others
pytestmark = pytest.mark.filterwarnings(r"ignore:ptb-wsj.*lacks section")

# the splits as published, written out here rather than read from the module under test
SECTIONS = {
    ("pos", "train"): range(19),
    ("pos", "dev"): range(19, 22),
    ("pos", "test"): range(22, 25),
    ("pos", "all"): range(25),
    ("conll2000", "train"): range(15, 19),
    ("conll2000", "test"): range(20, 21),
}


def fixture_files(sections) -> list[Path]:
    return [f for s in sections for f in sorted((WSJ / f"{s:02d}").glob("wsj_*.mrg"))]


@pytest.fixture
def nltk_reads_fixture(monkeypatch):
    """NLTK's readers refuse folders outside ``nltk.data.path``: allow the fixture for the reference."""
    import nltk

    monkeypatch.setattr(nltk.data, "path", [*nltk.data.path, str(WSJ.resolve())])


def nltk_tagged_sents(file: Path) -> list[list[tuple[str, str]]]:
    """The reference: NLTK's own bracket reader (what ptb-sample uses) on the same file."""
    from nltk.corpus.reader import BracketParseCorpusReader

    reader = BracketParseCorpusReader(str(file.parent), [file.name])
    return [[tuple(p) for p in sent] for sent in reader.tagged_sents(file.name)]


@pytest.mark.parametrize("scheme, split", list(SECTIONS))
def test_splits_take_their_sections_and_drop_traces(scheme, split, nltk_reads_fixture):
    c = load_corpus("ptb-wsj", split=split, split_scheme=scheme, path=WSJ)
    files = fixture_files(SECTIONS[scheme, split])
    assert files, "the fixture must give every split at least one file"
    kept = [(f.stem, [(w, t) for w, t in s if t != "-NONE-"]) for f in files for s in nltk_tagged_sents(f)]
    kept = [(d, s) for d, s in kept if s]
    assert [list(s) for s in c] == [s for _, s in kept]
    assert c.doc_ids == [d for d, _ in kept]
    assert (c.name, c.split) == ("ptb-wsj", split)
    assert "-NONE-" not in c.tagset


def test_fixture_features_come_through():
    train = load_corpus("ptb-wsj", split="train", path=WSJ)
    # several trees in one file, in file order
    assert [" ".join(x) for x, d in zip(train.X, train.doc_ids) if d == "wsj_0001"] == [
        "The small cat sat on the mat .",
        "It was seen by a dog .",
    ]
    # a tree without the outer ( ... ) wrapper
    assert train[train.doc_ids.index("wsj_1501") + 1] == [("Bob", "NNP"), ("left", "VBD"), (".", ".")]
    assert ("-LRB-", "-LRB-") in train[train.doc_ids.index("wsj_0002")]
    # the CoNLL-2000 scheme only moves sections: section 20 is pos/dev but conll2000/test, POS labels
    dev, chunk_test = load_corpus("ptb-wsj", split="dev", path=WSJ), load_corpus(
        "ptb-wsj", split="test", split_scheme="conll2000", path=WSJ
    )
    assert chunk_test.X == [x for x, d in zip(dev.X, dev.doc_ids) if d == "wsj_2001"]
    assert chunk_test.y == [["NNS", "VBD", "CD", "NN", "."]]


def test_traces_kept_on_request_and_empty_sentences_dropped():
    plain = load_corpus("ptb-wsj", split="dev", path=WSJ)
    full = load_corpus("ptb-wsj", split="dev", path=WSJ, traces=True)
    assert plain[0] == [("The", "DT"), ("bank", "NN"), ("said", "VBD"), ("rates", "NNS"), ("rose", "VBD"),
                        (".", ".")]
    assert full[0][3] == ("0", "-NONE-")
    # wsj_1901's second tree holds only a trace: kept with traces, dropped without
    assert full[1] == [("*T*-1", "-NONE-")] and full.doc_ids[:2] == ["wsj_1901", "wsj_1901"]
    assert len(full) == len(plain) + 1 and plain.doc_ids[:2] == ["wsj_1901", "wsj_2001"]


def test_the_three_path_forms_give_the_same_corpus():
    a, b, c = (load_corpus("ptb-wsj", split="test", path=p) for p in (WSJ, TREEBANK, DATA))
    assert a.X == b.X == c.X and a.y == b.y == c.y and a.doc_ids == b.doc_ids == c.doc_ids
    assert corpus_available("ptb-wsj", path=TREEBANK)


def test_seqtag_data_and_data_home_lookup(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQTAG_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SEQTAG_DATA", os.pathsep.join([str(tmp_path / "empty"), str(DATA)]))
    assert corpus_available("ptb-wsj")
    assert load_corpus("ptb-wsj", split="test").X == load_corpus("ptb-wsj", split="test", path=WSJ).X
    monkeypatch.setenv("SEQTAG_DATA", str(tmp_path / "empty"))
    assert not corpus_available("ptb-wsj")
    monkeypatch.setenv("SEQTAG_HOME", str(DATA))  # the data home holds treebank_3/
    assert len(load_corpus("ptb-wsj", split="test")) == len(load_corpus("ptb-wsj", split="test", path=WSJ))


def test_not_found_names_the_places_and_the_ldc(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQTAG_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SEQTAG_DATA", str(tmp_path / "data"))
    looked = str(tmp_path / "data" / "treebank_3" / "parsed" / "mrg" / "wsj")
    with pytest.raises(CorpusNotFoundError, match=rf"(?s)Looked in:.*{_re(looked)}.*LDC99T42.*path=.*--data.*SEQTAG_DATA"):
        load_corpus("ptb-wsj")
    with pytest.raises(CorpusNotFoundError, match=rf"(?s){_re(str(tmp_path / 'treebank_3'))}.*cannot download"):
        load_corpus("ptb-wsj", path=tmp_path)


def _re(text: str) -> str:
    import re

    return re.escape(text)


def test_split_without_any_of_its_sections(tmp_path):
    (tmp_path / "wsj" / "00").mkdir(parents=True)
    (tmp_path / "wsj" / "00" / "wsj_0001.mrg").write_text("( (S (NN x)) )\n")
    with pytest.raises(CorpusNotFoundError, match=r"none of the test sections \(22-24\).*it has sections 00"):
        load_corpus("ptb-wsj", split="test", path=tmp_path / "wsj")


def test_a_partial_copy_warns():
    with pytest.warns(UserWarning, match=r"lacks section\(s\) 01-14, 16-17; the train split is partial"):
        load_corpus("ptb-wsj", split="train", path=WSJ)


def test_bad_split_and_scheme():
    with pytest.raises(InputError, match=r"no dev split.*valid splits: train, test"):
        load_corpus("ptb-wsj", split="dev", split_scheme="conll2000", path=WSJ)
    with pytest.raises(InputError, match="unknown split 'validation'.*valid splits: train, dev, test, all"):
        load_corpus("ptb-wsj", split="validation", path=WSJ)
    with pytest.raises(InputError, match="unknown split_scheme 'chunk'; valid schemes: pos, conll2000"):
        load_corpus("ptb-wsj", split_scheme="chunk", path=WSJ)
    with pytest.raises(InputError, match="does not take that option"):
        load_corpus("ptb-wsj", tagset="upos", path=WSJ)


@pytest.mark.parametrize(
    "text, line, what",
    [
        ("( (S (NN a)) )\n( (S (NN b)\n", 2, "the bracket opened here is never closed"),
        ("( (S (NN a)) )\n\n(NN b)) \n", 3, "')' closes no open bracket"),
        ("( (S (NN a)) )\nstray\n", 2, "'stray' is outside any bracket"),
        ("( (S\n (NN a b)) )\n", 2, "(NN a b ...) has more than one word"),
        ("( (S (NP (DT a) dog)) )\n", 1, "word 'dog' follows a subtree inside (NP ...)"),
        ("( (S (NN a (X y))) )\n", 1, "(NN a ...) holds both a word and a subtree"),
        ("( (S (NP) (NN a)) )\n", 1, "empty bracket (NP)"),
        ("( )\n", 1, "empty bracket ()"),
    ],
)
def test_malformed_file_names_file_and_line(tmp_path, text, line, what):
    f = tmp_path / "wsj" / "22" / "wsj_2201.mrg"
    f.parent.mkdir(parents=True)
    f.write_text(text)
    with pytest.raises(InputError, match=rf"wsj_2201\.mrg, line {line}: {_re(what)}; expected bracketed trees"):
        load_corpus("ptb-wsj", split="test", path=tmp_path / "wsj")


def test_not_text_is_an_input_error(tmp_path):
    f = tmp_path / "wsj" / "22" / "wsj_2201.mrg"
    f.parent.mkdir(parents=True)
    f.write_bytes(b"( (S (NN \xff\xfe)) )\n")
    with pytest.raises(InputError, match=r"wsj_2201\.mrg: not a text file"):
        load_corpus("ptb-wsj", split="test", path=tmp_path / "wsj")


def test_parse_mrg_equals_nltk_on_the_ptb_sample():
    """The same reader NLTK uses for ptb-sample, on NLTK's real sample (when it is installed)."""
    from nltk.corpus.reader import BracketParseCorpusReader

    from seqtag.corpora.nltk_corpora import find_resource

    try:
        root = find_resource("corpora/treebank/combined", "ptb-sample", None)
    except CorpusNotFoundError as exc:
        if REQUIRE_DATA:
            raise
        pytest.skip(f"corpus not available here: {exc}")
    reader = BracketParseCorpusReader(root, r"wsj_.*\.mrg", encoding="ascii")
    for fid in reader.fileids()[::10]:
        ref = [[tuple(p) for p in s] for s in reader.tagged_sents(fid)]
        assert parse_mrg(reader.open(fid).read(), fid) == ref, fid


def test_folds_use_train_and_dev_documents():
    folds = load_folds("ptb-wsj", k=3, seed=0, path=WSJ)
    tested = [d for _, te in folds for d in te.doc_ids]
    assert sorted(set(tested)) == ["wsj_0001", "wsj_0002", "wsj_1501", "wsj_1801", "wsj_1901", "wsj_2001"]
    assert len(tested) == len(load_corpus("ptb-wsj", "train", path=WSJ)) + len(load_corpus("ptb-wsj", "dev", path=WSJ))
    for tr, te in folds:
        assert not set(tr.doc_ids) & set(te.doc_ids)
    # no dev split under the CoNLL-2000 scheme: folds over its train sections only
    chunk = load_folds("ptb-wsj", k=2, path=WSJ, split_scheme="conll2000")
    assert sorted(d for _, te in chunk for d in set(te.doc_ids)) == ["wsj_1501", "wsj_1801"]


def test_download_explains_the_ldc_license(tmp_path, capsys, monkeypatch):
    with pytest.raises(InputError, match=r"ptb-wsj cannot be downloaded.*LDC99T42"):
        download("ptb-wsj", dest=tmp_path)
    assert not list(tmp_path.iterdir())
    code, _, err = run(["download", "ptb-wsj", "--dest", str(tmp_path)], capsys=capsys)
    assert code == 2 and "LDC99T42" in err and "Traceback" not in err
    monkeypatch.setenv("SEQTAG_DATA", str(DATA))
    code, out, _ = run(["download", "--if-missing", "ptb-wsj"], capsys=capsys)
    assert code == 0 and out == "ptb-wsj: already here\n"
    assert "ptb-wsj" in CORPORA  # what `seqtag list` prints


def test_cli_trains_and_evaluates_hmm2_on_the_fixture(tmp_path, capsys):
    train = load_corpus("ptb-wsj", split="train", path=WSJ)
    model = tmp_path / "m"
    code = main(["train", "--model", "hmm2", "--corpus", "ptb-wsj", "--data", str(TREEBANK), "-o", str(model)])
    out = capsys.readouterr().out
    assert code == 0 and f"on ptb-wsj/train: {len(train)} sentences, {train.n_tokens} tokens" in out
    assert (model / "seqtag.json").is_file()
    code = main(["evaluate", str(model), "--corpus", "ptb-wsj", "--data", str(WSJ), "--split", "test"])
    assert code == 0 and "accuracy" in capsys.readouterr().out
