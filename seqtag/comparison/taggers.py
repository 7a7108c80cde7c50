"""Same corpus, same split, many taggers -> one DataFrame (and a report folder).

:func:`compare` trains every model on the same training sentences, tags the
same test sentences and scores them with the same metrics
(:func:`seqtag.evaluation.evaluate`), adding training time, tagging speed,
model size on disk, peak memory and paired significance against the best model.
With ``cv=K`` it runs document-level cross-validation instead.
"""

from __future__ import annotations

import ctypes
import gc
import os
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from .. import metrics
from ..corpora import Corpus, MissingSplitError, load_corpus, load_folds
from ..evaluation import evaluate
from ..exceptions import InputError
from ..registry import MODELS, PRESET_CURVES, PRESETS, make_model, model_names
from ._parallel import check_n_jobs, run_jobs

__all__ = ["compare", "ComparisonResult", "learning_curve"]

@dataclass
class ComparisonResult:
    """Everything :func:`compare` measured.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per model (the return value of :func:`compare`).
    predictions : dict of str to list of list of str
        Test-split predictions of each model (single split only).
    gold : Corpus
        The test split.
    folds : pandas.DataFrame or None
        One row per (model, fold) with ``cv``.
    curves : pandas.DataFrame or None
        Learning curves: model, train_sentences, train_tokens, accuracy.
    """

    table: pd.DataFrame
    predictions: dict[str, list[list[str]]] = field(default_factory=dict)
    gold: Corpus | None = None
    folds: pd.DataFrame | None = None
    curves: pd.DataFrame | None = None
    info: dict[str, Any] = field(default_factory=dict)


def _release_freed_memory() -> None:
    """Collect garbage and hand glibc's free heap pages back to the OS.

    Without this, what the previous model freed stays in the process and the next
    model reuses it without its resident size growing: a BiLSTM-CRF measured after a
    BiLSTM showed 2 MB of peak memory instead of its own ~200.
    """
    gc.collect()
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (AttributeError, OSError, TypeError):  # not glibc (macOS, Windows, musl): best effort
        pass


class _PeakRSS:
    """Peak resident memory above the starting point, sampled every few ms (Linux /proc).

    The start is taken after :func:`_release_freed_memory`, so a model's figure does
    not depend on what ran before it.
    """

    def __init__(self, interval: float = 0.005):
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()

    @staticmethod
    def rss() -> int:
        try:
            with open("/proc/self/statm") as fh:
                return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError):
            return 0

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            time.sleep(self.interval)

    def __enter__(self):
        _release_freed_memory()
        self.start = self.peak = self.rss()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.rss())

    @property
    def megabytes(self) -> float:
        return (self.peak - self.start) / 2**20


def _resolve_models(models, preset: str, random_state: int | None = None) -> dict[str, Any]:
    if preset not in PRESETS:
        raise InputError(f"unknown preset {preset!r}; valid presets: {', '.join(PRESETS)}")
    if isinstance(models, str):
        models = [m.strip() for m in models.split(",") if m.strip()]
    items = models.items() if isinstance(models, Mapping) else [(m, m) for m in models]
    out = {}
    for name, spec in items:
        if isinstance(spec, str):
            if spec not in MODELS or MODELS[spec].kind != "tagger":
                raise InputError(f"unknown model {spec!r}; valid models: {', '.join(model_names('tagger'))}")
            tagger = make_model(spec, preset, kind="tagger")
            if "random_state" in tagger.get_params() and tagger.get_params()["random_state"] is None:
                tagger.set_params(random_state=random_state)  # same seed, same table
            out[name] = tagger
        elif hasattr(spec, "fit") and hasattr(spec, "predict"):
            out[name] = spec
        else:
            raise InputError(f"model {name!r} must be a preset name or a Tagger, got {type(spec).__name__}")
    if not out:
        raise InputError(f"no models given; valid models: {', '.join(model_names('tagger'))}")
    return out


def _without_bars(tagger):
    """A clone of ``tagger`` with ``verbose=False`` if it has that parameter, else ``tagger``."""
    if tagger.get_params().get("verbose"):
        return clone(tagger).set_params(verbose=False)
    return tagger


def _fit(tagger, train: Corpus, dev: Corpus | None):
    if dev is not None and getattr(tagger, "uses_dev_set", False):
        return tagger.fit(train.X, train.y, X_dev=dev.X, y_dev=dev.y)
    return tagger.fit(train.X, train.y)


def _disk_size_mb(tagger) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        path = tagger.save(Path(tmp) / "model")
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


#: (class, parameters) of the models warmed up in this process (a forked worker inherits the
#: set together with the warm libraries it stands for).
_WARMED: set[tuple[type, str]] = set()


def _warm_up(proto, train: Corpus) -> None:
    """Fit and use a copy of ``proto`` with its ``warm_up_params`` on a few sentences.

    The libraries a model uses start once per process (Numba compiles or loads its
    kernels, torch picks its kernels): a bilstm-crf measured as the first torch model of a
    fresh process showed 324 MB of peak memory, the same fit measured again 114 MB. Without
    this, a model's time and memory would depend on what ran before it in its process.
    Once per configuration and process: the next fold or learning-curve point of the same
    model finds everything started.
    """
    params = getattr(proto, "warm_up_params", None)
    if params is None:
        return
    key = (type(proto), repr(sorted(proto.get_params().items())))
    if key in _WARMED:
        return
    n = min(len(train), 8)
    tiny = clone(proto).set_params(**params)
    tiny.fit(train.X[:n], train.y[:n]).predict(train.X[:n])
    _WARMED.add(key)


def _run_one(name, proto, train, dev, test, vocab, progress) -> tuple[dict, list[list[str]]]:
    tagger = clone(proto)
    if progress:
        print(f"[compare] {name}: training on {len(train)} sentences", flush=True)
    _warm_up(proto, train)
    with _PeakRSS() as mem:
        t0 = time.perf_counter()
        _fit(tagger, train, dev)
        train_s = time.perf_counter() - t0
        # warm-up on the whole split: a few sentences may take another path than the timed call
        # (the HMM decodes <= 256 tokens in NumPy until Numba is loaded), leaving its loading in the timing
        pred = tagger.predict(test.X)
        row = evaluate(tagger, test, vocab=vocab)
    row = {"model": name, **row, "train_s": train_s, "size_mb": _disk_size_mb(tagger),
           "peak_mem_mb": mem.megabytes}
    return row, pred


def _by_name(corpus) -> bool:
    """A corpus name, a path to the user's files, or None (their files are in the options)."""
    return corpus is None or isinstance(corpus, (str, os.PathLike))


def _corpus_label(corpus) -> str:
    if corpus is None:
        return "files"
    return os.fspath(corpus) if _by_name(corpus) else "custom"


def _load_splits(corpus, corpus_options, train_split, dev_split, test_split):
    if _by_name(corpus):
        opts = dict(corpus_options or {})
        train = load_corpus(corpus, split=train_split, **opts)
        test = load_corpus(corpus, split=test_split, **opts)
        try:
            dev = load_corpus(corpus, split=dev_split, **opts) if dev_split else None
        except MissingSplitError:  # the user's files without a dev part: no early stopping
            dev = None
        return train, dev, test
    if isinstance(corpus, Sequence) and len(corpus) in (2, 3) and all(isinstance(c, Corpus) for c in corpus):
        train, *rest = corpus
        return (train, None, rest[0]) if len(rest) == 1 else (train, rest[0], rest[1])
    raise InputError("corpus must be a corpus name or a (train, [dev,] test) tuple of Corpus objects")


def compare(
    models,
    corpus="ptb-sample",
    *,
    preset: str = "quick",
    cv: int | None = None,
    train_split: str = "train",
    dev_split: str | None = "dev",
    test_split: str = "test",
    corpus_options: dict | None = None,
    curve_sizes: Sequence[float] | None = None,
    significance: bool = True,
    n_resamples: int = 1000,
    random_state: int = 0,
    progress: bool = False,
    return_result: bool = False,
    n_jobs: int = 1,
):
    """Train and score several taggers on the same data.

    Parameters
    ----------
    models : str, list of str, or dict of str to Tagger
        Preset names (``"baseline,hmm2,crf"`` or a list; see ``seqtag list``)
        or named tagger instances.
    corpus : str, path-like, tuple of Corpus or None
        A corpus name, the user's own tagged file or folder (``None`` when
        ``corpus_options`` holds ``train``/``dev``/``test`` paths; see
        :func:`seqtag.corpora.user.load_files`), or ``(train, test)`` /
        ``(train, dev, test)`` corpora.
    preset : {"quick", "full"}
        Parameter overrides for the named models (:data:`seqtag.registry.PRESETS`).
    cv : int, optional
        Run document-level ``cv``-fold cross-validation over train + dev
        instead of the fixed split; the table then holds means and standard
        deviations, and the test split is not touched.
    curve_sizes : sequence of float, "preset" or None
        Fractions of the training sentences for learning curves, e.g.
        ``(0.1, 0.25, 0.5, 1.0)``; ``"preset"`` takes the preset's
        (:data:`seqtag.registry.PRESET_CURVES`, what ``seqtag compare`` does).  The point at
        1.0 reuses the main run's accuracy.
    significance : bool
        Add McNemar and paired-bootstrap p-values of each model against the
        most accurate one.
    n_resamples : int
        Bootstrap resamples.
    random_state : int
        Seeds the named models that take a ``random_state`` (so the same call
        gives the same table), the bootstrap, the CV folds and the curve's
        document order.
    progress : bool
        Print a line per model.
    return_result : bool
        Return a :class:`ComparisonResult` (table, predictions, curves) instead
        of only the table.
    n_jobs : int, default 1
        Fit this many models (and curve points) side by side in worker processes
        (``-1``: one per CPU core), each on its share of the cores' threads; the
        table is the same, each model's ``train_s`` is then measured on fewer threads,
        and the models' own progress bars are off (``progress`` lines stay).

    Returns
    -------
    pandas.DataFrame or ComparisonResult
        One row per model, indexed by model name.

    Examples
    --------
    >>> from seqtag.corpora import Corpus
    >>> tr = Corpus("toy", "train", [["a", "dog"], ["the", "cat"]] * 5, [["DT", "NN"]] * 10, ["d"] * 10)
    >>> te = Corpus("toy", "test", [["a", "cat"]], [["DT", "NN"]], ["e"])
    >>> compare(["baseline"], (tr, te))["accuracy"].tolist()
    [1.0]
    """
    protos = _resolve_models(models, preset, random_state)
    n_jobs = check_n_jobs(n_jobs)
    if n_jobs > 1:  # bars drawn by two processes on one terminal overwrite each other
        protos = {name: _without_bars(proto) for name, proto in protos.items()}
    if isinstance(curve_sizes, str):  # checked before hours of training, not after
        if curve_sizes != "preset":
            raise InputError(f"curve_sizes must be fractions, None or 'preset', got {curve_sizes!r}")
        curve_sizes = PRESET_CURVES[preset]
    if curve_sizes:
        curve_sizes = _check_sizes(curve_sizes)
    info = {"preset": preset, "cv": cv, "corpus": _corpus_label(corpus)}
    if cv is not None:
        if not _by_name(corpus):
            raise InputError("cv needs a corpus name (folds are built from its train and dev splits)")
        return _compare_cv(protos, corpus, cv, corpus_options, random_state, progress, info, return_result, n_jobs)

    train, dev, test = _load_splits(corpus, corpus_options, train_split, dev_split, test_split)
    vocab = {w for s in train.X for w in s}
    main_jobs = [(_run_one, (name, proto, train, dev, test, vocab, progress)) for name, proto in protos.items()]
    points = _curve_points(protos, train, curve_sizes or (), random_state)
    todo = [p for p in points if not _known(p, train, protos)]
    done = run_jobs(main_jobs + _curve_jobs(todo, dev, test, progress), n_jobs)
    mains, fitted = done[:len(protos)], done[len(protos):]
    rows, preds = [row for row, _ in mains], dict(zip(protos, (pred for _, pred in mains)))
    table = pd.DataFrame(rows).set_index("model")
    if significance and len(table) > 1:
        _add_significance(table, preds, test, n_resamples, random_state)
    curves = None
    if curve_sizes:
        curves = _curve_table(points, train, dict(table["accuracy"]), fitted)
    result = ComparisonResult(table, preds, test, None, curves, info)
    return result if return_result else table


def _add_significance(table, preds, test, n_resamples, random_state) -> None:
    best = table["accuracy"].idxmax()
    mc, boot = [], []
    for name in table.index:
        if name == best:
            mc.append(np.nan)
            boot.append(np.nan)
            continue
        mc.append(metrics.mcnemar(test.y, preds[best], preds[name]).pvalue)
        boot.append(metrics.paired_bootstrap(test.y, preds[best], preds[name], n_resamples=n_resamples,
                                             random_state=random_state).pvalue)
    table["best"] = [name == best for name in table.index]
    table["p_mcnemar_vs_best"] = mc
    table["p_bootstrap_vs_best"] = boot


def _compare_cv(protos, corpus, k, corpus_options, random_state, progress, info, return_result, n_jobs=1):
    folds = load_folds(corpus, k=k, seed=random_state, **dict(corpus_options or {}))
    jobs, fold_of = [], []
    for f, (train, test) in enumerate(folds):
        vocab = {w for s in train.X for w in s}
        jobs.extend((_run_one, (name, proto, train, None, test, vocab, progress)) for name, proto in protos.items())
        fold_of.extend([f] * len(protos))
    rows = [{"fold": f, **row} for f, (row, _) in zip(fold_of, run_jobs(jobs, n_jobs))]
    per_fold = pd.DataFrame(rows)
    numeric = per_fold.drop(columns=["fold"]).groupby("model", sort=False)
    mean, std = numeric.mean(), numeric.std(ddof=1)
    table = mean.join(std.add_suffix("_std"))
    table["folds"] = k
    result = ComparisonResult(table, {}, None, per_fold, None, info)
    return result if return_result else table


def _check_sizes(sizes) -> list[float]:
    sizes = sorted(float(s) for s in sizes)
    if not sizes or sizes[0] <= 0 or sizes[-1] > 1:
        raise InputError(f"sizes must be fractions in (0, 1], got {list(sizes)}")
    return sizes


def learning_curve(models, train: Corpus, test: Corpus, *, dev: Corpus | None = None,
                   sizes: Sequence[float] = (0.1, 0.25, 0.5, 1.0), random_state: int = 0,
                   progress: bool = False, full_scores: Mapping[str, float] | None = None,
                   n_jobs: int = 1) -> pd.DataFrame:
    """Accuracy against training-set size for each model (where does one overtake another?).

    Training subsets are whole documents drawn in one fixed random order, so
    each larger subset contains the smaller ones.

    Parameters
    ----------
    models : dict of str to Tagger
        Unfitted prototypes (cloned for every size).
    train, test : Corpus
    dev : Corpus, optional
        Passed to taggers that early-stop on a dev set.
    sizes : sequence of float
        Fractions in (0, 1].
    random_state : int
        Seeds the document order.
    progress : bool
        Print a line per fit.
    full_scores : mapping of str to float, optional
        Test accuracy of models already trained on the whole of ``train``
        (with the same ``dev``); used for the fraction 1.0 instead of training again.
    n_jobs : int, default 1
        Fits run side by side in this many worker processes (``-1``: one per CPU
        core), each with its share of the cores' threads.

    Returns
    -------
    pandas.DataFrame
        Columns ``model``, ``fraction``, ``train_sentences``, ``train_tokens``, ``accuracy``.
    """
    sizes = _check_sizes(sizes)
    points = _curve_points(models, train, sizes, random_state)
    known = dict(full_scores or {})
    todo = [p for p in points if not _known(p, train, known)]
    return _curve_table(points, train, known, run_jobs(_curve_jobs(todo, dev, test, progress), check_n_jobs(n_jobs)))


def _curve_points(models, train: Corpus, sizes, random_state: int) -> list[tuple[str, Any, float, Corpus]]:
    """``(name, prototype, fraction, training subset)`` of each curve point, biggest subsets first.

    Subsets are whole documents taken in one seeded order, so each contains the smaller ones.
    """
    docs = list(dict.fromkeys(train.doc_ids))
    order = [docs[i] for i in np.random.default_rng(random_state).permutation(len(docs))]
    out = []
    for frac in sorted(sizes, reverse=True):
        kept = set(order[: max(1, round(frac * len(order)))])
        sub = train.subset([i for i, d in enumerate(train.doc_ids) if d in kept])
        out.extend((name, proto, frac, sub) for name, proto in models.items())
    return out


def _known(point, train: Corpus, known) -> bool:
    """A point on the whole of ``train`` whose accuracy is known already (the main run's)."""
    return len(point[3]) == len(train) and point[0] in known


def _curve_fit(name: str, proto, sub: Corpus, dev: Corpus | None, test: Corpus, progress: bool) -> float:
    if progress:
        print(f"[curve] {name}: {len(sub)} sentences", flush=True)
    return float(_fit(clone(proto), sub, dev).score(test.X, test.y))


def _curve_jobs(points, dev, test, progress) -> list:
    return [(_curve_fit, (name, proto, sub, dev, test, progress)) for name, proto, _, sub in points]


def _curve_table(points, train: Corpus, known: Mapping[str, float], fitted: Sequence[float]) -> pd.DataFrame:
    """The curve's rows: a known accuracy for each point :func:`_known` names, else the next of ``fitted``."""
    fitted = iter(fitted)
    accuracies = [known[p[0]] if _known(p, train, known) else next(fitted) for p in points]
    rows = [{"model": name, "fraction": frac, "train_sentences": len(sub), "train_tokens": sub.n_tokens,
             "accuracy": float(acc)} for (name, _, frac, sub), acc in zip(points, accuracies)]
    order = {name: i for i, name in enumerate(dict.fromkeys(r["model"] for r in rows))}
    rows.sort(key=lambda r: (r["fraction"], order[r["model"]]))
    return pd.DataFrame(rows, columns=["model", "fraction", "train_sentences", "train_tokens", "accuracy"])
