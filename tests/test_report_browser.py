"""The report as a person sees it: index.html in headless Chromium, every image loaded, the table drawn.

The page is the report's own index.html with a read-only script added before ``</body>``;
after ``window.onload`` the script writes what the browser sees (each image's natural
size, the table's cells, the table's height) as JSON into the DOM, which
``chromium --headless --dump-dom`` prints. Skips where no Chromium or Chrome is installed.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from seqtag.comparison import compare
from seqtag.comparison.tagger_report import write_report

from .test_compare import _tiny

_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

_PROBE = """<script>
window.addEventListener("load", function () {
  function texts(cells) { return Array.prototype.map.call(cells, function (c) { return c.textContent; }); }
  var table = document.querySelector("table");
  var out = document.createElement("pre");
  out.id = "seqtag-probe";
  out.textContent = JSON.stringify({
    images: Array.prototype.map.call(document.images, function (im) {
      return {src: im.getAttribute("src"), complete: im.complete, naturalWidth: im.naturalWidth,
              naturalHeight: im.naturalHeight, shownWidth: im.getBoundingClientRect().width};
    }),
    header: table ? texts(table.querySelectorAll("thead th")) : [],
    rows: table ? Array.prototype.map.call(table.querySelectorAll("tbody tr"),
                                           function (tr) { return texts(tr.cells); }) : [],
    tableHeight: table ? table.getBoundingClientRect().height : 0
  });
  document.body.appendChild(out);
});
</script>"""


@pytest.fixture
def browser() -> str:
    """The first Chromium or Chrome binary on PATH; skips the test (before any work) without one."""
    for name in _BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no chromium, chromium-browser or google-chrome on PATH: install one "
                "(Debian: apt-get install chromium) to open the report in a browser")


def _look(report: Path, browser: str, profile: Path) -> dict:
    """Open the report's index.html (plus the probe) in headless Chromium; what the page saw after onload."""
    page = (report / "index.html").read_text(encoding="utf-8")
    assert page.count("</body>") == 1
    probed = report / "_probe.html"  # next to index.html, so the relative image links resolve the same
    probed.write_text(page.replace("</body>", _PROBE + "</body>"), encoding="utf-8")
    proc = subprocess.run(
        [browser, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", f"--user-data-dir={profile}",
         "--virtual-time-budget=10000", "--dump-dom", probed.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )
    found = re.search(r'<pre id="seqtag-probe">(.*?)</pre>', proc.stdout, re.DOTALL)
    assert found, f"the probe wrote nothing (exit {proc.returncode}); stderr ends: {proc.stderr[-1500:]}"
    return json.loads(html.unescape(found.group(1)))


def _png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


@pytest.fixture
def report(browser, toy_data, tmp_path):
    train, test = _tiny(toy_data)
    res = compare(["baseline", "hmm1"], (train, test), curve_sizes=(0.5, 1.0), n_resamples=50,
                  return_result=True)
    return res, write_report(res, tmp_path / "report")


def test_every_image_loads_and_the_table_renders(report, browser, tmp_path):
    res, out = report
    seen = _look(out, browser, tmp_path / "profile")

    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs == ["accuracy.png", "confusion_best.png", "learning_curves.png", "per_tag_f1.png"]
    assert sorted(im["src"] for im in seen["images"]) == pngs  # every figure written is on the page
    for im in seen["images"]:
        assert im["complete"] and im["naturalWidth"] > 0, f"{im['src']} did not load: {im}"
        assert (im["naturalWidth"], im["naturalHeight"]) == _png_size(out / im["src"])
        assert im["shownWidth"] > 0

    t = res.table
    assert seen["header"][:2] == ["model", "accuracy"]
    assert [row[0] for row in seen["rows"]] == list(t.index)
    col = seen["header"].index("accuracy")
    assert [row[col] for row in seen["rows"]] == [f"{a:.2%}" for a in t["accuracy"]]
    assert all(len(row) == len(seen["header"]) for row in seen["rows"])
    assert seen["tableHeight"] > 0


def test_the_probe_sees_a_missing_image(report, browser, tmp_path):
    """The check above can fail: a figure deleted after the report was written shows as not loaded."""
    _, out = report
    (out / "per_tag_f1.png").unlink()
    seen = _look(out, browser, tmp_path / "profile")
    width = {im["src"]: im["naturalWidth"] for im in seen["images"]}
    assert width["per_tag_f1.png"] == 0
    assert width["accuracy.png"] > 0
