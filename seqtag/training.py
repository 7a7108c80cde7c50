"""The one torch training loop of seqtag (neural taggers and aligners) and ``torch_threads``.

:func:`fit_loop` owns what every trainer repeats: AdamW, the learning-rate
schedule (linear warm-up then linear / cosine / constant, or one-cycle), one
optimiser step per batch with gradient clipping, loss bookkeeping per epoch, a
divergence check, an optional seed (``torch.manual_seed`` inside
:func:`torch.random.fork_rng`, so the caller's global RNG is left as it was), an
``after_epoch`` hook (dev evaluation, early stopping) and a progress bar. The caller
supplies only what differs: the batches of an epoch and a loss closure.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

import torch
from torch import nn

from .exceptions import InputError

__all__ = ["SCHEDULES", "fit_loop", "lr_factor", "torch_threads"]

SCHEDULES = ("linear", "cosine", "constant", "onecycle")


@contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run the block with ``n`` torch intra-op threads, then restore the previous number.

    Parameters
    ----------
    n : int or None
        Threads to use; ``None`` leaves torch as it is.

    Examples
    --------
    >>> before = torch.get_num_threads()
    >>> with torch_threads(1):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    if n is None:
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(old)


def lr_factor(kind: str, warmup: int, total: int) -> Callable[[int], float]:
    """Multiplier of the peak learning rate at each step: linear warm-up, then ``kind`` decay."""

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = min(1.0, (step - warmup) / max(1, total - warmup))
        if kind == "cosine":
            return 0.5 * (1.0 + math.cos(math.pi * progress))
        if kind == "linear":
            return max(0.0, 1.0 - progress)
        return 1.0  # constant

    return factor


def fit_loop(
    model: nn.Module,
    batches: Callable[[int], Iterable[Any]],
    loss_fn: Callable[[Any], tuple[torch.Tensor, dict[str, float]]],
    *,
    epochs: int,
    steps_per_epoch: int,
    lr: float,
    weight_decay: float = 1e-2,
    clip_norm: float | None = 5.0,
    schedule: str = "onecycle",
    warmup: float = 0.15,
    seed: int | None = None,
    params: Iterable[nn.Parameter] | None = None,
    after_epoch: Callable[[int, dict[str, Any]], bool] | None = None,
    verbose: bool = False,
    desc: str = "training",
    divergence: str = "lower lr",
    total_steps: int | None = None,
    fused: bool = False,
) -> list[dict[str, Any]]:
    """Train ``model`` in place.

    Parameters
    ----------
    model : nn.Module
        Put in train mode for every epoch and in eval mode at the end.
    batches : callable
        ``batches(epoch)`` (1-based) yields the batches of one epoch, in the order to use.
    loss_fn : callable
        ``loss_fn(batch) -> (loss, parts)``: the tensor to back-propagate and a dict of
        floats summed over the epoch into its row (e.g. ``{"loss": ..., "items": ...}``).
    epochs, steps_per_epoch : int
        Epochs to run (unless ``after_epoch`` stops earlier) and optimiser steps per epoch
        (for the schedule).
    lr, weight_decay : float
        AdamW's peak learning rate and decoupled weight decay.
    clip_norm : float or None
        Maximal global gradient norm.
    schedule : {"onecycle", "linear", "cosine", "constant"}
        ``onecycle``: torch's ``OneCycleLR`` with ``pct_start=warmup``; the others: linear
        warm-up over ``warmup`` of all steps, then that decay.
    warmup : float
        Fraction of all steps spent warming up.
    seed : int or None
        Seed torch (dropout) inside ``fork_rng`` for the whole loop; ``None``: the caller seeds.
    params : iterable of Parameter or None
        What the optimiser updates (default: all of ``model``'s parameters).
    after_epoch : callable or None
        ``after_epoch(epoch, row) -> stop``: may add columns to ``row`` and stop training.
    verbose : bool
        Show a progress bar (one step per epoch).
    desc : str
        Its label.
    divergence : str
        Advice added to the error raised when an epoch's summed loss is not finite.
    total_steps : int or None
        Length of the schedule in optimiser steps when the epochs are not all
        ``steps_per_epoch`` long (e.g. a step budget whose last epoch is shorter);
        default ``epochs * steps_per_epoch``.
    fused : bool
        Use torch's fused AdamW kernel (one pass over every parameter; 5x faster
        than the default on a 1M-value embedding table on CPU; the same update up
        to float rounding).

    Returns
    -------
    list of dict
        One row per epoch: ``epoch``, the summed ``parts``, ``seconds``, ``lr``.
    """
    from tqdm.auto import tqdm

    if schedule not in SCHEDULES:
        raise InputError(f"schedule must be one of {SCHEDULES}, got {schedule!r}")
    params = list(model.parameters() if params is None else params)
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay, **({"fused": True} if fused else {}))
    total = max(1, epochs * steps_per_epoch if total_steps is None else total_steps)
    if schedule == "onecycle":
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=total, pct_start=warmup)
    else:
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor(schedule, int(warmup * total), total))
    rows: list[dict[str, Any]] = []
    steps = 0
    rng = torch.random.fork_rng(devices=[]) if seed is not None else nullcontext()
    with rng:
        if seed is not None:
            torch.manual_seed(seed)
        bar = tqdm(range(1, epochs + 1), desc=desc, disable=not verbose, leave=False, unit="epoch")
        for epoch in bar:
            t0 = time.perf_counter()
            model.train()
            sums: dict[str, float] = {}
            for batch in batches(epoch):
                loss, parts = loss_fn(batch)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                if clip_norm:
                    nn.utils.clip_grad_norm_(params, clip_norm)
                opt.step()
                if schedule != "onecycle" or steps < total:  # OneCycleLR refuses steps past its end
                    sched.step()
                steps += 1
                for k, v in parts.items():
                    sums[k] = sums.get(k, 0.0) + float(v)
            if not all(math.isfinite(v) for v in sums.values()):
                model.eval()
                raise InputError(f"{desc} diverged in epoch {epoch} (the loss is not finite); {divergence}")
            row = {"epoch": epoch, **sums, "seconds": time.perf_counter() - t0, "lr": opt.param_groups[0]["lr"]}
            rows.append(row)
            stop = after_epoch(epoch, row) if after_epoch is not None else False
            bar.set_postfix({k: f"{v:.4g}" for k, v in row.items() if k not in ("epoch", "seconds", "lr")})
            if stop:
                break
        bar.close()
    model.eval()
    return rows
