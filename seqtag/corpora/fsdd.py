"""Connected-digit strings built from the Free Spoken Digit Dataset (real speech).

FSDD holds isolated digits ``{digit}_{speaker}_{index}.wav`` (8 kHz, 6 male
speakers, 50 takes of each digit). :func:`load_fsdd_strings` turns them into
3-7 digit strings with exact word boundaries:

1. each recording is trimmed with an energy VAD (10 ms frames; a frame is speech
   when its energy is within ``vad_db`` dB of the recording's loudest frame; the
   kept segment runs from the first to the last speech frame);
2. the trimmed segments of **one speaker** are joined with random pauses
   (0-250 ms, plus 100-300 ms before and after) filled with white noise at the
   level of that speaker's trimmed-away edges, so silence is not digital zero;
3. the string is resampled to 16 kHz; a word's reference interval is its
   trimmed segment (exact by construction, at 8 kHz sample precision).

**Splits by speaker**: test = ``nicolas`` and ``theo`` (never heard in train);
train = ``george``, ``jackson``, ``lucas``, ``yweweler`` takes 5-49; dev = the
same four speakers' takes 0-4 (FSDD's official test takes).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..intervals import Interval
from ..exceptions import InputError
from ._base import data_home, env_paths, not_found
from .speech import SpeechCorpus, cached_corpus

__all__ = ["load_fsdd_strings", "fsdd_root", "trim_silence", "DIGITS", "SPEAKERS"]

DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
#: split -> (speakers, recording indices)
SPEAKERS: dict[str, tuple[tuple[str, ...], range]] = {
    "train": (("george", "jackson", "lucas", "yweweler"), range(5, 50)),
    "dev": (("george", "jackson", "lucas", "yweweler"), range(0, 5)),
    "test": (("nicolas", "theo"), range(0, 50)),
}
_FSDD_SR = 8000
_SPLIT_CODE = {"train": 0, "dev": 1, "test": 2}
_GEN_VERSION = 1


def fsdd_root(path: str | os.PathLike | None = None) -> Path:
    """The FSDD ``recordings`` folder: ``path``, else ``$SEQTAG_DATA/fsdd/recordings``, else the data home.

    Raises
    ------
    CorpusNotFoundError
        Naming ``SEQTAG_DATA``.
    """
    cands = [Path(path)] if path is not None else [p / "fsdd" / "recordings" for p in env_paths("SEQTAG_DATA")]
    cands = cands + ([] if path is not None else [data_home() / "fsdd" / "recordings"])
    for c in cands:
        if c.is_dir() and any(c.glob("*_*_*.wav")):
            return c
    raise not_found("fsdd", cands, "SEQTAG_DATA")


def trim_silence(audio: np.ndarray, sr: int, vad_db: float = 30.0, frame_ms: float = 10.0) -> tuple[int, int]:
    """Sample range ``[start, end)`` of speech by an energy VAD.

    A frame is speech when its mean energy is within ``vad_db`` dB of the loudest
    frame; the range runs from the first to the last speech frame.

    Examples
    --------
    >>> x = np.zeros(800); x[300:500] = np.sin(np.arange(200))
    >>> trim_silence(x, 8000)
    (240, 560)
    """
    x = np.asarray(audio, dtype=np.float64)
    hop = max(1, int(round(sr * frame_ms / 1000)))
    n = max(1, int(np.ceil(x.size / hop)))
    padded = np.zeros(n * hop)
    padded[: x.size] = x
    energy = (padded.reshape(n, hop) ** 2).mean(axis=1)
    peak = energy.max()
    if peak <= 0:
        return 0, x.size
    speech = np.flatnonzero(10 * np.log10(np.maximum(energy, 1e-20) / peak) > -vad_db)
    return int(speech[0] * hop), int(min(x.size, (speech[-1] + 1) * hop))


def _recordings(root: Path, split: str) -> dict[str, list[tuple[int, Path]]]:
    speakers, takes = SPEAKERS[split]
    out: dict[str, list[tuple[int, Path]]] = {s: [] for s in speakers}
    for spk in speakers:
        for d in range(10):
            for i in takes:
                p = root / f"{d}_{spk}_{i}.wav"
                if p.is_file():
                    out[spk].append((d, p))
    missing = [s for s, v in out.items() if not v]
    if missing:
        raise not_found(f"fsdd (speakers {missing})", [root], "SEQTAG_DATA")
    return out


def _build(i: int, split: str, recs, seed: int, vad_db: float):
    import soundfile as sf

    from ..audio import resample

    rng = np.random.default_rng([seed, _SPLIT_CODE[split], i])
    speakers = sorted(recs)
    spk = speakers[int(rng.integers(len(speakers)))]
    k = int(rng.integers(3, 8))
    picks = [recs[spk][j] for j in rng.choice(len(recs[spk]), size=k, replace=False)]
    pieces, words, noise_levels = [], [], []
    segs = []
    for digit, path in picks:
        x, sr = sf.read(str(path), dtype="float32", always_2d=True)
        x = x.mean(axis=1)
        if sr != _FSDD_SR:
            raise InputError(f"{path}: expected {_FSDD_SR} Hz FSDD audio, got {sr} Hz")
        a, b = trim_silence(x, sr, vad_db)
        edges = np.concatenate([x[:a], x[b:]])
        noise_levels.append(float(np.sqrt(np.mean(edges.astype(np.float64) ** 2))) if edges.size else 0.0)
        segs.append((digit, x[a:b]))
    level = max(float(np.median(noise_levels)), 1e-4)

    def pause(seconds):
        return (rng.normal(0.0, level, size=int(round(seconds * _FSDD_SR)))).astype(np.float32)

    pos = 0
    for j, (digit, seg) in enumerate(segs):
        gap = pause(rng.uniform(0.1, 0.3) if j == 0 else rng.uniform(0.0, 0.25))
        pieces += [gap, seg.astype(np.float32)]
        pos += gap.size
        words.append(Interval(DIGITS[digit], round(pos / _FSDD_SR, 6), round((pos + seg.size) / _FSDD_SR, 6)))
        pos += seg.size
    pieces.append(pause(rng.uniform(0.1, 0.3)))
    audio8 = np.concatenate(pieces)
    audio = resample(audio8, _FSDD_SR, 16000)
    peak = float(np.abs(audio).max()) or 1.0
    audio = (audio * min(1.0, 0.95 / peak)).astype(np.float32)
    meta = {"files": [p.name for _, p in picks]}
    return audio, spk, words, meta


def load_fsdd_strings(
    split: str = "train",
    n: int = 300,
    seed: int = 0,
    cache_dir: str | os.PathLike | None = None,
    path: str | os.PathLike | None = None,
    vad_db: float = 30.0,
) -> SpeechCorpus:
    """Connected digit strings of real speech with word boundaries (see the module docstring).

    Parameters
    ----------
    split : {"train", "dev", "test"}
        Speaker-disjoint between train/dev and test.
    n : int, default 300
        Number of strings; string ``i`` depends only on ``(seed, split, i)``.
    seed : int, default 0
    cache_dir : path or None
        Where the 16 kHz wav + JSON files go (default ``data_home() / "fsdd-strings"``).
    path : path or None
        The FSDD ``recordings`` folder (default ``$SEQTAG_DATA/fsdd/recordings``).
    vad_db : float, default 30
        Energy VAD threshold below the loudest frame.

    Returns
    -------
    SpeechCorpus
        Transcripts like ``"three one four"``; ``words`` set, ``phones`` ``None``.

    Raises
    ------
    CorpusNotFoundError
        FSDD is not found (set ``SEQTAG_DATA``).

    Examples
    --------
    >>> test = load_fsdd_strings("test", n=10)  # doctest: +SKIP
    >>> test[0].transcript  # doctest: +SKIP
    'seven two nine four'
    """
    if split not in SPEAKERS:
        raise InputError(f"unknown split {split!r}; valid splits: {', '.join(SPEAKERS)}")
    if not isinstance(n, (int, np.integer)) or n < 0:
        raise InputError(f"n must be a non-negative int, got {n!r}")
    root = fsdd_root(path)
    recs = _recordings(root, split)
    base = Path(cache_dir) if cache_dir is not None else data_home() / "fsdd-strings"
    folder = base / f"{split}-s{seed}-v{vad_db:g}-g{_GEN_VERSION}"

    def build(i):
        audio, spk, words, meta = _build(i, split, recs, seed, vad_db)
        doc = {"transcript": " ".join(w.label for w in words), "speaker": spk,
               "words": [[w.label, w.start, w.end] for w in words], "meta": meta}
        return audio, 16000, doc

    return cached_corpus("fsdd-strings", split, folder, n, "fsdd", build)
