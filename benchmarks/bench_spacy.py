"""spaCy's own tagger (trained from scratch) against seqtag's BiLSTM-CRF on the PTB sample, in one run.

Usage: python benchmarks/bench_spacy.py [--preset full] [--param max_epochs=10] [--threads 1] [--seed 0] [--quick]

The anchor of issue #18: spaCy's ``tagger`` pipeline as ``spacy init config --pipeline tagger
--optimize efficiency`` writes it (tok2vec CNN, softmax, no pre-trained vectors), trained on the
same PTB split (train wsj_0001-0159, dev 0160-0179 for its evaluations and best-model choice,
test 0180-0199 scored once) with the script's own config file. Then seqtag's ``bilstm-crf`` of
the chosen preset is trained on the same data in the same process. Reported: test accuracy,
unknown-word accuracy, training wall and CPU seconds (spaCy's include its periodic dev
evaluations, as seqtag's include its dev epochs), tagging tokens/s of the test split, and the
training-time ratio. Target (issue #18): bilstm-crf >= 96.3 % in no more training time than
spaCy. Needs the ``bench`` extra (spaCy).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch
from _common import machine_info, markdown_table, param_arg

from seqtag.corpora import load_corpus
from seqtag.metrics import accuracy, known_unknown_accuracy
from seqtag.registry import make_model


def _docbin(nlp, X, y):
    from spacy.tokens import Doc, DocBin

    db = DocBin(attrs=["TAG"])
    for words, tags in zip(X, y):
        db.add(Doc(nlp.vocab, words=words, tags=tags))
    return db


def _write_config(folder: Path, max_steps: int | None, eval_frequency: int | None, seed: int) -> Path:
    from spacy.cli.init_config import init_config

    config = init_config(lang="en", pipeline=["tagger"], optimize="efficiency", gpu=False)
    config["paths"]["train"] = str(folder / "train.spacy")
    config["paths"]["dev"] = str(folder / "dev.spacy")
    if max_steps is not None:  # else spaCy's own: up to 20,000 steps, stop after 1,600 without gain
        config["training"]["max_steps"] = max_steps
    if eval_frequency is not None:
        config["training"]["eval_frequency"] = eval_frequency
    config["training"]["seed"] = seed
    config["system"]["seed"] = seed
    path = folder / "config.cfg"
    config.to_disk(path)
    return path


def run_spacy(train, dev, test, args, folder: Path) -> tuple[dict, list[list[str]]]:
    import spacy
    from spacy.cli.train import train as spacy_train
    from spacy.tokens import Doc

    blank = spacy.blank("en")
    _docbin(blank, train.X, train.y).to_disk(folder / "train.spacy")
    _docbin(blank, dev.X, dev.y).to_disk(folder / "dev.spacy")
    config = _write_config(folder, args.spacy_steps, args.spacy_eval, args.seed)
    wall, cpu = time.perf_counter(), time.process_time()
    spacy_train(config, folder / "out", use_gpu=-1)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    nlp = spacy.load(folder / "out" / "model-best")
    t0 = time.perf_counter()
    docs = list(nlp.pipe(Doc(nlp.vocab, words=s) for s in test.X))
    tag_s = time.perf_counter() - t0
    pred = [[t.tag_ for t in d] for d in docs]
    return {"model": f"spaCy {spacy.__version__} tagger (efficiency, from scratch)", "train_wall_s": wall,
            "train_cpu_s": cpu, "tag_s": tag_s}, pred


def run_seqtag(train, dev, test, args) -> tuple[dict, list[list[str]]]:
    tagger = make_model("bilstm-crf", preset=args.preset, random_state=args.seed, verbose=False, **dict(args.param))
    wall, cpu = time.perf_counter(), time.process_time()
    tagger.fit(train.X, train.y, X_dev=dev.X, y_dev=dev.y)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    tagger.predict(test.X[:8])
    t0 = time.perf_counter()
    pred = tagger.predict(test.X)
    tag_s = time.perf_counter() - t0
    setup = "".join(f", {k}={v}" for k, v in args.param)
    return {"model": f"seqtag bilstm-crf ({args.preset} preset{setup})", "train_wall_s": wall, "train_cpu_s": cpu,
            "tag_s": tag_s}, pred


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="full", help="seqtag preset of bilstm-crf (default full)")
    p.add_argument("--threads", type=int, default=None, help="torch threads (spaCy's numpy ops follow OMP/BLAS)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--spacy-steps", type=int, default=None, help="spaCy max_steps (default: its config's)")
    p.add_argument("--spacy-eval", type=int, default=None, help="spaCy eval_frequency (default: its config's, 200)")
    p.add_argument("--param", type=param_arg, action="append", default=[], metavar="NAME=VALUE",
                   help="bilstm-crf parameter over the preset's (JSON value), e.g. max_epochs=10; repeatable")
    p.add_argument("--quick", action="store_true", help="smoke run: 300 training sentences, 100 spaCy steps")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    train, dev, test = (load_corpus("ptb-sample", split=s) for s in ("train", "dev", "test"))
    if args.quick:
        train, dev, test = train[:300], dev[:100], test[:100]
        args.spacy_steps, args.spacy_eval, args.preset = 100, 50, "quick"
    vocab = {w for s in train.X for w in s}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for row, pred in (run_spacy(train, dev, test, args, Path(tmp)), run_seqtag(train, dev, test, args)):
            split = known_unknown_accuracy(test.X, test.y, pred, vocab)
            row.update(accuracy=100 * accuracy(test.y, pred), unknown=100 * split["unknown"],
                       tokens_per_s=test.n_tokens / row.pop("tag_s"))
            rows.append(row)
    rows[1]["time_vs_spacy"] = rows[1]["train_wall_s"] / rows[0]["train_wall_s"]
    rows[0]["time_vs_spacy"] = 1.0
    print(f"# spaCy anchor vs seqtag bilstm-crf, PTB sample ({machine_info()}; torch threads "
          f"{torch.get_num_threads()})\n")
    print(markdown_table(rows, ["model", "accuracy", "unknown", "train_wall_s", "train_cpu_s", "time_vs_spacy",
                                "tokens_per_s"], floatfmt=".2f"))


if __name__ == "__main__":
    main()
