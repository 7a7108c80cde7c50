"""Speed of seqtag.crf.CRF against pytorch-crf (anchor) on the same inputs, CPU, 1 thread.

Usage: python benchmarks/bench_crf_layer.py [--quick] [--full] [--batch 64] [--time 40] [--tags 45]

Prints tokens/s (median of repeats after warm-up) for decode and for loss + backward,
and the ratio seqtag / pytorch-crf, as a markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torchcrf import CRF as TorchCRF

from seqtag.crf.constraints import allowed_transitions
from seqtag.crf.layer import CRF


def _median_time(fn, repeats: int, warmup: int) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small smoke run")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--time", type=int, default=40)
    ap.add_argument("--tags", type=int, default=45)
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--full", action="store_true", help="every sequence has length T (default: T/2..T)")
    args = ap.parse_args()
    B, T, K, reps = args.batch, args.time, args.tags, args.repeats
    if args.quick:
        B, T, K, reps = 8, 10, 5, 3
    torch.set_num_threads(1)
    torch.manual_seed(0)

    ours = CRF(K, batch_first=True)
    anchor = TorchCRF(K, batch_first=True)
    with torch.no_grad():  # same parameters in both
        anchor.transitions.copy_(ours.transitions)
        anchor.start_transitions.copy_(ours.start_transitions)
        anchor.end_transitions.copy_(ours.end_transitions)
    emissions = torch.randn(B, T, K)
    lengths = torch.randint(T // 2, T + 1, (B,))
    lengths[0] = T
    if args.full:
        lengths[:] = T
    mask = torch.arange(T)[None, :] < lengths[:, None]  # (B, T) right-padded
    tags = torch.randint(0, K, (B, T))
    tokens = int(mask.sum())

    # correctness in the same run: identical results or the timing is meaningless
    ref_paths = anchor.decode(emissions, mask)
    paths, _ = ours.decode(emissions, mask)
    same = all(paths[b, 0, : len(p)].tolist() == p for b, p in enumerate(ref_paths))
    ref_llh = anchor(emissions, tags, mask, reduction="sum")
    loss = ours(emissions, tags, mask, reduction="sum")
    print(f"decode identical: {same}; loss diff |ours + anchor_llh| = {abs(float((loss + ref_llh).detach())):.2e}")

    em_a = emissions.clone().requires_grad_(True)
    em_o = emissions.clone().requires_grad_(True)

    def anchor_train():
        anchor.zero_grad()
        em_a.grad = None
        (-anchor(em_a, tags, mask, reduction="sum")).backward()

    def ours_train():
        ours.zero_grad()
        em_o.grad = None
        ours(em_o, tags, mask, reduction="sum").backward()

    warm = 2 if args.quick else 5
    rows = []
    for name, fa, fo in [
        ("decode (k=1)", lambda: anchor.decode(emissions, mask), lambda: ours.decode(emissions, mask)),
        ("loss + backward", anchor_train, ours_train),
    ]:
        ta = _median_time(fa, reps, warm)
        to = _median_time(fo, reps, warm)
        rows.append((name, tokens / ta, tokens / to, ta / to))
    to5 = _median_time(lambda: ours.decode(emissions, mask, k=5), reps, warm)

    # BIO constraints (K = 1 + 2 * types, e.g. 45 = O + 22 types); pytorch-crf has none,
    # so its unconstrained time is the anchor there
    if K % 2 == 1:
        labels = ["O"] + [f"{p}-T{i}" for i in range((K - 1) // 2) for p in "BI"]
        cons = CRF(K, constraints=allowed_transitions("BIO", labels))
        with torch.no_grad():  # same scores, but keep the constraint buffer
            for name in ("transitions", "start_transitions", "end_transitions"):
                getattr(cons, name).copy_(getattr(ours, name))
        em_c = emissions.clone().requires_grad_(True)

        def cons_train():
            cons.zero_grad()
            em_c.grad = None
            cons(em_c, tags_c, mask, reduction="sum").backward()

        tags_c = cons.decode(emissions, mask)[0][:, 0].clamp(min=0)  # a legal gold path
        for name, fa, fo in [
            ("decode, BIO constraints", lambda: anchor.decode(emissions, mask), lambda: cons.decode(emissions, mask)),
            ("loss + backward, BIO constraints", anchor_train, cons_train),
        ]:
            ta = _median_time(fa, reps, warm)
            to = _median_time(fo, reps, warm)
            rows.append((name + " (anchor unconstrained)", tokens / ta, tokens / to, ta / to))

    print(f"\nB={B}, T={T} (lengths {int(lengths.min())}..{T}), K={K}, {tokens} tokens, 1 thread, median of {reps}\n")
    print("| operation | pytorch-crf tokens/s | seqtag tokens/s | ratio |")
    print("|---|---:|---:|---:|")
    for name, a, o, r in rows:
        print(f"| {name} | {a:,.0f} | {o:,.0f} | {r:.1f}x |")
    print(f"| decode k=5 (seqtag only) | - | {tokens / to5:,.0f} | - |")


if __name__ == "__main__":
    main()
