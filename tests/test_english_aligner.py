"""The pretrained English aligner: real transcripts, exact search, confidence, adaptation, errors."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("soundfile")

from seqtag.exceptions import InputError, ModelFileError  # noqa: E402

from .conftest import SPEECH_TEXTS  # noqa: E402


@pytest.fixture(scope="module")
def english():
    from seqtag.align.aligners.english import EnglishAligner
    from seqtag.align.sphinx.model import find_model_dir

    try:
        find_model_dir()
    except ModelFileError:
        pytest.skip("PocketSphinx's en-us model is not installed (pip install pocketsphinx)")
    return EnglishAligner()


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    from seqtag.corpora.synthetic import generate_synthetic

    return generate_synthetic(6, "test", seed=1, cache_dir=tmp_path_factory.mktemp("syn"), texts=SPEECH_TEXTS)


def _mfa_file(stem: str):
    root = os.environ.get("SEQTAG_DATA")
    folder = Path(root) / "mfa_test_speech" if root else None
    if folder is None or not folder.is_dir():
        pytest.skip("../shared/corpora/mfa_test_speech is not here")
    from seqtag.corpora import read_speech_folder

    return next(u for u in read_speech_folder(folder) if u.id == stem)


def test_aligns_unseen_synthetic_voices_to_their_exact_boundaries(english, speech):
    from seqtag.metrics import pooled_boundary_report

    results = english.align_batch(speech)
    report = pooled_boundary_report([u.words for u in speech], [r.words for r in results])
    # an unseen voice, a model trained on real speech: most boundaries land within 50 ms
    assert report["within_50ms"] >= 80, report
    assert report["mean_abs_ms"] <= 45, report
    for u, r in zip(speech, results):
        assert [p.label for p in r.units] and r.unit_kind == "phones"
        assert r.score > english.min_confidence and not r.warnings


def test_real_recording_agrees_with_mfa(english):
    from seqtag.comparison.mfa import matched_words
    from seqtag.metrics import boundary_errors

    u = _mfa_file("acoustic_corpus")
    result = english.align(u.audio_path, u.transcript)
    ref, hyp = matched_words(u.meta["textgrid_words"], result.words)
    err = np.abs(boundary_errors(ref, hyp)) * 1000
    assert len(ref) >= 55
    assert np.mean(err <= 50) >= 0.8 and np.median(err) <= 20


def test_labels_keep_the_transcript_as_written(english, speech):
    u = speech[0]
    words = u.transcript.split()
    written = f"“{words[0].capitalize()},” " + " ".join(words[1:]) + "!"
    result = english.align(u.audio_path, written)
    assert [w.label for w in result.words] == written.split()
    plain = english.align(u.audio_path, u.transcript)
    assert [(w.start, w.end) for w in result.words] == [(w.start, w.end) for w in plain.words]


def test_noise_tokens_fillers_and_unknown_words(english, speech):
    u = speech[0]
    result = english.align(u.audio_path, "[laughter] " + u.transcript + " um")
    assert result.words[0].label == "[laughter]" and result.words[-1].label == "um"
    assert result.units[0].label == "+SPN+" and result.units[-1].label == "+SPN+"
    tokens, prons, free = english.pronunciations("the zorbleflax 42 well-known <noise>")
    assert [t.kind for t in tokens] == ["word", "word", "word", "word", "noise"]
    assert prons[1] and prons[2] and free == [False, False, False, False, True]  # G2P for OOV words and numbers
    assert prons[3] == prons[3] and prons[4] == ["+NSN+"]
    from seqtag.align.aligners.english import EnglishAligner

    with pytest.raises(InputError, match="zorbleflax"):
        EnglishAligner(g2p=False).pronunciations("the zorbleflax")


def test_too_long_transcript_names_the_word_where_it_stops_fitting(english, speech):
    from seqtag.audio import load

    u = speech[0]
    x, sr = load(u.audio_path)
    words = u.transcript.split() * 30
    with pytest.raises(InputError, match=r"stops fitting at word \d+, '") as err:
        english.align(x[: sr // 2], " ".join(words), sr=sr)
    assert "0.50 s" in str(err.value) or "frames" in str(err.value)


def test_confidence_falls_for_a_wrong_transcript_and_for_silence(english, speech):
    right = [english.align(u.audio_path, u.transcript).score for u in speech[:4]]
    wrong = [english.align(u.audio_path, v.transcript).score for u, v in zip(speech[:4], speech[1:5])
             if u.transcript != v.transcript]
    assert min(right) > max(wrong)
    silence = english.align(np.zeros(16000 * 3, dtype=np.float32), "the cat sat on the mat", sr=16000)
    assert silence.score < english.min_confidence and silence.warnings
    assert "low confidence" in silence.warnings[0]


def test_full_and_banded_search_agree(english, speech):
    from sklearn.base import clone

    u = speech[2]
    exact = english.align(u.audio_path, u.transcript)
    banded = clone(english).set_params(max_cells=1, band_s=2.0).align(u.audio_path, u.transcript)
    assert [(w.start, w.end) for w in banded.words] == [(w.start, w.end) for w in exact.words]


def test_adaptation_moves_the_means_and_survives_a_save(english, speech, tmp_path):
    import seqtag
    from sklearn.base import clone

    adapted = clone(english).set_params(adapt_iter=1).fit(speech[:3])
    model = adapted.sphinx_model()
    assert adapted.adapted_frames_ > 0
    moved = np.abs(adapted.means_ - model.means).max(axis=(1, 2, 3))
    assert (moved > 0).sum() >= 10  # the phones heard moved; MAP keeps the others at the prior
    loaded = seqtag.load(adapted.save(tmp_path / "adapted"))
    np.testing.assert_array_equal(loaded.means_, adapted.means_)
    u = speech[3]
    assert loaded.align(u.audio_path, u.transcript).words == adapted.align(u.audio_path, u.transcript).words


def test_bad_parameters(english):
    from seqtag.align.aligners.english import EnglishAligner

    for params, message in [({"fillers": "laugh"}, "fillers must be"), ({"topn": 0}, "topn must be"),
                            ({"sil_prob": 1.0}, "sil_prob must be"), ({"lexicon": {"a": "AH"}}, "lexicon must be")]:
        with pytest.raises(InputError, match=message):
            EnglishAligner(**params).align(np.zeros(1600), "a", sr=16000)
    with pytest.raises(ModelFileError, match="pip install pocketsphinx|not found|missing"):
        EnglishAligner(model="no-such-model").align(np.zeros(16000), "a", sr=16000)
