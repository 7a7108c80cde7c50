"""seqtag.hmm.HMMTagger against NLTK's TnT and NLTK's HMM (Lidstone) on the PTB sample.

Usage: python benchmarks/bench_hmm_tagger.py [--quick] [--split test|dev] [--repeats 10] [--no-nltk-hmm]

Trains every tagger on the PTB sample train split (wsj_0001-0159, ``-NONE-``
traces removed), tags the evaluation split (test = wsj_0180-0199 by default)
and prints a markdown table: accuracy, accuracy on unknown words (test tokens
not in the training vocabulary), fit time, tagging throughput (best of
``--repeats`` timing rounds that interleave all taggers, after a warm-up call)
and the speed ratio to NLTK TnT.  ``OMP_WAIT_POLICY`` defaults to ``passive``
(see the comment below); set it in the environment to override.  For
seqtag the first tagging call is reported separately: it includes numba
compilation (or loading the compiled kernels from numba's cache).
``--quick`` trains on 300 sentences and tags 40 (a smoke run).
Needs NLTK data (set ``NLTK_DATA``).
"""

from __future__ import annotations

import os

# numba's OpenMP workers spin after each parallel region by default; on a shared,
# busy machine that steals the core the Python code needs next.  Set before numba loads.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import argparse  # noqa: E402
import time  # noqa: E402

from nltk.probability import LidstoneProbDist  # noqa: E402
from nltk.tag import hmm as nltk_hmm  # noqa: E402
from nltk.tag import tnt  # noqa: E402

from seqtag.corpora import load_corpus  # noqa: E402
from seqtag.hmm.tagger import HMMTagger  # noqa: E402
from seqtag.metrics import known_unknown_accuracy  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small smoke run")
    ap.add_argument("--split", default="test", choices=["test", "dev"], help="evaluation split")
    ap.add_argument("--repeats", type=int, default=10, help="timed tagging repeats (best is kept)")
    ap.add_argument("--no-nltk-hmm", action="store_true", help="skip the slow NLTK HMM anchor")
    args = ap.parse_args()
    train = load_corpus("ptb-sample", split="train")
    test = load_corpus("ptb-sample", split=args.split)
    X, y, Xt, yt = train.X, train.y, test.X, test.y
    if args.quick:
        X, y, Xt, yt = X[:300], y[:300], Xt[:40], yt[:40]
        args.repeats = min(args.repeats, 2)
    vocab = {w for s in X for w in s}
    n_tokens = sum(len(s) for s in Xt)
    runs = []  # [name, fit s, first call s or None, tag function, predictions]

    # anchors: NLTK TnT (defaults) and NLTK's supervised HMM with Lidstone(0.1) smoothing
    tagged = [list(zip(s, t)) for s, t in zip(X, y)]
    anchor = tnt.TnT()
    t0 = time.perf_counter()
    anchor.train(tagged)
    fit_s = time.perf_counter() - t0
    pred = [[t for _, t in s] for s in anchor.tagdata(Xt)]
    runs.append(["NLTK TnT", fit_s, None, lambda: anchor.tagdata(Xt), pred])
    if not args.no_nltk_hmm:
        t0 = time.perf_counter()
        hmm = nltk_hmm.HiddenMarkovModelTrainer().train_supervised(
            tagged, estimator=lambda fd, bins: LidstoneProbDist(fd, 0.1, bins)
        )
        fit_s = time.perf_counter() - t0
        pred = [[t for _, t in hmm.tag(s)] for s in Xt]
        runs.append(["NLTK HMM (Lidstone 0.1)", fit_s, None, lambda: [hmm.tag(s) for s in Xt], pred])

    for name, params in [
        ("seqtag HMMTagger order=2 (posterior, the default)", dict(order=2, decode="posterior")),
        ("seqtag HMMTagger order=2 (viterbi, beam 1000)", dict(order=2, decode="viterbi")),
        ("seqtag HMMTagger order=2 (exact viterbi)", dict(order=2, decode="viterbi", beam=None)),
        ("seqtag HMMTagger order=1 (viterbi)", dict(order=1, decode="viterbi")),
        ("seqtag HMMTagger order=1 (posterior)", dict(order=1, decode="posterior")),
    ]:
        model = HMMTagger(**params)
        t0 = time.perf_counter()
        model.fit(X, y)
        fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        pred = model.predict(Xt)  # first call: numba compile or cache load
        first_s = time.perf_counter() - t0
        runs.append([name, fit_s, first_s, lambda model=model: model.predict(Xt), pred])

    # timing rounds interleave all taggers, so that each sees the same machine load;
    # the slow NLTK HMM is timed once
    best = [float("inf")] * len(runs)
    for r in range(args.repeats):
        for i, run in enumerate(runs):
            if r and run[0].startswith("NLTK HMM"):
                continue
            t0 = time.perf_counter()
            run[3]()
            best[i] = min(best[i], time.perf_counter() - t0)
    rows = []
    for (name, fit_s, first_s, _, pred), tag_s in zip(runs, best):
        acc = known_unknown_accuracy(Xt, yt, pred, vocab)
        overall = (acc["known"] * acc["n_known"] + acc["unknown"] * acc["n_unknown"]) / n_tokens
        rows.append((name, overall, acc["unknown"], acc["n_unknown"], fit_s, first_s, n_tokens / tag_s))
    tnt_speed = rows[0][-1]

    print(f"\nPTB sample: train {len(X)} sentences, {args.split} {len(Xt)} sentences / {n_tokens} tokens, "
          f"{rows[0][3]} unknown tokens; OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}, "
          f"best of {args.repeats} interleaved timing rounds\n")
    print("| tagger | accuracy | unknown-word acc. | fit (s) | first tag call (s) | tokens/s | speed vs TnT |")
    print("|---|---|---|---|---|---|---|")
    for name, acc, unk, _, fit_s, first_s, speed in rows:
        first = "" if first_s is None else f"{first_s:.2f}"
        print(f"| {name} | {100 * acc:.2f} % | {100 * unk:.1f} % | {fit_s:.2f} | {first} | "
              f"{speed:,.0f} | {speed / tnt_speed:.1f}x |")


if __name__ == "__main__":
    main()
