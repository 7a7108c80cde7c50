"""Forced alignment with an attention encoder-decoder: cross-attention -> monotonic path -> word intervals.

A speech encoder (conv subsampling + BiLSTM or transformer over log-mel) and an
autoregressive character decoder with location-aware attention
(:mod:`seqtag.align.aligners._attention_net`) are trained with teacher forcing on
``(1 - ctc_weight) * cross-entropy + ctc_weight * CTC`` (the CTC loss on the
encoder sharpens it and keeps the attention from wandering on small data),
after a few CTC-only warm-up epochs of the encoder, plus a guided-attention term (Tachibana et al. 2017) that pulls the attention
towards the diagonal early in training and fades out.

To align, the decoder is run teacher-forced on the transcript; its attention
matrix (characters x encoder frames, averaged over heads) is turned into a
monotonic hard path by :func:`seqtag.align.monotonic.monotonic_alignment` on
``log(attention)``: every character gets at least one contiguous run of
frames, in order; frames at word boundaries (and before the first / after the
last word) whose attention is below ``pause_threshold`` may stay unassigned
(pauses). The path then goes through the same word-timing rule as the CTC
aligner (:mod:`seqtag.align.word_timing`: calibrated start/end shifts, at least one
frame per character, contiguous characters inside a word) and gives the same
:class:`~seqtag.align.result.AlignmentResult`. A unit's
confidence is the share of its attention that falls inside its span.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..._validation import store_params
from ...exceptions import InputError
from ..monotonic import monotonic_alignment, path_bounds
from ..result import AlignmentResult
from ..spans import TokenSpan
from ..word_timing import refine_result, word_timing
from .neural import NeuralAligner

__all__ = ["AttentionAligner", "train_attention"]


def _pad_batch(feats, targets, idx):
    """Zero-padded tensors of one batch: feats (batch, frames, n_mels), targets (batch, U) and lengths."""
    import torch

    f_len = torch.tensor([len(feats[j]) for j in idx])
    t_len = torch.tensor([len(targets[j]) for j in idx])
    x = torch.zeros(len(idx), int(f_len.max()), feats[idx[0]].shape[1])
    y = torch.zeros(len(idx), int(t_len.max()), dtype=torch.long)
    for k, j in enumerate(idx):
        x[k, : f_len[k]] = torch.from_numpy(feats[j])
        y[k, : t_len[k]] = torch.as_tensor(targets[j])
    return x, f_len, y, t_len


def _guide_penalty(att, t_len, f_len, sigma: float):
    """Guided-attention cost ``sum A[i, t] * (1 - exp(-(i/N - t/T)^2 / 2 sigma^2))`` of a batch."""
    import torch

    b, steps, frames = att.shape
    i = torch.arange(steps, dtype=att.dtype)[None, :, None] / (t_len + 1).to(att.dtype)[:, None, None]
    t = torch.arange(frames, dtype=att.dtype)[None, None, :] / f_len.to(att.dtype)[:, None, None]
    w = 1.0 - torch.exp(-((i - t) ** 2) / (2 * sigma**2))  # (batch, steps, frames)
    valid = torch.arange(steps)[None, :] <= t_len[:, None]  # decoder steps incl. <eos>
    return (att * w * valid[:, :, None]).sum()


def _epoch_batches(feats, targets, batches, rng, variants=None):
    """The padded batches of one epoch in random order (``_pad_batch`` of each).

    With ``variants`` (per utterance, a list of alternative feature arrays), every
    utterance of a batch uses its original or one of its variants, drawn uniformly.
    """
    for j in rng.permutation(len(batches)):
        batch_feats = feats
        if variants is not None:
            batch_feats = dict(enumerate(feats))
            for i in batches[j]:
                pick = int(rng.integers(len(variants[i]) + 1))
                if pick:
                    batch_feats[i] = variants[i][pick - 1]
        yield _pad_batch(batch_feats, targets, batches[j])


def train_attention(
    net,
    feats: Sequence[np.ndarray],
    targets: Sequence[Sequence[int]],
    epochs: int = 40,
    batch_size: int = 8,
    lr: float = 3e-3,
    ctc_weight: float = 0.5,
    ctc_warmup: int = 8,
    guide_weight: float = 1.0,
    guide_sigma: float = 0.25,
    guide_epochs: float = 0.5,
    weight_decay: float = 1e-2,
    clip: float = 5.0,
    seed: int = 0,
    progress: bool = False,
    num_threads: int | None = 1,
    variants: Sequence[Sequence[np.ndarray]] | None = None,
) -> dict[str, list[float]]:
    """Train an :class:`~seqtag.align.aligners._attention_net.AttentionNet` with teacher forcing.

    Parameters
    ----------
    net : AttentionNet
        Trained in place.
    feats : list of (frames, n_mels) float32 arrays
    targets : list of list of int
        Character ids (no ``<eos>``; id 0 is reserved).
    epochs, batch_size, lr, weight_decay, clip
        AdamW with a one-cycle schedule over length-sorted batches in seeded random order.
    ctc_weight : float in [0, 1], default 0.5
        Weight of the CTC loss on the encoder; the decoder's cross-entropy gets ``1 - ctc_weight``.
    ctc_warmup : int, default 8
        Epochs of CTC-only training of the encoder before the ``epochs`` joint ones (cheap: no
        decoder). They get the encoder past CTC's all-blank plateau, so that the attention has
        something to lock on to.
    guide_weight, guide_sigma : float
        Guided-attention penalty per decoder step (0 disables it) and its width (in fractions of
        the utterance).
    guide_epochs : float, default 0.5
        Fraction of the joint epochs over which the guide weight decays linearly to 0.
    seed : int
        Batch order and dropout (the weight initialisation is the caller's).
    progress : bool
        Print the losses of every epoch.
    num_threads : int or None, default 1
        torch threads while training, restored afterwards.
    variants : list of lists of arrays, optional
        Per utterance, alternative feature arrays of the same transcript (e.g. the audio played
        faster and slower); each time an utterance is drawn, it comes as itself or one of its
        variants with equal chance.

    Returns
    -------
    dict of lists
        Per joint epoch and per utterance: ``"loss"`` (the objective), ``"ce"``, ``"ctc"``,
        ``"guide"``; and ``"warmup_ctc"``, the CTC loss of the warm-up epochs.
    """
    import torch

    from ...training import fit_loop, torch_threads

    if len(feats) != len(targets) or not feats:
        raise InputError(f"need as many feature arrays as targets (and at least one), got {len(feats)} and {len(targets)}")
    if not 0.0 <= ctc_weight <= 1.0:
        raise InputError(f"ctc_weight must be in [0, 1], got {ctc_weight!r}")
    if variants is not None and len(variants) != len(feats):
        raise InputError(f"variants must hold one list per utterance ({len(feats)}), got {len(variants)}")
    shortest = [min([len(f), *(len(v) for v in (variants[i] if variants is not None else ()))])
                for i, f in enumerate(feats)]
    frames = net.out_lengths(torch.tensor(shortest)).tolist()
    for i, (t, tg) in enumerate(zip(frames, targets)):
        if len(tg) == 0 or t < len(tg):
            raise InputError(f"utterance {i}: {t} encoder frames cannot hold its {len(tg)} characters; "
                             f"drop it or use stride=1 (10 ms frames)")
    rng = np.random.default_rng(seed)
    order = np.argsort([len(f) for f in feats], kind="stable")
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    ctc_loss = torch.nn.CTCLoss(blank=0, reduction="sum", zero_infinity=True)

    def warmup_step(batch):
        x, f_len, y, t_len = batch
        keys, lens = net.encoder(x, f_len)
        loss = ctc_loss(net.ctc(keys).transpose(0, 1), y, lens, t_len)  # CTCLoss wants (frames, batch, C)
        return loss / len(y), {"warmup_ctc": float(loss.detach())}

    def joint_step(batch):
        x, f_len, y, t_len = batch
        out = net(x, f_len, y, t_len)
        gold = torch.cat([y, torch.zeros(len(y), 1, dtype=torch.long)], dim=1)
        gold[torch.arange(len(y)), t_len] = 0  # <eos> after the last character
        steps = torch.arange(gold.shape[1])[None] <= t_len[:, None]  # (batch, U + 1) real decoder steps
        ce = torch.nn.functional.cross_entropy(out["logits"][steps], gold[steps], reduction="sum")
        ctc = ctc_loss(out["ctc"].transpose(0, 1), y, out["lengths"], t_len)
        guide = _guide_penalty(out["attention"].mean(2), t_len, out["lengths"], guide_sigma)
        loss = (1 - ctc_weight) * ce + ctc_weight * ctc + guide_now[0] * guide
        return loss / len(y), {k: float(v.detach()) for k, v in
                               (("loss", loss), ("ce", ce), ("ctc", ctc), ("guide", guide))}

    guide_now = [guide_weight]

    def joint_batches(epoch):  # the guide weight fades out linearly over the first guide_epochs
        guide_now[0] = guide_weight * max(0.0, 1.0 - (epoch - 1) / max(guide_epochs * epochs, 1e-9))
        return _epoch_batches(feats, targets, batches, rng, variants)

    hist: dict[str, list[float]] = {"loss": [], "ce": [], "ctc": [], "guide": [], "warmup_ctc": []}
    phases = [("warm-up", ctc_warmup, warmup_step, lambda e: _epoch_batches(feats, targets, batches, rng, variants),
               [*net.encoder.parameters(), *net.ctc_head.parameters()]),
              ("joint", epochs, joint_step, joint_batches, list(net.parameters()))]
    with torch_threads(num_threads), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for name, n_epochs, step, epoch_batches, params in phases:
            if n_epochs <= 0:
                continue
            rows = fit_loop(net, epoch_batches, step, epochs=n_epochs, steps_per_epoch=len(batches), lr=lr,
                            weight_decay=weight_decay, clip_norm=clip, schedule="onecycle", warmup=0.15,
                            params=params, verbose=progress, desc=f"attention {name}")
            for row in rows:
                for k in hist:
                    if k in row:
                        hist[k].append(row[k] / len(feats))
    return hist


class AttentionAligner(NeuralAligner):
    """Forced aligner from the cross-attention of a small speech-to-characters encoder-decoder.

    The :class:`~seqtag.align.aligners.base.Aligner` contract (``fit`` / ``align`` /
    ``align_batch`` / ``evaluate`` / ``save``), plus :meth:`attention` and :meth:`emissions`.

    Parameters
    ----------
    units : {"chars", "phones"}, default "chars"
    word_sep : bool, default False
        Decode a ``"|"`` token between words (its frames belong to no word).
    model_params : dict or None
        Passed to :class:`~seqtag.align.aligners._attention_net.AttentionNet` (``hidden``, ``layers``,
        ``stride`` (default 2: 20 ms frames), ``encoder``, ``score``, ``heads``, ``location``...).
    feature_config : dict or None
        Overrides of :data:`~seqtag.align.aligners._ctc_net.FEATURE_DEFAULTS`.
    start_shift, end_shift : float or None
        Word boundary shifts in seconds; ``None``: ``-hop/2`` until calibrated.
    ctc_weight : float, default 0.5
        Weight of the joint CTC loss in training.
    ctc_warmup : int, default 8
        CTC-only epochs of the encoder before the joint ones (see :func:`train_attention`).
    guide_weight : float, default 1.0
        Initial weight of the guided-attention (diagonal prior) loss; fades out over the
        first half of training.
    pause_threshold : float or None, default 0.01
        Attention weight below which a frame at a word boundary may stay unassigned (a pause);
        ``None``: every frame goes to a character.
    ctc_prior : float, default 0.0
        Optional: add ``ctc_prior * log P_ctc(character | frame)`` of the joint CTC head to the
        log attention before extraction (0: attention only).
    eos_row : bool, default True
        Extract with the ``<eos>`` step's attention as one more token after the last character:
        it takes the trailing frames it attends to (the end of the audio), so the last
        character does not stretch over trailing silence.
    refine : {"energy", None}, default "energy"
        As in :class:`~seqtag.align.aligners.ctc.CTCAligner`: snap word boundaries that face a pause to
        its edges, looking for the pause between the middle thirds of neighbouring words' extents.

    epochs, batch_size, lr : int, int, float
        Joint training schedule (after the ``ctc_warmup`` epochs).
    speed_perturb : list of float
        E.g. ``[0.9, 1.1]``: copies of every training utterance played that much faster or
        slower (resampled, so tempo and pitch change together, as in Kaldi's speed
        perturbation); each time an utterance is drawn one of its versions is used, so an
        epoch costs the same. It keeps the location-aware attention from learning the
        training voices' speaking rate.
    calibrate : bool, default True
        Calibrate the word-timing shifts at the end of ``fit``.
    random_state : int, default 0
    verbose : bool, default False

    Attributes
    ----------
    model_ : AttentionNet
    tokenizer_ : CharTokenizer or PhoneTokenizer
    start_shift_, end_shift_ : float or None
    history_ : list of float
        Objective per utterance and joint epoch.
    loss_parts_ : dict of list
        ``ce`` / ``ctc`` / ``guide`` per joint epoch, ``warmup_ctc`` per warm-up epoch.

    Examples
    --------
    >>> from seqtag.corpora import load_speech_corpus
    >>> train = load_speech_corpus("synthetic", "train", n=300)  # doctest: +SKIP
    >>> aligner = AttentionAligner(epochs=40).fit(train)  # doctest: +SKIP
    >>> aligner.align("utt.wav", "hello world").words  # doctest: +SKIP
    """

    _default_stride = 2

    def __init__(self, units: str = "chars", word_sep: bool = False, model_params: dict | None = None,
                 feature_config: dict | None = None, start_shift: float | None = None,
                 end_shift: float | None = None, ctc_weight: float = 0.5, ctc_warmup: int = 8,
                 guide_weight: float = 1.0, pause_threshold: float | None = 0.01, ctc_prior: float = 0.0,
                 eos_row: bool = True, refine: str | None = "energy", epochs: int = 40, batch_size: int = 8,
                 lr: float = 3e-3, speed_perturb: list | None = None, calibrate: bool = True,
                 random_state: int = 0, verbose: bool = False):
        store_params(self, locals())

    def _check_params(self) -> None:
        super()._check_params()
        if not 0.0 <= self.ctc_weight <= 1.0:
            raise InputError(f"ctc_weight must be in [0, 1], got {self.ctc_weight!r}")
        if isinstance(self.ctc_warmup, bool) or not isinstance(self.ctc_warmup, int) or self.ctc_warmup < 0:
            raise InputError(f"ctc_warmup must be an int >= 0, got {self.ctc_warmup!r}")
        if self.pause_threshold is not None and not 0 < self.pause_threshold < 1:
            raise InputError(f"pause_threshold must be in (0, 1) or None, got {self.pause_threshold!r}")
        factors = list(self.speed_perturb or ())
        if any(isinstance(f, bool) or not isinstance(f, (int, float)) or not 0.5 <= f <= 2.0 for f in factors):
            raise InputError(f"speed_perturb factors must be numbers between 0.5 and 2.0 (e.g. [0.9, 1.1]), "
                             f"got {self.speed_perturb!r}")

    # --------------------------------------------------------------- training
    def _fit(self, items) -> None:
        import torch

        from ...audio import resample
        from ._attention_net import AttentionNet
        from ._ctc_net import features

        cfg = self._features
        tokenizer = self._tokenizer([t for _, t, _ in items])
        targets = [tokenizer.encode(t)[0] for _, t, _ in items]
        feats = [features(x, cfg) for x, _, _ in items]
        variants = None
        if self.speed_perturb:
            sr = int(cfg["sr"])
            variants = [[features(resample(x, sr, round(sr / f)), cfg) for f in self.speed_perturb]
                        for x, _, _ in items]
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.random_state)
            model = AttentionNet(len(tokenizer.vocab), **{**(self.model_params or {}), "n_mels": cfg["n_mels"]})
        parts = train_attention(model, feats, targets, epochs=self.epochs, batch_size=self.batch_size, lr=self.lr,
                                ctc_weight=self.ctc_weight, ctc_warmup=self.ctc_warmup,
                                guide_weight=self.guide_weight, seed=self.random_state, progress=self.verbose,
                                variants=variants)
        self.model_, self.tokenizer_ = model, tokenizer
        self.history_ = parts.pop("loss")
        self.loss_parts_ = parts
        self._calibrate(items)

    # -------------------------------------------------------------- alignment
    def _run(self, x: np.ndarray, ids: list[int]):
        """Attention (L + 1, frames) averaged over heads (with the ``<eos>`` step), CTC log-probs (frames, classes)."""
        import torch

        from ...training import torch_threads
        from ._ctc_net import features

        f = features(x, self._features)
        n_frames = int(self.model_.out_lengths(torch.tensor(f.shape[0])))
        if n_frames < len(ids):
            raise InputError(
                f"the audio is too short for the transcript: T = {n_frames} frames ({x.size / self._features['sr']:.2f} s "
                f"at {1000 * self.frame_shift:g} ms) cannot hold L = {len(ids)} characters (one frame each at least); "
                f"check that transcript and audio belong together, or use a model with stride=1 (10 ms frames)"
            )
        with torch_threads(1), torch.no_grad():
            out = self.model_(torch.from_numpy(f)[None], torch.tensor([f.shape[0]]),
                              torch.tensor([ids]), torch.tensor([len(ids)]))
        att = out["attention"][0].mean(1).double().numpy()  # (L + 1, frames): the last row is <eos>'s
        return att, out["ctc"][0].double().numpy()

    def attention(self, audio, transcript: str, sr: int | None = None) -> np.ndarray:
        """Cross-attention matrix ``(L, frames)`` of a transcript over an audio path or array.

        Rows are the decoder targets of the transcript (characters, plus ``"|"`` between
        words with ``word_sep``); each row sums to 1 over the encoder frames
        (``frame_shift`` seconds apart); multi-head attention is averaged over heads.
        """
        from .base import check_transcript, load_audio

        self._check_fitted()
        ids, _ = self.tokenizer_.encode(check_transcript(transcript))
        return self._run(load_audio(audio, self.sample_rate, sr), ids)[0][:-1]

    def emissions(self, audio, sr: int | None = None) -> np.ndarray:
        """Log probabilities ``(frames, classes)`` of the joint CTC head."""
        import torch

        from ._ctc_net import features
        from .base import load_audio

        self._check_fitted()
        f = features(load_audio(audio, self.sample_rate, sr), self._features)
        with torch.no_grad():
            keys, _ = self.model_.encoder(torch.from_numpy(f)[None], torch.tensor([f.shape[0]]))
            return torch.log_softmax(self.model_.ctc_head(keys), dim=-1)[0].numpy()

    def _align_one(self, x: np.ndarray, transcript: str, shifts, refine: bool) -> AlignmentResult:
        """Align ``transcript`` to the samples ``x``; ``raw`` also holds the ``"attention"`` matrix
        (L, frames) and the hard ``"path"`` (token per frame, -1 = pause or ``<eos>``)."""
        tok = self.tokenizer_
        ids, lengths = tok.encode(transcript)
        rows, ctc = self._run(x, ids)
        L = len(ids)
        att = rows[:L]
        if not (self.eos_row and rows.shape[1] > L):
            rows = att
        with np.errstate(divide="ignore"):
            scores = np.log(rows)
            if self.ctc_prior:
                scores[:L] += self.ctc_prior * ctc[:, ids].T
        sep = tok.index.get("|") if tok.word_sep else None
        is_unit = np.array([i != sep for i in ids])
        # pauses may sit before the first unit, after the last (and the <eos> row), and around word
        # separators / at word joins; never inside a word
        gaps = np.zeros(len(rows) + 1, dtype=bool)
        gaps[[0, L, -1]] = True
        if sep is None:
            gaps[np.cumsum(lengths)[:-1]] = True
        else:
            gaps[:L] |= ~is_unit
            gaps[1 : L + 1] |= ~is_unit
        gap = None if self.pause_threshold is None else math.log(self.pause_threshold)
        path = monotonic_alignment(scores, gap=gap, gap_positions=gaps)
        starts, ends = path_bounds(path, len(rows))
        path[path >= L] = -1  # frames of <eos>: after the speech
        conf = np.array([att[k, a:b].sum() for k, (a, b) in enumerate(zip(starts[:L], ends[:L]))])
        # the hard path's unit spans (separators left out) go through the CTC aligner's word-timing rule
        spans = [TokenSpan(k + 1, int(starts[pos]), int(ends[pos]), float(conf[pos]))
                 for k, pos in enumerate(np.flatnonzero(is_unit))]
        word_units, k = [], 1
        for n in lengths:
            word_units.append(list(range(k, k + n)))
            k += n
        result = word_timing(spans, transcript.split(), word_units, tok.unit_labels(transcript), tok.kind,
                             self.frame_shift, shifts[0], shifts[1], x.size / self.sample_rate)
        if refine:  # snap to pauses; anchors: the middle third of each word's hard-path extent
            mid = [(a + (b - a) / 3, b - (b - a) / 3) for a, b in zip(result.raw["starts"], result.raw["ends"])]
            result = refine_result(result, self.refine, x, self.sample_rate, anchors=mid)
        result.raw.update(attention=att, path=path)
        return result

    # ------------------------------------------------------------ persistence
    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {**self._state(), "history": list(self.history_), "loss_parts": self.loss_parts_}, {}

    def _set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        from ._attention_net import AttentionNet

        self._restore(state, AttentionNet)
        self.history_ = [float(v) for v in state["history"]]
        self.loss_parts_ = {str(k): [float(x) for x in v] for k, v in state["loss_parts"].items()}
