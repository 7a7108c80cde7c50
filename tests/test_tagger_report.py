"""The per-tag F1 heat map of the tagger report: right numbers, right order, legible at any size."""

from __future__ import annotations

import pandas as pd
import pytest

from seqtag.comparison.tagger_report import (
    _CELL,
    _f1_heatmap,
    _per_tag_f1,
    write_report,
)
from seqtag.exceptions import InputError
from seqtag.metrics import classification_report

# gold counts: NN 4, DT 3, VB 3, JJ 1 -> order NN, then DT and VB by name, then JJ
GOLD = [["DT", "NN", "VB"], ["DT", "JJ", "NN", "VB"], ["NN", "NN", "DT", "VB"]]
PRED = {
    "a": [["DT", "NN", "VB"], ["DT", "NN", "NN", "VB"], ["NN", "VB", "DT", "VB"]],
    "bb": [["DT", "NN", "NN"], ["DT", "JJ", "NN", "VB"], ["NN", "NN", "DT", "RB"]],  # RB: predicted only
}


def test_per_tag_f1_orders_by_gold_frequency_and_agrees_with_the_metric():
    f1 = _per_tag_f1(GOLD, PRED)
    assert list(f1.index) == ["NN", "DT", "VB", "JJ"]  # RB never in gold: no row
    assert f1["support"].tolist() == [4, 3, 3, 1]
    assert list(f1.columns) == ["support", "a", "bb"]
    for name, pred in PRED.items():
        expected = classification_report(GOLD, pred)["f1"]
        for tag in f1.index:
            assert f1.loc[tag, name] == pytest.approx(expected[tag])


@pytest.fixture
def plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot

    return matplotlib.pyplot


def _texts(fig):
    ax = fig.axes[0]
    return {(round(t.get_position()[1]), round(t.get_position()[0])): t for t in ax.texts}


def test_heatmap_writes_every_value_labels_support_and_bolds_the_best(plt):
    f1 = _per_tag_f1(GOLD, PRED)
    fig = _f1_heatmap(f1, None, plt)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["NN (4)", "DT (3)", "VB (3)", "JJ (1)"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "bb"]
    cells = _texts(fig)
    assert len(cells) == 4 * 2
    for i, tag in enumerate(f1.index):
        for j, name in enumerate(["a", "bb"]):
            text = cells[i, j]
            assert float(text.get_text()) == pytest.approx(f1.loc[tag, name], abs=5e-4)
            best = f1.loc[tag, name] == f1.loc[tag, ["a", "bb"]].max()
            assert (text.get_fontweight() == "bold") == best
    image = ax.images[0].get_array()
    assert image.shape == (4, 2) and image[0, 1] == pytest.approx(f1.loc["NN", "bb"])
    assert len(fig.axes) == 2  # the colour bar
    plt.close(fig)


def test_heatmap_keeps_the_most_frequent_tags_and_grows_with_the_table(plt):
    f1 = _per_tag_f1(GOLD, PRED)
    small = _f1_heatmap(f1, 2, plt)
    assert [t.get_text() for t in small.axes[0].get_yticklabels()] == ["NN (4)", "DT (3)"]
    assert "2 most frequent of 4" in small.axes[0].get_title()
    full = _f1_heatmap(f1, None, plt)
    (w_small, h_small), (w_full, h_full) = small.get_size_inches(), full.get_size_inches()
    assert h_full - h_small == pytest.approx(2 * _CELL[1])  # two more rows, same cell height
    assert w_full == w_small
    six = pd.concat([f1] + [f1[["a", "bb"]].add_suffix(f"{k}") for k in range(2)], axis=1)
    ten = pd.concat([f1] + [f1[["a", "bb"]].add_suffix(f"{k}") for k in range(4)], axis=1)
    narrow, wide = _f1_heatmap(six, None, plt), _f1_heatmap(ten, None, plt)
    assert wide.get_size_inches()[0] - narrow.get_size_inches()[0] == pytest.approx(4 * _CELL[0])
    for fig in (small, full, narrow, wide):
        for text in fig.axes[0].texts:
            assert text.get_fontsize() >= 8
        plt.close(fig)


def test_write_report_rejects_a_bad_max_tags(tmp_path):
    from seqtag.comparison import ComparisonResult

    res = ComparisonResult(table=pd.DataFrame({"accuracy": [1.0]}, index=pd.Index(["a"], name="model")))
    for bad in (0, -3, 2.5, "all", True):
        with pytest.raises(InputError, match="max_tags must be a positive whole number or None"):
            write_report(res, tmp_path / "r", max_tags=bad)
