"""Align a whole folder of recordings, like MFA: every audio file with a transcript of the same stem.

:func:`align_folder` walks a corpus folder (subfolders included, e.g. one per speaker),
pairs every audio file (``.wav``, ``.flac``, ``.ogg``) with the ``.lab`` or ``.txt`` file
of the same stem next to it, aligns each pair and writes one output file per recording
under the output folder, mirroring the corpus' layout. A recording that fails (no
transcript, unreadable audio, a transcript that does not fit) becomes a row of the
summary; the run never stops for it. ``jobs > 1`` aligns in that many processes, each
loading the aligner once.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..exceptions import InputError, SeqtagError

__all__ = ["align_folder", "FolderItem", "find_recordings", "FORMATS"]

#: Output formats (file suffixes) of :func:`align_folder`.
FORMATS = ("TextGrid", "ctm", "json")
_AUDIO = (".wav", ".flac", ".ogg")
_TEXT = (".lab", ".txt")


@dataclass
class FolderItem:
    """One recording of a folder run.

    Attributes
    ----------
    audio : str
        The audio file, relative to the corpus folder.
    status : str
        ``"ok"``, ``"warning"`` (aligned, with warnings) or ``"failed"``.
    message : str
        The error or the warnings; empty when all went well.
    output : str
        The file written (empty when none).
    words : int
    score : float
        Utterance confidence (``nan`` when not aligned).
    seconds : float
        Audio duration.
    """

    audio: str
    status: str
    message: str = ""
    output: str = ""
    words: int = 0
    score: float = float("nan")
    seconds: float = 0.0


def find_recordings(corpus_dir: str | os.PathLike) -> list[tuple[Path, Path | None]]:
    """``[(audio file, transcript file or None)]`` of a corpus folder, sorted by path.

    Raises
    ------
    InputError
        The folder does not exist or holds no audio file.
    """
    root = Path(corpus_dir)
    if not root.is_dir():
        raise InputError(f"corpus folder {str(root)!r} does not exist")
    pairs = []
    for audio in sorted(p for p in root.rglob("*") if p.suffix.lower() in _AUDIO and p.is_file()):
        text = next((audio.with_suffix(s) for s in _TEXT if audio.with_suffix(s).is_file()), None)
        pairs.append((audio, text))
    if not pairs:
        raise InputError(f"no audio files ({', '.join(_AUDIO)}) in {str(root)!r} or its subfolders")
    return pairs


_WORKER: dict = {}


def _load_aligner(spec):
    from ..persistence import load_model
    from ..registry import MODELS, make_model

    if isinstance(spec, str) and spec in MODELS and MODELS[spec].pretrained:
        return make_model(spec, kind="aligner")
    return load_model(spec)


def _init_worker(spec, threads: int | None):
    if threads is not None:
        import numba

        numba.set_num_threads(threads)
    _WORKER["aligner"] = _load_aligner(spec)


def _normalized(aligner, text: str) -> str:
    from ..corpora.speech import normalize_transcript

    return " ".join(text.split()) if getattr(aligner, "raw_transcripts", False) else normalize_transcript(text)


def _one(job) -> FolderItem:
    audio, text, out, rel = job
    item = FolderItem(rel, "failed")
    if text is None:
        item.message = "no transcript (.lab or .txt with the same name)"
        return item
    aligner = _WORKER["aligner"]
    try:
        from ..userio import read_text

        result = aligner.align(str(audio), _normalized(aligner, read_text(text, "transcript")))
        out.parent.mkdir(parents=True, exist_ok=True)
        result.write(out, utt_id=Path(audio).stem)
    except (SeqtagError, OSError) as exc:
        item.message = f"{type(exc).__name__}: {exc}"
        return item
    item.status = "warning" if result.warnings else "ok"
    item.message = "; ".join(result.warnings)
    item.output, item.words, item.score, item.seconds = str(out), len(result.words), result.score, result.duration
    return item


def align_folder(aligner, corpus_dir: str | os.PathLike, out_dir: str | os.PathLike, fmt: str = "TextGrid",
                 jobs: int = 1, progress: bool = False) -> list[FolderItem]:
    """Align every recording of a corpus folder and write one file per recording.

    Parameters
    ----------
    aligner : Aligner, str or path-like
        An aligner, the folder of a saved one, or the name of a pretrained one (``"english"``).
        With ``jobs > 1`` pass a name or a folder (each process loads it).
    corpus_dir : path-like
        Audio files with transcripts of the same stem (``.lab`` / ``.txt``), subfolders included.
    out_dir : path-like
        Where ``<relative path>/<stem>.<fmt>`` go (created).
    fmt : {"TextGrid", "ctm", "json"}
    jobs : int
        Processes.
    progress : bool
        A progress bar on stderr.

    Returns
    -------
    list of FolderItem
        One per audio file, in path order.

    Examples
    --------
    >>> items = align_folder("english", "my_corpus", "aligned")  # doctest: +SKIP
    >>> [i.audio for i in items if i.status == "failed"]  # doctest: +SKIP
    []
    """
    from tqdm.auto import tqdm

    if fmt not in FORMATS:
        raise InputError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise InputError(f"jobs must be an int >= 1, got {jobs!r}")
    root, out_root = Path(corpus_dir), Path(out_dir)
    pairs = find_recordings(root)
    jobs_list = [(a, t, out_root / a.relative_to(root).with_suffix(f".{fmt}"), str(a.relative_to(root)))
                 for a, t in pairs]
    bar = tqdm(total=len(jobs_list), desc="aligning", unit="file", disable=not progress)
    items: list[FolderItem] = []
    if jobs == 1 or len(jobs_list) == 1:
        _WORKER["aligner"] = aligner if hasattr(aligner, "align") else _load_aligner(aligner)
        for job in jobs_list:
            items.append(_one(job))
            bar.update()
    else:
        if hasattr(aligner, "align"):
            raise InputError("with jobs > 1 pass the aligner as a name ('english') or a saved folder, "
                             "so that every process can load it")
        # spawn, not fork: numba's OpenMP pool is already running in this process
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(jobs, mp_context=context, initializer=_init_worker,
                                 initargs=(str(aligner), 1)) as pool:
            for item in pool.map(_one, jobs_list):
                items.append(item)
                bar.update()
    bar.close()
    _WORKER.pop("aligner", None)
    return items
