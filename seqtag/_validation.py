"""Checks of user input shared by every tagger; they copy, never mutate."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .exceptions import InputError

__all__ = ["check_sentences", "check_tagged", "check_tokens"]


def _preview(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_tokens(tokens: object, *, where: str = "sentence", what: str = "token") -> list[str]:
    """Return ``tokens`` as a new list of str, or raise :class:`InputError`.

    The rule every tagger follows: a token (or tag) is a non-empty ``str``. An empty string
    usually comes from ``line.split(" ")`` on doubled spaces; no tagger can give it a tag
    that means anything, so it is rejected rather than dropped (dropping it would shift the
    output against the input).

    Parameters
    ----------
    tokens : sequence of str
        One sentence.
    where : str
        How to name the sentence in an error message (e.g. ``"X[3]"``).
    what : str
        How to name one item (``"token"`` or ``"tag"``).
    """
    if isinstance(tokens, (str, bytes)):
        raise InputError(
            f"{where} must be a list of {what}s, got a single {type(tokens).__name__} "
            f"{_preview(tokens)}; split it first, e.g. {_preview(tokens)}.split()"
        )
    if not isinstance(tokens, Iterable):
        raise InputError(
            f"{where} must be a list of {what}s (str), got {type(tokens).__name__} {_preview(tokens)}"
        )
    out = list(tokens)
    for j, tok in enumerate(out):
        if not isinstance(tok, str):
            raise InputError(
                f"{where}[{j}] must be a str {what}, got {type(tok).__name__} {_preview(tok)}; "
                f"convert {what}s to str before tagging"
            )
        if not tok:
            raise InputError(
                f"{where}[{j}] is an empty string; every {what} must be a non-empty str "
                f"(empty {what}s usually come from line.split(' ') on doubled spaces: "
                f"use line.split() instead, or remove them)"
            )
    return out


def check_sentences(X: object, *, name: str = "X", what: str = "token") -> list[list[str]]:
    """Validate a batch of tokenized sentences and return a copy.

    Parameters
    ----------
    X : sequence of sequence of str
        Sentences; an empty sentence is legal.
    name : str
        The argument's name for error messages.
    what : str
        How to name one item (``"token"`` or ``"tag"``).

    Returns
    -------
    list of list of str
    """
    if isinstance(X, (str, bytes)) or not isinstance(X, Iterable):
        raise InputError(
            f"{name} must be a list of sentences (each a list of str tokens), "
            f"got {type(X).__name__} {_preview(X)}"
        )
    return [check_tokens(s, where=f"{name}[{i}]", what=what) for i, s in enumerate(X)]


def check_tagged(X: object, y: object) -> tuple[list[list[str]], list[list[str]]]:
    """Validate sentences and their gold tags; return copies.

    Raises
    ------
    InputError
        If ``X`` and ``y`` differ in length, a sentence and its tags differ in
        length, or a token or tag is not a str.
    """
    Xs = check_sentences(X, name="X")
    ys = check_sentences(y, name="y", what="tag")
    if len(Xs) != len(ys):
        raise InputError(
            f"X and y must hold the same number of sentences, got {len(Xs)} sentences "
            f"and {len(ys)} tag sequences"
        )
    for i, (s, t) in enumerate(zip(Xs, ys)):
        if len(s) != len(t):
            raise InputError(
                f"sentence X[{i}] has {len(s)} tokens but y[{i}] has {len(t)} tags; "
                f"every token needs exactly one tag (first tokens: {_preview(s[:5])})"
            )
    return Xs, ys


def split_tagged(sents: Sequence[Sequence[tuple[str, str]]]) -> tuple[list[list[str]], list[list[str]]]:
    """Split NLTK-style tagged sentences ``[[(token, tag), ...], ...]`` into ``X, y``."""
    X, y = [], []
    for i, sent in enumerate(sents):
        toks, tags = [], []
        for j, pair in enumerate(sent):
            if not isinstance(pair, tuple) or len(pair) != 2:
                raise InputError(
                    f"tagged sentence {i}, item {j} must be a (token, tag) pair, got {_preview(pair)}"
                )
            toks.append(pair[0])
            tags.append(pair[1])
        X.append(toks)
        y.append(tags)
    return X, y


def store_params(estimator, values: dict) -> None:
    """Store every constructor argument of ``estimator`` unchanged (the scikit-learn rule).

    Call it as the whole body of ``__init__``: ``store_params(self, locals())``.

    Examples
    --------
    >>> class Model:
    ...     def __init__(self, order=2, beam=None):
    ...         store_params(self, locals())
    >>> vars(Model(3))
    {'order': 3, 'beam': None}
    """
    import inspect

    for name in inspect.signature(type(estimator).__init__).parameters:
        if name != "self":
            setattr(estimator, name, values[name])
