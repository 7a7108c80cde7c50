"""The main job, measured: `seqtag compare` with the full preset on the PTB sample split.

Every model of the README demo, trained with the published settings
(``seqtag.registry.PRESETS["full"]``), scored on the same test split with the
same metrics, significance against the best model, and the learning curve
(``seqtag.registry.PRESET_CURVES["full"]``: 10 / 30 / 100 % of the training documents,
the 100 % point reusing the main run). Prints the table and the
curve as markdown; ``--report DIR`` also writes the report folder.

    python benchmarks/bench_compare.py --jobs 2 --report reports/ptb-full      # two models at a time
    python benchmarks/bench_compare.py --quick                                 # the quick preset
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine_info  # noqa: E402

MODELS = "baseline,hmm1,hmm2,crf,bilstm,bilstm-crf,transformer"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="the quick preset (the README demo) instead of full")
    ap.add_argument("--corpus", default="ptb-sample")
    ap.add_argument("--models", default=MODELS)
    ap.add_argument("--curve", default="preset", help="fractions such as 0.1,0.5,1, 'preset' or 'none'")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    ap.add_argument("--jobs", type=int, default=1, help="models trained at a time, each in a worker process "
                                                        "with its share of the cores (compare's n_jobs)")
    ap.add_argument("--report", default=None, help="also write the report folder here")
    args = ap.parse_args(argv)

    import torch

    from seqtag.comparison import compare, format_table, markdown_table, write_report

    if args.threads:
        torch.set_num_threads(args.threads)
    preset = "quick" if args.quick else "full"
    curve = {"preset": "preset", "none": None}.get(args.curve)
    if curve is None and args.curve != "none":
        curve = [float(v) for v in args.curve.split(",")]
    threads = f"{max(1, (os.cpu_count() or 1) // args.jobs)} per worker" if args.jobs != 1 else torch.get_num_threads()
    print(f"# {machine_info()}, torch threads {threads}, jobs {args.jobs}")
    print("# command: python benchmarks/bench_compare.py " + " ".join(sys.argv[1:] if argv is None else argv))
    t0 = time.perf_counter()
    result = compare(args.models, args.corpus, preset=preset, curve_sizes=curve, return_result=True,
                     n_jobs=args.jobs, progress=True)
    seconds = time.perf_counter() - t0
    print(f"\nCorpus `{args.corpus}`, preset `{preset}`, test split {len(result.gold)} sentences / "
          f"{result.gold.n_tokens} tokens; whole run {seconds:.0f} s.\n")
    print(markdown_table(format_table(result.table)))
    if result.curves is not None:
        wide = result.curves.pivot_table(index="model", columns="train_tokens", values="accuracy", sort=False)
        wide = wide.reindex(result.table.index)
        wide.columns = [f"{c:,} tokens" for c in wide.columns]
        print("\nLearning curve (test accuracy by training tokens, whole documents):\n")
        print(markdown_table(wide.map(lambda v: f"{v:.2%}")))
    if args.report:
        out = write_report(result, args.report, title=f"seqtag compare: {args.corpus} ({preset})")
        print(f"\nreport: {out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
