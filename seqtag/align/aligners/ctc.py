"""End-to-end CTC forced alignment: audio + transcript -> word and unit intervals.

**Word timing rule.** CTC emissions are peaky: a unit usually occupies one or
two frames near its acoustic onset, the rest of its sound is labelled blank. The
aligner therefore takes

* ``start = first frame of the word's first unit * hop + start_shift``;
* ``end = (last frame + 1) of the word's last unit * hop + end_shift``, then
  clamped to ``[start + units * hop, next word's start]`` and to the audio;
* shifted starts are pushed forward (then pulled back from the end of the
  audio) so that every word keeps at least one frame per unit, in order: no
  word of the transcript is ever lost to a zero-length interval;
* units (characters/phones) inside a word are contiguous: each ends where the
  next one starts, the last one at the word end, each at least one frame long.

``start_shift`` and ``end_shift`` default to ``-hop / 2`` (frames are centred
on ``t * hop``) and are *calibrated* by :meth:`CTCAligner.calibrate` (run at the
end of :meth:`CTCAligner.fit` when the training utterances carry reference
words): each becomes the median signed difference between reference and raw
CTC boundaries on those utterances. The end shift absorbs the systematic gap
between the last unit's spike and the end of the word.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..exceptions import InputError, ModelFileError, NotFittedError
from .ctc import ctc_align
from .spans import Interval, merge_tokens

__all__ = ["AlignmentResult", "CTCAligner", "align_emissions"]

_CONFIG, _WEIGHTS = "aligner.json", "model.pt"
_FORMAT = 1


@dataclass
class AlignmentResult:
    """Result of aligning one utterance.

    Attributes
    ----------
    words : list of Interval
        One per transcript word, in order, with confidence ``score`` in [0, 1].
    units : list of Interval
        One per character (or phone).
    duration : float
        Audio duration in seconds.
    frame_shift : float
        Seconds per emission frame.
    score : float
        Mean word confidence.
    unit_kind : str
        ``"chars"`` or ``"phones"`` (the tier name of ``units``).
    """

    words: list[Interval]
    units: list[Interval]
    duration: float
    frame_shift: float
    score: float
    unit_kind: str = "chars"
    raw: dict = field(default_factory=dict, repr=False)

    def tiers(self) -> dict[str, list[Interval]]:
        """``{"words": ..., unit_kind: ...}`` for the writers of :mod:`seqtag.align.formats`."""
        return {"words": self.words, self.unit_kind: self.units}

    def write(self, path: str | os.PathLike, utt_id: str = "utt") -> None:
        """Write a ``.TextGrid``, ``.ctm`` (words) or ``.json`` file, by extension."""
        from .formats import write_ctm, write_json, write_textgrid

        suffix = Path(path).suffix.lower()
        if suffix == ".textgrid":
            write_textgrid(path, self.tiers(), duration=self.duration)
        elif suffix == ".ctm":
            write_ctm(path, utt_id, self.words)
        elif suffix == ".json":
            write_json(path, self.tiers(), duration=self.duration, utt_id=utt_id, score=self.score)
        else:
            raise InputError(f"output must end in .TextGrid, .ctm or .json, got {str(path)!r}")


def _units_of(word: str, index: dict[str, int]) -> list[int]:
    out = []
    for c in word:
        for cand in (c, c.lower(), c.upper()):
            if cand in index:
                out.append(index[cand])
                break
        else:
            raise InputError(f"character {c!r} of word {word!r} is not in the vocabulary; remove or spell it out")
    return out


def align_emissions(
    log_probs,
    transcript: str,
    vocab: list[str],
    frame_shift: float,
    blank: int = 0,
    word_sep: str | None = None,
    start_shift: float | None = None,
    end_shift: float | None = None,
    duration: float | None = None,
    word_units: list[list[int]] | None = None,
    unit_labels: list[str] | None = None,
    unit_kind: str = "chars",
) -> AlignmentResult:
    """Forced-align a transcript to CTC emissions from any model (e.g. your own wav2vec2).

    Parameters
    ----------
    log_probs : (T, C) array or tensor
        Per-frame log probabilities.
    transcript : str
        Words separated by spaces.
    vocab : list of str
        Label of each class (``len(vocab) == C``); characters are matched as
        they are, then lower- and upper-cased.
    frame_shift : float
        Seconds per frame (0.02 for wav2vec2).
    blank : int, default 0
    word_sep : str or None
        A word-separator label in ``vocab`` (e.g. ``"|"``) to insert between words.
    start_shift, end_shift : float or None
        Boundary shifts in seconds (default ``-frame_shift / 2``); see the module docstring.
    duration : float or None
        Audio duration (default ``T * frame_shift``).
    word_units : list of list of int or None
        Class ids of each word's units (default: its characters looked up in ``vocab``).
    unit_labels : list of str or None
        Labels of the units (default: the characters).
    unit_kind : str
        Tier name of the units.

    Returns
    -------
    AlignmentResult

    Examples
    --------
    >>> import numpy as np
    >>> probs = np.full((6, 3), 0.05)
    >>> probs[:, 0] = 0.9                                  # blank everywhere ...
    >>> probs[[1, 4], 0], probs[[1, 4], [1, 2]] = 0.05, 0.9  # ... but "a" at frame 1, "b" at frame 4
    >>> lp = np.log(probs)
    >>> r = align_emissions(lp, "a b", ["<b>", "a", "b"], 0.01, start_shift=0, end_shift=0)
    >>> [(w.label, w.start, w.end) for w in r.words]
    [('a', 0.01, 0.02), ('b', 0.04, 0.05)]
    """
    if not isinstance(transcript, str) or not transcript.split():
        raise InputError("the transcript is empty; forced alignment needs at least one word")
    if not frame_shift > 0:
        raise InputError(f"frame_shift must be a positive number of seconds, got {frame_shift!r}")
    if type(log_probs).__module__.startswith("torch"):
        log_probs = log_probs.detach().cpu().numpy()
    lp = np.asarray(log_probs)
    if lp.ndim != 2 or lp.shape[1] != len(vocab):
        raise InputError(f"log_probs must be (T, C={len(vocab)}) to match vocab, got shape {lp.shape}")
    words = transcript.split()
    index = {s: i for i, s in enumerate(vocab) if i != blank}
    if word_units is None:
        word_units = [_units_of(w, index) for w in words]
        unit_labels = [c for w in words for c in w]
    if len(word_units) != len(words) or any(len(u) == 0 for u in word_units):
        raise InputError("word_units must give at least one unit for every word")
    sep = None
    if word_sep is not None:
        if word_sep not in index:
            raise InputError(f"word_sep {word_sep!r} is not in the vocabulary")
        sep = index[word_sep]
    targets, is_unit = [], []
    for k, u in enumerate(word_units):
        if k and sep is not None:
            targets.append(sep)
            is_unit.append(False)
        targets += list(u)
        is_unit += [True] * len(u)
    T = lp.shape[0]
    reps = sum(1 for a, b in zip(targets[1:], targets[:-1]) if a == b)
    if T < len(targets) + reps:
        raise InputError(
            f"the audio is too short for the transcript: {T} frames ({T * frame_shift:.2f} s) cannot hold "
            f"{len(targets)} units (+{reps} repeated); check that transcript and audio belong together"
        )
    path, scores = ctc_align(lp, np.asarray(targets, dtype=np.int64), blank=blank)
    spans = [s for s, keep in zip(merge_tokens(path, scores, blank=blank), is_unit) if keep]
    return word_timing(spans, words, word_units, unit_labels, unit_kind, frame_shift, start_shift, end_shift,
                       T * float(frame_shift) if duration is None else duration)


def word_timing(spans: list, words: list[str], word_units: list[list[int]], unit_labels: list[str], unit_kind: str,
                frame_shift: float, start_shift: float | None, end_shift: float | None,
                duration: float) -> AlignmentResult:
    """Word and unit intervals in seconds from per-unit frame spans (the rule of :func:`align_emissions`).

    ``spans`` holds one :class:`~seqtag.align.spans.TokenSpan` per unit (frames, in order),
    ``word_units`` the units of each word (only their count is used here).
    """
    hop = float(frame_shift)
    s_shift = -hop / 2 if start_shift is None else float(start_shift)
    e_shift = -hop / 2 if end_shift is None else float(end_shift)
    duration = float(duration)
    raw_starts, raw_ends, confs, groups, i = [], [], [], [], 0
    for u in word_units:
        g = spans[i : i + len(u)]
        i += len(u)
        groups.append(g)
        raw_starts.append(g[0].start * hop)
        raw_ends.append(g[-1].end * hop)
        frames = sum(len(s) for s in g)
        confs.append(sum(s.score * len(s) for s in g) / frames)
    # Shifted boundaries must still give every unit at least one frame, in order: push each
    # start past the previous word's units, then pull back from the end of the audio.
    widths = [hop * len(g) for g in groups]
    starts = [a + s_shift for a in raw_starts]
    floor = 0.0
    for k in range(len(starts)):
        starts[k] = max(starts[k], floor)
        floor = starts[k] + widths[k]
    ceiling = duration
    for k in range(len(starts) - 1, -1, -1):
        starts[k] = min(starts[k], ceiling - widths[k])
        ceiling = starts[k]
    out_words, out_units, labels = [], [], iter(unit_labels)
    for k, w in enumerate(words):
        limit = starts[k + 1] if k + 1 < len(words) else duration
        end = min(max(raw_ends[k] + e_shift, starts[k] + widths[k]), limit)
        out_words.append(Interval(w, round(starts[k], 6), round(end, 6), round(float(confs[k]), 6)))
        n = len(groups[k])
        u_starts = [s.start * hop + s_shift for s in groups[k]]
        u_starts[0] = starts[k]
        for j in range(1, n):  # same rule inside the word: one frame per unit at least
            u_starts[j] = max(u_starts[j], u_starts[j - 1] + hop)
        for j in range(n - 1, 0, -1):
            u_starts[j] = min(u_starts[j], end - hop * (n - j), u_starts[j + 1] - hop if j + 1 < n else end - hop)
        for j, s in enumerate(groups[k]):
            u_end = u_starts[j + 1] if j + 1 < n else end
            out_units.append(Interval(next(labels), round(u_starts[j], 6), round(u_end, 6), round(s.score, 6)))
    return AlignmentResult(
        out_words, out_units, duration, hop, float(np.mean(confs)), unit_kind,
        raw={"starts": raw_starts, "ends": raw_ends},
    )


def _refined(result: AlignmentResult, refine: str | None, audio: np.ndarray, sr: int,
             anchors: list[tuple[float, float]] | None = None) -> AlignmentResult:
    """``result`` with its word boundaries snapped to pauses (``refine="energy"``); units follow their word.

    ``anchors``: per word, two times inside it (default: its raw first and last CTC spike).
    """
    if refine is None:
        return result
    if refine != "energy":
        raise InputError(f"refine must be None or 'energy', got {refine!r}")
    from .refine import refine_word_boundaries

    if anchors is None:
        anchors = list(zip(result.raw["starts"], result.raw["ends"]))
    words = refine_word_boundaries(result.words, anchors, audio, sr)
    units, k, n = [], 0, len(result.units)
    for old, new in zip(result.words, words):
        first = k  # a word's units are contiguous and end by the word's end
        while k < n and (k == first or result.units[k].end <= old.end + 1e-9):
            k += 1
        for j in range(first, k):
            u = result.units[j]
            start = new.start if j == first else min(max(u.start, new.start), new.end)
            end = new.end if j == k - 1 else min(max(u.end, start), new.end)
            units.append(Interval(u.label, round(start, 6), round(end, 6), u.score))
    return dataclasses.replace(result, words=words, units=units)


class CTCAligner:
    """Train a small CTC acoustic model and use it for forced alignment.

    Parameters
    ----------
    model : CTCAcousticModel or None
        A trained model; ``None`` builds one in :meth:`fit`.
    tokenizer : CharTokenizer or PhoneTokenizer or None
        Default: characters of the training transcripts.
    units : {"chars", "phones"}, default "chars"
        Tokenizer built by :meth:`fit` when ``tokenizer`` is None.
    word_sep : bool, default False
        Train with a ``"|"`` token between words.
    model_params : dict or None
        Passed to :class:`~seqtag.align.acoustic.CTCAcousticModel` (``hidden``, ``layers``, ``stride``...).
    feature_config : dict or None
        Overrides of :data:`~seqtag.align.acoustic.FEATURE_DEFAULTS`.
    start_shift, end_shift : float or None
        Boundary shifts in seconds; ``None``: ``-hop/2`` until calibrated.
    refine : {"energy", None}, default "energy"
        ``"energy"``: after the shifts, move word boundaries that face a pause to the
        pause's edges (:func:`seqtag.align.refine.refine_word_boundaries`); ``None``: shifts only.

    Examples
    --------
    >>> from seqtag.corpora.speech import load_speech_corpus
    >>> train = load_speech_corpus("synthetic", "train", n=300)  # doctest: +SKIP
    >>> aligner = CTCAligner().fit(train, epochs=30)  # doctest: +SKIP
    >>> aligner.align("utt.wav", "hello world").words  # doctest: +SKIP
    """

    def __init__(self, model=None, tokenizer=None, units: str = "chars", word_sep: bool = False,
                 model_params: dict | None = None, feature_config: dict | None = None,
                 start_shift: float | None = None, end_shift: float | None = None,
                 refine: str | None = "energy"):
        self.model = model
        self.tokenizer = tokenizer
        self.units = units
        self.word_sep = word_sep
        self.model_params = model_params
        self.feature_config = feature_config
        self.start_shift = start_shift
        self.end_shift = end_shift
        self.refine = refine

    # ---------------------------------------------------------------- helpers
    @property
    def _features(self) -> dict:
        from .acoustic import FEATURE_DEFAULTS

        return {**FEATURE_DEFAULTS, **(self.feature_config or {})}

    @property
    def frame_shift(self) -> float:
        """Seconds per emission frame."""
        stride = self.model.config["stride"] if self.model is not None else (self.model_params or {}).get("stride", 1)
        return self._features["hop_ms"] / 1000.0 * stride

    def _check_fitted(self):
        if self.model is None or self.tokenizer is None:
            raise NotFittedError("this CTCAligner has no model yet; call fit(utterances) or CTCAligner.load(folder)")

    def _audio(self, audio, sr):
        from ..audio import load, resample

        target = self._features["sr"]
        if isinstance(audio, (str, os.PathLike)):
            return load(audio, sr=target)[0]
        if sr is None:
            raise InputError(f"pass sr= (Hz) with an audio array (the model expects {target} Hz)")
        return resample(np.asarray(audio, dtype=np.float32), int(sr), target)

    def emissions(self, audio, sr: int | None = None) -> np.ndarray:
        """Log probabilities ``(frames, classes)`` of an audio path or array."""
        import torch

        from .acoustic import features

        self._check_fitted()
        x = self._audio(audio, sr)
        f = features(x, self._features)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # one utterance: a single thread is fastest and kind to shared machines
        try:
            with torch.no_grad():
                lp, _ = self.model(torch.from_numpy(f)[None], torch.tensor([f.shape[0]]))  # (1, time, classes)
        finally:
            torch.set_num_threads(threads)
        return lp[0].numpy()

    # --------------------------------------------------------------- training
    def fit(self, utterances, epochs: int = 30, batch_size: int = 4, lr: float = 2e-3, seed: int = 0,
            progress: bool = False, calibrate: bool = True) -> CTCAligner:
        """Train on utterances (objects with ``transcript`` and ``load_audio()``; e.g. a SpeechCorpus).

        Returns
        -------
        self
            With ``history_`` (loss per epoch) and, when reference words exist and
            ``calibrate``, calibrated shifts.
        """
        import torch

        from .acoustic import CTCAcousticModel, features, train_ctc
        from .tokenizers import CharTokenizer, PhoneTokenizer

        utts = list(utterances)
        if not utts:
            raise InputError("fit needs at least one utterance")
        if self.tokenizer is None:
            cls = {"chars": CharTokenizer, "phones": PhoneTokenizer}.get(self.units)
            if cls is None:
                raise InputError(f"units must be 'chars' or 'phones', got {self.units!r}")
            self.tokenizer = cls.from_transcripts([u.transcript for u in utts], word_sep=self.word_sep)
        targets = [self.tokenizer.encode(u.transcript)[0] for u in utts]
        feats = [features(u.load_audio(self._features["sr"])[0], self._features) for u in utts]
        if self.model is None:
            params = {**(self.model_params or {}), "n_mels": self._features["n_mels"]}
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                self.model = CTCAcousticModel(len(self.tokenizer.vocab), **params)
        self.history_ = train_ctc(self.model, feats, targets, epochs=epochs, batch_size=batch_size, lr=lr,
                                  seed=seed, progress=progress)
        if calibrate and any(getattr(u, "words", None) for u in utts):
            self.calibrate(utts)
        return self

    def calibrate(self, utterances) -> CTCAligner:
        """Set ``start_shift``/``end_shift`` to the median reference-minus-raw boundary differences."""
        d_start, d_end = [], []
        for u in utterances:
            if not getattr(u, "words", None):
                continue
            r = self.align(u.audio_path, u.transcript, shifts=(0.0, 0.0))
            d_start += [ref.start - s for ref, s in zip(u.words, r.raw["starts"])]
            d_end += [ref.end - e for ref, e in zip(u.words, r.raw["ends"])]
        if not d_start:
            raise InputError("calibrate needs utterances with reference words (utterance.words)")
        self.start_shift = float(np.median(d_start))
        self.end_shift = float(np.median(d_end))
        return self

    # -------------------------------------------------------------- alignment
    def align(self, audio, transcript: str, sr: int | None = None, shifts: tuple | None = None) -> AlignmentResult:
        """Align a transcript to an audio file path or a mono array (then pass ``sr``).

        Returns
        -------
        AlignmentResult
            Words and characters/phones in seconds with confidences.

        Raises
        ------
        InputError
            Empty transcript, units outside the vocabulary, or audio too short.
        """
        self._check_fitted()
        if not isinstance(transcript, str) or not transcript.split():
            raise InputError("the transcript is empty; forced alignment needs at least one word")
        ids, lengths = self.tokenizer.encode(transcript)
        x = self._audio(audio, sr)
        lp = self.emissions(x, self._features["sr"])
        units, k = [], 0
        sep = self.tokenizer.index.get("|") if self.tokenizer.word_sep else None
        flat = [i for i in ids if i != sep] if sep is not None else ids
        for n in lengths:
            units.append(flat[k : k + n])
            k += n
        s_shift, e_shift = shifts if shifts is not None else (self.start_shift, self.end_shift)
        result = align_emissions(
            lp, transcript, self.tokenizer.vocab, self.frame_shift, word_sep="|" if sep is not None else None,
            start_shift=s_shift, end_shift=e_shift, duration=x.size / self._features["sr"], word_units=units,
            unit_labels=self.tokenizer.unit_labels(transcript), unit_kind=self.tokenizer.kind,
        )
        return _refined(result, self.refine, x, self._features["sr"]) if shifts is None else result

    def evaluate(self, utterances) -> dict[str, Any]:
        """Word boundary errors pooled over utterances with reference words (see ``boundary_report``)."""
        import time

        from .boundary_metrics import boundary_errors

        errs, audio_s, t0 = [], 0.0, time.perf_counter()
        for u in utterances:
            if u.words:
                errs.append(boundary_errors(u.words, self.align(u.audio_path, u.transcript).words))
                audio_s += u.duration
        seconds = time.perf_counter() - t0
        if not errs:
            raise InputError("evaluate needs utterances with reference words")
        e = np.abs(np.concatenate(errs)) * 1000
        return {"n_boundaries": int(e.size), "mean_abs_ms": float(e.mean()), "median_abs_ms": float(np.median(e)),
                "within_20ms": float(100 * np.mean(e <= 20 + 1e-6)), "within_50ms": float(100 * np.mean(e <= 50 + 1e-6)),
                "start_mae_ms": float(e[0::2].mean()), "end_mae_ms": float(e[1::2].mean()),
                "x_realtime": audio_s / seconds if seconds > 0 else math.inf}

    # ------------------------------------------------------------ persistence
    def save(self, folder: str | os.PathLike) -> Path:
        """Write ``aligner.json`` (config) and ``model.pt`` (a ``state_dict``) into ``folder``."""
        import torch

        self._check_fitted()
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        doc = {"format": _FORMAT, "class": "CTCAligner", "model": self.model.config,
               "tokenizer": self.tokenizer.get_config(), "features": self._features,
               "start_shift": self.start_shift, "end_shift": self.end_shift, "refine": self.refine}
        (out / _CONFIG).write_text(json.dumps(doc, indent=1))
        torch.save(self.model.state_dict(), out / _WEIGHTS)
        return out

    @classmethod
    def load(cls, folder: str | os.PathLike) -> CTCAligner:
        """Inverse of :meth:`save`; weights are read with ``weights_only=True`` (no pickle)."""
        import torch

        from .acoustic import CTCAcousticModel
        from .tokenizers import tokenizer_from_config

        p = Path(folder)
        if not (p / _CONFIG).is_file() or not (p / _WEIGHTS).is_file():
            raise ModelFileError(f"{str(p)!r} is not a saved CTCAligner (needs {_CONFIG} and {_WEIGHTS})")
        try:
            doc = json.loads((p / _CONFIG).read_text())
            if doc.get("class") != "CTCAligner" or doc.get("format") != _FORMAT:
                raise ModelFileError(f"{str(p / _CONFIG)!r} was not written by this version of CTCAligner")
            model = CTCAcousticModel(**doc["model"])
            model.load_state_dict(torch.load(p / _WEIGHTS, weights_only=True))
        except (json.JSONDecodeError, KeyError, RuntimeError, TypeError) as exc:
            raise ModelFileError(f"cannot load the aligner in {str(p)!r}: {exc}") from exc
        model.eval()
        tok = tokenizer_from_config(doc["tokenizer"])
        return cls(model, tok, units=tok.kind, word_sep=tok.word_sep, feature_config=doc["features"],
                   start_shift=doc["start_shift"], end_shift=doc["end_shift"], refine=doc.get("refine"))
