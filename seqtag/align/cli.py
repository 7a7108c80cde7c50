"""``seqtag train-aligner``, ``seqtag align`` and ``seqtag compare-aligners``.

Hooked into ``seqtag.cli`` via ``COMMAND_MODULES``.
"""

from __future__ import annotations

import time
from pathlib import Path

from ..exceptions import InputError

__all__ = ["add_commands", "cmd_train_aligner", "cmd_align", "cmd_compare_aligners"]


def cmd_train_aligner(args) -> int:
    """Train a CTC, attention or HMM aligner on a speech corpus and save it."""
    from ..corpora.speech import load_speech_corpus

    opts = {}
    if args.corpus in ("synthetic", "fsdd-strings"):
        opts = {"n": args.n, "seed": args.seed}
        if args.cache_dir:
            opts["cache_dir"] = args.cache_dir
    corpus = load_speech_corpus(args.corpus, split=args.split, **opts)
    t0 = time.perf_counter()
    if args.kind == "hmm":
        from .hmm_gmm import HMMAligner

        aligner = HMMAligner().fit(corpus, progress=args.progress)
        summary = "flat start, Viterbi + Baum-Welch"
    else:
        if args.kind == "attention":
            from .attention import AttentionAligner as cls
        else:
            from .aligner import CTCAligner as cls
        stride = args.stride if args.stride is not None else (2 if args.kind == "attention" else 1)
        params = {"hidden": args.hidden, "channels": args.hidden, "layers": args.layers, "stride": stride}
        aligner = cls(units=args.units, word_sep=args.word_sep, model_params=params)
        aligner.fit(corpus, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                    progress=args.progress)
        summary = (f"final loss {aligner.history_[-1]:.3f}; shifts start {aligner.start_shift or 0:+.3f} s "
                   f"end {aligner.end_shift or 0:+.3f} s")
    seconds = time.perf_counter() - t0
    out = aligner.save(args.output)
    print(
        f"trained {type(aligner).__name__} on {corpus.name}/{corpus.split}: {len(corpus)} utterances, "
        f"{corpus.total_seconds:.0f} s of audio in {seconds:.1f} s; {summary} -> {out}"
    )
    return 0


def cmd_align(args) -> int:
    """Align one audio file to its transcript and write TextGrid / CTM / JSON (any saved aligner class)."""
    from ..corpora.speech import normalize_transcript
    from .compare import load_aligner

    aligner = load_aligner(args.model)
    tpath = Path(args.transcript)
    text = tpath.read_text(encoding="utf-8") if tpath.is_file() else args.transcript
    result = aligner.align(args.audio, normalize_transcript(text))
    result.write(args.output, utt_id=Path(args.audio).stem)
    print(f"{len(result.words)} words aligned by {type(aligner).__name__} (mean confidence {result.score:.3f}) "
          f"-> {args.output}")
    return 0


#: --n-train / --n-test defaults per preset
_SIZES = {"quick": (40, 10), "full": (300, 60)}


def cmd_compare_aligners(args) -> int:
    """Train the chosen aligners on one training set, score them on one test set, print the table."""
    import pandas as pd

    from .compare import compare_aligners, load_splits
    from .compare_report import format_aligner_table, write_aligner_report
    from .mfa_check import MFA_CAVEAT, default_mfa_dir

    n_train, n_test = _SIZES.get(args.preset, _SIZES["quick"])
    train, test = load_splits(args.corpus, n_train=n_train if args.n_train is None else args.n_train,
                              n_test=n_test if args.n_test is None else args.n_test, seed=args.seed,
                              cache_dir=args.cache_dir)
    mfa_dir = None if args.mfa_dir == "none" else (args.mfa_dir or default_mfa_dir())
    if mfa_dir is not None and not Path(mfa_dir).is_dir():
        raise InputError(f"--mfa-dir {str(mfa_dir)!r} is not a folder (or pass --mfa-dir none)")
    table, details = compare_aligners(args.aligners, train, test, preset=args.preset, protocol=args.protocol,
                                      seed=args.seed, mfa_dir=mfa_dir, progress=args.progress, return_details=True)
    print(f"{args.corpus}: train {len(train)} utterances ({details.info['train_audio_s']:.0f} s), "
          f"test {len(test)} ({details.info['test_audio_s']:.0f} s); preset {args.preset}, protocol {args.protocol}")
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(format_aligner_table(table).to_string())
        if details.mfa is not None:
            print(f"\nagreement with MFA ({Path(mfa_dir).name}). {MFA_CAVEAT}")
            mfa = details.mfa[["trained_on", "matched_words", "mfa_words", "median_abs_ms", "mean_abs_ms", "status"]]
            short = mfa.assign(status=[s if len(s) <= 60 else s[:57] + "..." for s in mfa["status"]])
            print(short.to_string(float_format=lambda v: f"{v:.1f}"))
    if args.output:
        title = f"seqtag compare-aligners: {Path(args.corpus).name}"
        out = write_aligner_report(table, details, args.output, title=title)
        print(f"report: {out / 'index.html'}")
    return 0


def add_commands(subparsers) -> None:
    """Add ``train-aligner`` and ``align`` to the ``seqtag`` command line."""
    p = subparsers.add_parser(
        "train-aligner", help="train a forced aligner (CTC, attention or HMM) on speech",
        description="Train a forced aligner on speech and save it: a CTC acoustic model (conv + BiLSTM over "
                    "log-mel, the default), an attention encoder-decoder, or a flat-start GMM-HMM.",
    )
    p.add_argument("--corpus", required=True, help="synthetic, fsdd-strings, or a folder of audio + .txt/.lab")
    p.add_argument("--split", default="train", help="split of a named corpus (default train)")
    p.add_argument("--n", type=int, default=300, help="utterances to generate for synthetic/fsdd-strings")
    p.add_argument("--cache-dir", help="where generated audio is cached (default: the data home)")
    p.add_argument("--kind", choices=["ctc", "attention", "hmm"], default="ctc",
                   help="CTC aligner, attention encoder-decoder, or flat-start GMM-HMM (trained on this corpus)")
    p.add_argument("--units", choices=["chars", "phones"], default="chars",
                   help="CTC targets (phones need NLTK cmudict)")
    p.add_argument("--word-sep", action="store_true", help="add a '|' token between words")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=4,
                   help="utterances per step (small batches give CTC the steps it needs to leave the all-blank start)")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--hidden", type=int, default=128, help="LSTM units per direction (and conv channels)")
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--stride", type=int, choices=[1, 2], default=None,
                   help="1: 10 ms frames, 2: 20 ms (default: 1 for ctc, 2 for attention)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--progress", action="store_true", help="show progress bars")
    p.add_argument("-o", "--output", required=True, help="folder to save the aligner in")
    p.set_defaults(func=cmd_train_aligner)

    p = subparsers.add_parser(
        "align", help="force-align a transcript to audio",
        description="Align AUDIO to TRANSCRIPT (a text file, or the text itself) with a trained aligner.",
    )
    p.add_argument("audio", metavar="AUDIO", help="audio file (wav/flac/ogg)")
    p.add_argument("transcript", metavar="TRANSCRIPT", help="transcript file (.txt/.lab) or the words in quotes")
    p.add_argument("--model", required=True, help="folder of a saved aligner (CTC, HMM or attention)")
    p.add_argument("-o", "--output", required=True, help="out.TextGrid, out.ctm or out.json")
    p.set_defaults(func=cmd_align)


    p = subparsers.add_parser(
        "compare-aligners", help="train several forced aligners and score them on the same utterances",
        description="Compare forced aligners (HMM, CTC, attention) on one corpus: word and phone boundary errors, "
                    "speed; optional report folder and agreement with MFA's TextGrids.",
    )
    p.add_argument("--corpus", required=True, help="synthetic, fsdd-strings, or a folder (with train/ and test/, "
                                                   "or split at random)")
    p.add_argument("--aligners", default="hmm,ctc", help="comma-separated: hmm, ctc, attention, or saved aligner "
                                                        "folders (default hmm,ctc)")
    p.add_argument("--preset", choices=["quick", "full"], default="quick", help="aligner settings (default quick)")
    p.add_argument("--protocol", choices=["heldout", "mfa"], default="heldout",
                   help="mfa: the HMM also learns from the audio + transcripts it aligns (never their boundaries)")
    p.add_argument("--n-train", type=int, help="training utterances (default 40 quick, 300 full)")
    p.add_argument("--n-test", type=int, help="test utterances (default 10 quick, 60 full)")
    p.add_argument("--cache-dir", help="where generated audio is cached (default: the data home)")
    p.add_argument("--mfa-dir", help="folder aligned by MFA to check agreement with (default "
                                     "$SEQTAG_DATA/mfa_test_speech when it exists; 'none' to skip)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--progress", action="store_true", help="show progress lines")
    p.add_argument("-o", "--output", help="write results.csv/.md, plots and index.html here")
    p.set_defaults(func=cmd_compare_aligners)
