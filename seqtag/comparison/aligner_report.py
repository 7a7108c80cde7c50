"""An aligner comparison as a folder a person reads: CSV, Markdown, PNG plots and an index.html.

Companion of :func:`seqtag.comparison.compare_aligners`, laid out like the tagger
report of :mod:`seqtag.comparison.tagger_report`.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ._files import html_page, markdown_table, save_figure
from .aligners import AlignerDetails
from .mfa import MFA_CAVEAT

__all__ = ["write_aligner_report", "format_aligner_table"]


_SHOWN = [
    ("class", "class", "{}"),
    ("trained_on", "trained on", "{}"),
    ("train_s", "train s", "{:.1f}"),
    ("x_realtime", "× real time", "{:.0f}"),
    ("failed", "failed", "{}"),
    ("word_mae_ms", "word MAE ms", "{:.1f}"),
    ("word_median_ms", "word median ms", "{:.1f}"),
    ("word_within_10ms", "word ≤10 ms", "{:.1f} %"),
    ("word_within_20ms", "word ≤20 ms", "{:.1f} %"),
    ("word_within_50ms", "word ≤50 ms", "{:.1f} %"),
    ("word_f1_20ms", "word F1@20ms", "{:.3f}"),
    ("phone_mae_ms", "phone MAE ms", "{:.1f}"),
    ("phone_median_ms", "phone median ms", "{:.1f}"),
    ("phone_within_20ms", "phone ≤20 ms", "{:.1f} %"),
    ("phone_f1_20ms", "phone F1@20ms", "{:.3f}"),
    ("phone_utts", "phone utts", "{}"),
    ("phone_skipped", "phone skipped", "{}"),
    ("mfa_within_20ms", "real speech: ≤20 ms of MFA", "{:.1f} %"),
    ("mfa_mean_ms", "real speech: mean diff from MFA ms", "{:.1f}"),
]
_MFA_SHOWN = [
    ("trained_on", "trained on", "{}"),
    ("audio_s", "audio s", "{:.1f}"),
    ("matched_words", "matched words", "{}"),
    ("mfa_words", "MFA words", "{}"),
    ("median_abs_ms", "median abs diff ms", "{:.1f}"),
    ("mean_abs_ms", "mean abs diff ms", "{:.1f}"),
    ("within_20ms", "≤20 ms", "{:.1f} %"),
    ("status", "status", "{}"),
]


def _formatted(table: pd.DataFrame, shown) -> pd.DataFrame:
    cols = {label: [("" if pd.isna(v) else fmt.format(v)) for v in table[col]]
            for col, label, fmt in shown if col in table}
    return pd.DataFrame(cols, index=table.index)


def format_aligner_table(table: pd.DataFrame) -> pd.DataFrame:
    """The table of :func:`~seqtag.comparison.aligners.compare_aligners` as strings with readable column names.

    Examples
    --------
    >>> t = pd.DataFrame({"word_mae_ms": [13.84], "x_realtime": [107.2]}, index=pd.Index(["hmm"], name="aligner"))
    >>> format_aligner_table(t).to_dict("list")
    {'× real time': ['107'], 'word MAE ms': ['13.8']}
    """
    return _formatted(table, _SHOWN)


def _describe(details: AlignerDetails, table: pd.DataFrame) -> str:
    info = details.info
    speakers = info.get("test_speakers") or []
    text = (f"Train: {info.get('train_utts', '?')} utterances ({info.get('train_audio_s', float('nan')):.0f} s) of "
            f"`{info.get('train_corpus', '?')}`; test: {len(details.test)} utterances "
            f"({sum(u.duration for u in details.test):.0f} s, {len(speakers)} speakers) of "
            f"`{info.get('test_corpus', '?')}`. Preset `{info.get('preset', '?')}`, protocol "
            f"`{info.get('protocol', '?')}`, seed {info.get('seed', '?')}. Word errors pool every word start and end; "
            f"phone errors only the utterances whose reference phone tier has as many intervals as the aligner's "
            f"phone tier (labels are not compared; the rest are counted in phone skipped). "
            f"Speed: test audio seconds per second of align() calls, one utterance at a time.")
    failed = {name: int(n) for name, n in table["failed"].items() if n} if "failed" in table else {}
    if failed:
        text += (" Utterances that raised an error are left out of the metrics: "
                 + ", ".join(f"{k} {v}" for k, v in failed.items()) + " (see per_utterance.csv).")
    return text


def _histograms(details: AlignerDetails, path: Path, plt) -> Path | None:
    runs = [(name, run) for name, run in details.runs.items() if any(e is not None for e in run.word_errors)]
    if not runs:
        return None
    limit, step = 100.0, 5.0
    bins = np.arange(-limit, limit + step, step)
    fig, axes = plt.subplots(1, len(runs), figsize=(3.6 * len(runs) + 0.6, 3.2), sharey=True, squeeze=False)
    for ax, (name, run) in zip(axes[0], runs):
        err = np.concatenate([e for e in run.word_errors if e is not None]) * 1000.0
        outside = int(np.sum(np.abs(err) > limit))
        ax.hist(np.clip(err, -limit, limit), bins=bins, color="#4c72b0")
        for x in (-20, 20):
            ax.axvline(x, color="#c44e52", linestyle=":", linewidth=1)
        ax.set_title(f"{name}: MAE {np.abs(err).mean():.1f} ms", fontsize=10)
        ax.set_xlabel("hypothesis − reference (ms)")
        ax.text(0.98, 0.95, f"{err.size} boundaries\n{outside} beyond ±{limit:.0f} ms\n(in the edge bins)",
                transform=ax.transAxes, ha="right", va="top", fontsize=7)
    axes[0][0].set_ylabel("word boundaries")
    fig.suptitle("word boundary errors (dotted: ±20 ms)", fontsize=10)
    return save_figure(fig, path, plt)


def _example_index(details: AlignerDetails) -> int | None:
    ok = [i for i in range(len(details.test)) if all(run.results[i] is not None for run in details.runs.values())]
    if not ok:
        ok = [i for i in range(len(details.test)) if any(run.results[i] is not None for run in details.runs.values())]
    if not ok:
        return None
    durations = np.array([details.test[i].duration for i in ok])
    return ok[int(np.argmin(np.abs(durations - np.median(durations))))]


def _example(details: AlignerDetails, path: Path) -> Path | None:
    i = _example_index(details)
    if i is None:
        return None
    from ..align.plots import plot_alignments

    u = details.test[i]
    results = {name: run.results[i] for name, run in details.runs.items() if run.results[i] is not None}
    return plot_alignments(u.audio_path, None, results, path, reference=u.words, title=f"{u.id}: “{u.transcript}”")


def _mfa_shown(mfa: pd.DataFrame) -> pd.DataFrame:
    flat = mfa.reset_index().set_index("aligner")
    out = _formatted(flat, _MFA_SHOWN)
    out.insert(0, "file", flat["file"].to_numpy())
    return out


def write_aligner_report(table: pd.DataFrame, details: AlignerDetails, out_dir: str | os.PathLike,
                         title: str = "seqtag compare-aligners") -> Path:
    """Write ``results.csv``, ``results.md``, ``per_utterance.csv``, PNG plots and ``index.html``.

    Parameters
    ----------
    table : pandas.DataFrame
        From ``compare_aligners(..., return_details=True)``.
    details : AlignerDetails
        The same call's details (per-utterance results, agreement with MFA).
    out_dir : str or path-like
    title : str

    Returns
    -------
    pathlib.Path
        The folder; with ``details.mfa`` it also holds ``mfa_agreement.csv`` and a
        section with the MFA caveat (:data:`MFA_CAVEAT`).

    Examples
    --------
    >>> table, details = compare_aligners("hmm,ctc", train, test, return_details=True)  # doctest: +SKIP
    >>> write_aligner_report(table, details, "reports/aligners")  # doctest: +SKIP
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "results.csv")
    details.per_utterance().to_csv(out / "per_utterance.csv", index=False)
    shown = format_aligner_table(table)
    description = _describe(details, table)
    md = [f"# {title}", "", description, "", markdown_table(shown), ""]
    images = [p for p in (_histograms(details, out / "word_boundary_errors.png", plt),
                          _example(details, out / "example_alignment.png")) if p is not None]
    md += [f"![{p.stem}]({p.name})" for p in images]
    extra = '<p>Per utterance: <a href="per_utterance.csv">per_utterance.csv</a></p>\n'
    if details.mfa is not None and len(details.mfa):
        details.mfa.to_csv(out / "mfa_agreement.csv")
        mfa = _mfa_shown(details.mfa)
        where = details.info.get("mfa_dir", "the MFA folder")
        md += ["", f"## Agreement with MFA on `{where}`", "", f"**{MFA_CAVEAT}**", "",
               "Word boundaries of the words matched between MFA's word tier and the transcript "
               "(every start and end; `all` pools the files).", "",
               markdown_table(mfa.apply(lambda col: col.str.replace("|", r"\|", regex=False))), ""]
        extra += (f"<h2>Agreement with MFA on {html.escape(str(where))}</h2>\n<p><strong>{html.escape(MFA_CAVEAT)}"
                  f"</strong></p>\n{mfa.to_html(border=0)}\n"
                  '<p>Raw numbers: <a href="mfa_agreement.csv">mfa_agreement.csv</a></p>\n')
    (out / "results.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    page = html_page(title, description, shown, images).replace("</body>", extra + "</body>", 1)
    (out / "index.html").write_text(page, encoding="utf-8")
    return out
