"""Flat-start GMM-HMM aligner: word boundaries on unseen voices/speakers, speed, agreement with MFA.

Usage::

    SEQTAG_DATA=... NLTK_DATA=... python benchmarks/bench_hmm_aligner.py            # full run
    SEQTAG_DATA=... NLTK_DATA=... python benchmarks/bench_hmm_aligner.py --quick    # smoke run

**Protocol (MFA's).** The HMM aligner learns from the corpus it aligns: for each
corpus it is trained on the *test* split's audio and transcripts (``synthetic``:
espeak-ng test voices, never used anywhere else; ``fsdd-strings``: the two held-out
FSDD speakers) **without their reference boundaries**, then aligns the same
utterances; the boundaries are only used to score. Nothing is tuned on the test
references (the defaults were chosen on the synthetic *train* voices).

Reported per corpus: training time, alignment speed (audio seconds per wall
second after training: features + GMM likelihoods + Viterbi + posteriors, batched
over the corpus with ``align_batch`` and one utterance at a time as ``evaluate``
measures it), and the word-boundary errors pooled over all words (every start and
end, ``Aligner.evaluate``): mean, median, % within 10/20/50 ms, boundary F1 at
20 ms. An "even split" baseline (words spread evenly over the audio) shows what no
model gives.

The O(T K W) band kernel (:func:`seqtag.chains.banded.lr_posteriors`) is timed
against the generic dense chain kernel
(:func:`seqtag.chains.dense.batch_expected_counts`) on left-to-right chains of the
sizes of the longest utterances (3 states per aligned phone and per optional
silence, one row per 10 ms frame, jumps over a silence: band width 5) with random
scores, and the two are checked to agree.

``mfa_test_speech`` (``$SEQTAG_DATA/mfa_test_speech``): the aligner is trained on
its 5 recordings (~83 s) and compared with the TextGrids shipped there
(:func:`seqtag.comparison.mfa.mfa_agreement`). Those are **MFA's own output, not
hand labels**: the numbers measure agreement with MFA.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine_info  # noqa: E402

from seqtag.align import HMMAligner  # noqa: E402
from seqtag.comparison import strip_references  # noqa: E402
from seqtag.comparison.mfa import MFA_CAVEAT, default_mfa_dir, mfa_agreement  # noqa: E402
from seqtag.corpora import load_speech_corpus, read_speech_folder  # noqa: E402
from seqtag.intervals import Interval  # noqa: E402
from seqtag.metrics import pooled_boundary_report  # noqa: E402

_KEYS = ("n_boundaries", "mean_abs_ms", "median_abs_ms", "within_10ms", "within_20ms", "within_50ms", "boundary_f1")
_STATES = 3  # per phone and per silence: the HMM aligner's topology
_WIDTH = _STATES + 2  # stay, next, ..., jump over a whole optional silence


def _rounded(rep: dict) -> dict:
    return {k: round(float(rep[k]), 2) if k != "n_boundaries" else int(rep[k]) for k in _KEYS}


def _even(u) -> list[Interval]:
    edges = np.linspace(0, u.duration, len(u.words) + 1)
    return [Interval(w.label, float(a), float(b)) for w, a, b in zip(u.words, edges[:-1], edges[1:])]


def _lr_chain(rng, K: int, T: int):
    """A random left-to-right chain in band form (every exit row sums to 1) and random emissions."""
    stay = rng.uniform(0.3, 0.9, size=K)
    band = np.full((K, _WIDTH), -np.inf)
    band[:, 0] = np.log(stay)
    band[:, 1] = np.log1p(-stay)
    ends = np.arange(_STATES - 1, K - _WIDTH, _STATES)  # the last state of a phone may skip a silence
    band[ends, 1] = np.log(0.5 * (1 - stay[ends]))
    band[ends, _WIDTH - 1] = np.log(0.5 * (1 - stay[ends]))
    start = np.full(K, -np.inf)
    start[[0, _STATES]] = np.log(0.5)  # initial silence or not
    end = np.full(K, -np.inf)
    end[[K - 1 - _STATES, K - 1]] = 0.0  # final silence or not
    return band, start, rng.normal(-40.0, 8.0, size=(T, K)), end


def _kernel_ratio(results, n: int, seed: int = 0) -> dict:
    """Band forward-backward vs the generic dense kernel on chains the size of the ``n`` longest utterances."""
    from seqtag.chains.banded import band_to_dense, lr_posteriors
    from seqtag.chains.dense import batch_expected_counts

    rng = np.random.default_rng(seed)
    longest = sorted(results, key=lambda r: -r.duration)[:n]
    t_band = t_dense = 0.0
    max_diff = 0.0
    Ks = []
    for i, r in enumerate([longest[0]] + longest):  # the first one warms both kernels up (not timed)
        K = _STATES * (len(r.units) + len(r.words) + 1)  # phones, and a silence before, between and after words
        band, start, emit, end = _lr_chain(rng, K, int(round(r.duration / r.frame_shift)) + 1)
        t0 = time.perf_counter()
        ll_b, post_b, _ = lr_posteriors(band, start, emit, end)
        t1 = time.perf_counter()
        ll_d, _, _, _, post_d = batch_expected_counts(start, band_to_dense(band), emit, [emit.shape[0]], end)
        t2 = time.perf_counter()
        if i == 0:
            continue
        t_band += t1 - t0
        t_dense += t2 - t1
        max_diff = max(max_diff, abs(ll_b - ll_d[0]), float(np.abs(post_b - post_d).max()))
        Ks.append(K)
    return {"utterances": len(longest), "median_K": int(np.median(Ks)), "band_s": round(t_band, 4),
            "dense_s": round(t_dense, 4),
            "dense_over_band": round(t_dense / t_band, 1), "max_abs_diff": float(f"{max_diff:.2e}")}


def _aligner(args) -> HMMAligner:
    return HMMAligner(max_components=args.components, viterbi_iter=args.viterbi_iter, em_iter=args.em_iter,
                      verbose=args.progress)


def run_corpus(name: str, args) -> dict:
    opts = {} if args.cache_dir is None else {"cache_dir": Path(args.cache_dir) / name}
    n = args.n_test
    test = load_speech_corpus(name, "test", n=n, seed=args.seed, **opts)
    print(f"{name}: {test!r}", flush=True)
    aligner = _aligner(args)
    t0 = time.perf_counter()
    aligner.fit(strip_references(test))  # transcripts + audio only: the boundaries are never shown
    train_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    results = aligner.align_batch(test)
    batch_s = time.perf_counter() - t0
    report = aligner.evaluate(test)  # one utterance at a time, against the reference words
    refs = [u.words for u in test]
    out = {
        "corpus": name, "utterances": len(test), "audio_s": round(test.total_seconds, 1),
        "train_s": round(train_s, 1), "iterations": len(aligner.history_),
        "x_realtime_batch": round(test.total_seconds / batch_s, 1),
        "x_realtime_single": round(report["x_realtime"], 1),
        "failed": report["failed"],
        "hmm": _rounded(report),
        "even_split": _rounded(pooled_boundary_report(refs, [_even(u) for u in test])),
        "ll_per_frame": [round(h["per_frame"], 3) for h in aligner.history_],
        "kernel": _kernel_ratio(results, args.n_kernel),
    }
    # signed bias: starts after silence vs the rest (diagnostic)
    d = np.concatenate([[h.start - r.start, h.end - r.end] for u, res in zip(test, results)
                        for r, h in zip(u.words, res.words)]) * 1000
    out["signed_mean_ms"] = {"start": round(float(d[0::2].mean()), 2), "end": round(float(d[1::2].mean()), 2)}
    print(json.dumps(out), flush=True)
    return out


def run_mfa(args) -> dict | None:
    root = default_mfa_dir()
    if root is None:
        print("mfa_test_speech not found under $SEQTAG_DATA: skipped", flush=True)
        return None
    corpus = read_speech_folder(root)
    aligner = _aligner(args)
    t0 = time.perf_counter()
    aligner.fit(strip_references(corpus))
    train_s = time.perf_counter() - t0
    df = mfa_agreement(aligner, root)
    rows = {str(f): {k: (round(v, 2) if isinstance(v, float) else v) for k, v in row.items()}
            for f, row in df.replace({np.nan: None}).to_dict("index").items()}
    out = {"corpus": "mfa_test_speech", "note": MFA_CAVEAT,
           "files": len(corpus), "audio_s": round(corpus.total_seconds, 1), "train_s": round(train_s, 1),
           "hmm_vs_mfa": rows.pop("all"), "per_file": rows,
           "kernel": _kernel_ratio(aligner.align_batch(corpus), 2)}
    print(json.dumps(out), flush=True)
    return out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="small smoke run (40 utterances per corpus)")
    p.add_argument("--corpora", default="synthetic,fsdd-strings,mfa")
    p.add_argument("--n-test", type=int, default=None, help="utterances per corpus (default 200; quick 40)")
    p.add_argument("--n-kernel", type=int, default=5, help="utterances for the band-vs-dense kernel timing")
    p.add_argument("--components", type=int, default=4)
    p.add_argument("--viterbi-iter", type=int, default=4)
    p.add_argument("--em-iter", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--cache-dir", default=None)
    p.add_argument("--progress", action="store_true")
    p.add_argument("--json", default=None, help="write all results to this file")
    args = p.parse_args(argv)
    if args.n_test is None:
        args.n_test = 40 if args.quick else 200
    import numba

    print(f"# {machine_info()}; numba threads {numba.get_num_threads()}", flush=True)
    rows = []
    for name in args.corpora.split(","):
        rows.append(run_mfa(args) if name == "mfa" else run_corpus(name, args))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
