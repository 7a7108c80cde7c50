"""Numba settings shared by every kernel module: defined once, used everywhere.

``fastmath`` never includes ``nnan`` or ``ninf``: ``-inf`` is a real value in
log space (an impossible transition) and NaN must stay detectable.
"""

from __future__ import annotations

import os

# numba's OpenMP workers spin for a while after every parallel region; on a small machine that
# steals the CPU from the Python code that runs next. Let them sleep unless the user said otherwise.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import sys  # noqa: E402

import numba  # noqa: E402

__all__ = ["FASTMATH", "jit", "pjit", "NEG_INF"]


def _start_thread_pool_keeping_torch_threads() -> None:
    """Start numba's thread pool now, and give torch back its thread count.

    Starting the pool (numba does it at the first parallel call) sets the OpenMP
    thread count of the calling thread to numba's, and torch -- sharing the
    OpenMP runtime -- silently switches to that many threads: a BiLSTM trained
    after a CRF in the same process ran 3x slower on 2 busy cores. Doing it here,
    once, lets us restore what the user chose.
    """
    torch = sys.modules.get("torch")
    before = torch.get_num_threads() if torch is not None else None
    numba.get_num_threads()  # launches the pool
    if torch is not None and torch.get_num_threads() != before:
        torch.set_num_threads(before)


_start_thread_pool_keeping_torch_threads()

#: Fast-math flags safe for log-space code (no nnan, no ninf).
FASTMATH = {"nsz", "arcp", "contract", "afn", "reassoc"}

#: log(0); impossible events are -inf, never a large negative sentinel.
NEG_INF = float("-inf")


def jit(fn=None, **kwargs):
    """``numba.njit`` with seqtag's defaults (``cache=True``, safe fastmath)."""
    opts = {"cache": True, "fastmath": set(FASTMATH), "nogil": True, **kwargs}
    if fn is None:
        return lambda f: numba.njit(**opts)(f)
    return numba.njit(**opts)(fn)


def pjit(fn=None, **kwargs):
    """Like :func:`jit` with ``parallel=True``, for ``prange`` over independent sequences.

    Inside a parallel function every array expression (``np.exp(a - b)``,
    ``.sum()``, ``np.zeros``) becomes a parallel region of its own; keep them
    out of the kernel (in the Python wrapper) and loop explicitly inside ``prange``.
    """
    return jit(fn, parallel=True, **kwargs)
