"""Reading audio files: mono float32 at the rate you ask for."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..exceptions import InputError

__all__ = ["load", "resample"]


def resample(audio: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    """Resample a mono signal with ``soxr`` (high quality), or scipy's polyphase filter.

    Parameters
    ----------
    audio : (n,) float array
    orig_sr, target_sr : int
        Sampling rates in Hz.

    Returns
    -------
    (m,) float32 array
        ``m`` is about ``n * target_sr / orig_sr``.

    Examples
    --------
    >>> resample(np.zeros(16000, dtype=np.float32), 16000, 8000).shape
    (8000,)
    """
    for name, value in (("orig_sr", orig_sr), ("target_sr", target_sr)):
        if not isinstance(value, (int, np.integer)) or value <= 0:
            raise InputError(f"{name} must be a positive int (Hz), got {value!r}")
    audio = np.asarray(audio, dtype=np.float32)
    if orig_sr == target_sr or audio.size == 0:
        return audio.copy()
    try:
        import soxr
    except ImportError:  # pragma: no cover - soxr is in the audio extra
        from math import gcd

        from scipy.signal import resample_poly

        g = gcd(int(orig_sr), int(target_sr))
        return resample_poly(audio, target_sr // g, orig_sr // g).astype(np.float32)
    return np.asarray(soxr.resample(audio, orig_sr, target_sr), dtype=np.float32)


def load(path: str | os.PathLike, sr: int | None = 16000) -> tuple[np.ndarray, int]:
    """Read an audio file as mono float32 samples in [-1, 1].

    Parameters
    ----------
    path : str or path-like
        Any file ``soundfile`` (libsndfile) reads: WAV, FLAC, OGG, ...
    sr : int or None, default 16000
        Target sampling rate in Hz; ``None`` keeps the file's own rate.

    Returns
    -------
    audio : (n,) float32 array
        Channels are averaged (mono mix-down).
    sr : int
        The sampling rate of ``audio`` (always returned, also when you chose it).

    Raises
    ------
    InputError
        The file does not exist or is not a readable audio file.

    Examples
    --------
    >>> audio, rate = load("speech.flac")  # doctest: +SKIP
    >>> audio.dtype, rate  # doctest: +SKIP
    (dtype('float32'), 16000)
    """
    import soundfile as sf

    p = Path(path)
    if not p.is_file():
        raise InputError(f"audio file not found: {str(p)!r} (check the path)")
    try:
        data, native_sr = sf.read(str(p), dtype="float32", always_2d=True)  # (n, channels)
    except (RuntimeError, sf.LibsndfileError) as exc:
        raise InputError(f"cannot read {str(p)!r} as audio ({exc}); expected WAV/FLAC/OGG readable by libsndfile") from exc
    audio = data.mean(axis=1, dtype=np.float32) if data.shape[1] > 1 else data[:, 0].copy()
    if sr is None:
        return audio, int(native_sr)
    return resample(audio, int(native_sr), sr), int(sr)
