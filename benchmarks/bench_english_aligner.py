"""The pretrained English aligner against PocketSphinx (its own decoder, same model) in one run.

Sections (``--only`` picks some):

* ``mfa``: agreement with MFA's word boundaries on ``$SEQTAG_DATA/mfa_test_speech`` (186
  words): seqtag as it ships, seqtag MAP-adapted to the recordings (``fit``, no boundaries
  used), PocketSphinx 5.1's own forced alignment (default beams, then wide beams where it
  fails). Two time conventions are shown: as each aligner reports them, and "frame-start"
  (the convention of MFA and PocketSphinx: a segment starting at frame ``a`` is reported at
  ``a * 10 ms``; seqtag's rule puts the boundary between frame centres, 7.8 ms later);
* ``speed``: seconds of audio aligned per second, one thread, the same five recordings;
* ``hour``: one hour of audio (the recordings repeated) in a subprocess: time and peak memory;
* ``confidence``: AUROC of the utterance score separating right transcripts from swapped ones
  (real recordings, FSDD digit strings, espeak-ng voices), and silence;
* ``exact``: agreement with exact boundaries: espeak-ng voices (16 kHz) and FSDD digit
  strings (8 kHz recordings, upsampled), plus the synthetic voices at 8 kHz and back.

    python benchmarks/bench_english_aligner.py            # everything (~10 minutes)
    python benchmarks/bench_english_aligner.py --quick    # smoke run
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import machine_info, markdown_table  # noqa: E402

from seqtag.align.aligners.english import EnglishAligner  # noqa: E402
from seqtag.comparison.mfa import default_mfa_dir, matched_words  # noqa: E402
from seqtag.intervals import Interval  # noqa: E402
from seqtag.metrics import boundary_errors  # noqa: E402

HOP = 0.01
FRAME_START_SHIFT = 0.0078125  # seqtag's boundary between frame centres minus the frame-start time


def _one_thread():
    import numba
    from threadpoolctl import threadpool_limits

    numba.set_num_threads(1)
    return threadpool_limits(1)


# ------------------------------------------------------------------------------ PocketSphinx
def pocketsphinx_words(audio: np.ndarray, transcript: str, aligner: EnglishAligner) -> tuple[list[Interval], str]:
    """PocketSphinx's own forced alignment of the same model: word intervals (frame-start times) and how."""
    import pocketsphinx as ps

    tokens, prons, free = aligner.pronunciations(transcript)
    words = [t.key for t, f in zip(tokens, free) if not f]
    pcm = (np.clip(audio, -1, 1) * 32767).astype(np.int16).tobytes()
    for how, beams in (("default beams", {}), ("wide beams", {"beam": 1e-120, "wbeam": 1e-100, "pbeam": 1e-120})):
        dec = ps.Decoder(lm=None, loglevel="FATAL", **beams)
        for t, pron, f in zip(tokens, prons, free):  # the same pronunciations for words its dictionary lacks
            if not f and dec.lookup_word(t.key) is None:
                dec.add_word(t.key, " ".join(pron), True)
        dec.set_align_text(" ".join(words))
        dec.start_utt()
        dec.process_raw(pcm, full_utt=True)
        dec.end_utt()
        segs = [s for s in (dec.seg() or []) if not s.word.startswith(("<", "[", "+"))]
        if segs:
            return [Interval(s.word.split("(")[0], s.start_frame * HOP, (s.end_frame + 1) * HOP) for s in segs], how
    return [], "failed"


# ------------------------------------------------------------------------------ MFA agreement
def _mfa_utterances(folder):
    from seqtag.corpora import read_speech_folder

    out = []
    for u in read_speech_folder(folder):
        ref = u.words if u.words is not None else u.meta.get("textgrid_words")
        if ref:
            out.append((u, ref))
    return out


def _agreement(refs, hyps, shift=0.0) -> dict:
    err = np.concatenate([boundary_errors(*matched_words(r, h)) for r, h in zip(refs, hyps)]) * 1000 - shift * 1000
    a = np.abs(err)
    tol = 1e-3  # ms: interval times are rounded to the microsecond
    return {"boundaries": int(err.size), "within_20ms": float(np.mean(a <= 20 + tol) * 100),
            "within_50ms": float(np.mean(a <= 50 + tol) * 100), "mean_ms": float(a.mean()),
            "median_signed_ms": float(np.median(err))}


def run_mfa(args) -> str:
    from seqtag.audio import load

    folder = default_mfa_dir()
    if folder is None:
        return "mfa: $SEQTAG_DATA/mfa_test_speech not found; skipped\n"
    utts = _mfa_utterances(folder)
    base = EnglishAligner()
    rows = []
    systems = {"seqtag EnglishAligner": base, "seqtag EnglishAligner(topn=8)": EnglishAligner(topn=8)}
    if not args.quick:
        from seqtag.comparison import strip_references

        t0 = time.perf_counter()
        systems["seqtag, MAP-adapted to the 5 recordings"] = EnglishAligner().fit(strip_references([u for u, _ in utts]))
        adapt_s = time.perf_counter() - t0
    hyps = {name: [a.align(u.audio_path, u.transcript).words for u, _ in utts] for name, a in systems.items()}
    ps_hyps, hows = [], []
    for u, _ in utts:
        words, how = pocketsphinx_words(load(u.audio_path, sr=16000)[0], u.transcript, base)
        ps_hyps.append(words)
        hows.append(f"{u.id}: {how}")
    refs = [r for _, r in utts]
    for name, hs in hyps.items():
        rows.append({"aligner": name, "convention": "seqtag (between frame centres)", **_agreement(refs, hs)})
        rows.append({"aligner": name, "convention": "frame start (MFA, PocketSphinx)",
                     **_agreement(refs, hs, FRAME_START_SHIFT)})
    rows.append({"aligner": "PocketSphinx 5.1.1 (own decoder, same model)", "convention": "frame start (its own)",
                 **_agreement(refs, ps_hyps)})
    per_file = []
    adapted = hyps.get("seqtag, MAP-adapted to the 5 recordings", [None] * len(utts))
    for (u, r), h, ha, p in zip(utts, hyps["seqtag EnglishAligner"], adapted, ps_hyps):
        s, q = _agreement([r], [h], FRAME_START_SHIFT), _agreement([r], [p])
        row = {"file": u.id, "words": len(r), "seqtag ≤20 ms": s["within_20ms"], "seqtag mean ms": s["mean_ms"]}
        if ha is not None:
            a = _agreement([r], [ha], FRAME_START_SHIFT)
            row.update({"adapted ≤20 ms": a["within_20ms"], "adapted mean ms": a["mean_ms"]})
        per_file.append({**row, "PocketSphinx ≤20 ms": q["within_20ms"], "PocketSphinx mean ms": q["mean_ms"]})
    out = [f"Agreement with MFA's word boundaries ({folder.name}: {sum(len(r) for r in refs)} MFA words, "
           f"matched by label; MFA's TextGrids are its own output, not hand labels)\n",
           markdown_table(rows, floatfmt=".1f"), "", "Per file, frame-start convention:", "",
           markdown_table(per_file, floatfmt=".1f"), "", "PocketSphinx runs: " + "; ".join(hows)]
    if not args.quick:
        out.append(f"MAP adaptation (2 rounds of Baum-Welch statistics over the 5 recordings): {adapt_s:.1f} s")
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------------ speed
def run_speed(args) -> str:
    from seqtag.audio import load

    folder = default_mfa_dir()
    if folder is None:
        return "speed: $SEQTAG_DATA/mfa_test_speech not found; skipped\n"
    utts = _mfa_utterances(folder)
    audio = [(load(u.audio_path, sr=16000)[0], u.transcript) for u, _ in utts]
    total = sum(x.size for x, _ in audio) / 16000
    rows = []
    with _one_thread():
        for topn in (4, 8):
            a = EnglishAligner(topn=topn)
            a.align(audio[0][0], audio[0][1], sr=16000)  # compile / warm caches, untimed
            times = []
            for _ in range(1 if args.quick else 3):
                t0 = time.perf_counter()
                for x, t in audio:
                    a.align(x, t, sr=16000)
                times.append(time.perf_counter() - t0)
            rows.append({"aligner": f"seqtag EnglishAligner(topn={topn})", "audio s": total,
                         "best s": min(times), "× real time": total / min(times)})
        base = EnglishAligner()
        times = []
        for _ in range(1 if args.quick else 3):
            t0 = time.perf_counter()
            for x, t in audio:
                pocketsphinx_words(x, t, base)
            times.append(time.perf_counter() - t0)
        rows.append({"aligner": "PocketSphinx 5.1.1 (align: FSG pass)", "audio s": total, "best s": min(times),
                     "× real time": total / min(times)})
    return ("One thread (numba and BLAS), best of 3, the recordings of mfa_test_speech, default settings "
            "unless named:\n\n" + markdown_table(rows, floatfmt=".2f") + "\n")


# ------------------------------------------------------------------------------ one hour
_HOUR_CHILD = """
import resource, sys, time, numpy as np
from seqtag.audio import load
from seqtag.align.aligners.english import EnglishAligner
from seqtag.corpora import read_speech_folder
import numba; numba.set_num_threads(1)
from threadpoolctl import threadpool_limits
seconds = float(sys.argv[2])
utts = [u for u in read_speech_folder(sys.argv[1]) if u.transcript and u.duration > 3]
x, text, n = [], [], 0.0
while n < seconds:
    for u in utts:
        x.append(load(u.audio_path, sr=16000)[0]); text.append(u.transcript); n += u.duration
x = np.concatenate(x); text = " ".join(text)  # one copy of the hour's samples from here on
with threadpool_limits(1):
    t0 = time.perf_counter()
    r = EnglishAligner().align(x, text, sr=16000)
    dt = time.perf_counter() - t0
print(x.size / 16000, len(text.split()), dt, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, r.score)
"""


def run_hour(args) -> str:
    folder = default_mfa_dir()
    if folder is None:
        return "hour: $SEQTAG_DATA/mfa_test_speech not found; skipped\n"
    seconds = 120.0 if args.quick else 3600.0
    out = subprocess.run([sys.executable, "-c", _HOUR_CHILD, str(folder), str(seconds)], capture_output=True,
                         text=True, check=True)
    audio_s, words, dt, peak_mb, score = map(float, out.stdout.split())
    return (f"{audio_s:.0f} s of audio ({int(words)} words: the labelled recordings repeated), one thread: aligned "
            f"in {dt:.1f} s ({audio_s / dt:.0f}× real time), peak memory {peak_mb:.0f} MB (the whole process), "
            f"utterance confidence {score:.2f}\n")


# ------------------------------------------------------------------------------ confidence
def run_confidence(args) -> str:
    from sklearn.metrics import roc_auc_score

    from seqtag.corpora import load_speech_corpus
    from seqtag.exceptions import InputError

    aligner = EnglishAligner()
    rng = random.Random(0)
    sets = {}
    folder = default_mfa_dir()
    if folder is not None:
        sets["real recordings (mfa_test_speech)"] = [u for u, _ in _mfa_utterances(folder)]
    n = 10 if args.quick else 60
    for name in ("fsdd-strings", "synthetic"):
        sets[name] = list(load_speech_corpus(name, "test", n=n, seed=args.seed))
    rows = []
    for name, utts in sets.items():
        pos, neg, refused = [], [], 0
        for u in utts:
            pos.append(aligner.align(u.audio_path, u.transcript).score)
            others = [v for v in utts if v.transcript != u.transcript]
            for v in rng.sample(others, min(3, len(others))):
                try:
                    neg.append(aligner.align(u.audio_path, v.transcript).score)
                except InputError:  # does not fit the audio at all: caught before any score
                    neg.append(0.0)
                    refused += 1
        y = [1] * len(pos) + [0] * len(neg)
        rows.append({"set": name, "right": len(pos), "swapped": len(neg), "refused (too long)": refused,
                     "AUROC": float(roc_auc_score(y, pos + neg)), "right: median score": float(np.median(pos)),
                     "swapped: median score": float(np.median(neg)),
                     f"right < {aligner.min_confidence}": sum(p < aligner.min_confidence for p in pos),
                     f"swapped ≥ {aligner.min_confidence}": sum(q >= aligner.min_confidence for q in neg)})
    silence = aligner.align(np.zeros(16000 * 5, dtype=np.float32), "the cat sat on the mat", sr=16000)
    noise = aligner.align(np.random.default_rng(0).normal(0, 0.05, 16000 * 5).astype(np.float32),
                          "the cat sat on the mat", sr=16000)
    return (markdown_table(rows, floatfmt=".3f") + f"\n\n5 s of digital silence with a transcript: score "
            f"{silence.score:.3f}, warning: {bool(silence.warnings)}; 5 s of white noise: score {noise.score:.3f}, "
            f"warning: {bool(noise.warnings)}\n")


# ------------------------------------------------------------------------------ exact boundaries
def run_exact(args) -> str:
    from seqtag.align.aligners.base import load_audio
    from seqtag.audio import resample
    from seqtag.corpora import load_speech_corpus
    from seqtag.metrics import pooled_boundary_report

    aligner = EnglishAligner()
    n = 10 if args.quick else 60
    rows = []
    for name, sr_note in (("synthetic", "16 kHz (espeak-ng, unseen voices)"), ("fsdd-strings", "8 kHz, upsampled")):
        utts = list(load_speech_corpus(name, "test", n=n, seed=args.seed))
        variants = [("as recorded", None)] + ([("down to 8 kHz and back", 8000)] if name == "synthetic" else [])
        for label, rate in variants:
            hyps = []
            for u in utts:
                x = load_audio(u, 16000)
                if rate:
                    x = resample(resample(x, 16000, rate), rate, 16000)
                hyps.append(aligner.align(x, u.transcript, sr=16000).words)
            conventions = [("", 0.0)] + ([(", frame-start times", FRAME_START_SHIFT)] if rate is None else [])
            for note, shift in conventions:
                shifted = [[Interval(w.label, max(0.0, w.start - shift), max(0.0, w.end - shift)) for w in h]
                           for h in hyps]
                rep = pooled_boundary_report([u.words for u in utts], shifted)
                err = np.concatenate([boundary_errors(u.words, h) for u, h in zip(utts, shifted)]) * 1000
                rows.append({"corpus": name, "audio": f"{sr_note}, {label}{note}", "boundaries": rep["n_boundaries"],
                             "within 20 ms": rep["within_20ms"], "within 50 ms": rep["within_50ms"],
                             "mean ms": rep["mean_abs_ms"], "median signed ms": float(np.median(err)),
                             "median signed start ms": float(np.median(err[0::2]))})
    return markdown_table(rows, floatfmt=".1f") + "\n"


SECTIONS = {"mfa": run_mfa, "speed": run_speed, "hour": run_hour, "confidence": run_confidence, "exact": run_exact}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small smoke run")
    p.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated: {', '.join(SECTIONS)}")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    print(f"# {machine_info()}\n", flush=True)
    for name in args.only.split(","):
        t0 = time.perf_counter()
        print(f"### {name}\n\n{SECTIONS[name](args)}({time.perf_counter() - t0:.0f} s)\n", flush=True)


if __name__ == "__main__":
    main()
