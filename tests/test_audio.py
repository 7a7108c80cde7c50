"""Audio loading and features: tones, silence, shapes, CMVN, errors."""

from __future__ import annotations

import numpy as np
import pytest

from seqtag.audio import cmvn, deltas, load, log_mel, mel_filterbank, mfcc, n_frames, resample
from seqtag.audio.features import LOG_FLOOR, _hz_to_mel
from seqtag.exceptions import InputError

SR = 16000


def tone(freq, seconds=0.5, sr=SR):
    return np.sin(2 * np.pi * freq * np.arange(int(sr * seconds)) / sr).astype(np.float32)


@pytest.mark.parametrize("freq", [300.0, 1000.0, 3500.0])
def test_tone_lands_in_its_mel_band(freq):
    n_mels = 40
    lm = log_mel(tone(freq), SR, n_mels=n_mels)
    band = int(lm[5:-5].mean(axis=0).argmax())
    centres = np.linspace(_hz_to_mel(0), _hz_to_mel(SR / 2), n_mels + 2)[1:-1]
    assert abs(band - int(np.abs(centres - _hz_to_mel(freq)).argmin())) <= 1


def test_silence_gives_floor_not_inf():
    lm = log_mel(np.zeros(SR, dtype=np.float32), SR)
    assert np.isfinite(lm).all()
    assert np.allclose(lm, np.log(LOG_FLOOR))
    m = mfcc(np.zeros(SR), SR)
    assert np.isfinite(m).all()


@pytest.mark.parametrize("n", [1, 100, 159, 160, 161, 256, 257, 16000, 16001])
def test_frame_count_is_centred(n):
    x = np.random.default_rng(n).normal(size=n)
    lm = log_mel(x, SR, n_mels=20)
    assert lm.shape == (1 + n // 160, 20) == (n_frames(n, 160, 512), 20)
    assert lm.dtype == np.float32 and np.isfinite(lm).all()


def test_mfcc_cmvn_and_deltas():
    x = np.random.default_rng(0).normal(size=SR) * tone(440, 1.0)
    m = mfcc(x, SR, n_mfcc=13)
    assert m.shape == (101, 13)
    assert np.allclose(m.mean(axis=0), 0, atol=1e-5)
    assert np.allclose(m.std(axis=0), 1, atol=1e-4)
    raw = mfcc(x, SR, cmvn=False)
    assert not np.allclose(raw.mean(axis=0), 0, atol=1e-2)
    d = deltas(m, order=2)
    assert d.shape == (101, 39)
    assert np.allclose(d[:, :13], m)


def test_deltas_of_a_ramp_and_constant():
    ramp = np.tile(np.arange(20.0)[:, None], (1, 2)) * 3.0
    d = deltas(ramp, order=2)
    assert np.allclose(d[2:-2, 2:4], 3.0)  # slope, away from the edges
    assert np.allclose(d[4:-4, 4:6], 0.0)
    assert np.allclose(deltas(np.ones((5, 3)), order=1)[:, 3:], 0.0)


def test_cmvn_constant_dimension_is_zero_not_nan():
    out = cmvn(np.array([[1.0, 2.0], [1.0, 4.0]]))
    assert np.isfinite(out).all() and np.allclose(out[:, 0], 0)


def test_filterbank_triangles():
    fb = mel_filterbank(SR, 512, 40)
    assert fb.shape == (257, 40) and fb.min() >= 0 and fb.max() <= 1 + 1e-12
    assert (fb.max(axis=0) > 0.5).all()  # every filter has its peak near a grid bin
    peaks = fb.argmax(axis=0)
    assert (np.diff(peaks) >= 0).all()  # centres increase with the band index


def test_load_mono_mixdown_and_resample(tmp_path):
    sf = pytest.importorskip("soundfile")
    left, right = tone(440, 1.0, 8000), np.zeros(8000, dtype=np.float32)
    path = tmp_path / "stereo.wav"
    sf.write(path, np.stack([left, right], axis=1), 8000, subtype="FLOAT")
    audio, sr = load(path, sr=None)
    assert sr == 8000 and audio.dtype == np.float32 and np.allclose(audio, left / 2, atol=1e-6)
    audio16, sr16 = load(path)
    assert sr16 == 16000 and abs(audio16.size - 16000) <= 1
    # the 440 Hz tone survives resampling: dominant frequency of the spectrum
    spec = np.abs(np.fft.rfft(audio16[2000:14000]))
    assert abs(np.fft.rfftfreq(12000, 1 / 16000)[spec.argmax()] - 440) < 3


def test_resample_fallback_shape():
    assert resample(np.ones(441, dtype=np.float32), 44100, 16000).shape == (160,)


def test_load_errors(tmp_path):
    with pytest.raises(InputError, match="audio file not found"):
        load(tmp_path / "missing.wav")
    bad = tmp_path / "bad.wav"
    bad.write_text("not audio")
    with pytest.raises(InputError, match="cannot read .* as audio"):
        load(bad)


def test_truncated_wav_is_an_error_naming_both_lengths(tmp_path):
    import soundfile as sf

    full = tmp_path / "full.wav"
    sf.write(full, np.zeros(1000, dtype=np.float32), 16000, subtype="PCM_16")
    raw = full.read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(raw[:-500])  # 250 of the 1000 samples are lost
    with pytest.raises(InputError, match=r"truncated.*2000 bytes \(1000 samples, 0.062 s\).*only 1500 bytes \(750 samples"):
        load(cut)
    assert load(full)[0].shape == (1000,)
    # a streaming recorder's placeholder size means "unknown length", not truncation
    at = raw.index(b"data") + 4
    stream = tmp_path / "stream.wav"
    stream.write_bytes(raw[:at] + b"\xff\xff\xff\xff" + raw[at + 4 : -500])
    assert load(stream)[0].shape == (750,)


@pytest.mark.parametrize(
    "audio, kwargs, match",
    [
        (np.zeros((2, 100)), {}, "1-D mono signal"),
        (np.zeros(0), {}, "audio is empty"),
        (np.array([0.0, np.nan]), {}, "NaN or inf"),
        (np.zeros(100), {"n_fft": 128}, "n_fft=128 must be >= the window length 400"),
        (np.zeros(100), {"fmax": 9000}, "fmax"),
    ],
)
def test_feature_errors(audio, kwargs, match):
    with pytest.raises(InputError, match=match):
        log_mel(audio, SR, **kwargs)


def test_matches_torchaudio():
    torchaudio = pytest.importorskip("torchaudio")
    import torch

    x = np.random.default_rng(0).normal(size=8000).astype(np.float32)
    ta = torchaudio.transforms.MelSpectrogram(SR, n_fft=512, win_length=400, hop_length=160, n_mels=40)(
        torch.from_numpy(x)
    )
    ref = np.log(np.maximum(ta.numpy().T, LOG_FLOOR))
    assert np.allclose(log_mel(x, SR, n_mels=40), ref, atol=1e-3)


def test_matches_librosa():
    librosa = pytest.importorskip("librosa")
    x = np.random.default_rng(0).normal(size=8000).astype(np.float32)
    ref = librosa.feature.melspectrogram(
        y=x, sr=SR, n_fft=512, win_length=400, hop_length=160, n_mels=40, htk=True, norm=None, pad_mode="reflect"
    )
    assert np.allclose(log_mel(x, SR, n_mels=40), np.log(np.maximum(ref.T, LOG_FLOOR)), atol=1e-3)


def test_hamming_window_option():
    import scipy.signal

    from seqtag.audio import features
    from seqtag.exceptions import InputError

    x = np.random.default_rng(0).normal(size=16000)
    hann, hamming = (features.log_mel(x, 16000, window=w) for w in ("hann", "hamming"))
    assert hann.shape == hamming.shape and not np.allclose(hann, hamming)
    np.testing.assert_allclose(features._window("hamming", 400, 512)[56:456],
                               scipy.signal.get_window("hamming", 400, fftbins=True), atol=1e-12)
    np.testing.assert_allclose(features._window("hann", 400, 512)[56:456],
                               scipy.signal.get_window("hann", 400, fftbins=True), atol=1e-12)
    assert features.mfcc(x, 16000, window="hamming").shape == (101, 13)
    with pytest.raises(InputError, match="window must be one of hann, hamming"):
        features.log_mel(x, 16000, window="kaiser")
