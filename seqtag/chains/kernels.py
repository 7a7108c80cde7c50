"""The numba building blocks of the chain dynamic programmes that other numba kernels call.

Kernels of other packages (the CRF tagger's training objective, the GMM aligner's
mixtures) call these from inside their own ``@njit`` code, so they are public here
rather than copied: one log-sum-exp, and the forward-backward of one sequence (scaled
probability space with a log-space fallback) of :mod:`seqtag.chains._dense`. Arrays in,
arrays out; conventions as in that module.
"""

from __future__ import annotations

from ._dense import _log_space_stats as log_space_stats
from ._dense import _lse_row as logsumexp
from ._dense import _scaled_seq as scaled_seq

__all__ = ["logsumexp", "scaled_seq", "log_space_stats"]
