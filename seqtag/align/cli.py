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
    from ..corpora import load_speech_corpus
    from ..persistence import check_output_folder
    from ..registry import make_model

    check_output_folder(args.output, "-o")
    opts = {}
    if args.corpus in ("synthetic", "fsdd-strings"):
        opts = {"n": args.n, "seed": args.seed}
        if args.cache_dir:
            opts["cache_dir"] = args.cache_dir
    if args.kind == "hmm":
        aligner = make_model("hmm", kind="aligner", verbose=args.progress)
    else:
        stride = args.stride if args.stride is not None else (2 if args.kind == "attention" else 1)
        params = {"hidden": args.hidden, "channels": args.hidden, "layers": args.layers, "stride": stride}
        aligner = make_model(args.kind, kind="aligner", units=args.units, word_sep=args.word_sep, model_params=params,
                             epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, random_state=args.seed,
                             verbose=args.progress)
    aligner._check_params()
    corpus = load_speech_corpus(args.corpus, split=args.split, **opts)
    t0 = time.perf_counter()
    aligner.fit(corpus)
    if args.kind == "hmm":
        summary = "flat start, Viterbi + Baum-Welch"
    else:
        summary = (f"final loss {aligner.history_[-1]:.3f}; shifts start {aligner.start_shift_ or 0:+.3f} s "
                   f"end {aligner.end_shift_ or 0:+.3f} s")
    seconds = time.perf_counter() - t0
    out = aligner.save(args.output)
    print(
        f"trained {type(aligner).__name__} on {corpus.name}/{corpus.split}: {len(corpus)} utterances, "
        f"{corpus.total_seconds:.0f} s of audio in {seconds:.1f} s; {summary} -> {out}"
    )
    return 0


def cmd_align(args) -> int:
    """Align one recording (AUDIO TRANSCRIPT -o FILE) or a whole folder (CORPUS_DIR -o OUT_DIR)."""
    from ..userio import check_output_file, check_report_folder, read_text
    from .folder import _load_aligner, _normalized, align_folder

    source = Path(args.inputs[0])
    model = args.model or "english"
    if args.jobs < 1:
        raise InputError(f"--jobs must be >= 1, got {args.jobs}")
    if source.is_dir():
        if len(args.inputs) > 1:
            raise InputError(f"{str(source)!r} is a folder: align it with `seqtag align {source} -o OUT_DIR` "
                             f"(the transcripts are the .lab/.txt files next to the audio)")
        check_report_folder(args.output, "-o")
        aligner = _load_aligner(model) if args.jobs == 1 else model
        items = align_folder(aligner, source, args.output, fmt=args.format, jobs=args.jobs, progress=not args.quiet)
        failed = [i for i in items if i.status == "failed"]
        warned = [i for i in items if i.status == "warning"]
        seconds = sum(i.seconds for i in items)
        print(f"aligned {len(items) - len(failed)} of {len(items)} recordings ({seconds:.0f} s of audio) -> "
              f"{args.output}")
        for i in warned:
            print(f"  warning  {i.audio}: {i.message}")
        for i in failed:
            print(f"  failed   {i.audio}: {i.message}")
        return 1 if failed else 0
    if len(args.inputs) != 2:
        raise InputError("give AUDIO and TRANSCRIPT (a .txt/.lab file or the words in quotes), or a corpus folder")
    check_output_file(args.output, "-o")
    aligner = _load_aligner(model)
    tpath = Path(args.inputs[1])
    try:
        is_file = tpath.is_file()
    except OSError:  # a transcript longer than a file name can be
        is_file = False
    text = read_text(tpath, "transcript") if is_file else args.inputs[1]
    result = aligner.align(str(source), _normalized(aligner, text))
    result.write(args.output, utt_id=source.stem)
    print(f"{len(result.words)} words aligned by {type(aligner).__name__} (confidence {result.score:.2f}) "
          f"-> {args.output}")
    for warning in result.warnings:
        print(f"warning: {warning}")
    return 0


#: --n-train / --n-test defaults per preset
_SIZES = {"quick": (40, 10), "full": (300, 60)}


def cmd_compare_aligners(args) -> int:
    """Train the chosen aligners on one training set, score them on one test set, print the table."""
    import pandas as pd

    from ..userio import check_report_folder
    from ..comparison import compare_aligners, format_aligner_table, load_splits, write_aligner_report
    from ..comparison.mfa import MFA_CAVEAT, default_mfa_dir

    if args.output:
        check_report_folder(args.output, "-o")
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
        "align", help="force-align transcripts to audio: one recording or a whole folder",
        description="Align AUDIO to TRANSCRIPT (a text file, or the words in quotes) and write OUT (.TextGrid with "
                    "words and phones tiers, .ctm or .json); or align every recording of CORPUS_DIR that has a "
                    ".lab/.txt transcript of the same name, writing one file per recording under OUT_DIR. "
                    "Without --model the pretrained US-English aligner is used (no training needed).",
    )
    p.add_argument("inputs", nargs="+", metavar="AUDIO TRANSCRIPT | CORPUS_DIR",
                   help="an audio file (wav/flac/ogg) and its transcript, or a corpus folder")
    p.add_argument("--model", help="a saved aligner folder, or 'english' (the default: pretrained US English)")
    p.add_argument("-o", "--output", required=True, help="out.TextGrid / out.ctm / out.json, or OUT_DIR for a folder")
    p.add_argument("--format", choices=["TextGrid", "ctm", "json"], default="TextGrid",
                   help="folder mode: the output format (default TextGrid)")
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="folder mode: N processes (default 1)")
    p.add_argument("--quiet", action="store_true", help="folder mode: no progress bar")
    p.set_defaults(func=cmd_align)

    p = subparsers.add_parser(
        "compare-aligners", help="train several forced aligners and score them on the same utterances",
        description="Compare forced aligners (HMM, CTC, attention) on one corpus: word and phone boundary errors, "
                    "speed; optional report folder and agreement with MFA's TextGrids.",
    )
    p.add_argument("--corpus", required=True, help="synthetic, fsdd-strings, or a folder (with train/ and test/, "
                                                   "or split at random)")
    p.add_argument("--aligners", default="hmm,ctc,english",
                   help="comma-separated: hmm, ctc, attention, english (pretrained, not trained here), or saved "
                        "aligner folders (default hmm,ctc,english)")
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
