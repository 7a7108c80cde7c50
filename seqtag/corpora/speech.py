"""Speech corpora for forced alignment: utterances with (optional) reference boundaries.

An :class:`Utterance` points at an audio file and holds its transcript and, when
known, reference word and phone intervals in seconds
(:class:`seqtag.align.spans.Interval`). A :class:`SpeechCorpus` is a sequence of
them. :func:`load_speech_corpus` gives one entry point for

* ``"synthetic"``: sentences spoken by espeak-ng with exact boundaries
  (:mod:`seqtag.corpora.synthetic`);
* ``"fsdd-strings"``: digit strings built from the Free Spoken Digit Dataset
  (:mod:`seqtag.corpora.fsdd`);
* a folder of your own: ``x.wav`` + ``x.txt``/``x.lab`` (+ ``x.TextGrid``), see
  :func:`read_speech_folder`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..exceptions import InputError
from ..intervals import Interval

__all__ = [
    "Utterance",
    "SpeechCorpus",
    "read_speech_folder",
    "normalize_transcript",
    "AUDIO_EXTENSIONS",
    "cached_corpus",
]

#: Audio file extensions the folder reader looks for.
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg")
_WORD_TIER_NAMES = ("words", "word", "Word", "Words")
_PHONE_TIER_NAMES = ("phones", "phone", "Phone", "Phones", "phonemes")
_SILENCE_LABELS = frozenset({"", "sil", "sp", "spn", "<eps>", "SIL", "<sil>"})


def normalize_transcript(text: str) -> str:
    """Lower-case, unify apostrophes and collapse whitespace.

    Examples
    --------
    >>> normalize_transcript("  Don\u2019t   STOP ")
    "don't stop"
    """
    return " ".join(text.replace("\u2019", "'").replace("`", "'").lower().split())


@dataclass(frozen=True)
class Utterance:
    """One recording with its transcript and optional reference boundaries.

    Attributes
    ----------
    id : str
        Unique within its corpus.
    audio_path : str
        Path of the audio file.
    transcript : str
        Words separated by single spaces.
    words, phones : list of Interval or None
        Reference intervals in seconds (``None`` when unknown); silences are not included.
    speaker : str
    sr : int
        Sampling rate of the file in Hz.
    duration : float
        Seconds.
    """

    id: str
    audio_path: str
    transcript: str
    words: list[Interval] | None = None
    phones: list[Interval] | None = None
    speaker: str = ""
    sr: int = 16000
    duration: float = 0.0
    meta: dict = field(default_factory=dict, compare=False)

    @property
    def word_list(self) -> list[str]:
        """The transcript split into words."""
        return self.transcript.split()

    def load_audio(self, sr: int | None = 16000) -> tuple[np.ndarray, int]:
        """Read the audio as mono float32 (see :func:`seqtag.audio.load`)."""
        from ..audio import load

        return load(self.audio_path, sr=sr)


@dataclass(frozen=True, eq=False)
class SpeechCorpus(Sequence):
    """A sequence of :class:`Utterance` s of one corpus split.

    Examples
    --------
    >>> c = SpeechCorpus("toy", "train", [Utterance("u1", "u1.wav", "hi there", duration=1.5)])
    >>> len(c), c.total_seconds, c.speakers
    (1, 1.5, [''])
    """

    name: str
    split: str
    utterances: list[Utterance]

    def __len__(self) -> int:
        return len(self.utterances)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return SpeechCorpus(self.name, self.split, self.utterances[i])
        return self.utterances[i]

    def __iter__(self) -> Iterator[Utterance]:
        return iter(self.utterances)

    def __repr__(self) -> str:
        return (
            f"SpeechCorpus(name={self.name!r}, split={self.split!r}, utterances={len(self)}, "
            f"seconds={self.total_seconds:.1f}, speakers={len(self.speakers)})"
        )

    @property
    def total_seconds(self) -> float:
        """Total audio duration in seconds."""
        return float(sum(u.duration for u in self.utterances))

    @property
    def speakers(self) -> list[str]:
        """Sorted distinct speakers."""
        return sorted({u.speaker for u in self.utterances})

    @property
    def transcripts(self) -> list[str]:
        """The transcript of every utterance."""
        return [u.transcript for u in self.utterances]


def cached_utterance(folder: Path, uid: str, build) -> Utterance:
    """Load utterance ``uid`` from ``folder`` (``uid.wav`` + ``uid.json``), building it first if missing.

    ``build()`` returns ``(audio, sr, doc)`` with ``doc`` holding ``transcript``,
    ``speaker``, ``words`` (``[[label, start, end], ...]``), optional ``phones`` and
    ``meta``.  The wav is written under a temporary name and renamed after the JSON,
    so an interrupted run never leaves a wav without its labels.
    """
    import soundfile as sf

    wav, meta_file = folder / f"{uid}.wav", folder / f"{uid}.json"
    if not (wav.is_file() and meta_file.is_file()):
        audio, sr, doc = build()
        tmp = wav.with_suffix(".tmp.wav")
        sf.write(str(tmp), audio, sr, subtype="PCM_16")
        doc = {"id": uid, "sr": sr, "duration": audio.size / sr, **doc}
        meta_file.write_text(json.dumps(doc, indent=0))
        os.replace(tmp, wav)
    doc = json.loads(meta_file.read_text())
    phones = doc.get("phones")
    return Utterance(
        id=uid, audio_path=str(wav), transcript=doc["transcript"], words=[Interval(*w) for w in doc["words"]],
        phones=None if phones is None else [Interval(*p) for p in phones], speaker=doc["speaker"], sr=doc["sr"],
        duration=doc["duration"], meta=doc["meta"],
    )


def cached_corpus(name: str, split: str, folder: Path, n: int, prefix: str, build) -> SpeechCorpus:
    """``n`` utterances ``{prefix}-{split}-{i:05d}`` cached in ``folder``, made by ``build(i)`` when missing.

    ``build(i)`` returns what :func:`cached_utterance`'s ``build()`` does.
    """
    folder.mkdir(parents=True, exist_ok=True)
    utts = [cached_utterance(folder, f"{prefix}-{split}-{i:05d}", lambda i=i: build(i)) for i in range(int(n))]
    return SpeechCorpus(name, split, utts)


def _tier(tiers: dict, names: Sequence[str]) -> list[Interval] | None:
    for n in names:
        if n in tiers:
            return [iv for iv in tiers[n] if iv.label.strip() not in _SILENCE_LABELS]
    return None


def _find_audio(stem_dir: Path, stem: str) -> Path | None:
    for ext in AUDIO_EXTENSIONS:
        p = stem_dir / (stem + ext)
        if p.is_file():
            return p
    return None


def read_speech_folder(
    path: str | os.PathLike, name: str | None = None, split: str = "all", require_transcript: bool = False
) -> SpeechCorpus:
    """Read a folder of recordings with transcripts and optional reference TextGrids.

    Two layouts are understood:

    * **flat**: ``x.wav`` (or ``.flac``/``.ogg``) next to ``x.txt`` or ``x.lab`` and
      optionally ``x.TextGrid``;
    * **MFA-test style**: subfolders ``audio/``, ``lab/`` (or ``txt/``) and
      ``textgrid/`` holding files with the same stem.

    A recording without a transcript file takes the words of its TextGrid word tier
    (when the tier has more than one word, or when it has no other source).
    TextGrid word tiers are looked up as ``words``/``word``; phones as
    ``phones``/``phone``; silence labels (``""``, ``sil``, ``sp``, ``spn``) are
    dropped. A word tier whose labels differ from the transcript is kept as
    ``meta["textgrid_words"]`` but not used as ``words`` (the reference must
    match the transcript word for word).

    Parameters
    ----------
    path : str or path-like
        The folder.
    name, split : str
        Stored on the corpus (default name: the folder name).
    require_transcript : bool, default False
        Raise if a recording has neither a transcript file nor a word tier;
        otherwise such recordings are skipped.

    Returns
    -------
    SpeechCorpus
        Sorted by id (the file stem).

    Examples
    --------
    >>> corpus = read_speech_folder("my_recordings")  # doctest: +SKIP
    >>> corpus[0].transcript, corpus[0].words[:1]  # doctest: +SKIP
    """
    import soundfile as sf

    from ..intervals import read_textgrid

    root = Path(path)
    if not root.is_dir():
        raise InputError(f"speech folder not found: {str(root)!r} (expected a folder of audio + .txt/.lab files)")
    if (root / "audio").is_dir():
        audio_dir = root / "audio"
        text_dirs = [d for d in (root / "lab", root / "txt", root / "transcripts", audio_dir) if d.is_dir()]
        tg_dirs = [d for d in (root / "textgrid", root / "TextGrid", root / "textgrids", audio_dir) if d.is_dir()]
    else:
        audio_dir, text_dirs, tg_dirs = root, [root], [root]
    stems = sorted({p.stem for p in audio_dir.iterdir() if p.suffix.lower() in AUDIO_EXTENSIONS})
    if not stems:
        raise InputError(f"no audio files ({', '.join(AUDIO_EXTENSIONS)}) in {str(audio_dir)!r}")
    utts = []
    for stem in stems:
        audio = _find_audio(audio_dir, stem)
        text = None
        for d in text_dirs:
            for ext in (".lab", ".txt"):
                if (d / (stem + ext)).is_file():
                    text = normalize_transcript((d / (stem + ext)).read_text(encoding="utf-8"))
                    break
            if text is not None:
                break
        tiers = None
        for d in tg_dirs:
            tg = d / (stem + ".TextGrid")
            if tg.is_file():
                tiers = read_textgrid(tg)
                break
        words = phones = None
        meta: dict = {}
        if tiers is not None:
            words = _tier(tiers, _WORD_TIER_NAMES)
            phones = _tier(tiers, _PHONE_TIER_NAMES)
            if words is not None:
                words = [Interval(normalize_transcript(w.label), w.start, w.end, w.score) for w in words]
            if text is None and words:
                text = " ".join(w.label for w in words)
            if words is not None and text is not None and [w.label for w in words] != text.split():
                meta["textgrid_words"] = words
                words = None
            if words is None:
                phones = None  # phones without trusted words are not a reference either
        if text is None or not text:
            if require_transcript:
                raise InputError(f"{stem}: no transcript (.lab/.txt) and no TextGrid word tier next to {str(audio)!r}")
            continue
        info = sf.info(str(audio))
        utts.append(
            Utterance(
                id=stem,
                audio_path=str(audio),
                transcript=text,
                words=words,
                phones=phones,
                speaker=_speaker_of(stem),
                sr=int(info.samplerate),
                duration=float(info.frames / info.samplerate),
                meta=meta,
            )
        )
    return SpeechCorpus(name or root.name, split, utts)


def _speaker_of(stem: str) -> str:
    """LibriSpeech-like ``spk-chapter-utt`` stems give ``spk``; otherwise the stem itself."""
    m = re.match(r"^(\d+)-\d+-\d+$", stem)
    return m.group(1) if m else stem
