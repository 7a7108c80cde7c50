"""CTC forced alignment: the single best CTC path that collapses to a transcript.

Same contract as ``torchaudio.functional.forced_align`` (Viterbi over the
``2L + 1`` extended states, a blank may be skipped only between two different
labels), with 2-bit packed backpointers (a quarter of torchaudio's memory), a
banded long-audio mode and an optional wildcard ("star") token.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from .._arrays import as_numpy, is_tensor
from ..exceptions import InputError
from ._ctc_kernels import viterbi_band, viterbi_band_batch

__all__ = ["ctc_align", "ctc_align_batch", "ctc_band"]


def _as_log_probs(log_probs, name: str = "log_probs", ndim: int = 2) -> np.ndarray:
    arr = as_numpy(log_probs)
    if arr.ndim != ndim:
        shape = "(T, C)" if ndim == 2 else "(B, T, C)"
        raise InputError(f"{name} must be a {ndim}-D array of shape {shape}, got shape {arr.shape}")
    if arr.dtype.kind not in "fiu":
        raise InputError(f"{name} must hold real numbers (log probabilities), got dtype {arr.dtype}")
    if arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float64)
    if arr.shape[-1] == 0:
        raise InputError(f"{name} has no classes (last dimension is 0)")
    return np.ascontiguousarray(arr)


def _warn_if_probabilities(lp: np.ndarray, name: str) -> None:
    """Warn when ``lp`` looks like probabilities: Viterbi on them is not the best log path.

    (Logits need no warning: every path uses one class per frame, so a per-frame
    normaliser shifts all paths alike and the best path is the one of ``log_softmax``.)
    """
    if lp.shape[-1] < 2 or lp.size == 0 or lp.min() < 0 or lp.max() > 1:
        return
    head = lp.reshape(-1, lp.shape[-1])[:1000].sum(axis=-1, dtype=np.float64)
    if np.allclose(head, 1.0, atol=1e-3):
        warnings.warn(
            f"{name} looks like probabilities (every value in [0, 1], rows sum to 1), but log "
            f"probabilities are expected; pass np.log(probs) or log_softmax output, otherwise "
            f"the alignment is not the most probable one",
            UserWarning,
            stacklevel=3,
        )


def _check_finite_rows(lp: np.ndarray, name: str) -> None:
    if lp.size == 0 or lp.max() < np.inf:  # max is nan if any nan: no (T, C) temporaries
        return
    bad = np.isnan(lp) | (lp == np.inf)
    if bad.any():
        idx = np.argwhere(bad)[0]
        raise InputError(
            f"{name} contains NaN or +inf (first at index {tuple(int(i) for i in idx)}); "
            f"log probabilities must be finite or -inf (use log_softmax)"
        )


def _as_targets(targets, n_classes: int, blank: int, star: int | None, name: str = "targets") -> np.ndarray:
    arr = as_numpy(targets)
    if arr.ndim != 1:
        raise InputError(f"{name} must be a 1-D sequence of class indices, got shape {arr.shape}")
    if arr.size and arr.dtype.kind not in "iu":
        raise InputError(f"{name} must hold integer class indices, got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    if np.any(arr == blank):
        pos = int(np.flatnonzero(arr == blank)[0])
        raise InputError(
            f"{name}[{pos}] is the blank index {blank}; a transcript must not contain the blank "
            f"(remove it, or pass the right blank=...)"
        )
    valid = (arr >= 0) & (arr < n_classes)
    if star is not None:
        valid |= arr == star
    if not valid.all():
        pos = int(np.flatnonzero(~valid)[0])
        raise InputError(
            f"{name}[{pos}] = {int(arr[pos])} is not a class index in [0, {n_classes})"
            + ("" if star is None else f" nor the star index {star}")
        )
    return arr


def _check_blank_star(blank: int, star: int | None, n_classes: int) -> None:
    if not (isinstance(blank, (int, np.integer)) and 0 <= blank < n_classes):
        raise InputError(f"blank must be a class index in [0, {n_classes}), got blank={blank!r}")
    if star is not None:
        if not isinstance(star, (int, np.integer)) or 0 <= star < n_classes:
            raise InputError(
                f"star must be an int outside the class range [0, {n_classes}) (e.g. -1), got {star!r}; "
                f"its emission score is computed from log_probs, it is not a column"
            )


def _n_repeats(targets: np.ndarray) -> int:
    return int(np.count_nonzero(targets[1:] == targets[:-1])) if targets.size > 1 else 0


def _check_length(T: int, targets: np.ndarray, where: str = "") -> None:
    L = targets.size
    R = _n_repeats(targets)
    if T < L + R or T == 0:
        raise InputError(
            f"{where}targets length is too long for CTC. Found log_probs length: {T}, targets length: {L}, "
            f"and number of repeats: {R}; CTC needs at least L + R = {L + R} frames (and at least 1). "
            f"Use more frames (smaller hop) or a shorter transcript."
        )


def _trellis(targets: np.ndarray, blank: int, star_col: int | None, star: int | None):
    """Extended states: column per state, skip flags, and the label each state emits."""
    L = targets.size
    S = 2 * L + 1
    labels = np.full(S, blank, dtype=np.int64)
    labels[1::2] = targets
    ext = labels.copy()
    if star is not None:
        ext[labels == star] = star_col
    skip = np.full(S, -np.inf)  # additive mask: 0 where s may be entered from s - 2
    if L > 1:
        skip[3::2] = np.where(targets[1:] != targets[:-1], 0.0, -np.inf)
    return ext, skip, labels


def ctc_band(T: int, S: int, window: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``[lo[t], hi[t])`` of the extended-state trellis the aligner visits.

    Parameters
    ----------
    T : int
        Number of frames.
    S : int
        Number of extended states ``2L + 1``.
    window : int or None
        ``None``: every reachable state, ``[max(0, S - 2(T - t)), min(S, 2t + 2))``.
        An int ``W``: additionally only ``W`` states centred on the straight
        line from state 0 at frame 0 to state ``S - 1`` at frame ``T - 1``.

    Returns
    -------
    lo, hi : (T,) int64
        Non-decreasing band limits (``hi`` exclusive).

    Examples
    --------
    >>> lo, hi = ctc_band(3, 3)
    >>> lo.tolist(), hi.tolist()
    ([0, 0, 1], [2, 3, 3])
    """
    t = np.arange(T, dtype=np.int64)
    lo = np.maximum(0, S - 2 * (T - t))
    hi = np.minimum(S, 2 * t + 2)
    if window is not None:
        centre = np.rint(t * ((S - 1) / max(T - 1, 1))).astype(np.int64)
        wlo = np.clip(centre - window // 2, 0, max(S - window, 0))
        lo = np.maximum(lo, wlo)
        hi = np.minimum(hi, wlo + window)
    return lo, np.maximum(hi, lo)


def _star_log_probs(lp: np.ndarray) -> np.ndarray:
    """Append the wildcard column: max over all classes at each frame."""
    return np.concatenate([lp, lp.max(axis=-1, keepdims=True)], axis=-1)


def _prepare(lp, targets, blank, star, window, where=""):
    T, C = lp.shape
    _check_length(T, targets, where)
    use_star = star is not None and bool(np.any(targets == star))
    ext, skip, labels = _trellis(targets, blank, C if use_star else None, star if use_star else None)
    if window is not None:
        if not isinstance(window, (int, np.integer)) or window < 2:
            raise InputError(f"window must be None or an int >= 2 (states per frame), got {window!r}")
        window = int(window)
    lo, hi = ctc_band(T, ext.size, window)
    return ext, skip, labels, lo, hi, use_star


def ctc_align(
    log_probs,
    targets,
    blank: int = 0,
    star: int | None = None,
    window: int | None = None,
):
    """Best CTC alignment of ``targets`` to ``log_probs`` (Viterbi forced alignment).

    Parameters
    ----------
    log_probs : (T, C) or (1, T, C) numpy array or torch tensor
        Per-frame log probabilities (e.g. ``log_softmax`` output); ``-inf`` is allowed,
        NaN and ``+inf`` are not. Any float dtype (bfloat16 and float16 included); scores
        accumulate in float64. Logits give the same path; probabilities do not, and warn.
        ``(1, T, C)`` is ``torchaudio.functional.forced_align``'s layout: the outputs then
        keep the leading dimension, ``(1, T)``.
    targets : (L,) or (1, L) int sequence
        Transcript as class indices; must not contain ``blank``. ``L = 0`` gives an
        all-blank path.
    blank : int, default 0
        Index of the blank class.
    star : int or None, default None
        Value (outside ``[0, C)``, e.g. ``-1``) that marks a wildcard position in
        ``targets``. A star is a label like any other (it occupies one or more
        consecutive frames, blanks may surround it) whose emission score at frame
        ``t`` is ``max_c log_probs[t, c]`` over **all** classes, blank included: it
        absorbs audio that has no transcript (untranscribed speech, noise, music).
        Frames aligned to it carry the value ``star`` in ``path``.
    window : int or None, default None
        ``None``: exact Viterbi over all reachable states (memory at most
        ``T * (2L+1) / 4`` bytes). An int ``W``: long-audio mode, only ``W`` extended states around the
        straight diagonal of the trellis are kept per frame (memory ``T * W / 4``
        bytes, time ``T * W``). Equals the exact result whenever the best path stays
        in the band; raises :class:`InputError` if no path fits.

    Returns
    -------
    path : (T,) int64 array or tensor
        Label of every frame (``blank``, a target value, or ``star``).
    frame_scores : (T,) float array or tensor
        ``log_probs[t, path[t]]`` (for star frames, the star emission score).
        Same kind (numpy or torch) as ``log_probs``; float32 for bfloat16 input.

    Warns
    -----
    UserWarning
        If ``log_probs`` looks like probabilities (values in ``[0, 1]``, rows summing to 1).

    Raises
    ------
    InputError
        Wrong shapes or dtypes, NaN/+inf in ``log_probs``, blank or out-of-range
        values in ``targets``, a transcript too long for the frames, or no
        finite-score path.

    Examples
    --------
    >>> import numpy as np
    >>> lp = np.log(np.array([[0.1, 0.8, 0.1], [0.7, 0.2, 0.1], [0.1, 0.1, 0.8]]))
    >>> path, scores = ctc_align(lp, [1, 2])
    >>> path.tolist()
    [1, 0, 2]
    """
    torch_in = is_tensor(log_probs)
    batch_of_one = getattr(log_probs, "ndim", None) == 3 and log_probs.shape[0] == 1
    if batch_of_one:  # torchaudio.functional.forced_align's layout: (1, T, C) and (1, L)
        log_probs = log_probs[0]
        if getattr(targets, "ndim", 1) == 2 and len(targets) == 1:
            targets = targets[0]
    lp = _as_log_probs(log_probs)
    T, C = lp.shape
    _check_blank_star(blank, star, C)
    tg = _as_targets(targets, C, blank, star)
    _check_finite_rows(lp, "log_probs")
    _warn_if_probabilities(lp, "log_probs")
    ext, skip, labels, lo, hi, use_star = _prepare(lp, tg, blank, star, window)
    lpx = _star_log_probs(lp) if use_star else lp
    states = np.empty(T, dtype=np.int64)
    score = viterbi_band(lpx, ext, skip, lo, hi, states)
    if not np.isfinite(score):
        _raise_no_path(window)
    path = labels[states]
    frame_scores = np.ascontiguousarray(lpx[np.arange(T), ext[states]])
    if batch_of_one:
        path, frame_scores = path[None], frame_scores[None]
    if torch_in:
        import torch

        return torch.from_numpy(path), torch.from_numpy(frame_scores)
    return path, frame_scores


def _raise_no_path(window, where: str = ""):
    if window is None:
        raise InputError(
            f"{where}no CTC alignment with a finite score exists: every path crosses a -inf log "
            f"probability. Check the emissions (e.g. a class masked out) or the transcript."
        )
    raise InputError(
        f"{where}no CTC alignment with a finite score fits in the band of window={window} states "
        f"around the diagonal (or none exists at all); use a larger window (e.g. {2 * window}) "
        f"or window=None for the exact aligner."
    )


def ctc_align_batch(
    log_probs,
    targets,
    input_lengths: Sequence[int] | None = None,
    target_lengths: Sequence[int] | None = None,
    blank: int = 0,
    star: int | None = None,
    window: int | None = None,
) -> list[tuple]:
    """:func:`ctc_align` over a padded batch, in parallel over utterances.

    Parameters
    ----------
    log_probs : (B, T, C) numpy array or torch tensor
    targets : (B, L) int array, padded
    input_lengths : (B,) ints or None
        Valid frames of each utterance (default: all ``T``).
    target_lengths : (B,) ints or None
        Valid targets of each utterance (default: all ``L``); padding beyond is ignored.
    blank, star, window
        As in :func:`ctc_align`.

    Returns
    -------
    list of (path, frame_scores)
        One pair per utterance, trimmed to its ``input_lengths[b]`` frames, of the
        same kind as ``log_probs``; each equals ``ctc_align`` on that utterance.

    Examples
    --------
    >>> import numpy as np
    >>> lp = np.log(np.full((2, 4, 3), 1 / 3))
    >>> out = ctc_align_batch(lp, np.array([[1, 2], [2, 0]]), [4, 3], [2, 1])
    >>> [p.shape[0] for p, _ in out]
    [4, 3]
    """
    torch_in = is_tensor(log_probs)
    lp = _as_log_probs(log_probs, ndim=3)
    B, Tm, C = lp.shape
    _check_blank_star(blank, star, C)
    tg_all = as_numpy(targets)
    if tg_all.ndim != 2 or tg_all.shape[0] != B:
        raise InputError(f"targets must have shape (B={B}, L), got {tg_all.shape}")
    in_len = _lengths(input_lengths, B, Tm, "input_lengths")
    tg_len = _lengths(target_lengths, B, tg_all.shape[1], "target_lengths")
    _check_finite_rows(lp, "log_probs")
    _warn_if_probabilities(lp, "log_probs")
    use_star_any = star is not None and bool(np.any(tg_all == star))
    lpx = _star_log_probs(lp) if use_star_any else lp
    Sm = 2 * tg_all.shape[1] + 1
    ext = np.zeros((B, Sm), dtype=np.int64)
    skip = np.full((B, Sm), -np.inf)
    lo = np.zeros((B, Tm), dtype=np.int64)
    hi = np.zeros((B, Tm), dtype=np.int64)
    n_states = np.zeros(B, dtype=np.int64)
    labels_all = []
    for b in range(B):
        tg = _as_targets(tg_all[b, : tg_len[b]], C, blank, star, name=f"targets[{b}]")
        e, sk, lab, l, h, _ = _prepare(lp[b, : in_len[b]], tg, blank, star, window, where=f"utterance {b}: ")
        S = e.size
        ext[b, :S], skip[b, :S], n_states[b] = e, sk, S
        lo[b, : in_len[b]], hi[b, : in_len[b]] = l, h
        labels_all.append(lab)
    states = np.zeros((B, Tm), dtype=np.int64)
    scores = np.empty(B, dtype=np.float64)
    viterbi_band_batch(lpx, in_len, ext, n_states, skip, lo, hi, states, scores)
    out = []
    for b in range(B):
        if not np.isfinite(scores[b]):
            _raise_no_path(window, where=f"utterance {b}: ")
        st = states[b, : in_len[b]]
        path = labels_all[b][st]
        fs = lpx[b, np.arange(in_len[b]), ext[b, st]]
        if torch_in:
            import torch

            out.append((torch.from_numpy(path), torch.from_numpy(np.ascontiguousarray(fs))))
        else:
            out.append((path, fs))
    return out


def _lengths(lengths, B: int, maximum: int, name: str) -> np.ndarray:
    if lengths is None:
        return np.full(B, maximum, dtype=np.int64)
    arr = as_numpy(lengths)
    if arr.shape != (B,) or (arr.size and arr.dtype.kind not in "iu"):
        raise InputError(f"{name} must be {B} integers, got shape {arr.shape} dtype {arr.dtype}")
    if np.any(arr < 0) or np.any(arr > maximum):
        raise InputError(f"{name} must lie in [0, {maximum}], got {arr.tolist()}")
    return arr.astype(np.int64)
