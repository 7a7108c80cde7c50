"""The files of a comparison report: Markdown tables, PNG figures and an index.html.

Shared by the tagger report (:mod:`seqtag.comparison.tagger_report`) and the aligner
report (:mod:`seqtag.comparison.aligner_report`).
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

__all__ = ["markdown_table", "save_figure", "html_page"]


def markdown_table(df: pd.DataFrame) -> str:
    """A DataFrame as a GitHub markdown table, its index as the first column.

    Examples
    --------
    >>> print(markdown_table(pd.DataFrame({"accuracy": ["96.1%"]}, index=pd.Index(["crf"], name="model"))))
    | model | accuracy |
    |---|---|
    | crf | 96.1% |
    """
    cols = [df.index.name or "model", *df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join([str(i), *map(str, row)]) + " |" for i, row in zip(df.index, df.values)]
    return "\n".join(lines)


def save_figure(fig, path: Path, plt) -> Path:
    """Lay out, write (110 dpi) and close a matplotlib figure; return its path."""
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def html_page(title: str, description: str, shown: pd.DataFrame, images: list[Path]) -> str:
    """A self-contained index.html: title, description, the table, the figures."""
    rows = "".join(
        "<tr><th>" + html.escape(str(i)) + "</th>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in r) + "</tr>"
        for i, r in zip(shown.index, shown.values)
    )
    head = "".join(f"<th>{html.escape(c)}</th>" for c in ["model", *shown.columns])
    figs = "".join(f'<figure><img src="{p.name}" alt="{p.stem}"><figcaption>{p.stem}</figcaption></figure>'
                   for p in images)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
th, td {{ border: 1px solid #ccc; padding: 4px 8px; text-align: right; }}
th:first-child {{ text-align: left; }}
figure {{ display: inline-block; margin: 1em; vertical-align: top; }}
img {{ max-width: 720px; }}
</style></head>
<body><h1>{html.escape(title)}</h1>
<p>{html.escape(description.replace("`", ""))}</p>
<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>
<p>Raw numbers: <a href="results.csv">results.csv</a></p>
{figs}
</body></html>
"""
