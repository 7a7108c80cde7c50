"""Audio input and acoustic features for forced alignment."""

from __future__ import annotations

from .features import cmvn, deltas, log_mel, mel_filterbank, mfcc, n_frames
from .io import load, resample

__all__ = ["load", "resample", "log_mel", "mfcc", "deltas", "cmvn", "mel_filterbank", "n_frames"]
