"""Lazy attribute access for packages, so importing seqtag never loads torch or compiles kernels."""

from __future__ import annotations

import importlib
from collections.abc import Callable


def lazy_exports(package: str, names: dict[str, str], namespace: dict) -> tuple[Callable, Callable]:
    """Build a package's ``__getattr__`` and ``__dir__`` from ``{public name: module}``.

    Parameters
    ----------
    package : str
        The package's ``__name__`` (for error messages).
    names : dict of str to str
        Public name -> module that defines it.
    namespace : dict
        The package's ``globals()``; a name is cached there after its first use.
    """

    def __getattr__(name: str):
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(names) | set(namespace.get("__all__", ())))

    return __getattr__, __dir__
