"""A pretrained US-English forced aligner: PocketSphinx's model files, seqtag's own front end and decoder.

Nothing here calls PocketSphinx's decoder. The model files that ship in the
``pocketsphinx`` wheel (a phonetically-tied-mixture HMM: 42 codebooks of 128
Gaussians, 5,126 senones, word-position triphones) are read by
:mod:`seqtag.align.sphinx`; the audio goes through a bit-exact port of its front end
(MFCC, noise removal, batch CMN, deltas); senones are scored with top-N Gaussian
selection; the transcript becomes a chain of triphone states with optional pauses
(:func:`seqtag.align.sphinx.graph.build_graph`); and the exact Viterbi path over
that chain is found by :func:`seqtag.chains.banded.windowed_band_viterbi` -- over
every (frame, state) for short recordings, over a band around the expected path
(guided by where the speech is) for long ones, so an hour of audio fits in memory.

**Confidence.** Every frame gets ``llr_t = min(0, log p(x_t | aligned senone) - max_s
log p(x_t | s))``, the maximum over the context-independent senones (an unconstrained
phone loop, frame by frame). A word's (or phone's) score is ``sigmoid((mean llr - c) /
w)`` over its frames, with ``c = CONFIDENCE_CENTER`` (-4.5 nats per frame) and ``w =
CONFIDENCE_WIDTH`` (0.5): near 1 when the words explain the audio about as well as
free phone recognition does, near 0 when they do not (a wrong transcript, a word spread
over silence). The utterance score is the same over all word frames; a low one adds a
warning to the result. The mean per-frame llr of right transcripts was -0.9 to -2.3 on
real recordings, -1.1 to -3.6 on FSDD digit strings and -2.2 to -6.6 on espeak-ng
voices; swapped (wrong) transcripts -3.5 to -13 (``benchmarks/bench_english_aligner.py``).

**Adaptation.** :meth:`EnglishAligner.fit` adapts the codebook means to the recordings
(MAP, prior weight ``adapt_tau``): Baum-Welch state posteriors of the forced
alignment (Viterbi paths for very long recordings) give every Gaussian its
occupancy and feature sums. Without ``fit`` the model is used as it ships.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from ..._validation import store_params
from ...exceptions import InputError, ModelFileError
from ...intervals import Interval
from ..result import AlignmentResult
from ..spans import owner_spans, span_seconds
from ..transcripts import transcript_tokens
from .base import Aligner

__all__ = ["EnglishAligner", "CONFIDENCE_CENTER", "CONFIDENCE_WIDTH"]

#: Mean per-frame log-likelihood ratio (nats) at which a confidence is 0.5, and the logistic's width.
CONFIDENCE_CENTER, CONFIDENCE_WIDTH = -4.5, 0.5
_DICTS: dict[str, object] = {}
_NOISE_PHONES = {"speech": "+SPN+", "noise": "+NSN+", "silence": "SIL"}


def _confidence(mean_llr):
    """The logistic of the module docstring: mean per-frame llr -> a score in (0, 1)."""
    return 1.0 / (1.0 + np.exp(-(np.asarray(mean_llr, dtype=np.float64) - CONFIDENCE_CENTER) / CONFIDENCE_WIDTH))


def _dictionary(path: Path):
    """First pronunciation of every word of a Sphinx dictionary (read once per file and process)."""
    from ..sphinx.dictionary import PronunciationDictionary

    key = str(path)
    if key not in _DICTS:
        _DICTS[key] = PronunciationDictionary(path)
    return _DICTS[key]


class _Frames:
    """The top-N Gaussians of an utterance's frames: computed once (short audio) or chunk by chunk (long)."""

    CHUNK = 2000
    KEEP_FRAMES = 100_000

    def __init__(self, scorer, feats: np.ndarray, keep: bool):
        self.scorer = scorer
        self.feats = feats
        self.top = scorer.top_n(feats) if keep else None

    def __len__(self) -> int:
        return int(self.feats.shape[0])

    def chunks(self):
        """``(t0, t1, top)`` over the utterance."""
        for t0 in range(0, len(self), self.CHUNK):
            t1 = min(len(self), t0 + self.CHUNK)
            yield t0, t1, self.top_of(t0, t1)

    def top_of(self, t0: int, t1: int):
        return self.top.slice(t0, t1) if self.top is not None else self.scorer.top_n(self.feats[t0:t1])

    def scores(self, t0: int, t1: int, senones) -> np.ndarray:
        return self.scorer.scores(self.top_of(t0, t1), senones)

    def llr(self, frame_senone: np.ndarray, n_ci_sen: int) -> np.ndarray:
        """Per frame ``min(0, score of its senone - best CI senone score)`` (the confidence's evidence)."""
        out = np.empty(len(self))
        ci = np.arange(n_ci_sen)
        for t0, t1, top in self.chunks():
            best = self.scorer.scores(top, ci).max(axis=1)
            out[t0:t1] = np.minimum(0.0, self.scorer.path_scores(top, frame_senone[t0:t1]) - best)
        return out


class EnglishAligner(Aligner):
    """Forced alignment of English speech with a pretrained acoustic model, no training needed.

    Parameters
    ----------
    model : str, default "en-us"
        The model: ``"en-us"`` (shipped in the ``pocketsphinx`` wheel) or the folder of a
        Sphinx model (``mdef``, ``means``, ``variances``, ``sendump`` or ``mixture_weights``,
        ``transition_matrices``, ``feat.params``).
    dictionary : str or None
        A pronunciation dictionary file (Sphinx / CMUdict format); default the model's.
    lexicon : dict or None
        ``{word: [phones]}`` consulted first.
    g2p : bool, default True
        Words in no dictionary (names, numbers) get espeak-ng's pronunciation; with
        ``False`` they are an error naming them.
    fillers : {"noise", "words"}, default "noise"
        Hesitations (``um``, ``uh`` ...) as the model's spoken-noise phone, or pronounced
        from the dictionary.
    sil_prob : float, default 0.5
        Probability of a pause between two tokens (and at both ends).
    topn : int, default 4
        Gaussians per codebook that score a senone (PocketSphinx's ``-topn``).
    max_cells : int, default 40_000_000
        Exact search over every (frame, state) pair up to this many; longer recordings
        are searched in a band around the expected path.
    band_s : float, default 30.0
        Half width of that band, in seconds of speech.
    adapt_tau : float, default 10.0
        MAP prior weight of the model's means in :meth:`fit` (frames' worth).
    adapt_iter : int, default 2
        Realign-and-adapt rounds of :meth:`fit`.
    min_confidence : float, default 0.3
        A result whose utterance score is lower carries a warning.

    Attributes
    ----------
    means_ : ndarray
        Adapted codebook means (after :meth:`fit`).
    adapted_frames_ : int
        Frames the adaptation used.

    Examples
    --------
    >>> aligner = EnglishAligner()  # doctest: +SKIP
    >>> result = aligner.align("speech.wav", "the transcript")  # doctest: +SKIP
    >>> result.write("speech.TextGrid")  # doctest: +SKIP
    """

    pretrained = True
    learns_from_audio_only = True
    raw_transcripts = True
    sample_rate = 16000
    _fitted_attr = "means_"

    def __init__(self, model: str = "en-us", dictionary: str | None = None, lexicon: dict | None = None,
                 g2p: bool = True, fillers: str = "noise", sil_prob: float = 0.5, topn: int = 4,
                 max_cells: int = 40_000_000, band_s: float = 30.0, adapt_tau: float = 10.0,
                 adapt_iter: int = 2, min_confidence: float = 0.3):
        store_params(self, locals())

    # ----------------------------------------------------------------- checks
    def _check_params(self) -> None:
        def number(name, low, high, integer=False):
            v = getattr(self, name)
            kinds = (int, np.integer) if integer else (int, float, np.integer, np.floating)
            if isinstance(v, bool) or not isinstance(v, kinds) or not low <= v <= high:
                raise InputError(f"{name} must be {'an int' if integer else 'a number'} in [{low}, {high}], got {v!r}")

        if not isinstance(self.model, str) or not self.model:
            raise InputError(f"model must be a model name such as 'en-us' or a folder, got {self.model!r}")
        if self.dictionary is not None and not isinstance(self.dictionary, str):
            raise InputError(f"dictionary must be a file path (str) or None, got {self.dictionary!r}")
        if self.lexicon is not None and not (isinstance(self.lexicon, dict) and all(
                isinstance(k, str) and isinstance(v, list) and v and all(isinstance(p, str) for p in v)
                for k, v in self.lexicon.items())):
            raise InputError("lexicon must be a dict {word: [phone, ...]} or None")
        if not isinstance(self.g2p, (bool, np.bool_)):
            raise InputError(f"g2p must be True or False, got {self.g2p!r}")
        if self.fillers not in ("noise", "words"):
            raise InputError(f"fillers must be 'noise' or 'words', got {self.fillers!r}")
        number("sil_prob", 1e-6, 1 - 1e-6)
        number("topn", 1, 128, integer=True)
        number("max_cells", 1, 10**12, integer=True)
        number("band_s", 1.0, 1e6)
        number("adapt_tau", 0.0, 1e9)
        number("adapt_iter", 1, 100, integer=True)
        number("min_confidence", 0.0, 1.0)

    # -------------------------------------------------------------- the model
    def sphinx_model(self):
        """The :class:`~seqtag.align.sphinx.model.SphinxModel` (read once per process)."""
        from ..sphinx.model import load_sphinx_model

        if Path(self.model).is_dir():
            return load_sphinx_model(self.model)
        return load_sphinx_model(name=self.model)

    def _scorer(self):
        from ..sphinx.scoring import SenoneScorer

        means = getattr(self, "means_", None)
        key = (id(self.sphinx_model()), self.topn, id(means))
        cached = getattr(self, "_scorer_cache", None)
        if cached is None or cached[0] != key:
            cached = (key, SenoneScorer(self.sphinx_model(), self.topn, means=means))
            self._scorer_cache = cached
        return cached[1]

    def _front_end(self):
        """The front-end settings the model was trained with (its ``feat.params``)."""
        from ..sphinx.frontend import FrontEndConfig

        return FrontEndConfig.from_feat_params(self.sphinx_model().feat_params)

    def features(self, audio: np.ndarray) -> np.ndarray:
        """``(frames, 39)`` features of 16 kHz samples, exactly as PocketSphinx computes them for this model."""
        from ..sphinx.frontend import sphinx_frontend

        return sphinx_frontend(audio, self.sample_rate, self._front_end())

    @property
    def frame_shift(self) -> float:
        """Seconds between frames (10 ms for en-us)."""
        config = self._front_end()
        return config.frame_shift / config.samprate

    def frame_offset(self) -> float:
        """Seconds from the start of frame ``t``'s boundary to ``t * hop`` (the rule of :mod:`seqtag.align.spans`)."""
        config = self._front_end()
        return config.frame_size / 2 / config.samprate - config.frame_shift / config.samprate / 2

    # ----------------------------------------------------------- pronunciation
    def pronunciations(self, transcript: str) -> tuple[list, list[list[str]], list[bool]]:
        """Tokens of a transcript, the model phones of each, and which are context-free fillers."""
        from ..lexicon import Lexicon

        model = self.sphinx_model()
        tokens = transcript_tokens(transcript)
        path = self.dictionary or model.dictionary_path
        if path is None:
            raise ModelFileError(f"the model in {model.path} ships no dictionary; pass dictionary=PATH")
        base = _dictionary(Path(path))
        words = [t.key for t in tokens if t.kind == "word" or (t.kind == "filler" and self.fillers == "words")]
        entries = {k.lower(): v for k, v in (self.lexicon or {}).items()}
        for w in words:  # hyphenated words: their parts, when the whole is in no dictionary
            if w not in entries and w not in base and "-" in w and all(p in base for p in w.split("-") if p):
                entries[w] = [ph for p in w.split("-") if p for ph in base[p]]
        prons = Lexicon(g2p=self.g2p, entries=entries, dictionary=base).pronounce(words) if words else {}
        out, free = [], []
        for t in tokens:
            if t.kind in ("noise", "silence") or (t.kind == "filler" and self.fillers == "noise"):
                out.append([_NOISE_PHONES.get(t.key, "+SPN+") if t.kind != "filler" else "+SPN+"])
                free.append(True)
            else:
                out.append(list(prons[t.key]))
                free.append(False)
        return tokens, out, free

    # -------------------------------------------------------------- decoding
    def _windows(self, feats: np.ndarray, K: int, scale: float):
        from ...chains.banded import diagonal_windows

        T = feats.shape[0]
        if T * K <= self.max_cells:
            return diagonal_windows(T, K, None)
        c0 = feats[:, 0]
        speech = c0 > 0.5 * (np.percentile(c0, 10) + np.percentile(c0, 90))
        progress = 0.9 * np.cumsum(speech) / max(1, int(speech.sum())) + 0.1 * np.arange(T) / max(1, T - 1)
        states_per_s = K / max(1.0, speech.sum() / 100.0)
        return diagonal_windows(T, K, int(math.ceil(scale * self.band_s * states_per_s)), progress)

    def _decode(self, graph, frames: _Frames) -> np.ndarray:
        from ...chains.banded import windowed_band_viterbi

        K = graph.n_states
        scale = 1.0
        while True:
            lo, hi = self._windows(frames.feats, K, scale)
            path, score = windowed_band_viterbi(graph.band, graph.log_start, graph.log_end, graph.senone,
                                                frames.scores, lo, hi, chunk=_Frames.CHUNK)
            if score > -np.inf or (lo[-1] == 0 and hi[0] == K):
                break
            scale *= 2  # the band missed the path: widen it
        if not score > -np.inf:
            raise InputError("no alignment of the transcript fits the audio (every path has probability 0); "
                             "check that transcript and audio belong together")
        return path

    def _check_length(self, T: int, graph, tokens) -> None:
        if T >= graph.min_frames[-1]:
            return
        i = int(np.searchsorted(graph.min_frames, T, side="right"))
        raise InputError(
            f"the transcript is too long for the audio: {T} frames ({T * self.frame_shift:.2f} s) hold at most the first {i} of "
            f"{len(tokens)} words; it stops fitting at word {i + 1}, {tokens[i].label!r} (the words up to it need "
            f"{int(graph.min_frames[i])} frames, one per HMM state); check that transcript and audio belong together"
        )

    def _align_batch(self, items) -> list[AlignmentResult]:
        return [self._align_one(x, t) for x, t in items]

    def _prepare(self, x: np.ndarray, transcript: str):
        """Tokens, the transcript's chain and the features of one utterance (checked to fit)."""
        from ..sphinx.graph import build_graph

        tokens, prons, free = self.pronunciations(transcript)
        graph = build_graph(self.sphinx_model(), prons, free, self.sil_prob)
        feats = self.features(x)
        self._check_length(feats.shape[0], graph, tokens)
        return tokens, graph, feats

    def _frames(self, feats: np.ndarray, graph, scorer) -> _Frames:
        # the top-N Gaussians take ~3 KB a frame: kept for up to ~17 minutes, recomputed beyond
        keep = feats.shape[0] * graph.n_states <= self.max_cells or feats.shape[0] <= _Frames.KEEP_FRAMES
        return _Frames(scorer, feats, keep=keep)

    def _align_one(self, x: np.ndarray, transcript: str) -> AlignmentResult:
        tokens, graph, feats = self._prepare(x, transcript)
        frames = self._frames(feats, graph, self._scorer())
        path = self._decode(graph, frames)
        llr = frames.llr(graph.senone[path], self.sphinx_model().mdef.n_ci_sen)
        return self._result(x.size / self.sample_rate, path, graph, tokens, llr)

    def _result(self, duration: float, path, graph, tokens, llr) -> AlignmentResult:
        hop, off = self.frame_shift, self.frame_offset()

        def intervals(owner: np.ndarray, labels) -> list[Interval]:
            frames_of = owner[path]  # token / phone of every frame (-1: a pause)
            on = frames_of >= 0
            ids = frames_of[on]
            scores = _confidence(np.bincount(ids, weights=llr[on], minlength=len(labels))
                                 / np.bincount(ids, minlength=len(labels)))
            starts, ends = span_seconds(*owner_spans(frames_of, len(labels)), hop, off, duration)
            return [Interval(label, round(float(a), 6), round(float(b), 6), round(float(c), 6))
                    for label, a, b, c in zip(labels, starts, ends, scores)]

        words = intervals(graph.token, [t.label for t in tokens])
        phones = intervals(graph.phone, graph.phone_labels)
        in_words = graph.token[path] >= 0
        mean_llr = float(llr[in_words].mean()) if in_words.any() else math.nan
        score = float(_confidence(mean_llr))
        warnings = []
        if score < self.min_confidence:
            low = [w.label for w in words if w.score < self.min_confidence]
            warnings.append(f"low confidence {score:.2f}: the transcript may not match the audio (or the audio holds "
                            f"no speech); least likely words: {', '.join(low[:5])}")
        return AlignmentResult(words, phones, duration, hop, score, "phones",
                               raw={"path": path, "llr": llr, "mean_llr": mean_llr},
                               warnings=warnings)

    # ------------------------------------------------------------ adaptation
    def _fit(self, items) -> None:
        from ...chains.banded import batch_band_posteriors
        from ..sphinx.scoring import SenoneScorer

        model = self.sphinx_model()
        prior = model.means.astype(np.float64)
        means = prior
        prepared = [self._prepare(x, transcript)[1:] for x, transcript, _ in items]  # (graph, features)
        for _ in range(self.adapt_iter):
            scorer = SenoneScorer(model, self.topn, means=means.astype(np.float32))
            acc_n = np.zeros(prior.shape[:3])
            acc_x = np.zeros(prior.shape)
            frames_used = 0
            for graph, feats in prepared:
                frames = self._frames(feats, graph, scorer)
                T, K = len(frames), graph.n_states
                if T * K <= self.max_cells:  # Baum-Welch: the 4 most likely senones of every frame
                    need, col = np.unique(graph.senone, return_inverse=True)
                    ll, occ, _, _, _ = batch_band_posteriors(frames.scores(0, T, need), [0, T], [0, K], col,
                                                             graph.band, graph.log_start, graph.log_end)
                    if not np.isfinite(ll[0]):
                        continue
                    keep = np.argsort(-occ, axis=1)[:, :4]
                    sen, weight = need[keep], np.take_along_axis(occ, keep, axis=1)
                else:  # very long recordings: the Viterbi path
                    sen, weight = graph.senone[self._decode(graph, frames)][:, None], np.ones((T, 1))
                for t0, t1, top in frames.chunks():
                    n, sx = scorer.map_statistics(frames.feats[t0:t1], top, sen[t0:t1], weight[t0:t1])
                    acc_n += n
                    acc_x += sx
                frames_used += T
            tau = float(self.adapt_tau)
            means = (tau * prior + acc_x) / (tau + acc_n)[..., None]
        self.means_ = means.astype(np.float32)
        self.adapted_frames_ = int(frames_used)

    # ----------------------------------------------------------- persistence
    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        if not hasattr(self, "means_"):
            return {"adapted": False}, {}
        return {"adapted": True, "adapted_frames": self.adapted_frames_}, {"means": self.means_}

    def _set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        if not state.get("adapted"):
            return
        means = arrays["means"]
        expected = self.sphinx_model().means.shape
        if means.shape != expected or means.dtype != np.float32 or not np.all(np.isfinite(means)):
            raise ModelFileError(f"the adapted means must be finite float32 of shape {expected}, got {means.dtype} "
                                 f"{means.shape}")
        self.means_ = means
        self.adapted_frames_ = int(state["adapted_frames"])
