"""Forced alignment with an attention encoder-decoder: cross-attention -> monotonic path -> word intervals.

A speech encoder (conv subsampling + BiLSTM or transformer over log-mel) and an
autoregressive character decoder with location-aware attention
(:mod:`seqtag.align._attention_net`) are trained with teacher forcing on
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
aligner (:func:`seqtag.align.aligner.align_emissions`: calibrated start/end
shifts, at least one frame per character, contiguous characters inside a word)
and gives the same :class:`~seqtag.align.aligner.AlignmentResult`. A unit's
confidence is the share of its attention that falls inside its span.
"""

from __future__ import annotations

import json
import math
import os
import pickle
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..exceptions import InputError, ModelFileError, NotFittedError
from .aligner import AlignmentResult, CTCAligner, _refined, word_timing
from .spans import TokenSpan
from .monotonic import monotonic_alignment, path_bounds

__all__ = ["AttentionAligner", "train_attention"]

_CONFIG, _WEIGHTS = "aligner.json", "model.pt"
_FORMAT = 1


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


def _run_epoch(net, feats, targets, batches, rng, opt, sched, clip, step, variants=None) -> dict[str, float]:
    """One pass over the batches in random order; ``step(x, f_len, y, t_len)`` -> (loss, {part: value}).

    With ``variants`` (per utterance, a list of alternative feature arrays), every
    utterance of a batch uses its original or one of its variants, drawn uniformly.
    """
    import torch

    sums: dict[str, float] = {}
    for j in rng.permutation(len(batches)):
        batch_feats = feats
        if variants is not None:
            batch_feats = dict(enumerate(feats))
            for i in batches[j]:
                pick = int(rng.integers(len(variants[i]) + 1))
                if pick:
                    batch_feats[i] = variants[i][pick - 1]
        loss, parts = step(*_pad_batch(batch_feats, targets, batches[j]))
        opt.zero_grad()
        (loss / len(batches[j])).backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), clip)
        opt.step()
        sched.step()
        for k, v in parts.items():
            sums[k] = sums.get(k, 0.0) + float(v.detach())
    return {k: v / len(feats) for k, v in sums.items()}


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
    """Train an :class:`~seqtag.align._attention_net.AttentionNet` with teacher forcing.

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

    def optimiser(params, n_epochs):
        opt = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
        total = max(n_epochs * len(batches), 1)
        return opt, torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=total, pct_start=0.15)

    def warmup_step(x, f_len, y, t_len):
        keys, lens = net.encoder(x, f_len)
        loss = ctc_loss(net.ctc(keys).transpose(0, 1), y, lens, t_len)  # CTCLoss wants (frames, batch, C)
        return loss, {"warmup_ctc": loss}

    def joint_step(x, f_len, y, t_len):
        out = net(x, f_len, y, t_len)
        gold = torch.cat([y, torch.zeros(len(y), 1, dtype=torch.long)], dim=1)
        gold[torch.arange(len(y)), t_len] = 0  # <eos> after the last character
        steps = torch.arange(gold.shape[1])[None] <= t_len[:, None]  # (batch, U + 1) real decoder steps
        ce = torch.nn.functional.cross_entropy(out["logits"][steps], gold[steps], reduction="sum")
        ctc = ctc_loss(out["ctc"].transpose(0, 1), y, out["lengths"], t_len)
        guide = _guide_penalty(out["attention"].mean(2), t_len, out["lengths"], guide_sigma)
        loss = (1 - ctc_weight) * ce + ctc_weight * ctc + joint_step.guide * guide
        return loss, {"loss": loss, "ce": ce, "ctc": ctc, "guide": guide}

    hist: dict[str, list[float]] = {"loss": [], "ce": [], "ctc": [], "guide": [], "warmup_ctc": []}
    old_threads = torch.get_num_threads()
    if num_threads is not None:
        torch.set_num_threads(int(num_threads))
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            net.train()
            phases = [("warm-up", ctc_warmup, warmup_step, [*net.encoder.parameters(), *net.ctc_head.parameters()]),
                      ("joint", epochs, joint_step, list(net.parameters()))]
            for name, n_epochs, step, params in phases:
                if n_epochs <= 0:
                    continue
                opt, sched = optimiser(params, n_epochs)
                for epoch in range(n_epochs):
                    t0 = time.perf_counter()
                    joint_step.guide = guide_weight * max(0.0, 1.0 - epoch / max(guide_epochs * n_epochs, 1e-9))
                    for k, v in _run_epoch(net, feats, targets, batches, rng, opt, sched, clip, step, variants).items():
                        hist[k].append(v)
                    last = hist["warmup_ctc" if step is warmup_step else "loss"][-1]
                    if progress:
                        shown = ("warmup_ctc",) if step is warmup_step else ("loss", "ce", "ctc", "guide")
                        print(f"{name} epoch {epoch + 1}/{n_epochs}: " + ", ".join(f"{k} {hist[k][-1]:.3f}" for k in shown)
                              + f" ({time.perf_counter() - t0:.1f} s)", flush=True)
                    if not math.isfinite(last):
                        raise InputError("attention training diverged (loss is not finite); lower lr")
    finally:
        torch.set_num_threads(old_threads)
        net.eval()
    return hist


class AttentionAligner(CTCAligner):
    """Forced aligner from the cross-attention of a small speech-to-characters encoder-decoder.

    Same interface as :class:`~seqtag.align.aligner.CTCAligner` (it reuses its audio
    handling, :meth:`calibrate` and :meth:`evaluate`): ``fit`` / ``align`` / ``evaluate``
    / ``save`` / ``load``, plus :meth:`attention`.

    Parameters
    ----------
    model : AttentionNet or None
        A trained network; ``None`` builds one in :meth:`fit`.
    tokenizer : CharTokenizer or PhoneTokenizer or None
        Default: characters of the training transcripts.
    units : {"chars", "phones"}, default "chars"
    word_sep : bool, default False
        Decode a ``"|"`` token between words (its frames belong to no word).
    model_params : dict or None
        Passed to :class:`~seqtag.align._attention_net.AttentionNet` (``hidden``, ``layers``,
        ``stride`` (default 2: 20 ms frames), ``encoder``, ``score``, ``heads``, ``location``...).
    feature_config : dict or None
        Overrides of :data:`~seqtag.align.acoustic.FEATURE_DEFAULTS`.
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
        As in :class:`~seqtag.align.aligner.CTCAligner`: snap word boundaries that face a pause to
        its edges, looking for the pause between the middle thirds of neighbouring words' extents.

    Examples
    --------
    >>> from seqtag.corpora.speech import load_speech_corpus
    >>> train = load_speech_corpus("synthetic", "train", n=300)  # doctest: +SKIP
    >>> aligner = AttentionAligner().fit(train, epochs=40)  # doctest: +SKIP
    >>> aligner.align("utt.wav", "hello world").words  # doctest: +SKIP
    """

    def __init__(self, model=None, tokenizer=None, units: str = "chars", word_sep: bool = False,
                 model_params: dict | None = None, feature_config: dict | None = None,
                 start_shift: float | None = None, end_shift: float | None = None,
                 ctc_weight: float = 0.5, ctc_warmup: int = 8, guide_weight: float = 1.0,
                 pause_threshold: float | None = 0.01, ctc_prior: float = 0.0, eos_row: bool = True,
                 refine: str | None = "energy"):
        super().__init__(model, tokenizer, units, word_sep, model_params, feature_config, start_shift, end_shift,
                         refine)
        self.ctc_weight = ctc_weight
        self.ctc_warmup = ctc_warmup
        self.guide_weight = guide_weight
        self.pause_threshold = pause_threshold
        self.ctc_prior = ctc_prior
        self.eos_row = eos_row

    @property
    def frame_shift(self) -> float:
        """Seconds per encoder frame (attention column)."""
        stride = self.model.config["stride"] if self.model is not None else (self.model_params or {}).get("stride", 2)
        return self._features["hop_ms"] / 1000.0 * stride

    def _check_fitted(self):
        if self.model is None or self.tokenizer is None:
            raise NotFittedError("this AttentionAligner has no model yet; call fit(utterances) or AttentionAligner.load(folder)")

    # --------------------------------------------------------------- training
    def fit(self, utterances, epochs: int = 40, batch_size: int = 8, lr: float = 3e-3, seed: int = 0,
            progress: bool = False, calibrate: bool = True,
            speed_perturb: Sequence[float] = ()) -> AttentionAligner:
        """Train on utterances (objects with ``transcript`` and ``load_audio()``; e.g. a SpeechCorpus).

        ``speed_perturb`` (e.g. ``(0.9, 1.1)``) adds copies of every training utterance played
        that much faster or slower (resampled, so tempo and pitch change together, as in
        Kaldi's speed perturbation); each time an utterance is drawn, one of its versions is
        used, so an epoch costs the same. It keeps the location-aware attention from learning
        the training voices' speaking rate.

        Returns
        -------
        self
            With ``history_`` (objective per utterance and joint epoch), ``loss_parts_``
            (``ce``/``ctc``/``guide`` per joint epoch, ``warmup_ctc`` per warm-up epoch) and, when reference words exist and
            ``calibrate``, calibrated shifts.
        """
        import torch

        from ._attention_net import AttentionNet
        from .acoustic import features
        from .tokenizers import CharTokenizer, PhoneTokenizer

        utts = list(utterances)
        if not utts:
            raise InputError("fit needs at least one utterance")
        if self.tokenizer is None:
            kinds = {"chars": CharTokenizer, "phones": PhoneTokenizer}
            if self.units not in kinds:
                raise InputError(f"units must be 'chars' or 'phones', got {self.units!r}")
            self.tokenizer = kinds[self.units].from_transcripts([u.transcript for u in utts], word_sep=self.word_sep)
        cfg = self._features
        targets = [self.tokenizer.encode(u.transcript)[0] for u in utts]
        factors = [float(f) for f in speed_perturb]
        if any(not 0.5 <= f <= 2.0 for f in factors):
            raise InputError(f"speed_perturb factors must be between 0.5 and 2.0 (e.g. (0.9, 1.1)), got {factors}")
        audio = [u.load_audio(cfg["sr"])[0] for u in utts]
        feats = [features(a, cfg) for a in audio]
        variants = None
        if factors:
            from ..audio.io import resample

            sr = int(cfg["sr"])
            variants = [[features(resample(a, sr, round(sr / f)), cfg) for f in factors] for a in audio]
        del audio
        if self.model is None:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                self.model = AttentionNet(len(self.tokenizer.vocab), **{**(self.model_params or {}), "n_mels": cfg["n_mels"]})
        parts = train_attention(self.model, feats, targets, epochs=epochs, batch_size=batch_size, lr=lr,
                                ctc_weight=self.ctc_weight, ctc_warmup=self.ctc_warmup, guide_weight=self.guide_weight,
                                seed=seed, progress=progress, variants=variants)
        self.history_ = parts.pop("loss")
        self.loss_parts_ = parts
        if calibrate and any(getattr(u, "words", None) for u in utts):
            self.calibrate(utts)
        return self

    # -------------------------------------------------------------- alignment
    def _run(self, x: np.ndarray, ids: list[int]):
        """Attention (L + 1, frames) averaged over heads (with the ``<eos>`` step), CTC log-probs (frames, classes)."""
        import torch

        from .acoustic import features

        f = features(x, self._features)
        n_frames = int(self.model.out_lengths(torch.tensor(f.shape[0])))
        if n_frames < len(ids):
            raise InputError(
                f"the audio is too short for the transcript: T = {n_frames} frames ({x.size / self._features['sr']:.2f} s "
                f"at {1000 * self.frame_shift:g} ms) cannot hold L = {len(ids)} characters (one frame each at least); "
                f"check that transcript and audio belong together, or use a model with stride=1 (10 ms frames)"
            )
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            with torch.no_grad():
                out = self.model(torch.from_numpy(f)[None], torch.tensor([f.shape[0]]),
                                 torch.tensor([ids]), torch.tensor([len(ids)]))
        finally:
            torch.set_num_threads(threads)
        att = out["attention"][0].mean(1).double().numpy()  # (L + 1, frames): the last row is <eos>'s
        return att, out["ctc"][0].double().numpy()

    def attention(self, audio, transcript: str, sr: int | None = None) -> np.ndarray:
        """Cross-attention matrix ``(L, frames)`` of a transcript over an audio path or array.

        Rows are the decoder targets of the transcript (characters, plus ``"|"`` between
        words with ``word_sep``); each row sums to 1 over the encoder frames
        (``frame_shift`` seconds apart); multi-head attention is averaged over heads.
        """
        self._check_fitted()
        ids, _ = self.tokenizer.encode(transcript)
        return self._run(self._audio(audio, sr), ids)[0][:-1]

    def emissions(self, audio, sr: int | None = None) -> np.ndarray:
        """Log probabilities ``(frames, classes)`` of the joint CTC head."""
        import torch

        from .acoustic import features

        self._check_fitted()
        f = features(self._audio(audio, sr), self._features)
        with torch.no_grad():
            keys, _ = self.model.encoder(torch.from_numpy(f)[None], torch.tensor([f.shape[0]]))
            return torch.log_softmax(self.model.ctc_head(keys), dim=-1)[0].numpy()

    def align(self, audio, transcript: str, sr: int | None = None, shifts: tuple | None = None) -> AlignmentResult:
        """Align a transcript to an audio file path or a mono array (then pass ``sr``).

        Returns
        -------
        AlignmentResult
            Words and characters/phones in seconds with confidences; ``raw`` also holds the
            ``"attention"`` matrix (L, frames) and the hard ``"path"`` (token per frame, -1 = pause
            or ``<eos>``).

        Raises
        ------
        InputError
            Empty transcript, units outside the vocabulary, or audio too short (fewer frames than units).
        """
        self._check_fitted()
        ids, lengths = self.tokenizer.encode(transcript)
        x = self._audio(audio, sr)
        rows, ctc = self._run(x, ids)
        L = len(ids)
        att = rows[:L]
        if not (self.eos_row and rows.shape[1] > L):
            rows = att
        with np.errstate(divide="ignore"):
            scores = np.log(rows)
            if self.ctc_prior:
                scores[:L] += self.ctc_prior * ctc[:, ids].T
        sep = self.tokenizer.index.get("|") if self.tokenizer.word_sep else None
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
        s_shift, e_shift = shifts if shifts is not None else (self.start_shift, self.end_shift)
        result = word_timing(spans, transcript.split(), word_units, self.tokenizer.unit_labels(transcript),
                             self.tokenizer.kind, self.frame_shift, s_shift, e_shift, x.size / self._features["sr"])
        if shifts is None:  # snap to pauses; anchors: the middle third of each word's hard-path extent
            mid = [(a + (b - a) / 3, b - (b - a) / 3) for a, b in zip(result.raw["starts"], result.raw["ends"])]
            result = _refined(result, self.refine, x, self._features["sr"], anchors=mid)
        result.raw.update(attention=att, path=path)
        return result

    # ------------------------------------------------------------ persistence
    def save(self, folder: str | os.PathLike) -> Path:
        """Write ``aligner.json`` (config, ``"class": "AttentionAligner"``) and ``model.pt`` (a ``state_dict``)."""
        import torch

        self._check_fitted()
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        doc = {"format": _FORMAT, "class": "AttentionAligner", "model": self.model.config,
               "tokenizer": self.tokenizer.get_config(), "features": self._features,
               "start_shift": self.start_shift, "end_shift": self.end_shift,
               "ctc_weight": self.ctc_weight, "ctc_warmup": self.ctc_warmup, "guide_weight": self.guide_weight,
               "pause_threshold": self.pause_threshold, "ctc_prior": self.ctc_prior, "eos_row": self.eos_row,
               "refine": self.refine}
        (out / _CONFIG).write_text(json.dumps(doc, indent=1))
        torch.save(self.model.state_dict(), out / _WEIGHTS)
        return out

    @classmethod
    def load(cls, folder: str | os.PathLike) -> AttentionAligner:
        """Inverse of :meth:`save`; weights are read with ``weights_only=True`` (no pickle).

        Raises
        ------
        ModelFileError
            Missing files, a folder of another aligner, or corrupt contents.
        """
        import torch

        from ._attention_net import AttentionNet
        from .tokenizers import tokenizer_from_config

        p = Path(folder)
        if not (p / _CONFIG).is_file() or not (p / _WEIGHTS).is_file():
            raise ModelFileError(f"{str(p)!r} is not a saved AttentionAligner (needs {_CONFIG} and {_WEIGHTS})")
        try:
            doc = json.loads((p / _CONFIG).read_text())
            if not isinstance(doc, dict) or doc.get("class") != "AttentionAligner" or doc.get("format") != _FORMAT:
                found = doc.get("class") if isinstance(doc, dict) else None
                raise ModelFileError(f"{str(p / _CONFIG)!r} was not written by this version of AttentionAligner "
                                     f"(class {found!r}); load it with the matching class")
            model = AttentionNet(**doc["model"])
            model.load_state_dict(torch.load(p / _WEIGHTS, weights_only=True))
            tok = tokenizer_from_config(doc["tokenizer"])
            extra = {k: doc[k] for k in ("ctc_weight", "ctc_warmup", "guide_weight", "pause_threshold", "ctc_prior",
                                         "eos_row")}
            extra["refine"] = doc.get("refine")  # folders saved before refinement existed: None
            shifts = doc["start_shift"], doc["end_shift"]
        except (json.JSONDecodeError, KeyError, RuntimeError, TypeError, ValueError, EOFError,
                pickle.UnpicklingError) as exc:
            if isinstance(exc, ModelFileError):
                raise
            raise ModelFileError(f"cannot load the aligner in {str(p)!r}: {exc}") from exc
        model.eval()
        return cls(model, tok, units=tok.kind, word_sep=tok.word_sep, feature_config=doc["features"],
                   start_shift=shifts[0], end_shift=shifts[1], **extra)
