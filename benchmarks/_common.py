"""Helpers shared by the benchmark scripts: timing, machine info, markdown tables."""

from __future__ import annotations

import argparse
import ast
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


def three_rules(aligner, test) -> list[dict]:
    """Score a fitted CTC/attention aligner on ``test`` under the three word-timing rules.

    ``raw`` (frame-centre shifts, ``-hop / 2``), ``calibrated`` (the shifts ``fit`` calibrated
    on its training utterances: ``start_shift_`` / ``end_shift_``) and ``calibrated + energy``
    (then pause snapping, ``refine="energy"``). Each rule is a ``set_params`` of the aligner
    scored with its own ``evaluate``; the aligner's parameters are restored afterwards.
    Returns one dict per rule (metrics rounded, ``rule`` and the shifts in ms).
    """
    keep = {k: v for k, v in aligner.get_params(deep=False).items() if k in ("start_shift", "end_shift", "refine")}
    centre = -aligner.frame_shift / 2
    rules = (("raw", {"start_shift": centre, "end_shift": centre, "refine": None}),
             ("calibrated", {"start_shift": None, "end_shift": None, "refine": None}),
             ("calibrated + energy", {"start_shift": None, "end_shift": None, "refine": "energy"}))
    rows = []
    try:
        for rule, params in rules:
            aligner.set_params(**params)
            r = aligner.evaluate(test)
            shifts = (centre, centre) if rule == "raw" else (aligner.start_shift_, aligner.end_shift_)
            start, end = (centre if v is None else v for v in shifts)  # not calibrated: the frame centre
            rows.append({"rule": rule, **{k: round(v, 2) if isinstance(v, float) else v for k, v in r.items()},
                         "start_shift_ms": round(1000 * start, 1), "end_shift_ms": round(1000 * end, 1)})
    finally:
        aligner.set_params(**keep)
    return rows


def param_arg(text: str) -> tuple[str, object]:
    """argparse type of ``--param NAME=VALUE``: the value as a Python literal, else the string."""
    name, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    try:
        return name, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return name, value
