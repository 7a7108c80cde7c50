"""Dynamic programmes over chains of states: one home for every model that decodes a sequence.

- :mod:`~seqtag.chains.dense`: first-order chains with a dense ``(K, K)`` transition
  matrix -- forward, backward, posteriors, Viterbi, N-best, sampling, batched E-step
  counts (the HMM and CRF taggers, the CRF layer's CPU decoding, Baum-Welch);
- :mod:`~seqtag.chains.trigram`: second-order chains over tag pairs (the trigram HMM);
- :mod:`~seqtag.chains.banded`: left-to-right chains with bounded jumps (forced-alignment
  HMMs), O(T K W) forward-backward and Viterbi, and the windowed Viterbi of very long chains.

Every function takes log scores with ``-inf`` as a legal value. The CTC trellis and the
monotonic attention path live with the aligners (:mod:`seqtag.align.ctc`,
:mod:`seqtag.align.monotonic`). Names are imported lazily (no numba compilation at import).
"""

from __future__ import annotations

from .._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, globals(), """
    .dense: forward backward posteriors viterbi nbest_viterbi sample batch_forward batch_posteriors batch_viterbi batch_expected_counts batch_log_likelihood viterbi_padded
    .trigram: trigram_viterbi_batch trigram_posteriors_batch
    .banded: band_to_dense lr_posteriors lr_viterbi batch_band_viterbi batch_band_posteriors windowed_band_viterbi diagonal_windows
""")
