"""Snap word boundaries to pauses: an energy-based refinement of any aligner's word spans.

CTC emissions are peaky: a word's characters fire on a few frames, and where the word
really starts and ends inside the blank frames around it is a guess (a fixed calibrated
shift at best). When words are separated by a pause, the audio says where: the boundary
between two words belongs at the edges of the low-energy stretch between them. This
module moves each boundary to those edges when such a stretch exists near it, and leaves
it alone otherwise (no pause: connected speech).

Silence is decided per utterance: frame energies (dB, 25 ms windows every 10 ms) below
``floor + margin`` are silent, where ``floor`` is a low percentile of the utterance's
frame energies, so the rule adapts to the recording level and noise.
"""

from __future__ import annotations

import numpy as np

from ..exceptions import InputError
from .spans import Interval

__all__ = ["frame_energy_db", "silent_runs", "refine_word_boundaries"]


def frame_energy_db(audio: np.ndarray, sr: int, win_ms: float = 25.0, hop_ms: float = 10.0) -> np.ndarray:
    """Frame energies in dB, ``(n_frames,)``; frame ``t`` is centred at ``t * hop``.

    Examples
    --------
    >>> x = np.r_[np.zeros(1600), np.ones(1600)]
    >>> e = frame_energy_db(x, 16000)
    >>> bool(e[5] < -90 and e[15] > -1)
    True
    """
    x = np.asarray(audio, dtype=np.float64)
    if x.ndim != 1:
        raise InputError(f"audio must be mono (1-D), got shape {x.shape}")
    win, hop = int(round(sr * win_ms / 1000)), int(round(sr * hop_ms / 1000))
    pad = np.pad(x, (win // 2, win // 2))
    n = 1 + max(0, (pad.size - win) // hop)
    idx = np.arange(win)[None, :] + hop * np.arange(n)[:, None]  # (frames, win)
    power = np.mean(pad[idx] ** 2, axis=1)
    return 10 * np.log10(np.maximum(power, 1e-12))


def silent_runs(energy_db: np.ndarray, margin_db: float = 12.0, floor_percentile: float = 5.0,
                min_frames: int = 3) -> list[tuple[int, int]]:
    """Maximal runs ``[start, end)`` of at least ``min_frames`` frames below ``floor + margin_db``.

    Examples
    --------
    >>> silent_runs(np.array([-60, -60, -60, -10, -10, -60, -60, -60, -60.]), min_frames=3)
    [(0, 3), (5, 9)]
    """
    e = np.asarray(energy_db, dtype=np.float64)
    quiet = e < np.percentile(e, floor_percentile) + margin_db
    runs, t = [], 0
    while t < e.size:
        if quiet[t]:
            u = t
            while u < e.size and quiet[u]:
                u += 1
            if u - t >= min_frames:
                runs.append((t, u))
            t = u
        else:
            t += 1
    return runs


def refine_word_boundaries(words: list[Interval], anchors: list[tuple[float, float]], audio: np.ndarray, sr: int,
                           margin_db: float = 12.0, min_pause: float = 0.03, hop: float = 0.01,
                           win_ms: float = 25.0) -> list[Interval]:
    """Move word boundaries to the edges of the pauses between words.

    Parameters
    ----------
    words : list of Interval
        Word spans in seconds, in order.
    anchors : list of (float, float)
        Per word, times known to be inside it (e.g. its first and last CTC spike); a
        pause is only looked for between one word's last anchor and the next one's first.
    audio : 1-D array
    sr : int
    margin_db, min_pause
        Silence threshold above the utterance's noise floor, and the shortest pause.
    hop : float
        Energy frame step in seconds.
    win_ms : float
        Energy window length in milliseconds.

    Returns
    -------
    list of Interval
        Same words; a start or end is moved only where a pause was found next to it.

    Examples
    --------
    >>> sr = 16000
    >>> tone = np.sin(np.arange(4000) * 0.3)
    >>> x = np.r_[np.zeros(1600), tone, np.zeros(3200), tone, np.zeros(1600)]  # 0.1 s pause, word, 0.2 s, word
    >>> w = [Interval("a", 0.05, 0.40), Interval("b", 0.50, 0.90)]
    >>> [(v.start, v.end) for v in refine_word_boundaries(w, [(0.15, 0.3), (0.6, 0.8)], x, sr)]
    [(0.0975, 0.3525), (0.5475, 0.8025)]
    """
    if len(anchors) != len(words):
        raise InputError(f"need one (first, last) anchor per word: {len(words)} words, {len(anchors)} anchors")
    if not words:
        return []
    e = frame_energy_db(audio, sr, win_ms=win_ms, hop_ms=hop * 1000)
    half = win_ms / 2000
    runs = silent_runs(e, margin_db=margin_db, min_frames=max(1, int(round(min_pause / hop))))
    starts = [w.start for w in words]
    ends = [w.end for w in words]
    duration = len(audio) / sr
    bounds = [0.0] + [a for pair in anchors for a in pair] + [duration]
    for k in range(len(words) + 1):
        lo, hi = bounds[2 * k], bounds[2 * k + 1]  # between word k-1's last anchor and word k's first
        inside = [(a, b) for a, b in runs if a * hop >= lo - 1e-9 and (b - 1) * hop <= hi + 1e-9]
        if not inside:
            continue
        a, b = max(inside, key=lambda r: r[1] - r[0])  # the longest pause of the gap
        # frame t's window is [t*hop - w/2, t*hop + w/2]: sound stops between the windows of
        # frames a-1 and a, and starts between those of b-1 and b; take the middles
        pause_start, pause_end = a * hop - half - hop / 2, (b - 1) * hop + half + hop / 2
        # move both sides or neither, so the words stay ordered and keep a positive length
        if (k == 0 or pause_start > starts[k - 1]) and (k == len(words) or pause_end < ends[k]):
            if k > 0:
                ends[k - 1] = round(pause_start, 6)
            if k < len(words):
                starts[k] = round(pause_end, 6)
    return [Interval(w.label, s, max(t, s), w.score) for w, s, t in zip(words, starts, ends)]
