"""Baseline tagger on the PTB sample split, next to NLTK's unigram tagger with the same backoff idea.

    python benchmarks/bench_baseline.py
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine_info, markdown_table  # noqa: E402

from seqtag import BaselineTagger  # noqa: E402
from seqtag.corpora import load_corpus  # noqa: E402
from seqtag.metrics import accuracy, known_unknown_accuracy  # noqa: E402


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="train on 500 sentences only")
    args = ap.parse_args(argv)
    train, test = load_corpus("ptb-sample", "train"), load_corpus("ptb-sample", "test")
    if args.quick:
        train = train[:500]
    vocab = {w for s in train.X for w in s}
    rows = []

    t0 = time.perf_counter()
    seq = BaselineTagger().fit(train.X, train.y)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    pred = seq.predict(test.X)
    tag_s = time.perf_counter() - t0
    ku = known_unknown_accuracy(test.X, test.y, pred, vocab)
    rows.append({"tagger": "seqtag BaselineTagger", "accuracy": accuracy(test.y, pred),
                 "unknown": ku["unknown"], "fit s": fit_s, "tokens/s": test.n_tokens / tag_s})

    import nltk

    t0 = time.perf_counter()
    nl = nltk.UnigramTagger(train.tagged_sents(), backoff=nltk.DefaultTagger("NN"))
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    pred = [[t for _, t in s] for s in nl.tag_sents(test.X)]
    tag_s = time.perf_counter() - t0
    ku = known_unknown_accuracy(test.X, test.y, pred, vocab)
    rows.append({"tagger": "NLTK Unigram + DefaultTagger(NN)", "accuracy": accuracy(test.y, pred),
                 "unknown": ku["unknown"], "fit s": fit_s, "tokens/s": test.n_tokens / tag_s})

    print(f"PTB sample: train {len(train)} sentences, test {len(test)} sentences / {test.n_tokens} tokens")
    print(f"machine: {machine_info()}\n")
    print(markdown_table(rows, floatfmt=".4f"))


if __name__ == "__main__":
    main()
