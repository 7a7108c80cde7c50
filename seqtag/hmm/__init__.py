"""Hidden Markov models: the supervised HMMTagger and the unsupervised CategoricalHMM.

The dynamic programmes they run (forward, backward, Viterbi, N-best, sampling) are in
:mod:`seqtag.chains`. Names are imported lazily so that ``import seqtag.hmm`` does not
compile numba kernels.
"""

from __future__ import annotations

from .._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, globals(), """
    .unsupervised: CategoricalHMM
    .tagger: HMMTagger
""")
