"""Models as bytes: ship a saved tagger or aligner folder to other processes and rebuild it there.

Used by :mod:`seqtag.distributed` to send a model to every Dask worker once.  A model
travels as the files its own ``save`` writes (JSON + ``.npz`` / ``state_dict``), never as
a pickle; the receiving process rebuilds it with the matching seqtag loader and keeps it
in a small per-process cache keyed by the content hash.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .exceptions import InputError, ModelFileError

__all__ = ["ModelPayload", "pack_model", "unpack_model", "warm_model"]

_LOADER = "seqtag.persistence:load_model"

_WARM_SENTENCE = ["The", "model", "is", "warming", "up", "on", "1", "worker", "."]
_CACHE_SIZE = 4

# per-process state on each worker: rebuilt models by payload key, and how often each was built
_CACHE: OrderedDict[str, Any] = OrderedDict()
_LOADS: dict[str, int] = {}
_LOCK = threading.Lock()


# --------------------------------------------------------------------- model bytes
@dataclass(frozen=True)
class ModelPayload:
    """A model as the bytes of its saved folder, plus how to rebuild it.

    Attributes
    ----------
    kind : str
        ``"tagger"`` or ``"aligner"``.
    loader : str
        ``"seqtag.persistence:load_model"`` for saved models, ``""`` for in-memory objects.
    files : tuple of (str, bytes)
        Relative path and content of every file of the saved folder.
    key : str
        Content hash; workers keep one rebuilt model per key.
    obj : object or None
        An in-memory model that has no ``save`` (then ``files`` is empty).
    """

    kind: str
    loader: str
    files: tuple[tuple[str, bytes], ...]
    key: str
    obj: Any = field(default=None, compare=False)

    @property
    def nbytes(self) -> int:
        """Total size of the files."""
        return sum(len(b) for _, b in self.files)


def _kind(folder: Path) -> str:
    from .persistence import read_config

    return "aligner" if read_config(folder).get("kind") == "aligner" else "tagger"


def _read_folder(folder: Path) -> tuple[tuple[str, bytes], ...]:
    return tuple((p.relative_to(folder).as_posix(), p.read_bytes())
                 for p in sorted(folder.rglob("*")) if p.is_file())


def _hash(loader: str, files) -> str:
    h = hashlib.sha256(loader.encode())
    for name, data in files:
        h.update(name.encode() + b"\0" + len(data).to_bytes(8, "little") + data)
    return h.hexdigest()


def pack_model(model) -> ModelPayload:
    """Turn a tagger, an aligner or a saved folder into a :class:`ModelPayload`.

    Parameters
    ----------
    model : Tagger, Aligner, path-like, ModelPayload or object
        Saved folders are read as they are; seqtag models are saved to a
        temporary folder (pickle-free) and read back as bytes; any other object
        with ``predict`` or ``align`` is carried in memory (``obj``).

    Returns
    -------
    ModelPayload

    Examples
    --------
    >>> from seqtag import BaselineTagger
    >>> tagger = BaselineTagger().fit([["a", "dog"]], [["DT", "NN"]])
    >>> payload = pack_model(tagger)
    >>> payload.kind, payload.loader, sorted(name for name, _ in payload.files)
    ('tagger', 'seqtag.persistence:load_model', ['arrays.npz', 'seqtag.json'])
    >>> unpack_model(payload).predict([["a", "dog"]])
    [['DT', 'NN']]
    """
    from .persistence import Persistent

    if isinstance(model, ModelPayload):
        return model
    if isinstance(model, (str, os.PathLike)):
        folder = Path(model)
        files = _read_folder(folder)
        return ModelPayload(_kind(folder), _LOADER, files, _hash(_LOADER, files))
    cls = type(model)
    if isinstance(model, Persistent):
        kind = model.model_kind
    elif callable(getattr(model, "predict", None)) or callable(getattr(model, "align", None)):
        kind = "tagger" if callable(getattr(model, "predict", None)) else "aligner"
        return ModelPayload(kind, "", (), f"obj-{uuid.uuid4().hex}", obj=model)
    else:
        raise InputError(f"expected a tagger, an aligner or a saved model folder, got {cls.__name__}")
    with tempfile.TemporaryDirectory(prefix="seqtag-ship-") as tmp:
        model.save(Path(tmp) / "model")
        files = _read_folder(Path(tmp) / "model")
    return ModelPayload(kind, _LOADER, files, _hash(_LOADER, files))


def unpack_model(payload: ModelPayload):
    """The model of a payload, rebuilt once per process and then reused.

    Parameters
    ----------
    payload : ModelPayload

    Returns
    -------
    Tagger or aligner
    """
    with _LOCK:
        model = _CACHE.get(payload.key)
        if model is not None:
            _CACHE.move_to_end(payload.key)
            return model
        if payload.obj is not None:
            model = payload.obj
        else:
            with tempfile.TemporaryDirectory(prefix="seqtag-model-") as tmp:
                root = Path(tmp).resolve()
                for name, data in payload.files:
                    target = (root / name).resolve()
                    if root not in target.parents:
                        raise ModelFileError(f"model payload file {name!r} points outside its folder")
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(data)
                from .persistence import load_model

                model = load_model(root)
        _CACHE[payload.key] = model
        _LOADS[payload.key] = _LOADS.get(payload.key, 0) + 1
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
        return model


def warm_model(payload: ModelPayload) -> dict[str, Any]:
    """Rebuild the model on this worker and run it once (compiles / loads the Numba kernels)."""
    t0 = time.perf_counter()
    model = unpack_model(payload)
    if payload.kind == "tagger":
        model.predict([list(_WARM_SENTENCE)])
    return {"pid": os.getpid(), "seconds": time.perf_counter() - t0, "loads": _LOADS.get(payload.key, 0)}
