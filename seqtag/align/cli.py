"""``seqtag train-aligner`` and ``seqtag align``: hooked into ``seqtag.cli`` via ``COMMAND_MODULES``."""

from __future__ import annotations

import time
from pathlib import Path

__all__ = ["add_commands", "cmd_train_aligner", "cmd_align"]


def cmd_train_aligner(args) -> int:
    """Train a CTC aligner on a speech corpus and save it."""
    from ..corpora.speech import load_speech_corpus
    from .aligner import CTCAligner

    opts = {}
    if args.corpus in ("synthetic", "fsdd-strings"):
        opts = {"n": args.n, "seed": args.seed}
        if args.cache_dir:
            opts["cache_dir"] = args.cache_dir
    corpus = load_speech_corpus(args.corpus, split=args.split, **opts)
    params = {"hidden": args.hidden, "channels": args.hidden, "layers": args.layers, "stride": args.stride}
    aligner = CTCAligner(units=args.units, word_sep=args.word_sep, model_params=params)
    t0 = time.perf_counter()
    aligner.fit(corpus, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                progress=args.progress)
    seconds = time.perf_counter() - t0
    out = aligner.save(args.output)
    print(
        f"trained CTCAligner on {corpus.name}/{corpus.split}: {len(corpus)} utterances, "
        f"{corpus.total_seconds:.0f} s of audio in {seconds:.1f} s; final loss {aligner.history_[-1]:.3f}; "
        f"shifts start {aligner.frame_shift if aligner.start_shift is None else aligner.start_shift:+.3f} s "
        f"end {aligner.frame_shift if aligner.end_shift is None else aligner.end_shift:+.3f} s -> {out}"
    )
    return 0


def cmd_align(args) -> int:
    """Align one audio file to its transcript and write TextGrid / CTM / JSON."""
    from ..corpora.speech import normalize_transcript
    from .aligner import CTCAligner

    aligner = CTCAligner.load(args.model)
    tpath = Path(args.transcript)
    text = tpath.read_text(encoding="utf-8") if tpath.is_file() else args.transcript
    result = aligner.align(args.audio, normalize_transcript(text))
    result.write(args.output, utt_id=Path(args.audio).stem)
    print(f"{len(result.words)} words aligned (mean confidence {result.score:.3f}) -> {args.output}")
    return 0


def add_commands(subparsers) -> None:
    """Add ``train-aligner`` and ``align`` to the ``seqtag`` command line."""
    p = subparsers.add_parser(
        "train-aligner", help="train a CTC forced aligner on speech",
        description="Train a CTC acoustic model (conv + BiLSTM over log-mel) for forced alignment.",
    )
    p.add_argument("--corpus", required=True, help="synthetic, fsdd-strings, or a folder of audio + .txt/.lab")
    p.add_argument("--split", default="train", help="split of a named corpus (default train)")
    p.add_argument("--n", type=int, default=300, help="utterances to generate for synthetic/fsdd-strings")
    p.add_argument("--cache-dir", help="where generated audio is cached (default: the data home)")
    p.add_argument("--units", choices=["chars", "phones"], default="chars", help="CTC targets (phones need NLTK cmudict)")
    p.add_argument("--word-sep", action="store_true", help="add a '|' token between words")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--hidden", type=int, default=128, help="LSTM units per direction (and conv channels)")
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--stride", type=int, choices=[1, 2], default=1, help="1: 10 ms frames, 2: 20 ms")
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
    p.add_argument("--model", required=True, help="folder written by train-aligner")
    p.add_argument("-o", "--output", required=True, help="out.TextGrid, out.ctm or out.json")
    p.set_defaults(func=cmd_align)

