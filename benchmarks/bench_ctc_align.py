"""CTC forced alignment: seqtag vs torchaudio.functional.forced_align, and long-audio mode.

Usage::

    python benchmarks/bench_ctc_align.py            # T=30,000 L=8,000 C=30; long: T=180,000 L=50,000
    python benchmarks/bench_ctc_align.py --quick    # small smoke run

Speed (cells/s, cells = T * (2L + 1)) is timed in this process for both
aligners on the same input; peak memory is the growth of the peak RSS of a
fresh subprocess around one alignment (input already built), so numba's and
torch's allocators are both counted. torchaudio is optional: without it only
seqtag's figures are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import best_time  # noqa: E402


def make_random(T: int, L: int, C: int, seed: int = 0):
    """log_softmax of random normals; targets in 1..C-1 without adjacent repeats."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(T, C)).astype(np.float32)
    x -= x.max(axis=1, keepdims=True)
    lp = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    steps = rng.integers(1, C - 1, size=L)  # next = prev shifted by 1..C-2 (mod C-1): never equal
    tg = np.empty(L, dtype=np.int64)
    tg[0] = rng.integers(1, C)
    for i in range(1, L):
        tg[i] = 1 + (tg[i - 1] - 1 + steps[i]) % (C - 1)
    return lp.astype(np.float32), tg


def make_speech_like(T: int, L: int, C: int, seed: int = 0):
    """Peaky emissions from a known alignment with a varying speaking rate and pauses."""
    rng = np.random.default_rng(seed)
    _, tg = make_random(10, L, C, seed)
    rate = np.repeat(rng.uniform(0.7, 1.3, size=L // 100 + 1), 100)[:L]  # slow and fast stretches
    gaps = rng.poisson(rate * (T / L - 1)) + 0.5  # blank frames after each token (relative)
    cum = np.floor(np.cumsum(gaps) / gaps.sum() * (T - L)).astype(np.int64)
    starts = np.concatenate([[0], cum[:-1]]) + np.arange(L)  # strictly increasing, last <= T - 1
    truth = np.zeros(T, dtype=np.int64)
    truth[starts] = tg  # one peak frame per token, blanks elsewhere
    x = rng.normal(size=(T, C)).astype(np.float32)
    x[np.arange(T), truth] += 6.0
    x -= x.max(axis=1, keepdims=True)
    lp = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    return lp.astype(np.float32), tg, starts


def rss_mb() -> float:
    """Current RSS; on Linux also resets the peak (VmHWM) so peak_mb() measures from here."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    """Peak RSS (VmHWM) in MB since the last rss_mb() reset (ru_maxrss if unavailable)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def child(which: str, T: int, L: int, C: int, window: int | None) -> None:
    """Run one alignment in this fresh process; print seconds and peak RSS growth as JSON."""
    if which == "torchaudio":
        import torch
        import torchaudio.functional as F

        lp, tg = make_random(T, L, C)
        F.forced_align(torch.from_numpy(lp[None, :50]), torch.from_numpy(tg[None, :5]).int(), blank=0)
        a, b = torch.from_numpy(lp[None]), torch.from_numpy(tg[None]).int()
        base = rss_mb()
        t0 = time.perf_counter()
        F.forced_align(a, b, blank=0)
    else:
        from seqtag.align.ctc import ctc_align

        if which == "long":
            lp, tg, _ = make_speech_like(T, L, C)
        else:
            lp, tg = make_random(T, L, C)
        ctc_align(lp[:50], tg[:5], window=None if window is None else 8)  # compile / load cache
        base = rss_mb()
        t0 = time.perf_counter()
        ctc_align(lp, tg, window=window)
    dt = time.perf_counter() - t0
    print(json.dumps({"seconds": dt, "peak_growth_mb": peak_mb() - base, "peak_rss_mb": peak_mb()}))


def run_child(which: str, T: int, L: int, C: int, window: int | None = None) -> dict:
    cmd = [sys.executable, __file__, "--child", which, "--T", str(T), "--L", str(L), "--C", str(C)]
    if window is not None:
        cmd += ["--window", str(window)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_kernel(T: int, L: int, C: int, repeat: int) -> None:
    from seqtag.align.ctc import ctc_align, ctc_band

    lp, tg = make_random(T, L, C)
    cells = T * (2 * L + 1)
    print(f"== exact kernel: T={T:,} L={L:,} C={C} float32 ({cells / 1e6:,.0f}M cells), best of {repeat}")
    ctc_align(lp[:50], tg[:5])
    path = None

    def run_seqtag():
        nonlocal path
        path, _ = ctc_align(lp, tg)

    t_s = best_time(run_seqtag, repeat)
    mem_s = run_child("seqtag", T, L, C)
    print(f"seqtag     : {t_s:7.3f} s  {cells / t_s / 1e6:7.1f} M cells/s  peak RSS growth {mem_s['peak_growth_mb']:8.1f} MB")
    lo, hi = ctc_band(T, 2 * L + 1)
    print(f"             packed backpointers: {((hi - lo + 3) // 4).sum() / 2**20:.1f} MB (2 bits/cell, reachable band only)")
    try:
        import torch
        import torchaudio.functional as F
    except ImportError:
        print("torchaudio not installed: no anchor (pip install torchaudio matching your torch)")
        return
    a, b = torch.from_numpy(lp[None]), torch.from_numpy(tg[None]).int()
    F.forced_align(a[:, :50], b[:, :5], blank=0)
    ta_path = None

    def run_ta():
        nonlocal ta_path
        ta_path, _ = F.forced_align(a, b, blank=0)

    t_t = best_time(run_ta, repeat)
    mem_t = run_child("torchaudio", T, L, C)
    print(f"torchaudio : {t_t:7.3f} s  {cells / t_t / 1e6:7.1f} M cells/s  peak RSS growth {mem_t['peak_growth_mb']:8.1f} MB")
    print(f"             torch {torch.__version__}, (T, S) int8 backpointers: {T * (2 * L + 1) / 2**20:.1f} MB")
    print(
        f"ratio      : speed seqtag/torchaudio = {t_t / t_s:.2f}x (target >= 1), "
        f"memory seqtag/torchaudio = {mem_s['peak_growth_mb'] / max(mem_t['peak_growth_mb'], 1e-9):.3f} (target <= 0.25)"
    )
    # paths: float32 sums in torchaudio can round away from the optimum on long inputs, so
    # compare exact paths on float64 input and, for float32, the float64 score of each path
    lp64 = lp.astype(np.float64)

    def score(p):
        return float(lp64[np.arange(T), np.asarray(p)].sum())

    ta32 = ta_path[0].numpy()
    print(
        f"float32    : {int((ta32 != path).sum())} frames differ; path score (float64 sum) "
        f"seqtag {score(path):.4f} vs torchaudio {score(ta32):.4f}"
    )
    p64, _ = ctc_align(lp64, tg)
    t64, _ = F.forced_align(torch.from_numpy(lp64[None]), b, blank=0)
    print(f"float64    : identical paths: {bool((t64[0].numpy() == p64).all())}")


def bench_long(T: int, L: int, C: int, window: int) -> None:
    from seqtag.align.ctc import ctc_align, ctc_band

    print(f"== long-audio mode: T={T:,} L={L:,} C={C} window={window} ({T * window / 1e6:,.0f}M band cells)")
    res = run_child("long", T, L, C, window)
    print(
        f"seqtag     : {res['seconds']:7.2f} s (target <= 60 s)  peak RSS {res['peak_rss_mb']:.0f} MB "
        f"(growth {res['peak_growth_mb']:.0f} MB; target <= 2048 MB)"
    )
    lp, tg, starts = make_speech_like(T, L, C)
    path, _ = ctc_align(lp, tg, window=window)
    found = np.flatnonzero((path != 0) & (np.concatenate([[0], path[:-1]]) != path))
    S = 2 * L + 1
    true_states = 2 * np.searchsorted(starts, np.arange(T), side="right") - 1
    diag = np.rint(np.arange(T) * (S - 1) / (T - 1))
    print(
        f"             true path's max distance from the diagonal: {np.abs(true_states - diag).max():.0f} states "
        f"(half-window {window // 2})"
    )
    print(
        f"             token starts: exact {np.mean(found == starts) * 100:.2f}%, within 2 frames "
        f"{np.mean(np.abs(found - starts) <= 2) * 100:.2f}%; full trellis would need "
        f"{T * ((S + 3) // 4) / 2**30:.2f} GiB of packed backpointers"
    )
    lo, hi = ctc_band(T, S, window)
    print(f"             band memory: {((hi - lo + 3) // 4).sum() / 2**20:.0f} MB of packed backpointers")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small smoke run")
    ap.add_argument("--child", choices=["seqtag", "torchaudio", "long"], help=argparse.SUPPRESS)
    ap.add_argument("--T", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--L", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--C", type=int, default=30, help=argparse.SUPPRESS)
    ap.add_argument("--window", type=int, default=None, help="long-mode window (default 4000 states)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.T, args.L, args.C, args.window)
        return
    if args.quick:
        bench_kernel(3000, 800, 30, 1)
        bench_long(18000, 5000, 30, args.window or 1000)
    else:
        bench_kernel(30000, 8000, 30, args.repeat)
        bench_long(180000, 50000, 30, args.window or 4000)


if __name__ == "__main__":
    main()
