"""Neural taggers (BiLSTM and transformer, softmax vs CRF head) on PTB, UD EWT and CoNLL-2000.

For each corpus and model: train on the train split with early stopping on the
dev split, then score the test split once.  Reported: token accuracy (span F1
for CoNLL-2000 chunking), unknown-word accuracy (vocabulary = training tokens),
epochs, training time and CPU tagging speed (tokens/s, batched ``predict`` of
the whole test split).  The NLTK averaged perceptron is trained and timed on
the same PTB split in the same run as the anchor.

* ptb: ``load_corpus("ptb-sample")`` (train wsj_0001-0159, dev 0160-0179, test 0180-0199).
* ud: UD English EWT, XPOS tags, no pre-trained vectors.
* conll2000: chunk tags; the gold POS tag is an extra input feature: tokens are
  fed as ``"word|POS"`` with ``feature_sep="|"`` (a POS embedding joins the word
  and character vectors), the standard setting of the CoNLL-2000 task.

Data comes from ``NLTK_DATA`` / ``SEQTAG_DATA``.  Usage::

    python benchmarks/bench_neural.py --corpus ptb --model bilstm-crf    # ~15 min, loaded 2 cores
    python benchmarks/bench_neural.py --corpus ptb --model all
    python benchmarks/bench_neural.py --quick                             # smoke run (~1-2 min)
    python benchmarks/bench_neural.py --speed --threads 1                 # tagging speed only
    python benchmarks/bench_neural.py --speed --threads 1 --model bilstm-crf --param hidden_size=200 --param num_layers=2
    python benchmarks/bench_neural.py --train-speed --threads 1 --model bilstm-crf,transformer   # training tokens/s
    python benchmarks/bench_neural.py --model bilstm-crf --cells lstm,gru,rnn --threads 1 --no-anchor  # recurrent cells
    python benchmarks/bench_neural.py --corpus ud --model bilstm-crf --errors 15    # + where the errors are

``--speed`` and ``--train-speed`` import whatever ``seqtag`` is on the path, so the same
command measures an older checkout (``PYTHONPATH=old-checkout``) for a before/after figure.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
from _common import machine_info, markdown_table, param_arg

from seqtag.corpora import load_corpus
from seqtag.metrics import accuracy, known_unknown_accuracy, span_f1
from seqtag.neural.bilstm import BiLSTMTagger
from seqtag.neural.transformer import TransformerTagger

MODELS = {
    "bilstm": (BiLSTMTagger, {"head": "softmax"}),
    "bilstm-crf": (BiLSTMTagger, {"head": "crf"}),
    "transformer": (TransformerTagger, {"head": "softmax"}),
    "transformer-crf": (TransformerTagger, {"head": "crf"}),
}
TARGETS = {("ptb", "bilstm-crf"): 96.6, ("ptb", "transformer"): 96.0, ("ptb", "transformer-crf"): 96.0,
           ("ud", "bilstm-crf"): 95.5, ("conll2000", "bilstm-crf"): 94.0}
SEP = "|"


def _load(corpus: str, split: str):
    if corpus == "ptb":
        c = load_corpus("ptb-sample", split=split)
        return c.X, c.y
    if corpus == "ud":
        c = load_corpus("ud-ewt", split=split, tagset="xpos")
        return c.X, c.y
    c = load_corpus("conll2000", split=split)
    return [[w + SEP + p for w, p in zip(s, ps)] for s, ps in zip(c.X, c.columns["pos"])], c.y


def _splits(corpus: str, quick: bool):
    Xtr, ytr = _load(corpus, "train")
    Xdv, ydv = _load(corpus, "dev")  # conll2000: the last 1000 training sentences
    Xte, yte = _load(corpus, "test")
    if quick:
        Xtr, ytr, Xdv, ydv, Xte, yte = Xtr[:300], ytr[:300], Xdv[:100], ydv[:100], Xte[:200], yte[:200]
    return Xtr, ytr, Xdv, ydv, Xte, yte


def _words(X, corpus):
    return [[t.rpartition(SEP)[0] for t in s] for s in X] if corpus == "conll2000" else X


def run_model(corpus: str, name: str, args, data, cell: str | None = None) -> dict:
    Xtr, ytr, Xdv, ydv, Xte, yte = data
    cls, params = MODELS[name]
    params = {**params, "random_state": args.seed, "verbose": args.verbose, "device": "cpu"}
    if corpus == "conll2000":
        params["feature_sep"] = SEP
    if args.embeddings:
        params["embeddings_path"] = args.embeddings
    params.update(args.param)
    if cell is not None:
        params["cell"] = cell
    if args.quick:
        params["max_epochs"] = 2
    elif args.epochs:
        params["max_epochs"] = args.epochs
    tagger = cls(**params)
    t0, c0 = time.perf_counter(), time.process_time()
    tagger.fit(Xtr, ytr, X_dev=Xdv, y_dev=ydv)
    train_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
    n_tok = sum(len(s) for s in Xte)
    tagger.predict(Xte[:50])  # warm-up
    t0 = time.perf_counter()
    pred = tagger.predict(Xte)
    tag_s = time.perf_counter() - t0
    vocab = {w for s in _words(Xtr, corpus) for w in s}
    ku = known_unknown_accuracy(_words(Xte, corpus), yte, pred, vocab)
    setup = ([f"cell={cell}"] if cell else []) + [f"{k}={v}" for k, v in args.param]
    setup += ["vectors=" + Path(args.embeddings).name] if args.embeddings else []
    row = {
        "corpus": corpus, "model": name, "setup": " ".join(setup) or "defaults",
        "accuracy %": 100 * accuracy(yte, pred),
        "unknown %": 100 * ku["unknown"],
        "epochs": f"{tagger.best_epoch_}/{len(tagger.history_)}",
        "train s": train_s,
        "train cpu s": cpu_s,
        "tokens/s": n_tok / tag_s,
    }
    if corpus == "conll2000":
        row["chunk F1"] = 100 * span_f1(yte, pred)["f1"]
    target = TARGETS.get((corpus, name))
    key = "chunk F1" if corpus == "conll2000" else "accuracy %"
    row["target"] = "" if target is None else f"{target} ({'met' if row[key] >= target else 'MISSED'})"
    print(f"{corpus}/{name}: " + ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                                           for k, v in row.items() if k not in ("corpus", "model")), flush=True)
    print(tagger.history_.to_string(index=False), flush=True)
    if args.errors and corpus != "conll2000":
        print(error_summary(_words(Xte, corpus), yte, pred, vocab, args.errors), flush=True)
    return row


def error_summary(X, y, pred, vocab, n: int) -> str:
    """Where the test errors are: known / unknown words, and the ``n`` most frequent confusions of each."""
    from collections import Counter

    errors = {True: Counter(), False: Counter()}  # known word? -> (gold, predicted) -> count
    totals = Counter()
    for s, ts, ps in zip(X, y, pred):
        for w, t, q in zip(s, ts, ps):
            known = w in vocab
            totals[known] += 1
            if t != q:
                errors[known][t, q] += 1
    n_wrong = {known: sum(c.values()) for known, c in errors.items()}
    n_err = sum(n_wrong.values())
    lines = [f"errors: {n_err} of {sum(totals.values())} tokens"]
    for known in (True, False):
        lines.append(f"{'known' if known else 'unknown'} words: {n_wrong[known]} errors in {totals[known]} tokens "
                     f"({100 * n_wrong[known] / max(n_err, 1):.1f} % of all errors); most frequent gold -> predicted:")
        lines += [f"  {t} -> {q}: {k}" for (t, q), k in errors[known].most_common(n)]
    return "\n".join(lines)


def run_anchor(args, data) -> dict:
    from nltk.tag.perceptron import PerceptronTagger

    Xtr, ytr, _, _, Xte, yte = data
    tagger = PerceptronTagger(load=False)
    t0 = time.perf_counter()
    tagger.train([list(zip(s, t)) for s, t in zip(Xtr, ytr)], nr_iter=5)
    train_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    pred = [[t for _, t in tagger.tag(s)] for s in Xte]
    tag_s = time.perf_counter() - t0
    vocab = {w for s in Xtr for w in s}
    row = {"corpus": "ptb", "model": "nltk-perceptron (anchor)", "setup": "5 iterations", "accuracy %": 100 * accuracy(yte, pred),
           "unknown %": 100 * known_unknown_accuracy(Xte, yte, pred, vocab)["unknown"], "epochs": "5",
           "train s": train_s, "tokens/s": sum(len(s) for s in Xte) / tag_s, "target": ""}
    print(f"anchor: {row}", flush=True)
    return row


def _one_epoch(args, name: str):
    """The model's class and parameters for one epoch over the whole training split (no dev part)."""
    cls, params = MODELS[name]
    return cls, {**params, **dict(args.param), "max_epochs": 1, "validation_fraction": 0, "random_state": 0,
                 "verbose": False, "device": "cpu"}


def run_speed(args, models) -> list[dict]:
    """Tagging speed only: each architecture (with ``--param`` overrides) trained 1 epoch on PTB.

    One epoch is enough: the weights do not change the cost of tagging.
    """
    Xtr, ytr, _, _, Xte, _ = _splits("ptb", False)
    n_tok = sum(len(s) for s in Xte)
    rows = []
    for name in models:
        cls, params = _one_epoch(args, name)
        tagger = cls(**params)
        tagger.fit(Xtr, ytr)
        tagger.predict(Xte[:50])
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            tagger.predict(Xte)
            best = min(best, time.perf_counter() - t0)
        rows.append({"model": name, "setup": " ".join(f"{k}={v}" for k, v in args.param) or "defaults",
                     "tokens": n_tok, "best of 3 s": best, "tokens/s": n_tok / best})
        print(rows[-1], flush=True)
    return rows


def run_train_speed(args, models) -> list[dict]:
    """Training throughput: one epoch over the PTB training split (no dev set), tokens per second.

    Wall and CPU time of ``fit`` (vocabularies and encoding included, a few % of it), best of 2.
    """
    Xtr, ytr, _, _, _, _ = _splits("ptb", False)
    n_tok = sum(len(s) for s in Xtr)
    rows = []
    for name in models:
        cls, params = _one_epoch(args, name)
        best = (float("inf"), float("inf"))
        for _ in range(2):
            tagger = cls(**params)
            t0, c0 = time.perf_counter(), time.process_time()
            tagger.fit(Xtr, ytr)
            best = min(best, (time.perf_counter() - t0, time.process_time() - c0))
        rows.append({"model": name, "setup": " ".join(f"{k}={v}" for k, v in args.param) or "defaults",
                     "tokens": n_tok, "wall s": best[0], "cpu s": best[1], "train tokens/s": n_tok / best[0],
                     "per cpu s": n_tok / best[1]})
        print(rows[-1], flush=True)
    return rows


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="small smoke run (300 sentences, 2 epochs)")
    p.add_argument("--corpus", default="ptb", choices=["ptb", "ud", "conll2000", "all"])
    p.add_argument("--model", default="all", help=f"one of {list(MODELS)} or 'all' (comma-separated allowed)")
    p.add_argument("--epochs", type=int, default=None, help="override max_epochs")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--embeddings", default=None, help="local GloVe-format vectors (e.g. from make_vectors.py)")
    p.add_argument("--param", type=param_arg, action="append", default=[], metavar="NAME=VALUE",
                   help="override a tagger parameter (repeatable), e.g. --param hidden_size=200")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    p.add_argument("--no-anchor", action="store_true", help="skip the NLTK perceptron anchor")
    p.add_argument("--verbose", action="store_true", help="progress bars")
    p.add_argument("--speed", action="store_true", help="only time tagging of the PTB test split")
    p.add_argument("--train-speed", action="store_true", help="only time one training epoch on PTB")
    p.add_argument("--errors", type=int, default=0, metavar="N",
                   help="print the N most frequent test confusions of known and of unknown words")
    p.add_argument("--cells", default=None,
                   help="comma-separated recurrent cells (lstm,gru,rnn): each BiLSTM model runs once per cell")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    models = list(MODELS) if args.model == "all" else args.model.split(",")
    for m in models:
        if m not in MODELS:
            p.error(f"unknown model {m!r}; choose from {list(MODELS)}")
    corpora = ["ptb", "ud", "conll2000"] if args.corpus == "all" else [args.corpus]
    print(f"# {machine_info()}, torch threads {torch.get_num_threads()}", flush=True)
    print(f"# command: python {' '.join(sys.argv)}", flush=True)
    if args.speed:
        print(markdown_table(run_speed(args, models), floatfmt=".2f"))
        return
    if args.train_speed:
        print(markdown_table(run_train_speed(args, models), floatfmt=".2f"))
        return
    cells = args.cells.split(",") if args.cells else [None]
    rows = []
    for corpus in corpora:
        data = _splits(corpus, args.quick)
        if corpus == "ptb" and not args.no_anchor:
            rows.append(run_anchor(args, data))
        for m in models:
            for cell in (cells if MODELS[m][0] is BiLSTMTagger else [None]):
                rows.append(run_model(corpus, m, args, data, cell))
    cols = ["corpus", "model", "setup", "accuracy %", "unknown %", "chunk F1", "epochs", "train s", "train cpu s",
            "tokens/s", "target"]
    print(markdown_table(rows, cols, floatfmt=".2f"))


if __name__ == "__main__":
    main()
