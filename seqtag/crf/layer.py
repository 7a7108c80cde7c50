"""A batched linear-chain CRF output layer for neural taggers (``torch.nn.Module``).

Loss (negative log-likelihood, partial labels allowed), exact Viterbi and
k-best decoding, posterior marginals, and hard transition constraints
(disallowed transitions are a real ``-inf`` in training *and* decoding).
The dynamic programs live in :mod:`seqtag.crf._torch_dp`.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch
from torch import nn

from ..exceptions import InputError
from . import _torch_dp

__all__ = ["CRF"]

_REDUCTIONS = ("none", "sum", "mean", "token_mean")


class CRF(nn.Module):
    """Linear-chain conditional random field over ``num_tags`` tags.

    Parameters
    ----------
    num_tags : int
        Number of tags ``K``.
    batch_first : bool, default True
        If True, ``emissions`` are ``(batch, time, tags)`` and ``tags``/``mask``
        ``(batch, time)``; else time comes first.
    constraints : bool array of shape (K + 2, K + 2) or iterable of (from, to) pairs, optional
        Allowed transitions, e.g. from :func:`seqtag.crf.constraints.allowed_transitions`;
        index ``K`` is START and ``K + 1`` is END.  A list of pairs uses the same
        indices; unlisted pairs are disallowed.  Disallowed transitions score
        ``-inf`` in the loss and in decoding.  None allows everything.
    include_start_end : bool, default True
        Learn start and end scores.  If False they are fixed at 0 (constraints on
        START/END still apply).
    ignore_index : int, default -100
        Gold tag meaning "unknown": the likelihood sums over every tag there.

    Attributes
    ----------
    transitions : nn.Parameter (K, K)
        Score of tag ``j`` following tag ``i`` at ``[i, j]``.
    start_transitions, end_transitions : nn.Parameter (K,) or None
        Scores of the first and last tag (None if ``include_start_end=False``).
    constraint_mask : torch.BoolTensor (K + 2, K + 2)
        Buffer of allowed transitions (all True without constraints).

    Notes
    -----
    ``mask`` must be right-padded: ones then zeros in every row.  A row of
    zeros is an empty sequence (log Z = score = loss = 0).  A gold path that
    uses a disallowed transition (or a ``-inf`` emission) has probability 0, so its
    loss is ``+inf``, never NaN, also when no path at all is allowed (gradients stay
    finite).  NaN or ``+inf`` in the transition scores is an :class:`InputError`.

    Examples
    --------
    >>> import torch
    >>> from seqtag.crf.layer import CRF
    >>> crf = CRF(3)
    >>> em = torch.randn(2, 4, 3)
    >>> loss = crf(em, torch.tensor([[0, 1, 2, 1], [2, 2, 0, 0]]))
    >>> paths, scores = crf.decode(em)
    >>> paths.shape, scores.shape
    (torch.Size([2, 1, 4]), torch.Size([2, 1]))
    """

    def __init__(
        self,
        num_tags: int,
        batch_first: bool = True,
        constraints: object = None,
        include_start_end: bool = True,
        ignore_index: int = -100,
    ) -> None:
        super().__init__()
        if isinstance(num_tags, bool) or not isinstance(num_tags, (int, np.integer)) or num_tags < 1:
            raise InputError(f"num_tags must be a positive int, got {num_tags!r}")
        if isinstance(ignore_index, bool) or not isinstance(ignore_index, (int, np.integer)):
            raise InputError(f"ignore_index must be an int, got {ignore_index!r}")
        if 0 <= ignore_index < num_tags:
            raise InputError(
                f"ignore_index={ignore_index} is a real tag index (0..{num_tags - 1}); use a negative value"
            )
        self.num_tags = int(num_tags)
        self.batch_first = bool(batch_first)
        self.include_start_end = bool(include_start_end)
        self.ignore_index = int(ignore_index)
        self.transitions = nn.Parameter(torch.empty(num_tags, num_tags))
        if self.include_start_end:
            self.start_transitions = nn.Parameter(torch.empty(num_tags))
            self.end_transitions = nn.Parameter(torch.empty(num_tags))
        else:
            self.register_parameter("start_transitions", None)
            self.register_parameter("end_transitions", None)
        self.register_buffer("constraint_mask", _constraint_mask(constraints, self.num_tags))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Initialise every score uniformly in [-0.1, 0.1] (as pytorch-crf)."""
        for p in (self.transitions, self.start_transitions, self.end_transitions):
            if p is not None:
                nn.init.uniform_(p, -0.1, 0.1)

    def extra_repr(self) -> str:
        return f"num_tags={self.num_tags}, batch_first={self.batch_first}"

    # ------------------------------------------------------------------ potentials
    def _potentials(self, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Effective (transitions, start, end) with disallowed entries set to -inf."""
        K, m = self.num_tags, self.constraint_mask
        for name in ("transitions", "start_transitions", "end_transitions"):
            p = getattr(self, name)
            if p is not None and bool((torch.isnan(p) | torch.isposinf(p)).any()):
                where = [int(i) for i in (torch.isnan(p) | torch.isposinf(p)).nonzero()[0]]
                raise InputError(
                    f"CRF {name} contain NaN or +inf (first at {name}{where}); training has diverged "
                    f"or the weights were set by hand. Lower the learning rate or clip gradients, "
                    f"or reload a good checkpoint (-inf is allowed: it forbids a transition)"
                )
        neg = torch.tensor(float("-inf"), dtype=dtype, device=m.device)
        trans = torch.where(m[:K, :K], self.transitions.to(dtype), neg)
        if self.include_start_end:
            start, end = self.start_transitions.to(dtype), self.end_transitions.to(dtype)
        else:
            start = end = torch.zeros(K, dtype=dtype, device=m.device)
        return trans, torch.where(m[K, :K], start, neg), torch.where(m[:K, K + 1], end, neg)

    def _prepare(self, emissions: torch.Tensor, mask: torch.Tensor | None):
        """Validate; return time-major emissions (padding = 0), mask (T, B), lengths (B,)."""
        if not isinstance(emissions, torch.Tensor) or not emissions.is_floating_point():
            got = emissions.dtype if isinstance(emissions, torch.Tensor) else type(emissions).__name__
            raise InputError(f"emissions must be a floating-point torch.Tensor, got {got}")
        layout = "(batch, time, tags)" if self.batch_first else "(time, batch, tags)"
        if emissions.dim() != 3:
            raise InputError(f"emissions must be 3-D {layout}, got shape {tuple(emissions.shape)}")
        if emissions.shape[2] != self.num_tags:
            raise InputError(
                f"emissions have {emissions.shape[2]} tags in the last dimension but the CRF has "
                f"num_tags={self.num_tags}"
            )
        em = emissions.transpose(0, 1) if self.batch_first else emissions  # (T, B, K)
        T, B = em.shape[:2]
        if T == 0:
            raise InputError("emissions have 0 time steps; pad to at least 1 and mask the padding")
        if not bool(torch.isfinite(em).all()) and bool((torch.isnan(em) | torch.isposinf(em)).any()):
            raise InputError("emissions contain NaN or +inf; -inf (impossible tag) is the only non-finite value allowed")
        if mask is None:
            mask_tm = torch.ones(T, B, dtype=torch.bool, device=em.device)
        else:
            if not isinstance(mask, torch.Tensor):
                raise InputError(f"mask must be a torch.Tensor of bool, got {type(mask).__name__}")
            want = tuple(emissions.shape[:2])
            if tuple(mask.shape) != want:
                raise InputError(f"mask must have shape {want} (like emissions without tags), got {tuple(mask.shape)}")
            if mask.dtype != torch.bool:
                if mask.is_floating_point() or mask.is_complex() or not bool(((mask == 0) | (mask == 1)).all()):
                    raise InputError(f"mask must be bool (or 0/1 integers), got {mask.dtype} values")
                mask = mask.bool()
            mask_tm = (mask.transpose(0, 1) if self.batch_first else mask).to(em.device)
            if T > 1 and bool((mask_tm[1:] & ~mask_tm[:-1]).any()):
                raise InputError(
                    "mask must be right-padded: each row is ones then zeros (the first time step on "
                    "unless the row is all zeros, an empty sequence); got a zero before a one"
                )
        em = em.masked_fill(~mask_tm[:, :, None], 0.0)
        return em, mask_tm, mask_tm.sum(0)

    def _prepare_tags(self, tags: torch.Tensor, em: torch.Tensor, mask_tm: torch.Tensor) -> torch.Tensor:
        if not isinstance(tags, torch.Tensor) or tags.is_floating_point() or tags.dtype == torch.bool:
            raise InputError(f"tags must be an integer torch.Tensor, got {getattr(tags, 'dtype', type(tags).__name__)}")
        want = (em.shape[1], em.shape[0]) if self.batch_first else tuple(em.shape[:2])
        if tuple(tags.shape) != want:
            raise InputError(f"tags must have shape {want} (like emissions without tags), got {tuple(tags.shape)}")
        tg = (tags.transpose(0, 1) if self.batch_first else tags).to(em.device).long()  # (T, B)
        bad = mask_tm & (tg != self.ignore_index) & ((tg < 0) | (tg >= self.num_tags))
        if bool(bad.any()):
            t, b = (int(v) for v in bad.nonzero()[0])
            raise InputError(
                f"tag {int(tg[t, b])} at (batch {b}, time {t}) is out of range 0..{self.num_tags - 1} "
                f"(and not ignore_index={self.ignore_index}); padded positions may hold any value"
            )
        return tg

    # ------------------------------------------------------------------ public API
    def log_partition(self, emissions: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Log partition function ``log Z`` of every sequence.

        Parameters
        ----------
        emissions : Tensor (B, T, K) (``(T, B, K)`` if not batch_first)
        mask : BoolTensor (B, T), optional
            Right-padded; None means every position is valid.

        Returns
        -------
        Tensor (B,)
            Differentiable; 0 for empty sequences.

        Examples
        --------
        >>> import torch
        >>> CRF(3).log_partition(torch.zeros(1, 2, 3)).shape
        torch.Size([1])
        """
        em, _, lengths = self._prepare(emissions, mask)
        return _torch_dp.log_partition(em, *self._potentials(em.dtype), lengths)

    def score(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Log score of the gold paths (log-sum over the paths agreeing with partial tags).

        Parameters
        ----------
        emissions : Tensor (B, T, K)
        tags : LongTensor (B, T)
            Gold tags; ``ignore_index`` marks unknown positions (the score is then
            the log-sum over every path that agrees with the known tags).
        mask : BoolTensor (B, T), optional

        Returns
        -------
        Tensor (B,)
            ``-inf`` for a path using a disallowed transition; 0 for empty sequences.

        Examples
        --------
        >>> import torch
        >>> crf = CRF(2)
        >>> crf.score(torch.zeros(1, 2, 2), torch.tensor([[0, 1]])).shape
        torch.Size([1])
        """
        em, mask_tm, lengths = self._prepare(emissions, mask)
        tg = self._prepare_tags(tags, em, mask_tm)
        return self._score(em, tg, mask_tm, lengths)

    def _score(self, em, tg, mask_tm, lengths):
        trans, start, end = self._potentials(em.dtype)
        ignored = mask_tm & (tg == self.ignore_index)
        if bool(ignored.any()):  # partial labels: constrained forward pass
            K = self.num_tags
            keep = (tg.clamp(0, K - 1)[:, :, None] == torch.arange(K, device=em.device)) | ignored[:, :, None]
            em_c = em.masked_fill(~keep & mask_tm[:, :, None], float("-inf"))
            return _torch_dp.log_partition(em_c, trans, start, end, lengths)
        T, B = tg.shape
        tgc = torch.where(mask_tm, tg, torch.zeros_like(tg))  # (T, B) any valid index at padding
        m = mask_tm.to(em.dtype)
        s = (em.gather(2, tgc[:, :, None]).squeeze(2) * m).sum(0)  # (B,)
        if T > 1:
            tr = trans[tgc[:-1], tgc[1:]]  # (T-1, B)
            s = s + torch.where(mask_tm[1:], tr, torch.zeros_like(tr)).sum(0)
        last = tgc.gather(0, (lengths - 1).clamp(min=0)[None]).squeeze(0)
        se = start[tgc[0]] + end[last]
        return s + torch.where(lengths > 0, se, torch.zeros_like(se))

    def forward(
        self,
        emissions: torch.Tensor,
        tags: torch.Tensor,
        mask: torch.Tensor | None = None,
        reduction: str = "mean",
    ) -> torch.Tensor:
        """Negative log-likelihood of the gold tags.

        Parameters
        ----------
        emissions : Tensor (B, T, K)
        tags : LongTensor (B, T)
            ``ignore_index`` at positions without a gold tag; padded positions may hold anything.
        mask : BoolTensor (B, T), optional
        reduction : {"none", "sum", "mean", "token_mean"}
            ``mean`` averages over non-empty sequences, ``token_mean`` over valid tokens.

        Returns
        -------
        Tensor
            Scalar, or (B,) for ``"none"``; ``+inf`` where the gold path is impossible
            under the constraints.

        Examples
        --------
        >>> import torch
        >>> crf = CRF(3)
        >>> crf(torch.randn(2, 4, 3), torch.zeros(2, 4, dtype=torch.long)).dim()
        0
        """
        if reduction not in _REDUCTIONS:
            raise InputError(f"unknown reduction {reduction!r}; expected one of {list(_REDUCTIONS)}")
        em, mask_tm, lengths = self._prepare(emissions, mask)
        tg = self._prepare_tags(tags, em, mask_tm)
        log_z = _torch_dp.log_partition(em, *self._potentials(em.dtype), lengths)
        gold = self._score(em, tg, mask_tm, lengths)
        nll = log_z - gold  # (B,)
        # no allowed path at all: log Z = gold = -inf, and -inf - -inf is NaN; the gold path is
        # impossible, so its loss is +inf (with zero gradient: nothing in it can be learned)
        nll = torch.where(torch.isnan(nll) & (gold == float("-inf")), torch.full_like(nll, float("inf")), nll)
        nll = torch.where(lengths > 0, nll, torch.zeros_like(nll))
        if reduction == "none":
            return nll
        if reduction == "sum":
            return nll.sum()
        if reduction == "mean":
            return nll.sum() / (lengths > 0).sum().clamp(min=1)
        return nll.sum() / lengths.sum().clamp(min=1)

    @torch.no_grad()
    def decode(
        self, emissions: torch.Tensor, mask: torch.Tensor | None = None, k: int = 1
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Exact k best tag paths (Viterbi for ``k=1``).

        Parameters
        ----------
        emissions : Tensor (B, T, K)
        mask : BoolTensor (B, T), optional
        k : int, default 1
            Number of best paths per sequence.

        Returns
        -------
        paths : LongTensor (B, k, T)
            Best first; -1 at padded positions and for missing paths (a sequence
            with fewer than ``k`` possible paths).
        scores : Tensor (B, k)
            Path scores; ``-inf`` for missing paths, 0 for an empty sequence.

        Examples
        --------
        >>> import torch
        >>> paths, scores = CRF(3).decode(torch.randn(2, 5, 3), k=2)
        >>> paths.shape
        torch.Size([2, 2, 5])
        """
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise InputError(f"k must be an int >= 1, got {k!r}")
        em, _, lengths = self._prepare(emissions, mask)
        return _torch_dp.kbest_viterbi(em, *self._potentials(em.dtype), lengths, int(k))

    @torch.no_grad()
    def marginals(self, emissions: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Posterior tag marginals ``P(y_t = j | x)`` by forward-backward.

        Parameters
        ----------
        emissions : Tensor (B, T, K)
        mask : BoolTensor (B, T), optional

        Returns
        -------
        Tensor, same layout as ``emissions``
            Rows sum to 1 at valid positions; zeros at padded positions.

        Examples
        --------
        >>> import torch
        >>> p = CRF(3).marginals(torch.randn(1, 4, 3))
        >>> bool(torch.allclose(p.sum(-1), torch.ones(1, 4)))
        True
        """
        em, _, lengths = self._prepare(emissions, mask)
        _, gamma = _torch_dp.log_partition_and_marginals(em, *self._potentials(em.dtype), lengths)
        return gamma.transpose(0, 1) if self.batch_first else gamma


def _constraint_mask(constraints: object, K: int) -> torch.Tensor:
    """(K+2, K+2) bool mask from a matrix or an iterable of (from, to) pairs."""
    if constraints is None:
        return torch.ones(K + 2, K + 2, dtype=torch.bool)
    if isinstance(constraints, (torch.Tensor, np.ndarray)):
        m = torch.as_tensor(np.asarray(constraints.detach().cpu() if isinstance(constraints, torch.Tensor) else constraints))
        if m.shape != (K + 2, K + 2):
            raise InputError(
                f"constraints matrix must have shape ({K + 2}, {K + 2}) (tags + START + END), got {tuple(m.shape)}"
            )
        if m.dtype != torch.bool:
            if m.is_floating_point() or not bool(((m == 0) | (m == 1)).all()):
                raise InputError(f"constraints matrix must be boolean (or 0/1), got {m.dtype}")
            m = m.bool()
        m = m.clone()
    elif isinstance(constraints, Iterable) and not isinstance(constraints, (str, bytes)):
        m = torch.zeros(K + 2, K + 2, dtype=torch.bool)
        for pair in constraints:
            try:
                i, j = (int(v) for v in pair)
            except (TypeError, ValueError):
                raise InputError(f"constraints must be (from, to) index pairs, got {pair!r}") from None
            if not (0 <= i < K + 2 and 0 <= j < K + 2):
                raise InputError(f"constraint pair {pair!r} out of range 0..{K + 1} (START={K}, END={K + 1})")
            m[i, j] = True
    else:
        raise InputError(
            f"constraints must be a ({K + 2}, {K + 2}) bool matrix or a list of (from, to) pairs, "
            f"got {type(constraints).__name__}"
        )
    if not bool(m[K, :K].any()) or not bool(m[:K, K + 1].any()):
        raise InputError(
            f"constraints allow no tag after START (row {K}) or none before END (column {K + 1}); "
            "every sequence would be impossible. Use allowed_transitions(scheme, labels) to build them"
        )
    return m
