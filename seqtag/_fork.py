"""Run a function in a forked child and get its bytes back (POSIX).

espeak-ng's output depends on what it said earlier in the process; running each
call in a child forked from the freshly initialised library makes it reproducible.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from .exceptions import InputError

__all__ = ["in_forked_child"]


def in_forked_child(fn: Callable[[], bytes], what: str) -> bytes:
    """Call ``fn()`` in a forked child and return the bytes it produced.

    Where ``os.fork`` does not exist (Windows) ``fn`` runs in this process.

    Parameters
    ----------
    fn : callable returning bytes
    what : str
        Names the work in the error raised when the child fails.
    """
    if not hasattr(os, "fork"):  # pragma: no cover - Windows
        return fn()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: run, send the bytes, exit without running the parent's cleanup
        code = 0
        try:
            view = memoryview(fn())
            while view:
                view = view[os.write(w, view):]
        except BaseException:  # noqa: BLE001 - the parent reports it
            code = 1
        finally:
            os._exit(code)
    os.close(w)
    parts = []
    while True:
        chunk = os.read(r, 1 << 20)
        if not chunk:
            break
        parts.append(chunk)
    os.close(r)
    _, status = os.waitpid(pid, 0)
    if status != 0:
        raise InputError(f"{what} failed in its worker process")
    return b"".join(parts)
