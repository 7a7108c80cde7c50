"""One contract for every aligner: fit -> align -> save -> load -> same alignment, as the taggers have."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from sklearn.base import clone

pytest.importorskip("soundfile")

import seqtag  # noqa: E402
from seqtag.align import AlignmentResult  # noqa: E402
from seqtag.exceptions import InputError, ModelFileError, NotFittedError  # noqa: E402

from .aligner_contract import CONTRACT_ALIGNERS  # noqa: E402
from .conftest import SPEECH_TEXTS  # noqa: E402


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    from seqtag.corpora.synthetic import generate_synthetic

    return generate_synthetic(6, "train", seed=0, cache_dir=tmp_path_factory.mktemp("syn"), texts=SPEECH_TEXTS)


@pytest.fixture(params=sorted(CONTRACT_ALIGNERS))
def factory(request):
    f = CONTRACT_ALIGNERS[request.param]
    aligner = f()
    if request.param == "english":
        from seqtag.align.sphinx.model import find_model_dir

        try:
            find_model_dir()
        except ModelFileError:
            pytest.skip("PocketSphinx's en-us model is not installed (pip install pocketsphinx)")
    del aligner
    return f


@pytest.fixture
def fitted(factory, speech):
    return factory().fit(speech)


def _same(a: AlignmentResult, b: AlignmentResult):
    assert [(w.label, w.start, w.end) for w in a.words] == [(w.label, w.start, w.end) for w in b.words]
    assert [(u.label, u.start, u.end) for u in a.units] == [(u.label, u.start, u.end) for u in b.units]


def test_fit_align_save_load_roundtrip(factory, speech, tmp_path):
    aligner = factory()
    params = aligner.get_params()
    assert aligner.fit(speech) is aligner
    assert aligner.get_params() == params, "fit must not change the constructor's arguments"
    u = speech[0]
    result = aligner.align(u.audio_path, u.transcript)
    assert isinstance(result, AlignmentResult)
    assert [w.label for w in result.words] == u.transcript.split()
    assert all(0 <= w.start <= w.end <= result.duration + 1e-9 for w in result.words)
    assert all(a.end <= b.start + 1e-9 for a, b in zip(result.words, result.words[1:])), "words overlap"
    assert all(0 <= w.score <= 1 for w in result.words)
    assert result.units and result.unit_kind in ("chars", "phones")
    path = aligner.save(tmp_path / "aligner")
    loaded = seqtag.load(path)
    assert type(loaded) is type(aligner)
    assert loaded.get_params() == aligner.get_params()
    _same(loaded.align(u.audio_path, u.transcript), result)


def test_align_batch_equals_align(fitted, speech):
    one = [fitted.align(u.audio_path, u.transcript) for u in speech[:3]]
    many = fitted.align_batch([(u.audio_path, u.transcript) for u in speech[:3]])
    assert len(many) == 3
    for a, b in zip(one, many):
        _same(a, b)
    assert fitted.align_batch(speech[:2])[1].words == one[1].words  # utterance objects work too


def test_array_input_needs_a_rate_and_is_resampled(fitted, speech):
    from seqtag.audio import load

    u = speech[1]
    x, sr = load(u.audio_path)
    with pytest.raises(InputError, match="pass sr="):
        fitted.align(x, u.transcript)
    r = fitted.align(x, u.transcript, sr=sr)
    _same(r, fitted.align(u.audio_path, u.transcript))


def test_evaluate_reports_boundary_errors(fitted, speech):
    report = fitted.evaluate(speech[:3])
    assert report["utterances"] == 3 and report["failed"] == 0
    assert report["n_boundaries"] == 2 * sum(len(u.words) for u in speech[:3])
    assert 0 <= report["within_20ms"] <= report["within_50ms"] <= 100
    assert report["mean_abs_ms"] >= report["within_10ms"] * 0  # a number, not nan
    assert math.isfinite(report["x_realtime"]) and report["x_realtime"] > 0


def test_clone_and_params(factory, speech):
    aligner = factory()
    twin = clone(aligner)
    assert twin.get_params() == aligner.get_params()
    aligner.fit(speech)
    fresh = clone(aligner)
    assert fresh.get_params() == aligner.get_params()
    assert not any(k.endswith("_") and not k.startswith("_") for k in vars(fresh)), "clone copied learned state"


def test_not_fitted(factory, speech, tmp_path):
    aligner = factory()
    if type(aligner).pretrained:
        assert aligner.align(speech[0].audio_path, speech[0].transcript).words  # usable as it ships
        return
    with pytest.raises(NotFittedError, match="not fitted yet"):
        aligner.align(speech[0].audio_path, speech[0].transcript)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        aligner.save(tmp_path / "m")


def test_bad_input(fitted, speech):
    u = speech[0]
    with pytest.raises(InputError, match="transcript is empty|no word to align"):
        fitted.align(u.audio_path, "   ")
    with pytest.raises(InputError, match="transcript must be a str"):
        fitted.align(u.audio_path, 42)
    with pytest.raises(InputError, match="mono 1-D array"):
        fitted.align(np.zeros((2, 100)), u.transcript, sr=16000)
    with pytest.raises(InputError, match="NaN"):
        fitted.align(np.full(16000, np.nan), u.transcript, sr=16000)
    with pytest.raises(InputError, match="too short|too long|cannot hold"):
        fitted.align(np.zeros(800, dtype=np.float32), " ".join([u.transcript] * 8), sr=16000)
    with pytest.raises(InputError, match="fit needs at least one utterance"):
        clone(fitted).fit([])
    with pytest.raises(InputError, match="list of utterances"):
        clone(fitted).fit("some/folder")


def test_bad_parameters_fail_in_fit_and_in_load(factory, speech, tmp_path):
    aligner = factory()
    name = next(k for k, v in aligner.get_params().items() if isinstance(v, (int, float)) and not isinstance(v, bool))
    with pytest.raises(InputError):
        clone(aligner).set_params(**{name: -1}).fit(speech)
    path = factory().fit(speech).save(tmp_path / "m")
    cfg = json.loads((path / "seqtag.json").read_text())
    cfg["params"][name] = -1
    (path / "seqtag.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelFileError, match="does not accept"):
        seqtag.load(path)
