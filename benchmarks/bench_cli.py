"""Start-up of the command line: ``seqtag tag`` of one sentence with a saved hmm2, against ``import numpy``.

Usage: python benchmarks/bench_cli.py [--repeats 7] [--model DIR]

Trains hmm2 on the PTB sample (or takes ``--model DIR``), runs the command once to warm the
caches (numba's compiled kernels, the OS file cache), then times ``--repeats`` runs of each,
interleaved: ``python -c "import numpy"`` (the anchor: an interpreter and NumPy),
``echo "The market rallied. Stocks rose." | seqtag tag DIR`` and, for the record, the same with
``--tokenized``. Prints median and best wall time, the ratio to the anchor, and which of the
heavy libraries (scikit-learn, NLTK, SciPy's stats, pandas, torch, Numba) the command imported.
Target (issue #19): <= 1 s wall once the caches are warm.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import machine_info, markdown_table

SENTENCE = "The market rallied. Stocks rose.\n"
HEAVY = ("sklearn", "nltk", "scipy.stats", "pandas", "torch", "numba")


def _seqtag() -> list[str]:
    exe = Path(sys.executable).with_name("seqtag")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "seqtag.cli"]


def _wall(cmd: list[str], stdin: str | None = None) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, input=stdin, capture_output=True, text=True, check=True)
    return time.perf_counter() - t0


def _heavy_imports(model: str) -> list[str]:
    code = ("import io, sys; from seqtag.cli import main; sys.stdin = io.StringIO(sys.argv[2]); "
            "main(['tag', sys.argv[1]]); sys.stdout = sys.__stdout__; "
            f"print('HEAVY:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code, model, SENTENCE], capture_output=True, text=True, check=True)
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("HEAVY:"))
    return [m for m in line[len("HEAVY:"):].split(",") if m]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--model", help="a saved tagger folder (default: train hmm2 on the PTB sample)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        model = args.model
        if model is None:
            model = os.path.join(tmp, "hmm2")
            subprocess.run(_seqtag() + ["train", "--model", "hmm2", "--corpus", "ptb-sample", "-o", model],
                           check=True, capture_output=True)
        runs = {
            "python -c 'import numpy' (anchor)": ([sys.executable, "-c", "import numpy"], None),
            "seqtag tag DIR (raw text)": (_seqtag() + ["tag", model], SENTENCE),
            "seqtag tag DIR --tokenized": (_seqtag() + ["tag", model, "--tokenized"], SENTENCE),
        }
        for cmd, stdin in runs.values():  # warm: numba's cache, the file cache
            _wall(cmd, stdin)
        times: dict[str, list[float]] = {k: [] for k in runs}
        for _ in range(args.repeats):
            for name, (cmd, stdin) in runs.items():
                times[name].append(_wall(cmd, stdin))
        heavy = _heavy_imports(model)

    anchor = statistics.median(next(iter(times.values())))
    rows = [{"command": name, "median_s": statistics.median(ts), "best_s": min(ts),
             "x_anchor": statistics.median(ts) / anchor} for name, ts in times.items()]
    print(f"# seqtag CLI start-up ({machine_info()}; load average {os.getloadavg()[0]:.2f})\n")
    print(markdown_table(rows, ["command", "median_s", "best_s", "x_anchor"], floatfmt=".3f"))
    print(f"\nheavy libraries imported by `seqtag tag`: {', '.join(heavy) or 'none'}")


if __name__ == "__main__":
    main()
