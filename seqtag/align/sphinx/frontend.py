"""PocketSphinx's acoustic front end (MFCC, CMN, ``1s_c_d_dd``), reimplemented in NumPy.

The cepstra are bit-identical to what PocketSphinx 5.1 computes (its ``mfclogdir``
output). What had to be matched:

* 16-bit samples: float audio in [-1, 1] is scaled by 32768 and rounded.
* ``frame_size = int(wlen * samprate + 0.5)`` samples every ``frame_shift = int(samprate / frate
  + 0.5)``, from sample 0. For ``n >= frame_size`` samples there are ``2 + (n - frame_size) //
  frame_shift`` frames: the last one (written at the end of the utterance) holds the remaining
  ``n - k * frame_shift`` samples, zero padded; shorter audio gives one padded frame.
* Pre-emphasis ``y[n] = x[n] - alpha * x[n - 1]`` runs across frame boundaries (``x[-1] = 0``),
  ``alpha`` rounded to float32 (0.97 -> 0.97000003); the zero padding comes after it.
* Hamming window ``0.54 - 0.46 cos(2 pi i / (N - 1))`` over the frame, FFT of ``nfft`` points.
* Mel filters: ``mel(f) = 2595 log10(1 + f / 700)``, ``nfilt + 2`` equally spaced edges from
  ``lowerf`` to ``upperf``, each rounded to a DFT bin, triangles of unit area (peak ``2 / (right -
  left)``) on the bins from the left to the right edge inclusive, never the Nyquist bin; float32.
* ``remove_noise`` (fe_noise.c, :func:`_remove_noise`): its state starts from the first frame of
  the utterance. PocketSphinx keeps that state from one utterance to the next in a decoder; we
  always start fresh (a new decoder, or one after ``Decoder.start_stream()``).
* ``log(mel + 1e-4)`` (:data:`LOG_FLOOR`), then the DCT: ``dct`` is the orthonormal DCT-II
  (``sqrt(1/nfilt)`` for c0, ``sqrt(2/nfilt)`` otherwise), ``htk`` uses ``sqrt(2/nfilt)`` for c0
  too, ``legacy`` divides by ``nfilt`` with a half-weighted first band. Cosines, scales and
  running sums are float32, as in the C code. Lifter ``1 + (L // 2) sin(pi i / L)`` (integer ``L // 2``).
* Batch CMN subtracts the mean of the frames with ``c0 >= 0`` from every frame; ``1s_c_d_dd``
  pads by repeating the first and last normalised frames.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Mapping

import numpy as np

from ..._arrays import as_numpy
from ..._numba import jit
from ...exceptions import InputError

__all__ = ["LOG_FLOOR", "EN_US_FEAT_PARAMS", "FrontEndConfig", "sphinx_filterbank", "sphinx_cepstra",
           "sphinx_features", "sphinx_frontend"]

#: PocketSphinx adds this to the mel power before the log (``LOG_FLOOR`` in fe_sigproc.c).
LOG_FLOOR = 1e-4

#: The ``feat.params`` of PocketSphinx's US-English acoustic model.
EN_US_FEAT_PARAMS = {"lowerf": "130", "upperf": "6800", "nfilt": "25", "transform": "dct", "lifter": "22",
                     "feat": "1s_c_d_dd", "svspec": "0-12/13-25/26-38", "agc": "none", "cmn": "batch",
                     "varnorm": "no", "model": "ptm", "remove_noise": "yes"}

_F32 = np.float32
_CHUNK = 256  # frames per FFT block: small enough to stay in cache
_INT = ("samprate", "frate", "nfft", "nfilt", "ncep", "lifter", "ceplen")
_FLOAT = ("wlen", "alpha", "lowerf", "upperf")
_BOOL = ("remove_noise", "remove_dc", "unit_area", "round_filters", "dither", "varnorm", "doublebw", "logspec",
         "smoothspec")
_STR = ("transform", "cmn", "feat", "agc", "cmninit", "warp_type", "warp_params")
_IGNORED = ("svspec", "model", "input_endian", "seed", "verbose")  # no effect on the features
_FIXED = {"dither": False, "varnorm": False, "doublebw": False, "logspec": False, "smoothspec": False,
          "agc": "none", "warp_type": "inverse_linear", "warp_params": None}


@dataclass(frozen=True)
class FrontEndConfig:
    """Front-end options, named and defaulted as in PocketSphinx (fe.h, config_macro.h).

    ``FrontEndConfig()`` holds PocketSphinx's built-in defaults; a model's ``feat.params``
    changes some of them (:meth:`from_feat_params`, :meth:`en_us`). Invalid or
    unimplemented values raise :class:`~seqtag.exceptions.InputError`.

    Parameters
    ----------
    samprate, frate : int
        Samples and frames per second.
    wlen, alpha : float
        Window length in seconds; pre-emphasis coefficient (0: none).
    nfft, nfilt, ncep, lifter : int
        FFT size (0: next power of two >= the window), mel filters, cepstra, lifter length (0: none).
    lowerf, upperf : float
        Filterbank edges in Hz.
    transform : {"legacy", "dct", "htk"}
    remove_noise, remove_dc, unit_area, round_filters : bool
    cmn : {"batch", "live", "none"}
        ``"live"``: what a fresh decoder applies to a whole utterance (``full_utt=True``),
        ``cmninit`` subtracted from the frames with ``c0 >= 0``.
    cmninit : tuple of float
    feat : {"1s_c_d_dd"}
    dither, varnorm, doublebw, logspec, smoothspec, agc, warp_type, warp_params
        Not implemented: only PocketSphinx's defaults are accepted.

    Examples
    --------
    >>> cfg = FrontEndConfig.en_us()
    >>> cfg.nfilt, cfg.transform, cfg.frame_size, cfg.frame_shift, cfg.fft_size
    (25, 'dct', 410, 160, 512)
    """

    samprate: int = 16000
    frate: int = 100
    wlen: float = 0.025625
    alpha: float = 0.97
    nfft: int = 0
    nfilt: int = 40
    ncep: int = 13
    lowerf: float = 133.33334
    upperf: float = 6855.4976
    transform: str = "legacy"
    lifter: int = 0
    remove_noise: bool = False
    remove_dc: bool = False
    unit_area: bool = True
    round_filters: bool = True
    cmn: str = "live"
    cmninit: tuple = (40.0, 3.0, -1.0)
    feat: str = "1s_c_d_dd"
    dither: bool = False  # the options below are not implemented: only these defaults are accepted
    varnorm: bool = False
    doublebw: bool = False
    logspec: bool = False
    smoothspec: bool = False
    agc: str = "none"
    warp_type: str = "inverse_linear"
    warp_params: str | None = None

    def __post_init__(self):
        problems = [f"{k}={getattr(self, k)!r} is not implemented (use {v!r} or PocketSphinx itself)"
                    for k, v in _FIXED.items() if getattr(self, k) != v]
        for name, allowed in {"transform": ("legacy", "dct", "htk"), "cmn": ("batch", "live", "none"),
                              "feat": ("1s_c_d_dd",)}.items():
            if getattr(self, name) not in allowed:
                problems.append(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")
        if self.samprate <= 0 or not 1 <= self.frate <= min(self.samprate, 32767):
            problems.append(f"need samprate > 0 and 1 <= frate <= samprate, got {self.samprate}, {self.frate}")
        elif not 2 <= self.frame_shift <= self.frame_size <= 0x4000:
            problems.append(f"need 2 <= frame shift ({self.frame_shift}) <= window ({self.frame_size} samples) "
                            "<= 16384: check wlen and frate")
        elif self.nfft and (self.nfft & (self.nfft - 1) or self.nfft < self.frame_size):
            problems.append(f"nfft must be 0 (automatic) or a power of two >= the window ({self.frame_size}), "
                            f"got {self.nfft}")
        if not 0 <= self.lowerf < self.upperf <= self.samprate / 2 + 1.0:
            problems.append(f"need 0 <= lowerf < upperf <= samprate / 2, got {self.lowerf}, {self.upperf}")
        if not 1 <= self.ncep <= self.nfilt or self.lifter < 0:
            problems.append(f"need 1 <= ncep <= nfilt and lifter >= 0, got {self.ncep}, {self.nfilt}, {self.lifter}")
        if not isinstance(self.cmninit, tuple) or len(self.cmninit) > self.ncep:
            problems.append(f"cmninit must be a tuple of at most ncep floats, got {self.cmninit!r}")
        if problems:
            raise InputError("invalid FrontEndConfig: " + "; ".join(problems))

    @property
    def frame_shift(self) -> int:
        """Samples between frame starts, ``int(samprate / frate + 0.5)``."""
        return int(float(_F32(self.samprate) / _F32(self.frate)) + 0.5)

    @property
    def frame_size(self) -> int:
        """Window length in samples, ``int(wlen * samprate + 0.5)`` (float32 product, as fe does)."""
        return int(float(_F32(self.wlen) * _F32(self.samprate)) + 0.5)

    @property
    def fft_size(self) -> int:
        """``nfft``, or the next power of two >= the window when it is 0."""
        return self.nfft or 1 << (self.frame_size - 1).bit_length()

    @classmethod
    def from_feat_params(cls, params: Mapping[str, str], base: FrontEndConfig | None = None) -> FrontEndConfig:
        """Apply ``feat.params`` options (strings, keys with or without the dash) over the defaults.

        Parameters
        ----------
        params : mapping of str to str
            E.g. ``seqtag.align.sphinx.dictionary.read_feat_params(path)``.
        base : FrontEndConfig, optional
            What to apply them over; PocketSphinx's defaults when omitted.

        Returns
        -------
        FrontEndConfig

        Raises
        ------
        InputError
            Unknown option, bad value, or a value this module does not implement.

        Examples
        --------
        >>> FrontEndConfig.from_feat_params({"-nfilt": "25", "transform": "dct"}).nfilt
        25
        """
        values = asdict(base or cls())
        ceplen, known = None, _INT + _FLOAT + _BOOL + _STR + _IGNORED
        for key, raw in params.items():
            key, text = key.lstrip("-"), str(raw).strip()
            if key not in known:
                raise InputError(f"unknown front-end option -{key}; known: {sorted(known)}; remove it")
            try:
                if key in _INT:
                    value = float(text)  # "16000" or "16000.0", not "16000.5"
                    value = int(value) if value.is_integer() else int(text)
                elif key in _FLOAT:
                    value = float(text)
                elif key in _BOOL:
                    value = {"yes": True, "true": True, "1": True, "no": False, "false": False, "0": False}[text.lower()]
                elif key == "cmninit":
                    value = tuple(float(v) for v in text.split(",") if v.strip())
                else:
                    value = text
            except (ValueError, KeyError):
                raise InputError(f"option -{key} {text!r} is not a valid {key} value; fix the feat.params") from None
            if key == "ceplen":
                ceplen = value
            elif key not in _IGNORED:
                values[key] = value
        config = cls(**values)
        if ceplen is not None and ceplen != config.ncep:
            raise InputError(f"-ceplen {ceplen} must equal -ncep {config.ncep}; fix the feat.params")
        return config

    @classmethod
    def en_us(cls) -> FrontEndConfig:
        """The front end of PocketSphinx's US-English model (:data:`EN_US_FEAT_PARAMS`).

        Examples
        --------
        >>> FrontEndConfig.en_us().remove_noise
        True
        """
        return cls.from_feat_params(EN_US_FEAT_PARAMS)


def _mel(f):  # fe_mel / fe_melinv: double arithmetic, float32 results
    return _F32(2595.0 * np.log10(1.0 + np.float64(f) / 700.0))


def _melinv(m):
    return _F32(700.0 * (10.0 ** (np.float64(m) / 2595.0) - 1.0))


def sphinx_filterbank(config: FrontEndConfig | None = None) -> tuple[np.ndarray, np.ndarray]:
    """PocketSphinx's mel filterbank (float32 arithmetic of ``fe_build_melfilters``).

    Parameters
    ----------
    config : FrontEndConfig, optional
        Default :meth:`FrontEndConfig.en_us`.

    Returns
    -------
    weights : (nfilt, fft_size // 2 + 1) float32 array
        Filter weights on the DFT bins (0 outside each filter).
    freqs : (nfilt, 3) float32 array
        Left edge, centre and right edge of each filter in Hz (rounded to bins if
        ``round_filters``).

    Examples
    --------
    >>> w, f = sphinx_filterbank()
    >>> w.shape, f[0].tolist()
    ((25, 257), [125.0, 218.75, 281.25])
    """
    weights, freqs, _, _ = _tables(config or FrontEndConfig.en_us())
    return weights.astype(_F32), freqs.copy()


@lru_cache(maxsize=8)
def _tables(cfg: FrontEndConfig):
    """Filterbank, window, DCT cosines and lifter of a config (computed once)."""
    nfft, nbins = cfg.fft_size, cfg.fft_size // 2 + 1
    melmin, melmax = _mel(_F32(cfg.lowerf)), _mel(_F32(cfg.upperf))
    melbw = _F32(melmax - melmin) / _F32(cfg.nfilt + 1)
    fftfreq = _F32(cfg.samprate) / _F32(nfft)
    hz = np.arange(nbins, dtype=_F32) * fftfreq
    weights, freqs = np.zeros((cfg.nfilt, nbins)), np.zeros((cfg.nfilt, 3), dtype=_F32)
    for i in range(cfg.nfilt):
        for j in range(3):
            f = _melinv(_F32(_F32(i + j) * melbw) + melmin)
            freqs[i, j] = _F32(int(float(f / fftfreq) + 0.5)) * fftfreq if cfg.round_filters else f
        f0, f1, f2 = freqs[i]
        inside = np.flatnonzero(hz >= f0)
        stop = np.flatnonzero((hz > f2) | (np.arange(nbins) == nbins - 1))[0]  # the Nyquist bin is never used
        if inside.size == 0 or inside[0] >= stop:
            raise InputError(f"mel filter {i} ({f0:.1f}-{f2:.1f} Hz) covers no DFT bin; use fewer filters "
                             "(nfilt), a larger nfft or round_filters=True")
        b = hz[inside[0] : stop]
        with np.errstate(divide="ignore", invalid="ignore"):
            lo, hi = (b - f0) / _F32(f1 - f0), (f2 - b) / _F32(f2 - f1)
            if cfg.unit_area:
                lo, hi = lo * (_F32(2) / _F32(f2 - f0)), hi * (_F32(2) / _F32(f2 - f0))
        weights[i, inside[0] : stop] = np.where(lo < hi, lo, hi)  # NaN compares false, as in C
    n = cfg.frame_size
    half = 0.54 - 0.46 * np.cos(2 * np.pi * np.arange(n // 2) / (n - 1.0))
    window = np.concatenate([half, np.ones(n % 2), half[::-1]])  # an odd middle sample is left as it is
    i = np.arange(cfg.ncep, dtype=np.float64)[:, None]
    cosine = np.cos(np.pi / cfg.nfilt * i * (np.arange(cfg.nfilt) + 0.5)).astype(_F32).astype(np.float64)
    lifter = None
    if cfg.lifter:
        lifter = (1 + cfg.lifter // 2 * np.sin(np.arange(cfg.ncep) * np.pi / cfg.lifter)).astype(_F32)
    used = np.flatnonzero(weights.any(axis=0))  # the bins any filter uses
    bins = (used[0], used[-1] + 1, np.ascontiguousarray(weights[:, used[0] : used[-1] + 1].T))
    return weights, freqs, window, (cosine, lifter, bins)


def _samples(audio, sr, cfg: FrontEndConfig) -> np.ndarray:
    """Validated audio as the values of 16-bit samples, in float32 (they are integers: exact)."""
    x = as_numpy(audio)
    if x.ndim != 1:
        raise InputError(f"audio must be a 1-D mono signal, got shape {x.shape}; mix down the channels first "
                         "(e.g. audio.mean(axis=1))")
    if x.size == 0:
        raise InputError("audio is empty (0 samples); PocketSphinx's front end needs at least one sample")
    if sr != cfg.samprate:
        raise InputError(f"sample rate {sr!r} Hz does not match the front end's {cfg.samprate} Hz; resample the "
                         f"audio first (e.g. seqtag.audio.resample(audio, {sr!r}, {cfg.samprate}))")
    if x.dtype.kind == "f":
        if not np.isfinite(x).all():
            raise InputError("audio contains NaN or inf samples; clean or drop them first")
        peak = float(np.abs(x).max())
        if peak > 1.0:
            raise InputError(f"float audio must lie in [-1, 1] (16-bit PCM scaled by 1/32768), got max |x| = "
                             f"{peak:.4g}; clip it, or pass 16-bit values as an np.int16 array")
        out = np.empty(x.size, dtype=np.float32)
        for a in range(0, x.size, 1 << 20):  # in blocks: an hour of audio needs no float64 copy
            out[a : a + (1 << 20)] = np.clip(np.round(x[a : a + (1 << 20)].astype(np.float64) * 32768.0),
                                             -32768.0, 32767.0)
        return out
    if x.dtype.kind in "iu":
        if x.dtype != np.int16 and (x.min() < -32768 or x.max() > 32767):
            raise InputError(f"integer audio must hold 16-bit samples, got values in [{x.min()}, {x.max()}]; "
                             "rescale to [-32768, 32767]")
        return x.astype(np.float32)
    raise InputError(f"audio must be float in [-1, 1] or int16, got dtype {x.dtype}")


@jit(fastmath=False)  # no contraction or reassociation: the branches below compare exact C values
def _remove_noise(mel):
    """Spectral subtraction of fe_noise.c on the (frames, filters) mel power, in place."""
    nframes, nfilt = mel.shape
    power, noise, floor = mel[0].copy(), mel[0] / 20.0, mel[0] / 20.0
    peak, gain = np.zeros(nfilt), np.empty(nfilt)
    for t in range(nframes):
        for i in range(nfilt):
            power[i] = 0.7 * power[i] + (1.0 - 0.7) * mel[t, i]  # smoothed power
            # lower envelope of the power = noise estimate: rises slowly, falls fast
            if power[i] >= noise[i]:
                noise[i] = 0.995 * noise[i] + (1.0 - 0.995) * power[i]
            else:
                noise[i] = 0.5 * noise[i] + (1.0 - 0.5) * power[i]
            s = max(power[i] - noise[i], 1.0)
            if s >= floor[i]:  # lower envelope of the signal = its floor
                floor[i] = 0.995 * floor[i] + (1.0 - 0.995) * s
            else:
                floor[i] = 0.5 * floor[i] + (1.0 - 0.5) * s
            cur = s  # temporal masking by a decaying peak
            peak[i] *= 0.85
            if s < 0.85 * peak[i]:
                s = peak[i] * 0.2
            if cur > peak[i]:
                peak[i] = cur
            s = max(s, floor[i])
            g = s / power[i] if s < 20.0 * power[i] else 20.0
            gain[i] = max(g, 1.0 / 20.0)
        for i in range(nfilt):  # gain smoothed over +-4 filters
            lo, hi = max(i - 4, 0), min(i + 4, nfilt - 1)
            coef = 0.0
            for j in range(lo, hi + 1):
                coef += gain[j]
            mel[t, i] = mel[t, i] * (coef / (hi - lo + 1))


def _dct(logspec: np.ndarray, cfg: FrontEndConfig, cosine: np.ndarray) -> np.ndarray:
    """Cepstra from log mel power with fe_dct2 / fe_spec2cep's float32 running sums."""
    n, ncep = cfg.nfilt, cfg.ncep
    legacy = cfg.transform == "legacy"
    acc0 = (logspec[:, 0] / 2 if legacy else logspec[:, 0]).astype(_F32)
    acc = (logspec[:, :1] * cosine[1:, 0]).astype(_F32)
    beta = 2 if legacy else 1  # legacy weighs the first band by half: 1 for it, 2 for the others, then / 2n
    for j in range(1, n):
        acc0 = (acc0 + logspec[:, j]).astype(_F32)
        acc = (acc + logspec[:, j : j + 1] * cosine[1:, j] * beta).astype(_F32)
    out = np.empty((logspec.shape[0], ncep), dtype=_F32)
    if legacy:
        out[:, 0] = acc0 / np.float64(n)
        out[:, 1:] = acc / np.float64(2 * n)
    else:
        inv_2n = _F32(np.sqrt(2.0 / n))
        out[:, 0] = acc0 * (inv_2n if cfg.transform == "htk" else _F32(np.sqrt(1.0 / n)))
        out[:, 1:] = acc * inv_2n
    return out


def sphinx_cepstra(audio, sr: int, config: FrontEndConfig | None = None) -> np.ndarray:
    """MFCC of one utterance exactly as PocketSphinx computes them (before CMN).

    Parameters
    ----------
    audio : (n,) array
        Mono float samples in [-1, 1] (scaled by 32768 and rounded to 16 bits) or int16.
    sr : int
        Its sample rate; must equal ``config.samprate`` (resampling is the caller's job).
    config : FrontEndConfig, optional
        Default :meth:`FrontEndConfig.en_us`.

    Returns
    -------
    (frames, ncep) float32 array
        ``frames = 2 + (n - frame_size) // frame_shift`` (1 when ``n < frame_size``).

    Raises
    ------
    InputError
        Wrong rate, not 1-D, empty, NaN/inf, or float samples outside [-1, 1].

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(0, 0.1, 16000)
    >>> sphinx_cepstra(x, 16000).shape
    (99, 13)
    """
    cfg = config or FrontEndConfig.en_us()
    x = _samples(audio, sr, cfg)
    _, _, window, (cosine, lifter, bins) = _tables(cfg)
    size, shift, nfft = cfg.frame_size, cfg.frame_shift, cfg.fft_size
    n_full = 1 + (x.size - size) // shift if x.size >= size else 0
    n_frames = n_full + 1  # and one more frame with the samples left, zero padded
    alpha = np.float64(_F32(cfg.alpha))
    lo, hi, w = bins
    mel = np.empty((n_frames, cfg.nfilt))
    buf = np.zeros((_CHUNK, nfft))  # windowed frames, zero padded to the FFT size
    for s in range(0, n_frames, _CHUNK):
        e = min(n_frames, s + _CHUNK)
        a, b = s * shift, (e - 1) * shift + size  # the samples of frames s .. e - 1
        y = np.zeros(b - a)  # pre-emphasised (float64, as PocketSphinx), zero padded after the last sample
        m = max(0, min(b, x.size) - a)
        y[:m] = x[a : a + m]
        if alpha != 0 and m:
            y[int(a == 0) : m] -= x[max(a - 1, 0) : a + m - 1] * alpha
        f = np.lib.stride_tricks.sliding_window_view(y, size)[::shift]
        bb = buf[: e - s]
        if cfg.remove_dc:
            f = f - f.mean(axis=1, keepdims=True)
        np.multiply(f, window, out=bb[:, :size])
        spec = np.fft.rfft(bb, axis=1)[:, lo:hi]
        mel[s:e] = (spec.real**2 + spec.imag**2) @ w
    if cfg.remove_noise:
        _remove_noise(mel)
    cep = _dct(np.log(mel + LOG_FLOOR), cfg, cosine)
    return cep * lifter if lifter is not None else cep


def sphinx_features(cepstra, config: FrontEndConfig | None = None) -> np.ndarray:
    """CMN and ``1s_c_d_dd`` dynamic features of one utterance (feat.c, cmn.c).

    Parameters
    ----------
    cepstra : (frames, ncep) array
        E.g. :func:`sphinx_cepstra`.
    config : FrontEndConfig, optional
        Its ``cmn`` and ``cmninit``; default :meth:`FrontEndConfig.en_us` (batch CMN).

    Returns
    -------
    (frames, 3 * ncep) float32 array
        Normalised cepstra ``c``, ``c[t+2] - c[t-2]`` and ``(c[t+3] - c[t-1]) - (c[t+1] - c[t-3])``,
        the frame index clamped to the utterance: the streams ``0-12/13-25/26-38`` of en-us.

    Notes
    -----
    Batch CMN averages only the frames with ``c0 >= 0`` (PocketSphinx skips "zero energy"
    frames) and subtracts that mean from all. If no frame qualifies PocketSphinx divides
    by zero (NaN features); we subtract nothing.

    Examples
    --------
    >>> import numpy as np
    >>> c = np.arange(12, dtype=np.float32).reshape(4, 3)
    >>> f = sphinx_features(c, FrontEndConfig(ncep=3, cmn="none"))
    >>> f[1].tolist()
    [3.0, 4.0, 5.0, 9.0, 9.0, 9.0, 3.0, 3.0, 3.0]
    """
    cfg = config or FrontEndConfig.en_us()
    c = np.array(cepstra, dtype=_F32, ndmin=2)
    if c.ndim != 2 or c.shape[1] != cfg.ncep:
        raise InputError(f"cepstra must have shape (frames, {cfg.ncep}), got {c.shape}; compute them with "
                         "sphinx_cepstra and the same config")
    if not np.isfinite(c).all():
        raise InputError("cepstra contain NaN or inf; recompute them from clean audio")
    if c.shape[0] == 0:
        return np.zeros((0, 3 * cfg.ncep), dtype=_F32)
    keep = c[:, 0] >= 0
    if cfg.cmn == "batch" and keep.any():
        c -= np.cumsum(c[keep], axis=0, dtype=_F32)[-1] / _F32(keep.sum())  # float32 running sum, as cmn.c
    elif cfg.cmn == "live":
        prior = np.zeros(cfg.ncep, dtype=_F32)
        prior[: len(cfg.cmninit)] = cfg.cmninit
        c[keep] -= prior
    p = np.concatenate([c[:1]] * 3 + [c] + [c[-1:]] * 3)  # feat.c pads with copies of the end frames
    at = lambda k: p[3 + k : 3 + k + c.shape[0]]  # noqa: E731  (c[t + k], clamped)
    return np.concatenate([c, at(2) - at(-2), (at(3) - at(-1)) - (at(1) - at(-3))], axis=1)


def sphinx_frontend(audio, sr: int, config: FrontEndConfig | None = None) -> np.ndarray:
    """:func:`sphinx_features` of :func:`sphinx_cepstra`: the features PocketSphinx's models see.

    Parameters
    ----------
    audio, sr, config
        As for :func:`sphinx_cepstra`.

    Returns
    -------
    (frames, 3 * ncep) float32 array

    Examples
    --------
    >>> import numpy as np
    >>> sphinx_frontend(np.zeros(1600, dtype=np.int16), 16000).shape
    (9, 39)
    """
    cfg = config or FrontEndConfig.en_us()
    return sphinx_features(sphinx_cepstra(audio, sr, cfg), cfg)
