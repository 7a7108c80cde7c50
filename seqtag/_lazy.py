"""Lazy attribute access for packages, so importing seqtag never loads torch or compiles kernels."""

from __future__ import annotations

import importlib
from collections.abc import Callable


def parse_spec(spec: str, package: str) -> dict[str, str]:
    """``{public name: module}`` from lines ``module: name name ...`` (a leading ``.`` is ``package``).

    Examples
    --------
    >>> parse_spec('''
    ...     .spans: TokenSpan merge_tokens
    ...     seqtag.intervals: Interval
    ... ''', "seqtag.align")
    {'TokenSpan': 'seqtag.align.spans', 'merge_tokens': 'seqtag.align.spans', 'Interval': 'seqtag.intervals'}
    """
    names: dict[str, str] = {}
    for line in spec.strip().splitlines():
        module, _, listed = line.partition(":")
        module = module.strip()
        module = package + module if module.startswith(".") else module
        for name in listed.split():
            names[name] = module
    return names


def lazy_exports(package: str, namespace: dict, spec: str) -> tuple[Callable, Callable, list[str]]:
    """A package's ``__getattr__``, ``__dir__`` and ``__all__`` from a spec of its public names.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    namespace : dict
        The package's ``globals()``; a name is cached there after its first use.
    spec : str
        One line per module: ``module: name name ...`` (see :func:`parse_spec`).
    """
    names = parse_spec(spec, package)

    def __getattr__(name: str):
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(names) | set(namespace.get("__all__", ())))

    return __getattr__, __dir__, list(names)
