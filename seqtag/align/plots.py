"""Pictures of alignments: attention matrix + hard path over the spectrogram, and several aligners side by side.

Both functions write a PNG with matplotlib's ``Agg`` backend (no display
needed) and return its path. Times are in seconds on a shared x axis.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from .._arrays import as_numpy
from ..exceptions import InputError

__all__ = ["plot_alignment", "plot_alignments"]

_COLORS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _samples(audio, sr):
    from ..audio import load

    if isinstance(audio, (str, os.PathLike)):
        return load(audio, sr=None)
    if sr is None:
        raise InputError("pass sr= (Hz) with an audio array")
    x = np.asarray(audio, dtype=np.float32)
    if x.ndim != 1 or x.size == 0:
        raise InputError(f"audio must be a non-empty 1-D mono signal, got shape {x.shape}")
    return x, int(sr)


def _spectrogram(ax, x, sr):
    from ..audio import log_mel

    spec = log_mel(x, sr, n_mels=64)  # (frames, 64)
    duration = x.size / sr
    lo = np.percentile(spec, 5)
    ax.imshow(spec.T, origin="lower", aspect="auto", cmap="magma", extent=(0, duration, 0, spec.shape[1]),
              vmin=lo, vmax=spec.max(), interpolation="nearest")
    ax.set_ylabel("mel band")
    ax.set_xlim(0, duration)


def _tier(ax, intervals, color, name):
    """Intervals as labelled boxes on one row of ``ax`` (y from 0 to 1)."""
    for iv in intervals:
        ax.axvspan(iv.start, iv.end, ymin=0.1, ymax=0.9, facecolor=color, alpha=0.25, edgecolor=color, lw=1)
        ax.text((iv.start + iv.end) / 2, 0.5, iv.label, ha="center", va="center", fontsize=8, clip_on=True)
    ax.set_yticks([])
    ax.set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)


def _save(fig, plt, out_png) -> Path:
    out = Path(out_png)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return out


def plot_alignment(result_or_matrix, audio=None, sr: int | None = None, path=None, out_png: str | os.PathLike = "alignment.png",
                   frame_shift: float | None = None, labels: Sequence[str] | None = None, title: str | None = None) -> Path:
    """Draw an attention matrix with its monotonic path, under the spectrogram and the word tier.

    Parameters
    ----------
    result_or_matrix : AlignmentResult or (L, T) array
        An :class:`~seqtag.align.result.AlignmentResult` of
        :meth:`AttentionAligner.align <seqtag.align.aligners.attention.AttentionAligner.align>` (its
        ``raw["attention"]``, ``raw["path"]``, words and frame shift are used), or any
        tokens x frames matrix (e.g. :meth:`~seqtag.align.aligners.attention.AttentionAligner.attention`).
    audio : str, path-like, (n,) array or None
        Audio for the spectrogram panel (arrays need ``sr``); ``None``: no spectrogram.
    sr : int or None
    path : (T,) int array or None
        Token per frame (``-1`` = none), e.g. from :func:`~seqtag.align.monotonic.monotonic_alignment`;
        default the result's path.
    out_png : str or path-like
    frame_shift : float or None
        Seconds per matrix column (default: the result's, else 1 column = 1 unit of time).
    labels : list of str or None
        Row labels (default: the result's units when there is one label per row).
    title : str or None

    Returns
    -------
    pathlib.Path
        The PNG.

    Examples
    --------
    >>> import numpy as np
    >>> att = np.eye(3).repeat(2, axis=1) * 0.9 + 0.05
    >>> plot_alignment(att, path=np.array([0, 0, 1, 1, 2, 2]), out_png="/tmp/att.png").name  # doctest: +SKIP
    'att.png'
    """
    from .result import AlignmentResult

    result = result_or_matrix if isinstance(result_or_matrix, AlignmentResult) else None
    if result is not None:
        if "attention" not in result.raw:
            raise InputError("this AlignmentResult has no attention matrix (raw['attention']); pass the matrix itself "
                             "or use plot_alignments() to draw word boundaries")
        matrix = result.raw["attention"]
        path = result.raw.get("path") if path is None else path
        frame_shift = result.frame_shift if frame_shift is None else frame_shift
        if labels is None and len(result.units) == np.shape(matrix)[0]:
            labels = [u.label for u in result.units]
    else:
        matrix = result_or_matrix
    m = as_numpy(matrix).astype(np.float64, copy=False)
    if m.ndim != 2 or m.size == 0:
        raise InputError(f"the attention matrix must be a non-empty (tokens, frames) array, got shape {m.shape}")
    L, T = m.shape
    hop = 1.0 if frame_shift is None else float(frame_shift)
    if path is not None:
        path = np.asarray(path)
        if path.shape != (T,):
            raise InputError(f"path must have one entry per frame ({T}), got shape {path.shape}")
    if labels is not None and len(labels) != L:
        raise InputError(f"got {len(labels)} labels for {L} rows")
    plt = _pyplot()
    panels = ([3] if audio is not None else []) + ([0.6] if result is not None else []) + [max(2.5, 0.12 * L)]
    fig, axes = plt.subplots(len(panels), 1, figsize=(max(8.0, 0.06 * T + 2), sum(panels) + 0.6), sharex=True,
                             gridspec_kw={"height_ratios": panels}, squeeze=False)
    axes = list(axes[:, 0])
    if audio is not None:
        x, rate = _samples(audio, sr)
        _spectrogram(axes[0], x, rate)
        if result is not None:
            for w in result.words:
                axes[0].axvline(w.start, color="w", lw=0.8)
                axes[0].axvline(w.end, color="w", lw=0.8, ls="--")
    if result is not None:
        _tier(axes[-2], result.words, _COLORS[0], "words")
    ax = axes[-1]
    ax.imshow(m, origin="lower", aspect="auto", cmap="Greys", extent=(0, T * hop, -0.5, L - 0.5),
              vmin=0, vmax=max(float(m.max()), 1e-12), interpolation="nearest")
    if path is not None:
        t = np.flatnonzero(path >= 0)
        ax.plot((t + 0.5) * hop, path[t], ".", color=_COLORS[0], ms=3, label="monotonic path")
        ax.legend(loc="upper left", fontsize=8)
    if labels is not None and L <= 120:
        ax.set_yticks(range(L), labels, fontsize=6)
    ax.set_ylabel("token")
    ax.set_xlabel("time (s)" if frame_shift is not None else "frame")
    if title:
        axes[0].set_title(title)
    return _save(fig, plt, out_png)


def plot_alignments(audio, sr: int | None, results: Mapping, out_png: str | os.PathLike = "alignments.png",
                    reference=None, title: str | None = None) -> Path:
    """Word boundaries of several aligners (and a reference) over one spectrogram.

    Parameters
    ----------
    audio : str, path-like or (n,) array
    sr : int or None
        Sampling rate of an array (ignored for a file).
    results : dict
        ``{name: AlignmentResult or list of Interval}``, e.g. ``{"hmm": r1, "ctc": r2, "attention": r3}``;
        each gets a colour, vertical lines over the spectrogram and a word tier below it.
    out_png : str or path-like
    reference : list of Interval or None
        Reference words (e.g. ``utterance.words``), drawn as the first tier in black.
    title : str or None

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> plot_alignments("utt.wav", None, {"ctc": r_ctc, "attention": r_att}, "cmp.png",
    ...                 reference=utt.words)  # doctest: +SKIP
    """
    if not isinstance(results, Mapping) or not results:
        raise InputError("results must be a non-empty dict {name: AlignmentResult or list of Interval}")
    tiers = {} if reference is None else {"reference": list(reference)}
    for name, r in results.items():
        tiers[str(name)] = list(getattr(r, "words", r))
    x, rate = _samples(audio, sr)
    plt = _pyplot()
    ratios = [3.0] + [0.5] * len(tiers)
    fig, axes = plt.subplots(len(ratios), 1, figsize=(max(8.0, 3.0 * x.size / rate), sum(ratios) + 0.6), sharex=True,
                             gridspec_kw={"height_ratios": ratios, "hspace": 0.05})
    _spectrogram(axes[0], x, rate)
    for k, (name, words) in enumerate(tiers.items()):
        color = "k" if name == "reference" and reference is not None else _COLORS[k % len(_COLORS)]
        for w in words:
            for b in (w.start, w.end):
                axes[0].axvline(b, color=color if color != "k" else "w", lw=0.9, alpha=0.9, ymax=1 - 0.06 * k)
        _tier(axes[k + 1], words, color, name)
    axes[-1].set_xlabel("time (s)")
    if title:
        axes[0].set_title(title)
    return _save(fig, plt, out_png)
