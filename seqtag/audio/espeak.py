"""The espeak-ng library (from the ``espeakng-loader`` wheel) through ctypes: speech and phonemes.

One process-wide instance (:meth:`Espeak.get`) serves both the synthetic speech corpus
(:mod:`seqtag.corpora.synthetic`) and the grapheme-to-phoneme fallback of the aligners'
lexicon (:mod:`seqtag.align.lexicon`).
"""

from __future__ import annotations

import ctypes
import json
import os
import threading
from pathlib import Path

import numpy as np

from .._fork import in_forked_child
from ..exceptions import InputError

__all__ = ["Espeak", "EV_WORD", "EV_END", "EV_MSG_TERMINATED", "EV_PHONEME"]

# espeak constants (speak_lib.h)
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INIT_PHONEME_EVENTS = 0x0001
_CHARS_UTF8 = 1
_POS_CHARACTER = 1
#: Event types of espeak-ng's synthesis callback.
EV_WORD, EV_END, EV_MSG_TERMINATED, EV_PHONEME = 1, 5, 6, 7
_RATE, _PITCH = 1, 3


class _EventID(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventID),
    ]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


class Espeak:
    """The process-wide espeak-ng library (it has global state: one lock for all calls)."""

    _instance = None
    _lock = threading.Lock()

    def __init__(self):
        try:
            import espeakng_loader
        except ImportError as exc:  # pragma: no cover - declared dependency of the audio extra
            raise InputError("synthetic speech needs the `espeakng-loader` package: pip install espeakng-loader") from exc
        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
        lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [
            ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
            ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
        ]
        data_parent = str(Path(espeakng_loader.get_data_path()).parent).encode()
        self.sr = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data_parent, _INIT_PHONEME_EVENTS)
        if self.sr <= 0:
            raise InputError("espeak-ng failed to initialise (espeak_Initialize returned an error)")
        self._chunks: list[np.ndarray] = []
        self._events: list[tuple] = []
        self._cb = _CALLBACK(self._collect)  # keep a reference: ctypes callbacks must outlive their use
        lib.espeak_SetSynthCallback(self._cb)
        self.lib = lib

    @classmethod
    def get(cls) -> Espeak:
        """The process-wide instance (initialised on first use)."""
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance

    def _collect(self, wav, n, events) -> int:
        if wav and n > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        i = 0
        while events[i].type != 0:
            e = events[i]
            label = e.id.string.decode("utf-8", "replace") if e.type == EV_PHONEME else ""
            self._events.append((int(e.type), int(e.text_position), int(e.sample), label))
            i += 1
        return 0

    def _phone_counts(self, words: list[str]) -> list[int]:
        """Phonemes per word from espeak's own G2P (``espeak_TextToPhonemes``, ``|``-separated)."""
        out = []
        for w in words:
            ptr = ctypes.c_char_p(w.encode("utf-8"))
            res = self.lib.espeak_TextToPhonemes(ctypes.byref(ptr), _CHARS_UTF8, ord("|") << 8) or b""
            out.append(len([p for p in res.decode("utf-8", "replace").replace(" ", "|").split("|") if p.strip()]))
        return out

    def _speak_here(self, text: str, voice: str, rate: int, pitch: int, rand_seed: int):
        if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise InputError(f"espeak-ng has no voice {voice!r} (use a language like 'en-us' plus an optional '+m3')")
        self.lib.espeak_SetParameter(_RATE, int(rate), 0)
        self.lib.espeak_SetParameter(_PITCH, int(pitch), 0)
        self.lib.espeak_ng_SetRandSeed(int(rand_seed))  # its RNG is clock-seeded at start-up
        self._chunks, self._events = [], []
        data = text.encode("utf-8")
        self.lib.espeak_Synth(data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
        self.lib.espeak_Synchronize()
        chunks, events = self._chunks, self._events
        self._chunks, self._events = [], []
        counts = self._phone_counts(text.split())
        audio = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)
        return audio.astype(np.int16), events, counts

    def _speak_forked(self, *args):
        """Synthesize in a forked child so this process's espeak state stays as after start-up."""

        def speak() -> bytes:  # JSON header + raw int16 samples
            try:
                audio, events, counts = self._speak_here(*args)
                head = {"events": events, "counts": counts, "n": int(audio.size)}
            except Exception as exc:  # noqa: BLE001 - reported to the parent
                audio, head = np.zeros(0, np.int16), {"error": str(exc)}
            blob = json.dumps(head).encode()
            return len(blob).to_bytes(8, "little") + blob + audio.tobytes()

        data = in_forked_child(speak, "espeak-ng synthesis")
        if len(data) < 8:
            raise InputError("espeak-ng synthesis failed in its worker process")
        n = int.from_bytes(data[:8], "little")
        head = json.loads(data[8 : 8 + n])
        if "error" in head:
            raise InputError(head["error"])
        audio = np.frombuffer(data[8 + n :], dtype=np.int16).copy()
        return audio, [tuple(e) for e in head["events"]], head["counts"]

    def phonemize(self, words: list[str], voice: str = "en-us") -> dict[str, str]:
        """espeak-ng's own letter-to-sound result of every word (ASCII mnemonics, ``|``-separated).

        Like :meth:`speak`, the lookups run in a forked child on POSIX, so this process's
        espeak-ng state is left untouched.
        """

        def lookup() -> dict[str, str]:
            if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise InputError(f"espeak-ng has no voice {voice!r}")
            res = {}
            for w in words:
                ptr = ctypes.c_char_p(w.encode("utf-8"))
                out = self.lib.espeak_TextToPhonemes(ctypes.byref(ptr), _CHARS_UTF8, ord("|") << 8) or b""
                res[w] = out.decode("utf-8", "replace")
            return res

        with self._lock:
            if not hasattr(os, "fork"):  # pragma: no cover - Windows
                return lookup()
            return json.loads(in_forked_child(lambda: json.dumps(lookup()).encode(), "espeak-ng G2P"))

    def speak(self, text: str, voice: str, rate: int, pitch: int, rand_seed: int = 0):
        """Samples (float32), events and the G2P phoneme count of every word.

        espeak-ng keeps state from one synthesis to the next (its output depends on
        what was spoken before), so on POSIX every synthesis runs in a forked child
        of the freshly initialised library: the same arguments always give the same
        samples. Elsewhere synthesis runs in-process (deterministic per process
        history only).
        """
        with self._lock:
            if hasattr(os, "fork"):
                audio, events, counts = self._speak_forked(text, voice, rate, pitch, rand_seed)
            else:  # pragma: no cover - Windows
                audio, events, counts = self._speak_here(text, voice, rate, pitch, rand_seed)
        return audio.astype(np.float32) / 32768.0, events, counts
