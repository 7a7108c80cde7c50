"""A comparison as a folder a person reads: CSV, Markdown, PNG plots and an index.html."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from .. import metrics
from ._files import html_page, markdown_table, save_figure
from .taggers import ComparisonResult

__all__ = ["write_report", "format_table"]

_SHOWN = [
    ("accuracy", "accuracy", "{:.2%}"),
    ("known_accuracy", "known", "{:.2%}"),
    ("unknown_accuracy", "unknown", "{:.2%}"),
    ("macro_f1", "macro F1", "{:.4f}"),
    ("span_f1", "span F1", "{:.2%}"),
    ("train_s", "train s", "{:.1f}"),
    ("tokens_per_s", "tokens/s", "{:,.0f}"),
    ("size_mb", "size MB", "{:.2f}"),
    ("peak_mem_mb", "peak MB", "{:.0f}"),
    ("p_mcnemar_vs_best", "p McNemar", "{:.3g}"),
    ("p_bootstrap_vs_best", "p bootstrap", "{:.3g}"),
]


def format_table(table: pd.DataFrame) -> pd.DataFrame:
    """The table as strings, with readable column names (``± std`` when cross-validated)."""
    out = pd.DataFrame(index=table.index)
    for col, label, fmt in _SHOWN:
        if col not in table:
            continue
        std = table.get(f"{col}_std")
        out[label] = [
            "" if pd.isna(v) else fmt.format(v) + ("" if std is None or pd.isna(s) else " ± " + fmt.format(s))
            for v, s in zip(table[col], std if std is not None else [np.nan] * len(table))
        ]
    return out


def _accuracy_errors(result: ComparisonResult) -> np.ndarray:
    """Error bars: CV standard deviation, else a bootstrap 95 % half-interval over sentences."""
    table = result.table
    if "accuracy_std" in table:
        return table["accuracy_std"].to_numpy()
    rng = np.random.default_rng(0)
    gold = result.gold.y
    n = len(gold)
    out = []
    for name in table.index:
        correct = np.array([sum(a == b for a, b in zip(g, p)) for g, p in zip(gold, result.predictions[name])])
        lengths = np.array([len(g) for g in gold])
        idx = rng.integers(0, n, (500, n))
        accs = correct[idx].sum(1) / np.maximum(1, lengths[idx].sum(1))
        lo, hi = np.quantile(accs, [0.025, 0.975])
        out.append((hi - lo) / 2)
    return np.array(out)


def write_report(result: ComparisonResult, out_dir: str | os.PathLike, title: str = "seqtag comparison") -> Path:
    """Write ``results.csv``, ``results.md``, PNG plots and ``index.html`` into ``out_dir``.

    Parameters
    ----------
    result : ComparisonResult
        From ``compare(..., return_result=True)``.
    out_dir : str or path-like
    title : str

    Returns
    -------
    pathlib.Path
        The folder.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    table = result.table
    table.to_csv(out / "results.csv")
    shown = format_table(table)
    md = [f"# {title}", "", _describe(result), "", markdown_table(shown), ""]
    images = []

    fig, ax = plt.subplots(figsize=(1.2 + 0.9 * len(table), 3.6))
    acc = table["accuracy"].to_numpy()
    ax.bar(table.index, acc * 100, yerr=_accuracy_errors(result) * 100, capsize=4, color="#4c72b0")
    lo = max(0.0, (np.nanmin(acc) - 0.05) * 100)
    ax.set_ylim(lo, 100)
    ax.set_ylabel("token accuracy (%)")
    ax.set_title("accuracy" + (" (mean ± std over folds)" if "accuracy_std" in table else " (95 % bootstrap CI)"))
    ax.tick_params(axis="x", rotation=30)
    images.append(save_figure(fig, out / "accuracy.png", plt))

    if result.predictions and result.gold is not None:
        best = table["accuracy"].idxmax()
        cm = metrics.confusion_matrix(result.gold.y, result.predictions[best])
        top = cm.sum(axis=1).sort_values(ascending=False).index[:20]
        sub = cm.loc[top, top]
        norm = sub.div(sub.sum(axis=1).replace(0, 1), axis=0).to_numpy(copy=True)
        np.fill_diagonal(norm, 0.0)  # errors only: the diagonal would drown them
        fig, ax = plt.subplots(figsize=(7, 6))
        im = ax.imshow(norm, cmap="Reds", vmin=0, vmax=max(0.01, norm.max()))
        ax.set_xticks(range(len(top)), top, rotation=90)
        ax.set_yticks(range(len(top)), top)
        ax.set_xlabel("predicted")
        ax.set_ylabel("gold")
        ax.set_title(f"errors of the best model ({best})\nshare of each gold tag's tokens, 20 most frequent tags")
        fig.colorbar(im, ax=ax, label="share of the gold tag")
        images.append(save_figure(fig, out / "confusion_best.png", plt))

        f1 = pd.DataFrame({
            name: metrics.classification_report(result.gold.y, pred)["f1"].drop("macro avg")
            for name, pred in result.predictions.items()
        })
        support = metrics.classification_report(result.gold.y, result.predictions[best])["support"]
        f1 = f1.loc[support.drop("macro avg").sort_values(ascending=False).index[:20]]
        fig, ax = plt.subplots(figsize=(10, 3.8))
        f1.plot.bar(ax=ax, width=0.8)
        ax.set_ylim(max(0.0, float(np.nanmin(f1.values)) - 0.05), 1.0)
        ax.set_ylabel("F1")
        ax.set_xlabel("")
        ax.set_title("per-tag F1 (20 most frequent gold tags)")
        ax.legend(fontsize=8, ncol=min(6, len(f1.columns)), loc="upper center", bbox_to_anchor=(0.5, -0.18))
        images.append(save_figure(fig, out / "per_tag_f1.png", plt))
        f1.to_csv(out / "per_tag_f1.csv")

    if result.curves is not None and len(result.curves):
        fig, ax = plt.subplots(figsize=(6, 4))
        for name, grp in result.curves.groupby("model", sort=False):
            ax.plot(grp["train_tokens"], grp["accuracy"] * 100, marker="o", label=name)
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v / 1000:g}k"))
        ax.set_xlabel("training tokens")
        ax.set_ylabel("test accuracy (%)")
        ax.set_title("learning curves")
        ax.legend(fontsize=8)
        images.append(save_figure(fig, out / "learning_curves.png", plt))
        result.curves.to_csv(out / "learning_curves.csv", index=False)
    if result.folds is not None:
        result.folds.to_csv(out / "folds.csv", index=False)

    md += [f"![{p.stem}]({p.name})" for p in images]
    (out / "results.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    (out / "index.html").write_text(html_page(title, _describe(result), shown, images), encoding="utf-8")
    return out


def _describe(result: ComparisonResult) -> str:
    info = result.info
    if info.get("cv"):
        return f"Corpus `{info['corpus']}`, {info['cv']}-fold document-level cross-validation, preset `{info['preset']}`."
    gold = result.gold
    return (f"Corpus `{info['corpus']}`, test split: {len(gold)} sentences, {gold.n_tokens} tokens; "
            f"preset `{info['preset']}`. p-values compare each model with the most accurate one.")
