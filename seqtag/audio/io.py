"""Reading audio files: mono float32 at the rate you ask for."""

from __future__ import annotations

import os
import struct
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
        The file does not exist, is not a readable audio file, or is a WAV file cut short
        (fewer sample bytes than its header declares: libsndfile would silently read the
        part that is there).

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
    _check_wav_complete(p)
    try:
        data, native_sr = sf.read(str(p), dtype="float32", always_2d=True)  # (n, channels)
    except (RuntimeError, sf.LibsndfileError) as exc:
        raise InputError(f"cannot read {str(p)!r} as audio ({exc}); expected WAV/FLAC/OGG readable by libsndfile") from exc
    audio = data.mean(axis=1, dtype=np.float32) if data.shape[1] > 1 else data[:, 0].copy()
    if sr is None:
        return audio, int(native_sr)
    return resample(audio, int(native_sr), sr), int(sr)


def _check_wav_complete(p: Path) -> None:
    """Raise :class:`InputError` if a RIFF/WAVE file holds fewer data bytes than it declares.

    Sizes 0 and 0xFFFFFFFF (written by streaming recorders that never fixed the header) mean
    "unknown" and pass; files that are not RIFF/WAVE are left to libsndfile.
    """
    with open(p, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return
        block_align, rate = 0, 0
        while True:
            chunk = f.read(8)
            if len(chunk) < 8:
                return  # no data chunk: libsndfile reports the damage
            cid, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if cid == b"fmt ":
                fmt = f.read(min(size, 16))
                if len(fmt) == 16:
                    _, _, rate, _, block_align = struct.unpack("<HHIIH", fmt[:14])
                f.seek(size - len(fmt) + (size & 1), os.SEEK_CUR)
            elif cid == b"data":
                present = p.stat().st_size - f.tell()
                if size in (0, 0xFFFFFFFF) or present >= size:
                    return
                raise InputError(
                    f"{str(p)!r} is truncated: its header declares {_wav_span(size, block_align, rate)} "
                    f"of audio but the file holds only {_wav_span(present, block_align, rate)}; it was "
                    f"cut short (an interrupted copy, download or recording). Copy it again, or re-save "
                    f"what is there with a tool that rewrites the header (e.g. sox in.wav out.wav)"
                )
            else:
                f.seek(size + (size & 1), os.SEEK_CUR)


def _wav_span(n_bytes: int, block_align: int, rate: int) -> str:
    if block_align and rate:
        frames = n_bytes // block_align
        return f"{n_bytes} bytes ({frames} samples, {frames / rate:.3f} s)"
    return f"{n_bytes} bytes"
