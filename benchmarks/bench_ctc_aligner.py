"""CTC aligner end to end: train on seen voices/speakers, measure word boundaries on unseen ones.

Usage::

    SEQTAG_DATA=... NLTK_DATA=... python benchmarks/bench_ctc_aligner.py            # full run
    SEQTAG_DATA=... NLTK_DATA=... python benchmarks/bench_ctc_aligner.py --quick    # smoke run

For each corpus (``synthetic``: espeak-ng train voices -> unseen test voices;
``fsdd-strings``: 4 train speakers -> 2 unseen speakers) it trains a
:class:`seqtag.align.aligners.ctc.CTCAligner` (single torch thread), then reports on
the test split the word-boundary MAE / median / % within 20 ms (every word's
start and end against the reference), for two word-timing rules:

* ``raw``: CTC spans with the frame-centre shift only (-hop/2), and
* ``calibrated``: start/end shifts set to the median reference-minus-raw
  difference on the *training* utterances (``start_shift_`` / ``end_shift_``, calibrated
  at the end of ``fit``: the aligner's default),
* ``calibrated + energy``: then boundaries that face a pause snapped to its edges
  (``refine="energy"``, :mod:`seqtag.align.refine`),

plus training time (calibration included) and alignment speed (audio seconds per wall second, features +
network + CTC Viterbi, one utterance at a time). Generated audio is cached
under ``--cache-dir`` (default: the data home).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine_info, speech_parser, three_rules  # noqa: E402

from seqtag.align import CTCAligner  # noqa: E402
from seqtag.corpora import load_speech_corpus  # noqa: E402


def run(corpus: str, args) -> list[dict]:
    opts = {} if args.cache_dir is None else {"cache_dir": Path(args.cache_dir) / corpus}
    if corpus == "synthetic" and args.snr is not None:
        opts["snr_db"] = tuple(args.snr)
    t0 = time.perf_counter()
    train = load_speech_corpus(corpus, "train", n=args.n_train, seed=args.seed, **opts)
    test = load_speech_corpus(corpus, "test", n=args.n_test, seed=args.seed, **opts)
    gen_s = time.perf_counter() - t0
    print(f"{corpus}: train {train!r}\n{corpus}: test  {test!r}  (data ready in {gen_s:.1f} s)", flush=True)
    aligner = CTCAligner(model_params={"hidden": args.hidden, "channels": args.hidden, "layers": args.layers,
                                       "stride": args.stride}, word_sep=args.word_sep, epochs=args.epochs,
                         batch_size=args.batch_size, lr=args.lr, random_state=args.seed, verbose=args.progress)
    t0 = time.perf_counter()
    aligner.fit(train)  # trains, then calibrates the word-timing shifts on train
    train_s = time.perf_counter() - t0
    print(f"{corpus}: loss per epoch {[round(h, 2) for h in aligner.history_]}", flush=True)
    scored = three_rules(aligner, test)
    if args.save:
        aligner.save(Path(args.save) / corpus)
    rows = [{"corpus": corpus, "train_utts": len(train), "train_audio_s": round(train.total_seconds, 1),
             "test_utts": len(test), "test_speakers": ",".join(test.speakers), "train_s": round(train_s, 1),
             **r} for r in scored]
    return rows


def main(argv=None) -> int:
    p = speech_parser(__doc__, epochs=30, batch_size=4, lr=2e-3, stride=1)
    p.add_argument("--word-sep", action="store_true", help="train with a '|' token between words")
    p.add_argument("--snr", type=float, nargs=2, default=None, metavar=("LO", "HI"), help="synthetic noise SNR range (dB)")
    p.add_argument("--save", default=None, help="folder to save the trained aligners in")
    args = p.parse_args(argv)
    if args.quick:
        args.n_train, args.n_test, args.epochs, args.hidden, args.layers = 24, 6, 3, 32, 1
    print(machine_info())
    print(" ".join(sys.argv))
    rows = []
    for corpus in args.corpora.split(","):
        rows += run(corpus, args)
    cols = ["corpus", "rule", "train_utts", "train_audio_s", "train_s", "test_utts", "mean_abs_ms", "median_abs_ms",
            "within_20ms", "start_mae_ms", "end_mae_ms", "x_realtime", "start_shift_ms", "end_shift_ms"]
    print("| " + " | ".join(cols) + " |\n|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(str(r[c]) for c in cols) + " |")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
