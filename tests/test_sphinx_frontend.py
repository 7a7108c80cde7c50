"""PocketSphinx's front end: the pieces against direct formulas, the whole against PocketSphinx itself.

The PocketSphinx tests read the cepstra its decoder logs (``mfclogdir``: a big-endian
int32 count, then big-endian float32 values) and measured them bit-identical to
:func:`sphinx_cepstra`; they assert 1e-4 (about 25 float32 ulps of the largest
coefficients) so that 1-ulp differences of another libm or FFT do not fail them.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pytest

from seqtag.align.sphinx.frontend import (EN_US_FEAT_PARAMS, LOG_FLOOR, FrontEndConfig, _dct, _tables,
                                          sphinx_cepstra, sphinx_features, sphinx_filterbank, sphinx_frontend)
from seqtag.exceptions import InputError

SR = 16000
EN_US = FrontEndConfig.en_us()
TOL = 1e-4
ACOUSTIC_TEXT = "this is the acoustic corpus i'm talking pretty fast here"  # its first 5 s


def synthetic(seconds: float = 3.0, seed: int = 0) -> np.ndarray:
    """Seeded int16 test signal: digital silence, a chirp with tremolo, noise, a click, a gap."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR) + 77  # not a whole number of frames
    t = np.arange(n) / SR
    x = 3000 * np.sin(2 * np.pi * (200 + 300 * t) * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t))
    x += rng.normal(0, 300, n)
    x[: SR // 4] = 0
    x[int(1.2 * SR) : int(1.3 * SR)] = 0
    x[int(1.6 * SR) : int(1.6 * SR) + 10] = 30000
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def speech(name: str, seconds: float | None = None) -> np.ndarray:
    """A recording of ``$SEQTAG_DATA/mfa_test_speech/audio`` as int16, or skip."""
    sf = pytest.importorskip("soundfile")
    root = os.environ.get("SEQTAG_DATA")
    path = Path(root) / "mfa_test_speech" / "audio" / name if root else None
    if path is None or not path.is_file():
        if os.environ.get("SEQTAG_REQUIRE_DATA") == "1":
            pytest.fail(f"{name} not found under $SEQTAG_DATA/mfa_test_speech/audio")
        pytest.skip("set SEQTAG_DATA to the folder holding mfa_test_speech/")
    x, sr = sf.read(path, dtype="int16")
    assert sr == SR and x.ndim == 1
    return x[: int(seconds * SR)] if seconds else x


def transcript(name: str) -> str:
    root = Path(os.environ["SEQTAG_DATA"]) / "mfa_test_speech" / "lab"
    return (root / (Path(name).stem + ".lab")).read_text().strip().lower()


def decoder(tmp_path: Path, params: dict | None = None, **kwargs):
    """A decoder without language model; ``params`` replaces the model's feat.params.

    PocketSphinx applies the model's feat.params *over* keyword arguments, so other
    front-end settings must come through a feat.params file of their own.
    """
    ps = pytest.importorskip("pocketsphinx")
    if params is not None:
        path = tmp_path / "feat.params"
        path.write_text("".join(f"-{k} {v}\n" for k, v in params.items()))
        kwargs["featparams"] = str(path)
    return ps.Decoder(lm=None, loglevel="ERROR", **kwargs)


def pocketsphinx_cepstra(tmp_path: Path, x: np.ndarray, params: dict | None = None, chunk: int | None = None):
    """The cepstra PocketSphinx's decoder computes for ``x`` (read back from its mfclogdir)."""
    logdir = tmp_path / "mfc"
    logdir.mkdir(exist_ok=True)
    dec = decoder(tmp_path, params, mfclogdir=str(logdir))
    dec.set_align_text("hello")  # start_utt needs a search module
    dec.start_utt()
    if chunk is None:
        dec.process_raw(x.tobytes(), no_search=True, full_utt=True)
    else:
        for i in range(0, x.size, chunk):
            dec.process_raw(x[i : i + chunk].tobytes(), no_search=True, full_utt=False)
    dec.end_utt()
    data = (logdir / "000000000.mfc").read_bytes()
    count, values = int(np.frombuffer(data[:4], ">i4")[0]), np.frombuffer(data[4:], ">f4")
    assert count == values.size
    return values.reshape(-1, int((params or EN_US_FEAT_PARAMS).get("ncep", 13))).astype(np.float32)


def report(name: str, ours: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    assert ours.shape == theirs.shape, (ours.shape, theirs.shape)
    diff = np.abs(ours.astype(np.float64) - theirs)
    print(f"\n{name}: {ours.shape[0]} frames, max |diff| {diff.max():.3g}, mean {diff.mean():.3g}, "
          f"bit-identical {np.mean(diff == 0):.2%}; max per coefficient {np.round(diff.max(axis=0), 8).tolist()}")
    return diff


# ----------------------------------------------------------------------------------------- config


def test_defaults_and_en_us_are_pocketsphinx_s():
    ps = pytest.importorskip("pocketsphinx")
    from seqtag.align.sphinx.dictionary import read_feat_params

    defaults = ps.Config()
    for f in fields(FrontEndConfig):
        expected = defaults[f.name]
        if f.name == "cmninit":
            expected = tuple(float(v) for v in expected.split(","))
        assert getattr(FrontEndConfig(), f.name) == pytest.approx(expected), f.name
    model = read_feat_params(Path(ps.get_model_path("en-us/en-us")) / "feat.params")
    assert model == EN_US_FEAT_PARAMS
    assert FrontEndConfig.from_feat_params({f"-{k}": v for k, v in model.items()}) == EN_US
    assert (EN_US.frame_size, EN_US.frame_shift, EN_US.fft_size, EN_US.nfilt) == (410, 160, 512, 25)


@pytest.mark.parametrize("params, match", [
    ({"dither": "yes"}, "dither=True is not implemented"),
    ({"transform": "fft"}, "transform must be one of"),
    ({"nfilt": "many"}, "not a valid nfilt"),
    ({"remove_noise": "maybe"}, "not a valid remove_noise"),
    ({"frobnicate": "1"}, "unknown front-end option -frobnicate"),
    ({"ncep": "13", "ceplen": "12"}, "-ceplen 12 must equal -ncep 13"),
    ({"nfft": "500"}, "power of two"),
    ({"upperf": "9000"}, "upperf"),
    ({"warp_params": "1.1"}, "warp_params"),
])
def test_unimplemented_or_bad_options_are_refused(params, match):
    with pytest.raises(InputError, match=match):
        FrontEndConfig.from_feat_params(params)


# ------------------------------------------------------------------------------------------ pieces


def test_filterbank_edges_follow_the_mel_formula():
    weights, freqs = sphinx_filterbank(EN_US)
    mel = lambda f: 2595 * np.log10(1 + f / 700)  # noqa: E731
    edges = 700 * (10 ** (np.linspace(mel(130.0), mel(6800.0), 27) / 2595) - 1)
    step = SR / 512
    on_bins = np.floor(edges / step + 0.5) * step
    np.testing.assert_array_equal(freqs, np.stack([on_bins[:-2], on_bins[1:-1], on_bins[2:]], axis=1))
    hz = np.arange(257) * step
    for (left, centre, right), w in zip(freqs, weights):
        assert np.all(w[(hz < left) | (hz > right)] == 0) and w[hz == centre] == pytest.approx(2 / (right - left))
        assert w.sum() * step == pytest.approx(1.0, abs=1e-5)  # unit area: the triangle's knots are on bins
    assert np.all(weights[:, -1] == 0)  # the Nyquist bin is never used
    _, unrounded = sphinx_filterbank(replace(EN_US, round_filters=False))
    np.testing.assert_allclose(unrounded[:, 1], edges[1:-1], rtol=1e-6)


@pytest.mark.parametrize("transform", ["dct", "htk", "legacy"])
def test_dct_against_a_direct_sum(transform):
    cfg = replace(EN_US, transform=transform)
    logspec = np.random.default_rng(1).normal(5, 4, size=(40, cfg.nfilt))
    n = cfg.nfilt
    basis = np.cos(np.pi * np.arange(cfg.ncep)[:, None] * (np.arange(n) + 0.5) / n)
    if transform == "legacy":  # first band weighted by 1/2, divided by nfilt
        expected = (logspec * np.r_[0.5, np.ones(n - 1)]) @ basis.T / n
    else:
        expected = logspec @ basis.T * np.sqrt(2 / n)
        if transform == "dct":
            expected[:, 0] /= np.sqrt(2)
    np.testing.assert_allclose(_dct(logspec, cfg, _tables(cfg)[3][0]), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("length", [22, 23])
def test_lifter_halves_its_length_as_an_integer(length):
    lifter = _tables(replace(EN_US, lifter=length))[3][1]
    np.testing.assert_allclose(lifter, 1 + 11 * np.sin(np.pi * np.arange(13) / length), rtol=1e-7)
    x = np.random.default_rng(2).normal(0, 0.1, SR // 2)
    plain = sphinx_cepstra(x, SR, replace(EN_US, lifter=0))
    np.testing.assert_array_equal(sphinx_cepstra(x, SR, replace(EN_US, lifter=length)), plain * lifter)


@pytest.mark.parametrize("frames", [1, 2, 5, 30])
def test_deltas_against_a_loop(frames):
    c = np.random.default_rng(frames).normal(size=(frames, 13)).astype(np.float32)
    got = sphinx_features(c, replace(EN_US, cmn="none"))
    at = lambda t: c[min(max(t, 0), frames - 1)]  # noqa: E731  (feat.c repeats the end frames)
    for t in range(frames):
        np.testing.assert_array_equal(got[t, :13], c[t])
        np.testing.assert_array_equal(got[t, 13:26], at(t + 2) - at(t - 2))
        np.testing.assert_array_equal(got[t, 26:], (at(t + 3) - at(t - 1)) - (at(t + 1) - at(t - 3)))


def test_cmn_skips_frames_with_negative_c0():
    c = np.random.default_rng(3).normal(size=(50, 13)).astype(np.float32) + 5
    c[::4, 0] = -3.0  # "zero energy" frames
    kept = c[c[:, 0] >= 0].mean(axis=0)
    np.testing.assert_allclose(sphinx_features(c, EN_US)[:, :13], c - kept, atol=1e-5)  # mean of kept, from all
    assert not np.allclose(kept, c.mean(axis=0))
    live = sphinx_features(c, replace(EN_US, cmn="live"))[:, :13]  # cmninit from the frames with c0 >= 0 only
    np.testing.assert_array_equal(live[::4], c[::4])
    np.testing.assert_allclose(live[1], c[1] - np.r_[40, 3, -1, np.zeros(10)], atol=1e-5)
    silent = np.full((10, 13), -2.0, dtype=np.float32)  # nothing to average: left as it is
    np.testing.assert_array_equal(sphinx_features(silent, EN_US)[:, :13], silent)
    assert sphinx_features(np.zeros((0, 13)), EN_US).shape == (0, 39)


@pytest.mark.parametrize("n", [1, 300, 409, 410, 411, 569, 570, 571, 16000])
def test_frame_count_includes_the_padded_last_frame(n):
    x = synthetic(1.1)[-n:]
    expected = 1 if n < 410 else 2 + (n - 410) // 160
    assert sphinx_cepstra(x, SR).shape == (expected, 13)
    assert sphinx_frontend(x, SR).shape == (expected, 39)


def test_float_audio_is_read_as_16_bit_pcm():
    x = synthetic(1.0)
    np.testing.assert_array_equal(sphinx_cepstra(x / 32768.0, SR), sphinx_cepstra(x, SR))
    np.testing.assert_array_equal(sphinx_cepstra(x.astype(np.int32), SR), sphinx_cepstra(x, SR))
    silence = sphinx_cepstra(np.zeros(SR // 10), SR, replace(EN_US, remove_noise=False))
    np.testing.assert_allclose(silence[:, 0], np.sqrt(25) * np.log(LOG_FLOOR), rtol=1e-6)  # the log floor


# ------------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("audio, sr, match", [
    (np.zeros(SR), 8000, "sample rate 8000 Hz does not match the front end's 16000 Hz; resample"),
    (np.zeros((SR, 2)), SR, r"1-D mono signal, got shape \(16000, 2\); mix down"),
    (np.zeros(0), SR, "audio is empty"),
    (np.r_[np.zeros(100), np.nan], SR, "NaN or inf"),
    (np.full(100, 1.5), SR, r"must lie in \[-1, 1\]"),
    (np.full(100, 40000, dtype=np.int32), SR, "16-bit samples"),
    (np.array(["a", "b"]), SR, "dtype"),
])
def test_bad_audio_is_refused(audio, sr, match):
    with pytest.raises(InputError, match=match):
        sphinx_cepstra(audio, sr)


def test_bad_cepstra_are_refused():
    with pytest.raises(InputError, match=r"shape \(frames, 13\)"):
        sphinx_features(np.zeros((5, 12)))
    with pytest.raises(InputError, match="NaN"):
        sphinx_features(np.full((5, 13), np.nan))


# ------------------------------------------------------------------------------- vs PocketSphinx


@pytest.mark.parametrize("name, seconds", [("acoustic_corpus.wav", 5.0), ("61-70968-0000.flac", None)])
def test_cepstra_match_pocketsphinx_on_speech(tmp_path, name, seconds):
    x = speech(name, seconds)
    diff = report(name, sphinx_cepstra(x, SR), pocketsphinx_cepstra(tmp_path, x))  # the model's own feat.params
    assert diff.max() <= TOL


def test_cepstra_match_pocketsphinx_on_synthetic_audio(tmp_path):
    x = synthetic()
    ours = sphinx_cepstra(x, SR)
    assert report("synthetic", ours, pocketsphinx_cepstra(tmp_path, x)).max() <= TOL
    # fed in pieces (full_utt=False), PocketSphinx carries pre-emphasis and frames over: same cepstra
    assert report("synthetic, 1000-sample pieces", ours, pocketsphinx_cepstra(tmp_path, x, chunk=1000)).max() <= TOL
    short = x[SR : SR + 300]  # shorter than a window: one zero-padded frame
    assert report("300 samples", sphinx_cepstra(short, SR), pocketsphinx_cepstra(tmp_path, short)).max() <= TOL


@pytest.mark.parametrize("changes", [
    {"transform": "legacy", "remove_noise": "no", "lifter": "0"},
    {"transform": "htk", "remove_dc": "yes", "lifter": "23", "unit_area": "no"},
    {"wlen": "0.0255625", "frate": "91", "alpha": "0.95", "nfilt": "31", "lowerf": "200", "upperf": "7000",
     "round_filters": "no", "ncep": "16", "ceplen": "16", "nfft": "1024"},
])
def test_other_settings_match_pocketsphinx(tmp_path, changes):
    params = {**EN_US_FEAT_PARAMS, **changes}
    x = synthetic(2.0, seed=5)
    ours = sphinx_cepstra(x, SR, FrontEndConfig.from_feat_params(params))
    assert report(str(changes), ours, pocketsphinx_cepstra(tmp_path, x, params)).max() <= TOL


def test_batch_cmn_mean_matches_pocketsphinx(tmp_path):
    x = synthetic()
    x[: SR // 2] = 0  # more silent frames (c0 < 0), which the mean leaves out
    dec = decoder(tmp_path)
    dec.set_align_text("hello")
    dec.start_utt()
    dec.process_raw(x.tobytes(), no_search=True, full_utt=True)
    dec.end_utt()
    theirs = np.array([float(v) for v in dec.get_cmn().split(",")])  # printed with %g
    c = sphinx_cepstra(x, SR)
    assert (c[:, 0] < 0).sum() >= 40
    np.testing.assert_allclose(c[c[:, 0] >= 0].mean(axis=0), theirs, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(sphinx_features(c)[:, :13], c - c[c[:, 0] >= 0].mean(axis=0), atol=1e-5)


def _align(tmp_path, text: str, feed):
    """Word segments, then phone and state alignment (second pass) of one utterance."""
    dec = decoder(tmp_path)
    dec.set_align_text(text)
    dec.start_utt()
    feed(dec)
    dec.end_utt()
    words = [(s.word, s.start_frame, s.end_frame) for s in dec.seg()]
    dec.set_alignment()
    with warnings.catch_warnings():  # "deprecated and unnecessary", yet it resets the noise estimate:
        warnings.simplefilter("ignore", DeprecationWarning)  # without it the raw pass 2 starts from pass 1's
        dec.start_stream()
    dec.start_utt()
    feed(dec)
    dec.end_utt()
    states = [(w.name, p.name, s.name, s.start, s.duration) for w in dec.get_alignment() for p in w for s in p]
    return words, states


@pytest.mark.parametrize("name, seconds", [("61-70968-0000.flac", None), ("acoustic_corpus.wav", 5.0)])
def test_our_cepstra_align_like_pocketsphinx_s_own(tmp_path, name, seconds):
    x = speech(name, seconds)
    text = transcript(name) if seconds is None else ACOUSTIC_TEXT
    cep = sphinx_cepstra(x, SR)
    words, states = _align(tmp_path, text, lambda d: d.process_raw(x.tobytes(), full_utt=True))
    words_cep, states_cep = _align(tmp_path, text, lambda d: d.process_cep(cep.tobytes(), full_utt=True))
    assert [w.split("(")[0] for w, _, _ in words if not w.startswith("<")] == text.split()  # e.g. began(2)
    assert words_cep == words  # same words, same first and last frames
    assert states_cep == states  # and the same phone and HMM-state boundaries
