"""The user's files: reading text input (UTF-8, errors naming the file and byte offset) and
checking output paths before any work is done (so that a typo never costs an hour of training)."""

from __future__ import annotations

import os
import sys

from .exceptions import InputError

__all__ = ["read_text", "check_output_file", "check_report_folder"]


def read_text(path: str | os.PathLike | None, what: str = "input") -> str:
    """The UTF-8 text of a file (``None`` or ``"-"``: stdin); an InputError naming the file and byte offset.

    Parameters
    ----------
    path : path-like or None
    what : str
        How the input is named in messages.

    Returns
    -------
    str
    """
    name = "standard input" if path in (None, "-") else repr(str(path))
    if path in (None, "-") and getattr(sys.stdin, "buffer", None) is None:  # a text stream (tests, IDEs)
        return sys.stdin.read()
    try:
        if path in (None, "-"):
            data = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as fh:
                data = fh.read()
    except OSError as exc:
        raise InputError(f"cannot read {what} {name}: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(f"{what} {name} is not UTF-8 text: byte offset {exc.start} (line {line}) is "
                         f"{data[exc.start:exc.start + 1]!r}; convert it, e.g. `iconv -f latin1 -t utf-8`") from None


def check_output_file(path: str | os.PathLike, what: str) -> str:
    """Check, before any work, that a file can be written at ``path`` (its folder is created)."""
    from .persistence import check_output_folder

    p = os.fspath(path)
    if os.path.isdir(p):
        raise InputError(f"{what} {p!r} is a folder; give a file name")
    parent = os.path.dirname(os.path.abspath(p))
    check_output_folder(os.path.join(parent, ".seqtag-check"), what)  # creates and checks the parent
    return p


def check_report_folder(path: str | os.PathLike, what: str = "--report") -> str:
    """Check, before any work, that a report folder can be written (files in it are replaced)."""
    p = os.fspath(path)
    if os.path.exists(p) and not os.path.isdir(p):
        raise InputError(f"{what} {p!r} is a file, not a folder; choose another path")
    check_output_file(os.path.join(p, "index.html"), what)
    return p
