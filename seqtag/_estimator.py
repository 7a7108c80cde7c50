"""The scikit-learn and NLTK protocols of seqtag's models, without importing either library.

Importing scikit-learn takes about two seconds (SciPy, pandas), and NLTK imports scikit-learn.
``seqtag tag`` with an HMM needs neither, so the models implement the protocols themselves:

* :class:`Estimator`: ``get_params`` / ``set_params`` / ``__repr__`` / ``__sklearn_tags__`` as
  :class:`sklearn.base.BaseEstimator` defines them, which is all ``clone``,
  ``GridSearchCV`` and ``cross_val_score`` ask of an estimator (duck typing);
* :func:`nltk_method`: NLTK's ``TaggerI`` methods (``accuracy``, ``confusion`` ...) that import
  NLTK on first use and run NLTK's own code;
* :func:`register_when_imported`: makes a class a (virtual) subclass of an ABC such as
  ``nltk.tag.api.TaggerI`` as soon as its module is imported -- now, if it already is.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import inspect
import sys
from collections.abc import Callable
from typing import Any

from .exceptions import InputError

__all__ = ["Estimator", "nltk_method", "register_when_imported"]


class Estimator:
    """scikit-learn's estimator protocol: constructor arguments are the parameters."""

    @classmethod
    def _get_param_names(cls) -> list[str]:
        init = cls.__init__
        if init is object.__init__:
            return []
        params = [p for p in inspect.signature(init).parameters.values()
                  if p.name != "self" and p.kind != p.VAR_KEYWORD]
        if any(p.kind == p.VAR_POSITIONAL for p in params):
            raise TypeError(f"{cls.__name__}.__init__ must not take *args: scikit-learn estimators name "
                            f"every parameter")
        return sorted(p.name for p in params)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor arguments, as scikit-learn's ``get_params``.

        Parameters
        ----------
        deep : bool
            Also list the parameters of nested estimators as ``name__param``.

        Returns
        -------
        dict
        """
        out: dict[str, Any] = {}
        for key in self._get_param_names():
            value = getattr(self, key)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                out.update((f"{key}__{k}", v) for k, v in value.get_params().items())
            out[key] = value
        return out

    def set_params(self, **params: Any):
        """Set constructor arguments (``name__param`` for nested estimators), as scikit-learn's.

        Returns
        -------
        self
        """
        valid = self.get_params(deep=True)
        nested: dict[str, dict[str, Any]] = {}
        for key, value in params.items():
            name, nest, sub = key.partition("__")
            if name not in valid:
                raise InputError(f"invalid parameter {name!r} for {type(self).__name__}; valid parameters: "
                                 f"{', '.join(self._get_param_names())}")
            if nest:
                nested.setdefault(name, {})[sub] = value
            else:
                setattr(self, name, value)
                valid[name] = value
        for name, sub_params in nested.items():
            valid[name].set_params(**sub_params)
        return self

    def __repr__(self) -> str:
        defaults = {n: p.default for n, p in inspect.signature(type(self).__init__).parameters.items()}
        shown = [f"{k}={v!r}" for k, v in self.get_params(deep=False).items()
                 if not _same(v, defaults.get(k, inspect.Parameter.empty))]
        return f"{type(self).__name__}({', '.join(shown)})"

    def __sklearn_tags__(self):
        from sklearn.utils import Tags, TargetTags

        return Tags(estimator_type=None, target_tags=TargetTags(required=True), transformer_tags=None,
                    regressor_tags=None, classifier_tags=None)


def _same(value: Any, default: Any) -> bool:
    if value is default:
        return True
    if type(value) is not type(default):
        return False
    try:
        return bool(value == default)
    except (TypeError, ValueError):  # arrays and the like
        return repr(value) == repr(default)


def nltk_method(name: str, summary: str) -> Callable:
    """A method that runs ``nltk.tag.api.TaggerI.<name>`` on ``self`` (NLTK imported on first call)."""

    def method(self, *args: Any, **kwargs: Any):
        from nltk.tag.api import TaggerI

        return getattr(TaggerI, name)(self, *args, **kwargs)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = (f"{summary}\n\nNLTK's own ``TaggerI.{name}``; see :class:`nltk.tag.api.TaggerI` for "
                      f"its parameters.\n\nReturns\n-------\nobject\n    What NLTK returns.\n")
    return method


class _RegisterAfterImport(importlib.abc.MetaPathFinder):
    """Wraps the loader of one module so that callbacks run right after the module executes."""

    def __init__(self, module: str):
        self.module = module
        self.callbacks: list[Callable[[Any], None]] = []

    def find_spec(self, fullname, path, target=None):
        if fullname != self.module:
            return None
        sys.meta_path.remove(self)  # one-shot; also keeps find_spec below from finding us again
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        exec_module, callbacks = spec.loader.exec_module, self.callbacks

        def exec_then_register(module):
            exec_module(module)
            for callback in callbacks:
                callback(module)

        spec.loader.exec_module = exec_then_register
        return spec


def register_when_imported(module: str, abc_name: str, cls: type) -> None:
    """``module.abc_name.register(cls)`` now if ``module`` is imported, else right after it is.

    Parameters
    ----------
    module : str
        Dotted module name, e.g. ``"nltk.tag.api"``.
    abc_name : str
        An :class:`abc.ABC` in that module, e.g. ``"TaggerI"``.
    cls : type
        The class that becomes its virtual subclass (``isinstance`` and ``issubclass`` hold).
    """

    def register(mod) -> None:
        getattr(mod, abc_name).register(cls)

    if module in sys.modules:
        register(sys.modules[module])
        return
    hook = next((f for f in sys.meta_path if isinstance(f, _RegisterAfterImport) and f.module == module), None)
    if hook is None:
        hook = _RegisterAfterImport(module)
        sys.meta_path.insert(0, hook)
    hook.callbacks.append(register)
