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
    "bilstm": _make("seqtag.neural.bilstm", "BiLSTMTagger", max_epochs=15, word_dim=16, char_dim=8, char_hidden=8,
                    hidden_size=16, dropout=0.1, batch_size=8, lr=0.02, random_state=0, verbose=False),
    "transformer": _make("seqtag.neural.transformer", "TransformerTagger", max_epochs=15, d_model=32, nhead=4,
                         num_layers=1, dim_feedforward=64, word_dim=16, char_dim=8, char_hidden=8, dropout=0.1,
                         batch_size=8, lr=0.01, random_state=0, verbose=False),
}
