"""The ``seqtag`` command line: download, train, tag, evaluate, list.

User mistakes (unknown names, missing files, bad input) print one line on
stderr and exit with status 2; no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

from . import __version__
from .exceptions import InputError, SeqtagError
from .userio import check_report_folder, read_text

__all__ = ["main", "build_parser"]

#: ``seqtag compare`` without ``--models``: one tagger of every family, and the baseline as a floor.
DEFAULT_COMPARISON = "baseline,hmm2,crf,bilstm-crf,transformer"

#: Modules that add their own sub-commands through ``add_commands(subparsers)``.
COMMAND_MODULES: tuple[str, ...] = ("seqtag.align.cli",)


def _parse_params(items: Sequence[str]) -> dict[str, Any]:
    params = {}
    for item in items or ():
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise InputError(f"--param takes key=value, got {item!r}")
        try:
            params[key] = json.loads(raw)
        except json.JSONDecodeError:
            params[key] = raw
    return params


_FILE_OPTIONS = ("train", "dev", "test", "format", "token_column", "tag_column")


def _corpus_source(args) -> tuple[str | None, dict[str, Any]]:
    """``(name or path or None, load_corpus options)`` from the corpus flags, checked before any work."""
    from .corpora import CORPORA

    given = {k: getattr(args, k) for k in ("tagset", "task", "split_scheme", "data", *_FILE_OPTIONS)
             if getattr(args, k) is not None}
    if args.corpus in CORPORA:
        stray = [f"--{k.replace('_', '-')}" for k in _FILE_OPTIONS if k in given]
        if stray:
            raise InputError(f"{', '.join(stray)} go with your own files (--corpus PATH or --train/--dev/--test), "
                             f"not with the named corpus {args.corpus!r}")
        return args.corpus, {"path" if k == "data" else k: v for k, v in given.items()}
    if args.corpus is None and not any(k in given for k in ("train", "dev", "test")):
        raise InputError(f"give --corpus NAME (one of {', '.join(CORPORA)}), --corpus PATH (your own tagged file "
                         f"or folder), or --train/--dev/--test PATH")
    stray = [f"--{k.replace('_', '-')}" for k in ("task", "split_scheme", "data") if k in given]
    if stray:
        raise InputError(f"{', '.join(stray)} go with the named corpora, not with your own files")
    return args.corpus, given


def _corpus_label(args) -> str:
    return args.corpus if args.corpus is not None else "files"


def _add_corpus_args(p: argparse.ArgumentParser) -> None:
    # no seqtag.corpora import here: building the parser must stay cheap for `seqtag tag`
    g = p.add_argument_group("data", "a named corpus, or your own files (CoNLL-U, CoNLL column files, word/TAG "
                                     "text, or folders of them)")
    g.add_argument("--corpus", metavar="NAME|PATH",
                   help="a corpus name (see `seqtag list`) or your own tagged file or folder; a folder's "
                        "files named *train*/*dev*/*test* are its splits, else 10%% of the documents are held "
                        "out as dev and 10%% as test (seeded)")
    for split in ("train", "dev", "test"):
        g.add_argument(f"--{split}", metavar="PATH", help=f"your own {split} file or folder")
    g.add_argument("--format", metavar="auto|conllu|columns|slash",
                   help="format of your files (default auto: CoNLL-U by its .conllu suffix or 10 tab-separated "
                        "fields, word/TAG text, else columns)")
    g.add_argument("--token-column", type=int, metavar="N", help="column files: token field (default 0)")
    g.add_argument("--tag-column", type=int, metavar="N", help="column files: tag field (default -1, the last)")
    g.add_argument("--tagset", choices=["xpos", "upos"], help="CoNLL-U tag field: ud-ewt and your .conllu files "
                                                              "(default xpos)")
    g.add_argument("--task", choices=["chunk", "pos"], help="conll2000 labels (default chunk)")
    g.add_argument("--split-scheme", choices=["pos", "conll2000"],
                   help="ptb-wsj sections: pos (00-18/19-21/22-24, default) or conll2000 (15-18/20)")
    g.add_argument("--data", help="folder holding a named corpus (overrides NLTK_DATA / SEQTAG_DATA)")


# ------------------------------------------------------------------ commands
def cmd_download(args) -> int:
    from .corpora import corpus_available, download

    for name in args.names:
        if args.if_missing and corpus_available(name):
            print(f"{name}: already here")
            continue
        where = download(name, dest=args.dest)
        print(f"{name}: downloaded to {where}")
    return 0


def cmd_train(args) -> int:
    from .corpora import load_corpus
    from .persistence import check_output_folder
    from .registry import make_model

    check_output_folder(args.output, "-o")
    name, opts = _corpus_source(args)
    tagger = make_model(args.model, kind="tagger", **_parse_params(args.param))
    tagger._check_params()
    corpus = load_corpus(name, split=args.split, **opts)
    t0 = time.perf_counter()
    tagger.fit(corpus.X, corpus.y)
    seconds = time.perf_counter() - t0
    out = tagger.save(args.output)
    print(
        f"trained {args.model} ({type(tagger).__name__}) on {_corpus_label(args)}/{args.split}: "
        f"{len(corpus)} sentences, {corpus.n_tokens} tokens in {seconds:.1f} s -> {out}"
    )
    return 0


def _read_conllu_blocks(stream):
    block = []
    for line in stream:
        line = line.rstrip("\n")
        if line.strip():
            block.append(line)
        elif block:
            yield block
            block = []
    if block:
        yield block


def _tag_lines(tagger, lines: list[str], tokenized: bool) -> list[tuple[list[str], list[str]]]:
    """``(tokens, tags)`` per input line: one line in, one line out.

    Raw lines are cut into sentences and tokens (:func:`seqtag.tokenize.tokenize`); each sentence
    is tagged on its own and the sentences of a line are joined again.
    """
    if tokenized:
        sents = [ln.split() for ln in lines]
        return list(zip(sents, tagger.predict(sents)))
    from .tokenize import tokenize

    per_line = [tokenize(ln) for ln in lines]
    tags = iter(tagger.predict([s for sents in per_line for s in sents]))
    out = []
    for sents in per_line:
        tagged = [(s, next(tags)) for s in sents]
        out.append(([w for s, _ in tagged for w in s], [t for _, ts in tagged for t in ts]))
    return out


def _tag_to_parquet(args) -> int:
    from .distributed import dask_client, tag_file

    if args.input == "conllu":
        raise InputError("--output writes Parquet from text, one document per line; CoNLL-U input only goes "
                         "to stdout: drop --output or pass --input FILE")
    if not args.output.endswith(".parquet"):
        raise InputError(f"--output must be a Parquet folder ending in .parquet, got {args.output!r}")
    check_report_folder(args.output, "--output")
    if args.workers is not None and args.workers < 0:
        raise InputError(f"--workers must be >= 0 (0: no Dask, tag in this process), got {args.workers}")
    if args.scheduler and args.workers is not None:
        raise InputError("give either --scheduler (an existing cluster) or --workers (a local one), not both")
    source = sys.stdin if args.input == "text" else args.input
    opts = dict(tokenized=args.tokenized, marginals=args.marginals, chunk_lines=args.chunk_lines,
                overwrite=args.overwrite)
    if args.workers == 0:
        stats = tag_file(source, args.model_dir, args.output, **opts)
        where = "this process"
    else:
        n = args.workers or os.cpu_count() or 1
        with dask_client(args.scheduler, n_workers=n) as client:
            stats = tag_file(source, args.model_dir, args.output, client=client, **opts)
            where = args.scheduler or f"a local cluster of {n} workers"
    rate = stats["tokens"] / stats["seconds"] if stats["seconds"] > 0 else float("nan")
    print(f"tagged {stats['lines']} lines on {where}: {stats['tokens']} tokens, {stats['errors']} error rows "
          f"in {stats['seconds']:.1f} s ({rate:,.0f} tokens/s) -> {args.output} ({stats['parts']} parts)")
    return 0


def cmd_tag(args) -> int:
    from .persistence import load_model as load

    if args.output is not None:
        return _tag_to_parquet(args)
    if args.workers is not None or args.scheduler:
        raise InputError("--workers and --scheduler go with --output OUT.parquet")
    tagger = load(args.model_dir)
    out = sys.stdout
    if args.input == "conllu":
        column = {"xpos": 4, "upos": 3}[args.column]
        for block in _read_conllu_blocks(read_text(None).splitlines()):
            words = [ln.split("\t") for ln in block if not ln.startswith("#")]
            idx = [i for i, c in enumerate(words) if len(c) == 10 and c[0].isdigit()]
            tags = tagger.predict([[words[i][1] for i in idx]])[0]
            for i, tag in zip(idx, tags):
                words[i][column] = tag
            it = iter(words)
            for ln in block:
                out.write(ln + "\n" if ln.startswith("#") else "\t".join(next(it)) + "\n")
            out.write("\n")
        return 0
    source = None if args.input == "text" else args.input
    lines = read_text(source, "input" if source is None else "--input").splitlines()
    for tokens, tags in _tag_lines(tagger, lines, args.tokenized):
        if args.format == "slash":
            out.write(" ".join(f"{w}/{t}" for w, t in zip(tokens, tags)) + "\n")
        elif args.format == "tsv":
            out.write("".join(f"{w}\t{t}\n" for w, t in zip(tokens, tags)) + "\n")
        else:  # conllu
            for i, (w, t) in enumerate(zip(tokens, tags), 1):
                out.write(f"{i}\t{w}\t_\t_\t{t}\t_\t_\t_\t_\t_\n")
            out.write("\n")
    return 0


def cmd_evaluate(args) -> int:
    import pandas as pd

    from .corpora import MissingSplitError, load_corpus
    from .evaluation import evaluate
    from .persistence import load_model as load

    name, opts = _corpus_source(args)
    tagger = load(args.model_dir)
    corpus = load_corpus(name, split=args.split, **opts)
    try:
        vocab = {w for s in load_corpus(name, split=args.vocab_split, **opts).X for w in s}
    except MissingSplitError:  # only --test given: no known/unknown-word columns
        vocab = None
    row = evaluate(tagger, corpus, vocab=vocab)
    table = pd.DataFrame([row], index=[str(args.model_dir)])
    print(f"{_corpus_label(args)}/{args.split}: {len(corpus)} sentences, {corpus.n_tokens} tokens")
    print(table.T.to_string(float_format=lambda v: f"{v:.4f}"))
    return 0


def cmd_compare(args) -> int:
    from .comparison import compare, format_table, write_report

    name, opts = _corpus_source(args)
    if args.report:
        check_report_folder(args.report)
    if args.curve is None:
        sizes = "preset"
    elif args.curve.strip().lower() in ("", "none", "0"):
        sizes = None
    else:
        try:
            sizes = [float(v) for v in args.curve.split(",")]
        except ValueError:
            raise InputError(f"--curve takes comma-separated fractions such as 0.1,0.5,1 or 'none', got {args.curve!r}")
    result = compare(
        args.models, name, preset=args.preset, cv=args.cv, corpus_options=opts,
        curve_sizes=sizes, n_resamples=args.bootstrap, progress=not args.quiet, return_result=True,
        n_jobs=args.jobs,
    )
    print(format_table(result.table).to_string())
    if args.report:
        out = write_report(result, args.report, title=f"seqtag compare: {_corpus_label(args)}")
        print(f"report: {out / 'index.html'}")
    return 0


def cmd_list(args) -> int:
    from .corpora import CORPORA, SPEECH_CORPORA
    from .registry import MODELS, model_names

    for kind in ("tagger", "aligner"):
        print(f"{kind}s:")
        for name in model_names(kind):
            print(f"  {name:<16} {MODELS[name].description}")
    print("corpora:")
    for name in CORPORA:
        print(f"  {name}")
    print("speech corpora:")
    for name in SPEECH_CORPORA:
        print(f"  {name}")
    return 0


# -------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``seqtag`` command."""
    parser = argparse.ArgumentParser(
        prog="seqtag", description="Sequence labeling and alignment: classical and neural models side by side."
    )
    parser.add_argument("--version", action="version", version=f"seqtag {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("download", help="fetch corpora (needs internet)", description="Download corpora.")
    p.add_argument("names", nargs="+", metavar="NAME", help="corpus names (see `seqtag list`)")
    p.add_argument("--dest", help="folder to download into (default: the data home)")
    p.add_argument("--if-missing", action="store_true", help="skip corpora that are already found")
    p.set_defaults(func=cmd_download)

    p = sub.add_parser("train", help="train a tagger on a corpus split", description="Train and save a tagger.")
    p.add_argument("--model", required=True, help="model preset (see `seqtag list`)")
    _add_corpus_args(p)
    p.add_argument("--split", default="train", help="split to train on (default train)")
    p.add_argument("--param", action="append", metavar="KEY=VALUE", help="model parameter (JSON value), repeatable")
    p.add_argument("-o", "--output", required=True, help="folder to save the model in")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser(
        "tag", help="tag sentences from stdin or a file, to stdout or Parquet (optionally on Dask)",
        description="Tag stdin or --input FILE: raw text, one output line per input line (--tokenized: "
                    "whitespace-tokenized lines), or CoNLL-U on stdin with --input conllu. With --output OUT.parquet the rows go to a "
                    "Parquet folder, tagged on a local Dask cluster (--workers N) or an existing one "
                    "(--scheduler ADDRESS).",
    )
    p.add_argument("model_dir", metavar="DIR", help="a saved model folder")
    p.add_argument("--input", default="text", metavar="FILE|text|conllu",
                   help="a text file (./text for a file named text), or the stdin format: text (default) "
                        "or conllu")
    p.add_argument("--tokenized", action="store_true",
                   help="lines are already tokenized: split at whitespace only (default: raw text, cut into "
                        "Penn-Treebank tokens; a line with several sentences stays one output line)")
    p.add_argument("--raw", action="store_false", dest="tokenized", help=argparse.SUPPRESS)  # the old default's opt-in
    p.add_argument("--format", choices=["slash", "tsv", "conllu"], default="slash", help="output for text input")
    p.add_argument("--column", choices=["xpos", "upos"], default="xpos", help="CoNLL-U column to fill")
    p.add_argument("--output", metavar="OUT.parquet",
                   help="write one row per token (doc_id = line number) to this Parquet folder")
    p.add_argument("--workers", type=int, metavar="N",
                   help="with --output: local Dask workers (default: one per CPU; 0: no Dask, this process)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="with --output: an existing Dask scheduler, tcp://host:8786")
    p.add_argument("--marginals", action="store_true", help="with --output: add the tag's probability (CRF taggers)")
    p.add_argument("--chunk-lines", type=int, default=5000, metavar="N", help="with --output: lines per task")
    p.add_argument("--overwrite", action="store_true", help="with --output: replace existing part files")
    p.set_defaults(func=cmd_tag)

    p = sub.add_parser("evaluate", help="score a saved tagger on a corpus split", description="Evaluate a tagger.")
    p.add_argument("model_dir", metavar="DIR", help="a saved model folder")
    _add_corpus_args(p)
    p.add_argument("--split", default="test", help="split to evaluate on (default test)")
    p.add_argument("--vocab-split", default="train", help="split whose words count as known (default train)")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser(
        "compare", help="train and score several taggers on the same corpus and split",
        description="Compare taggers on one corpus: one row per model, optional report folder.",
    )
    p.add_argument("--models", default=DEFAULT_COMPARISON,
                   help=f"comma-separated presets (see `seqtag list`); default {DEFAULT_COMPARISON}: a baseline, "
                        f"an HMM, a CRF, a recurrent and a transformer tagger")
    _add_corpus_args(p)
    p.add_argument("--preset", default="quick", help="quick (minutes) or full (the published settings)")
    p.add_argument("--cv", type=int, metavar="K", help="document-level K-fold cross-validation instead of the test split")
    p.add_argument("--curve", metavar="FRACTIONS",
                   help="learning-curve training fractions, e.g. 0.1,0.25,0.5,1, or 'none' "
                        "(default: the preset's: quick 0.1,1; full 0.1,0.3,1)")
    p.add_argument("--bootstrap", type=int, default=1000, metavar="N", help="bootstrap resamples (default 1000)")
    p.add_argument("--report", metavar="DIR", help="write results.csv/.md, plots and index.html here")
    p.add_argument("--jobs", type=int, default=1, metavar="N",
                   help="train N models at a time in worker processes, each on its share of the cores "
                        "(-1: one per core; default 1)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("list", help="list named models (taggers, aligners) and corpora",
                       description="List named models and corpora.")
    p.set_defaults(func=cmd_list)

    for module in COMMAND_MODULES:
        importlib.import_module(module).add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SeqtagError as exc:
        print(f"seqtag: error: {exc}", file=sys.stderr)
        return 2
    except UnicodeDecodeError as exc:  # a reader that did not name its file
        print(f"seqtag: error: input is not UTF-8 text (byte offset {exc.start}: {exc.object[exc.start:exc.start + 1]!r})",
              file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `seqtag tag ... | head`
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
