"""Run the fits of a comparison in worker processes, one thread each (``n_jobs > 1``).

A tagger's fit is one process's work: small neural taggers leave a second torch
thread mostly idle and the HMMs, the CRF and the tokeniser-bound steps run on one
core anyway. Running ``n_jobs`` fits side by side, each on ``cores // n_jobs``
threads, uses the machine instead. Workers are *spawned* (not forked): this
process may already hold torch's or Numba's thread pools, which do not survive a
fork. The models travel to the workers as unfitted prototypes (their parameters)
and the results come back as plain rows and tag lists; no fitted model crosses a
process boundary.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import sys
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from ..exceptions import InputError, SeqtagError

__all__ = ["check_n_jobs", "run_jobs"]

_THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS")


def check_n_jobs(n_jobs) -> int:
    """``n_jobs`` as a positive int (``-1``: one per CPU core), or a clear error."""
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or (n_jobs < 1 and n_jobs != -1):
        raise InputError(f"n_jobs must be a positive int or -1 (one per CPU core), got {n_jobs!r}")
    return (os.cpu_count() or 1) if n_jobs == -1 else n_jobs


def _init_worker(threads: int) -> None:
    """Limit the thread pools of a fresh worker to ``threads`` before any of them starts."""
    for var in _THREAD_VARS:
        os.environ[var] = str(threads)
    from threadpoolctl import threadpool_limits

    threadpool_limits(threads)  # BLAS already loaded by numpy


def _call(fn: Callable, args: tuple, threads: int):
    if "torch" in sys.modules:  # imported while unpickling the job (a neural prototype)
        sys.modules["torch"].set_num_threads(threads)
    return fn(*args)


def run_jobs(jobs: Sequence[tuple[Callable, tuple]], n_jobs: int) -> list[Any]:
    """Run ``fn(*args)`` for every ``(fn, args)`` of ``jobs``; results in the order of ``jobs``.

    With ``n_jobs == 1`` (or a single job) they run here, one after the other.
    Otherwise ``n_jobs`` spawned workers take them in the given order (put the
    longest first), each worker on ``cpu_count // n_jobs`` threads. A spawned worker
    imports the main script: a script must call this under
    ``if __name__ == "__main__":``, and a program read from standard input (which a
    worker cannot import) runs the jobs here, with a warning.

    Parameters
    ----------
    jobs : sequence of (callable, tuple)
        Module-level functions and their arguments (both must pickle).
    n_jobs : int
        Worker processes.

    Returns
    -------
    list
        ``fn(*args)`` of each job.
    """
    if n_jobs == 1 or len(jobs) <= 1:
        return [fn(*args) for fn, args in jobs]
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    if main_file is not None and not os.path.exists(main_file):  # python - < script.py
        warnings.warn(f"n_jobs={n_jobs} needs worker processes, which cannot start from a program read from "
                      f"{main_file}; running the {len(jobs)} fits here, one after another (save the program "
                      f"to a file to use n_jobs)", stacklevel=3)
        return [fn(*args) for fn, args in jobs]
    try:
        pickle.dumps(jobs)
    except Exception as exc:  # any reason a model cannot travel
        raise InputError(f"n_jobs={n_jobs} sends each model to a worker process, but one cannot be pickled "
                         f"({type(exc).__name__}: {exc}); use n_jobs=1 for models defined in a notebook "
                         f"or holding open resources") from exc
    threads = max(1, (os.cpu_count() or 1) // n_jobs)
    context = multiprocessing.get_context("spawn")
    workers = min(n_jobs, len(jobs))
    try:
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                                 initargs=(threads,)) as pool:
            futures = [pool.submit(_call, fn, args, threads) for fn, args in jobs]
            return [f.result() for f in futures]
    except BrokenProcessPool as exc:
        raise SeqtagError(
            f"a worker process of n_jobs={n_jobs} died before finishing its job ({exc}). Workers are spawned "
            f"and import the main script, so a script must call this under `if __name__ == \"__main__\":`; "
            f"a worker can also be killed for lack of memory. n_jobs=1 runs everything in this process."
        ) from exc
