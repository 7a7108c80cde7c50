"""Attention aligner: the network's score types, training, monotonic extraction, persistence, errors, plots."""

from __future__ import annotations

import copy
import json
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("espeakng_loader")

import seqtag  # noqa: E402
from seqtag.align import AlignmentResult, CTCAligner  # noqa: E402
from seqtag.align.aligners._attention_net import SCORES, AttentionNet  # noqa: E402
from seqtag.align.aligners.attention import AttentionAligner, train_attention  # noqa: E402
from seqtag.align.formats import read_json  # noqa: E402
from seqtag.align.monotonic import path_bounds  # noqa: E402
from seqtag.align.plots import plot_alignment, plot_alignments  # noqa: E402
from seqtag.corpora.synthetic import generate_synthetic  # noqa: E402
from seqtag.exceptions import InputError, ModelFileError, NotFittedError  # noqa: E402

from .conftest import SPEECH_TEXTS  # noqa: E402

TINY = {"hidden": 24, "channels": 24, "layers": 1, "att_dim": 24, "dec_hidden": 32, "embed": 16, "filters": 4,
        "kernel": 11}
EPOCHS = 16
CTC_TINY = {"hidden": 8, "channels": 8, "layers": 1}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return generate_synthetic(6, "train", seed=0, cache_dir=tmp_path_factory.mktemp("syn"), texts=SPEECH_TEXTS)


@pytest.fixture(scope="module")
def trained(corpus):
    aligner = AttentionAligner(model_params=TINY, ctc_warmup=2, epochs=EPOCHS, batch_size=2, lr=8e-3,
                               random_state=0).fit(corpus)
    return aligner


def check_result(result: AlignmentResult, transcript: str):
    words = transcript.split()
    assert [w.label for w in result.words] == words
    prev = 0.0
    for w in result.words:
        assert prev - 1e-9 <= w.start <= w.end <= result.duration + 1e-9 and 0.0 <= w.score <= 1.0
        prev = w.end
    assert [u.label for u in result.units] == list("".join(words))
    path = result.raw["path"]
    L = len("".join(words))
    assert result.raw["attention"].shape == (L, path.size)
    assert np.all(np.diff(path[path >= 0]) >= 0)  # monotonic, every character at least one frame
    starts, ends = path_bounds(path, L)
    assert np.all(ends > starts) and np.all(starts[1:] >= ends[:-1])


@pytest.mark.parametrize("score", SCORES)
@pytest.mark.parametrize("encoder", ["lstm", "transformer"])
def test_every_score_type_gives_normalised_masked_attention(score, encoder):
    torch.manual_seed(0)
    net = AttentionNet(7, score=score, encoder=encoder, heads=2, **TINY)
    feats, lengths = torch.randn(2, 31, 40), torch.tensor([31, 17])
    out = net(feats, lengths, torch.tensor([[1, 2, 3, 4], [5, 6, 0, 0]]), torch.tensor([4, 2]))
    att = out["attention"]  # (batch, steps, heads, frames)
    assert att.shape == (2, 5, 2 if score == "multihead" else 1, 16)
    assert torch.allclose(att.sum(-1), torch.ones(att.shape[:-1]))
    assert float(att[1, :, :, 9:].detach().abs().max()) == 0.0  # padding frames of the shorter utterance get nothing
    assert out["lengths"].tolist() == [16, 9] and out["logits"].shape == (2, 5, 7)
    (out["logits"].logsumexp(-1).sum() + out["ctc"].sum()).backward()
    assert all(p.grad is not None for n, p in net.named_parameters() if "attend" in n)


def test_network_config_errors():
    with pytest.raises(InputError, match="score must be one of"):
        AttentionNet(5, score="cosine")
    with pytest.raises(InputError, match="stride must be 1 or 2"):
        AttentionNet(5, stride=4)
    with pytest.raises(InputError, match="divisible by heads"):
        AttentionNet(5, score="multihead", heads=3, att_dim=16, hidden=8)
    with pytest.raises(InputError, match="odd number"):
        AttentionNet(5, kernel=4)


def test_training_lowers_the_loss_and_yields_monotonic_paths(trained, corpus):
    h = trained.history_
    assert len(h) == EPOCHS and all(math.isfinite(x) for x in h)
    assert h[-1] < 0.6 * h[0]
    assert trained.loss_parts_["ce"][-1] < 0.6 * trained.loss_parts_["ce"][0]
    # calibrated on reference words; the constructor's shifts stay as the user left them
    assert trained.start_shift_ is not None and trained.end_shift_ is not None
    assert trained.start_shift is None and trained.end_shift is None
    for u in corpus[:3]:
        check_result(trained.align(u.audio_path, u.transcript), u.transcript)
    audio, sr = corpus[0].load_audio(sr=8000)  # arrays at another rate are resampled
    check_result(trained.align(audio, corpus[0].transcript, sr=sr), corpus[0].transcript)
    att = trained.attention(corpus[1].audio_path, corpus[1].transcript)
    assert np.allclose(att.sum(1), 1.0)
    report = trained.evaluate(corpus[:2])
    ctc = CTCAligner(model_params=CTC_TINY, epochs=1, calibrate=False).fit(corpus[:1])
    assert set(report) == set(ctc.evaluate(corpus[:1]))  # same report as the CTC aligner
    assert report["n_boundaries"] == 2 * sum(len(u.words) for u in corpus[:2])
    assert trained.emissions(corpus[0].audio_path).shape[1] == len(trained.tokenizer_.vocab)


def test_training_is_deterministic_for_a_seed(corpus):
    kw = {"model_params": TINY, "epochs": 2, "batch_size": 3, "random_state": 3, "calibrate": False}
    a = AttentionAligner(**kw).fit(corpus[:3])
    b = AttentionAligner(**kw).fit(corpus[:3])
    assert a.start_shift_ is None and a.end_shift_ is None  # calibrate=False
    assert a.history_ == b.history_
    u = corpus[0]
    assert np.array_equal(a.attention(u.audio_path, u.transcript), b.attention(u.audio_path, u.transcript))


def test_speed_perturbation_draws_the_variants_and_is_deterministic(corpus, monkeypatch):
    import seqtag.align.aligners.attention as att_mod

    seen = []
    real_pad = att_mod._pad_batch

    def spy(feats, targets, idx):
        seen.extend(len(feats[j]) for j in idx)
        return real_pad(feats, targets, idx)

    monkeypatch.setattr(att_mod, "_pad_batch", spy)
    kw = {"model_params": TINY, "ctc_warmup": 0, "epochs": 4, "batch_size": 3, "random_state": 1,
          "calibrate": False}
    a = AttentionAligner(**kw, speed_perturb=[0.8, 1.25]).fit(corpus[:3])
    # 0.8 makes 1.25x as many frames, 1.25 makes 0.8x: all three versions of utterances were drawn
    from seqtag.align.aligners._ctc_net import features

    lengths = {len(features(u.load_audio(16000)[0], a._features)) for u in corpus[:3]}
    assert lengths < set(seen) and max(seen) > 1.2 * max(lengths) and min(seen) < 0.85 * min(lengths)
    b = AttentionAligner(**kw, speed_perturb=[0.8, 1.25]).fit(corpus[:3])
    assert a.history_ == b.history_
    with pytest.raises(InputError, match=r"speed_perturb factors must be numbers between 0.5 and 2.0 "
                                         r"\(e.g. \[0.9, 1.1\]\), got \[3\]"):
        AttentionAligner(**kw, speed_perturb=[3]).fit(corpus[:1])
    net = AttentionNet(5, **TINY)
    with pytest.raises(InputError, match="variants must hold one list per utterance"):
        train_attention(net, [np.zeros((40, 40), dtype=np.float32)], [[1, 2]], variants=[])


def test_pause_threshold_none_assigns_every_frame_and_word_sep(trained, corpus):
    u = corpus[2]
    dense = copy.deepcopy(trained).set_params(pause_threshold=None, eos_row=False)
    assert np.all(dense.align(u.audio_path, u.transcript).raw["path"] >= 0)
    path = copy.deepcopy(trained).set_params(pause_threshold=None).align(u.audio_path, u.transcript).raw["path"]
    n_eos = int(np.sum(path < 0))  # with the <eos> row, only trailing frames are left to <eos>
    assert n_eos >= 1 and np.all(path[-n_eos:] < 0) and np.all(path[:-n_eos] >= 0)
    assert trained.pause_threshold == 0.01 and trained.eos_row  # the copies changed, not the trained aligner
    sep = AttentionAligner(model_params=TINY, word_sep=True, ctc_warmup=0, ctc_prior=0.5, epochs=1, calibrate=False)
    sep.fit(corpus[:2])
    r = sep.align(u.audio_path, u.transcript)
    assert [w.label for w in r.words] == u.transcript.split()
    ids = sep.tokenizer_.encode(u.transcript)[0]
    assert r.raw["attention"].shape[0] == len(ids) and ids.count(sep.tokenizer_.index["|"]) == len(r.words) - 1
    assert [x.label for x in r.units] == list(u.transcript.replace(" ", ""))  # separators are no units


def test_save_load_gives_identical_output(trained, corpus, tmp_path):
    folder = trained.save(tmp_path / "model")
    doc = json.loads((folder / "seqtag.json").read_text())
    assert (doc["kind"], doc["class"]) == ("aligner", "AttentionAligner")
    assert doc["state"]["model"]["score"] == "additive"
    loaded = seqtag.load(folder)
    assert type(loaded) is AttentionAligner and loaded.get_params() == trained.get_params()
    assert loaded.history_ == trained.history_ and loaded.loss_parts_ == trained.loss_parts_
    u = corpus[1]
    assert np.array_equal(loaded.attention(u.audio_path, u.transcript), trained.attention(u.audio_path, u.transcript))
    assert loaded.align(u.audio_path, u.transcript).words == trained.align(u.audio_path, u.transcript).words
    assert (loaded.start_shift_, loaded.end_shift_, loaded.pause_threshold) == \
        (trained.start_shift_, trained.end_shift_, trained.pause_threshold)


def test_load_rejects_missing_corrupt_and_foreign_folders(trained, corpus, tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelFileError, match="is not a saved seqtag model: seqtag.json is missing"):
        seqtag.load(tmp_path / "empty")
    # seqtag.load dispatches on the saved class; a folder claiming another class is refused
    ctc = CTCAligner(model_params=CTC_TINY, epochs=1, calibrate=False).fit(corpus[:1])
    assert type(seqtag.load(ctc.save(tmp_path / "ctc"))) is CTCAligner
    foreign = trained.save(tmp_path / "att")
    doc = json.loads((foreign / "seqtag.json").read_text())
    doc["class"] = "CTCAligner"
    (foreign / "seqtag.json").write_text(json.dumps(doc))
    with pytest.raises(ModelFileError, match="has parameters CTCAligner does not accept"):
        seqtag.load(foreign)
    doc["class"] = "Attention"
    (foreign / "seqtag.json").write_text(json.dumps(doc))
    with pytest.raises(ModelFileError, match="names an unknown model class 'Attention'"):
        seqtag.load(foreign)
    bad = trained.save(tmp_path / "garbage")
    (bad / "weights.pt").write_bytes(b"not a state dict")
    with pytest.raises(ModelFileError, match="weights.pt is corrupt"):
        seqtag.load(bad)
    (bad / "weights.pt").unlink()
    with pytest.raises(ModelFileError, match="weights.pt is missing"):
        seqtag.load(bad)
    other = trained.save(tmp_path / "other")
    doc = json.loads((other / "seqtag.json").read_text())
    doc["state"]["model"]["hidden"] = 12  # weights no longer fit the configuration
    (other / "seqtag.json").write_text(json.dumps(doc))
    with pytest.raises(ModelFileError, match="is corrupt: RuntimeError"):
        seqtag.load(other)
    del doc["state"]["tokenizer"]
    (other / "seqtag.json").write_text(json.dumps(doc))
    with pytest.raises(ModelFileError, match="is corrupt: KeyError"):
        seqtag.load(other)
    (other / "seqtag.json").write_text("{not json")
    with pytest.raises(ModelFileError, match=r"is corrupt \(not valid JSON\)"):
        seqtag.load(other)


def test_alignment_errors(trained, corpus):
    u = corpus[0]
    with pytest.raises(InputError, match=r"too short for the transcript: T = 13 frames \(0.25 s at 20 ms\).*L = 29 characters.*stride=1"):
        trained.align(np.zeros(4000, dtype=np.float32), "the cat sat on the mat and the dog ran", sr=16000)
    with pytest.raises(InputError, match="transcript is empty"):
        trained.align(u.audio_path, "   ")
    with pytest.raises(InputError, match="not in the model's vocabulary"):
        trained.align(u.audio_path, "the cat sat 42 times")
    with pytest.raises(InputError, match="pass sr="):
        trained.align(np.zeros(16000, dtype=np.float32), "the cat")
    with pytest.raises(NotFittedError, match="AttentionAligner"):
        AttentionAligner().align(u.audio_path, "the cat")
    with pytest.raises(InputError, match="fit needs at least one utterance"):
        AttentionAligner().fit([])


def test_train_attention_errors():
    net = AttentionNet(5, **TINY)
    feats = [np.zeros((20, 40), dtype=np.float32)]
    with pytest.raises(InputError, match="ctc_weight"):
        train_attention(net, feats, [[1, 2]], ctc_weight=1.5)
    with pytest.raises(InputError, match="10 encoder frames cannot hold its 12 characters"):
        train_attention(net, feats, [[1, 2, 3] * 4], epochs=1)
    with pytest.raises(InputError, match="as many feature arrays"):
        train_attention(net, feats, [])


def test_result_writers_and_plots(trained, corpus, tmp_path):
    u = corpus[2]
    r = trained.align(u.audio_path, u.transcript)
    r.write(tmp_path / "out.json")
    assert read_json(tmp_path / "out.json")["words"] == r.words
    png = plot_alignment(r, u.audio_path, out_png=tmp_path / "att.png", title=u.transcript)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    png = plot_alignment(r.raw["attention"], path=r.raw["path"], out_png=tmp_path / "m.png")
    assert png.stat().st_size > 1000
    audio, sr = u.load_audio()
    png = plot_alignments(audio, sr, {"attention": r, "shifted": [w for w in r.words]}, tmp_path / "cmp.png",
                          reference=u.words)
    assert png.read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(InputError, match="one entry per frame"):
        plot_alignment(r.raw["attention"], path=np.zeros(3, dtype=int), out_png=tmp_path / "x.png")
    with pytest.raises(InputError, match="no attention matrix"):
        plot_alignment(AlignmentResult(r.words, r.units, r.duration, r.frame_shift, r.score), out_png=tmp_path / "y.png")
    with pytest.raises(InputError, match="non-empty dict"):
        plot_alignments(audio, sr, {}, tmp_path / "z.png")
