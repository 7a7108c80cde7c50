"""Exceptions raised by seqtag.

Every error that a user can cause derives from :class:`SeqtagError`, so the
command line can print it without a traceback.
"""

from __future__ import annotations

from sklearn.exceptions import NotFittedError as _SklearnNotFittedError

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


class NotFittedError(SeqtagError, _SklearnNotFittedError):
    """A model was used before ``fit``; also a scikit-learn ``NotFittedError``."""
