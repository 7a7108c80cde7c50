"""Token/word spans, time conversion, and TextGrid/CTM/JSON round trips."""

from __future__ import annotations

import io
import math
import os
from pathlib import Path

import numpy as np
import pytest

from seqtag.align.ctc import ctc_align
from seqtag.align.formats import read_ctm, read_json, write_ctm, write_json, write_textgrid
from seqtag.align.spans import TokenSpan, frames_to_seconds, group_words, merge_tokens, spans_to_intervals
from seqtag.exceptions import InputError
from seqtag.intervals import Interval, read_textgrid

from .conftest import REQUIRE_DATA


def test_merge_tokens_hand_computed():
    path = np.array([0, 0, 5, 5, 5, 0, 5, 7, 7, 0])
    probs = np.array([0.9, 0.9, 0.5, 0.6, 0.7, 0.9, 0.4, 1.0, 0.5, 0.9])
    spans = merge_tokens(path, np.log(probs))
    assert [(s.token, s.start, s.end) for s in spans] == [(5, 2, 5), (5, 6, 7), (7, 7, 9)]
    assert [s.score for s in spans] == pytest.approx([0.6, 0.4, 0.75])
    assert [len(s) for s in spans] == [3, 1, 2]
    assert merge_tokens(np.array([0, 0]), np.zeros(2)) == []
    assert merge_tokens(np.array([], dtype=int), np.array([])) == []


def test_merge_tokens_star_and_torch():
    torch = pytest.importorskip("torch")
    spans = merge_tokens(torch.tensor([-1, -1, 0, 3]), torch.zeros(4))
    assert [(s.token, s.start, s.end, s.score) for s in spans] == [(-1, 0, 2, 1.0), (3, 3, 4, 1.0)]


def test_one_span_per_target_after_alignment():
    rng = np.random.default_rng(0)
    lp = rng.normal(size=(60, 6))
    lp -= np.log(np.exp(lp).sum(1, keepdims=True))
    targets = [1, 1, 2, 3, 3, 3, 5]
    path, scores = ctc_align(lp, targets)
    spans = merge_tokens(path, scores)
    assert [s.token for s in spans] == targets
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:]))


def test_group_words_weighted_score():
    sp = [TokenSpan(1, 0, 2, 0.5), TokenSpan(2, 3, 4, 0.8), TokenSpan(3, 6, 9, 0.2)]
    words = group_words(sp, ["ab", "c"])
    assert words[0] == TokenSpan("ab", 0, 4, pytest.approx((0.5 * 2 + 0.8) / 3))
    assert words[1] == TokenSpan("c", 6, 9, 0.2)
    assert group_words(sp, ["x", "y"], word_lengths=[1, 2])[1].start == 3
    with pytest.raises(InputError, match="cover 2 tokens but there are 3 token spans"):
        group_words(sp, ["a", "b"])
    with pytest.raises(InputError, match="at least one token"):
        group_words(sp, ["", "abc"])


def test_frames_to_seconds_and_intervals():
    assert frames_to_seconds(3, 0.02) == pytest.approx(0.06)
    assert frames_to_seconds(np.array([0, 10]), 0.01, 1.0).tolist() == pytest.approx([1.0, 1.1])
    with pytest.raises(InputError, match="hop_s must be a positive"):
        frames_to_seconds(1, 0)
    ivs = spans_to_intervals([TokenSpan(4, 0, 3, 0.5), TokenSpan(6, 3, 5, 0.9)], 0.02, offset_s=-0.01, labels=["a", "b"])
    assert ivs == [Interval("a", 0.0, 0.05, 0.5), Interval("b", 0.05, 0.09, 0.9)]


def test_interval_validation():
    with pytest.raises(InputError, match="ends before it starts"):
        Interval("x", 1.0, 0.5)


WORDS = [Interval("hello", 0.12, 0.5, 0.9), Interval("world", 0.5, 0.93, 0.7), Interval("again", 1.2, 1.5, 0.6)]
CHARS = [Interval(c, 0.12 + 0.05 * i, 0.12 + 0.05 * (i + 1)) for i, c in enumerate("hello")]


def test_textgrid_round_trip(tmp_path):
    path = tmp_path / "out.TextGrid"
    write_textgrid(path, {"words": WORDS, "chars": CHARS}, duration=2.0)
    back = read_textgrid(path)
    assert list(back) == ["words", "chars"]
    for ref, got in ((WORDS, back["words"]), (CHARS, back["chars"])):
        assert [i.label for i in got] == [i.label for i in ref]
        assert np.allclose([(i.start, i.end) for i in got], [(i.start, i.end) for i in ref])
        assert all(math.isnan(i.score) for i in got)
    with_gaps = read_textgrid(path, include_empty=True)["words"]
    assert [i.label for i in with_gaps] == ["", "hello", "world", "", "again", ""]
    assert with_gaps[0].start == 0 and with_gaps[-1].end == pytest.approx(2.0)


def test_textgrid_errors(tmp_path):
    with pytest.raises(InputError, match="overlaps the previous one"):
        write_textgrid(tmp_path / "x.TextGrid", {"w": [Interval("a", 0, 1), Interval("b", 0.5, 2)]})
    with pytest.raises(InputError, match="cover the last interval end"):
        write_textgrid(tmp_path / "x.TextGrid", {"w": WORDS}, duration=1.0)
    with pytest.raises(InputError, match="TextGrid file not found"):
        read_textgrid(tmp_path / "missing.TextGrid")
    bad = tmp_path / "bad.TextGrid"
    bad.write_text("hello")
    with pytest.raises(InputError, match="cannot parse"):
        read_textgrid(bad)


def test_ctm_round_trip(tmp_path):
    f = io.StringIO()
    write_ctm(f, "utt1", WORDS)
    write_ctm(f, "utt2", [Interval("x", 0.0, 0.1), Interval("", 0.1, 0.2)], channel=2)
    lines = f.getvalue().splitlines()
    assert lines[0] == "utt1 1 0.120 0.380 hello 0.900"
    assert lines[-1] == "utt2 2 0.000 0.100 x"
    back = read_ctm(io.StringIO(f.getvalue()))
    assert back["utt1"] == WORDS and len(back["utt2"]) == 1 and math.isnan(back["utt2"][0].score)
    path = tmp_path / "a.ctm"
    write_ctm(path, "u", WORDS)
    assert read_ctm(path)["u"] == WORDS
    with pytest.raises(InputError, match="without whitespace"):
        write_ctm(io.StringIO(), "u 1", WORDS)
    with pytest.raises(InputError, match="CTM line 1"):
        read_ctm(io.StringIO("u 1 0.1\n"))


def test_json_round_trip(tmp_path):
    path = tmp_path / "a.json"
    tiers = {"words": WORDS, "chars": CHARS}
    write_json(path, tiers, duration=2.0, utt_id="u1")
    back = read_json(path)
    assert back["words"] == WORDS
    assert [(i.label, i.start, i.end) for i in back["chars"]] == [(i.label, i.start, i.end) for i in CHARS]
    with pytest.raises(InputError, match="'tiers' object"):
        read_json(io.StringIO("[1, 2]"))


def test_read_mfa_reference_textgrids():
    root = os.environ.get("SEQTAG_DATA")
    folder = Path(root) / "mfa_test_speech" / "textgrid" if root else None
    if folder is None or not folder.is_dir():
        if REQUIRE_DATA:
            pytest.fail("SEQTAG_DATA/mfa_test_speech/textgrid is required (SEQTAG_REQUIRE_DATA=1)")
        pytest.skip("SEQTAG_DATA/mfa_test_speech not available")
    files = sorted(folder.glob("*.TextGrid"))
    assert len(files) >= 3
    tg = read_textgrid(folder / "acoustic_corpus.TextGrid")
    words = tg["words"]
    assert [w.label for w in words[:4]] == ["this", "is", "the", "acoustic"]
    assert words[0].start == pytest.approx(1.05) and words[0].end == pytest.approx(1.2)
    for f in files:
        for name, ivs in read_textgrid(f).items():
            assert all(a.end <= b.start + 1e-9 for a, b in zip(ivs, ivs[1:])), (f.name, name)
