"""A comparison as a folder a person reads: CSV, Markdown, PNG plots and an index.html."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from .. import metrics
from ..exceptions import InputError
from ._files import html_page, markdown_table, save_figure
from .taggers import ComparisonResult

__all__ = ["format_table", "write_report"]

_CELL = (0.62, 0.3)  # inches per heat-map cell (width, height): room for ".967" in 8-point text

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


def write_report(result: ComparisonResult, out_dir: str | os.PathLike, title: str = "seqtag comparison",
                 max_tags: int | None = 30) -> Path:
    """Write ``results.csv``, ``results.md``, PNG plots and ``index.html`` into ``out_dir``.

    Parameters
    ----------
    result : ComparisonResult
        From ``compare(..., return_result=True)``.
    out_dir : str or path-like
    title : str
    max_tags : int or None, default 30
        Rows of the per-tag F1 heat map: the ``max_tags`` most frequent gold tags of the
        test split, or every gold tag with ``None``. ``per_tag_f1.csv`` always holds all.

    Returns
    -------
    pathlib.Path
        The folder.
    """
    if max_tags is not None and (isinstance(max_tags, bool) or not isinstance(max_tags, (int, np.integer))
                                 or max_tags < 1):
        raise InputError(f"max_tags must be a positive whole number or None (every tag), got {max_tags!r}; "
                         "pass e.g. max_tags=30")
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

        f1 = _per_tag_f1(result.gold.y, result.predictions)
        f1.to_csv(out / "per_tag_f1.csv")
        images.append(save_figure(_f1_heatmap(f1, max_tags, plt), out / "per_tag_f1.png", plt))

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


def _per_tag_f1(gold_y, predictions: dict) -> pd.DataFrame:
    """Gold support and each model's F1 for every gold tag, most frequent first (ties by name)."""
    counts = pd.Series([t for sent in gold_y for t in sent]).value_counts()
    order = sorted(counts.index, key=lambda t: (-counts[t], t))
    table = pd.DataFrame({"support": counts[order].astype(int)}, index=pd.Index(order, name="tag"))
    for name, pred in predictions.items():
        table[name] = metrics.classification_report(gold_y, pred, labels=order)["f1"].drop("macro avg")
    return table


def _f1_heatmap(f1: pd.DataFrame, max_tags: int | None, plt):
    """Tags (rows, most frequent first, support in the label) x models; F1 as colour and as text.

    The figure grows with the table so that every cell keeps the same legible size:
    ``_CELL`` inches per cell, 8-point text at the report's 110 dpi (about 12 pixels).
    """
    shown = f1 if max_tags is None else f1.iloc[:max_tags]
    values = shown.drop(columns="support").to_numpy(dtype=float)  # (tags, models)
    n_tags, n_models = values.shape
    labels = [f"{tag} ({n:,})" for tag, n in zip(shown.index, shown["support"])]
    models = list(shown.columns[1:])
    longest = max(len(m) for m in models)
    label_w = 0.3 + 0.075 * max(len(s) for s in labels)  # inches for the row labels
    col_h = 0.25 + (0.06 * longest if longest > 6 else 0.1)  # long model names are slanted
    width = max(4.8, label_w + _CELL[0] * n_models + 1.3)
    fig, ax = plt.subplots(figsize=(width, 1.0 + col_h + _CELL[1] * n_tags))
    # the colour scale starts at the tenth percentile (rounded down to 0.1, at most 0.9) so
    # that the bulk of F1 values, usually 0.8-1, spans most of it; lower cells saturate
    vmin = min(0.9, np.floor(np.quantile(values, 0.1) * 10) / 10)
    cmap = plt.get_cmap("viridis")
    im = ax.imshow(values, cmap=cmap, vmin=vmin, vmax=1.0, aspect="auto")
    ax.xaxis.tick_top()
    ax.set_xticks(range(n_models), models, rotation=35 if longest > 6 else 0,
                  ha="left" if longest > 6 else "center", fontsize=9)
    ax.set_yticks(range(n_tags), labels, fontsize=8)
    ax.tick_params(length=0)
    row_best = values.max(axis=1)
    for (i, j), v in np.ndenumerate(values):
        r, g, b, _ = cmap(im.norm(v))
        dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.5  # luminance of the cell: white text on dark
        ax.text(j, i, f"{v:.3f}".removeprefix("0"), ha="center", va="center", fontsize=8,
                color="white" if dark else "black", fontweight="bold" if v == row_best[i] else "normal")
    more = "" if n_tags == len(f1) else f"{n_tags} most frequent of {len(f1)} "
    ax.set_title(f"per-tag F1, {more}gold tags (support)\nbold: best model for the tag", fontsize=10)
    fig.colorbar(im, ax=ax, label="F1", extend="min" if values.min() < vmin else "neither",
                 fraction=0.3 / (width - label_w), pad=0.03)
    return fig


def _describe(result: ComparisonResult) -> str:
    info = result.info
    if info.get("cv"):
        return f"Corpus `{info['corpus']}`, {info['cv']}-fold document-level cross-validation, preset `{info['preset']}`."
    gold = result.gold
    return (f"Corpus `{info['corpus']}`, test split: {len(gold)} sentences, {gold.n_tokens} tokens; "
            f"preset `{info['preset']}`. p-values compare each model with the most accurate one.")
