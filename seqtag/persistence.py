"""One on-disk model format for taggers and aligners, written atomically, read without pickle.

A saved model is a folder:

- ``seqtag.json``: ``format``, ``format_version``, ``seqtag_version``, ``kind``
  (``"tagger"`` or ``"aligner"``), ``class``, ``params`` (the constructor arguments,
  validated again on load exactly as ``fit`` validates them) and ``state`` (learned
  values that are plain JSON);
- ``arrays.npz``: learned numpy arrays (read with ``allow_pickle=False``);
- ``weights.pt``: a torch ``state_dict`` when the model has one (read with
  ``weights_only=True``).

**Atomic saves.** :func:`save_model` first serialises everything in memory, then
writes the files into a temporary sibling folder, fsyncs them, and only then
renames the folder into place (the previous folder is moved aside first and
deleted last). A failure at any step -- a full disk, ``KeyboardInterrupt``, a
value JSON cannot hold -- removes the temporary folder and leaves the model that
was on disk before exactly as it was.

**Safe loads.** :func:`load_model` builds only classes of the registry
(:mod:`seqtag.registry`); any malformed file -- truncated, bit-flipped, wrong types,
absurdly nested JSON, a pickle payload -- is a :class:`~seqtag.exceptions.ModelFileError`,
never another exception and never code execution.

A model class takes part by deriving from :class:`Persistent` and implementing
``_get_state`` / ``_set_state`` (and ``_get_weights`` / ``_set_weights`` for torch
weights).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from .exceptions import InputError, ModelFileError, SeqtagError

__all__ = ["Persistent", "save_model", "load_model", "load", "check_output_folder", "read_config", "FORMAT_VERSION",
           "CONFIG_FILE"]

#: Version of the folder layout written by :func:`save_model`.
FORMAT_VERSION = 1
FORMAT = "seqtag-model"
CONFIG_FILE = "seqtag.json"
ARRAYS_FILE = "arrays.npz"
WEIGHTS_FILE = "weights.pt"
_MAX_CONFIG_BYTES = 256 * 1024 * 1024
_JSON_SCALARS = (str, int, float, bool, type(None))


class Persistent:
    """Mixin: ``save`` for a model whose learned state is JSON values, arrays and torch weights.

    Subclasses implement ``_get_state() -> (state, arrays)`` and ``_set_state(state, arrays)``,
    optionally ``_get_weights() -> state_dict or None`` and ``_set_weights(state_dict)``, and
    ``_check_params()`` (raise :class:`~seqtag.exceptions.InputError` for bad constructor
    arguments; called by ``fit`` and again when a saved model is loaded).
    """

    #: ``"tagger"`` or ``"aligner"``: what ``seqtag.json`` says the folder holds.
    model_kind: ClassVar[str] = "model"

    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        raise NotImplementedError

    def _set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        raise NotImplementedError

    def _get_weights(self):
        """A torch ``state_dict`` to save as ``weights.pt``, or None."""
        return None

    def _set_weights(self, weights) -> None:
        raise ModelFileError(f"{type(self).__name__} has no torch weights, but the folder holds {WEIGHTS_FILE}")

    def _needs_weights(self) -> bool:
        """True when the class saves torch weights (then a folder without them is incomplete)."""
        return type(self)._get_weights is not Persistent._get_weights

    def _check_params(self) -> None:
        """Raise InputError for constructor arguments ``fit`` would refuse."""

    def save(self, path: str | os.PathLike) -> Path:
        """Save the fitted model to a folder, atomically and without pickle.

        Parameters
        ----------
        path : str or path-like
            Folder to write. An existing seqtag model folder there is replaced only once
            the new one is complete; any other existing non-empty folder is refused.

        Returns
        -------
        pathlib.Path
            The folder.
        """
        return save_model(self, path)


# ----------------------------------------------------------------------------- saving
def _is_json_value(value: Any) -> bool:
    if isinstance(value, _JSON_SCALARS):
        return not (isinstance(value, float) and not np.isfinite(value))
    if isinstance(value, (list, tuple)):
        return all(_is_json_value(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_json_value(v) for k, v in value.items())
    return False


def check_output_folder(path: str | os.PathLike, what: str = "model folder") -> Path:
    """Check, before any work, that a model can later be saved to ``path``.

    The parent folder is created if needed and must be writable; ``path`` must not be a
    file, nor a non-empty folder that is not a saved seqtag model.

    Parameters
    ----------
    path : str or path-like
    what : str
        How the folder is named in error messages (e.g. ``"-o"``).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    InputError
        What is wrong and how to fix it.

    Examples
    --------
    >>> import tempfile
    >>> check_output_folder(tempfile.mkdtemp() + "/models/hmm2").name
    'hmm2'
    """
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise InputError(f"{what} {str(p)!r} is a file, not a folder; choose another path")
    if p.is_dir() and any(p.iterdir()) and not (p / CONFIG_FILE).is_file():
        raise InputError(f"{what} {str(p)!r} is a non-empty folder that is not a saved seqtag model; "
                         f"choose a new or empty folder (nothing there is overwritten)")
    parent = p.absolute().parent
    for anc in (parent, *parent.parents):
        if anc.exists():
            if not anc.is_dir():
                raise InputError(f"{what} {str(p)!r} cannot be created: {str(anc)!r} is a file, not a folder")
            break
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{what} {str(p)!r} cannot be created: {exc.strerror or exc}") from None
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"{what} {str(p)!r} cannot be written: no write permission in {str(parent)!r}")
    return p


def _serialise(model) -> tuple[bytes, bytes, bytes | None]:
    """Everything a save writes, as bytes, before anything touches the disk."""
    from . import __version__

    cls = type(model)
    params = model.get_params(deep=False)
    for key, value in params.items():
        if not _is_json_value(value):
            raise InputError(
                f"{cls.__name__} parameter {key}={value!r} cannot be saved as JSON; only str, numbers, "
                f"bools, None, lists and dicts can; set it to a plain value (or None) before save"
            )
    state, arrays = model._get_state()
    config = {"format": FORMAT, "format_version": FORMAT_VERSION, "seqtag_version": __version__,
              "kind": cls.model_kind, "class": cls.__name__, "params": params, "state": state}
    try:  # ensure_ascii: lone surrogates ("caf\udce9") survive as \\udce9 escapes
        text = json.dumps(config, ensure_ascii=True, indent=1, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{cls.__name__} cannot be saved: its state is not plain JSON ({exc})") from None
    buf = io.BytesIO()
    np.savez_compressed(buf, **{k: np.asarray(v) for k, v in arrays.items()})
    weights = model._get_weights()
    wbytes = None
    if weights is not None:
        import torch

        wbuf = io.BytesIO()
        torch.save({k: v.detach().cpu() for k, v in weights.items()}, wbuf)
        wbytes = wbuf.getvalue()
    return text.encode("ascii"), buf.getvalue(), wbytes


def _write(path: Path, data: bytes) -> None:
    with open(path, "xb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # not every platform opens folders (Windows): best effort
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def save_model(model, path: str | os.PathLike) -> Path:
    """Write ``model`` to the folder ``path`` atomically (see the module docstring).

    Parameters
    ----------
    model : Persistent
        A fitted tagger or aligner.
    path : str or path-like

    Returns
    -------
    pathlib.Path
        The folder.
    """
    check = getattr(model, "_check_fitted", None)
    if check is not None:
        check()
    target = check_output_folder(path)
    config, arrays, weights = _serialise(model)
    tag = uuid.uuid4().hex[:12]
    tmp = target.parent / f".{target.name}.tmp-{tag}"
    old = target.parent / f".{target.name}.old-{tag}"
    tmp.mkdir()
    try:
        _write(tmp / ARRAYS_FILE, arrays)
        if weights is not None:
            _write(tmp / WEIGHTS_FILE, weights)
        _write(tmp / CONFIG_FILE, config)
        _fsync_dir(tmp)
        if target.exists():
            os.rename(target, old)
            try:
                os.rename(tmp, target)
            except BaseException:
                os.rename(old, target)
                raise
        else:
            os.rename(tmp, target)
        _fsync_dir(target.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return target


# ----------------------------------------------------------------------------- loading
def read_config(path: str | os.PathLike) -> dict[str, Any]:
    """The checked ``seqtag.json`` of a saved model folder.

    Raises
    ------
    ModelFileError
        Missing, unreadable, not JSON, or not written by seqtag.
    """
    path = Path(path)
    file = path / CONFIG_FILE
    if not file.is_file():
        raise ModelFileError(
            f"{str(path)!r} is not a saved seqtag model: {CONFIG_FILE} is missing; save one with "
            f"model.save(path) or `seqtag train ... -o DIR` / `seqtag train-aligner ... -o DIR`"
        )
    try:
        if file.stat().st_size > _MAX_CONFIG_BYTES:
            raise ModelFileError(f"{file} is larger than {_MAX_CONFIG_BYTES >> 20} MB; not a seqtag model")
        config = json.loads(file.read_bytes().decode("utf-8"))
    except ModelFileError:
        raise
    except (ValueError, RecursionError, OSError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ModelFileError(f"{file} is corrupt (not valid JSON): {type(exc).__name__}: {str(exc)[:200]}") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ModelFileError(f"{file} was not written by seqtag (no 'format': '{FORMAT}')")
    if config.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(
            f"{file} has model format version {config.get('format_version')!r}; this seqtag reads version "
            f"{FORMAT_VERSION}; retrain or use a matching seqtag"
        )
    for key, kind in (("class", str), ("params", dict), ("state", dict)):
        if not isinstance(config.get(key), kind):
            raise ModelFileError(f"{file} is corrupt: {key!r} must be a JSON {kind.__name__}, "
                                 f"got {type(config.get(key)).__name__}")
    return config


def _read_arrays(path: Path) -> dict[str, np.ndarray]:
    file = path / ARRAYS_FILE
    try:
        with np.load(file, allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}
    except FileNotFoundError:
        raise ModelFileError(f"{file} is missing; the model folder is incomplete") from None
    except Exception as exc:  # ValueError (pickle refused), BadZipFile, zlib.error, EOFError, OSError...
        raise ModelFileError(f"{file} is corrupt or holds objects (pickle refused): "
                             f"{type(exc).__name__}: {str(exc)[:200]}") from None


def _read_weights(path: Path):
    file = path / WEIGHTS_FILE
    if not file.is_file():
        return None
    import torch

    try:
        return torch.load(file, map_location="cpu", weights_only=True)
    except Exception as exc:  # UnpicklingError, RuntimeError, EOFError, zipfile errors...
        raise ModelFileError(f"{file} is corrupt or holds more than tensors (refused): "
                             f"{type(exc).__name__}: {str(exc)[:200]}") from None


def load_model(path: str | os.PathLike):
    """Load any saved tagger or aligner.

    Parameters
    ----------
    path : str or path-like
        A folder written by ``save``.

    Returns
    -------
    Tagger or Aligner
        A fitted model of the class named in its ``seqtag.json``.

    Raises
    ------
    ModelFileError
        The folder is missing, corrupt, or not a seqtag model.
    """
    from .registry import model_class

    path = Path(path)
    config = read_config(path)
    name = config["class"]
    cls = model_class(name)
    if cls is None:
        from .registry import CLASSES

        raise ModelFileError(f"{path / CONFIG_FILE} names an unknown model class {name!r}; known: "
                             f"{', '.join(sorted(CLASSES))}")
    kind = config.get("kind", cls.model_kind)
    if kind != cls.model_kind:
        raise ModelFileError(f"{path / CONFIG_FILE} says kind {kind!r} but {name} is a {cls.model_kind}")
    try:
        model = cls(**config["params"])
        model._check_params()
    except (TypeError, SeqtagError, ValueError) as exc:
        raise ModelFileError(f"{path / CONFIG_FILE} has parameters {name} does not accept: {exc}") from None
    arrays = _read_arrays(path)
    weights = _read_weights(path)
    try:
        model._set_state(config["state"], arrays)
        if weights is not None:
            model._set_weights(weights)
        elif model._needs_weights():
            raise ModelFileError(f"{path / WEIGHTS_FILE} is missing; the model folder is incomplete")
    except ModelFileError:
        raise
    except Exception as exc:  # KeyError, TypeError, IndexError, RuntimeError (state_dict mismatch), ...
        raise ModelFileError(f"{path} is corrupt: {type(exc).__name__}: {str(exc)[:300]}") from None
    return model


#: ``seqtag.load``: the one dispatcher for saved taggers and aligners.
load = load_model
