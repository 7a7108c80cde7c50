"""HMM, CTC and attention forced aligners side by side on the same utterances.

Usage::

    SEQTAG_DATA=... NLTK_DATA=... python benchmarks/bench_aligners.py            # full run
    SEQTAG_DATA=... NLTK_DATA=... python benchmarks/bench_aligners.py --quick    # smoke run

For each corpus (``synthetic``: 10 espeak-ng train voices -> 4 unseen test voices;
``fsdd-strings``: 4 train speakers -> 2 unseen speakers) every aligner is trained on
the same ``--n-train`` training utterances (default 300) and aligns the same
``--n-test`` test utterances (default 60) one at a time, through
:func:`seqtag.comparison.aligners.compare_aligners` (the presets of
:data:`seqtag.registry.PRESETS`: ``full``; ``--quick``: ``quick``, 40 / 10 utterances). Reported: word (and, where the phone tiers have the same
length, phone) boundary MAE / median / % within 10, 20, 50 ms / boundary F1 at 20 ms,
training time and alignment speed (× real time). The HMM targets of issue #9 are
checked at the end: word MAE <= 20 ms on unseen synthetic voices, <= 30 ms on FSDD
strings, >= 50x real time.

``--protocol mfa`` lets the HMM aligner also learn from the test audio and
transcripts (never their boundaries), as ``bench_hmm_aligner.py`` does.

With ``$SEQTAG_DATA/mfa_test_speech`` present, the aligners trained on synthetic speech
are also compared with the TextGrids there, which are MFA's own output (agreement with
MFA, not accuracy).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine_info, markdown_table  # noqa: E402

from seqtag.comparison.aligners import compare_aligners, load_splits  # noqa: E402
from seqtag.comparison.mfa import default_mfa_dir  # noqa: E402
from seqtag.registry import model_names  # noqa: E402

_COLUMNS = ["aligner", "train_s", "x_realtime", "failed", "word_mae_ms", "word_median_ms", "word_within_10ms",
            "word_within_20ms", "word_within_50ms", "word_f1_20ms", "phone_utts", "phone_mae_ms"]
_TARGETS = {"synthetic": 20.0, "fsdd-strings": 30.0}
_MIN_SPEED = 50.0


def _available(names: list[str]) -> list[str]:
    """The named aligners this installation has (the registry's ``model_names("aligner")``)."""
    have = model_names("aligner")
    for name in names:
        if name not in have:
            print(f"{name}: not an aligner of this seqtag (have: {', '.join(have)}): skipped", flush=True)
    return [name for name in names if name in have]


def run(corpus: str, aligners: list[str], args) -> dict:
    train, test = load_splits(corpus, n_train=args.n_train, n_test=args.n_test, seed=args.seed,
                              cache_dir=args.cache_dir)
    print(f"{corpus}: train {train!r}\n{corpus}: test  {test!r}", flush=True)
    mfa_dir = args.mfa_dir if corpus == "synthetic" else None
    table, details = compare_aligners(aligners, train, test, preset=args.preset, protocol=args.protocol,
                                      seed=args.seed, mfa_dir=mfa_dir, progress=args.progress, return_details=True)
    rows = [{"aligner": name, **{k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()}}
            for name, row in table.to_dict("index").items()]
    shown = [{k: (f"{v:.3f}" if k.endswith("f1_20ms") else f"{v:.1f}") if isinstance(v, float) else v
              for k, v in r.items()} for r in rows]
    print(f"\n{corpus} (preset {args.preset}, protocol {args.protocol}, seed {args.seed}):")
    print(markdown_table(shown, _COLUMNS), flush=True)
    out = {"corpus": corpus, "train_utts": len(train), "train_audio_s": round(train.total_seconds, 1),
           "test_utts": len(test), "test_audio_s": round(test.total_seconds, 1), "rows": rows}
    if details.mfa is not None:
        pooled = details.mfa.xs("all", level="file")
        out["mfa_agreement"] = {name: {k: (round(v, 1) if isinstance(v, float) else v) for k, v in r.items()}
                                for name, r in pooled.to_dict("index").items()}
        print("agreement with MFA's own TextGrids (not hand labels), pooled:")
        print(pooled[["matched_words", "mfa_words", "median_abs_ms", "mean_abs_ms", "status"]]
              .to_string(float_format=lambda v: f"{v:.1f}"), flush=True)
    if "hmm" in table.index and corpus in _TARGETS:
        mae, speed = float(table.loc["hmm", "word_mae_ms"]), float(table.loc["hmm", "x_realtime"])
        ok = mae <= _TARGETS[corpus] and speed >= _MIN_SPEED
        out["hmm_target"] = {"word_mae_ms": round(mae, 1), "max_ms": _TARGETS[corpus], "x_realtime": round(speed, 1),
                             "min_x_realtime": _MIN_SPEED, "met": ok}
        note = "" if args.preset == "full" else " (the targets are for preset full; this is a smoke run)"
        print(f"HMM target on {corpus}: word MAE {mae:.1f} ms (<= {_TARGETS[corpus]:.0f}), {speed:.0f}x real time "
              f"(>= {_MIN_SPEED:.0f}): {'met' if ok else 'MISSED'}{note}", flush=True)
    if args.report:
        from seqtag.comparison.aligner_report import write_aligner_report

        where = write_aligner_report(table, details, Path(args.report) / corpus, title=f"aligners on {corpus}")
        print(f"report: {where / 'index.html'}", flush=True)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="smoke run: preset quick, 40 / 10 utterances")
    p.add_argument("--corpora", default="synthetic,fsdd-strings")
    p.add_argument("--aligners", default="hmm,ctc,attention")
    p.add_argument("--n-train", type=int, default=None, help="default 300 (quick 40)")
    p.add_argument("--n-test", type=int, default=None, help="default 60 (quick 10)")
    p.add_argument("--protocol", choices=["heldout", "mfa"], default="heldout")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--cache-dir", default=None)
    p.add_argument("--mfa-dir", default=None, help="default $SEQTAG_DATA/mfa_test_speech; 'none' to skip")
    p.add_argument("--report", default=None, help="write one report folder per corpus under this folder")
    p.add_argument("--progress", action="store_true")
    p.add_argument("--json", default=None, help="write all results to this file")
    args = p.parse_args(argv)
    args.preset = "quick" if args.quick else "full"
    args.n_train = args.n_train or (40 if args.quick else 300)
    args.n_test = args.n_test or (10 if args.quick else 60)
    args.mfa_dir = None if args.mfa_dir == "none" else (args.mfa_dir or default_mfa_dir())
    print(f"# {machine_info()}", flush=True)
    aligners = _available([a.strip() for a in args.aligners.split(",") if a.strip()])
    results = [run(corpus, aligners, args) for corpus in args.corpora.split(",")]
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
