"""Neural taggers: learning, determinism, CRF gradients, unknown words, persistence, vectors, errors."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import seqtag  # noqa: E402
from seqtag.exceptions import InputError, ModelFileError  # noqa: E402
from seqtag.neural.base import auto_constraints  # noqa: E402
from seqtag.neural.bilstm import BiLSTMTagger  # noqa: E402
from seqtag.neural.embeddings import embedding_matrix, read_embeddings  # noqa: E402
from seqtag.neural.train import length_batches, make_batch  # noqa: E402
from seqtag.neural.transformer import TransformerTagger  # noqa: E402
from seqtag.neural.vocab import UNK_ID, Vocab, word_chars  # noqa: E402

TINY = dict(word_dim=16, char_dim=8, char_hidden=8, batch_size=8, random_state=0, verbose=False, device="cpu")
LSTM = dict(TINY, hidden_size=16, dropout=0.1, lr=0.02, max_epochs=15)
TRF = dict(TINY, d_model=32, nhead=4, num_layers=1, dim_feedforward=64, dropout=0.1, lr=0.01, max_epochs=15,
           patience=None)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def context_task(n: int, seed: int):
    """Tag of 'x' is A after 'p' and B after 'q' (needs left context); other words are O."""
    rng = random.Random(seed)
    X, y = [], []
    for _ in range(n):
        sent, tags = [], []
        for _ in range(rng.randint(2, 6)):
            w = rng.choice(["p", "q", "x", "z", "x"])
            prev = sent[-1] if sent else None
            sent.append(w)
            tags.append(("A" if prev == "p" else "B") if w == "x" else "O")
        X.append(sent)
        y.append(tags)
    return X, y


def suffix_task(n: int, seed: int):
    """Tag given by the suffix of a random stem: -ing VBG, -ly RB, -s NNS, else NN."""
    rng = random.Random(seed)
    suffixes = [("ing", "VBG"), ("ly", "RB"), ("s", "NNS"), ("", "NN")]
    X, y = [], []
    for _ in range(n):
        sent, tags = [], []
        for _ in range(rng.randint(2, 5)):
            stem = "".join(rng.choice("bcdfgkmprt") + rng.choice("aeiou") for _ in range(2))
            suf, tag = rng.choice(suffixes)
            sent.append(stem + suf)
            tags.append(tag)
        X.append(sent)
        y.append(tags)
    return X, y


# ----------------------------------------------------------------------------- learning
@pytest.mark.parametrize(
    "cls,params",
    [
        (BiLSTMTagger, dict(LSTM, head="crf", char_encoder="cnn")),
        (BiLSTMTagger, dict(LSTM, head="softmax", char_encoder=None)),
        (TransformerTagger, dict(TRF, head="crf")),
    ],
    ids=["bilstm-crf-cnn", "bilstm-softmax-nochars", "transformer-crf"],
)
def test_learns_context_task_to_100_percent(cls, params):
    X, y = context_task(120 if cls is BiLSTMTagger else 300, seed=1)  # attention needs more data
    Xt, yt = context_task(60, seed=2)
    tagger = cls(**params).fit(X, y)
    assert tagger.score(Xt, yt) == 1.0
    h = tagger.history_
    assert list(h.columns) == ["epoch", "steps", "train_loss", "dev_accuracy", "seconds", "lr"]
    assert h["train_loss"].iloc[-1] < h["train_loss"].iloc[0]
    best = h["dev_accuracy"].max()
    assert tagger.best_epoch_ == int(h["epoch"][h["dev_accuracy"] == best].max())  # latest of the best


@pytest.mark.parametrize(
    "cls,params", [(BiLSTMTagger, LSTM), (TransformerTagger, dict(TRF, head="softmax", max_epochs=10))],
    ids=["bilstm-crf", "transformer-softmax"],
)
def test_toy_data(cls, params, toy_data):
    X, y = toy_data
    tagger = cls(**params).fit(X[:45], y[:45])
    assert tagger.score(X[45:], y[45:]) == 1.0


@pytest.mark.parametrize("head", ["crf", "softmax"])
def test_predict_marginals(head, toy_data):
    from seqtag.crf.layer import CRF

    X, y = toy_data
    tagger = BiLSTMTagger(**dict(LSTM, head=head, max_epochs=3)).fit(X[:30], y[:30])
    sents = [X[40], [], ["a", "zebra", "runs"]]
    out = tagger.predict_marginals(sents)
    assert [len(s) for s in out] == [len(X[40]), 0, 3]
    for s in out:
        for m in s:
            assert list(m) == tagger.tags_ and sum(m.values()) == pytest.approx(1.0)
    import torch

    batch = make_batch(tagger._encode([sents[2]], None), np.array([0]), torch.device("cpu"))
    with torch.no_grad():
        tagger.net_.eval()
        em = tagger.net_.emissions(batch).double()
    if head == "softmax":
        want = em.softmax(-1)[0].numpy()
    else:  # forward-backward of the trained CRF = brute-force marginals
        from .naive_crf import marginals

        crf: CRF = tagger.net_.head.crf
        want = marginals(em[0].numpy(), *[t.detach().double().numpy() for t in
                                           (crf.transitions, crf.start_transitions, crf.end_transitions)])
    got = np.array([[m[t] for t in tagger.tags_] for m in out[2]])
    np.testing.assert_allclose(got, want, atol=1e-5)


@pytest.mark.parametrize(
    "cls,params", [(BiLSTMTagger, dict(LSTM, head="crf")), (TransformerTagger, dict(TRF, head="softmax"))],
    ids=["bilstm-crf", "transformer-softmax"],
)
def test_padding_does_not_leak_into_predictions(cls, params, toy_data):
    """Tagging one sentence at a time or padded into a batch with longer ones gives the same posteriors."""
    X, y = toy_data
    tagger = cls(**dict(params, max_epochs=2)).fit(X[:30], y[:30])
    sents = sorted(X[30:], key=len)[::3] + [["a"], X[31] * 3]  # short, mixed and one 3x as long as X[31]
    batched = tagger.set_params(predict_batch_size=64).predict_marginals(sents)
    alone = tagger.set_params(predict_batch_size=1).predict_marginals(sents)
    for b, a in zip(batched, alone):
        np.testing.assert_allclose([list(m.values()) for m in b], [list(m.values()) for m in a], atol=1e-5)


def test_unknown_words_get_char_representations():
    X, y = suffix_task(200, seed=0)
    Xt, yt = suffix_task(80, seed=5)
    seen = {w for s in X for w in s}
    assert sum(w not in seen for s in Xt for w in s) > 100  # the test is mostly unseen words
    tagger = BiLSTMTagger(**dict(LSTM, max_epochs=20, char_hidden=16)).fit(X, y)
    assert tagger.score(Xt, yt) > 0.95
    without_chars = BiLSTMTagger(**dict(LSTM, char_encoder=None)).fit(X, y)
    assert without_chars.score(Xt, yt) < 0.7  # words alone cannot tag unseen words


# ----------------------------------------------------------------------------- determinism
def test_same_seed_same_model_and_global_rng_untouched(toy_data):
    X, y = toy_data
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    a = TransformerTagger(**dict(TRF, max_epochs=2)).fit(X, y)
    assert torch.equal(torch.rand(1), expected_next), "fit must not consume the global torch RNG"
    b = TransformerTagger(**dict(TRF, max_epochs=2)).fit(X, y)
    c = TransformerTagger(**dict(TRF, max_epochs=2, random_state=1)).fit(X, y)
    sa, sb, sc = (m.net_.state_dict() for m in (a, b, c))
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not all(torch.equal(sa[k], sc[k]) for k in sa)
    test = [["the", "zebra", "eats"], ["a", "cat"]]
    assert a.predict(test) == b.predict(test)
    assert a.history_["train_loss"].tolist() == b.history_["train_loss"].tolist()


def test_random_state_instance_not_mutated(toy_data):
    rs = np.random.RandomState(7)
    before = rs.get_state()[1].copy()
    BiLSTMTagger(**dict(LSTM, max_epochs=1, random_state=rs)).fit(*toy_data)
    assert np.array_equal(rs.get_state()[1], before)


# ----------------------------------------------------------------------------- CRF head
def test_gradients_reach_crf_transitions(toy_data):
    X, y = toy_data
    tagger = BiLSTMTagger(**dict(LSTM, max_epochs=1))
    tagger.fit(X, y)
    net = tagger.net_
    net.train()
    batch = make_batch(tagger._encode(X[:8], y[:8]), np.arange(8), torch.device("cpu"))
    net.zero_grad()
    net.loss(batch).backward()
    crf = net.head.crf
    assert crf.transitions.grad is not None and crf.transitions.grad.abs().sum() > 0
    assert crf.start_transitions.grad.abs().sum() > 0
    assert net.encoder.chars.embed.weight.grad.abs().sum() > 0  # and the char encoder


def test_crf_learns_transitions(toy_data):
    tagger = BiLSTMTagger(**LSTM).fit(*toy_data)
    tags = tagger.tags_
    tr = tagger.net_.head.crf.transitions.detach()
    # DT -> NN is the only continuation of DT in the data; it must outscore DT -> DT
    assert tr[tags.index("DT"), tags.index("NN")] > tr[tags.index("DT"), tags.index("DT")]


def test_auto_constraints_for_chunk_tags():
    X = [["he", "saw", "the", "big", "dog"], ["dogs", "bark"]] * 15
    y = [["B-NP", "B-VP", "B-NP", "I-NP", "I-NP"], ["B-NP", "B-VP"]] * 15
    tagger = BiLSTMTagger(**dict(LSTM, max_epochs=2)).fit(X, y)
    assert tagger.constraint_scheme_ == "BIO"
    mask = tagger.net_.head.crf.constraint_mask
    K = len(tagger.tags_)
    assert not mask[K, tagger.tags_.index("I-NP")]  # a sentence cannot start with I-NP
    for sent in tagger.predict([["the", "dog"], ["big"], ["bark", "dogs", "the"]]):
        assert sent[0] != "I-NP"
    assert auto_constraints(["DT", "NN"], [["DT", "NN"]]) is None
    assert auto_constraints(["I-NP", "B-NP", "O"], [["I-NP", "B-NP"]]) == "IOB1"
    assert BiLSTMTagger(**dict(LSTM, max_epochs=1, constraints=None)).fit(X, y).constraint_scheme_ is None
    with pytest.raises(InputError, match="do not follow the BIO scheme"):
        BiLSTMTagger(**dict(LSTM, constraints="BIO")).fit([["a", "b"]], [["O", "I-NP"]])


# ----------------------------------------------------------------------------- persistence
@pytest.mark.parametrize(
    "cls,params", [(BiLSTMTagger, LSTM), (TransformerTagger, dict(TRF, positional="learned", max_len=8))],
    ids=["bilstm", "transformer-learned-positions"],
)
def test_save_load_roundtrip(cls, params, toy_data, tmp_path):
    X, y = toy_data
    tagger = cls(**dict(params, max_epochs=3)).fit(X, y)
    path = tagger.save(tmp_path / "m")
    assert torch.load(path / "weights.pt", weights_only=True)  # plain tensors only
    cfg = json.loads((path / "seqtag.json").read_text())
    assert cfg["state"]["word_vocab"]["items"]
    loaded = seqtag.load(path)
    test = X[:10] + [["the", "unseenword", "runs"], ["the", "dog"] * 6]  # longer than max_len=8
    assert loaded.predict(test) == tagger.predict(test)
    sa, sb = tagger.net_.state_dict(), loaded.net_.state_dict()
    assert all(torch.equal(sa[k].cpu(), sb[k]) for k in sa)
    assert loaded.history_.equals(tagger.history_)
    assert loaded.best_epoch_ == tagger.best_epoch_


def test_load_rejects_bad_weights(toy_data, tmp_path):
    path = BiLSTMTagger(**dict(LSTM, max_epochs=1)).fit(*toy_data).save(tmp_path / "m")
    torch.save({"evil": object()}, path / "weights.pt")
    with pytest.raises(ModelFileError, match="refused"):
        seqtag.load(path)
    (path / "weights.pt").unlink()
    with pytest.raises(ModelFileError, match="weights.pt is missing"):
        seqtag.load(path)


# ----------------------------------------------------------------------------- embeddings
def test_read_glove_and_word2vec(tmp_path):
    glove = tmp_path / "glove.txt"
    glove.write_text("the 0.1 0.2 0.3\ndog 1 2 3\r\nnew york 4 5 6\nthe 9 9 9\n", encoding="utf-8")
    words, vec = read_embeddings(glove)
    assert words == ["the", "dog", "new york"]
    assert vec.dtype == np.float32 and vec.shape == (3, 3)
    np.testing.assert_allclose(vec[0], [0.1, 0.2, 0.3], rtol=1e-6)  # first duplicate wins
    w2v = tmp_path / "w2v.txt"
    w2v.write_text("2 3\nthe 0.1 0.2 0.3\ncat 1 1 1\n", encoding="utf-8")
    words, vec = read_embeddings(w2v, words=["The"])
    assert words == ["the"] and vec.shape == (1, 3)  # filter keeps lowercase forms too


def test_read_embeddings_errors(tmp_path):
    f = tmp_path / "v.txt"
    f.write_text("the 0.1 0.2 0.3\ndog 1 2\n")
    with pytest.raises(InputError, match=r"v.txt:2: vector has 2 values but the file's vectors have 3"):
        read_embeddings(f)
    f.write_text("the 0.1 0.2 0.3\n")
    with pytest.raises(InputError, match="vectors have 3 dimensions but dim=50"):
        read_embeddings(f, dim=50)
    f.write_text("2 4\nthe 0.1 0.2 0.3 0.4\n")
    with pytest.raises(InputError, match="header says vectors have 4 dimensions but dim=3"):
        read_embeddings(f, dim=3)
    f.write_text("the 0.1 abc\n")
    with pytest.raises(InputError, match="non-numeric"):
        read_embeddings(f)
    with pytest.raises(InputError, match="does not exist.*never downloads"):
        read_embeddings(tmp_path / "nope.txt")


def test_tagger_uses_pretrained_vectors(toy_data, tmp_path):
    f = tmp_path / "vec.txt"
    f.write_text("the " + " ".join(["0.5"] * 16) + "\nzebra " + " ".join(["-1"] * 16) + "\n")
    X, y = toy_data
    X = [[w.capitalize() if i == 0 else w for i, w in enumerate(s)] for s in X]
    tagger = BiLSTMTagger(**dict(LSTM, max_epochs=1, embeddings_path=str(f)))
    tagger.fit(X, y)
    assert tagger.n_pretrained_ >= 3  # "the", "The" (lowercase fallback) and "zebra"
    assert "zebra" in tagger.word_vocab_  # file words join the vocabulary
    m, n = embedding_matrix(Vocab(["The"]), ["the"], np.full((1, 2), 0.5, np.float32), np.random.default_rng(0))
    assert n == 1 and m[2].tolist() == [0.5, 0.5] and m[0].tolist() == [0.0, 0.0]
    with pytest.raises(InputError, match="dimensions but dim=32"):
        BiLSTMTagger(**dict(LSTM, word_dim=32, embeddings_path=str(f))).fit(X, y)


# ----------------------------------------------------------------------------- data pieces
def test_vocab_and_batches():
    v = Vocab(["the", "Dog"], lowercase_fallback=True)
    assert v.encode(["The", "Dog", "dog", "cat"]) == [2, 3, 1, UNK_ID]
    assert Vocab.from_json(json.loads(json.dumps(v.to_json()))).itos == v.itos
    assert word_chars("abcdefghij", 4) == "abij"
    lengths = np.array([5, 1, 3, 9, 2, 7])
    sorted_batches = length_batches(lengths, 2, None)
    assert [lengths[b].tolist() for b in sorted_batches] == [[1, 2], [3, 5], [7, 9]]
    g = torch.Generator().manual_seed(0)
    shuffled = length_batches(lengths, 2, g)
    assert sorted(np.concatenate(shuffled).tolist()) == list(range(6))


def test_feature_column(toy_data):
    X, y = toy_data
    Xf = [[f"{w}|{t}" for w, t in zip(s, ts)] for s, ts in zip(X, y)]
    tagger = BiLSTMTagger(**dict(LSTM, word_dim=0, char_encoder=None, feature_sep="|")).fit(Xf, y)
    assert tagger.score(Xf, y) == 1.0  # the feature alone identifies the tag
    with pytest.raises(InputError, match=r"X\[0\]\[1\] = 'cat' has no feature"):
        tagger.predict([["the|DT", "cat"]])


def test_validation_split_and_no_mutation(toy_data):
    X, y = toy_data
    before = [list(s) for s in X]
    a = BiLSTMTagger(**dict(LSTM, max_epochs=2, validation_fraction=0.25)).fit(X, y)
    assert X == before
    assert a.history_["dev_accuracy"].notna().all()
    b = BiLSTMTagger(**dict(LSTM, max_epochs=2, validation_fraction=0.0)).fit(X, y)
    assert b.history_["dev_accuracy"].isna().all() and b.best_epoch_ == 2


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "cls,params,match",
    [
        (BiLSTMTagger, {"head": "crf2"}, r"head must be one of \['softmax', 'crf'\], got 'crf2'"),
        (BiLSTMTagger, {"char_encoder": "gru"}, "char_encoder must be one of"),
        (BiLSTMTagger, {"dropout": 1.0}, r"dropout must be a number in \[0.0, 1.0\)"),
        (BiLSTMTagger, {"hidden_size": 0}, "hidden_size must be an int >= 1"),
        (BiLSTMTagger, {"max_epochs": 2.5}, "max_epochs must be an int"),
        (BiLSTMTagger, {"lr": 0.0}, "lr must be > 0"),
        (BiLSTMTagger, {"schedule": "step"}, "schedule must be one of"),
        (BiLSTMTagger, {"constraints": "BILOU"}, "constraints must be one of"),
        (BiLSTMTagger, {"word_dim": 0, "char_encoder": None}, "the tagger has no input"),
        (BiLSTMTagger, {"device": "tpu"}, "device must be"),
        (BiLSTMTagger, {"random_state": "seed"}, "random_state must be"),
        (BiLSTMTagger, {"embeddings_path": "/nonexistent/glove.txt"}, "does not exist"),
        (TransformerTagger, {"d_model": 10, "nhead": 3}, "divisible by nhead"),
        (TransformerTagger, {"positional": "rotary"}, "positional must be one of"),
    ],
)
def test_bad_params(cls, params, match, toy_data):
    base = LSTM if cls is BiLSTMTagger else TRF
    with pytest.raises(InputError, match=match):
        cls(**{**base, **params}).fit(*toy_data)


def test_bad_fit_arguments(toy_data):
    X, y = toy_data
    tagger = BiLSTMTagger(**LSTM)
    with pytest.raises(InputError, match="both X_dev and y_dev"):
        tagger.fit(X, y, X_dev=X)
    with pytest.raises(InputError, match=r"only X_dev and y_dev .* got \['features'\]"):
        tagger.fit(X, y, features=X)
    with pytest.raises(InputError, match=r"X\[0\] has 1 tokens but y\[0\] has 2 tags"):
        tagger.fit(X, y, X_dev=[["a"]], y_dev=[["DT", "NN"]])
