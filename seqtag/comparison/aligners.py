"""Same utterances, several forced aligners -> one DataFrame (and a report folder).

:func:`compare_aligners` trains every aligner on the same training utterances
(timed), aligns every test utterance one at a time (timed, so the speed is
"× real time" for a single stream) and pools the boundary errors over all test
utterances with :func:`seqtag.align.boundary_metrics.boundary_report`:

* **words**: every word start and end against the reference words;
* **phones**: only for utterances whose reference phone tier has as many
  intervals as the aligner's phone tier (the aligner's ``unit_kind`` must be
  ``"phones"``; character tiers are never scored as phones). Phone *labels* are
  not compared (a reference in espeak or IPA symbols and a hypothesis in ARPAbet
  can still be compared boundary by boundary); other utterances are counted in
  ``phone_skipped``.

:func:`seqtag.align.mfa_check.mfa_agreement` measures how far an aligner's
word boundaries are from the TextGrids of a folder aligned by the Montreal
Forced Aligner (agreement with MFA, not accuracy: MFA's output is not a hand
labelling).

**Protocols.** ``"heldout"`` (default): every aligner learns from the training
utterances only. ``"mfa"``: aligners that never read reference boundaries when
they learn (the HMM aligner) also learn from the audio and transcripts of the
utterances they then align (MFA's way of working); their references are removed
first, so they are only used to score.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import InputError, ModelFileError
from .boundary_metrics import boundary_errors, boundary_report
from .spans import Interval

__all__ = [
    "ALIGNERS", "AlignerSpec", "AlignerRun", "AlignerDetails", "PRESETS", "PROTOCOLS", "compare_aligners",
    "load_aligner", "load_splits", "pooled_report", "strip_references",
]

PRESETS = ("quick", "full")
PROTOCOLS = ("heldout", "mfa")
_METRICS = (("mae_ms", "mean_abs_ms"), ("median_ms", "median_abs_ms"), ("within_10ms", "within_10ms"),
            ("within_20ms", "within_20ms"), ("within_50ms", "within_50ms"), ("f1_20ms", "boundary_f1"))
_TOLERANCE = 0.02


@dataclass(frozen=True)
class AlignerSpec:
    """How to build and train one named aligner.

    Attributes
    ----------
    factory : callable
        ``factory(**params[preset])`` returns an unfitted aligner.
    params : dict of str to dict
        Constructor arguments per preset (``quick``, ``full``).
    fit_kwargs : dict of str to dict
        Keyword arguments of ``fit`` per preset (``progress`` is added; ``seed`` too when ``seeded``).
    seeded : bool
        ``fit`` takes ``seed=``.
    unsupervised : bool
        ``fit`` never reads reference boundaries (may learn from the test audio under protocol ``"mfa"``).
    description : str
    """

    factory: Callable[..., Any]
    params: Mapping[str, Mapping[str, Any]]
    fit_kwargs: Mapping[str, Mapping[str, Any]]
    seeded: bool
    unsupervised: bool
    description: str


def _hmm(**params):
    from .hmm_gmm import HMMAligner

    return HMMAligner(**params)


def _ctc(**params):
    from .aligner import CTCAligner

    return CTCAligner(**params)


def _attention(**params):
    from .attention import AttentionAligner

    return AttentionAligner(**params)


#: Named aligners. ``quick`` is small enough for tests and a demo; ``full`` holds the
#: settings behind the figures in docs/benchmarks.md.
ALIGNERS: dict[str, AlignerSpec] = {
    "hmm": AlignerSpec(
        _hmm,
        {"quick": {"max_components": 2, "viterbi_iter": 3, "em_iter": 2}, "full": {}},
        {"quick": {}, "full": {}},
        seeded=False, unsupervised=True,
        description="flat-start GMM-HMM (seqtag.align.hmm_gmm.HMMAligner)",
    ),
    "ctc": AlignerSpec(
        _ctc,
        {"quick": {"model_params": {"hidden": 32, "channels": 32, "layers": 1}},
         "full": {"model_params": {"hidden": 128, "channels": 128, "layers": 2}}},
        {"quick": {"epochs": 15, "batch_size": 4, "lr": 5e-3},
         "full": {"epochs": 30, "batch_size": 4, "lr": 2e-3}},
        seeded=True, unsupervised=False,
        description="CTC conv + BiLSTM, calibrated spans snapped to pauses (seqtag.align.aligner.CTCAligner)",
    ),
    "attention": AlignerSpec(
        _attention,
        {"quick": {"model_params": {"hidden": 32, "channels": 32, "layers": 1, "dec_hidden": 64, "att_dim": 64,
                                    "embed": 32}},
         "full": {}},
        {"quick": {"epochs": 15, "batch_size": 4}, "full": {}},
        seeded=True, unsupervised=False,
        description="attention encoder-decoder + monotonic path (seqtag.align.attention.AttentionAligner)",
    ),
}

#: ``"class"`` field of a saved aligner -> (module, class name).
_CLASSES = {
    "CTCAligner": ("seqtag.align.aligner", "CTCAligner"),
    "HMMAligner": ("seqtag.align.hmm_gmm", "HMMAligner"),
    "AttentionAligner": ("seqtag.align.attention", "AttentionAligner"),
}
_CONFIG_FILES = ("aligner.json", "hmm_aligner.json")


def load_aligner(folder: str | os.PathLike):
    """Load a saved aligner of any class (CTC, HMM, attention) from its folder.

    The class is read from the ``"class"`` field of ``aligner.json`` (CTC and
    attention aligners) or ``hmm_aligner.json`` (HMM aligner).

    Parameters
    ----------
    folder : str or path-like

    Returns
    -------
    CTCAligner, HMMAligner or AttentionAligner

    Raises
    ------
    ModelFileError
        No aligner configuration in the folder, or an unknown class.

    Examples
    --------
    >>> aligner = load_aligner("my_aligner/")  # doctest: +SKIP
    """
    p = Path(folder)
    config = next((p / name for name in _CONFIG_FILES if (p / name).is_file()), None)
    if config is None:
        raise ModelFileError(f"{str(p)!r} is not a saved aligner (needs {' or '.join(_CONFIG_FILES)}; "
                             f"train one with `seqtag train-aligner`)")
    try:
        cls_name = json.loads(config.read_text()).get("class")
    except (json.JSONDecodeError, AttributeError) as exc:
        raise ModelFileError(f"cannot read {str(config)!r}: {exc}") from exc
    if cls_name not in _CLASSES:
        raise ModelFileError(f"{str(config)!r} names class {cls_name!r}; known aligner classes: {', '.join(_CLASSES)}")
    module, name = _CLASSES[cls_name]
    return getattr(importlib.import_module(module), name).load(p)


def strip_references(utterances) -> list:
    """Copies of the utterances without reference words/phones (what an unsupervised aligner may see)."""
    return [dataclasses.replace(u, words=None, phones=None) for u in utterances]


def _positional(ref: list[Interval], hyp: list[Interval]) -> list[Interval]:
    """``hyp`` with ``ref``'s labels (same count): boundaries are compared by position."""
    return [Interval(r.label, h.start, h.end, h.score) for r, h in zip(ref, hyp)]


def pooled_report(refs: Sequence[Sequence[Interval]], hyps: Sequence[Sequence[Interval]],
                  tolerance: float = _TOLERANCE) -> dict:
    """:func:`~seqtag.align.boundary_metrics.boundary_report` over many utterances at once.

    The utterances are laid end to end (with a gap wider than ``tolerance``) so
    that boundaries of different utterances are never matched to each other;
    each ``refs[i]``/``hyps[i]`` pair must have the same labels.

    Returns
    -------
    dict
        As ``boundary_report``; every metric is ``nan`` when there is no boundary.

    Examples
    --------
    >>> a = [[Interval("a", 0.0, 0.5)], [Interval("b", 0.0, 1.0)]]
    >>> b = [[Interval("a", 0.01, 0.5)], [Interval("b", 0.0, 1.05)]]
    >>> r = pooled_report(a, b)
    >>> r["n_boundaries"], r["mean_abs_ms"], r["within_20ms"]
    (4, 15.0, 75.0)
    """
    if len(refs) != len(hyps):
        raise InputError(f"refs and hyps must hold the same number of utterances, got {len(refs)} and {len(hyps)}")
    r_all, h_all, off = [], [], 0.0
    for r, h in zip(refs, hyps):
        r_all += [Interval(v.label, v.start + off, v.end + off) for v in r]
        h_all += [Interval(v.label, v.start + off, v.end + off) for v in h]
        off += max([v.end for v in [*r, *h]], default=0.0) + 1.0 + 2 * tolerance
    rep = boundary_report(r_all, h_all, tolerance=tolerance)
    if rep["n_boundaries"] == 0:
        rep = {k: (0 if k == "n_boundaries" else float("nan")) for k in rep}
    return rep


# ------------------------------------------------------------------------------ comparison
@dataclass
class AlignerRun:
    """What one aligner did on the test utterances.

    Attributes
    ----------
    name : str
    aligner : object
        The trained aligner.
    results : list of AlignmentResult or None
        One per test utterance; ``None`` when aligning it raised an error.
    failures : dict of int to str
        Test utterance index -> error message.
    word_errors, phone_errors : list of ndarray or None
        Signed boundary errors ``hyp - ref`` in seconds per test utterance
        (``[start_0, end_0, ...]``); ``None`` when not scored.
    train_s, align_s : float
        Training time (``nan`` for an aligner passed already trained) and total
        alignment time.
    trained_on : str
        ``"train"``, ``"train+test"`` (protocol ``"mfa"``) or ``"given"``.
    """

    name: str
    aligner: Any
    results: list
    failures: dict[int, str]
    word_errors: list
    phone_errors: list
    train_s: float
    align_s: float
    trained_on: str


@dataclass
class AlignerDetails:
    """Per-utterance results of :func:`compare_aligners` (for reports).

    Attributes
    ----------
    test : list of Utterance
    runs : dict of str to AlignerRun
    mfa : pandas.DataFrame or None
        Agreement with MFA's TextGrids, rows ``(aligner, file)`` (see
        :func:`~seqtag.align.mfa_check.mfa_agreement`).
    info : dict
        Preset, protocol, seed, corpus names, sizes.
    """

    test: list
    runs: dict[str, AlignerRun]
    mfa: pd.DataFrame | None = None
    info: dict = field(default_factory=dict)

    def per_utterance(self) -> pd.DataFrame:
        """One row per (aligner, test utterance): word/phone MAE in ms and the error, if any."""
        rows = []
        for name, run in self.runs.items():
            for i, u in enumerate(self.test):
                we, pe = run.word_errors[i], run.phone_errors[i]
                rows.append({"aligner": name, "utterance": u.id, "duration_s": u.duration,
                             "word_mae_ms": np.nan if we is None else float(np.abs(we).mean() * 1000),
                             "phone_mae_ms": np.nan if pe is None else float(np.abs(pe).mean() * 1000),
                             "error": run.failures.get(i, "")})
        return pd.DataFrame(rows)


def _resolve(aligners, preset: str) -> dict[str, tuple[Any, AlignerSpec | None]]:
    valid = ", ".join(ALIGNERS)
    if preset not in PRESETS:
        raise InputError(f"unknown preset {preset!r}; valid presets: {', '.join(PRESETS)}")
    if isinstance(aligners, str):
        aligners = [a.strip() for a in aligners.split(",") if a.strip()]
    if isinstance(aligners, Mapping):
        items = list(aligners.items())
    else:
        items = [(a if isinstance(a, str) else f"{type(a).__name__}_{i}", a) for i, a in enumerate(aligners)]
    out = {}
    for name, spec in items:
        if isinstance(spec, str) and spec in ALIGNERS:
            s = ALIGNERS[spec]
            out[name] = (s.factory(**_copy(s.params[preset])), s)
        elif isinstance(spec, (str, os.PathLike)) and Path(spec).is_dir():
            out[Path(spec).name if name == spec else name] = (load_aligner(spec), None)
        elif isinstance(spec, str):
            raise InputError(f"unknown aligner {spec!r}; valid aligners: {valid} (or a folder of a saved aligner)")
        elif callable(getattr(spec, "align", None)):
            out[name] = (spec, None)
        else:
            raise InputError(f"aligner {name!r} must be a name ({valid}), a saved aligner folder or an object with "
                             f"align(audio_path, transcript), got {type(spec).__name__}")
    if not out:
        raise InputError(f"no aligners given; valid aligners: {valid}")
    return out


def _copy(d: Mapping) -> dict:
    return json.loads(json.dumps(d))  # deep copy of plain JSON values: presets are never mutated


def _fit(aligner, spec: AlignerSpec, preset: str, utterances, seed: int, progress: bool) -> float:
    kwargs = {**_copy(spec.fit_kwargs[preset]), "progress": progress}
    if spec.seeded:
        kwargs["seed"] = seed
    t0 = time.perf_counter()
    aligner.fit(utterances, **kwargs)
    return time.perf_counter() - t0


def _score(ref: list[Interval] | None, hyp: list[Interval]) -> np.ndarray | None:
    if not ref or len(ref) != len(hyp):
        return None
    return boundary_errors(ref, _positional(ref, hyp))


def _align_all(name, aligner, test, progress) -> tuple[list, dict, float]:
    from ..exceptions import SeqtagError

    results, failures = [], {}
    try:  # warm-up (compiled kernels, lazy caches); not timed
        aligner.align(test[0].audio_path, test[0].transcript)
    except SeqtagError:
        pass
    t0 = time.perf_counter()
    for i, u in enumerate(test):
        try:
            results.append(aligner.align(u.audio_path, u.transcript))
        except SeqtagError as exc:
            results.append(None)
            failures[i] = f"{type(exc).__name__}: {exc}"
    align_s = time.perf_counter() - t0
    if progress:
        print(f"[compare-aligners] {name}: aligned {len(test) - len(failures)}/{len(test)} utterances in "
              f"{align_s:.1f} s", flush=True)
    return results, failures, align_s


def _row(run: AlignerRun, test, train_n) -> dict:
    audio_s = float(sum(u.duration for u in test))
    row = {"aligner": run.name, "class": type(run.aligner).__name__, "trained_on": run.trained_on,
           "train_utts": train_n, "train_s": run.train_s, "test_utts": len(test), "failed": len(run.failures),
           "audio_s": audio_s, "align_s": run.align_s,
           "x_realtime": audio_s / run.align_s if run.align_s > 0 else np.inf}
    for tier, errs, ref_of, hyp_of in (
        ("word", run.word_errors, lambda u: u.words, lambda r: r.words),
        ("phone", run.phone_errors, lambda u: u.phones, lambda r: r.units),
    ):
        idx = [i for i, e in enumerate(errs) if e is not None]
        rep = pooled_report([ref_of(test[i]) for i in idx], [_positional(ref_of(test[i]), hyp_of(run.results[i]))
                                                               for i in idx])
        if tier == "phone":
            row["phone_utts"] = len(idx)
            row["phone_skipped"] = sum(1 for i, u in enumerate(test) if u.phones and errs[i] is None)
        row[f"{tier}_boundaries"] = int(rep["n_boundaries"])
        for col, key in _METRICS:
            row[f"{tier}_{col}"] = float(rep[key])
    return row


def compare_aligners(
    aligners,
    train,
    test,
    *,
    preset: str = "quick",
    protocol: str = "heldout",
    seed: int = 0,
    mfa_dir: str | os.PathLike | None = None,
    progress: bool = False,
    return_details: bool = False,
):
    """Train several forced aligners on the same utterances and score them on the same test set.

    Parameters
    ----------
    aligners : str, list or dict
        Names from :data:`ALIGNERS` (``"hmm,ctc,attention"`` or a list), folders of
        saved aligners, or ``{name: name, folder or aligner object}``. Objects (anything
        with ``align(audio_path, transcript) -> AlignmentResult``) and folders are used
        as they are, without training.
    train, test : sequence of Utterance
        E.g. two :class:`~seqtag.corpora.speech.SpeechCorpus` splits; every test
        utterance needs reference ``words`` (``phones`` are optional).
    preset : {"quick", "full"}
        Settings of the named aligners (:data:`ALIGNERS`).
    protocol : {"heldout", "mfa"}
        See the module docstring.
    seed : int
        Passed to the ``fit`` of seeded aligners.
    mfa_dir : path or None
        A folder aligned by MFA (audio + transcripts + TextGrids): add the agreement of
        every aligner with those TextGrids to the details (see
        :func:`~seqtag.align.mfa_check.mfa_agreement`).
    progress : bool
        Print a line per step and pass ``progress`` to ``fit``.
    return_details : bool
        Also return an :class:`AlignerDetails` with per-utterance results.

    Returns
    -------
    pandas.DataFrame or (DataFrame, AlignerDetails)
        One row per aligner, indexed by name: ``train_s``, ``x_realtime`` (test audio
        seconds per second of ``align`` calls, one utterance at a time, after one
        untimed warm-up call), ``failed`` (utterances that raised an error, left out of
        the metrics) and, for ``word`` and ``phone``: ``*_boundaries``, ``*_mae_ms``,
        ``*_median_ms``, ``*_within_10ms``/``20ms``/``50ms`` (percent), ``*_f1_20ms``
        (boundary F1 at 20 ms, a fraction), ``phone_utts`` (utterances scored on
        phones) and ``phone_skipped`` (with a reference phone tier but not scored).

    Examples
    --------
    >>> from seqtag.corpora.speech import load_speech_corpus
    >>> train = load_speech_corpus("synthetic", "train", n=40)  # doctest: +SKIP
    >>> test = load_speech_corpus("synthetic", "test", n=10)  # doctest: +SKIP
    >>> compare_aligners("hmm,ctc", train, test)[["word_mae_ms", "x_realtime"]]  # doctest: +SKIP
    """
    if protocol not in PROTOCOLS:
        raise InputError(f"unknown protocol {protocol!r}; valid protocols: {', '.join(PROTOCOLS)}")
    names = (getattr(train, "name", "custom"), getattr(test, "name", "custom"))
    train, test = list(train), list(test)
    if not test:
        raise InputError("the test set is empty")
    missing = [u.id for u in test if not getattr(u, "words", None)]
    if missing:
        raise InputError(f"{len(missing)} test utterances have no reference words (first: {missing[0]!r}); "
                         f"compare_aligners scores against references")
    models = _resolve(aligners, preset)
    if not train and any(spec is not None for _, spec in models.values()):
        raise InputError("the training set is empty (named aligners are trained on it)")
    runs = {}
    for name, (aligner, spec) in models.items():
        trained_on, train_s = "given", float("nan")
        if spec is not None:
            extra = protocol == "mfa" and spec.unsupervised
            data = train + strip_references(test) if extra else train
            trained_on = "train+test" if extra else "train"
            if progress:
                print(f"[compare-aligners] {name}: training on {len(data)} utterances", flush=True)
            train_s = _fit(aligner, spec, preset, data, seed, progress)
        results, failures, align_s = _align_all(name, aligner, test, progress)
        word = [None if r is None else _score(u.words, r.words) for u, r in zip(test, results)]
        phone = [None if r is None or r.unit_kind != "phones" else _score(u.phones, r.units)
                 for u, r in zip(test, results)]
        runs[name] = AlignerRun(name, aligner, results, failures, word, phone, train_s, align_s, trained_on)
    table = pd.DataFrame([_row(run, test, len(train)) for run in runs.values()]).set_index("aligner")
    info = {"preset": preset, "protocol": protocol, "seed": seed, "train_utts": len(train), "test_utts": len(test),
            "train_audio_s": float(sum(u.duration for u in train)),
            "test_audio_s": float(sum(u.duration for u in test)), "train_corpus": names[0], "test_corpus": names[1],
            "test_speakers": sorted({getattr(u, "speaker", "") for u in test})}
    details = AlignerDetails(test, runs, None, info)
    if mfa_dir is not None:
        details.mfa = _mfa_all(models, runs, train, mfa_dir, preset, protocol, seed, progress)
        info["mfa_dir"] = Path(mfa_dir).name
    return (table, details) if return_details else table


def _mfa_all(models, runs, train, folder, preset, protocol, seed, progress) -> pd.DataFrame:
    from ..corpora.speech import read_speech_folder
    from .mfa_check import mfa_agreement

    corpus = None
    frames = {}
    for name, (_, spec) in models.items():
        aligner, trained_on = runs[name].aligner, runs[name].trained_on
        if spec is not None and protocol == "mfa" and spec.unsupervised:
            corpus = corpus if corpus is not None else read_speech_folder(folder)
            aligner = spec.factory(**_copy(spec.params[preset]))
            if progress:
                print(f"[compare-aligners] {name}: training on train + {len(corpus)} MFA-folder recordings", flush=True)
            _fit(aligner, spec, preset, train + strip_references(corpus), seed, progress)
            trained_on = "train+mfa"
        df = mfa_agreement(aligner, folder)
        df.insert(0, "trained_on", trained_on)
        frames[name] = df
    return pd.concat(frames, names=["aligner", "file"])


def load_splits(corpus: str | os.PathLike, *, n_train: int, n_test: int, seed: int = 0,
                cache_dir: str | os.PathLike | None = None):
    """Train and test utterances of a named speech corpus or of a folder.

    ``synthetic`` / ``fsdd-strings``: their ``train`` and ``test`` splits (unseen
    voices / speakers). A folder with ``train/`` and ``test/`` subfolders: those; any
    other folder: a seeded random ``n_test`` of its utterances with reference words
    are the test set and the rest (at most ``n_train``) the training set.

    Returns
    -------
    (SpeechCorpus, SpeechCorpus)
    """
    from ..corpora.speech import SPEECH_CORPORA, SpeechCorpus, load_speech_corpus, read_speech_folder

    for what, n in (("n_train", n_train), ("n_test", n_test)):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise InputError(f"{what} must be a positive int, got {n!r}")
    if corpus in SPEECH_CORPORA:
        opts = {"seed": seed}
        if cache_dir is not None:
            opts["cache_dir"] = Path(cache_dir) / str(corpus)
        return (load_speech_corpus(corpus, "train", n=n_train, **opts),
                load_speech_corpus(corpus, "test", n=n_test, **opts))
    root = Path(corpus)
    if not root.is_dir():
        raise InputError(f"unknown speech corpus {str(corpus)!r}: expected one of {', '.join(SPEECH_CORPORA)} "
                         f"or an existing folder")
    if (root / "train").is_dir() and (root / "test").is_dir():
        train = read_speech_folder(root / "train", name=root.name, split="train")
        test = read_speech_folder(root / "test", name=root.name, split="test")
        return train[:n_train], test[:n_test]
    everything = read_speech_folder(root, name=root.name)
    scored = [i for i, u in enumerate(everything) if u.words]
    if len(scored) < 1 or len(everything) < 2:
        raise InputError(f"{str(root)!r} needs at least 2 recordings, some with reference word tiers (TextGrid)")
    rng = np.random.default_rng(seed)
    test_idx = set(rng.permutation(scored)[: min(n_test, len(everything) - 1)].tolist())
    rest = [u for i, u in enumerate(everything) if i not in test_idx][:n_train]
    test = [u for i, u in enumerate(everything) if i in test_idx]
    return SpeechCorpus(root.name, "train", rest), SpeechCorpus(root.name, "test", test)
