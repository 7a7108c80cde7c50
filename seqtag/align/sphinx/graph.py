"""The HMM of a transcript under a Sphinx model: a left-to-right chain of triphone states.

Every token (word, filler or noise) is a sequence of model phones; every phone is
``n_emit_state`` emitting states whose senones and transition probabilities come from
the model: a word's phones are word-position triphones (``b``/``i``/``e``/``s``) whose
contexts are their neighbours, across word boundaries too (fillers and silences are
context-free and count as ``SIL`` context, as in PocketSphinx). An optional ``SIL``
phone stands before the first token, between tokens and after the last one: the chain
may jump over it (probability ``1 - sil_prob``).

The chain is in band form (:mod:`seqtag.chains.banded`): ``band[k, d] = log P(k -> k + d)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ...exceptions import InputError

__all__ = ["AlignmentGraph", "build_graph"]


@dataclass
class AlignmentGraph:
    """A transcript's chain of HMM states.

    Attributes
    ----------
    senone : ndarray (K,) int64
        Senone of every state.
    band : ndarray (K, W) float64
        ``log P(k -> k + d)``.
    log_start, log_end : ndarray (K,) float64
    token : ndarray (K,) int64
        Token of every state (-1: an optional silence).
    phone : ndarray (K,) int64
        Phone instance of every state (-1: an optional silence).
    phone_labels : list of str
        Model phone name of every phone instance.
    phone_token : list of int
        Token of every phone instance.
    min_frames : ndarray (n_tokens,) int64
        Frames the tokens up to and including each one need at least (one per state).
    """

    senone: np.ndarray
    band: np.ndarray
    log_start: np.ndarray
    log_end: np.ndarray
    token: np.ndarray
    phone: np.ndarray
    phone_labels: list[str]
    phone_token: list[int]
    min_frames: np.ndarray

    @property
    def n_states(self) -> int:
        """Number of chain states."""
        return int(self.senone.size)


def _phone_ids(mdef, prons: list[list[str]], context_free: list[bool]) -> list[list[int]]:
    """Model phone id of every phone: word-position triphones with cross-word contexts."""
    sil = mdef.ci_phones[mdef.sil] if mdef.sil >= 0 else None
    out = []
    for t, pron in enumerate(prons):
        if context_free[t]:
            out.append([mdef.ci_id(p) for p in pron])
            continue
        prev = prons[t - 1][-1] if t > 0 and not context_free[t - 1] else sil
        nxt = prons[t + 1][0] if t + 1 < len(prons) and not context_free[t + 1] else sil
        ids = []
        for i, p in enumerate(pron):
            lc = pron[i - 1] if i > 0 else prev
            rc = pron[i + 1] if i + 1 < len(pron) else nxt
            pos = "s" if len(pron) == 1 else "b" if i == 0 else "e" if i == len(pron) - 1 else "i"
            ids.append(mdef.phone_id(p, lc, rc, pos) if lc is not None and rc is not None else mdef.ci_id(p))
        out.append(ids)
    return out


def build_graph(model, prons: list[list[str]], context_free: list[bool], sil_prob: float = 0.5) -> AlignmentGraph:
    """The chain of a transcript.

    Parameters
    ----------
    model : SphinxModel
    prons : list of list of str
        Model phones of every token, in order (e.g. ``[["DH", "AH"], ["+SPN+"]]``).
    context_free : list of bool
        Per token: a filler (noise or silence) whose phones take no context.
    sil_prob : float in (0, 1)
        Probability of the optional silence at every token boundary and at both ends.

    Returns
    -------
    AlignmentGraph

    Examples
    --------
    >>> from seqtag.align.sphinx import load_sphinx_model  # doctest: +SKIP
    >>> g = build_graph(load_sphinx_model(), [["HH", "AY"]], [False])  # doctest: +SKIP
    >>> g.n_states, g.phone_labels  # doctest: +SKIP
    (12, ['HH', 'AY'])
    """
    mdef = model.mdef
    if mdef.sil < 0:
        raise InputError(f"the model in {model.path} has no SIL phone; it cannot model pauses")
    if not 0 < sil_prob < 1:
        raise InputError(f"sil_prob must be in (0, 1), got {sil_prob!r}")
    for t, pron in enumerate(prons):
        if not pron:
            raise InputError(f"token {t} has no phones")
        unknown = [p for p in pron if p not in mdef._ci_index]
        if unknown:
            raise InputError(f"phone {unknown[0]!r} of token {t} is not a phone of the model "
                             f"({', '.join(mdef.ci_phones)})")
    n_emit = mdef.n_emit_state
    ids = _phone_ids(mdef, prons, context_free)
    # units: (phone id, token, phone instance); silences between tokens are optional
    units: list[tuple[int, int, int]] = [(mdef.sil, -1, -1)]
    labels, owner = [], []
    for t, pids in enumerate(ids):
        for pid, name in zip(pids, prons[t]):
            units.append((pid, t, len(labels)))
            labels.append(name)
            owner.append(t)
        units.append((mdef.sil, -1, -1))
    K = len(units) * n_emit
    W = 2 * n_emit + 1  # within a phone, exit into the next phone, or exit over a silence
    senone = np.empty(K, dtype=np.int64)
    token = np.empty(K, dtype=np.int64)
    phone = np.empty(K, dtype=np.int64)
    band = np.full((K, W), -np.inf)
    start = np.full(K, -np.inf)
    end = np.full(K, -np.inf)
    lsil, lskip = math.log(sil_prob), math.log1p(-sil_prob)
    n_units = len(units)
    for u, (pid, t, ph) in enumerate(units):
        k0 = u * n_emit
        senone[k0:k0 + n_emit] = mdef.senones(pid)
        token[k0:k0 + n_emit] = t
        phone[k0:k0 + n_emit] = ph
        tmat = model.log_tmat[mdef.tmat[pid]]  # (n_emit, n_emit + 1), last column: exit
        optional = t < 0
        for i in range(n_emit):
            for j in range(i, n_emit):
                band[k0 + i, j - i] = tmat[i, j]
            ex = tmat[i, n_emit]
            if ex == -np.inf:
                continue
            d = n_emit - i  # distance to the next unit's first state
            if u == n_units - 1:  # the final silence leaves the chain
                end[k0 + i] = ex
            elif optional:  # a silence exits into the next token
                band[k0 + i, d] = ex
            elif u + 1 == n_units - 1:  # the last token: into the final silence, or the end
                band[k0 + i, d] = ex + lsil
                end[k0 + i] = ex + lskip
            elif units[u + 1][1] < 0:  # a token's last phone: into the silence, or over it
                band[k0 + i, d] = ex + lsil
                band[k0 + i, d + n_emit] = ex + lskip
            else:  # the next phone of the same token
                band[k0 + i, d] = ex
    start[0] = lsil
    start[n_emit] = lskip
    per_token = np.bincount(owner, minlength=len(prons)) * n_emit
    return AlignmentGraph(senone, band, start, end, token, phone, labels, owner, np.cumsum(per_token))
