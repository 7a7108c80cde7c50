"""Batched linear-chain CRF dynamic programs in torch (private).

Tensors in, tensors out; no validation here (the public :class:`seqtag.crf.CRF`
validates).  Every routine is time-major: emissions ``(time, batch, tags)`` with
padded positions already set to 0, ``lengths`` ``(batch,)`` and *effective*
potentials (disallowed transitions are ``-inf``).

Two engines compute ``log Z`` and its gradient (the posterior marginals):

* a **scaled exp-space** forward-backward in float64: each step is a small
  matrix product ``(batch, K) @ (K, K)`` instead of a logsumexp over
  ``(batch, K, K)``.  It is exact up to rounding unless a reachable quantity
  falls below ``_TINY`` (about ``exp(-667)``) relative to its step maximum;
  that is *detected* (reachability is tracked separately) and then
* a **log-space** forward-backward (``-inf``-safe logsumexp) is used instead.

Gradients are computed by hand from the marginals (``_LogPartition``), so no
autograd graph is built through the recursion and ``-inf`` entries never make
NaN gradients.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["log_partition", "log_partition_and_marginals", "kbest_viterbi"]

_TINY = 1e-290  # float64 values below this may have lost precision (denormals start at 2.2e-308)
_NEG_INF = float("-inf")


def _safe_lse(x: torch.Tensor, dim: int) -> torch.Tensor:
    """logsumexp that returns -inf (not NaN) when every entry is -inf."""
    m = x.amax(dim, keepdim=True)
    m = torch.where(torch.isfinite(m), m, torch.zeros_like(m))
    return (x - m).exp().sum(dim).log() + m.squeeze(dim)


def _finite_max(x: torch.Tensor, dim: int) -> torch.Tensor:
    m = x.amax(dim, keepdim=True)
    return torch.where(torch.isfinite(m), m, torch.zeros_like(m))


def _last(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """``x[len_b - 1, b]`` for a (T, B, ...) tensor; index 0 for empty rows."""
    idx = (lengths - 1).clamp(min=0)
    return x[idx, torch.arange(x.shape[1], device=x.device)]


# ----------------------------------------------------------------------------- exp space
def _exp_forward(em, trans, start, end, lengths):
    """Scaled forward pass.  Returns None if underflow was detected, else a dict."""
    T, B, K = em.shape
    cmax = _finite_max(trans, 0)  # (1, K) per destination column
    E = (trans - cmax).exp()  # (K_from, K_to), each finite column has max 1
    emc = em + cmax  # (T, B, K); cmax folded into the emissions
    emc[0] = em[0] + start
    emax = _finite_max(emc, 2)  # (T, B, 1)
    e = (emc - emax).exp()  # (T, B, K)
    V = torch.empty_like(e)  # unnormalised scaled alphas
    A = torch.empty_like(e)  # normalised scaled alphas (max 1 per row)
    logc = torch.empty(T, B, 1, dtype=e.dtype, device=e.device)
    a = e[0]
    for t in range(T):
        v = e[0] if t == 0 else torch.mm(a, E).mul_(e[t])  # (B, K)
        V[t] = v
        c = v.amax(1, keepdim=True)  # (B, 1)
        logc[t] = c.log()
        a = v / torch.where(c > 0, c, torch.ones_like(c))
        A[t] = a
    L = (logc + emax).cumsum(0)  # (T, B, 1) log scale of A
    emx = _finite_max(end, 0)
    eend = (end - emx).exp()  # (K,)
    last_sum = (_last(A, lengths) * eend).sum(1)  # (B,)
    log_z = _last(L, lengths).squeeze(1) + last_sum.log() + emx
    valid = torch.arange(T, device=em.device)[:, None] < lengths  # (T, B)
    # --- underflow detection: a reachable entry that is tiny may be wrong
    em_finite = bool(torch.isfinite(em).all())
    sus = (V < _TINY) & valid[:, :, None]
    if bool(sus.any()):  # reachability, tracked exactly with 0/1 floats
        allowed = torch.isfinite(trans).to(e.dtype)
        if em_finite:  # the same for every sequence: R[t] = START -> t
            R = _closure(torch.isfinite(start), allowed, T)
            bad = (sus & R[:, None, :]).any()
        else:
            fin = torch.isfinite(emc)
            r = fin[0]
            bad = (sus[0] & r).any()
            for t in range(1, T):
                r = (torch.mm(r.to(e.dtype), allowed) > 0) & fin[t]
                bad = bad | (sus[t] & r).any()
        if bool(bad):
            return None
    reach_end = ((_last(V, lengths) > 0) & torch.isfinite(end)).any(1)
    if bool(((last_sum < _TINY) & reach_end & (lengths > 0)).any()):
        return None
    log_z = torch.where(lengths > 0, log_z, torch.zeros_like(log_z))
    return {"E": E, "e": e, "A": A, "logc": logc, "eend": eend, "log_z": log_z, "valid": valid,
            "emc": emc, "em_finite": em_finite}


def _closure(first: torch.Tensor, allowed: torch.Tensor, T: int) -> torch.Tensor:
    """(T, K) bool: R[0] = first, R[t] = states reachable from R[t-1] via ``allowed`` (0/1 float)."""
    R = torch.empty(T, first.shape[0], dtype=torch.bool, device=first.device)
    r = first
    R[0] = r
    for t in range(1, T):
        nr = (r.to(allowed.dtype) @ allowed) > 0
        if torch.equal(nr, r):  # a fixed point: constant from here on
            R[t:] = r
            break
        R[t] = r = nr
    return R


def _exp_marginals(st, trans, end, lengths, weights):
    """Unary marginals (T,B,K) and weighted pairwise sums (K,K); None on underflow."""
    E, e, A, eend, valid = st["E"], st["e"], st["A"], st["eend"], st["valid"]
    T, B, K = e.shape
    Bh = torch.empty_like(A)  # normalised scaled betas
    b = eend.expand(B, K)
    Bh[T - 1] = b
    W = torch.empty_like(A) if T > 1 else None
    for t in range(T - 1, 0, -1):
        w = torch.mm(e[t] * b, E.t())  # (B, K): sum_j E_ij e_j b_j
        W[t] = w
        cb = w.amax(1, keepdim=True)
        nb = w / torch.where(cb > 0, cb, torch.ones_like(cb))
        b = torch.where(valid[t][:, None], nb, eend)
        Bh[t - 1] = b
    if T > 1:
        sus = (W[1:] < _TINY) & valid[1:, :, None]
        if bool(sus.any()) and st["em_finite"]:  # co-reachability, same for all: C[d] = d steps before END
            C = _closure(torch.isfinite(end), torch.isfinite(trans).to(e.dtype).t(), T)
            d = (lengths[None, :] - 1 - torch.arange(T - 1, device=e.device)[:, None]).clamp(0, T - 1)
            if bool((sus & C[d]).any()):
                return None
        elif bool(sus.any()):  # co-reachability: can the state still reach END?
            allowed_t = torch.isfinite(trans).to(e.dtype).t()
            fin = torch.isfinite(st["emc"])
            cr = torch.isfinite(end).expand(B, K)
            end_ok = cr
            bad = torch.zeros((), dtype=torch.bool, device=e.device)
            for t in range(T - 1, 0, -1):
                w_r = torch.mm((cr & fin[t]).to(e.dtype), allowed_t) > 0
                bad = bad | (sus[t - 1] & w_r).any()
                cr = torch.where(valid[t][:, None], w_r, end_ok)
            if bool(bad):
                return None
    row_ok = torch.isfinite(st["log_z"]) & (lengths > 0)  # (B,)
    P = A * Bh  # (T, B, K)
    D = P.sum(2, keepdim=True)  # (T, B, 1)
    use = valid[:, :, None] & row_ok[None, :, None]
    if bool(((D < _TINY) & use).any()):
        return None
    gamma = torch.where(use, P / torch.where(use, D, torch.ones_like(D)), torch.zeros_like(P))
    if T == 1:
        return gamma, torch.zeros_like(E)
    # pairwise: xi_t(i,j) = A[t-1,i] E_ij e_tj Bh_tj / (c_t D_t)
    logden = st["logc"][1:] + D[1:].log()  # (T-1, B, 1)
    use1 = use[1:]
    if bool(((logden < -667.0) & use1).any()):
        return None
    scale = torch.where(use1, (-logden).exp() * weights[None, :, None], torch.zeros_like(logden))
    G = e[1:] * Bh[1:] * scale  # (T-1, B, K)
    xi = torch.mm(A[:-1].reshape(-1, K).t(), G.reshape(-1, K)) * E  # (K, K)
    return gamma, xi


# ----------------------------------------------------------------------------- log space
def _log_alpha(em, trans, start):
    T, B, K = em.shape
    la = torch.empty_like(em)
    a = em[0] + start
    la[0] = a
    for t in range(1, T):
        a = _safe_lse(a[:, :, None] + trans, 1) + em[t]
        la[t] = a
    return la


def _log_forward(em, trans, start, end, lengths):
    la = _log_alpha(em, trans, start)
    log_z = _safe_lse(_last(la, lengths) + end, 1)
    log_z = torch.where(lengths > 0, log_z, torch.zeros_like(log_z))
    return {"la": la, "log_z": log_z}


def _log_marginals(em, trans, end, lengths, la, log_z, weights):
    T, B, K = em.shape
    valid = torch.arange(T, device=em.device)[:, None] < lengths  # (T, B)
    lb = torch.empty_like(em)
    b = end.expand(B, K)
    lb[T - 1] = b
    for t in range(T - 1, 0, -1):
        nb = _safe_lse(trans + (em[t] + b)[:, None, :], 2)
        b = torch.where(valid[t][:, None], nb, end.expand(B, K))
        lb[t - 1] = b
    row_ok = torch.isfinite(log_z) & (lengths > 0)
    lz = torch.where(row_ok, log_z, torch.zeros_like(log_z))  # (B,)
    use = valid[:, :, None] & row_ok[None, :, None]
    zero = torch.zeros((), dtype=em.dtype, device=em.device)
    gamma = torch.where(use, (la + lb - lz[None, :, None]).exp(), zero)
    xi = torch.zeros_like(trans)
    for t in range(1, T):
        s = la[t - 1][:, :, None] + trans + (em[t] + lb[t] - lz[:, None])[:, None, :]  # (B, K, K)
        p = torch.where(use[t][:, :, None], s.exp(), zero)
        xi = xi + (p * weights[:, None, None]).sum(0)
    return gamma, xi


# ----------------------------------------------------------------------------- autograd
def _grads(ctx, weights):
    em, trans, start, end, lengths = ctx.saved_tensors
    out = None
    if ctx.state is not None:
        out = _exp_marginals(ctx.state, trans, end, lengths, weights)
    if out is None:
        if ctx.state is not None:  # forward was exact, backward underflowed: redo in log space
            la, log_z = _log_alpha(em, trans, start), ctx.state["log_z"]
        else:
            la, log_z = ctx.log_state["la"], ctx.log_state["log_z"]
        out = _log_marginals(em, trans, end, lengths, la, log_z, weights)
    return out


class _LogPartition(torch.autograd.Function):
    """log Z of a batch; backward uses forward-backward marginals (no graph through the DP)."""

    @staticmethod
    def forward(ctx, em, trans, start, end, lengths):  # noqa: D102
        dtype = em.dtype
        em64, tr64, st64, en64 = (x.detach().to(torch.float64) for x in (em, trans, start, end))
        state = _exp_forward(em64, tr64, st64, en64, lengths)
        ctx.state, ctx.log_state = state, None
        if state is None:
            ctx.log_state = _log_forward(em64, tr64, st64, en64, lengths)
            log_z = ctx.log_state["log_z"]
        else:
            log_z = state["log_z"]
        ctx.save_for_backward(em64, tr64, st64, en64, lengths)
        ctx.dtypes = (em.dtype, trans.dtype, start.dtype, end.dtype)
        return log_z.to(dtype)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad):  # noqa: D102
        lengths = ctx.saved_tensors[4]
        g = grad.detach().to(torch.float64)
        row_ok = torch.isfinite(ctx.state["log_z"] if ctx.state is not None else ctx.log_state["log_z"])
        g = torch.where(row_ok & (lengths > 0), g, torch.zeros_like(g))
        gamma, xi = _grads(ctx, g)
        g_em = gamma * g[None, :, None]  # (T, B, K)
        g_start = g_em[0].sum(0)
        g_end = _last(g_em, lengths)
        g_end = torch.where((lengths > 0)[:, None], g_end, torch.zeros_like(g_end)).sum(0)
        d_em, d_tr, d_st, d_en = ctx.dtypes
        return g_em.to(d_em), xi.to(d_tr), g_start.to(d_st), g_end.to(d_en), None


def log_partition(em, trans, start, end, lengths):
    """``log Z`` per sequence, differentiable w.r.t. the four potentials.

    ``em`` (T, B, K) time-major with padding set to 0; ``lengths`` (B,) long.
    """
    return _LogPartition.apply(em, trans, start, end, lengths)


def log_partition_and_marginals(em, trans, start, end, lengths):
    """``(log Z (B,), marginals (T, B, K))`` without autograd; zeros at padding."""
    em64, tr64, st64, en64 = (x.detach().to(torch.float64) for x in (em, trans, start, end))
    ones = torch.ones(em.shape[1], dtype=torch.float64, device=em.device)
    state = _exp_forward(em64, tr64, st64, en64, lengths)
    out = None
    if state is not None:
        log_z = state["log_z"]
        out = _exp_marginals(state, tr64, en64, lengths, ones)
    if out is None:
        ls = _log_forward(em64, tr64, st64, en64, lengths)
        log_z = ls["log_z"]
        out = _log_marginals(em64, tr64, en64, lengths, ls["la"], log_z, ones)
    return log_z.to(em.dtype), out[0].to(em.dtype)


# ----------------------------------------------------------------------------- decoding
def _viterbi1(em, trans, start, end, lengths):
    """Best path.  The forward pass keeps only max scores (``amax`` over a (K_from, B, K_to)
    tensor is the fastest reduction on CPU); the backtrace recomputes the argmax of the
    one chosen state per sequence and step, a (B, K) operation."""
    T, B, K = em.shape
    dev = em.device
    S = torch.empty_like(em)  # (T, B, K) best score of a path ending in each tag
    s = em[0] + start
    S[0] = s
    tr3 = trans[:, None, :]  # (K_from, 1, K_to)
    for t in range(1, T):
        s = (s.t()[:, :, None] + tr3).amax(0) + em[t]  # (B, K_to)
        S[t] = s
    scores, cur = (_last(S, lengths) + end).max(1)  # (B,)
    valid = torch.arange(T, device=dev)[:, None] < lengths  # (T, B)
    trans_t = trans.t().contiguous()  # (K_to, K_from)
    states = torch.empty(T, B, dtype=torch.long, device=dev)
    for t in range(T - 1, 0, -1):
        states[t] = cur
        prev = (S[t - 1] + trans_t[cur]).argmax(1)  # (B,)
        cur = torch.where(valid[t], prev, cur)
    states[0] = cur
    return states, scores


def kbest_viterbi(em, trans, start, end, lengths, k, use_numba=True):
    """Exact k best paths.  Returns paths (B, k, T) long (-1 = padding / missing) and scores (B, k).

    On CPU (float32/64) numba kernels are used unless ``use_numba=False``; they compute
    the same scores as the torch path (identical for k = 1).

    Backpointers index the flat state ``prev_tag * k + prev_rank``; the backtrace is
    one ``gather`` per time step over the whole batch.
    """
    T, B, K = em.shape
    dev = em.device
    valid = torch.arange(T, device=dev)[:, None] < lengths  # (T, B)
    if use_numba and em.device.type == "cpu" and em.dtype in (torch.float32, torch.float64):
        from ..chains.dense import viterbi_padded

        arrays = [x.detach().contiguous().numpy() for x in (em.transpose(0, 1), trans, start, end)]
        paths, scores = viterbi_padded(*arrays, lengths.numpy().astype(np.int64), k)
        return torch.from_numpy(paths), torch.from_numpy(scores)
    if k == 1:
        states, scores = _viterbi1(em, trans, start, end, lengths)
        return _finish(states[:, :, None], scores[:, None], valid, lengths, 1)
    neg = torch.tensor(_NEG_INF, dtype=em.dtype, device=dev)
    trans_k = trans.t().repeat_interleave(k, dim=1)  # (K_to, K_from*k)
    S = torch.empty(T, B, K, k, dtype=em.dtype, device=dev)  # best scores per (tag, rank)
    bp = torch.empty(T, B, K, k, dtype=torch.long, device=dev)
    s = torch.cat([(em[0] + start)[:, :, None], neg.expand(B, K, k - 1)], 2)
    S[0] = s
    for t in range(1, T):
        cand = s.reshape(B, 1, K * k) + trans_k  # (B, K_to, K_from*k)
        top, idx = cand.topk(k, dim=2)
        s = top + em[t][:, :, None]
        S[t] = s
        bp[t] = idx
    last = _last(S, lengths) + end[None, :, None]  # (B, K, k)
    scores, cur = last.reshape(B, K * k).topk(k, dim=1)  # (B, k)
    ident = torch.arange(K * k, device=dev).view(1, 1, K, k)
    bp = torch.where(valid[:, :, None, None], bp, ident).reshape(T, B, K * k)
    states = torch.empty(T, B, k, dtype=torch.long, device=dev)
    for t in range(T - 1, 0, -1):
        states[t] = cur
        cur = bp[t].gather(1, cur)
    states[0] = cur
    return _finish(states.div(k, rounding_mode="floor"), scores, valid, lengths, k)


def _finish(states, scores, valid, lengths, k):
    """(T, B, k) tags + (B, k) scores -> paths (B, k, T) with -1 at padding / missing paths."""
    dev = states.device
    paths = states.permute(1, 2, 0)  # (B, k, T)
    empty = lengths == 0
    first = torch.zeros(k, dtype=scores.dtype, device=dev)
    first[1:] = _NEG_INF
    scores = torch.where(empty[:, None], first, scores)
    ok = torch.isfinite(scores)[:, :, None] & valid.t()[:, None, :]
    paths = torch.where(ok, paths, torch.full_like(paths, -1))
    return paths.contiguous(), scores
