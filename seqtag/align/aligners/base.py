"""The Aligner contract shared by every seqtag forced aligner.

An aligner is a scikit-learn estimator over utterances. ``fit(utterances)`` learns
(or, for a pretrained aligner, adapts), ``align(audio, transcript)`` returns one
:class:`~seqtag.align.result.AlignmentResult`, ``align_batch`` many, ``evaluate``
scores against reference tiers, ``save`` writes the one model format of
:mod:`seqtag.persistence` and :func:`seqtag.load` reads it back.

Subclasses implement hooks; the base class owns validation and the loop:

- ``_check_params()``: raise InputError for bad constructor arguments (run by ``fit``,
  ``align`` and when a saved aligner is loaded);
- ``_fit(items)``: learn from ``[(audio, transcript, utterance), ...]`` where ``audio``
  is the mono float32 signal at :attr:`sample_rate`; set learned attributes (ending in ``_``);
- ``_align_batch(items)``: align ``[(audio, transcript), ...]``;
- ``_get_state`` / ``_set_state`` (and ``_get_weights`` / ``_set_weights``) for persistence.

The constructor only stores its arguments; nothing it received is ever changed.
"""

from __future__ import annotations

import math
import os
import time
from typing import Any, ClassVar

import numpy as np

from ... import exceptions
from ..._arrays import as_numpy
from ..._estimator import Estimator
from ...exceptions import InputError, SeqtagError
from ...persistence import Persistent
from ..result import AlignmentResult

__all__ = ["Aligner", "load_audio", "utterance_items", "check_transcript", "check_training_params"]


def load_audio(audio, target_sr: int, sr: int | None = None) -> np.ndarray:
    """The one audio-loading helper of the aligners: a mono float32 signal at ``target_sr``.

    Parameters
    ----------
    audio : path-like, array or utterance
        A file path (wav/flac/ogg), a mono array (then ``sr`` is required), or an
        object with ``load_audio(sr)`` (a :class:`~seqtag.corpora.speech.Utterance`).
    target_sr : int
        Sample rate the aligner works at; audio at another rate is resampled.
    sr : int or None
        Sample rate of an array.

    Returns
    -------
    ndarray (samples,) float32

    Examples
    --------
    >>> load_audio(np.zeros(8000), 16000, sr=8000).shape
    (16000,)
    """
    from ...audio import load, resample

    if isinstance(audio, (str, os.PathLike)):
        return load(audio, sr=target_sr)[0]
    if hasattr(audio, "load_audio"):
        return audio.load_audio(target_sr)[0]
    x = as_numpy(audio)
    if x.ndim != 1 or x.dtype.kind not in "fiu":
        raise InputError(f"audio must be a file path or a mono 1-D array of samples, got "
                         f"{type(audio).__name__} of shape {getattr(x, 'shape', None)}")
    if sr is None:
        raise InputError(f"pass sr= (Hz) with an audio array (the aligner works at {target_sr} Hz)")
    if x.dtype.kind in "iu":
        x = x.astype(np.float32) / float(np.iinfo(x.dtype).max)
    if not np.all(np.isfinite(x)):
        raise InputError("the audio holds NaN or infinite samples")
    return resample(x.astype(np.float32), int(sr), int(target_sr))


def check_transcript(transcript) -> str:
    """The transcript if it has at least one word, else a clear InputError."""
    if not isinstance(transcript, str):
        raise InputError(f"the transcript must be a str of words, got {type(transcript).__name__}")
    if not transcript.split():
        raise InputError("the transcript is empty; forced alignment needs at least one word")
    return transcript


def utterance_items(utterances, what: str = "utterances") -> list[tuple[Any, str]]:
    """``[(audio, transcript)]`` of utterance objects (``transcript`` + ``load_audio``) or pairs."""
    if isinstance(utterances, (str, bytes, os.PathLike)):
        raise InputError(f"{what} must be a list of utterances or (audio, transcript) pairs, got one "
                         f"{type(utterances).__name__}; load a folder with seqtag.corpora.read_speech_folder")
    items = []
    for i, u in enumerate(utterances):
        if hasattr(u, "transcript"):
            items.append((u, u.transcript))
        elif isinstance(u, (tuple, list)) and len(u) == 2:
            items.append((u[0], u[1]))
        else:
            raise InputError(f"{what}[{i}] must be an utterance (with transcript and load_audio) or an "
                             f"(audio, transcript) pair, got {type(u).__name__}")
    return items


def check_training_params(aligner) -> None:
    """Check the training parameters shared by the neural aligners (InputError naming the bad one)."""
    for name in ("epochs", "batch_size"):
        v = getattr(aligner, name)
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise InputError(f"{name} must be an int >= 1, got {v!r}")
    if isinstance(aligner.lr, bool) or not isinstance(aligner.lr, (int, float)) or not 0 < aligner.lr < math.inf:
        raise InputError(f"lr must be a number > 0, got {aligner.lr!r}")
    if isinstance(aligner.random_state, bool) or not isinstance(aligner.random_state, (int, np.integer)):
        raise InputError(f"random_state must be an int, got {aligner.random_state!r}")
    for name in ("calibrate", "verbose"):
        if not isinstance(getattr(aligner, name), (bool, np.bool_)):
            raise InputError(f"{name} must be True or False, got {getattr(aligner, name)!r}")


def _name(item, i: int) -> str:
    """How an utterance is named in error messages: its id, its path, or its position."""
    if hasattr(item, "id"):
        return f"utterance {item.id!r}"
    if isinstance(item, (str, os.PathLike)):
        return f"utterance {str(item)!r}"
    return f"utterance #{i}"


class Aligner(Persistent, Estimator):
    """Base class of all forced aligners.

    Class attributes
    ----------------
    sample_rate : int
        Sample rate the aligner's features are computed at.
    pretrained : bool
        ``align`` works before ``fit`` (the model ships with a package); ``fit`` adapts it.
    learns_from_audio_only : bool
        ``fit`` never reads reference boundaries (so it may learn from the recordings it
        then aligns, as MFA does).
    """

    model_kind: ClassVar[str] = "aligner"
    sample_rate: ClassVar[int] = 16000
    pretrained: ClassVar[bool] = False
    learns_from_audio_only: ClassVar[bool] = False
    #: True: ``align`` takes transcripts as people write them (case, punctuation, annotations);
    #: otherwise the command line normalises them first (lower case, apostrophes).
    raw_transcripts: ClassVar[bool] = False
    #: A learned attribute that exists once the aligner is fitted (or loaded).
    _fitted_attr: ClassVar[str] = "history_"

    # ------------------------------------------------------------------ hooks
    def _fit(self, items: list[tuple[np.ndarray, str, Any]]) -> None:
        raise NotImplementedError

    def _align_batch(self, items: list[tuple[np.ndarray, str]]) -> list[AlignmentResult]:
        raise NotImplementedError

    # ------------------------------------------------------------ public API
    def __sklearn_is_fitted__(self) -> bool:
        return self.pretrained or hasattr(self, self._fitted_attr)

    def _check_fitted(self) -> None:
        if not self.__sklearn_is_fitted__():
            raise exceptions.NotFittedError(
                f"This {type(self).__name__} is not fitted yet; call fit(utterances) first, or load a "
                f"saved one with seqtag.load(folder)"
            )

    def fit(self, utterances) -> Aligner:
        """Learn from utterances (a pretrained aligner adapts to them).

        Parameters
        ----------
        utterances : iterable
            Objects with ``transcript`` and ``load_audio(sr)`` (e.g. a
            :class:`~seqtag.corpora.speech.SpeechCorpus`) or ``(audio_path, transcript)`` pairs.
            Aligners with ``learns_from_audio_only`` never read reference boundaries.

        Returns
        -------
        self
        """
        self._check_params()
        pairs = utterance_items(utterances)
        if not pairs:
            raise InputError("fit needs at least one utterance")
        items = []
        for i, (a, t) in enumerate(pairs):
            try:
                check_transcript(t)
            except InputError as exc:
                raise InputError(f"{_name(a, i)}: {exc}") from None
            items.append((load_audio(a, self.sample_rate), t, a))
        self._fit(items)
        return self

    def align(self, audio, transcript: str, sr: int | None = None) -> AlignmentResult:
        """Align a transcript to an audio file path or a mono array (then pass ``sr``).

        Parameters
        ----------
        audio : path-like or array
        transcript : str
            The words spoken, separated by spaces.
        sr : int or None
            Sample rate of an array.

        Returns
        -------
        AlignmentResult
            Word and unit (character or phone) intervals in seconds with confidences.

        Raises
        ------
        InputError
            Empty transcript, words the model cannot spell, or audio too short for the transcript.
        """
        return self.align_batch([(audio, transcript)], sr=sr)[0]

    def align_batch(self, utterances, sr: int | None = None) -> list[AlignmentResult]:
        """Align many utterances (objects with ``transcript`` and audio, or ``(audio, transcript)`` pairs).

        Parameters
        ----------
        utterances : iterable
        sr : int or None
            Sample rate of array audio.

        Returns
        -------
        list of AlignmentResult
            One per utterance, in order.
        """
        self._check_fitted()
        self._check_params()
        pairs = utterance_items(utterances)
        items = []
        for i, (a, t) in enumerate(pairs):
            try:
                items.append((load_audio(a, self.sample_rate, sr), check_transcript(t)))
            except InputError as exc:
                raise (InputError(f"{_name(a, i)}: {exc}") if len(pairs) > 1 else exc) from None
        return self._align_batch(items) if items else []

    def evaluate(self, utterances, tolerance: float = 0.02) -> dict[str, Any]:
        """Boundary errors against the utterances' reference tiers, pooled over utterances.

        Parameters
        ----------
        utterances : iterable of Utterance
            With reference ``words`` (``phones`` optional: scored where the aligner's
            phone tier has as many intervals).
        tolerance : float
            Seconds within which a boundary counts as hit (for ``boundary_f1``).

        Returns
        -------
        dict
            :func:`seqtag.metrics.boundary_report` keys over all word boundaries
            (``n_boundaries``, ``mean_abs_ms``, ``median_abs_ms``, ``within_10ms`` ...),
            ``start_mae_ms`` / ``end_mae_ms``, ``phone_*`` the same for phones,
            ``failed`` (utterances the aligner refused) and ``x_realtime``.
        """
        from ...metrics import boundary_errors, by_position, pooled_boundary_report

        utts = [u for u in utterances if getattr(u, "words", None)]
        if not utts:
            raise InputError("evaluate needs utterances with reference words (utterance.words)")
        refs, hyps, prefs, phyps, failed, audio_s, seconds = [], [], [], [], 0, 0.0, 0.0
        for u in utts:
            t0 = time.perf_counter()
            try:
                r = self.align(u, u.transcript)
            except SeqtagError:
                failed += 1
                continue
            seconds += time.perf_counter() - t0
            audio_s += r.duration
            refs.append(u.words)
            hyps.append(by_position(u.words, r.words))
            if getattr(u, "phones", None) and r.unit_kind == "phones" and len(u.phones) == len(r.units):
                prefs.append(u.phones)
                phyps.append(by_position(u.phones, r.units))
        out = dict(pooled_boundary_report(refs, hyps, tolerance))
        errs = [np.abs(boundary_errors(r, h)) * 1000 for r, h in zip(refs, hyps)]
        e = np.concatenate(errs) if errs else np.zeros(0)
        out["start_mae_ms"] = float(e[0::2].mean()) if e.size else math.nan
        out["end_mae_ms"] = float(e[1::2].mean()) if e.size else math.nan
        for k, v in pooled_boundary_report(prefs, phyps, tolerance).items():
            out[f"phone_{k}"] = v
        out["utterances"] = len(utts)
        out["failed"] = failed
        out["x_realtime"] = audio_s / seconds if seconds > 0 else math.inf
        return out
