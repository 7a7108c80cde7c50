"""Masked (causal) self-attention in the transformer tagger: a tag never depends on the words after it."""

from __future__ import annotations

import numpy as np
import pytest

from seqtag import TransformerTagger, load
from seqtag.exceptions import InputError

X = [["the", "dog", "runs", "fast", "today"], ["a", "cat", "sleeps", "here", "now"]] * 4
Y = [["DT", "NN", "VBZ", "RB", "NN"]] * 8


def _tagger(causal: bool) -> TransformerTagger:
    return TransformerTagger(d_model=16, nhead=2, num_layers=2, dim_feedforward=32, word_dim=16, char_hidden=8,
                             head="softmax", causal=causal, max_epochs=3, batch_size=4, lr=0.01,
                             validation_fraction=0, random_state=0, verbose=False).fit(X, Y)


@pytest.mark.parametrize("causal", [True, False])
def test_tags_of_a_prefix_do_not_see_the_words_after_it(causal):
    tagger = _tagger(causal)
    a = ["the", "dog", "runs", "fast", "today"]
    b = ["the", "dog", "runs", "slowly", "cats", "sleep"]  # same first three words, then others
    pa, pb = ([[row[t] for t in tagger.tags_] for row in sent] for sent in tagger.predict_marginals([a, b]))
    pa, pb = np.asarray(pa), np.asarray(pb)
    same = np.allclose(pa[:3], pb[:3], atol=1e-6)
    assert same == causal  # bidirectional attention sees the future words: the prefix marginals move
    assert not np.allclose(pa[3], pb[3], atol=1e-6)


def test_causal_is_saved_and_checked(tmp_path):
    tagger = _tagger(True)
    back = load(tagger.save(tmp_path / "m"))
    assert back.causal is True and back.predict(X[:2]) == tagger.predict(X[:2])
    with pytest.raises(InputError, match="causal must be True or False, got 'yes'"):
        TransformerTagger(causal="yes").fit(X, Y)
