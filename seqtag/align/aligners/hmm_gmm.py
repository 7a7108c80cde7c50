"""Flat-start GMM-HMM forced aligner trained on the corpus it aligns (the idea of MFA).

**Model.** Every phone (ARPAbet from :class:`~seqtag.align.lexicon.Lexicon`) and the
silence ``sil`` is a 3-state left-to-right HMM (self-loop or next) with a mixture of
diagonal Gaussians per state over 39-d features (13 MFCC + deltas + delta-deltas,
per-utterance CMVN, 10 ms hop). An utterance is the chain ``[sil] w1 [sil] w2 ...
wn [sil]`` of its phones' states, every ``sil`` optional (a jump over it with
probability ``1 - sil_prob``), so forward-backward and Viterbi run on a band chain in
O(T K) (:mod:`seqtag.chains.banded`).

**Training** (transcripts only; reference boundaries are never used):

1. flat start: every state gets the global mean and variance, then statistics of an
   equal-length segmentation of each utterance over its phone states, the quietest
   frames (``sil_quantile``) seeding the silence model;
2. ``viterbi_iter`` Viterbi-training iterations (realign, re-estimate);
3. ``em_iter`` Baum-Welch iterations, then every mixture component of a state with
   enough data is split in two along its largest-variance dimension
   (1 -> 2 -> 4 ... up to ``max_components``), and so on; the last level gets
   ``em_iter`` Baum-Welch iterations too.

Variances are floored at ``var_floor`` times the global variance of each dimension.
``history_`` records the log-likelihood of every iteration (Baum-Welch: total
forward log-likelihood before the update, which never decreases within a mixture
level; Viterbi: total best-path score).

**Boundaries.** Frame ``t`` is centred on ``t * 10 ms``, so a segment of frames
``[a, b)`` becomes ``[(a - 1/2) hop, (b - 1/2) hop]`` clipped to the audio.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from ..._validation import store_params
from ...exceptions import InputError, ModelFileError
from ...intervals import Interval
from ..lexicon import SPOKEN_NOISE, Lexicon
from ..result import AlignmentResult
from ..spans import owner_spans, span_seconds
from ...chains.banded import batch_band_posteriors, batch_band_viterbi
from . import _gmm_kernels as _g
from .base import Aligner, _name

__all__ = ["HMMAligner", "hmm_features"]

SIL = "sil"
N_STATES = 3
_W = N_STATES + 2  # band width: stay, next, ..., jump over a 3-state silence (d = 4)
_HOP_S = 0.01
_SR = 16000
_MIN_SPLIT_FRAMES = 20.0  # a component is split only when it holds this many frames per new component
_LOG_2PI = math.log(2 * math.pi)
# exit kinds of an utterance state: next state; word end before an optional silence; last
# word end (optional final silence, else the end); last state of the final silence
_NEXT, _WORD_END, _LAST_WORD_END, _FINAL = 0, 1, 2, 3


def hmm_features(audio, sr: int = _SR, dither: float = 1.0) -> np.ndarray:
    """13 MFCCs + deltas + delta-deltas with per-utterance CMVN: ``(frames, 39)`` float64.

    ``dither`` adds white noise of that standard deviation in 16-bit units (Kaldi's
    default of 1.0, i.e. 1/32768 full scale; seeded, so features are deterministic):
    digital silence otherwise sits on the log floor and every frame that hears a bit
    of the next sound looks unlike silence.

    Examples
    --------
    >>> import numpy as np
    >>> hmm_features(np.random.default_rng(0).normal(size=16000), 16000).shape
    (101, 39)
    """
    from ...audio import cmvn, deltas, mfcc

    x = np.asarray(audio, dtype=np.float64)
    if dither > 0 and x.ndim == 1:
        x = x + (dither / 32768.0) * np.random.default_rng(x.size).standard_normal(x.size)
    return cmvn(deltas(mfcc(x, sr, n_mfcc=13, n_mels=40, hop_ms=_HOP_S * 1000, cmvn=False))).astype(np.float64)


class _Graph:
    """The chain of one utterance: model state, exit kind, word and phone of every state."""

    def __init__(self, prons: list[list[int]]):
        smap, kind, word, phone = [], [], [], []

        def add_sil(final: bool):
            for j in range(N_STATES):
                smap.append(j)
                kind.append(_FINAL if final and j == N_STATES - 1 else _NEXT)
                word.append(-1)
                phone.append(-1)

        add_sil(False)
        n_phone = 0
        for w, pron in enumerate(prons):
            for i, p in enumerate(pron):
                for j in range(N_STATES):
                    smap.append(p * N_STATES + j)
                    last = i == len(pron) - 1 and j == N_STATES - 1
                    kind.append((_LAST_WORD_END if w == len(prons) - 1 else _WORD_END) if last else _NEXT)
                    word.append(w)
                    phone.append(n_phone)
                n_phone += 1
            if w < len(prons) - 1:
                add_sil(False)
        add_sil(True)
        self.smap = np.array(smap, dtype=np.int64)
        self.kind = np.array(kind, dtype=np.int8)
        self.word = np.array(word, dtype=np.int64)
        self.phone = np.array(phone, dtype=np.int64)
        self.n_required = int(n_phone * N_STATES)
        self.K = self.smap.size


def _chains(graphs: list[_Graph], log_self: np.ndarray, sil_prob: float):
    """Concatenated ``smap, band, start, end, state_off`` of the utterance chains."""
    smap = np.concatenate([g.smap for g in graphs])
    kind = np.concatenate([g.kind for g in graphs])
    state_off = np.zeros(len(graphs) + 1, dtype=np.int64)
    np.cumsum([g.K for g in graphs], out=state_off[1:])
    ls = log_self[smap]
    with np.errstate(divide="ignore"):
        lexit = np.log1p(-np.exp(ls))
    lsil, lskip = math.log(sil_prob), math.log1p(-sil_prob)  # 0 < sil_prob < 1 (checked by the caller)
    band = np.full((smap.size, _W), -np.inf)
    end = np.full(smap.size, -np.inf)
    band[:, 0] = ls
    nxt = kind == _NEXT
    band[nxt, 1] = lexit[nxt]
    we = kind == _WORD_END
    band[we, 1] = lexit[we] + lsil
    band[we, N_STATES + 1] = lexit[we] + lskip
    lw = kind == _LAST_WORD_END
    band[lw, 1] = lexit[lw] + lsil
    end[lw] = lexit[lw] + lskip
    fin = kind == _FINAL
    end[fin] = lexit[fin]
    start = np.full(smap.size, -np.inf)
    start[state_off[:-1]] = lsil
    start[state_off[:-1] + N_STATES] = lskip
    return smap, band, start, end, state_off


class HMMAligner(Aligner):
    """Flat-start monophone GMM-HMM forced aligner, trained on the corpus it aligns.

    Parameters
    ----------
    max_components : int, default 4
        Gaussians per state after mixture splitting (a power of two is reached by doubling).
    viterbi_iter : int, default 4
        Viterbi-training iterations after the flat start.
    em_iter : int, default 3
        Baum-Welch iterations per mixture level.
    var_floor : float, default 0.01
        Variance floor as a fraction of the global variance of each dimension.
    sil_prob : float, default 0.5
        Probability of the optional silence between words and at the edges.
    g2p : bool, default True
        espeak-ng pronunciations for words missing from CMUdict; with ``False`` such
        words raise :class:`~seqtag.exceptions.InputError` naming them.
    lexicon : dict or None
        Extra ``{word: [ARPAbet phones]}`` consulted before CMUdict.
    dither : float, default 1.0
        Feature dither in 16-bit units (see :func:`hmm_features`); 0 turns it off.
    sil_quantile : float, default 0.15
        Flat start: the quietest ``sil_quantile`` of each utterance's frames (by c0)
        seed the silence model and the other frames are split evenly over the phone
        states; 0 splits all frames evenly over ``sil phones sil`` instead.
    verbose : bool, default False
        Print one line per training iteration.

    Attributes
    ----------
    phones_ : list of str
        Model phones, ``"sil"`` first.
    log_weights_, means_, variances_ : ndarray (S, M), (S, M, D), (S, M, D)
        Mixture of each of the ``S = 3 * len(phones_)`` states.
    log_self_ : ndarray (S,)
        Log self-loop probabilities.
    history_ : list of dict
        One entry per training iteration.

    Examples
    --------
    >>> from seqtag.corpora import load_speech_corpus
    >>> corpus = load_speech_corpus("synthetic", "test", n=40)  # doctest: +SKIP
    >>> aligner = HMMAligner().fit(corpus)  # doctest: +SKIP
    >>> results = aligner.align_batch(corpus)  # doctest: +SKIP
    >>> results[0].words[0]  # doctest: +SKIP
    """

    learns_from_audio_only = True
    sample_rate = _SR
    _fitted_attr = "means_"

    def __init__(self, max_components: int = 4, viterbi_iter: int = 4, em_iter: int = 3, var_floor: float = 0.01,
                 sil_prob: float = 0.5, g2p: bool = True, lexicon: dict | None = None, dither: float = 1.0,
                 sil_quantile: float = 0.15, verbose: bool = False):
        store_params(self, locals())

    # --------------------------------------------------------------------- input
    def _check_params(self):
        for name in ("max_components", "viterbi_iter", "em_iter"):
            v = getattr(self, name)
            low = 1 if name == "max_components" else 0
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
                raise InputError(f"{name} must be an int >= {low}, got {v!r}")
        if not 0 < self.var_floor < 1:
            raise InputError(f"var_floor must be in (0, 1) (a fraction of the global variance), got {self.var_floor!r}")
        if not 0 <= self.sil_quantile < 1:
            raise InputError(f"sil_quantile must be in [0, 1), got {self.sil_quantile!r}")
        if not 0 < self.sil_prob < 1:
            raise InputError(f"sil_prob must be in (0, 1), got {self.sil_prob!r}")
        if not isinstance(self.dither, (int, float)) or isinstance(self.dither, bool) or not self.dither >= 0:
            raise InputError(f"dither must be a number >= 0 (16-bit units), got {self.dither!r}")
        if self.lexicon is not None and not isinstance(self.lexicon, dict):
            raise InputError(f"lexicon must be a dict {{word: [phones]}} or None, got {type(self.lexicon).__name__}")
        for name in ("g2p", "verbose"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise InputError(f"{name} must be True or False, got {getattr(self, name)!r}")

    def _lex(self) -> Lexicon:
        entries = dict(getattr(self, "lexicon_", {}))
        entries.update({k.lower(): list(v) for k, v in (self.lexicon or {}).items()})
        return Lexicon(g2p=self.g2p, entries=entries)

    def _prons(self, words: list[str], prons: dict, index: dict) -> list[list[int]]:
        out = []
        for w in words:
            ids = []
            for p in prons[w.lower()]:
                if p == SPOKEN_NOISE and p not in index:
                    p = SIL  # noise never heard in training: the silence model is the nearest non-speech
                if p not in index:
                    raise InputError(f"phone {p!r} of word {w!r} never occurred in the training transcripts, so the "
                                     f"model has no HMM for it; train on utterances that contain it")
                ids.append(index[p])
            out.append(ids)
        return out

    def _check_length(self, T: int, g: _Graph, what: str):
        if T < g.n_required:
            raise InputError(
                f"{what}: the audio is too short for the transcript: {T} frames ({T * _HOP_S:.2f} s) cannot hold "
                f"{g.n_required // N_STATES} phones x {N_STATES} states (>= {g.n_required * _HOP_S * 1000:.0f} ms); "
                f"check that transcript and audio belong together"
            )

    # ------------------------------------------------------------------ emissions
    def _log_const(self) -> np.ndarray:
        D = self.means_.shape[2]
        with np.errstate(divide="ignore"):
            return self.log_weights_ - 0.5 * (D * _LOG_2PI + np.log(self.variances_).sum(axis=2))

    def _emissions(self, X: np.ndarray, states: np.ndarray | None = None) -> np.ndarray:
        S = self.means_.shape[0]
        states = np.arange(S, dtype=np.int64) if states is None else states
        out = np.empty((X.shape[0], states.size))
        _g._gmm_loglik(X, self._log_const(), self.means_, 1.0 / self.variances_, states, out)
        return out

    # ------------------------------------------------------------------- training
    def _fit(self, items) -> None:
        progress = self.verbose
        words = [t.split() for _, t, _ in items]
        lex = Lexicon(g2p=self.g2p, entries=self.lexicon)
        prons = lex.pronounce(w for ws in words for w in ws)
        used = sorted({p for ws in words for w in ws for p in prons[w.lower()]} - {SIL})
        self.phones_ = [SIL] + used
        index = {p: i for i, p in enumerate(self.phones_)}
        self.lexicon_ = {w: prons[w] for w in sorted(prons)}
        feats = [hmm_features(x, dither=self.dither) for x, _, _ in items]
        graphs = [_Graph(self._prons(ws, prons, index)) for ws in words]
        for i, ((_, _, a), f, g) in enumerate(zip(items, feats, graphs)):
            self._check_length(f.shape[0], g, _name(a, i))
        X = np.ascontiguousarray(np.concatenate(feats))
        frame_off = np.zeros(len(feats) + 1, dtype=np.int64)
        np.cumsum([f.shape[0] for f in feats], out=frame_off[1:])
        self._flat_start(X, feats, graphs)
        self.history_ = []
        t0 = time.perf_counter()
        n_comp = 1
        for _ in range(self.viterbi_iter):
            self._iterate(X, frame_off, graphs, "viterbi", n_comp, t0, progress)
        while True:
            for _ in range(self.em_iter):
                self._iterate(X, frame_off, graphs, "em", n_comp, t0, progress)
            if 2 * n_comp > self.max_components:
                break
            self._split()
            n_comp *= 2

    def _flat_start(self, X, feats, graphs):
        S = len(self.phones_) * N_STATES
        D = X.shape[1]
        self.global_var_ = np.maximum(X.var(axis=0), 1e-6)
        self.log_weights_ = np.zeros((S, 1))
        self.means_ = np.broadcast_to(X.mean(axis=0), (S, 1, D)).copy()
        self.variances_ = np.broadcast_to(self.global_var_, (S, 1, D)).copy()
        self.log_self_ = np.full(S, math.log(0.5))
        occ = np.zeros((X.shape[0], S))
        row = 0
        q = self.sil_quantile
        for f, g in zip(feats, graphs):
            T = f.shape[0]
            seq = g.smap[g.word >= 0]
            rows = np.arange(T)
            if q > 0:  # quietest frames (c0) seed the silence; the rest is split evenly over the phones
                quiet = f[:, 0] <= np.quantile(f[:, 0], q)
                if T - quiet.sum() >= seq.size:
                    occ[row + rows[quiet], :N_STATES] = 1.0 / N_STATES
                    rows = rows[~quiet]
            elif T >= seq.size + 2 * N_STATES:  # equal-length segmentation over [sil] phones [sil]
                seq = np.concatenate([g.smap[:N_STATES], seq, g.smap[-N_STATES:]])
            occ[row + rows, seq[(np.arange(rows.size) * seq.size) // rows.size]] = 1.0
            row += T
        self._m_step(X, occ, None, None)

    def _iterate(self, X, frame_off, graphs, kind, n_comp, t0, progress):
        smap, band, start, end, state_off = _chains(graphs, self.log_self_, self.sil_prob)
        emit = self._emissions(X)
        S = emit.shape[1]
        if kind == "em":
            ll, occ, xi, _, _ = batch_band_posteriors(emit, frame_off, state_off, smap, band, start, end)
            self_counts = np.bincount(smap, weights=xi[:, 0], minlength=S)
        else:
            path, ll = batch_band_viterbi(emit, frame_off, state_off, smap, band, start, end)
            gpath = smap[path + np.repeat(state_off[:-1], np.diff(frame_off))]
            occ = np.zeros_like(emit)
            occ[np.arange(X.shape[0]), gpath] = 1.0
            same = (path[1:] == path[:-1])
            same[frame_off[1:-1] - 1] = False  # no transition across utterances
            self_counts = np.bincount(gpath[:-1][same], minlength=S).astype(float)
        total = float(ll.sum())
        if not np.isfinite(total):
            bad = int(np.flatnonzero(~np.isfinite(ll))[0])
            raise InputError(f"utterance {bad} has no possible alignment (audio too short or silent?)")
        self._m_step(X, occ, self_counts, occ.sum(axis=0))
        entry = {"iteration": len(self.history_) + 1, "kind": kind, "n_components": n_comp,
                 "log_likelihood": total, "per_frame": total / X.shape[0],
                 "seconds": round(time.perf_counter() - t0, 3)}
        self.history_.append(entry)
        if progress:
            print(f"iter {entry['iteration']:3d} {kind:7s} M={n_comp} ll/frame={entry['per_frame']:.4f} "
                  f"({entry['seconds']:.1f} s)", flush=True)

    def _m_step(self, X, occ, self_counts, state_occ):
        S, M, D = self.means_.shape
        chunks = max(1, min(X.shape[0] // 256, 64))
        chunk_off = np.linspace(0, X.shape[0], chunks + 1).astype(np.int64)
        acc_n = np.zeros((chunks, S, M))
        acc_x = np.zeros((chunks, S, M, D))
        acc_xx = np.zeros((chunks, S, M, D))
        _g._gmm_stats(X, occ, self._log_const(), self.means_, 1.0 / self.variances_, 1e-10, chunk_off,
                      acc_n, acc_x, acc_xx)
        n, sx, sxx = acc_n.sum(0), acc_x.sum(0), acc_xx.sum(0)
        tot = n.sum(axis=1)
        floor = self.var_floor * self.global_var_
        for s in np.flatnonzero(tot > 1e-6):
            live = n[s] > 1e-8
            with np.errstate(divide="ignore"):
                self.log_weights_[s] = np.where(live, np.log(n[s] / tot[s]), -np.inf)
            mu = sx[s, live] / n[s, live, None]
            self.means_[s, live] = mu
            self.variances_[s, live] = np.maximum(sxx[s, live] / n[s, live, None] - mu * mu, floor)
        if self_counts is not None:
            ok = state_occ > 1e-6
            p = np.clip(self_counts[ok] / state_occ[ok], 1e-3, 1 - 1e-3)
            self.log_self_[ok] = np.log(p)
        self._occupancy = tot

    def _split(self):
        S, M, D = self.means_.shape
        w = np.exp(self.log_weights_)  # (S, M)
        frames = w * self._occupancy[:, None]
        ok = (frames >= 2 * _MIN_SPLIT_FRAMES) & np.isfinite(self.log_weights_)
        dim = np.argmax(self.variances_, axis=2)  # (S, M)
        step = np.zeros_like(self.means_)
        np.put_along_axis(step, dim[..., None], 0.2 * np.sqrt(np.take_along_axis(self.variances_, dim[..., None], 2)),
                          axis=2)
        with np.errstate(divide="ignore"):
            lw_a = np.where(ok, self.log_weights_ - math.log(2), self.log_weights_)
            lw_b = np.where(ok, self.log_weights_ - math.log(2), -np.inf)
        self.means_ = np.concatenate([self.means_ - step * ok[..., None], self.means_ + step * ok[..., None]], axis=1)
        self.variances_ = np.concatenate([self.variances_, self.variances_], axis=1)
        self.log_weights_ = np.concatenate([lw_a, lw_b], axis=1)

    # ------------------------------------------------------------------ alignment
    def _align_batch(self, items) -> list[AlignmentResult]:
        """Align many utterances at once (one parallel Viterbi over all of them).

        Every interval's score is the mean posterior probability of its frames.
        """
        words = [t.split() for _, t in items]
        prons = self._lex().pronounce(w for ws in words for w in ws)
        index = {p: i for i, p in enumerate(self.phones_)}
        graphs = [_Graph(self._prons(ws, prons, index)) for ws in words]
        audios = [x for x, _ in items]
        feats = [hmm_features(x, dither=self.dither) for x in audios]
        for i, (f, g) in enumerate(zip(feats, graphs)):
            self._check_length(f.shape[0], g, f"utterance #{i}" if len(items) > 1 else "the utterance")
        X = np.ascontiguousarray(np.concatenate(feats))
        frame_off = np.zeros(len(feats) + 1, dtype=np.int64)
        np.cumsum([f.shape[0] for f in feats], out=frame_off[1:])
        smap, band, start, end, state_off = _chains(graphs, self.log_self_, self.sil_prob)
        states, local = np.unique(smap, return_inverse=True)
        emit = self._emissions(X, states.astype(np.int64))
        local = local.astype(np.int64)
        path, _ = batch_band_viterbi(emit, frame_off, state_off, local, band, start, end)
        _, _, _, gamma, gamma_off = batch_band_posteriors(emit, frame_off, state_off, local, band, start, end,
                                                          occupancy=False, state_posteriors=True)
        out = []
        for u, (g, ws) in enumerate(zip(graphs, words)):
            T = int(frame_off[u + 1] - frame_off[u])
            p = path[frame_off[u]:frame_off[u + 1]]
            post = gamma[gamma_off[u]:gamma_off[u + 1]].reshape(T, g.K)
            out.append(self._result(p, post, g, ws, [q for w in ws for q in prons[w.lower()]], audios[u].size / _SR))
        return out

    @staticmethod
    def _result(path, post, g: _Graph, words, phone_labels, duration) -> AlignmentResult:
        T = path.size

        def spans(owner, n, labels):
            first, end = owner_spans(owner[path], n)  # owner[path]: word / phone of each frame, -1 for silence
            starts, stops = span_seconds(first, end, _HOP_S, -_HOP_S / 2, duration)
            ivs = []
            for i, (a, b, start, stop) in enumerate(zip(first, end, starts, stops)):
                conf = float(post[a:b][:, owner == i].sum(axis=1).mean()) if T else math.nan
                ivs.append(Interval(labels[i], round(float(start), 6), round(float(stop), 6), round(min(conf, 1.0), 6)))
            return ivs

        w_iv = spans(g.word, len(words), words)
        p_iv = spans(g.phone, len(phone_labels), phone_labels)
        score = float(np.mean([w.score for w in w_iv]))
        return AlignmentResult(w_iv, p_iv, duration, _HOP_S, score, "phones", raw={"path": path})

    # ---------------------------------------------------------------- persistence
    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        state = {"phones": self.phones_, "lexicon": self.lexicon_, "history": self.history_}
        arrays = {"log_weights": self.log_weights_, "means": self.means_, "variances": self.variances_,
                  "log_self": self.log_self_, "global_var": self.global_var_}
        return state, arrays

    def _set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.phones_ = [str(p) for p in state["phones"]]
        self.lexicon_ = {str(w): [str(p) for p in pron] for w, pron in state["lexicon"].items()}
        self.history_ = list(state["history"])
        lw, mu, var = arrays["log_weights"], arrays["means"], arrays["variances"]
        S = N_STATES * len(self.phones_)
        if lw.ndim != 2 or mu.ndim != 3 or mu.shape[:2] != lw.shape or var.shape != mu.shape or lw.shape[0] != S:
            raise ModelFileError(f"the HMM aligner's arrays do not match its {len(self.phones_)} phones")
        if not (np.all(var > 0) and np.all(np.isfinite(mu))):
            raise ModelFileError("the HMM aligner's variances must be positive and its means finite")
        self.log_weights_, self.means_, self.variances_ = lw, mu, var
        self.log_self_ = arrays["log_self"].astype(np.float64)
        self.global_var_ = arrays["global_var"].astype(np.float64)
        if self.log_self_.shape != (S,) or self.global_var_.shape != (mu.shape[2],):
            raise ModelFileError("the HMM aligner's transition or variance-floor arrays have the wrong shape")
