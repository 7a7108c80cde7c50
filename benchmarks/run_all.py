"""Rerun every anchor comparison and regenerate docs/benchmarks.md.

Each benchmark owns one section of docs/benchmarks.md, between the markers
``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->``.  A run replaces the
sections it reran (with the command, the machine and the date) and keeps the
others, so a single slow benchmark can be refreshed on its own:

    python benchmarks/run_all.py                    # everything (hours on 2 cores)
    python benchmarks/run_all.py --only hmm-tagger  # one section
    python benchmarks/run_all.py --quick            # smoke run, prints only, writes nothing
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import machine_info  # noqa: E402

DOC = HERE.parent / "docs" / "benchmarks.md"

#: name -> (title, script arguments); run as `python benchmarks/<script> <args>`
BENCHMARKS: dict[str, tuple[str, list[str]]] = {
    "baseline": ("Baseline tagger, PTB sample split", ["bench_baseline.py"]),
    "hmm-kernels": ("HMM kernels vs hmmlearn (K=45, V=10,000, ~110k tokens)", ["bench_hmm_kernels.py"]),
    "hmm-tagger": ("HMMTagger vs NLTK TnT and NLTK HMM, PTB sample split", ["bench_hmm_tagger.py"]),
    "pos-induction": ("Unsupervised POS induction (Baum-Welch), PTB sample train", ["bench_pos_induction.py"]),
    "crf-tagger": ("CRFTagger vs CRFsuite", ["bench_crf_tagger.py"]),
    "crf-layer": ("CRF layer vs pytorch-crf (B=64, T=40, K=45, 1 thread)", ["bench_crf_layer.py", "--full"]),
    "neural": ("Neural taggers", ["bench_neural.py", "--corpus", "all"]),
    "ctc-align": ("CTC alignment kernel vs torchaudio", ["bench_ctc_align.py"]),
    "ctc-aligner": ("Trained CTC aligner: word boundaries", ["bench_ctc_aligner.py"]),
    "hmm-aligner": ("HMM (GMM-HMM) aligner: word boundaries", ["bench_hmm_aligner.py"]),
    "attention-aligner": ("Attention aligner vs CTC aligner: word boundaries", ["bench_attention_aligner.py"]),
    "aligners": ("Three aligners on the same utterances", ["bench_aligners.py"]),
    "english-aligner": ("Pretrained English aligner vs PocketSphinx", ["bench_english_aligner.py"]),
    "scaling": ("Scaling out on Dask: tokens/s, 1 process vs 1 and 2 workers", ["bench_scaling.py"]),
    "spacy": ("spaCy's tagger as the anchor of bilstm-crf", ["bench_spacy.py", "--threads", "1"]),
    "cli": ("Command-line start-up: seqtag tag of one sentence", ["bench_cli.py"]),
    "trigger": ("Trigger-word detection: GRU, LSTM and a logistic-regression anchor", ["bench_trigger.py"]),
    "compare": ("seqtag compare, full preset, PTB sample: every tagger on one split",
                ["bench_compare.py", "--jobs", "2"]),
}

HEADER = """# Benchmarks

Every figure here comes from a script in `benchmarks/`; anchor and seqtag run in the same
process on the same input, and speed is never asserted in tests. The anchors (hmmlearn,
sklearn-crfsuite, pytorch-crf, NLTK taggers, torchaudio) are benchmark extras:
`pip install -e ".[bench]"`. `python benchmarks/run_all.py` reruns them all and rewrites the
sections below; `--only NAME` reruns one.
"""


def section(name: str, title: str, command: str, output: str, seconds: float) -> str:
    return (
        f"<!-- bench:{name} -->\n## {title}\n\n```\n{command}\n```\n\n"
        f"{machine_info()}; took {seconds:.0f} s.\n\n{output.strip()}\n<!-- /bench:{name} -->\n"
    )


def merge(doc: str, name: str, text: str) -> str:
    """Replace section ``name`` in ``doc`` (or append it)."""
    pattern = re.compile(rf"<!-- bench:{re.escape(name)} -->.*?<!-- /bench:{re.escape(name)} -->\n?", re.S)
    if pattern.search(doc):
        return pattern.sub(lambda _: text, doc)
    return doc.rstrip("\n") + "\n\n" + text


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", help=f"comma-separated subset of: {', '.join(BENCHMARKS)}")
    ap.add_argument("--quick", action="store_true", help="pass --quick to each script; print only")
    args = ap.parse_args(argv)
    names = args.only.split(",") if args.only else list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        ap.error(f"unknown benchmark(s) {unknown}; valid: {', '.join(BENCHMARKS)}")
    doc = DOC.read_text(encoding="utf-8") if DOC.exists() else HEADER
    failed = []
    for name in names:
        title, script_args = BENCHMARKS[name]
        cmd = [sys.executable, str(HERE / script_args[0]), *script_args[1:]] + (["--quick"] if args.quick else [])
        shown = "python benchmarks/" + " ".join(script_args)
        print(f"== {name}: {shown}", flush=True)
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        seconds = time.perf_counter() - t0
        print(proc.stdout)
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            failed.append(name)
            continue
        if not args.quick:
            doc = merge(doc, name, section(name, title, shown, proc.stdout, seconds))
            DOC.write_text(doc, encoding="utf-8")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
