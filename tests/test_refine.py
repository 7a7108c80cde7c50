"""Energy-based word-boundary refinement: pauses found where they are, nothing moved without one."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqtag.align.refine import frame_energy_db, refine_word_boundaries, silent_runs
from seqtag.align.word_timing import align_emissions, refine_result
from seqtag.exceptions import InputError
from seqtag.intervals import Interval

SR = 16000


def _speech(segments, seed=0):
    """Audio of (kind, seconds) segments: "w" = noise-like word, "p" = pause (quiet noise)."""
    rng = np.random.default_rng(seed)
    parts = [rng.normal(0, 0.3 if kind == "w" else 0.001, int(sec * SR)) for kind, sec in segments]
    return np.concatenate(parts)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.floats(0.15, 0.5), st.floats(0.07, 0.3)), min_size=1, max_size=4),
       st.floats(0.05, 0.3))
def test_boundaries_land_on_the_pauses(words, lead):
    # a pause is seen when its silent frames (windows wholly inside it) last min_pause = 30 ms:
    # pauses from 70 ms (30 ms + a 25 ms window + margin) are always found
    segs, truth, t = [("p", lead)], [], lead
    for w, p in words:
        segs += [("w", w), ("p", p)]
        truth.append((t, t + w))
        t += w + p
    audio = _speech(segs)
    # a rough alignment: every boundary 40 ms off, anchors well inside the words
    rough = [Interval(f"w{i}", s - 0.04, e + 0.04) for i, (s, e) in enumerate(truth)]
    anchors = [(s + 0.05, e - 0.05) for s, e in truth]
    out = refine_word_boundaries(rough, anchors, audio, SR)
    for (s, e), w in zip(truth, out):
        assert abs(w.start - s) <= 0.011 and abs(w.end - e) <= 0.011


def test_without_a_pause_nothing_moves():
    audio = _speech([("w", 0.4), ("w", 0.4)])
    rough = [Interval("a", 0.0, 0.37), Interval("b", 0.37, 0.8)]
    assert refine_word_boundaries(rough, [(0.1, 0.3), (0.5, 0.7)], audio, SR) == rough


def test_a_pause_that_does_not_fit_both_words_moves_neither():
    audio = _speech([("p", 0.2), ("w", 0.3), ("p", 0.2), ("w", 0.3), ("p", 0.2)])
    # the second word's span (badly shifted) ends before the pause does: its start cannot move to
    # the pause's end, so the first word's end does not move either
    rough = [Interval("a", 0.2, 0.55), Interval("b", 0.55, 0.62)]
    out = refine_word_boundaries(rough, [(0.3, 0.4), (0.8, 0.9)], audio, SR)
    assert (out[0].end, out[1].start) == (0.55, 0.55)
    assert all(w.start <= w.end for w in out) and out[0].end <= out[1].start


def test_silent_runs_and_energy():
    e = frame_energy_db(_speech([("p", 0.2), ("w", 0.2), ("p", 0.2)]), SR)
    runs = silent_runs(e)
    assert len(runs) == 2 and runs[0][0] == 0 and runs[1][1] == e.size
    assert silent_runs(np.array([-50.0, 0.0, -50.0]), min_frames=2) == []


def test_errors():
    with pytest.raises(InputError, match="one .first, last. anchor per word: 1 words, 0 anchors"):
        refine_word_boundaries([Interval("a", 0, 1)], [], np.zeros(SR), SR)
    with pytest.raises(InputError, match="audio must be mono"):
        frame_energy_db(np.zeros((2, 100)), SR)


def test_aligner_results_keep_units_inside_their_words():
    audio = _speech([("p", 0.2), ("w", 0.3), ("p", 0.2), ("w", 0.3), ("p", 0.2)])
    T = int(round(len(audio) / SR / 0.01))
    lp = np.full((T, 4), np.log(0.01))
    lp[:, 0] = np.log(0.97)
    for frame, cls in ((30, 1), (40, 2), (80, 3), (90, 1)):  # spikes of "ab" then "ca"
        lp[frame], lp[frame, cls] = np.log(0.01), np.log(0.97)
    r = align_emissions(lp, "ab ca", ["<b>", "a", "b", "c"], 0.01, duration=len(audio) / SR)
    r.warnings.append("a note from the aligner")
    out = refine_result(r, "energy", audio, SR)
    assert out.warnings == ["a note from the aligner"] and out.raw == r.raw  # only boundaries change
    assert [w.label for w in out.words] == ["ab", "ca"] and len(out.units) == 4
    assert out.words[0].start == pytest.approx(0.2, abs=0.011) and out.words[1].end == pytest.approx(1.0, abs=0.011)
    for w, units in zip(out.words, (out.units[:2], out.units[2:])):
        assert units[0].start == w.start and units[-1].end == w.end
        assert all(a.end <= b.start + 1e-9 and a.start <= a.end for a, b in zip(units, units[1:]))
    assert refine_result(r, None, audio, SR) is r
    with pytest.raises(InputError, match="refine must be None or 'energy'"):
        refine_result(r, "vad", audio, SR)
