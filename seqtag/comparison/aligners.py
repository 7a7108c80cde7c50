"""Same utterances, several forced aligners -> one DataFrame (and a report folder).

:func:`compare_aligners` trains every aligner on the same training utterances
(timed), aligns every test utterance one at a time (timed, so the speed is
"× real time" for a single stream) and pools the boundary errors over all test
utterances with :func:`seqtag.metrics.pooled_boundary_report`:

* **words**: every word start and end against the reference words;
* **phones**: only for utterances whose reference phone tier has as many
  intervals as the aligner's phone tier (the aligner's ``unit_kind`` must be
  ``"phones"``; character tiers are never scored as phones). Phone *labels* are
  not compared (a reference in espeak or IPA symbols and a hypothesis in ARPAbet
  can still be compared boundary by boundary); other utterances are counted in
  ``phone_skipped``.

:func:`seqtag.comparison.mfa.mfa_agreement` measures how far an aligner's
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
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import InputError
from ..intervals import Interval
from ..metrics import boundary_errors, by_position, pooled_boundary_report
from ..registry import MODELS, PRESETS, make_model, model_names

__all__ = ["AlignerRun", "AlignerDetails", "PROTOCOLS", "compare_aligners", "load_splits", "strip_references"]

PROTOCOLS = ("heldout", "mfa")
_METRICS = (("mae_ms", "mean_abs_ms"), ("median_ms", "median_abs_ms"), ("within_10ms", "within_10ms"),
            ("within_20ms", "within_20ms"), ("within_50ms", "within_50ms"), ("f1_20ms", "boundary_f1"))


def strip_references(utterances) -> list:
    """Copies of the utterances without reference words/phones (what an unsupervised aligner may see)."""
    return [dataclasses.replace(u, words=None, phones=None) for u in utterances]


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
        :func:`~seqtag.comparison.mfa.mfa_agreement`).
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


def _resolve(aligners, preset: str, seed: int) -> dict[str, tuple[Any, str | None]]:
    """``{shown name: (aligner, registry name or None)}``; named aligners are built unfitted."""
    from ..persistence import load_model

    valid = ", ".join(model_names("aligner"))
    if preset not in PRESETS:
        raise InputError(f"unknown preset {preset!r}; valid presets: {', '.join(PRESETS)}")
    if isinstance(aligners, str):
        aligners = [a.strip() for a in aligners.split(",") if a.strip()]
    if isinstance(aligners, Mapping):
        items = list(aligners.items())
    else:
        items = [(a if isinstance(a, (str, os.PathLike)) else f"{type(a).__name__}_{i}", a)
                 for i, a in enumerate(aligners)]
    out = {}
    for name, spec in items:
        if isinstance(spec, str) and MODELS.get(spec) is not None and MODELS[spec].kind == "aligner":
            params = {"random_state": seed} if "random_state" in _init_params(spec) else {}
            out[str(name)] = (make_model(spec, preset, kind="aligner", **params), spec)
        elif isinstance(spec, (str, os.PathLike)) and Path(spec).is_dir():
            out[Path(spec).name if name == spec else str(name)] = (load_model(spec), None)
        elif isinstance(spec, str):
            raise InputError(f"unknown aligner {spec!r}; valid aligners: {valid} (or a folder of a saved aligner)")
        elif callable(getattr(spec, "align", None)):
            out[str(name)] = (spec, None)
        else:
            raise InputError(f"aligner {name!r} must be a name ({valid}), a saved aligner folder or an object with "
                             f"align(audio_path, transcript), got {type(spec).__name__}")
    if not out:
        raise InputError(f"no aligners given; valid aligners: {valid}")
    return out


def _init_params(name: str) -> set[str]:
    from ..registry import model_class

    return set(model_class(MODELS[name].cls)._get_param_names())


def _fit(aligner, utterances) -> float:
    t0 = time.perf_counter()
    aligner.fit(utterances)
    return time.perf_counter() - t0


def _score(ref: list[Interval] | None, hyp: list[Interval]) -> np.ndarray | None:
    if not ref or len(ref) != len(hyp):
        return None
    return boundary_errors(ref, by_position(ref, hyp))


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
    """One table row: sizes, times and the pooled word and phone boundary metrics."""
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
        rep = pooled_boundary_report([ref_of(test[i]) for i in idx],
                                     [by_position(ref_of(test[i]), hyp_of(run.results[i])) for i in idx])
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
        Names of aligners in :data:`seqtag.registry.MODELS` (``"hmm,ctc,attention,english"``
        or a list), folders of saved aligners, or ``{name: name, folder or aligner object}``.
        Objects (anything with ``align(audio_path, transcript) -> AlignmentResult``),
        folders and pretrained aligners (``english``) are used as they are, without training.
    train, test : sequence of Utterance
        E.g. two :class:`~seqtag.corpora.speech.SpeechCorpus` splits; every test
        utterance needs reference ``words`` (``phones`` are optional).
    preset : {"quick", "full"}
        Settings of the named aligners (:data:`seqtag.registry.PRESETS`).
    protocol : {"heldout", "mfa"}
        See the module docstring.
    seed : int
        ``random_state`` of the named aligners that take one.
    mfa_dir : path or None
        A folder aligned by MFA (audio + transcripts + TextGrids): add the agreement of
        every aligner with those TextGrids to the details (see
        :func:`~seqtag.comparison.mfa.mfa_agreement`).
    progress : bool
        Print a line per step and train the named aligners with ``verbose=True``.
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
        phones) and ``phone_skipped`` (with a reference phone tier but not scored); with
        ``mfa_dir``, ``mfa_within_20ms`` / ``mfa_within_50ms`` / ``mfa_mean_ms``: agreement with
        MFA's word boundaries on those real recordings (all files pooled).

    Examples
    --------
    >>> from seqtag.corpora import load_speech_corpus
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
    models = _resolve(aligners, preset, seed)
    if progress:
        for aligner, spec in models.values():
            if spec is not None and "verbose" in aligner.get_params():
                aligner.set_params(verbose=True)
    if not train and any(_trains(spec) for _, spec in models.values()):
        raise InputError("the training set is empty (named aligners are trained on it)")
    runs = {}
    for name, (aligner, spec) in models.items():
        trained_on, train_s = ("pretrained" if spec is not None else "given"), float("nan")
        if _trains(spec):
            extra = protocol == "mfa" and MODELS[spec].learns_from_audio_only
            data = train + strip_references(test) if extra else train
            trained_on = "train+test" if extra else "train"
            if progress:
                print(f"[compare-aligners] {name}: training on {len(data)} utterances", flush=True)
            train_s = _fit(aligner, data)
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
        details.mfa = _mfa_all(models, runs, train, mfa_dir, protocol, progress)
        info["mfa_dir"] = Path(mfa_dir).name
        pooled = details.mfa.xs("all", level="file")  # real speech, next to the test corpus' figures
        for col, key in (("mfa_within_20ms", "within_20ms"), ("mfa_within_50ms", "within_50ms"),
                         ("mfa_mean_ms", "mean_abs_ms")):
            table[col] = pooled[key].reindex(table.index)
    return (table, details) if return_details else table


def _trains(spec: str | None) -> bool:
    """A named aligner that learns in the comparison (pretrained ones are used as they ship)."""
    return spec is not None and not MODELS[spec].pretrained


def _mfa_all(models, runs, train, folder, protocol, progress) -> pd.DataFrame:
    from sklearn.base import clone

    from ..corpora import read_speech_folder
    from .mfa import mfa_agreement

    corpus = None
    frames = {}
    for name, (_, spec) in models.items():
        aligner, trained_on = runs[name].aligner, runs[name].trained_on
        if _trains(spec) and protocol == "mfa" and MODELS[spec].learns_from_audio_only:
            corpus = corpus if corpus is not None else read_speech_folder(folder)
            aligner = clone(aligner)
            if progress:
                print(f"[compare-aligners] {name}: training on train + {len(corpus)} MFA-folder recordings", flush=True)
            _fit(aligner, train + strip_references(corpus))
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
    from ..corpora import SPEECH_CORPORA, SpeechCorpus, load_speech_corpus, read_speech_folder

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
