"""The user's own tagged files: formats, splits, errors, and the command line's --corpus PATH."""

from __future__ import annotations

import pytest

from seqtag.corpora import MissingSplitError, load_corpus, load_folds
from seqtag.corpora.user import held_out_split, load_files, read_file, sniff_format
from seqtag.exceptions import InputError

from .conftest import run_cli as run

SENTS = [(["The", "dog", "barks", "."], ["DT", "NN", "VBZ", "."]),
         (["A", "cat", "sleeps", "."], ["DT", "NN", "VBZ", "."]),
         (["Dogs", "bark", "."], ["NNS", "VBP", "."]),
         (["1/2", "of", "it"], ["CD", "IN", "PRP"])]


def _conllu(sents, doc="d1"):
    out = [f"# newdoc id = {doc}"]
    for k, (toks, tags) in enumerate(sents):
        out.append(f"# sent_id = {doc}-{k}")
        out += [f"{i}\t{w}\t_\tX\t{t}\t_\t_\t_\t_\t_" for i, (w, t) in enumerate(zip(toks, tags), 1)]
        out.append("")
    return "\n".join(out) + "\n"


def _columns(sents):
    return "".join("".join(f"{w} POS {t}\n" for w, t in zip(toks, tags)) + "\n" for toks, tags in sents)


def _slash(sents):
    return "".join(" ".join(f"{w}/{t}" for w, t in zip(toks, tags)) + "\n" for toks, tags in sents)


@pytest.mark.parametrize("suffix, text", [(".conllu", _conllu(SENTS)), (".txt", _columns(SENTS)),
                                          (".pos", _slash(SENTS)), (".conll", _conllu(SENTS))])
def test_every_format_reads_the_same_sentences(tmp_path, suffix, text):
    path = tmp_path / f"mine{suffix}"
    path.write_text(text)
    corpus = read_file(path)
    assert corpus.X == [t for t, _ in SENTS] and corpus.y == [t for _, t in SENTS]
    assert sniff_format(path) == {".conllu": "conllu", ".conll": "conllu", ".txt": "columns", ".pos": "slash"}[suffix]


def test_column_and_tag_field_options(tmp_path):
    path = tmp_path / "cols.tsv"
    path.write_text(_columns(SENTS))
    assert read_file(path, tag_column=1).y[0] == ["POS"] * 4
    assert read_file(path, token_column=2, tag_column=0).X[0] == ["DT", "NN", "VBZ", "."]
    ud = tmp_path / "ud.conllu"
    ud.write_text(_conllu(SENTS))
    assert read_file(ud, tagset="upos").y[0] == ["X"] * 4
    ud.write_text(_conllu([(t, ["_"] * len(t)) for t, _ in SENTS]))
    with pytest.raises(InputError, match=r"every XPOS field is '_'.*tagset='upos'"):
        read_file(ud)


@pytest.mark.parametrize("name, text, message", [
    ("bad.pos", "the/DT big/JJ dog barks/VBZ\n", r"bad.pos:1: expected word/TAG tokens .* found 'dog'"),
    ("bad.conllu", "1\tThe\t_\tDET\tDT\t_\t_\t_\t_\t_\n2\tdog\tNN\n", r"bad.conllu:2: a CoNLL-U word line has 10"),
    ("bad.txt", "The DT\ndog NN\n\nx\n", r"bad.txt:4: expected columns 0 \(token\) and 1 \(tag\)"),
])
def test_a_malformed_line_names_file_and_line(tmp_path, name, text, message):
    (tmp_path / name).write_text(text)
    fmt = {"bad.txt": {"tag_column": 1}}.get(name, {})
    with pytest.raises(InputError, match=message):
        read_file(tmp_path / name, **fmt)


def test_folder_with_split_names_like_a_ud_release(tmp_path):
    (tmp_path / "en_x-ud-train.conllu").write_text(_conllu(SENTS[:3], "a"))
    (tmp_path / "en_x-ud-dev.conllu").write_text(_conllu(SENTS[3:], "b"))
    (tmp_path / "en_x-ud-test.conllu").write_text(_conllu(SENTS[:1], "c"))
    (tmp_path / "README.md").write_text("not data")
    assert len(load_corpus(tmp_path, split="train")) == 3
    assert load_corpus(tmp_path, split="dev").X == [SENTS[3][0]]
    assert len(load_corpus(str(tmp_path), split="all")) == 5
    folds = load_folds(str(tmp_path), k=2)
    assert sum(len(test) for _, test in folds) == 4  # train + dev, each document tested once


def test_explicit_split_files_and_a_missing_split(tmp_path):
    (tmp_path / "a.pos").write_text(_slash(SENTS))
    (tmp_path / "b.pos").write_text(_slash(SENTS[:1]))
    assert load_corpus(None, split="test", train=tmp_path / "a.pos", test=tmp_path / "b.pos").X == [SENTS[0][0]]
    with pytest.raises(MissingSplitError, match=r"no dev split was given; pass dev=PATH \(--dev PATH\)"):
        load_corpus(None, split="dev", train=tmp_path / "a.pos", test=tmp_path / "b.pos")
    with pytest.raises(InputError, match="test=: no such file or folder"):
        load_files(split="test", test=tmp_path / "nope.pos")


def test_no_split_names_hold_out_documents_with_a_warning(tmp_path):
    sents = [([f"w{i}", "x"], ["A", "B"]) for i in range(40)]
    path = tmp_path / "all.conllu"
    path.write_text("".join(_conllu(sents[i:i + 2], f"doc{i}") for i in range(0, 40, 2)))
    with pytest.warns(UserWarning, match="10% of the documents are held out as test"):
        parts = {s: load_files(path, split=s) for s in ("train", "dev", "test")}
    assert [len(parts[s]) for s in ("train", "dev", "test")] == [32, 4, 4]
    docs = {s: set(parts[s].doc_ids) for s in parts}
    assert not docs["train"] & docs["test"] and not docs["dev"] & docs["test"]
    assert sorted(w for p in parts.values() for s in p.X for w in s) == sorted(w for s, _ in sents for w in s)
    assert held_out_split(load_files(path, split="all"), seed=1)["test"].X != parts["test"].X
    with pytest.raises(InputError, match="too few to hold out"):
        held_out_split(load_files(path, split="all").subset([0, 1]))


def test_mixed_names_and_bad_options_are_errors(tmp_path):
    (tmp_path / "train.pos").write_text(_slash(SENTS))
    (tmp_path / "other.pos").write_text(_slash(SENTS))
    with pytest.raises(InputError, match="some files in .* name a split .* and some do not: .*other.pos"):
        load_files(tmp_path)
    with pytest.raises(InputError, match="format must be one of auto, conllu, columns, slash"):
        read_file(tmp_path / "train.pos", format="xml")
    with pytest.raises(InputError, match="unknown corpus 'nope.conllu'; valid corpora: ptb-sample.*or the path of your own"):
        load_corpus("nope.conllu")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="holds no tagged files"):
        load_files(empty)


def test_cli_trains_evaluates_and_compares_own_files(tmp_path, capsys):
    train = tmp_path / "train.pos"
    train.write_text(_slash(SENTS * 5))
    test = tmp_path / "test.conllu"
    test.write_text(_conllu(SENTS[:2]))
    model = tmp_path / "m"
    code, out, _ = run(["train", "--model", "hmm1", "--train", str(train), "-o", str(model)], capsys=capsys)
    assert code == 0 and "on files/train: 20 sentences, 70 tokens" in out
    code, out, _ = run(["evaluate", str(model), "--test", str(test)], capsys=capsys)
    assert code == 0 and "files/test: 2 sentences, 8 tokens" in out and "unknown_accuracy" not in out
    code, out, _ = run(["evaluate", str(model), "--train", str(train), "--test", str(test)], capsys=capsys)
    assert code == 0 and "unknown_accuracy" in out
    code, out, _ = run(["compare", "--models", "baseline,hmm1", "--corpus", str(tmp_path), "--curve", "none",
                        "--bootstrap", "10", "--quiet"], capsys=capsys)
    assert code == 0 and "hmm1" in out and "baseline" in out
    cols = tmp_path / "cols"
    cols.mkdir()
    (cols / "data.txt").write_text(_columns(SENTS * 10))
    code, out, _ = run(["train", "--model", "baseline", "--corpus", str(cols / "data.txt"), "--split", "all",
                        "--tag-column", "2", "-o", str(tmp_path / "m2")], capsys=capsys)
    assert code == 0 and "40 sentences" in out


@pytest.mark.parametrize("argv, message", [
    (["--corpus", "ptb-sample", "--train", "x.pos"], "--train go with your own files"),
    (["--train", "x.pos", "--task", "pos"], "--task go with the named corpora"),
    ([], "give --corpus NAME"),
    (["--corpus", "no/such/file.conllu"], "unknown corpus 'no/such/file.conllu'"),
])
def test_cli_corpus_flag_errors(tmp_path, capsys, argv, message):
    code, _, err = run(["train", "--model", "baseline", *argv, "-o", str(tmp_path / "m")], capsys=capsys)
    assert code == 2 and message in err and "Traceback" not in err
