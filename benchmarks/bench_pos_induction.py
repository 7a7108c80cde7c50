"""Unsupervised POS induction with CategoricalHMM (Baum-Welch) on the PTB sample.

Words are lower-cased and mapped to ids; words seen fewer than ``--min-count`` times in
the training split share one UNK id.  A 45-state HMM is fitted from several random
initialisations and each run is scored by many-to-one accuracy (each state mapped to
its most frequent gold tag) and one-to-one accuracy (best one-to-one state/tag
matching, Hungarian algorithm).  hmmlearn is timed on one iteration of the same data
as the anchor.

Usage::

    NLTK_DATA=... python benchmarks/bench_pos_induction.py            # 3 inits x 100 iterations
    NLTK_DATA=... python benchmarks/bench_pos_induction.py --quick    # 2 inits x 5 iterations
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

import numpy as np
from scipy.optimize import linear_sum_assignment


def load_train():
    """(sentences, tags) of the PTB sample train split, traces removed."""
    try:
        from seqtag.corpora import load_corpus

        c = load_corpus("ptb-sample", split="train")
        return c.X, c.y
    except ImportError:  # before seqtag.corpora existed: read NLTK directly
        from nltk.corpus import treebank

        X, y = [], []
        for fid in treebank.fileids()[:159]:
            for sent in treebank.tagged_sents(fid):
                pairs = [(w, t) for w, t in sent if t != "-NONE-"]
                X.append([w for w, _ in pairs])
                y.append([t for _, t in pairs])
        return X, y


def encode(X, min_count: int):
    counts = Counter(w.lower() for s in X for w in s)
    vocab = {"<unk>": 0}
    for w, c in counts.items():
        if c >= min_count:
            vocab[w] = len(vocab)
    ids = np.array([vocab.get(w.lower(), 0) for s in X for w in s], dtype=np.int64)
    return ids, np.array([len(s) for s in X], dtype=np.int64), len(vocab)


def many_to_one(states: np.ndarray, gold: np.ndarray, n_states: int, n_tags: int) -> float:
    table = np.zeros((n_states, n_tags), dtype=np.int64)
    np.add.at(table, (states, gold), 1)
    return float(table.max(axis=1).sum() / gold.size)


def one_to_one(states: np.ndarray, gold: np.ndarray, n_states: int, n_tags: int) -> float:
    table = np.zeros((n_states, n_tags), dtype=np.int64)
    np.add.at(table, (states, gold), 1)
    rows, cols = linear_sum_assignment(-table)
    return float(table[rows, cols].sum() / gold.size)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="2 inits x 5 iterations, no hmmlearn timing")
    ap.add_argument("--states", type=int, default=45)
    ap.add_argument("--inits", type=int, default=3)
    ap.add_argument("--iters", type=int, default=100)
    ap.add_argument("--min-count", type=int, default=2)
    ap.add_argument("--pseudocount", type=float, default=0.0)
    args = ap.parse_args()
    if args.quick:
        args.inits, args.iters = 2, 5

    from seqtag.hmm import CategoricalHMM

    X, y = load_train()
    ids, lengths, V = encode(X, args.min_count)
    tagset = sorted({t for s in y for t in s})
    gold = np.array([tagset.index(t) for s in y for t in s])
    K = args.states
    print(f"PTB sample train: {len(X)} sentences, {ids.size} tokens, V={V} (min count {args.min_count}), "
          f"{len(tagset)} gold tags, {K} states, {args.iters} iterations x {args.inits} inits")
    CategoricalHMM(K, n_iter=1, random_state=0).fit(ids[:500], [500])  # compile / load the cache
    print("| init | final log-lik | iterations | s / iteration | many-to-one | one-to-one |")
    print("|---|---|---|---|---|---|")
    m2o, o2o, spi = [], [], []
    for seed in range(args.inits):
        t0 = time.perf_counter()
        hmm = CategoricalHMM(K, n_iter=args.iters, tol=1e-3, pseudocount=args.pseudocount, random_state=seed)
        hmm.fit(ids, lengths)
        dt = (time.perf_counter() - t0) / hmm.monitor_.iter
        pred = hmm.predict(ids, lengths)
        m2o.append(many_to_one(pred, gold, K, len(tagset)))
        o2o.append(one_to_one(pred, gold, K, len(tagset)))
        spi.append(dt)
        print(f"| {seed} | {hmm.monitor_.history[-1]:.1f} | {hmm.monitor_.iter} | {dt:.3f} | {m2o[-1]:.4f} | {o2o[-1]:.4f} |")
    print(f"\nmean many-to-one {np.mean(m2o):.4f} (sd {np.std(m2o):.4f}), one-to-one {np.mean(o2o):.4f}, "
          f"{np.mean(spi):.3f} s / iteration")
    if not args.quick:
        try:
            from hmmlearn.hmm import CategoricalHMM as Ref
        except ImportError:
            return
        ref = Ref(K, n_iter=1, tol=-np.inf, random_state=0)
        t0 = time.perf_counter()
        ref.fit(ids[:, None], lengths)
        ref_dt = time.perf_counter() - t0
        print(f"hmmlearn (implementation='log'): one iteration incl. init {ref_dt:.3f} s "
              f"-> seqtag is {ref_dt / np.mean(spi):.1f}x faster per iteration")


if __name__ == "__main__":
    main()
