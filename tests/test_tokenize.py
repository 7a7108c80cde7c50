"""seqtag's copy of NLTK's word tokenizer gives NLTK's tokens; raw text keeps its lines in ``seqtag tag``."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqtag.tokenize import split_sentences, tokenize, word_tokenize

from .conftest import need_corpus
from .conftest import run_cli as run

nltk_tokenize = pytest.importorskip("nltk.tokenize")
NLTK = nltk_tokenize.NLTKWordTokenizer()

TRICKY = [
    'He said, "I can\'t go." (Really?) -- yes...',
    "'Tis the 1990s' best: cannot, gonna, wanna go, lemme see, d'ye, more'n 3,000.5 $ & 50% @home #1",
    "«Quoted» “curly” ‘single’ „low“ `back` ''double'' 'quote' O'Neil rock 'n' roll.",
    "Figure—dash – en ‒ figure ― bar; a*b <tag> [box] {brace} ... etc.",
    "I'M HERE, YOU'RE THERE, THEY'VE GONE, WE'LL SEE, ISN'T IT, SHE'D, HE'S.",
    "Mr. Smith (U.S.) paid $3.50/share on Jan. 5.' \"End.\"",
    "",
    "   ",
]


@pytest.mark.parametrize("text", TRICKY)
def test_same_tokens_as_nltk_on_tricky_text(text):
    assert word_tokenize(text) == NLTK.tokenize(text)


def test_same_tokens_as_nltk_on_the_treebank_text():
    need_corpus("ptb-sample", split="test")
    from nltk.corpus import treebank
    from nltk.tokenize.treebank import TreebankWordDetokenizer

    detok = TreebankWordDetokenizer()
    texts = [detok.detokenize([w for w in s if not w.startswith("*") and w != "0"]) for s in treebank.sents()[:1500]]
    mismatches = [t for t in texts if word_tokenize(t) != NLTK.tokenize(t)]
    assert not mismatches, mismatches[:3]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aAbnNtT'\"`.,:;?!-()[]{}<>$%&*@#0123456789 «»“”‘’\u2013\u2014")),
               max_size=40))
def test_same_tokens_as_nltk_on_generated_text(text):
    assert word_tokenize(text) == NLTK.tokenize(text)


def test_tokenize_splits_sentences_then_words():
    assert tokenize("It rose 5%. Then it fell!\nOK") == [["It", "rose", "5", "%", "."], ["Then", "it", "fell", "!"],
                                                       ["OK"]]
    assert split_sentences("Dr. No left. Bye") == ["Dr. No left.", "Bye"]


def test_cli_tag_keeps_one_output_line_per_input_line(tmp_path, capsys):
    need_corpus("ptb-sample", split="dev")
    from seqtag import HMMTagger
    from seqtag.corpora import load_corpus

    dev = load_corpus("ptb-sample", split="dev")
    model = HMMTagger(order=2).fit(dev.X, dev.y).save(tmp_path / "m")
    text = "The market rallied. Stocks rose 5%.\n\nIt fell.\n"
    code, out, _ = run(["tag", str(model)], text, capsys=capsys)
    lines = out.splitlines()
    assert code == 0 and len(lines) == 3 and lines[1] == ""
    assert [t.rsplit("/", 1)[0] for t in lines[0].split()] == ["The", "market", "rallied", ".", "Stocks", "rose",
                                                                "5", "%", "."]
    assert lines[0].split()[3] == "./." and lines[2].split()[-1] == "./."
    code, out, _ = run(["tag", str(model), "--tokenized"], "The market rallied.\n", capsys=capsys)
    assert code == 0 and out.split()[-1].startswith("rallied./")  # whitespace split only: the user's tokens kept
