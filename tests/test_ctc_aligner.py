"""CTC acoustic model + aligner: training lowers the loss, spans are well formed, persistence, errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("espeakng_loader")

import seqtag  # noqa: E402
from seqtag.align import AlignmentResult, CTCAligner, align_emissions  # noqa: E402
from seqtag.align.formats import read_ctm, read_json  # noqa: E402
from seqtag.align.tokenizers import CharTokenizer, PhoneTokenizer, tokenizer_from_config  # noqa: E402
from seqtag.corpora.synthetic import generate_synthetic  # noqa: E402
from seqtag.exceptions import InputError, ModelFileError, NotFittedError  # noqa: E402
from seqtag.intervals import read_textgrid  # noqa: E402

from .conftest import SPEECH_TEXTS  # noqa: E402

TEXTS = SPEECH_TEXTS
TINY = {"hidden": 24, "channels": 24, "layers": 1}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    corpus = generate_synthetic(6, "train", seed=0, cache_dir=tmp_path_factory.mktemp("syn"), texts=TEXTS)
    aligner = CTCAligner(model_params=TINY, epochs=12, batch_size=3, lr=5e-3, random_state=0).fit(corpus)
    return aligner, corpus


def check_words(result: AlignmentResult, transcript: str):
    words = transcript.split()
    assert [w.label for w in result.words] == words
    prev = 0.0
    for w in result.words:
        assert prev - 1e-9 <= w.start <= w.end <= result.duration + 1e-9
        assert 0.0 <= w.score <= 1.0
        prev = w.end
    assert [u.label for u in result.units] == list("".join(words))
    for u in result.units:
        assert any(w.start - 1e-9 <= u.start <= u.end <= w.end + 1e-9 for w in result.words)


def test_training_lowers_the_loss_and_aligns(trained):
    aligner, corpus = trained
    h = aligner.history_
    assert len(h) == 12 and all(math.isfinite(x) for x in h)
    assert h[-1] < 0.5 * h[0]
    # calibrated on reference words; the constructor's shifts stay as the user left them
    assert aligner.start_shift_ is not None and aligner.end_shift_ is not None
    assert aligner.start_shift is None and aligner.end_shift is None
    for u in corpus[:3]:
        check_words(aligner.align(u.audio_path, u.transcript), u.transcript)
    audio, sr = corpus[0].load_audio(sr=8000)  # arrays at another rate are resampled
    check_words(aligner.align(audio, corpus[0].transcript, sr=sr), corpus[0].transcript)
    report = aligner.evaluate(corpus[:2])
    assert report["n_boundaries"] == 2 * sum(len(u.words) for u in corpus[:2])


def test_training_is_deterministic_for_a_seed(trained, tmp_path):
    _, corpus = trained
    kw = dict(model_params=TINY, epochs=2, batch_size=3, random_state=3, calibrate=False)
    a = CTCAligner(**kw).fit(corpus[:3])
    b = CTCAligner(**kw).fit(corpus[:3])
    assert a.start_shift_ is None and a.end_shift_ is None  # calibrate=False
    assert a.history_ == b.history_
    assert np.array_equal(a.emissions(corpus[0].audio_path), b.emissions(corpus[0].audio_path))


def test_save_load_gives_identical_output(trained, tmp_path):
    aligner, corpus = trained
    folder = aligner.save(tmp_path / "model")
    assert sorted(p.name for p in folder.iterdir()) == ["arrays.npz", "seqtag.json", "weights.pt"]
    loaded = seqtag.load(folder)
    assert type(loaded) is CTCAligner and loaded.get_params() == aligner.get_params()
    assert (loaded.start_shift_, loaded.end_shift_) == (aligner.start_shift_, aligner.end_shift_)
    assert loaded.history_ == aligner.history_
    u = corpus[1]
    assert np.array_equal(loaded.emissions(u.audio_path), aligner.emissions(u.audio_path))
    assert loaded.align(u.audio_path, u.transcript).words == aligner.align(u.audio_path, u.transcript).words
    assert loaded.tokenizer_.vocab == aligner.tokenizer_.vocab
    (tmp_path / "bad").mkdir()
    with pytest.raises(ModelFileError, match="is not a saved seqtag model: seqtag.json is missing"):
        seqtag.load(tmp_path / "bad")
    cfg = json.loads((folder / "seqtag.json").read_text())
    assert (cfg["kind"], cfg["class"]) == ("aligner", "CTCAligner")
    cfg["params"]["units"] = "words"
    (folder / "seqtag.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelFileError, match="has parameters CTCAligner does not accept: units must be"):
        seqtag.load(folder)
    (folder / "weights.pt").unlink()
    cfg["params"]["units"] = "chars"
    (folder / "seqtag.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelFileError, match="weights.pt is missing"):
        seqtag.load(folder)
    (folder / "seqtag.json").write_text("{not json")
    with pytest.raises(ModelFileError, match=r"is corrupt \(not valid JSON\)"):
        seqtag.load(folder)


def test_alignment_errors(trained):
    aligner, corpus = trained
    u = corpus[0]
    with pytest.raises(InputError, match="transcript is empty"):
        aligner.align(u.audio_path, "   ")
    with pytest.raises(InputError, match="not in the model's vocabulary"):
        aligner.align(u.audio_path, "the cat sat 42 times")
    with pytest.raises(InputError, match="too short for the transcript"):
        aligner.align(np.zeros(800, dtype=np.float32), "the cat sat on the mat and the dog", sr=16000)
    with pytest.raises(InputError, match="pass sr="):
        aligner.align(np.zeros(16000, dtype=np.float32), "the cat")
    with pytest.raises(NotFittedError):
        CTCAligner().align(u.audio_path, "the cat")


def test_result_writers_round_trip(trained, tmp_path):
    aligner, corpus = trained
    u = corpus[2]
    r = aligner.align(u.audio_path, u.transcript)
    r.write(tmp_path / "out.TextGrid")
    r.write(tmp_path / "out.json")
    r.write(tmp_path / "out.ctm", utt_id="u2")
    tg = read_textgrid(tmp_path / "out.TextGrid")
    assert [w.label for w in tg["words"]] == [w.label for w in r.words if w.end > w.start]
    assert read_json(tmp_path / "out.json")["words"] == r.words
    assert [w.label for w in read_ctm(tmp_path / "out.ctm")["u2"]] == [w.label for w in r.words]
    with pytest.raises(InputError, match="TextGrid, .ctm or .json"):
        r.write(tmp_path / "out.txt")


def test_align_emissions_on_handmade_emissions():
    vocab = ["<b>", "|", "a", "b", "c"]
    T = 20
    lp = np.full((T, len(vocab)), np.log(0.01))
    lp[:, 0] = np.log(0.9)
    for t, c in ((3, 2), (4, 3), (9, 1), (12, 4), (13, 2)):  # "ab" | "ca"
        lp[t] = np.log(0.01)
        lp[t, c] = np.log(0.96)
    lp -= np.log(np.exp(lp).sum(axis=1, keepdims=True))
    r = align_emissions(lp, "ab ca", vocab, 0.01, word_sep="|", start_shift=0.0, end_shift=0.02)
    assert [(w.label, w.start, w.end) for w in r.words] == [("ab", 0.03, 0.07), ("ca", 0.12, 0.16)]
    assert [(u.label, u.start, u.end) for u in r.units] == [("a", 0.03, 0.04), ("b", 0.04, 0.07), ("c", 0.12, 0.13), ("a", 0.13, 0.16)]
    # the end shift never pushes a word past the next word's start
    r2 = align_emissions(lp, "ab ca", vocab, 0.01, start_shift=0.0, end_shift=0.5)
    assert r2.words[0].end == r2.words[1].start == 0.12 and r2.words[1].end == 0.2
    # torch input and upper-case vocabularies (wav2vec2 style) work too
    r3 = align_emissions(torch.from_numpy(lp), "AB CA", [v.upper() for v in vocab], 0.01, start_shift=0.0, end_shift=0.0)
    assert [w.start for w in r3.words] == [0.03, 0.12]
    with pytest.raises(InputError, match="not in the vocabulary"):
        align_emissions(lp, "abd", vocab, 0.01)
    with pytest.raises(InputError, match="match vocab"):
        align_emissions(lp[:, :3], "ab", vocab, 0.01)
    with pytest.raises(InputError, match="too short"):
        align_emissions(lp[:3], "ab ca", vocab, 0.01)


@pytest.mark.parametrize("start_shift, end_shift", [(-1.0, -1.0), (0.5, 0.5), (-0.05, 0.3), (0.0, 0.0)])
def test_shifts_never_lose_a_word(start_shift, end_shift):
    """Large calibrated shifts (an undertrained model) must not collapse words to nothing."""
    rng = np.random.default_rng(3)
    vocab = ["<b>", "a", "b", "c"]
    lp = np.log(rng.dirichlet(np.ones(4), size=40))
    transcript = "ab c a bc"
    r = align_emissions(lp, transcript, vocab, 0.01, start_shift=start_shift, end_shift=end_shift)
    assert [w.label for w in r.words] == transcript.split()
    prev = 0.0
    for w, n in zip(r.words, [2, 1, 1, 2]):
        assert w.start >= prev - 1e-9 and w.end - w.start >= n * 0.01 - 1e-9
        prev = w.end
    assert r.words[-1].end <= 0.4 + 1e-9
    assert [u.label for u in r.units] == list("abcabc")
    assert all(u.end - u.start >= 0.01 - 1e-9 for u in r.units)
    for a, b in zip(r.units, r.units[1:]):
        assert b.start >= a.end - 1e-9


def test_char_tokenizer():
    tok = CharTokenizer.from_transcripts(["ab ba", "c"], word_sep=True)
    assert tok.vocab == ["<b>", "|", "'", "a", "b", "c"]
    ids, lengths = tok.encode("ab c")
    assert ids == [3, 4, 1, 5] and lengths == [2, 1]
    assert tokenizer_from_config(tok.get_config()).vocab == tok.vocab
    with pytest.raises(InputError, match="empty"):
        tok.encode("")
    with pytest.raises(InputError, match="not in the model's vocabulary"):
        tok.encode("abz")


def test_phone_tokenizer():
    pytest.importorskip("nltk")
    from seqtag.exceptions import CorpusNotFoundError

    try:
        tok = PhoneTokenizer(word_sep=False, lexicon={"seqtag": ["S", "EH", "K", "T", "AE", "G"]})
    except CorpusNotFoundError:
        pytest.skip("NLTK cmudict not available (set NLTK_DATA)")
    assert tok.units("cat") == ["K", "AE", "T"] and len(tok.symbols) == 39
    ids, lengths = tok.encode("the seqtag")
    assert lengths == [2, 6] and all(i > 0 for i in ids)
    assert tokenizer_from_config(tok.get_config()).units("seqtag") == ["S", "EH", "K", "T", "AE", "G"]
    with pytest.raises(InputError, match="not in CMUdict"):
        tok.encode("qwxzzy")


def test_cli_train_and_align(trained, tmp_path, monkeypatch):
    import soundfile as sf

    import seqtag.cli as cli

    aligner, corpus = trained
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("seqtag.align.cli",))
    data = tmp_path / "data"
    data.mkdir()
    for u in corpus[:3]:
        audio, sr = u.load_audio()
        sf.write(data / f"{u.id}.wav", audio, sr)
        (data / f"{u.id}.txt").write_text(u.transcript)
    model = tmp_path / "model"
    assert cli.main(["train-aligner", "--corpus", str(data), "--epochs", "1", "--hidden", "8", "--layers", "1",
                     "--batch-size", "3", "-o", str(model)]) == 0
    u = corpus[0]
    transcript = tmp_path / "t.txt"
    transcript.write_text(u.transcript.upper())
    assert cli.main(["align", u.audio_path, str(transcript), "--model", str(model), "-o", str(tmp_path / "o.json")]) == 0
    assert [w.label for w in read_json(tmp_path / "o.json")["words"]] == u.transcript.split()
    assert cli.main(["align", u.audio_path, "the cat", "--model", str(tmp_path / "nope"), "-o", str(tmp_path / "o.ctm")]) == 2
