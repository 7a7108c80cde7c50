"""Trigger-word detection: frame labels, a recurrent frame tagger, detection metrics, data.

* :mod:`~seqtag.trigger.labels`: the 0/1 frame labels (a run of 1s right after each trigger);
* :mod:`~seqtag.trigger.detector`: :class:`TriggerWordDetector` (GRU or LSTM over log-mel);
* :mod:`~seqtag.trigger.metrics`: precision / recall / F1 of detection times;
* :mod:`~seqtag.trigger.dataset`: recordings and trigger end times from speech corpora.
"""

from __future__ import annotations

from .._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, globals(), """
    .labels: trigger_labels first_frame_after run_length
    .metrics: match_detections detection_scores
    .firing: fire_frames
    .detector: TriggerWordDetector
    .dataset: TriggerData trigger_data synthetic_trigger_corpus
""")
