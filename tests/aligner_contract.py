"""The registry of aligners that go through the shared aligner contract test.

Every aligner joins with one line: a name and a factory that builds a *small, fast*
instance. Aligners whose optional dependency is missing (PocketSphinx's model for the
English aligner) are skipped by the contract test, never silently passed.
"""

from __future__ import annotations

import importlib

TINY_CTC = {"hidden": 16, "channels": 16, "layers": 1}
TINY_ATTENTION = {"hidden": 16, "channels": 16, "layers": 1, "dec_hidden": 32, "att_dim": 32, "embed": 16}


def _make(module: str, cls: str, **params):
    def factory():
        return getattr(importlib.import_module(module), cls)(**params)

    factory.module = module
    return factory


CONTRACT_ALIGNERS = {
    "hmm": _make("seqtag.align.aligners.hmm_gmm", "HMMAligner", max_components=1, viterbi_iter=2, em_iter=1),
    "ctc": _make("seqtag.align.aligners.ctc", "CTCAligner", model_params=TINY_CTC, epochs=2, batch_size=3),
    "attention": _make("seqtag.align.aligners.attention", "AttentionAligner", model_params=TINY_ATTENTION,
                       ctc_warmup=1, epochs=1, batch_size=3),
    "english": _make("seqtag.align.aligners.english", "EnglishAligner", adapt_iter=1),
}
