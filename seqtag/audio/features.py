"""Log-mel filterbanks, MFCCs, deltas and CMVN: one numpy STFT for all of them.

Conventions (the same as ``torchaudio.transforms.MelSpectrogram`` defaults):

* frames are **centred**: the signal is padded with ``n_fft // 2`` samples on
  each side (reflection; zeros if the signal is too short to reflect), so frame
  ``t`` is centred on sample ``t * hop`` and a signal of ``n`` samples gives
  ``1 + n // hop`` frames (for even ``n_fft``);
* periodic Hann window of ``win_length`` samples (``window="hamming"``: periodic
  Hamming, ``0.54 - 0.46 cos``), zero-padded centrally to ``n_fft`` (default: the next
  power of two >= ``win_length``);
* power spectrum, **HTK mel scale** (``mel = 2595 log10(1 + f / 700)``),
  triangular filters without area normalisation (torchaudio ``mel_scale="htk",
  norm=None``; librosa ``htk=True, norm=None``);
* ``log_mel`` is the natural log of the filterbank energies floored at
  ``1e-10`` (silence gives ``log(1e-10) = -23.03``, never ``-inf``).

Frame ``t`` is placed at ``t * hop_s`` seconds, which is what
:func:`seqtag.align.spans.frames_to_seconds` assumes.
"""

from __future__ import annotations

import numpy as np

from .._arrays import as_numpy
from ..exceptions import InputError

__all__ = ["log_mel", "mfcc", "deltas", "cmvn", "mel_filterbank", "n_frames", "LOG_FLOOR", "WINDOWS"]

#: Energies are floored at this value before the log.
LOG_FLOOR = 1e-10
_CHUNK = 2048  # frames per FFT block (bounds memory for hour-long audio)
#: Window shapes: ``a - (1 - a) cos(2 pi n / N)`` with these ``a`` (periodic windows).
WINDOWS = {"hann": 0.5, "hamming": 0.54}


def _hz_to_mel(f):
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def _mel_to_hz(m):
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


def mel_filterbank(sr: int, n_fft: int, n_mels: int = 80, fmin: float = 0.0, fmax: float | None = None) -> np.ndarray:
    """Triangular HTK-mel filters, shape ``(n_fft // 2 + 1, n_mels)``.

    Examples
    --------
    >>> mel_filterbank(16000, 512, 40).shape
    (257, 40)
    """
    fmax = sr / 2 if fmax is None else fmax
    if not 0 <= fmin < fmax <= sr / 2:
        raise InputError(f"need 0 <= fmin < fmax <= sr/2 = {sr / 2}, got fmin={fmin}, fmax={fmax}")
    freqs = np.linspace(0, sr // 2, n_fft // 2 + 1)
    f_pts = _mel_to_hz(np.linspace(_hz_to_mel(fmin), _hz_to_mel(fmax), n_mels + 2))
    f_diff = np.diff(f_pts)
    slopes = f_pts[None, :] - freqs[:, None]  # (n_freqs, n_mels + 2)
    down = -slopes[:, :-2] / f_diff[:-1]
    up = slopes[:, 2:] / f_diff[1:]
    return np.maximum(0.0, np.minimum(down, up))


def n_frames(n_samples: int, hop: int, n_fft: int) -> int:
    """Number of centred frames: ``1 + (n_samples + 2 * (n_fft // 2) - n_fft) // hop``."""
    return 1 + (n_samples + 2 * (n_fft // 2) - n_fft) // hop


def _check_audio(audio, sr) -> np.ndarray:
    x = as_numpy(audio)
    if x.ndim != 1:
        raise InputError(f"audio must be a 1-D mono signal, got shape {x.shape}; mix down channels first")
    if x.size == 0:
        raise InputError("audio is empty (0 samples); features need at least one sample")
    if x.dtype.kind not in "fiu":
        raise InputError(f"audio must hold real samples, got dtype {x.dtype}")
    x = x.astype(np.float64)
    if not np.isfinite(x).all():
        raise InputError("audio contains NaN or inf samples")
    if not isinstance(sr, (int, np.integer)) or sr <= 0:
        raise InputError(f"sr must be a positive int (Hz), got {sr!r}")
    return x


def _frame_params(sr, win_ms, hop_ms, n_fft):
    win = int(round(sr * win_ms / 1000))
    hop = int(round(sr * hop_ms / 1000))
    if win < 1 or hop < 1:
        raise InputError(f"win_ms={win_ms} and hop_ms={hop_ms} must each span at least one sample at sr={sr}")
    if n_fft is None:
        n_fft = 1 << (win - 1).bit_length()
    if n_fft < win:
        raise InputError(f"n_fft={n_fft} must be >= the window length {win} samples")
    return win, hop, n_fft


def _window(name: str, win: int, n_fft: int) -> np.ndarray:
    """A periodic window of ``win`` samples, zero-padded centrally to ``n_fft``."""
    if name not in WINDOWS:
        raise InputError(f"window must be one of {', '.join(WINDOWS)}, got {name!r}")
    a = WINDOWS[name]
    window = np.zeros(n_fft)
    left = (n_fft - win) // 2
    window[left : left + win] = a - (1 - a) * np.cos(2 * np.pi * np.arange(win) / win)
    return window


def _power_spectrum(x: np.ndarray, win: int, hop: int, n_fft: int, window: str = "hann") -> np.ndarray:
    """Centred STFT power, shape ``(frames, n_fft // 2 + 1)``."""
    pad = n_fft // 2
    mode = "reflect" if x.size > pad else "constant"
    y = np.pad(x, pad, mode=mode)
    window = _window(window, win, n_fft)
    frames = np.lib.stride_tricks.sliding_window_view(y, n_fft)[::hop]  # (frames, n_fft) view
    out = np.empty((frames.shape[0], n_fft // 2 + 1))
    for i in range(0, frames.shape[0], _CHUNK):
        spec = np.fft.rfft(frames[i : i + _CHUNK] * window, axis=1)
        out[i : i + _CHUNK] = spec.real**2 + spec.imag**2
    return out


def log_mel(
    audio,
    sr: int,
    n_mels: int = 80,
    win_ms: float = 25.0,
    hop_ms: float = 10.0,
    n_fft: int | None = None,
    fmin: float = 0.0,
    fmax: float | None = None,
    window: str = "hann",
) -> np.ndarray:
    """Log mel filterbank energies.

    Parameters
    ----------
    audio : (n,) float array
        Mono signal.
    sr : int
        Sampling rate in Hz.
    n_mels : int, default 80
    win_ms, hop_ms : float, default 25 and 10
        Window and hop length in milliseconds (rounded to samples).
    n_fft : int or None
        FFT size; default the next power of two >= the window length.
    fmin, fmax : float
        Frequency range of the filterbank (default 0 to ``sr / 2``).
    window : {"hann", "hamming"}, default "hann"
        Analysis window (periodic).

    Returns
    -------
    (frames, n_mels) float32 array
        ``log(max(energy, 1e-10))``; ``frames = 1 + n // hop`` (centred frames).

    Examples
    --------
    >>> import numpy as np
    >>> log_mel(np.zeros(16000, dtype=np.float32), 16000).shape
    (101, 80)
    """
    x = _check_audio(audio, sr)
    win, hop, n_fft = _frame_params(sr, win_ms, hop_ms, n_fft)
    fb = mel_filterbank(sr, n_fft, n_mels, fmin, fmax)  # (n_freqs, n_mels)
    mel = _power_spectrum(x, win, hop, n_fft, window) @ fb
    return np.log(np.maximum(mel, LOG_FLOOR)).astype(np.float32)


def _dct_matrix(n_in: int, n_out: int) -> np.ndarray:
    """Orthonormal DCT-II as a ``(n_in, n_out)`` matrix."""
    k = np.arange(n_out)[None, :]
    n = np.arange(n_in)[:, None]
    mat = np.cos(np.pi / n_in * (n + 0.5) * k) * np.sqrt(2.0 / n_in)
    mat[:, 0] /= np.sqrt(2.0)
    return mat


def mfcc(
    audio,
    sr: int,
    n_mfcc: int = 13,
    n_mels: int = 40,
    win_ms: float = 25.0,
    hop_ms: float = 10.0,
    n_fft: int | None = None,
    fmin: float = 0.0,
    fmax: float | None = None,
    cmvn: bool = True,
    window: str = "hann",
) -> np.ndarray:
    """Mel-frequency cepstral coefficients: orthonormal DCT-II of :func:`log_mel`.

    Parameters
    ----------
    audio, sr, n_mels, win_ms, hop_ms, n_fft, fmin, fmax, window
        As in :func:`log_mel`.
    n_mfcc : int, default 13
        Coefficients kept (including c0); at most ``n_mels``.
    cmvn : bool, default True
        Normalise each coefficient to zero mean and unit variance over the utterance.

    Returns
    -------
    (frames, n_mfcc) float32 array

    Examples
    --------
    >>> import numpy as np
    >>> mfcc(np.random.default_rng(0).normal(size=8000), 16000).shape
    (51, 13)
    """
    if not 1 <= n_mfcc <= n_mels:
        raise InputError(f"n_mfcc must be in [1, n_mels={n_mels}], got {n_mfcc}")
    lm = log_mel(audio, sr, n_mels, win_ms, hop_ms, n_fft, fmin, fmax, window).astype(np.float64)
    out = lm @ _dct_matrix(n_mels, n_mfcc)
    return globals()["cmvn"](out) if cmvn else out.astype(np.float32)


def deltas(feats, order: int = 2, width: int = 2) -> np.ndarray:
    """Append time derivatives (regression over ``±width`` frames, edges repeated).

    ``d[t] = sum_{n=1..N} n (c[t+n] - c[t-n]) / (2 sum n^2)`` with ``N = width``
    (``torchaudio.functional.compute_deltas`` with ``win_length = 2N + 1``);
    applied ``order`` times.

    Parameters
    ----------
    feats : (frames, dim) array
    order : int, default 2
        0 returns a copy; 2 gives ``[feats, delta, delta-delta]``.
    width : int, default 2

    Returns
    -------
    (frames, dim * (order + 1)) float32 array

    Examples
    --------
    >>> import numpy as np
    >>> deltas(np.arange(12.0)[:, None])[5].tolist()
    [5.0, 1.0, 0.0]
    """
    x = np.asarray(feats, dtype=np.float64)
    if x.ndim != 2:
        raise InputError(f"feats must be 2-D (frames, dim), got shape {x.shape}")
    if order < 0 or width < 1:
        raise InputError(f"need order >= 0 and width >= 1, got order={order}, width={width}")
    denom = 2.0 * sum(n * n for n in range(1, width + 1))
    out = [x]
    cur = x
    for _ in range(order):
        padded = np.pad(cur, ((width, width), (0, 0)), mode="edge")
        T = cur.shape[0]
        d = np.zeros_like(cur)
        for n in range(1, width + 1):
            d += n * (padded[width + n : width + n + T] - padded[width - n : width - n + T])
        cur = d / denom
        out.append(cur)
    return np.hstack(out).astype(np.float32)


def cmvn(feats, variance: bool = True) -> np.ndarray:
    """Per-utterance cepstral mean (and variance) normalisation.

    Parameters
    ----------
    feats : (frames, dim) array
    variance : bool, default True
        Also divide by the standard deviation (floored at 1e-8: constant
        dimensions become 0, not NaN).

    Returns
    -------
    (frames, dim) float32 array

    Examples
    --------
    >>> import numpy as np
    >>> cmvn(np.array([[1.0], [3.0]])).ravel().tolist()
    [-1.0, 1.0]
    """
    x = np.asarray(feats, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] == 0:
        raise InputError(f"feats must be 2-D (frames, dim) with at least one frame, got shape {x.shape}")
    x = x - x.mean(axis=0)
    if variance:
        x = x / np.maximum(x.std(axis=0), 1e-8)
    return x.astype(np.float32)
