"""Neural taggers: recurrent cells, the unpacked bidirectional RNN, step budgets, old model files."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import seqtag
from seqtag.exceptions import InputError
from seqtag.neural.bilstm import BiLSTMTagger
from seqtag.neural.modules import CharLSTM, make_rnn, reverse_padded, run_birnn
from seqtag.neural.train import STEP_ROUNDS
from seqtag.neural.transformer import TransformerTagger
from tests.test_neural import LSTM, TRF, context_task

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _packed_reference(rnn, x, lengths):
    """torch's own bidirectional RNN over a packed batch (zeros at padding)."""
    packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out, _ = rnn(packed)
    return torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])[0]


def test_reverse_padded_reverses_within_length_and_is_its_own_inverse():
    x = torch.arange(12).reshape(3, 4)
    lengths = torch.tensor([4, 2, 1])
    assert reverse_padded(x, lengths).tolist() == [[3, 2, 1, 0], [5, 4, 6, 7], [8, 9, 10, 11]]
    y = torch.randn(3, 4, 5)
    assert torch.equal(reverse_padded(reverse_padded(y, lengths), lengths), y)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_run_birnn_equals_packed_rnn(cell, num_layers):
    torch.manual_seed(0)
    rnn = make_rnn(cell, 5, 4, num_layers=num_layers, dropout=0.3).eval()
    x = torch.randn(4, 7, 5, requires_grad=True)
    lengths = torch.tensor([7, 3, 1, 6])
    mask = torch.arange(7)[None] < lengths[:, None]  # (B, T)
    ref = _packed_reference(rnn, x, lengths)
    out = run_birnn(rnn, x, lengths)
    assert out.shape == ref.shape
    torch.testing.assert_close(out[mask], ref[mask], rtol=1e-5, atol=1e-6)
    with torch.no_grad():  # tagging takes torch's packed path: the same function
        torch.testing.assert_close(run_birnn(rnn, x, lengths)[mask], ref[mask], rtol=1e-5, atol=1e-6)
    # the same gradients reach the weights
    g_ref = torch.autograd.grad(ref[mask].sum(), list(rnn.parameters()))
    g_out = torch.autograd.grad(out[mask].sum(), list(rnn.parameters()))
    for a, b in zip(g_out, g_ref):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_char_lstm_gives_the_packed_final_states():
    torch.manual_seed(0)
    enc = CharLSTM(n_chars=12, char_dim=4, hidden=3)
    chars = torch.tensor([[2, 3, 4, 0], [5, 0, 0, 0], [6, 7, 8, 9]])
    lengths = (chars != 0).sum(1)
    packed = torch.nn.utils.rnn.pack_padded_sequence(enc.embed(chars), lengths, batch_first=True,
                                                     enforce_sorted=False)
    _, (h, _) = enc.lstm(packed)  # (2, U, hidden)
    torch.testing.assert_close(enc(chars), torch.cat([h[0], h[1]], 1))


@pytest.mark.parametrize("cell,cls", [("lstm", torch.nn.LSTM), ("gru", torch.nn.GRU), ("rnn", torch.nn.RNN)])
def test_each_cell_learns_the_context_task_and_round_trips(cell, cls, tmp_path):
    X, y = context_task(120, seed=1)
    Xt, yt = context_task(60, seed=2)
    tagger = BiLSTMTagger(**dict(LSTM, cell=cell, head="crf")).fit(X, y)
    assert type(tagger.net_.rnn) is cls
    assert tagger.net_config_["cell"] == cell
    assert tagger.score(Xt, yt) == 1.0
    loaded = seqtag.load(tagger.save(tmp_path / cell))
    assert loaded.cell == cell and type(loaded.net_.rnn) is cls
    assert loaded.predict(Xt) == tagger.predict(Xt)


def test_bad_cell_is_refused():
    X, y = context_task(10, seed=1)
    with pytest.raises(InputError, match=r"cell must be one of \['lstm', 'gru', 'rnn'\], got 'elman'"):
        BiLSTMTagger(**dict(LSTM, cell="elman")).fit(X, y)


@pytest.mark.parametrize("max_steps", [0, 2.5, True])
def test_bad_max_steps_is_refused(max_steps):
    X, y = context_task(10, seed=1)
    with pytest.raises(InputError, match="max_steps must be an int >= 1 or None"):
        BiLSTMTagger(**dict(LSTM, max_steps=max_steps)).fit(X, y)


@pytest.mark.parametrize("cls,params", [(BiLSTMTagger, LSTM), (TransformerTagger, TRF)], ids=["bilstm", "transformer"])
def test_step_budget_runs_exactly_max_steps_in_rounds(cls, params):
    X, y = context_task(40, seed=1)  # 36 training sentences, batch 8: 5 steps an epoch
    tagger = cls(**dict(params, max_steps=23, max_epochs=1, schedule="onecycle")).fit(X, y)
    h = tagger.history_
    per_round = -(-23 // STEP_ROUNDS)
    assert h["steps"].tolist() == [min(23, per_round * (r + 1)) for r in range(len(h))]
    assert h["steps"].iloc[-1] == 23  # max_epochs=1 (5 steps) is overridden
    assert h["lr"].iloc[-1] < 0.01 * params["lr"]  # the one-cycle schedule spans the budget
    assert tagger.best_epoch_ == int(h["epoch"][h["dev_accuracy"] == h["dev_accuracy"].max()].max())


def test_step_budget_trains_small_data_as_long_as_large_data():
    X, y = context_task(200, seed=1)
    small = BiLSTMTagger(**dict(LSTM, max_steps=30, validation_fraction=0)).fit(X[:20], y[:20])
    large = BiLSTMTagger(**dict(LSTM, max_steps=30, validation_fraction=0)).fit(X, y)
    assert small.history_["steps"].iloc[-1] == large.history_["steps"].iloc[-1] == 30
    by_epochs = BiLSTMTagger(**dict(LSTM, max_epochs=1, validation_fraction=0)).fit(X[:20], y[:20])
    assert by_epochs.history_["steps"].tolist() == [3]  # 20 sentences, batch 8


@pytest.mark.parametrize("cls,params", [(BiLSTMTagger, LSTM), (TransformerTagger, TRF)], ids=["bilstm", "transformer"])
def test_min_steps_adds_epochs_to_small_training_sets_only(cls, params):
    X, y = context_task(200, seed=1)
    base = dict(params, max_epochs=2, min_steps=12, validation_fraction=0)
    small = cls(**base).fit(X[:20], y[:20])  # 3 steps an epoch: 4 epochs reach 12 steps
    assert small.history_["steps"].tolist() == [3, 6, 9, 12]
    large = cls(**base).fit(X, y)  # 25 steps an epoch: max_epochs already gives more than 12
    assert large.history_["steps"].tolist() == [25, 50]
    with pytest.raises(InputError, match="min_steps must be an int >= 1 or None, got 0"):
        cls(**dict(base, min_steps=0)).fit(X, y)


@pytest.mark.parametrize("cls,params", [(BiLSTMTagger, LSTM), (TransformerTagger, TRF)], ids=["bilstm", "transformer"])
def test_restore_best_false_keeps_the_last_epochs_weights(cls, params, monkeypatch):
    import seqtag.neural.train as train_module

    X, y = context_task(60, seed=2)
    Xtr, ytr, Xdv, ydv = X[:40], y[:40], X[40:], y[40:]
    evals = []

    def dev_peaks_first(net, data, *args, **kwargs):  # dev accuracy 1 after epoch 1, then 0
        evals.append(len(evals))
        return list(data.tags) if len(evals) == 1 else [t + 1000 for t in data.tags]

    monkeypatch.setattr(train_module, "predict_ids", dev_peaks_first)
    base = dict(params, max_epochs=4, patience=None)
    plain = cls(**dict(base, validation_fraction=0)).fit(Xtr, ytr)  # no dev set: the last weights
    best = cls(**base).fit(Xtr, ytr, X_dev=Xdv, y_dev=ydv)
    assert best.best_epoch_ == 1 and best.history_["dev_accuracy"].tolist() == [1.0, 0.0, 0.0, 0.0]
    assert not all(torch.equal(a, b) for a, b in zip(best.net_.state_dict().values(),
                                                     plain.net_.state_dict().values()))
    evals.clear()
    last = cls(**dict(base, restore_best=False)).fit(Xtr, ytr, X_dev=Xdv, y_dev=ydv)
    assert last.best_epoch_ == 4 and last.history_["dev_accuracy"].tolist() == [1.0, 0.0, 0.0, 0.0]
    for (k, a), b in zip(last.net_.state_dict().items(), plain.net_.state_dict().values()):
        assert torch.equal(a, b), k
    with pytest.raises(InputError, match="restore_best must be True or False, got 1"):
        cls(**dict(base, restore_best=1)).fit(Xtr, ytr)


def _suffix_task(n, rng):
    ends = {"ing": "VBG", "ly": "RB", "ed": "VBD", "s": "NNS"}
    X, y = [], []
    for _ in range(n):
        picks = rng.choice(list(ends), size=4)
        X.append(["".join(rng.choice(list("bcdfgkmnprt"), size=4)) + e for e in picks])
        y.append([ends[e] for e in picks])
    return X, y


@pytest.mark.parametrize("cls", [BiLSTMTagger, TransformerTagger])
def test_affix_embeddings_tag_unseen_words_by_their_suffix(cls, tmp_path):
    rng = np.random.default_rng(0)
    X, y = _suffix_task(150, rng)
    Xt, yt = _suffix_task(30, rng)
    assert sum(w in {v for s in X for v in s} for s in Xt for w in s) < 10  # nearly every test word is new
    params = dict(word_dim=16, char_encoder=None, max_epochs=12, batch_size=8, lr=0.01, random_state=0,
                  verbose=False, device="cpu", validation_fraction=0)
    params.update(hidden_size=16) if cls is BiLSTMTagger else params.update(d_model=16, dim_feedforward=32)
    with_affixes = cls(affix_dim=8, **params).fit(X, y)
    without = cls(**params).fit(X, y)  # no characters, no affixes: an unseen word is just UNK
    assert with_affixes.score(Xt, yt) > 0.95 and without.score(Xt, yt) < 0.6
    assert cls(**dict(params, word_dim=0, affix_dim=8)).fit(X, y).score(Xt, yt) > 0.95  # affixes alone
    loaded = seqtag.load(with_affixes.save(tmp_path / "m"))
    assert loaded.affix_dim == 8 and loaded.predict(Xt) == with_affixes.predict(Xt)
    with pytest.raises(InputError, match="affix_dim must be an int >= 0, got -1"):
        cls(**dict(params, affix_dim=-1)).fit(X, y)


def test_model_saved_before_the_cell_option_loads(tmp_path):
    """Files of earlier versions: layer called ``lstm``, no ``cell``/``max_steps``, history without steps."""
    X, y = context_task(60, seed=1)
    tagger = BiLSTMTagger(**dict(LSTM, max_epochs=3)).fit(X, y)
    path = tagger.save(tmp_path / "m")
    weights = torch.load(path / "weights.pt", weights_only=True)
    torch.save({k.replace("rnn.", "lstm.", 1) if k.startswith("rnn.") else k: v for k, v in weights.items()},
               path / "weights.pt")
    cfg = json.loads((path / "seqtag.json").read_text())
    for key in ("cell", "max_steps", "min_steps", "affix_dim"):
        del cfg["params"][key]
    del cfg["state"]["net_config"]["cell"]
    for key in ("affix_dim", "n_affixes"):
        del cfg["state"]["net_config"][key]
    del cfg["state"]["affix_vocab"]
    del cfg["state"]["history"]["steps"]
    (path / "seqtag.json").write_text(json.dumps(cfg))
    loaded = seqtag.load(path)
    assert loaded.cell == "lstm" and loaded.max_steps is None
    assert loaded.predict(X) == tagger.predict(X)
    assert loaded.history_["steps"].isna().all()
    assert loaded.history_["train_loss"].tolist() == tagger.history_["train_loss"].tolist()


# ----------------------------------------------------------------------------- transformer conv_width
@pytest.mark.parametrize("causal", [False, True])
def test_conv_width_padding_never_leaks_and_causal_conv_sees_no_future(causal, tmp_path):
    X, y = context_task(60, seed=1)
    tagger = TransformerTagger(**dict(TRF, conv_width=3, causal=causal, head="softmax", max_epochs=3)).fit(X, y)
    assert tagger.net_.conv.kernel_size == (3,)
    sents = [["p", "x", "z"], ["q", "x"], ["p", "x", "z", "q", "x", "x", "p"]]
    batched = tagger.set_params(predict_batch_size=8).predict_marginals(sents)
    alone = tagger.set_params(predict_batch_size=1).predict_marginals(sents)
    for b, a in zip(batched, alone):
        np.testing.assert_allclose([list(m.values()) for m in b], [list(m.values()) for m in a], atol=1e-5)
    # the first two tags of "p x z ..." with other words after them
    pa, pb = ([[list(m.values()) for m in s][:2] for s in tagger.predict_marginals([sents[0], ["p", "x", "q", "q"]])])
    assert np.allclose(pa, pb, atol=1e-6) == causal
    loaded = seqtag.load(tagger.save(tmp_path / "m"))
    assert loaded.conv_width == 3 and loaded.predict(sents) == tagger.predict(sents)


@pytest.mark.parametrize("width", [2, -1, 1.5])
def test_bad_conv_width_is_refused(width):
    X, y = context_task(10, seed=1)
    with pytest.raises(InputError, match="conv_width must be"):
        TransformerTagger(**dict(TRF, conv_width=width)).fit(X, y)
