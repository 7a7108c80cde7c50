"""HMM transition matrices of a Sphinx model: the ``transition_matrices`` S3 file.

After the S3 header (:mod:`.s3file`): ``int32 n_tmat``, ``int32 n_src`` (emitting
states), ``int32 n_dst`` (``n_src + 1``: the last state is the non-emitting
exit), the ``int32`` array size, then ``float32`` values ``[tmat][src][dst]``
and the checksum. The values are unnormalised counts. As ``tmat_init`` does,
each row is normalised, every *nonzero* entry below ``-tmatfloor`` (default
0.0001) is raised to it and the row is normalised again; zeros stay impossible
transitions (``-inf`` here). The topology must be left-to-right with at most
one skip (no backward transitions, nothing beyond ``src + 2``), otherwise
PocketSphinx refuses the model and so does this reader.
"""

from __future__ import annotations

import os

import numpy as np

from .s3file import read_s3_file

__all__ = ["read_transition_matrices", "TMATFLOOR"]

#: PocketSphinx's default ``-tmatfloor``.
TMATFLOOR = 1e-4


def read_transition_matrices(path: str | os.PathLike, *, tmatfloor: float = TMATFLOOR) -> np.ndarray:
    """Read transition matrices as natural-log, row-normalised probabilities.

    Parameters
    ----------
    path : path
        The ``transition_matrices`` file.
    tmatfloor : float
        Floor for nonzero probabilities (PocketSphinx's ``-tmatfloor``); 0 disables it.

    Returns
    -------
    numpy.ndarray of float64, shape (n_tmat, n_emit_state, n_emit_state + 1)
        ``out[t, i, j] = ln P(j | i)``; column ``n_emit_state`` is the exit;
        ``-inf`` for impossible transitions. Every row sums to 1 in probability.

    Raises
    ------
    ModelFileError
        Corrupt file, negative or non-finite values, a state without any
        transition, or a topology that is not left-to-right with at most one skip.

    Examples
    --------
    >>> import tempfile, os
    >>> from seqtag.align.sphinx.s3file import write_s3_file
    >>> f = os.path.join(tempfile.mkdtemp(), "transition_matrices")
    >>> write_s3_file(f, [np.array([1, 1, 2, 2], np.int32), np.array([3, 1], np.float32)])
    >>> np.exp(read_transition_matrices(f)).round(2).tolist()
    [[[0.75, 0.25]]]
    """
    if not tmatfloor >= 0:
        raise ValueError(f"tmatfloor must be >= 0, not {tmatfloor}")
    r = read_s3_file(path, "transition matrices")
    n_tmat, n_src, n_dst = (r.int32(name) for name in ("number of matrices", "source states", "target states"))
    if not 0 < n_tmat < 32767:
        r.fail(f"expected 1 to 32766 transition matrices, found {n_tmat}")
    if not 0 < n_src < 256 or n_dst != n_src + 1:
        r.fail(f"expected n emitting states and n + 1 target states (the exit), found {n_src} and {n_dst}")
    tp = r.nonnegative_array("transition", (n_tmat, n_src, n_dst), f"{n_tmat} matrices x {n_src} x {n_dst}")
    sums = tp.sum(axis=-1, keepdims=True)
    if np.any(sums <= 0):
        t, i = np.argwhere(sums[..., 0] <= 0)[0]
        r.fail(f"state {i} of transition matrix {t} has no transition at all (its row is all zeros)")
    tp = tp / sums
    tp = np.where((tp > 0) & (tp < tmatfloor), tmatfloor, tp)
    tp /= tp.sum(axis=-1, keepdims=True)
    src = np.arange(n_src)[:, None]
    dst = np.arange(n_dst)[None, :]
    bad = (tp > 0) & ((dst < src) | (dst > src + 2))
    if np.any(bad):
        t, i, j = np.argwhere(bad)[0]
        r.fail(f"matrix {t} has a transition {i} -> {j}; expected a left-to-right topology with at most one skip")
    with np.errstate(divide="ignore"):
        return np.log(tp)
