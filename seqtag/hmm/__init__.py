"""Hidden Markov models: generic chain DP kernels, unsupervised CategoricalHMM, HMMTagger.

Names are imported lazily so that ``import seqtag.hmm`` does not compile numba kernels.
"""

from __future__ import annotations

from .._lazy import lazy_exports

# public name -> module that defines it
_LAZY = {
    "forward": "seqtag.hmm.kernels",
    "backward": "seqtag.hmm.kernels",
    "posteriors": "seqtag.hmm.kernels",
    "viterbi": "seqtag.hmm.kernels",
    "nbest_viterbi": "seqtag.hmm.kernels",
    "sample": "seqtag.hmm.kernels",
    "batch_forward": "seqtag.hmm.kernels",
    "batch_posteriors": "seqtag.hmm.kernels",
    "batch_viterbi": "seqtag.hmm.kernels",
    "batch_expected_counts": "seqtag.hmm.kernels",
    "batch_log_likelihood": "seqtag.hmm.kernels",
    "CategoricalHMM": "seqtag.hmm.unsupervised",
    # supervised tagger (seqtag/hmm/tagger.py, written separately)
    "HMMTagger": "seqtag.hmm.tagger",
}

__all__ = list(_LAZY)


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
