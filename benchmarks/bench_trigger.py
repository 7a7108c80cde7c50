"""Trigger-word detection: train on some speakers / voices, detect on unseen ones; GRU, LSTM and an anchor.

Usage::

    SEQTAG_DATA=... NLTK_DATA=... python benchmarks/bench_trigger.py            # full run
    SEQTAG_DATA=... NLTK_DATA=... python benchmarks/bench_trigger.py --quick    # smoke run

Corpora (``--corpora``):

* ``fsdd-strings``: real connected digits (:func:`seqtag.corpora.fsdd.load_fsdd_strings`), trigger
  ``seven``; train on 4 speakers, test on the 2 speakers never heard in training;
* ``synthetic``: espeak-ng sentences of which half say ``activate`` once at a random position
  (:func:`seqtag.trigger.synthetic_trigger_corpus`); train voices -> the 4 unseen test voices.

Models, all with the same labels (1s for ``--ones`` seconds after each trigger end, at 20 ms
output frames), the same firing rule (:func:`seqtag.trigger.fire_frames`: above ``--threshold``
for 60 ms, then ``--ones`` seconds refractory) and the same features (40 log-mel, each
recording's mean removed, scaled with the training mean/std):

* ``logreg`` (anchor): scikit-learn ``LogisticRegression`` on each output frame's causal context
  (the log-mel frames 0, 50, ..., 500 ms back, stacked);
* ``gru`` / ``lstm``: :class:`seqtag.trigger.TriggerWordDetector` (its defaults: causal conv front end,
  unidirectional recurrent layer, per-recording mean removal, frequency masks), one torch thread.

Scores: precision / recall / F1 of detections (:func:`seqtag.trigger.detection_scores`; a hit
lies within [end - 0.1 s, end + ``--ones``]), train and detection wall time.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine_info, markdown_table

from seqtag.trigger import (
    TriggerWordDetector,
    detection_scores,
    fire_frames,
    synthetic_trigger_corpus,
    trigger_data,
    trigger_labels,
)

TRIGGERS = {"fsdd-strings": "seven", "synthetic": "activate"}
BEFORE = 0.1
CONTEXT = tuple(range(0, 51, 5))  # log-mel frames back (10 ms each) stacked by the anchor


def load(corpus: str, args):
    opts = {} if args.cache_dir is None else {"cache_dir": Path(args.cache_dir) / f"trigger-{corpus}"}
    if corpus == "fsdd-strings":
        from seqtag.corpora.fsdd import load_fsdd_strings

        train = load_fsdd_strings("train", n=args.n_train, seed=args.seed, **opts)
        test = load_fsdd_strings("test", n=args.n_test, seed=args.seed, **opts)
    else:
        train = synthetic_trigger_corpus("train", args.n_train, seed=args.seed, **opts)
        test = synthetic_trigger_corpus("test", args.n_test, seed=args.seed, **opts)
    trigger = TRIGGERS[corpus]
    return trigger_data(train, trigger), trigger_data(test, trigger)


class LogRegAnchor:
    """Frame-wise logistic regression on stacked causal log-mel context, same labels and firing rule."""

    def __init__(self, det: TriggerWordDetector):
        self.det = det  # only for its feature settings, frame shift and firing parameters

    def _frames(self, feats: np.ndarray) -> np.ndarray:
        z = (feats - feats.mean(0) - self.mean) / self.std  # (frames, n_mels), as the detector's "utterance"
        idx = np.arange(0, len(z), self.det.stride)  # input frame of each output frame
        cols = [z[np.maximum(idx - k, 0)] for k in CONTEXT]
        return np.concatenate(cols, axis=1)  # (out frames, n_mels * len(CONTEXT))

    def fit(self, audio, ends):
        from sklearn.linear_model import LogisticRegression

        feats = [self.det.features(x) for x in audio]
        allf = np.concatenate([f - f.mean(0) for f in feats])
        self.mean, self.std = allf.mean(0), np.maximum(allf.std(0), 1e-3)
        X = [self._frames(f) for f in feats]
        y = [trigger_labels(len(x), e, self.det.frame_shift, ones_seconds=self.det.ones_seconds)
             for x, e in zip(X, ends)]
        self.clf = LogisticRegression(max_iter=300, C=1.0).fit(np.concatenate(X), np.concatenate(y))
        return self

    def detect(self, audio):
        det = self.det
        min_frames = max(1, round(det.min_duration / det.frame_shift))
        ones = max(1, round(det.ones_seconds / det.frame_shift))
        out = []
        for x in audio:
            p = self.clf.predict_proba(self._frames(det.features(x)))[:, 1]
            out.append([float(f) * det.frame_shift for f in fire_frames(p, det.threshold, min_frames, ones)])
        return out


def run(corpus: str, args) -> list[dict]:
    t0 = time.perf_counter()
    train, test = load(corpus, args)
    print(f"{corpus}: trigger {train.trigger!r}; train {len(train.audio)} utts ({train.n_triggers} triggers, "
          f"{len(set(train.speakers))} speakers/voices), test {len(test.audio)} utts ({test.n_triggers} triggers, "
          f"{len(set(test.speakers))} unseen); data ready in {time.perf_counter() - t0:.1f} s", flush=True)
    common = {"ones_seconds": args.ones, "threshold": args.threshold}
    rows = []
    for name in ("logreg", "gru", "lstm"):
        det = TriggerWordDetector(cell="gru" if name == "logreg" else name, hidden=args.hidden, epochs=args.epochs,
                                  random_state=args.seed, verbose=args.progress, **common)
        model = LogRegAnchor(det) if name == "logreg" else det
        t0 = time.perf_counter()
        model.fit(train.audio, train.ends)
        fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        found = model.detect(test.audio)
        detect_s = time.perf_counter() - t0
        s = detection_scores(found, test.ends, after=args.ones, before=BEFORE)
        s_train = detection_scores(model.detect(train.audio), train.ends, after=args.ones, before=BEFORE)
        per = {}
        for spk in sorted(set(test.speakers)):
            idx = [i for i, v in enumerate(test.speakers) if v == spk]
            r = detection_scores([found[i] for i in idx], [test.ends[i] for i in idx], after=args.ones, before=BEFORE)
            per[spk] = f"{r['recall']:.2f}"
        print(f"{corpus} {name}: recall per test speaker/voice {per}", flush=True)
        rows.append({"corpus": corpus, "model": name, "precision": round(s["precision"], 3),
                     "recall": round(s["recall"], 3), "f1": round(s["f1"], 3), "tp": s["tp"], "fp": s["fp"],
                     "fn": s["fn"], "worst_recall": min(per.values()), "train_f1": round(s_train["f1"], 3), "fit_s": round(fit_s, 1),
                     "detect_s": round(detect_s, 2)})
        print(rows[-1], flush=True)
    return rows


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="tiny smoke run")
    p.add_argument("--corpora", default="fsdd-strings,synthetic")
    p.add_argument("--n-train", type=int, default=300)
    p.add_argument("--n-test", type=int, default=100)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--ones", type=float, default=0.5, help="seconds of 1s after each trigger end")
    p.add_argument("--threshold", type=float, default=0.5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--cache-dir", default=None)
    p.add_argument("--progress", action="store_true")
    p.add_argument("--json", default=None, help="also write the rows as JSON here")
    args = p.parse_args(argv)
    if args.quick:
        args.n_train, args.n_test, args.epochs = 40, 20, 2
    print(machine_info(), flush=True)
    rows = []
    t0 = time.perf_counter()
    for corpus in args.corpora.split(","):
        rows += run(corpus, args)
    print(f"\ntotal {time.perf_counter() - t0:.0f} s\n")
    print(markdown_table(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
