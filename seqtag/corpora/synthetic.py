"""Synthetic speech with exact word and phone boundaries, spoken by espeak-ng.

espeak-ng (through the ``espeakng-loader`` wheel, which ships ``libespeak-ng``
and its data) is driven with ctypes in ``AUDIO_OUTPUT_SYNCHRONOUS`` mode. Its
synth callback receives the samples and an event list; the events used are

* ``espeakEVENT_WORD`` (1): ``text_position`` (1-based character offset of the
  word in the text) and ``sample`` (output sample index where the word's
  processing starts, *before* any pre-pause);
* ``espeakEVENT_PHONEME`` (7): ``id.string`` (espeak phoneme mnemonic) and
  ``sample`` (where the phoneme's sound starts, after its pre-pause);
  mnemonics starting with ``_`` are pauses;
* ``espeakEVENT_END`` (5) / ``espeakEVENT_MSG_TERMINATED`` (6): end of clause / message.

``audio_position`` is the same instant in whole milliseconds; we use ``sample``
(exact, at espeak's 22,050 Hz).

**Boundary rule.** A phone spans from its PHONEME event to the next PHONEME,
WORD or END event. A word spans from the start of its first phone to the end of
its last phone. espeak's pre-pauses (stop closures and word gaps, emitted between
a WORD event and the word's first PHONEME event) are digital silence, so they
fall *between* words; a word therefore ends where the silence or the next word
begins and the end of the last word is the end of voiced audio (the final
``_:`` pause). Known imprecision: espeak delays the PHONEME event of a vowel that
follows a liquid or nasal until after the vowel onset, so such phone boundaries
are a few ms late (word boundaries are unaffected unless a word starts with such
a vowel).

**Voices are split so test voices are never heard in training**: each voice is
an accent (espeak language) plus a variant, and accents *and* variants are
disjoint across splits (see :data:`VOICES`). Sentences come from disjoint
sources too (UD EWT train/dev/test ``# text`` lines, or your own ``texts``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..audio.espeak import EV_END, EV_MSG_TERMINATED, EV_PHONEME, EV_WORD, Espeak
from ..intervals import Interval
from ..exceptions import CorpusNotFoundError, InputError
from ._base import data_home
from .speech import SpeechCorpus, cached_corpus, normalize_transcript

__all__ = ["VOICES", "synthesize", "generate_synthetic", "load_synthetic", "sentence_pool", "clean_sentence"]

#: split -> espeak voices ``language+variant``; accents and variants are disjoint across splits.
VOICES: dict[str, tuple[str, ...]] = {
    "train": (
        "en-us+m1", "en-us+f1", "en-us+m3", "en+m2", "en+f2", "en+m4",
        "en-gb-x-rp+f3", "en-gb-x-rp+m1", "en-gb-scotland+m3", "en-gb-scotland+f1",
    ),
    "dev": ("en-029+m5", "en-029+f4"),
    "test": ("en-us-nyc+m7", "en-us-nyc+f5", "en-gb-x-gbclan+m6", "en-gb-x-gbcwmd+f5"),
}
#: Speaking rates (words per minute) and base pitches (0-100) drawn per utterance.
RATE_RANGE = (140, 210)
PITCH_RANGE = (30, 70)
_SPLIT_CODE = {"train": 0, "dev": 1, "test": 2}
_GEN_VERSION = 2  # bump when the generation recipe changes (invalidates caches)
_WORD_RE = re.compile(r"^[a-z]+(?:'[a-z]+)?$")
_EDGE_PUNCT = ".,;:!?\"()[]{}-"

def synthesize(
    text: str, voice: str = "en-us", rate: int = 175, pitch: int = 50, rand_seed: int = 0
) -> tuple[np.ndarray, int, list[Interval], list[Interval]]:
    """Speak ``text`` with espeak-ng and return audio with exact word and phone intervals.

    Parameters
    ----------
    text : str
        Words of letters and apostrophes separated by spaces (see :func:`clean_sentence`).
    voice : str, default "en-us"
        espeak voice name, optionally with a variant (``"en-gb-x-rp+f3"``).
    rate : int, default 175
        Words per minute (80-450).
    pitch : int, default 50
        Base pitch 0-100.
    rand_seed : int, default 0
        Seed of espeak-ng's internal random generator (``espeak_ng_SetRandSeed``);
        the same arguments give the same samples.

    Returns
    -------
    audio : (n,) float32 array
        At espeak's own rate, cut at the end of voiced audio.
    sr : int
        22050 for the bundled voices.
    words, phones : list of Interval
        Seconds; phones carry espeak mnemonics (pauses dropped). See the module
        docstring for the boundary rule.

    Raises
    ------
    InputError
        If espeak does not report exactly one WORD event at each word of ``text``.

    Examples
    --------
    >>> audio, sr, words, phones = synthesize("the cat sat")
    >>> [w.label for w in words], sr
    (['the', 'cat', 'sat'], 22050)
    """
    words_in = text.split()
    if not words_in:
        raise InputError("cannot synthesize an empty text")
    text = " ".join(words_in)
    starts, pos = [], 0
    for w in words_in:
        starts.append(pos + 1)  # espeak's text_position is 1-based
        pos += len(w) + 1
    eng = Espeak.get()
    audio, events, counts = eng.speak(text, voice, rate, pitch, rand_seed)
    sr = eng.sr
    boundaries = sorted({s for t, _, s, _ in events if t in (EV_WORD, EV_END, EV_MSG_TERMINATED, EV_PHONEME)})
    # espeak merges some word pairs ("on the", "of the") into one WORD event: group the
    # phonemes by WORD event, then split merged groups by espeak's own per-word G2P counts.
    group_first: list[int] = []
    group_phones: list[list[tuple[str, int]]] = []
    for t, tpos, sample, label in events:
        if t == EV_WORD:
            if tpos not in starts:
                raise InputError(f"espeak reported a word at character {tpos} of {text!r}, which is no word start")
            group_first.append(starts.index(tpos))
            group_phones.append([])
        elif t == EV_PHONEME and label and not label.startswith("_") and group_phones:
            group_phones[-1].append((label, sample))
    if not group_first or group_first[0] != 0 or group_first != sorted(set(group_first)):
        raise InputError(f"espeak's word events {group_first} do not follow the words of {text!r}")
    phone_spans: list[list[tuple[str, int]]] = []
    for g, first in enumerate(group_first):
        last = group_first[g + 1] if g + 1 < len(group_first) else len(words_in)
        plist = group_phones[g]
        need = counts[first:last]
        if last - first == 1:
            phone_spans.append(plist)
            continue
        if sum(need) != len(plist) or min(need) < 1:
            raise InputError(f"cannot split espeak's merged words {words_in[first:last]} of {text!r} into phones")
        k = 0
        for c in need:
            phone_spans.append(plist[k : k + c])
            k += c
    if len(phone_spans) != len(words_in) or any(not p for p in phone_spans):
        raise InputError(f"espeak gave no phonemes for some word of {text!r}")
    end_of_voice = 0
    bounds = np.array(boundaries, dtype=np.int64)
    words, phones = [], []
    for w, plist in zip(words_in, phone_spans):
        w_phones = []
        for label, s in plist:
            nxt = bounds[bounds > s]
            e = int(nxt[0]) if nxt.size else audio.size
            w_phones.append(Interval(label, s / sr, e / sr))
            end_of_voice = max(end_of_voice, e)
        phones += w_phones
        words.append(Interval(w, w_phones[0].start, w_phones[-1].end))
    return audio[:end_of_voice].copy(), sr, words, phones


def clean_sentence(text: str, min_words: int = 3, max_words: int = 12) -> str | None:
    """Normalise a sentence to lower-case words of letters/apostrophes, or ``None`` if it has other tokens.

    Edge punctuation is stripped; a token with digits or inner symbols rejects the sentence.

    Examples
    --------
    >>> clean_sentence("Don't stop, Mr. Smith!")
    "don't stop mr smith"
    >>> clean_sentence("Call 911 now") is None
    True
    """
    out = []
    for tok in normalize_transcript(text).split():
        tok = tok.strip(_EDGE_PUNCT)
        if not tok:
            continue
        if not _WORD_RE.match(tok):
            return None
        out.append(tok)
    return " ".join(out) if min_words <= len(out) <= max_words else None


def sentence_pool(split: str, texts: Sequence[str] | None = None, min_words: int = 3, max_words: int = 12) -> list[str]:
    """Distinct clean sentences for a split: ``texts`` if given, else UD EWT ``# text`` lines of that split.

    Raises
    ------
    CorpusNotFoundError
        No ``texts`` and UD EWT is not found (``SEQTAG_DATA``).
    """
    if texts is None:
        from .ud import UD_EWT_FILES, ud_ewt_roots

        fname = UD_EWT_FILES[split][0]
        roots = ud_ewt_roots()
        path = next((r / fname for r in roots if (r / fname).is_file()), None)
        if path is None:
            raise CorpusNotFoundError(
                f"synthetic speech takes its sentences from UD EWT ({fname}), not found in "
                f"{[str(r) for r in roots]}; set SEQTAG_DATA to the folder holding ud_english_ewt/, "
                f"or pass texts=[...]"
            )
        with open(path, encoding="utf-8") as fh:
            texts = [ln[len("# text = "):] for ln in fh if ln.startswith("# text = ")]
    pool = sorted({s for s in (clean_sentence(t, min_words, max_words) for t in texts) if s})
    if not pool:
        raise InputError(f"no usable sentence ({min_words}-{max_words} words of letters/apostrophes) in the texts")
    return pool


def _add_noise(audio: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    p_signal = float(np.mean(audio.astype(np.float64) ** 2)) or 1e-12
    noise = rng.normal(0.0, np.sqrt(p_signal / 10 ** (snr_db / 10)), size=audio.size)
    return (audio + noise).astype(np.float32)


def _one(i: int, split: str, pool: list[str], voices: Sequence[str], seed: int, snr_db, sr: int):
    from ..audio import resample

    rng = np.random.default_rng([seed, _SPLIT_CODE.get(split, 3), i])
    voice = voices[int(rng.integers(len(voices)))]
    rate = int(rng.integers(RATE_RANGE[0], RATE_RANGE[1] + 1))
    pitch = int(rng.integers(PITCH_RANGE[0], PITCH_RANGE[1] + 1))
    lead, tail = rng.uniform(0.05, 0.4), rng.uniform(0.1, 0.4)
    order = rng.permutation(len(pool))
    for j in order[:20]:  # a rare sentence espeak splits differently is skipped deterministically
        try:
            audio, native, words, phones = synthesize(pool[j], voice, rate, pitch, rand_seed=int(j) + 1000 * i)
            break
        except InputError:
            continue
    else:
        raise InputError(f"espeak could not speak any of 20 sentences for utterance {i}")
    audio = resample(audio, native, sr)
    pad_l, pad_r = int(round(lead * sr)), int(round(tail * sr))
    audio = np.concatenate([np.zeros(pad_l, np.float32), audio, np.zeros(pad_r, np.float32)])
    if snr_db is not None:
        snr = float(rng.uniform(*snr_db)) if isinstance(snr_db, (tuple, list)) else float(snr_db)
        audio = _add_noise(audio, snr, rng)
    peak = float(np.abs(audio).max()) or 1.0
    audio = (audio * min(1.0, 0.95 / peak)).astype(np.float32)

    def shift(ivs):
        return [Interval(v.label, round(v.start + pad_l / sr, 6), round(v.end + pad_l / sr, 6)) for v in ivs]

    meta = {"voice": voice, "rate": rate, "pitch": pitch, "snr_db": None if snr_db is None else snr}
    return audio, pool[j], shift(words), shift(phones), meta


def _config_key(split, seed, voices, pool, snr_db, sr) -> str:
    h = hashlib.sha256()
    h.update(json.dumps([_GEN_VERSION, split, seed, list(voices), snr_db, sr], sort_keys=True).encode())
    h.update("\n".join(pool).encode())
    return h.hexdigest()[:12]


def _iv_json(ivs):
    return [[v.label, v.start, v.end] for v in ivs]


def generate_synthetic(
    n: int,
    split: str = "train",
    seed: int = 0,
    cache_dir: str | os.PathLike | None = None,
    texts: Sequence[str] | None = None,
    voices: Sequence[str] | None = None,
    snr_db: float | tuple[float, float] | None = None,
    sr: int = 16000,
) -> SpeechCorpus:
    """Generate (or reuse from the cache) ``n`` synthetic utterances of a split.

    Utterance ``i`` depends only on ``(seed, split, i)`` and the configuration, so
    asking for more utterances later reuses the cached ones. Each has a voice
    from ``voices`` (default :data:`VOICES` ``[split]``), a rate in
    :data:`RATE_RANGE`, a pitch in :data:`PITCH_RANGE`, 50-400 ms of leading and
    100-400 ms of trailing silence, and optional white noise.

    Parameters
    ----------
    n : int
        Number of utterances.
    split : {"train", "dev", "test"}
    seed : int, default 0
    cache_dir : path or None
        Default ``data_home() / "synthetic"``; files go to ``<cache_dir>/<split>-<config hash>/``
        as ``<id>.wav`` (16-bit PCM) + ``<id>.json``.
    texts : list of str or None
        Sentences to speak; default UD EWT sentences of the same split (3-12 words).
    voices : list of str or None
        espeak voices; default the split's voices.
    snr_db : float, (low, high) or None
        Additive white noise at this SNR (or uniform in the range); ``None``: clean.
    sr : int, default 16000
        Output sampling rate.

    Returns
    -------
    SpeechCorpus
        Named ``"synthetic"``; every utterance has ``words`` and ``phones``.

    Examples
    --------
    >>> c = generate_synthetic(2, "test", texts=["the cat sat on the mat"], cache_dir="/tmp/syn")  # doctest: +SKIP
    >>> c[0].words[1].label  # doctest: +SKIP
    'cat'
    """
    if split not in VOICES and voices is None:
        raise InputError(f"unknown split {split!r}; valid splits: {', '.join(VOICES)} (or pass voices=...)")
    if not isinstance(n, (int, np.integer)) or n < 0:
        raise InputError(f"n must be a non-negative int, got {n!r}")
    voices = tuple(VOICES[split] if voices is None else voices)
    if not voices:
        raise InputError("voices must not be empty")
    pool = sentence_pool(split, texts)
    base = Path(cache_dir) if cache_dir is not None else data_home() / "synthetic"
    folder = base / f"{split}-{_config_key(split, seed, voices, pool, snr_db, sr)}"

    def build(i):
        audio, text, words, phones, meta = _one(i, split, pool, voices, seed, snr_db, sr)
        doc = {"transcript": text, "speaker": meta["voice"], "words": _iv_json(words),
               "phones": _iv_json(phones), "meta": meta}
        return audio, sr, doc

    return cached_corpus("synthetic", split, folder, n, "syn", build)


def load_synthetic(split: str = "train", n: int = 200, **options) -> SpeechCorpus:
    """:func:`generate_synthetic` with ``n=200`` by default (``load_speech_corpus("synthetic")``)."""
    return generate_synthetic(n, split=split, **options)
