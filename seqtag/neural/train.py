"""The one training loop of the neural taggers, and the batching it relies on.

:func:`fit_network` trains any :class:`~seqtag.neural.modules.TaggerNet` with
AdamW, a linear warm-up followed by linear (or cosine) decay or a one-cycle
schedule, gradient clipping by norm, length-bucketed shuffled batches and early
stopping on a dev set, for a number of epochs or of optimiser steps; the
best-dev weights are restored at the end (or the last ones kept).  All randomness comes from
one integer seed (``torch.manual_seed`` inside :func:`torch.random.fork_rng`,
so the caller's global torch RNG is left as it was, and a ``torch.Generator``
for shuffling and word dropout).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from .vocab import UNK_ID

__all__ = [
    "STEP_ROUNDS",
    "Encoded",
    "fit_network",
    "length_batches",
    "make_batch",
    "predict_ids",
    "resolve_device",
]

#: With a step budget (``max_steps``) the dev set is tagged this many times, evenly spaced.
STEP_ROUNDS = 5


@dataclass
class Encoded:
    """Sentences turned into ids.

    Attributes
    ----------
    words : list of ndarray (T_i,)
        Word ids.
    types : list of ndarray (T_i,)
        Index of each token's string in ``type_chars``.
    type_chars : list of ndarray
        Character ids of every distinct token string.
    feats : list of ndarray (T_i,) or None
        Extra feature ids.
    type_affixes : list of ndarray (N_AFFIXES,) or None
        Affix ids of every distinct token string (``affix_dim > 0``).
    tags : list of ndarray (T_i,) or None
        Gold tag ids.
    """

    words: list[np.ndarray]
    types: list[np.ndarray]
    type_chars: list[np.ndarray]
    feats: list[np.ndarray] | None = None
    tags: list[np.ndarray] | None = None
    type_affixes: list[np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.words)

    @property
    def lengths(self) -> np.ndarray:
        return np.fromiter((len(w) for w in self.words), dtype=np.int64, count=len(self.words))


def _pad(seqs: list[np.ndarray], value: int = 0) -> torch.Tensor:
    out = np.full((len(seqs), max(len(s) for s in seqs)), value, dtype=np.int64)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = s
    return torch.from_numpy(out)


def make_batch(
    data: Encoded,
    idx: np.ndarray,
    device: torch.device,
    drop_prob: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
) -> dict[str, torch.Tensor]:
    """Tensors of the sentences ``idx`` (see :mod:`seqtag.neural.modules` for the keys).

    With ``drop_prob`` (per word id) each word is replaced by UNK with that
    probability (word dropout), drawn from ``generator``.
    """
    words = _pad([data.words[i] for i in idx])  # (B, T)
    mask = _pad([np.ones(len(data.words[i]), dtype=np.int64) for i in idx]).bool()  # (B, T)
    types_all = _pad([data.types[i] for i in idx])  # (B, T) global type ids
    uniq, inverse = torch.unique(types_all, return_inverse=True)  # (U,), (B, T)
    type_chars = _pad([data.type_chars[j] for j in uniq.tolist()])  # (U, L)
    if drop_prob is not None:
        drop = torch.rand(words.shape, generator=generator) < drop_prob[words]
        words = words.masked_fill(drop & mask, UNK_ID)
    batch = {"words": words, "mask": mask, "types": inverse, "type_chars": type_chars}
    if data.type_affixes is not None:
        batch["type_affixes"] = torch.from_numpy(np.stack([data.type_affixes[j] for j in uniq.tolist()]))
    if data.feats is not None:
        batch["feats"] = _pad([data.feats[i] for i in idx])
    if data.tags is not None:
        batch["tags"] = _pad([data.tags[i] for i in idx])
    return {k: v.to(device) for k, v in batch.items()}


def length_batches(lengths: np.ndarray, batch_size: int, generator: torch.Generator | None) -> list[np.ndarray]:
    """Batches of sentence indices of similar length.

    Without a generator the sentences are sorted by length (prediction).  With
    one, sentences are shuffled, cut into pools of ``50 * batch_size``, sorted
    by length inside each pool, cut into batches, and the batches shuffled.
    """
    n = len(lengths)
    if generator is None:
        order = np.argsort(lengths, kind="stable")
        return [order[i : i + batch_size] for i in range(0, n, batch_size)]
    perm = torch.randperm(n, generator=generator).numpy()
    pool = 50 * batch_size
    batches = []
    for s in range(0, n, pool):
        chunk = perm[s : s + pool]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    order = torch.randperm(len(batches), generator=generator).tolist()
    return [batches[i] for i in order]


def resolve_device(device: str) -> torch.device:
    """``"auto"`` -> cuda if available else cpu."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


@torch.inference_mode()
def predict_ids(net: nn.Module, data: Encoded, batch_size: int, device: torch.device,
                marginals: bool = False) -> list[np.ndarray]:
    """Best tag ids of every sentence (or, with ``marginals``, its (n, K) tag probabilities),
    batched by length, in the original order."""
    was_training = net.training
    net.eval()
    out: list[np.ndarray] = [None] * len(data)  # type: ignore[list-item]
    lengths = data.lengths
    for idx in length_batches(lengths, batch_size, None):
        batch = make_batch(data, idx, device)
        res = (net.marginals(batch) if marginals else net.decode(batch)).cpu().numpy()  # (B, T[, K])
        for row, i in enumerate(idx):
            out[i] = res[row, : lengths[i]]
    net.train(was_training)
    return out


def fit_network(
    net: nn.Module,
    train: Encoded,
    dev: Encoded | None,
    *,
    seed: int,
    max_epochs: int,
    max_steps: int | None = None,
    min_steps: int | None = None,
    batch_size: int,
    lr: float,
    weight_decay: float,
    warmup: float,
    schedule: str,
    clip_norm: float | None,
    patience: int | None,
    device: torch.device,
    restore_best: bool = True,
    drop_prob: torch.Tensor | None = None,
    eval_batch_size: int = 256,
    verbose: bool = False,
    desc: str = "training",
) -> tuple[pd.DataFrame, int]:
    """Train ``net`` in place; return the history and the best epoch (1-based).

    Parameters
    ----------
    net : TaggerNet
        Has ``loss(batch)`` and ``decode(batch)``; already on ``device`` and
        built under the same seed.
    train, dev : Encoded
        Training data and optional dev data (both with ``tags``).
    seed : int
        Seeds dropout and shuffling.
    max_epochs, batch_size, lr, weight_decay : see the taggers.
    max_steps : int or None
        A step budget instead of ``max_epochs``: exactly this many optimiser
        steps (unless early stopping ends sooner), drawn from one shuffled
        epoch after another, with the dev set tagged after every
        ``ceil(max_steps / STEP_ROUNDS)`` steps (a *round*, one history row)
        rather than after every epoch. The cost of training then no longer
        grows with the data, and a small training set gets as many updates as
        a large one.
    min_steps : int or None
        Without ``max_steps``: train ``max(max_epochs, ceil(min_steps / batches))``
        epochs, so that a small training set still gets ``min_steps`` updates.
    warmup : float
        Fraction of all steps (``max_epochs * batches`` or ``max_steps``) spent
        warming up (the rise of the one-cycle schedule).
    schedule : {"linear", "cosine", "constant", "onecycle"}
        Decay after a linear warm-up, or torch's ``OneCycleLR`` (cosine rise and
        fall, momentum cycled against it).
    clip_norm : float or None
        Maximal global gradient norm.
    patience : int or None
        Stop after this many epochs (rounds) without a better dev accuracy.
    device : torch.device
    restore_best : bool
        Restore the weights of the best dev epoch (the latest one on ties) at the
        end; ``False`` keeps the last epoch's.
    drop_prob : Tensor (n_words,), optional
        Word dropout probability of each word id.
    verbose : bool
        Show a tqdm progress bar (one step per epoch).

    Returns
    -------
    history : DataFrame
        One row per epoch (round): ``epoch``, ``steps`` (optimiser steps so far),
        ``train_loss``, ``dev_accuracy`` (nan without dev), ``seconds``, ``lr``.
    best_epoch : int
    """
    from ..training import fit_loop

    gen = torch.Generator().manual_seed(seed)
    lengths = train.lengths
    dev_gold = np.concatenate(dev.tags) if dev is not None and len(dev) else None
    if drop_prob is not None:
        drop_prob = drop_prob.cpu()
    per_epoch = math.ceil(len(train) / batch_size)
    if max_steps is None and min_steps is not None:
        max_epochs = max(max_epochs, math.ceil(min_steps / per_epoch))
    best = {"acc": -1.0, "epoch": max_epochs, "state": None, "stale": 0}

    if max_steps is None:
        rounds, per_round, total = max_epochs, per_epoch, max_epochs * per_epoch

        def batches(epoch):
            for idx in length_batches(lengths, batch_size, gen):
                yield make_batch(train, idx, device, drop_prob, gen)
    else:
        total = max_steps
        per_round = math.ceil(max_steps / min(STEP_ROUNDS, max_steps))
        rounds = math.ceil(max_steps / per_round)
        best["epoch"] = rounds
        stream = _endless_batches(lengths, batch_size, gen)

        def batches(r):
            for _ in range(min(per_round, max_steps - (r - 1) * per_round)):
                yield make_batch(train, next(stream), device, drop_prob, gen)
    done = {"steps": 0}

    def loss_fn(batch):
        done["steps"] += 1
        loss = net.loss(batch)
        k = int(batch["mask"].sum())
        return loss, {"loss_sum": float(loss.detach()) * k, "tokens": k}

    def after_epoch(epoch, row) -> bool:
        row["steps"] = done["steps"]
        row["train_loss"] = row.pop("loss_sum") / max(1, row.pop("tokens"))
        row["dev_accuracy"] = float("nan")
        if dev_gold is None:
            return False
        pred = np.concatenate(predict_ids(net, dev, eval_batch_size, device))
        acc = row["dev_accuracy"] = float((pred == dev_gold).mean())
        best["stale"] = 0 if acc > best["acc"] else best["stale"] + 1
        if acc >= best["acc"]:  # on a tie keep the later (longer trained) weights
            best.update(acc=acc, epoch=epoch)
            if restore_best:
                best["state"] = {k: v.detach().cpu().clone() for k, v in net.state_dict().items()}
        return patience is not None and best["stale"] >= patience

    rows = fit_loop(net, batches, loss_fn, epochs=rounds, steps_per_epoch=per_round, total_steps=total,
                    lr=lr, weight_decay=weight_decay, clip_norm=clip_norm, schedule=schedule, warmup=warmup,
                    after_epoch=after_epoch, verbose=verbose, desc=desc, divergence="lower lr", fused=True)
    best_epoch = best["epoch"]
    if best["state"] is not None:
        net.load_state_dict(best["state"])
    elif dev_gold is None or not restore_best:
        best_epoch = len(rows)
    net.eval()
    # steps: nullable, as in a history loaded from a file saved before step counts
    return pd.DataFrame(rows, columns=HISTORY_COLUMNS).astype({"steps": "Int64"}), best_epoch


#: Columns of a tagger's ``history_``.
HISTORY_COLUMNS = ["epoch", "steps", "train_loss", "dev_accuracy", "seconds", "lr"]


def _endless_batches(lengths: np.ndarray, batch_size: int, generator: torch.Generator):
    """Length-bucketed batches of one freshly shuffled epoch after another."""
    while True:
        yield from length_batches(lengths, batch_size, generator)
