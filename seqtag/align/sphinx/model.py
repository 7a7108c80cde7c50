"""A whole Sphinx acoustic-model folder (``mdef``, ``means``, ``sendump``, ...) in one object.

:func:`load_sphinx_model` reads the folder with the readers of this package,
checks that the files agree with one another and caches the result per folder
and options (the arrays are then read-only). :func:`find_model_dir` locates the
US-English model shipped inside the ``pocketsphinx`` wheel without importing it.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from ...exceptions import ModelFileError
from .dictionary import read_feat_params, read_noisedict
from .gauden import VARFLOOR, CodebookShape, load_codebooks
from .mdef import ModelDefinition, read_mdef
from .mixw import MIXWFLOOR, read_mixture_weights, read_sendump
from .tmat import TMATFLOOR, read_transition_matrices

__all__ = ["SphinxModel", "load_sphinx_model", "find_model_dir", "clear_sphinx_model_cache", "ENV_VAR"]

#: Environment variable naming a model folder (used when no path is given).
ENV_VAR = "SEQTAG_SPHINX_MODEL"
_REQUIRED = ("mdef", "means", "variances", "transition_matrices")
_HOW_TO_GET = (
    "Install PocketSphinx, which ships the US-English model (`pip install pocketsphinx`, or "
    f"`pip install seqtag[audio]`), or set {ENV_VAR} to a folder holding mdef, means, variances, "
    "transition_matrices and sendump (or mixture_weights)."
)
_CACHE: dict[tuple, SphinxModel] = {}
_LOCK = threading.Lock()


@dataclass(eq=False)
class SphinxModel(CodebookShape):
    """A Sphinx acoustic model: phones, Gaussian codebooks, mixture weights, transitions.

    All log values are natural logs; ``-inf`` marks impossible events.

    Attributes
    ----------
    path : pathlib.Path
        The model folder.
    mdef : ModelDefinition
        Phones, triphones, senone sequences (:mod:`.mdef`).
    kind : {"ptm", "semi", "continuous"}
        Phonetically tied (one codebook per CI phone), semi-continuous (one
        codebook) or continuous (one per senone); decided as PocketSphinx does.
    senone_codebook : numpy.ndarray of int32, shape (n_sen,)
        Codebook of each senone: ``mdef.sen2cimap`` for PTM, 0 for semi-continuous,
        the senone itself for continuous models.
    means, variances, precisions : numpy.ndarray of float32, shape (n_mgau, n_feat, n_density, max(veclen))
        Gaussian parameters (variances floored at ``varfloor``; short streams padded).
    log_norm : numpy.ndarray of float32, shape (n_mgau, n_feat, n_density)
        ``-0.5 * sum(log(2 pi var))`` of each Gaussian.
    veclen : numpy.ndarray of int32, shape (n_feat,)
        Dimensions of each feature stream.
    log_mixw : numpy.ndarray of float32, shape (n_sen, n_feat, n_density)
        Log mixture weights of each senone over its codebook's Gaussians.
    log_tmat : numpy.ndarray of float64, shape (n_tmat, n_emit_state, n_emit_state + 1)
        Log transition probabilities; the last column is the exit.
    feat_params : dict of str to str
        ``feat.params`` (front-end settings), ``{}`` if the file is absent.
    noise_dict : dict of str to list of list of str
        ``noisedict`` (filler words), ``{}`` if absent.
    dictionary_path : pathlib.Path or None
        The pronunciation dictionary shipped next to the model, if any
        (``cmudict-en-us.dict`` for PocketSphinx's ``en-us``); not loaded.
    n_floored_variances : int
        Variance values raised to the floor.
    """

    path: Path
    mdef: ModelDefinition
    kind: Literal["ptm", "semi", "continuous"]
    senone_codebook: np.ndarray = field(repr=False)
    means: np.ndarray = field(repr=False)
    variances: np.ndarray = field(repr=False)
    precisions: np.ndarray = field(repr=False)
    log_norm: np.ndarray = field(repr=False)
    veclen: np.ndarray = field(repr=False)
    log_mixw: np.ndarray = field(repr=False)
    log_tmat: np.ndarray = field(repr=False)
    feat_params: dict[str, str] = field(repr=False)
    noise_dict: dict[str, list[list[str]]] = field(repr=False)
    dictionary_path: Path | None = None
    n_floored_variances: int = 0

    @property
    def n_sen(self) -> int:
        """Number of senones."""
        return self.mdef.n_sen


def _model_files_missing(folder: Path) -> list[str]:
    missing = [name for name in _REQUIRED if not (folder / name).is_file()]
    if not (folder / "sendump").is_file() and not (folder / "mixture_weights").is_file():
        missing.append("sendump (or mixture_weights)")
    return missing


def _check_folder(folder: Path, origin: str) -> Path:
    if not folder.is_dir():
        raise ModelFileError(f"{folder} ({origin}) is not a folder. {_HOW_TO_GET}")
    missing = _model_files_missing(folder)
    if missing:
        nested = folder / folder.name  # PocketSphinx's layout: model/en-us/en-us
        if nested.is_dir() and not _model_files_missing(nested):
            return nested
        raise ModelFileError(
            f"{folder} ({origin}) is not a Sphinx acoustic model folder: {', '.join(missing)} missing. {_HOW_TO_GET}"
        )
    return folder


def find_model_dir(name: str = "en-us", *, path: str | os.PathLike | None = None) -> Path:
    """Locate a Sphinx acoustic-model folder.

    In this order: ``path`` if given; the folder named by the environment
    variable ``SEQTAG_SPHINX_MODEL`` if set; the model ``name`` shipped in the
    installed ``pocketsphinx`` package (``pocketsphinx/model/<name>/<name>``),
    found with :func:`importlib.util.find_spec` without importing PocketSphinx.
    A given folder ``X`` that holds the model in ``X/<X's name>`` (like
    ``pocketsphinx/model/en-us``) is accepted too.

    Parameters
    ----------
    name : str
        Model name inside the ``pocketsphinx`` package.
    path : path, optional
        An explicit model folder.

    Returns
    -------
    pathlib.Path
        A folder holding at least ``mdef``, ``means``, ``variances``,
        ``transition_matrices`` and ``sendump`` or ``mixture_weights``.

    Raises
    ------
    ModelFileError
        No such folder, or an incomplete one; the message says how to install one.
    """
    if path is not None:
        return _check_folder(Path(path).expanduser(), "the path given")
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return _check_folder(Path(env).expanduser(), f"from ${ENV_VAR}")
    try:
        spec = importlib.util.find_spec("pocketsphinx")
    except (ImportError, ValueError):
        spec = None
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for loc in locations:
        for folder in (Path(loc) / "model" / name / name, Path(loc) / "model" / name):
            if folder.is_dir() and not _model_files_missing(folder):
                return folder
    where = f"the pocketsphinx package ({', '.join(locations)}) has no model {name!r}" if locations else (
        "the pocketsphinx package is not installed")
    raise ModelFileError(f"No Sphinx acoustic model found: {where}. {_HOW_TO_GET}")


def _svspec_lengths(spec: str) -> list[int] | None:
    """Stream sizes of a ``-svspec`` such as ``0-12/13-25/26-38``; None if unparsable."""
    lengths = []
    try:
        for part in spec.split("/"):
            ranges = [rng.partition("-") for rng in part.split(",")]
            lengths.append(sum(int(b or a) - int(a) + 1 for a, _, b in ranges))
    except ValueError:
        return None
    return lengths


def _load(folder: Path, varfloor: float, tmatfloor: float, mixwfloor: float, dequantize: str) -> SphinxModel:
    mdef = read_mdef(folder / "mdef")
    cb = load_codebooks(folder / "means", folder / "variances", varfloor=varfloor)
    if (folder / "sendump").is_file():
        log_mixw = read_sendump(folder / "sendump", n_sen=mdef.n_sen, n_feat=cb.n_feat, n_density=cb.n_density,
                                dequantize=dequantize)
    else:
        log_mixw = read_mixture_weights(folder / "mixture_weights", mixwfloor=mixwfloor)
        if log_mixw.shape != (mdef.n_sen, cb.n_feat, cb.n_density):
            raise ModelFileError(
                f"{folder / 'mixture_weights'}: expected senones x streams x Gaussians = "
                f"{(mdef.n_sen, cb.n_feat, cb.n_density)} (from mdef and means), found {log_mixw.shape}. "
                "All files must come from the same acoustic model."
            )
    log_tmat = read_transition_matrices(folder / "transition_matrices", tmatfloor=tmatfloor)
    if log_tmat.shape[:2] != (mdef.n_tmat, mdef.n_emit_state):
        raise ModelFileError(
            f"{folder / 'transition_matrices'}: expected {mdef.n_tmat} matrices for {mdef.n_emit_state} emitting "
            f"states (from mdef), found {log_tmat.shape[0]} for {log_tmat.shape[1]}. "
            "All files must come from the same acoustic model."
        )
    n_mgau, n_ci, n_sen = cb.n_mgau, mdef.n_ci, mdef.n_sen
    if n_mgau == n_ci:  # PocketSphinx tries PTM first, then semi-continuous, then one codebook per senone
        kind, senone_codebook = "ptm", mdef.sen2cimap.copy()
        if np.any(senone_codebook < 0):
            raise ModelFileError(f"{folder / 'mdef'}: senone {int(np.argmax(senone_codebook < 0))} belongs to no "
                                 "phone, so a phonetically tied model cannot give it a codebook.")
    elif n_mgau == 1:
        kind, senone_codebook = "semi", np.zeros(n_sen, dtype=np.int32)
    elif n_mgau == n_sen:
        kind, senone_codebook = "continuous", np.arange(n_sen, dtype=np.int32)
    else:
        raise ModelFileError(
            f"{folder / 'means'}: expected 1 codebook (semi-continuous), {n_ci} (one per CI phone, PTM) or {n_sen} "
            f"(one per senone), found {n_mgau}; senone-to-codebook maps (senmgau) are not supported."
        )
    feat_params = read_feat_params(folder / "feat.params") if (folder / "feat.params").is_file() else {}
    lengths = _svspec_lengths(feat_params["svspec"]) if "svspec" in feat_params else None
    if lengths is not None and lengths != cb.veclen.tolist():
        raise ModelFileError(f"{folder / 'feat.params'}: -svspec gives streams of {lengths} dimensions, the means "
                             f"have {cb.veclen.tolist()}. Both files must come from the same acoustic model.")
    noise = read_noisedict(folder / "noisedict") if (folder / "noisedict").is_file() else {}
    unknown = sorted({ph for prons in noise.values() for pron in prons for ph in pron} - set(mdef.ci_phones))
    if unknown:
        raise ModelFileError(f"{folder / 'noisedict'}: phones {unknown} are not in the model definition "
                             f"({' '.join(mdef.ci_phones)}).")
    dict_path = next((p for p in (folder.parent / f"cmudict-{folder.name}.dict", folder.parent / f"{folder.name}.dict",
                                  folder / f"{folder.name}.dict") if p.is_file()), None)
    model = SphinxModel(
        path=folder, mdef=mdef, kind=kind, senone_codebook=senone_codebook.astype(np.int32), means=cb.means,
        variances=cb.variances, precisions=cb.precisions, log_norm=cb.log_norm, veclen=cb.veclen,
        log_mixw=log_mixw, log_tmat=log_tmat, feat_params=feat_params, noise_dict=noise,
        dictionary_path=dict_path, n_floored_variances=cb.n_floored,
    )
    for obj in (model, mdef):
        for value in vars(obj).values():
            if isinstance(value, np.ndarray):
                value.flags.writeable = False
    return model


def load_sphinx_model(
    path: str | os.PathLike | None = None,
    *,
    name: str = "en-us",
    varfloor: float = VARFLOOR,
    tmatfloor: float = TMATFLOOR,
    mixwfloor: float = MIXWFLOOR,
    dequantize: Literal["center", "pocketsphinx"] = "center",
) -> SphinxModel:
    """Load (once per process) a Sphinx acoustic-model folder.

    Parameters
    ----------
    path : path, optional
        The model folder; default: see :func:`find_model_dir` (``$SEQTAG_SPHINX_MODEL``,
        then PocketSphinx's ``name`` model).
    name : str
        Model shipped in the ``pocketsphinx`` package.
    varfloor, tmatfloor, mixwfloor : float
        PocketSphinx's ``-varfloor`` (1e-4), ``-tmatfloor`` (1e-4), ``-mixwfloor``
        (1e-7; only for a float ``mixture_weights`` file).
    dequantize : {"center", "pocketsphinx"}
        How ``sendump`` bytes become log weights (:func:`.mixw.read_sendump`).

    Returns
    -------
    SphinxModel
        Shared between calls with the same folder, options and unchanged files;
        its arrays are read-only.

    Raises
    ------
    ModelFileError
        No model found, or missing, corrupt or mutually inconsistent files.

    Examples
    --------
    >>> model = load_sphinx_model()  # doctest: +SKIP
    >>> model.kind, model.n_mgau, model.n_sen, model.log_mixw.shape  # doctest: +SKIP
    ('ptm', 42, 5126, (5126, 3, 128))
    """
    folder = find_model_dir(name, path=path).resolve()
    try:
        stamp = tuple((p.name, st.st_size, st.st_mtime_ns) for p in sorted(folder.iterdir()) if p.is_file()
                      for st in [p.stat()])
    except OSError as exc:
        raise ModelFileError(f"{folder}: cannot list the model folder ({exc.strerror or exc}).") from None
    key = (str(folder), float(varfloor), float(tmatfloor), float(mixwfloor), dequantize, stamp)
    with _LOCK:
        model = _CACHE.get(key)
        if model is None:
            for old in [k for k in _CACHE if k[0] == key[0]]:
                if old[-1] != stamp:
                    del _CACHE[old]  # the files changed: drop stale copies
            model = _CACHE[key] = _load(folder, varfloor, tmatfloor, mixwfloor, dequantize)
    return model


def clear_sphinx_model_cache() -> None:
    """Forget every model loaded by :func:`load_sphinx_model`."""
    with _LOCK:
        _CACHE.clear()
