"""Trigger-word detection: frame labels, detection matching, the GRU/LSTM detector, data from speech."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import seqtag
from seqtag.exceptions import InputError, NotFittedError
from seqtag.trigger import (
    TriggerWordDetector,
    detection_scores,
    first_frame_after,
    match_detections,
    trigger_labels,
)
from seqtag.trigger.firing import fire_frames

SR = 16000


# ------------------------------------------------------------------------------------------ labels
def naive_labels(n_frames, ends, hop, ones):
    """Frame t is 1 when some end e has t * hop >= e and t < first frame after e + ones."""
    out = [0] * n_frames
    for e in ends:
        first = next((t for t in range(n_frames + 1) if t * hop >= e - 1e-9), n_frames)
        for t in range(first, min(first + ones, n_frames)):
            out[t] = 1
    return out


def test_labels_run_after_each_end_exactly():
    assert trigger_labels(12, [0.03], hop=0.01, ones=4).tolist() == [0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0]
    # an end between frames starts the run at the next frame
    assert trigger_labels(8, [0.025], hop=0.01, ones=2).tolist() == [0, 0, 0, 1, 1, 0, 0, 0]
    # 0.3 / 0.01 is 29.999999999999996 in floats: still frame 30
    assert first_frame_after(0.3, 0.01) == 30 and first_frame_after(0.7, 0.1) == 7
    assert trigger_labels(40, [0.3], hop=0.01, ones=1).tolist().index(1) == 30


def test_labels_overlapping_runs_merge_and_runs_are_cut_at_the_end():
    assert trigger_labels(10, [0.01, 0.03], hop=0.01, ones=3).tolist() == [0, 1, 1, 1, 1, 1, 0, 0, 0, 0]
    assert trigger_labels(10, [0.03, 0.01], hop=0.01, ones=3).tolist() == [0, 1, 1, 1, 1, 1, 0, 0, 0, 0]
    assert trigger_labels(10, [0.02, 0.02], hop=0.01, ones=2).tolist() == [0, 0, 1, 1, 0, 0, 0, 0, 0, 0]
    assert trigger_labels(6, [0.04], hop=0.01, ones=50).tolist() == [0, 0, 0, 0, 1, 1]
    assert trigger_labels(6, [0.06], hop=0.01, ones=5).tolist() == [0] * 6  # ends at the very end: no frame left
    assert trigger_labels(5, [], hop=0.01).tolist() == [0] * 5
    assert trigger_labels(0, []).tolist() == []


def test_labels_in_seconds_and_default_run():
    assert trigger_labels(8, [0.1], hop=0.05, ones_seconds=0.1).tolist() == [0, 0, 1, 1, 0, 0, 0, 0]
    assert trigger_labels(8, [0.1], hop=0.05, ones_seconds=0.01).tolist() == [0, 0, 1, 0, 0, 0, 0, 0]  # >= 1 frame
    assert trigger_labels(200, [0.2]).sum() == 50  # 50 frames after the end by default
    assert trigger_labels(200, [0.2], ones_seconds=0.5).tolist() == trigger_labels(200, [0.2]).tolist()


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 30), st.lists(st.integers(0, 60), max_size=4), st.integers(1, 8),
       st.sampled_from([0.01, 0.02, 0.05]))
def test_labels_equal_the_naive_rule(n, ends_tenths, ones, hop):
    ends = [min(e * hop / 2, n * hop) for e in ends_tenths]  # half-frame grid: on and between frames
    assert trigger_labels(n, ends, hop=hop, ones=ones).tolist() == naive_labels(n, ends, hop, ones)


@pytest.mark.parametrize("kwargs, match", [
    ({"n_frames": 10, "ends": [-0.01]}, r"ends\[0\] = -0.01 s is not a time inside the audio \[0, 0.1\]"),
    ({"n_frames": 10, "ends": [0.05, 0.2]}, r"ends\[1\] = 0.2 s is not a time inside the audio"),
    ({"n_frames": 10, "ends": [float("nan")]}, "not a time inside the audio"),
    ({"n_frames": 10, "ends": [[0.1]]}, "flat list of end times"),
    ({"n_frames": 10, "ends": ["x"]}, "list of end times in seconds"),
    ({"n_frames": -1, "ends": []}, "n_frames must be a non-negative int"),
    ({"n_frames": 2.0, "ends": []}, "n_frames must be a non-negative int"),
    ({"n_frames": 10, "ends": [], "hop": 0}, "hop must be a positive number"),
    ({"n_frames": 10, "ends": [], "ones": 0}, "ones must be a positive int"),
    ({"n_frames": 10, "ends": [], "ones": 2.5}, "ones must be a positive int"),
    ({"n_frames": 10, "ends": [], "ones_seconds": -1.0}, "ones_seconds must be a positive number"),
    ({"n_frames": 10, "ends": [], "ones": 3, "ones_seconds": 0.1}, "not both"),
])
def test_labels_bad_input(kwargs, match):
    with pytest.raises(InputError, match=match):
        trigger_labels(**kwargs)


# ----------------------------------------------------------------------------------------- metrics
def naive_max_matching(dets, ends, after, before):
    """Largest number of (detection, end) hits with each used at most once, by trying every assignment."""
    best = 0
    for perm in itertools.permutations(range(len(ends)), min(len(dets), len(ends))):
        for chosen in itertools.combinations(range(len(dets)), len(perm)):
            hits = sum(ends[j] - before <= dets[i] <= ends[j] + after for i, j in zip(chosen, perm))
            best = max(best, hits)
    return best


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 20), max_size=4), st.lists(st.integers(0, 20), max_size=4),
       st.integers(0, 6), st.integers(0, 3))
def test_matching_is_maximum(dets, ends, after, before):
    dets, ends, after, before = [d / 10 for d in dets], [e / 10 for e in ends], after / 10, before / 10
    pairs = match_detections(dets, ends, after=after, before=before)
    assert len({i for i, _ in pairs}) == len({j for _, j in pairs}) == len(pairs)  # each matched at most once
    assert all(ends[j] - before <= dets[i] <= ends[j] + after for i, j in pairs)
    assert len(pairs) == naive_max_matching(dets, ends, after, before)


def test_matching_hand_cases():
    # window edges are inside: e - before and e + after
    assert match_detections([0.9, 1.5], [1.0, 1.0], after=0.5, before=0.1) == [(0, 0), (1, 1)]
    assert match_detections([1.51], [1.0], after=0.5) == []
    # one occurrence, two detections: one hit, one false alarm
    s = detection_scores([[1.1, 1.2]], [[1.0]], after=0.5)
    assert (s["tp"], s["fp"], s["fn"], s["precision"], s["recall"]) == (1, 1, 0, 0.5, 1.0)
    assert s["f1"] == pytest.approx(2 / 3)
    # a detection that could hit either of two ends must go to the earlier one, or a hit is lost
    assert match_detections([1.3, 1.6], [1.0, 1.2], after=0.4) == [(0, 0), (1, 1)]
    # unsorted input: indices refer to the caller's order
    assert match_detections([3.1, 1.1], [3.0, 1.0], after=0.5) == [(1, 1), (0, 0)]


def test_scores_edge_cases():
    none = detection_scores([[], []], [[], []], after=0.5)
    assert math.isnan(none["precision"]) and math.isnan(none["recall"]) and math.isnan(none["f1"])
    missed = detection_scores([[]], [[1.0, 2.0]], after=0.5)
    assert math.isnan(missed["precision"]) and (missed["recall"], missed["f1"], missed["fn"]) == (0.0, 0.0, 2)
    alarms = detection_scores([[1.0]], [[]], after=0.5)
    assert (alarms["precision"], alarms["f1"], alarms["fp"]) == (0.0, 0.0, 1) and math.isnan(alarms["recall"])
    perfect = detection_scores([[1.2], [0.3, 2.4]], [[1.0], [0.2, 2.0]], after=0.5)
    assert (perfect["precision"], perfect["recall"], perfect["f1"]) == (1.0, 1.0, 1.0)


@pytest.mark.parametrize("args, match", [
    (([[1.0]], [[1.0], [2.0]]), "one entry per recording, got 1 and 2"),
    (([[float("inf")]], [[1.0]]), "finite times"),
    (([1.0], [2.0]), "recording 0: detections and ends must each be a list of times"),
])
def test_scores_bad_input(args, match):
    with pytest.raises(InputError, match=match):
        detection_scores(*args, after=0.5)
    with pytest.raises(InputError, match="after must be a non-negative number"):
        match_detections([1.0], [1.0], after=-0.1)


def test_fire_frames_waits_and_respects_the_refractory_time():
    p = np.array([0.0, 0.9, 0.9, 0.9, 0.0, 0.9, 0.0, 0.8, 0.8, 0.8, 0.8])
    assert fire_frames(p, 0.5, 2, 3).tolist() == [2, 8]
    assert fire_frames(p, 0.5, 1, 1).tolist() == [1, 5, 7]
    assert fire_frames(p, 0.5, 1, 5).tolist() == [1, 7]  # 5 is only 4 frames after 1
    assert fire_frames(p, 0.95, 1, 1).tolist() == []
    assert fire_frames(np.zeros(0), 0.5, 1, 1).tolist() == []
    with pytest.raises(InputError, match="min_frames must be a positive int"):
        fire_frames(p, 0.5, 0, 1)
    with pytest.raises(InputError, match="prob must be a 1-D array"):
        fire_frames(p[None], 0.5, 1, 1)


# ---------------------------------------------------------------------------------------- detector
def _tone_task(n, seed):
    """1.2 s of noise with 0-2 tone bursts of 250 ms: 900 Hz is the trigger, 2,500 Hz a distractor."""
    rng = np.random.default_rng(seed)
    audio, ends = [], []
    t = np.arange(int(0.25 * SR)) / SR
    for _ in range(n):
        x = rng.normal(0, 0.02, int(1.2 * SR)).astype(np.float32)
        e = []
        for k, start in enumerate((0.1, 0.6)):
            kind = rng.integers(3)  # 0: nothing, 1: trigger, 2: distractor
            if kind:
                a = int(start * SR) + int(rng.integers(0, 800))
                x[a : a + t.size] += 0.3 * np.sin(2 * np.pi * (900 if kind == 1 else 2500) * t)
                if kind == 1:
                    e.append((a + t.size) / SR)
        audio.append(x)
        ends.append(e)
    return audio, ends


@pytest.fixture(scope="module")
def tone_data():
    return _tone_task(32, 0), _tone_task(16, 1)


@pytest.mark.parametrize("cell, normalize, freq_mask", [("gru", "global", 0), ("lstm", "utterance", 4)])
def test_detector_learns_a_trigger_and_rejects_a_distractor(tone_data, cell, normalize, freq_mask):
    (Xtr, ytr), (Xte, yte) = tone_data
    det = TriggerWordDetector(cell=cell, hidden=16, conv_channels=16, ones_seconds=0.2, normalize=normalize,
                              freq_mask=freq_mask, dropout=0.1, epochs=25, batch_size=8, lr=1e-2).fit(Xtr, ytr)
    assert det.history_[-1] < det.history_[0] / 2
    assert sum(map(len, yte)) >= 5 and det.score(Xte, yte) >= 0.8
    p = det.predict_proba(Xte)
    assert len(p) == len(Xte) and p[0].shape == (61,)  # 121 log-mel frames, stride 2
    assert all(((q >= 0) & (q <= 1)).all() for q in p)


@pytest.fixture(scope="module")
def small_detector(tone_data):
    (Xtr, ytr), _ = tone_data
    return TriggerWordDetector(hidden=8, conv_channels=8, epochs=2, batch_size=8).fit(Xtr[:8], ytr[:8])


def test_detector_save_load_and_inputs(small_detector, tone_data, tmp_path):
    det = small_detector
    (_, _), (Xte, _) = tone_data
    p = det.predict_proba(Xte[:3])
    loaded = seqtag.load(det.save(tmp_path / "det"))
    assert type(loaded) is TriggerWordDetector and loaded.get_params() == det.get_params()
    for a, b in zip(p, loaded.predict_proba(Xte[:3])):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(loaded.mean_, det.mean_)
    # log-mel arrays give what their waveforms give
    np.testing.assert_allclose(det.predict_proba([det.features(Xte[0])])[0], p[0], rtol=1e-5, atol=1e-6)
    # batching pads recordings at the end: a short one alone equals the same one next to a longer one
    short = Xte[1][: SR // 2]
    alone = det.predict_proba([short])[0]
    np.testing.assert_allclose(det.predict_proba([Xte[0], short])[1], alone, rtol=1e-5, atol=1e-6)
    assert det.predict([short])[0].tolist() == (alone > det.threshold).astype(int).tolist()
    assert all(isinstance(t, float) for d in det.detect(Xte) for t in d)
    from sklearn.base import clone

    assert clone(det).get_params() == det.get_params() and not hasattr(clone(det), "model_")


def test_detector_errors(small_detector, tone_data):
    (Xtr, ytr), _ = tone_data
    with pytest.raises(NotFittedError, match="not fitted yet"):
        TriggerWordDetector().detect(Xtr[:1])
    with pytest.raises(InputError, match="cell must be one of 'gru', 'lstm', got 'rnn'"):
        TriggerWordDetector(cell="rnn").fit(Xtr[:2], ytr[:2])
    with pytest.raises(InputError, match="normalize must be 'utterance' or 'global', got 'cmvn'"):
        TriggerWordDetector(normalize="cmvn").fit(Xtr[:2], ytr[:2])
    with pytest.raises(InputError, match=r"freq_mask must be an int in \[0, n_mels=40\], got 41"):
        TriggerWordDetector(freq_mask=41).fit(Xtr[:2], ytr[:2])
    with pytest.raises(InputError, match="stride=2 needs the conv front end"):
        TriggerWordDetector(conv_channels=None).fit(Xtr[:2], ytr[:2])
    with pytest.raises(InputError, match="one list of end times per recording: 2 recordings, got 1"):
        TriggerWordDetector().fit(Xtr[:2], ytr[:1])
    with pytest.raises(InputError, match=r"ends\[1\]\[0\] = 5.0 s is not a time inside the audio \[0, 1.2\]"):
        TriggerWordDetector().fit(Xtr[:2], [[], [5.0]])
    with pytest.raises(InputError, match=r"X\[0\] must be a waveform \(1-D\) or a \(frames, 40\) log-mel array"):
        small_detector.predict_proba([np.zeros((10, 13))])
    with pytest.raises(InputError, match="X must be a non-empty list of recordings"):
        small_detector.predict_proba(Xtr[0])


# ------------------------------------------------------------------------------------------ data
def test_synthetic_trigger_corpus_and_trigger_data(tmp_path):
    pytest.importorskip("espeakng_loader")
    from seqtag.trigger import synthetic_trigger_corpus, trigger_data

    texts = ["the cat sat on the mat", "a dog ran to the park", "we like tea and cake"]
    corpus = synthetic_trigger_corpus("test", 3, trigger="activate", share=1.0, texts=texts, cache_dir=tmp_path)
    data = trigger_data(corpus, "Activate")
    assert data.trigger == "activate" and data.n_triggers == 3 and data.sr == 16000
    for u, x, e in zip(corpus, data.audio, data.ends):
        assert "activate" in u.transcript.split() and u.speaker in seqtag.corpora.synthetic.VOICES["test"]
        assert e == [w.end for w in u.words if w.label == "activate"] and 0 < e[0] <= x.size / SR
    with pytest.raises(InputError, match="the trigger 'banana' occurs in none of the 3 utterances"):
        trigger_data(corpus, "banana")
    none = synthetic_trigger_corpus("test", 2, share=0.0, texts=texts, cache_dir=tmp_path)
    assert all("activate" not in u.transcript.split() for u in none)
