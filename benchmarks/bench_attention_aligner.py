"""Attention aligner vs CTC aligner: word boundaries on unseen voices / speakers, side by side.

Usage::

    SEQTAG_DATA=... NLTK_DATA=... python benchmarks/bench_attention_aligner.py --quick     # smoke run
    SEQTAG_DATA=... NLTK_DATA=... python benchmarks/bench_attention_aligner.py \\
        --corpora synthetic --cache-dir CACHE --ctc-model MODELS                         # full run

Same held-out sets as ``bench_ctc_aligner.py``: ``load_speech_corpus(corpus, "train" /
"test", n=300 / 60, seed=0)`` (synthetic: espeak-ng train voices -> 4 unseen test voices;
fsdd-strings: 4 train speakers -> 2 unseen ones). For each corpus it trains a
:class:`seqtag.align.aligners.attention.AttentionAligner` (single torch thread), and gets a
:class:`seqtag.align.aligners.ctc.CTCAligner` either from ``--ctc-model DIR`` (``DIR/<corpus>``
as written by ``bench_ctc_aligner.py --save DIR``, or an aligner folder itself, loaded with
``seqtag.load``) or by training one on the same data (``--ctc-epochs``). Both are scored on
the test split with ``evaluate`` (every word's start and end against the reference): MAE,
median, % within 20 / 50 ms, for the ``raw`` rule (frame-centre shift only), the
``calibrated`` rule (median start/end offsets learned on the training utterances at the end
of ``fit``) and ``calibrated + energy``, plus training time (calibration included) and
alignment speed (audio seconds per wall second, one utterance at a time). ``--variants``
adds attention rows for other extraction settings (no pauses; no ``<eos>`` row; CTC
prior): copies of the trained aligner with those parameters set, which keep the shifts
calibrated with the default extraction. ``--attention-model DIR`` re-scores a saved
attention aligner (``--save DIR`` of an earlier run) with this script's pause threshold
(and the shifts calibrated when it was trained) instead of training one.
"""

from __future__ import annotations

import copy
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine_info, markdown_table, speech_parser, three_rules  # noqa: E402

import seqtag  # noqa: E402
from seqtag.align import AttentionAligner, CTCAligner  # noqa: E402
from seqtag.corpora import load_speech_corpus  # noqa: E402
from seqtag.persistence import CONFIG_FILE  # noqa: E402


def _rows(corpus, aligner_name, aligner, train, test, train_s, history=None, note=""):
    """Raw, calibrated and calibrated + energy rows of a fitted aligner (calibrated on ``train`` by ``fit``)."""
    return [{"corpus": corpus, "aligner": aligner_name, "note": note, "train_utts": len(train),
             "test_utts": len(test), "train_s": round(train_s, 1), **r, "history": history}
            for r in three_rules(aligner, test)]


def _saved(root: str, corpus: str) -> Path:
    """``root/<corpus>`` when it holds a saved model, else ``root`` itself."""
    folder = Path(root)
    return folder / corpus if (folder / corpus / CONFIG_FILE).is_file() else folder


def _ctc(corpus, train, args):
    if args.ctc_model:
        folder = _saved(args.ctc_model, corpus)
        ctc = seqtag.load(folder)
        if not isinstance(ctc, CTCAligner):
            raise SystemExit(f"--ctc-model: {folder} holds a {type(ctc).__name__}, not a CTCAligner")
        return ctc, 0.0, None, f"ctc (loaded {folder.name})"
    params = {"hidden": args.hidden, "channels": args.hidden, "layers": args.layers, "stride": 1}
    ctc = CTCAligner(model_params=params, epochs=args.ctc_epochs, random_state=args.seed, verbose=args.progress)
    t0 = time.perf_counter()
    ctc.fit(train)
    return ctc, time.perf_counter() - t0, [round(h, 2) for h in ctc.history_], "ctc (trained here)"


def run(corpus: str, args) -> list[dict]:
    opts = {} if args.cache_dir is None else {"cache_dir": Path(args.cache_dir) / corpus}
    t0 = time.perf_counter()
    train = load_speech_corpus(corpus, "train", n=args.n_train, seed=args.seed, **opts)
    test = load_speech_corpus(corpus, "test", n=args.n_test, seed=args.seed, **opts)
    print(f"{corpus}: train {train!r}\n{corpus}: test  {test!r}  (data ready in {time.perf_counter() - t0:.1f} s)",
          flush=True)
    params = {"hidden": args.hidden, "channels": args.hidden, "layers": args.layers, "stride": args.stride,
              "score": args.score, "encoder": args.encoder, "att_dim": args.att_dim, "dec_hidden": args.dec_hidden}
    if args.attention_model:
        folder = _saved(args.attention_model, corpus)
        att = seqtag.load(folder)
        if not isinstance(att, AttentionAligner):
            raise SystemExit(f"--attention-model: {folder} holds a {type(att).__name__}, not an AttentionAligner")
        att.set_params(pause_threshold=args.pause_threshold)  # re-scored with this script's extraction settings
        att_s, hist, name = 0.0, None, f"attention (loaded {folder.name})"
    else:
        speeds = [float(v) for v in args.speed_perturb.split(",")] if args.speed_perturb else None
        att = AttentionAligner(model_params=params, ctc_weight=args.ctc_weight, ctc_warmup=args.ctc_warmup,
                               pause_threshold=args.pause_threshold, epochs=args.epochs, batch_size=args.batch_size,
                               lr=args.lr, speed_perturb=speeds, random_state=args.seed, verbose=args.progress)
        t0 = time.perf_counter()
        att.fit(train)
        att_s = time.perf_counter() - t0
        hist = {"loss": [round(h, 2) for h in att.history_],
                **{k: [round(h, 2) for h in v] for k, v in att.loss_parts_.items()}}
        name = "attention"
        print(f"{corpus}: attention training {att_s:.0f} s; loss per epoch {hist['loss']}", flush=True)
    rows = _rows(corpus, name, att, train, test, att_s, hist, f"pause {args.pause_threshold}")
    if args.save and not args.attention_model:
        att.save(Path(args.save) / corpus)
    if args.variants:
        variants = (("no pauses", {"pause_threshold": None}), ("no <eos> row", {"eos_row": False}),
                    ("ctc prior 0.3", {"ctc_prior": 0.3}))
        for note, kw in variants:
            variant = copy.deepcopy(att).set_params(**{"pause_threshold": args.pause_threshold, **kw})
            rows += _rows(corpus, name, variant, train, test, att_s, None, note)
    ctc, ctc_s, ctc_hist, name = _ctc(corpus, train, args)
    rows += _rows(corpus, name, ctc, train, test, ctc_s, ctc_hist)
    if args.plots:
        from seqtag.align.plots import plot_alignment, plot_alignments

        out = Path(args.plots)
        for u in test[: args.n_plots]:
            r_att = att.align(u.audio_path, u.transcript)
            plot_alignment(r_att, u.audio_path, out_png=out / f"{corpus}-{u.id}-attention.png", title=u.transcript)
            plot_alignments(u.audio_path, None, {"ctc": ctc.align(u.audio_path, u.transcript), "attention": r_att},
                            out / f"{corpus}-{u.id}-compare.png", reference=u.words, title=u.transcript)
        print(f"{corpus}: plots in {out}", flush=True)
    return rows


def main(argv=None) -> int:
    p = speech_parser(__doc__, epochs=40, batch_size=8, lr=3e-3, stride=2)
    p.add_argument("--score", default="additive")
    p.add_argument("--encoder", default="lstm", choices=["lstm", "transformer"])
    p.add_argument("--att-dim", type=int, default=128)
    p.add_argument("--dec-hidden", type=int, default=192)
    p.add_argument("--ctc-weight", type=float, default=0.5)
    p.add_argument("--ctc-warmup", type=int, default=8, help="CTC-only epochs before the joint ones")
    p.add_argument("--pause-threshold", type=float, default=0.01)
    p.add_argument("--speed-perturb", default="", metavar="FACTORS",
                   help="train also on the audio played at these speeds, e.g. 0.9,1.1 (one version per draw)")
    p.add_argument("--variants", action="store_true", help="also score other extraction settings")
    p.add_argument("--attention-model", default=None,
                   help="saved AttentionAligner(s) (DIR/<corpus> or a folder) to re-score instead of training one")
    p.add_argument("--ctc-model", default=None, help="saved CTCAligner(s) to compare with (else one is trained)")
    p.add_argument("--ctc-epochs", type=int, default=30)
    p.add_argument("--save", default=None, help="folder to save the trained attention aligners in")
    p.add_argument("--plots", default=None, help="folder for attention / comparison PNGs of a few test utterances")
    p.add_argument("--n-plots", type=int, default=2)
    args = p.parse_args(argv)
    if args.quick:
        args.n_train, args.n_test, args.epochs, args.ctc_epochs, args.ctc_warmup = 24, 6, 2, 2, 1
        args.hidden, args.layers, args.att_dim, args.dec_hidden = 32, 1, 32, 32
    print(machine_info())
    print(" ".join(sys.argv))
    rows = []
    for corpus in args.corpora.split(","):
        rows += run(corpus, args)
    cols = ["corpus", "aligner", "rule", "note", "train_s", "mean_abs_ms", "median_abs_ms", "within_20ms",
            "within_50ms", "start_mae_ms", "end_mae_ms", "x_realtime", "start_shift_ms", "end_shift_ms"]
    print(markdown_table(rows, cols, floatfmt=".1f"))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
