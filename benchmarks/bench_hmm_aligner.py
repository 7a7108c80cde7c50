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
second after training: features + GMM likelihoods + Viterbi + posteriors, both
batched over the corpus and one utterance at a time), and the word-boundary
errors pooled over all words (every start and end, :func:`boundary_report`):
mean, median, % within 10/20/50 ms, boundary F1 at 20 ms. An "even split"
baseline (words spread evenly over the audio) shows what no model gives.

The O(T K) band kernel is timed against the generic dense chain kernel
(:func:`seqtag.hmm.kernels.batch_expected_counts`) on the same utterance chains.

``mfa_test_speech`` (``$SEQTAG_DATA/mfa_test_speech``): the aligner is trained on
its 5 recordings (~83 s) and compared with the TextGrids shipped there. Those are
**MFA's own output, not hand labels**: the numbers measure agreement with MFA.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine_info  # noqa: E402

from seqtag.align.compare import pooled_report  # noqa: E402
from seqtag.align.formats import read_textgrid  # noqa: E402
from seqtag.align.hmm_gmm import HMMAligner, _chains, _Graph  # noqa: E402
from seqtag.align.mfa_check import matched_words  # noqa: E402
from seqtag.align.spans import Interval  # noqa: E402
from seqtag.corpora.speech import load_speech_corpus, read_speech_folder  # noqa: E402

_KEYS = ("n_boundaries", "mean_abs_ms", "median_abs_ms", "within_10ms", "within_20ms", "within_50ms", "boundary_f1")


def _pooled(refs: list[list[Interval]], hyps: list[list[Interval]]) -> dict:
    """boundary_report over all utterances (intervals shifted so utterances do not overlap)."""
    rep = pooled_report(refs, hyps, tolerance=0.02)
    return {k: round(float(rep[k]), 2) if k != "n_boundaries" else int(rep[k]) for k in _KEYS}


def _even(u) -> list[Interval]:
    edges = np.linspace(0, u.duration, len(u.words) + 1)
    return [Interval(w.label, float(a), float(b)) for w, a, b in zip(u.words, edges[:-1], edges[1:])]


def _kernel_ratio(aligner: HMMAligner, corpus, n: int) -> dict:
    """Band forward-backward vs the generic dense kernel on the chains of the ``n`` longest utterances."""
    from seqtag.align.hmm_gmm import hmm_features
    from seqtag.align.lr_chain import band_to_dense, lr_posteriors
    from seqtag.hmm import kernels as hk

    index = {p: i for i, p in enumerate(aligner.phones_)}
    t_band = t_dense = 0.0
    max_diff = 0.0
    Ks = []
    longest = sorted(corpus, key=lambda u: -u.duration)[:n]
    for i, u in enumerate([longest[0]] + longest):  # the first one warms both kernels up (not timed)
        g = _Graph(aligner._prons(u.transcript.split(), aligner.lexicon_, index))
        smap, band, start, end, _ = _chains([g], aligner.log_self_, aligner.sil_prob)
        emit = aligner._emissions(hmm_features(u.load_audio(16000)[0], dither=aligner.dither))[:, smap]
        t0 = time.perf_counter()
        ll_b, post_b, _ = lr_posteriors(band, start, emit, end)
        t1 = time.perf_counter()
        ll_d, _, _, _, post_d = hk.batch_expected_counts(start, band_to_dense(band), emit, [emit.shape[0]], end)
        t2 = time.perf_counter()
        if i == 0:
            continue
        t_band += t1 - t0
        t_dense += t2 - t1
        max_diff = max(max_diff, abs(ll_b - ll_d[0]), float(np.abs(post_b - post_d).max()))
        Ks.append(g.K)
    return {"utterances": len(longest), "median_K": int(np.median(Ks)), "band_s": round(t_band, 4),
            "dense_s": round(t_dense, 4),
            "dense_over_band": round(t_dense / t_band, 1), "max_abs_diff": float(f"{max_diff:.2e}")}


def run_corpus(name: str, args) -> dict:
    opts = {} if args.cache_dir is None else {"cache_dir": Path(args.cache_dir) / name}
    n = args.n_test
    test = load_speech_corpus(name, "test", n=n, seed=args.seed, **opts)
    print(f"{name}: {test!r}", flush=True)
    aligner = HMMAligner(max_components=args.components, viterbi_iter=args.viterbi_iter, em_iter=args.em_iter)
    t0 = time.perf_counter()
    aligner.fit(test, progress=args.progress)  # transcripts + audio only: boundaries are not read
    train_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    results = aligner.align_corpus(test)
    batch_s = time.perf_counter() - t0
    sub = list(test)[: args.n_single]
    t0 = time.perf_counter()
    for u in sub:
        aligner.align(u.audio_path, u.transcript)
    single_s = time.perf_counter() - t0
    refs = [u.words for u in test]
    out = {
        "corpus": name, "utterances": len(test), "audio_s": round(test.total_seconds, 1),
        "train_s": round(train_s, 1), "iterations": len(aligner.history_),
        "x_realtime_batch": round(test.total_seconds / batch_s, 1),
        "x_realtime_single": round(sum(u.duration for u in sub) / single_s, 1),
        "hmm": _pooled(refs, [r.words for r in results]),
        "even_split": _pooled(refs, [_even(u) for u in test]),
        "ll_per_frame": [round(h["per_frame"], 3) for h in aligner.history_],
        "kernel": _kernel_ratio(aligner, test, args.n_kernel),
    }
    # signed bias: starts after silence vs the rest (diagnostic)
    d = np.concatenate([[h.start - r.start, h.end - r.end] for u, res in zip(test, results)
                        for r, h in zip(u.words, res.words)]) * 1000
    out["signed_mean_ms"] = {"start": round(float(d[0::2].mean()), 2), "end": round(float(d[1::2].mean()), 2)}
    print(json.dumps(out), flush=True)
    return out


def run_mfa(args) -> dict | None:
    root = Path(os.environ.get("SEQTAG_DATA", "")) / "mfa_test_speech"
    if not root.is_dir():
        print("mfa_test_speech not found under $SEQTAG_DATA: skipped", flush=True)
        return None
    corpus = read_speech_folder(root)
    aligner = HMMAligner(max_components=args.components, viterbi_iter=args.viterbi_iter, em_iter=args.em_iter)
    t0 = time.perf_counter()
    aligner.fit(corpus, progress=args.progress)
    train_s = time.perf_counter() - t0
    results = aligner.align_corpus(corpus)
    refs, hyps, per_file = [], [], {}
    for u, res in zip(corpus, results):
        tg = root / "textgrid" / f"{u.id}.TextGrid"
        tiers = read_textgrid(tg) if tg.is_file() else {}
        if "words" not in tiers:
            continue  # no MFA word tier for this file
        mfa = [Interval(w.label.lower(), w.start, w.end) for w in tiers["words"] if w.label.strip()]
        mine = res.words
        r_m, h_m = matched_words(mfa, mine)
        refs.append(r_m)
        hyps.append(h_m)
        per_file[u.id] = {"matched_words": len(r_m), "mfa_words": len(mfa), **_pooled([r_m], [h_m])}
    out = {"corpus": "mfa_test_speech (agreement with MFA's own TextGrids, not hand labels)",
           "files": len(corpus), "audio_s": round(corpus.total_seconds, 1), "train_s": round(train_s, 1),
           "hmm_vs_mfa": _pooled(refs, hyps), "per_file": per_file, "kernel": _kernel_ratio(aligner, corpus, 2)}
    print(json.dumps(out), flush=True)
    return out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="small smoke run (40 utterances per corpus)")
    p.add_argument("--corpora", default="synthetic,fsdd-strings,mfa")
    p.add_argument("--n-test", type=int, default=None, help="utterances per corpus (default 200; quick 40)")
    p.add_argument("--n-single", type=int, default=20, help="utterances aligned one at a time for the speed figure")
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
