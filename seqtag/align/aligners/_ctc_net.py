"""A small CTC acoustic model (conv front end + BiLSTM over log-mel) and its trainer.

Frames are 10 ms (``stride=1``) or 20 ms (``stride=2``): boundary accuracy is
limited by the frame rate, so the default keeps 10 ms.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from ...exceptions import InputError

__all__ = ["CTCAcousticModel", "FEATURE_DEFAULTS", "features", "train_ctc"]

#: Feature settings stored with every model.
FEATURE_DEFAULTS = {"sr": 16000, "n_mels": 40, "win_ms": 25.0, "hop_ms": 10.0}


def features(audio: np.ndarray, feature_config: dict | None = None) -> np.ndarray:
    """Per-utterance normalised log-mel features, ``(frames, n_mels)`` float32."""
    from ...audio import cmvn, log_mel

    cfg = {**FEATURE_DEFAULTS, **(feature_config or {})}
    lm = log_mel(audio, cfg["sr"], n_mels=cfg["n_mels"], win_ms=cfg["win_ms"], hop_ms=cfg["hop_ms"])
    return cmvn(lm)


class CTCAcousticModel(nn.Module):
    """Conv1d x2 (total stride 1 or 2) -> BiLSTM -> linear -> log-softmax; blank = class 0.

    Parameters
    ----------
    n_classes : int
        Vocabulary size including the blank.
    n_mels : int, default 40
    channels : int, default 128
        Conv channels.
    hidden : int, default 128
        LSTM units per direction.
    layers : int, default 2
    stride : {1, 2}, default 1
        Time subsampling of the front end (10 or 20 ms frames at a 10 ms hop).
    dropout : float, default 0.1

    Examples
    --------
    >>> import torch
    >>> m = CTCAcousticModel(5)
    >>> lp, lens = m(torch.zeros(2, 30, 40), torch.tensor([30, 20]))
    >>> tuple(lp.shape), lens.tolist()
    ((2, 30, 5), [30, 20])
    """

    def __init__(self, n_classes: int, n_mels: int = 40, channels: int = 128, hidden: int = 128,
                 layers: int = 2, stride: int = 1, dropout: float = 0.1):
        super().__init__()
        if stride not in (1, 2):
            raise InputError(f"stride must be 1 or 2 (10 or 20 ms frames), got {stride!r}")
        if n_classes < 2:
            raise InputError(f"n_classes must be >= 2 (blank + at least one label), got {n_classes}")
        self.config = dict(n_classes=int(n_classes), n_mels=int(n_mels), channels=int(channels),
                           hidden=int(hidden), layers=int(layers), stride=int(stride), dropout=float(dropout))
        self.stride = stride
        self.conv1 = nn.Conv1d(n_mels, channels, kernel_size=5, padding=2)
        self.conv2 = nn.Conv1d(channels, channels, kernel_size=5, stride=stride, padding=2)
        self.act = nn.GELU()
        self.drop = nn.Dropout(dropout)
        self.lstm = nn.LSTM(channels, hidden, num_layers=layers, batch_first=True, bidirectional=True,
                            dropout=dropout if layers > 1 else 0.0)
        self.out = nn.Linear(2 * hidden, n_classes)

    def out_lengths(self, lengths):
        """Frames after the front end for input lengths ``lengths``."""
        return lengths if self.stride == 1 else (lengths - 1) // 2 + 1

    def forward(self, feats, lengths):
        """``feats`` (batch, time, n_mels), ``lengths`` (batch,) -> log-probs (batch, time', classes), lengths."""
        x = feats.transpose(1, 2)  # (batch, n_mels, time)
        x = self.drop(self.act(self.conv1(x)))
        x = self.drop(self.act(self.conv2(x)))  # (batch, channels, time')
        x = x.transpose(1, 2)  # (batch, time', channels)
        out_len = self.out_lengths(lengths)
        packed = nn.utils.rnn.pack_padded_sequence(x, out_len.cpu(), batch_first=True, enforce_sorted=False)
        y, _ = self.lstm(packed)
        y, _ = nn.utils.rnn.pad_packed_sequence(y, batch_first=True, total_length=x.shape[1])  # (batch, time', 2h)
        return torch.log_softmax(self.out(self.drop(y)), dim=-1), out_len  # (batch, time', classes)


def train_ctc(
    model,
    feats: Sequence[np.ndarray],
    targets: Sequence[Sequence[int]],
    epochs: int = 30,
    batch_size: int = 16,
    lr: float = 2e-3,
    weight_decay: float = 1e-2,
    clip: float = 5.0,
    seed: int = 0,
    progress: bool = False,
    num_threads: int | None = 1,
) -> list[float]:
    """Train ``model`` with ``torch.nn.CTCLoss`` (AdamW, length-sorted batches, gradient clipping).

    Parameters
    ----------
    model : CTCAcousticModel
        Trained in place.
    feats : list of (frames, n_mels) float32 arrays
    targets : list of list of int
        Target ids (no blank).
    epochs, batch_size, lr, weight_decay, clip
        Optimisation settings; the learning rate follows a one-cycle cosine schedule.
    seed : int
        Seeds the batch order and dropout; weight init is the caller's (see :class:`CTCAligner`).
    progress : bool
        Show a progress bar.
    num_threads : int or None, default 1
        torch threads while training (restored afterwards); small recurrent models
        are fastest single-threaded, especially on a shared machine. ``None``: leave as is.

    Returns
    -------
    list of float
        Mean loss per utterance of every epoch.
    """
    from ...training import fit_loop, torch_threads

    if len(feats) != len(targets) or not feats:
        raise InputError(f"need as many feature arrays as targets (and at least one), got {len(feats)} and {len(targets)}")
    lens_in = np.array([len(f) for f in feats])
    frames_out = model.out_lengths(torch.as_tensor(lens_in)).numpy()
    for i, (t, tg) in enumerate(zip(frames_out, targets)):
        reps = sum(1 for a, b in zip(tg[1:], tg[:-1]) if a == b)
        if len(tg) == 0 or t < len(tg) + reps:
            raise InputError(f"utterance {i}: {t} frames cannot hold {len(tg)} targets (+{reps} repeats) for CTC")
    rng = np.random.default_rng(seed)
    order = np.argsort(lens_in, kind="stable")
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    ctc = torch.nn.CTCLoss(blank=0, reduction="sum", zero_infinity=True)

    def loss_fn(b):
        x = torch.zeros(len(b), int(lens_in[b].max()), feats[b[0]].shape[1])  # (batch, time, n_mels)
        for k, j in enumerate(b):
            x[k, : lens_in[j]] = torch.from_numpy(feats[j])
        tg = torch.cat([torch.as_tensor(targets[j], dtype=torch.long) for j in b])
        tlen = torch.tensor([len(targets[j]) for j in b])
        lp, olen = model(x, torch.as_tensor(lens_in[b]))
        loss = ctc(lp.transpose(0, 1), tg, olen, tlen)  # CTCLoss wants (time, batch, classes)
        return loss / len(b), {"loss": float(loss.detach())}

    with torch_threads(num_threads):
        rows = fit_loop(model, lambda epoch: [batches[j] for j in rng.permutation(len(batches))], loss_fn,
                        epochs=epochs, steps_per_epoch=len(batches), lr=lr, weight_decay=weight_decay,
                        clip_norm=clip, schedule="onecycle", warmup=0.15, seed=seed, verbose=progress,
                        desc="CTC training")
    return [row["loss"] / len(feats) for row in rows]
