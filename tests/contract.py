"""The registry of taggers that go through the shared contract test.

Every tagger joins with one line: a name and a factory that builds a *small,
fast* instance (tests must stay quick).  Modules that are not built yet are
skipped by the contract test, never silently passed.
"""

from __future__ import annotations

import importlib


def _make(module: str, cls: str, **params):
    def factory():
        return getattr(importlib.import_module(module), cls)(**params)

    factory.module = module
    return factory


CONTRACT_TAGGERS = {
    "baseline": _make("seqtag.baseline", "BaselineTagger"),
    "hmm1": _make("seqtag.hmm.tagger", "HMMTagger", order=1),
    "hmm2": _make("seqtag.hmm.tagger", "HMMTagger", order=2),
    "hmm2-viterbi": _make("seqtag.hmm.tagger", "HMMTagger", order=2, decode="viterbi"),
    "crf": _make("seqtag.crf.tagger", "CRFTagger", max_iter=30),
}
