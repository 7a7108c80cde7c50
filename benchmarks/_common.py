"""Helpers shared by the benchmark scripts: timing, machine info, markdown tables."""

from __future__ import annotations

import os
import platform
import time
from contextlib import contextmanager


def machine_info() -> str:
    """One line naming the CPU, core count, Python and the date."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}"


@contextmanager
def timer(out: dict, key: str):
    """Store the wall time of the block in ``out[key]`` (seconds)."""
    t0 = time.perf_counter()
    yield
    out[key] = time.perf_counter() - t0


def markdown_table(rows: list[dict], columns: list[str] | None = None, floatfmt: str = ".4f") -> str:
    """Rows of dicts -> a GitHub markdown table."""
    columns = columns or list(rows[0])

    def fmt(v):
        return format(v, floatfmt) if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(fmt(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def best_time(fn, repeat: int) -> float:
    """Fastest wall time of ``repeat`` calls of ``fn()`` (seconds)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def speech_parser(doc: str, epochs: int, batch_size: int, lr: float, stride: int):
    """Argument parser with the options every trained-aligner benchmark shares (corpora, sizes, model, training)."""
    import argparse

    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="tiny smoke run")
    p.add_argument("--corpora", default="synthetic,fsdd-strings")
    p.add_argument("--n-train", type=int, default=300)
    p.add_argument("--n-test", type=int, default=60)
    p.add_argument("--epochs", type=int, default=epochs)
    p.add_argument("--batch-size", type=int, default=batch_size)
    p.add_argument("--lr", type=float, default=lr)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--stride", type=int, default=stride, choices=[1, 2])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--cache-dir", default=None)
    p.add_argument("--progress", action="store_true")
    p.add_argument("--json", default=None, help="also write the rows as JSON here")
    return p


def three_rules(aligner, train, test) -> tuple[list[dict], float]:
    """Score a fitted CTC/attention aligner on ``test`` under the three word-timing rules.

    ``raw`` (frame-centre shifts), ``calibrated`` (shifts learned on ``train``) and
    ``calibrated + energy`` (then pause snapping). Returns one dict per rule (metrics rounded,
    ``rule`` and the shifts in ms) and the calibration seconds; the aligner keeps the
    calibrated shifts and its own ``refine`` setting.
    """
    refine = aligner.refine
    aligner.start_shift = aligner.end_shift = None
    aligner.refine = None
    raw = aligner.evaluate(test)
    t0 = time.perf_counter()
    aligner.calibrate(train)
    cal_s = time.perf_counter() - t0
    cal = aligner.evaluate(test)
    aligner.refine = "energy"
    energy = aligner.evaluate(test)
    aligner.refine = refine
    centre = round(-1000 * aligner.frame_shift / 2, 1)
    rows = []
    for rule, r in (("raw", raw), ("calibrated", cal), ("calibrated + energy", energy)):
        rows.append({"rule": rule, **{k: round(v, 2) if isinstance(v, float) else v for k, v in r.items()},
                     "start_shift_ms": centre if rule == "raw" else round(1000 * aligner.start_shift, 1),
                     "end_shift_ms": centre if rule == "raw" else round(1000 * aligner.end_shift, 1)})
    return rows, cal_s
