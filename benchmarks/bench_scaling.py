"""Tokens per second of ``seqtag tag --output`` in one process, on 1 Dask worker and on 2.

Usage: python benchmarks/bench_scaling.py [--quick] [--tokens 1000000] [--chunk-lines 2000] [--models hmm2,crf]

The PTB sample (all splits, one whitespace-tokenized sentence per line) is
repeated until it holds at least ``--tokens`` tokens and written to a temporary
file.  Each model (trained on the PTB sample train split; the CRF with
``max_iter=50``) then tags that file into a Parquet folder with
:func:`seqtag.distributed.tag_file`, the engine of ``seqtag tag DIR --input
FILE --output OUT.parquet``:

* ``predict only``: ``tagger.predict`` on all sentences in memory (no I/O,
  no rows): the ceiling for one process;
* ``1 process``: ``--workers 0``, read, tag, build rows, write Parquet, no Dask;
* ``dask, N workers``: a ``LocalCluster`` of N single-threaded worker processes.
  ``cold``: the first job, including sending the model and warming the workers
  (importing seqtag, loading the Numba kernels); ``warm``: the same job again,
  the workers already holding the model.  Starting the cluster is shown apart.

The machine is shared, so the 1- and 5-minute load average is printed before
every run; compare rows of the same run.  ``--quick``: 50,000 tokens, one model.
Needs NLTK data (``NLTK_DATA``) and ``pip install 'seqtag[dask]'``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "passive")  # see bench_hmm_tagger.py

import argparse  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from _common import machine_info  # noqa: E402

import seqtag  # noqa: E402
from seqtag.corpora import load_corpus  # noqa: E402
from seqtag.distributed import dask_client, tag_file  # noqa: E402
from seqtag.registry import make_model  # noqa: E402


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f} / {five:.1f}"


def write_corpus(path: Path, n_tokens: int) -> tuple[int, int]:
    sents = [s for split in ("train", "dev", "test") for s in load_corpus("ptb-sample", split=split).X]
    lines = tokens = 0
    with open(path, "w", encoding="utf-8") as fh:
        while tokens < n_tokens:
            for s in sents:
                fh.write(" ".join(s) + "\n")
                lines += 1
                tokens += len(s)
                if tokens >= n_tokens and n_tokens < 100_000:  # --quick: stop mid-corpus
                    return lines, tokens
    return lines, tokens


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small smoke run")
    ap.add_argument("--tokens", type=int, default=1_000_000, help="tokens to tag (at least)")
    ap.add_argument("--chunk-lines", type=int, default=2000, help="lines per task")
    ap.add_argument("--models", default="hmm2,crf", help="comma-separated tagger names (seqtag.registry.MODELS)")
    ap.add_argument("--workers", default="1,2", help="Dask worker counts to try")
    args = ap.parse_args()
    if args.quick:
        args.tokens, args.models = 50_000, args.models.split(",")[0]
    tmp = Path(tempfile.mkdtemp(prefix="seqtag-bench-scaling-"))
    try:
        run(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(args, tmp: Path) -> None:
    src = tmp / "big.txt"
    n_lines, n_tokens = write_corpus(src, args.tokens)
    train = load_corpus("ptb-sample", split="train")
    models = {}
    for name in args.models.split(","):
        params = {"max_iter": 50} if name == "crf" else {}
        t0 = time.perf_counter()
        tagger = make_model(name, kind="tagger", **params).fit(train.X, train.y)
        models[name] = (tagger.save(tmp / name), time.perf_counter() - t0)
        print(f"trained {name} in {models[name][1]:.1f} s")
    print(f"\n{machine_info()}; input {n_lines:,} lines, {n_tokens:,} tokens "
          f"({src.stat().st_size / 1e6:.1f} MB); chunks of {args.chunk_lines} lines\n")
    rows = []
    sents = None
    for name, (folder, _) in models.items():
        tagger = seqtag.load(folder)
        if sents is None:
            with open(src, encoding="utf-8") as fh:
                sents = [ln.split() for ln in fh]
        tagger.predict(sents[:100])  # numba warm-up
        before = load()
        t0 = time.perf_counter()
        tagger.predict(sents)
        rows.append((name, "predict only (in memory)", before, "", time.perf_counter() - t0))
        before = load()
        stats = tag_file(src, folder, tmp / f"{name}-1p.parquet", chunk_lines=args.chunk_lines)
        assert stats["tokens"] == n_tokens and stats["errors"] == 0
        rows.append((name, "1 process (--workers 0)", before, "", stats["seconds"]))
    sents = None
    for n in [int(v) for v in args.workers.split(",")]:
        t0 = time.perf_counter()
        with dask_client(n_workers=n) as client:
            start_s = time.perf_counter() - t0
            for name, (folder, _) in models.items():
                for state in ("cold", "warm"):
                    before = load()
                    stats = tag_file(src, folder, tmp / f"{name}-{n}w.parquet", client=client,
                                     chunk_lines=args.chunk_lines, overwrite=True)
                    assert stats["tokens"] == n_tokens and stats["errors"] == 0
                    mode = f"dask, {n} worker{'s' * (n > 1)}, {state}"
                    rows.append((name, mode, before, f"{start_s:.1f}" if state == "cold" else "", stats["seconds"]))
    print("| model | mode | load avg 1/5 min before | cluster start (s) | seconds | tokens/s | vs 1 process |")
    print("|---|---|---|---|---|---|---|")
    base = {r[0]: r[4] for r in rows if r[1].startswith("1 process")}
    for name, mode, before, start, secs in rows:
        print(f"| {name} | {mode} | {before} | {start} | {secs:.1f} | {n_tokens / secs:,.0f} | "
              f"{base[name] / secs:.2f}x |")
    print(f"\nload average after the run: {load()}")


if __name__ == "__main__":
    main()
