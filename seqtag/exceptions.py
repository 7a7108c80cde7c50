"""Exceptions raised by seqtag.

Every error that a user can cause derives from :class:`SeqtagError`, so the
command line can print it without a traceback.
"""

from __future__ import annotations

import threading

__all__ = [
    "SeqtagError",
    "InputError",
    "CorpusNotFoundError",
    "ModelFileError",
    "NotFittedError",
]


class SeqtagError(Exception):
    """Base class of every error a user of seqtag can cause."""


class InputError(SeqtagError, ValueError):
    """Input data of the wrong type, shape or content.

    Derives from :class:`ValueError` so that generic handlers catch it too.
    """


class CorpusNotFoundError(SeqtagError, FileNotFoundError):
    """A corpus is not on this machine; the message says how to get it."""


class ModelFileError(SeqtagError, ValueError):
    """A saved model folder is missing, corrupt or was not written by seqtag."""


_LOCK = threading.Lock()


def __getattr__(name: str):
    # NotFittedError derives from scikit-learn's, and importing scikit-learn takes seconds that
    # `seqtag tag` with a saved HMM does not need: the class is made on first use, once.
    if name != "NotFittedError":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    with _LOCK:
        if name not in globals():
            from sklearn.exceptions import NotFittedError as sklearn_not_fitted

            class NotFittedError(SeqtagError, sklearn_not_fitted):
                """A model was used before ``fit``; also a scikit-learn ``NotFittedError``."""

            NotFittedError.__module__ = __name__
            globals()[name] = NotFittedError
    return globals()[name]
