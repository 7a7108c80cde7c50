"""Trigger-word data from speech corpora with word boundaries: recordings and the trigger's end times.

* :func:`trigger_data`: any :class:`~seqtag.corpora.speech.SpeechCorpus` whose utterances
  carry reference ``words`` (e.g. FSDD digit strings, ``load_fsdd_strings``, with one digit as
  the trigger: real speech, test speakers never heard in training);
* :func:`synthetic_trigger_corpus`: espeak-ng sentences (:mod:`seqtag.corpora.synthetic`)
  of which a share has the trigger word inserted at a random position; voices of the
  ``test`` split are never heard in ``train``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..exceptions import InputError

__all__ = ["TriggerData", "synthetic_trigger_corpus", "trigger_data"]


@dataclass(frozen=True)
class TriggerData:
    """Recordings with the end times of a trigger word, ready for ``TriggerWordDetector.fit``.

    Attributes
    ----------
    trigger : str
    audio : list of (n,) float32 arrays
        Waveforms at ``sr``.
    ends : list of list of float
        Per recording, the end (seconds) of every occurrence of ``trigger``.
    speakers, transcripts : list of str
    sr : int
    """

    trigger: str
    audio: list[np.ndarray]
    ends: list[list[float]]
    speakers: list[str]
    transcripts: list[str]
    sr: int

    @property
    def n_triggers(self) -> int:
        """Occurrences of the trigger over all recordings."""
        return sum(len(e) for e in self.ends)


def trigger_data(corpus, trigger: str, sr: int = 16000) -> TriggerData:
    """Waveforms and trigger end times of a speech corpus with reference words.

    Parameters
    ----------
    corpus : SpeechCorpus or sequence of Utterance
        Every utterance needs ``words`` (reference intervals).
    trigger : str
        The word to detect (compared with the lower-cased reference word labels).
    sr : int, default 16000
        Sampling rate to load the audio at.

    Returns
    -------
    TriggerData

    Raises
    ------
    InputError
        An utterance has no reference words, or the trigger never occurs.

    Examples
    --------
    >>> from seqtag.corpora.fsdd import load_fsdd_strings
    >>> data = trigger_data(load_fsdd_strings("test", n=20), "seven")  # doctest: +SKIP
    >>> data.n_triggers, data.ends[0]  # doctest: +SKIP
    """
    if not isinstance(trigger, str) or not trigger.strip():
        raise InputError(f"trigger must be a non-empty word, got {trigger!r}")
    word = trigger.strip().lower()
    audio, ends, speakers, texts = [], [], [], []
    for u in corpus:
        if not u.words:
            raise InputError(f"utterance {u.id!r} has no reference words; trigger end times come from word "
                             f"boundaries (use a corpus with words, e.g. synthetic or fsdd-strings)")
        x, _ = u.load_audio(sr)
        audio.append(x)
        ends.append([float(w.end) for w in u.words if w.label.lower() == word])
        speakers.append(u.speaker)
        texts.append(u.transcript)
    if not any(ends):
        raise InputError(f"the trigger {word!r} occurs in none of the {len(audio)} utterances; choose a word of "
                         f"their transcripts")
    return TriggerData(word, audio, ends, speakers, texts, sr)


def synthetic_trigger_corpus(
    split: str,
    n: int,
    trigger: str = "activate",
    share: float = 0.5,
    seed: int = 0,
    texts: Sequence[str] | None = None,
    voices: Sequence[str] | None = None,
    max_words: int = 8,
    cache_dir: str | os.PathLike | None = None,
):
    """espeak-ng speech of which about ``share`` of the utterances say ``trigger`` once.

    The sentences (UD EWT lines of the split, or ``texts``; 3 to ``max_words`` words)
    get ``trigger`` inserted at a random word position with probability ``share`` (sentence
    ``i`` depends only on ``seed`` and ``i``); :func:`seqtag.corpora.synthetic.generate_synthetic`
    speaks them with the split's voices and gives exact word boundaries.

    Parameters
    ----------
    split : {"train", "dev", "test"}
    n : int
        Utterances.
    trigger : str, default "activate"
        One word of letters.
    share : float, default 0.5
        Probability that a sentence gets the trigger.
    seed : int, default 0
    texts : list of str or None
        Sentences to use instead of UD EWT.
    voices : list of str or None
        espeak voices; default the split's.
    max_words : int, default 8
        Longest sentence taken from the pool (before the insertion).
    cache_dir : path or None
        Where the generated audio is cached (see ``generate_synthetic``).

    Returns
    -------
    SpeechCorpus

    Examples
    --------
    >>> test = synthetic_trigger_corpus("test", 40)  # doctest: +SKIP
    >>> trigger_data(test, "activate").n_triggers  # doctest: +SKIP
    """
    from ..corpora.synthetic import generate_synthetic, sentence_pool

    if not isinstance(trigger, str) or not trigger.isalpha():
        raise InputError(f"trigger must be one word of letters, got {trigger!r}")
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 1:
        raise InputError(f"share must be a probability in [0, 1], got {share!r}")
    word = trigger.lower()
    pool = [s for s in sentence_pool(split, texts, max_words=max_words) if word not in s.split()]
    rng = np.random.default_rng([seed, 7919])
    out = []
    for s in pool:
        toks = s.split()
        if rng.random() < share:
            toks.insert(int(rng.integers(len(toks) + 1)), word)
        out.append(" ".join(toks))
    return generate_synthetic(n, split=split, seed=seed, cache_dir=cache_dir, texts=out, voices=voices)
