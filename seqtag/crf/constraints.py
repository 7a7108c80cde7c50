"""Allowed tag transitions of chunking schemes (IOB1, BIO, BIOES) for a constrained CRF.

The rules are those of AllenNLP's ``allowed_transitions`` (``BIOUL`` there is
``BIOES`` here, with ``L = E`` and ``U = S``).  The result is a boolean matrix
of shape ``(K + 2, K + 2)`` indexed ``[from, to]`` where index ``K`` is START
and ``K + 1`` is END, ready for ``CRF(num_tags, constraints=...)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ..exceptions import InputError

__all__ = ["allowed_transitions", "SCHEMES"]

#: Accepted scheme names (case-insensitive) and the chunk prefixes each allows.
SCHEMES = {"IOB1": ("I", "B"), "BIO": ("B", "I"), "IOB2": ("B", "I"), "BIOES": ("B", "I", "E", "S")}


def _split(label: str, scheme: str, prefixes: tuple[str, ...]) -> tuple[str, str]:
    if label == "O":
        return "O", ""
    head, sep, entity = label.partition("-")
    if not sep or head not in prefixes or not entity:
        raise InputError(
            f"label {label!r} does not fit the {scheme} scheme: expected 'O' or "
            f"'<prefix>-<type>' with prefix in {list(prefixes)} (e.g. {prefixes[0]}-PER); "
            f"convert the tags to {scheme} or pick the scheme that matches them"
        )
    return head, entity


def _allowed(scheme: str, ft: str, fe: str, tt: str, te: str) -> bool:
    """AllenNLP's ``is_transition_allowed`` for one (from, to) pair of split labels."""
    if tt == "START" or ft == "END":
        return False
    if scheme == "BIOES":
        if ft == "START":
            return tt in ("O", "B", "S")
        if tt == "END":
            return ft in ("O", "E", "S")
        return (ft in ("O", "E", "S") and tt in ("O", "B", "S")) or (
            ft in ("B", "I") and tt in ("I", "E") and fe == te
        )
    if scheme == "BIO":
        if ft == "START":
            return tt in ("O", "B")
        if tt == "END":
            return ft in ("O", "B", "I")
        return tt in ("O", "B") or (tt == "I" and ft in ("B", "I") and fe == te)
    # IOB1: a chunk starts with I-; B- only separates two adjacent chunks of one type
    if ft == "START":
        return tt in ("O", "I")
    if tt == "END":
        return ft in ("O", "B", "I")
    return tt in ("O", "I") or (tt == "B" and ft in ("B", "I") and fe == te)


def allowed_transitions(scheme: str, labels: Sequence[str]) -> torch.Tensor:
    """Boolean ``(K + 2, K + 2)`` matrix of the transitions a chunking scheme allows.

    Parameters
    ----------
    scheme : {"IOB1", "BIO", "IOB2", "BIOES"}
        Tagging scheme (case-insensitive; ``"IOB2"`` is ``"BIO"``).
    labels : sequence of str
        The ``K`` tags in CRF index order, e.g. ``["O", "B-PER", "I-PER"]``.

    Returns
    -------
    torch.BoolTensor of shape (K + 2, K + 2)
        ``out[i, j]`` is True if tag ``j`` may follow tag ``i``; row ``K`` is
        START (which tags may begin a sentence) and column ``K + 1`` is END
        (which tags may end one).

    Raises
    ------
    InputError
        Unknown scheme, no labels, duplicated labels, or a label that does not
        fit the scheme (e.g. ``"E-PER"`` in BIO, ``"PER"`` without prefix).

    Examples
    --------
    >>> m = allowed_transitions("BIO", ["O", "B-PER", "I-PER"])
    >>> bool(m[0, 2])  # O -> I-PER
    False
    >>> bool(m[3, 1])  # START -> B-PER
    True
    """
    if not isinstance(scheme, str) or scheme.upper() not in SCHEMES:
        raise InputError(f"unknown scheme {scheme!r}; expected one of {sorted(SCHEMES)}")
    name = scheme.upper()
    name = "BIO" if name == "IOB2" else name
    if isinstance(labels, (str, bytes)):
        raise InputError(f"labels must be a list of tag strings, got a single string {labels!r}")
    labels = list(labels)
    if not labels:
        raise InputError("labels is empty; pass the CRF's tags in index order")
    for lab in labels:
        if not isinstance(lab, str):
            raise InputError(f"labels must be str, got {type(lab).__name__} {lab!r}")
    if len(set(labels)) != len(labels):
        dup = sorted({lab for lab in labels if labels.count(lab) > 1})
        raise InputError(f"labels must be unique, got duplicates {dup}")
    K = len(labels)
    split = [_split(lab, name, SCHEMES[name]) for lab in labels] + [("START", ""), ("END", "")]
    out = torch.zeros(K + 2, K + 2, dtype=torch.bool)
    for i, (ft, fe) in enumerate(split):
        for j, (tt, te) in enumerate(split):
            out[i, j] = _allowed(name, ft, fe, tt, te)
    return out
