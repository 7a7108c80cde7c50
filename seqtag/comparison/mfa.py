"""Agreement of an aligner with the TextGrids of a folder aligned by the Montreal Forced Aligner.

The reference TextGrids of such a folder (e.g. ``$SEQTAG_DATA/mfa_test_speech``) are
MFA's own output, not hand labels: the numbers measure agreement with MFA, not
accuracy (:data:`MFA_CAVEAT` says so wherever they are printed).
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pandas as pd

from ..metrics import pooled_boundary_report

__all__ = ["MFA_CAVEAT", "default_mfa_dir", "matched_words", "mfa_agreement"]

#: Printed with every agreement-with-MFA table.
MFA_CAVEAT = ("The reference TextGrids of this folder are the Montreal Forced Aligner's own output (its "
              "pretrained English model), not hand labels: these numbers measure agreement with MFA, not accuracy.")
_TOLERANCE = 0.02
_EDGE = "\"'.,;:!?()[]{}<>«»“”‘’-–—…"


def default_mfa_dir() -> Path | None:
    """``$SEQTAG_DATA/mfa_test_speech`` when that folder exists, else ``None``."""
    root = os.environ.get("SEQTAG_DATA")
    if root and (Path(root) / "mfa_test_speech").is_dir():
        return Path(root) / "mfa_test_speech"
    return None


def mfa_agreement(aligner, folder: str | os.PathLike, tolerance: float = _TOLERANCE) -> pd.DataFrame:
    """Agreement of a trained aligner's word boundaries with the MFA TextGrids of a folder.

    The folder is read with :func:`~seqtag.corpora.speech.read_speech_folder`
    (e.g. ``audio/``, ``lab/``, ``textgrid/``). MFA's word tier may differ from the
    transcript (``<unk>``, split words); the two word sequences are matched with
    :class:`difflib.SequenceMatcher` and only matched words are compared. The
    TextGrids are MFA's output, not hand labels: this is agreement, not accuracy.

    Parameters
    ----------
    aligner : object
        Trained, with ``align(audio_path, transcript)``.
    folder : str or path-like
    tolerance : float
        Seconds, for the boundary F1.

    Returns
    -------
    pandas.DataFrame
        Indexed by file, plus a pooled row ``"all"``: ``audio_s``, ``mfa_words``,
        ``matched_words``, ``boundaries``, ``mean_abs_ms``, ``median_abs_ms``,
        ``within_20ms``, ``within_50ms``, ``f1_20ms``, ``status`` (``"ok"``, ``"no MFA
        word tier"`` or the alignment error).

    Examples
    --------
    >>> from seqtag.align import HMMAligner
    >>> from seqtag.comparison.aligners import strip_references
    >>> from seqtag.corpora import read_speech_folder
    >>> folder = default_mfa_dir()  # doctest: +SKIP
    >>> aligner = HMMAligner().fit(strip_references(read_speech_folder(folder)))  # doctest: +SKIP
    >>> mfa_agreement(aligner, folder)[["median_abs_ms", "mean_abs_ms"]]  # doctest: +SKIP
    """
    from ..corpora.speech import read_speech_folder
    from ..exceptions import SeqtagError

    corpus = read_speech_folder(folder)
    rows, refs, hyps = [], [], []
    for u in corpus:
        mfa = u.words if u.words is not None else u.meta.get("textgrid_words")
        row = {"file": u.id, "audio_s": u.duration, "mfa_words": len(mfa or []), "matched_words": 0}
        pair = None
        if not mfa:
            row["status"] = "no MFA word tier"
        else:
            try:
                mine = aligner.align(u.audio_path, u.transcript).words
            except SeqtagError as exc:
                row["status"] = f"{type(exc).__name__}: {exc}"
            else:
                r_m, h_m = pair = matched_words(mfa, mine)
                refs.append(r_m)
                hyps.append(h_m)
                row.update(matched_words=len(r_m), status="ok")
        rows.append({**row, **_agreement(*(pair or ([], [])), tolerance)})
    total = {"file": "all", "audio_s": sum(r["audio_s"] for r in rows), "mfa_words": sum(r["mfa_words"] for r in rows),
             "matched_words": sum(r["matched_words"] for r in rows),
             "status": f"{sum(r['status'] == 'ok' for r in rows)}/{len(rows)} files ok"}
    rows.append({**total, **_agreement_pooled(refs, hyps, tolerance)})
    cols = ["file", "audio_s", "mfa_words", "matched_words", "boundaries", "mean_abs_ms", "median_abs_ms",
            "within_20ms", "within_50ms", "f1_20ms", "status"]
    return pd.DataFrame(rows)[cols].set_index("file")


def matched_words(ref: list, hyp: list) -> tuple[list, list]:
    """The words of two word tiers that match by label, in order (longest matching blocks).

    MFA's tier may differ from the transcript (``<unk>``, split words), so only the words
    :class:`difflib.SequenceMatcher` pairs up are compared; labels are compared lower-cased
    and without surrounding punctuation (an aligner keeps a transcript's words as written).

    Examples
    --------
    >>> from seqtag.align.spans import Interval
    >>> r, h = matched_words([Interval("a", 0, 1), Interval("<unk>", 1, 2), Interval("c", 2, 3)],
    ...                      [Interval("a", 0, 1), Interval("b", 1, 2), Interval("c", 2, 3)])
    >>> [w.label for w in r], [w.label for w in h]
    (['a', 'c'], ['a', 'c'])
    """
    def key(label: str) -> str:
        return label.lower().strip(_EDGE) or label

    sm = difflib.SequenceMatcher(a=[key(w.label) for w in ref], b=[key(w.label) for w in hyp], autojunk=False)
    r_m, h_m = [], []
    for blk in sm.get_matching_blocks():
        r_m += ref[blk.a:blk.a + blk.size]
        h_m += hyp[blk.b:blk.b + blk.size]
    return r_m, h_m


def _agreement(ref, hyp, tolerance) -> dict:
    return _agreement_pooled([ref], [hyp], tolerance)


def _agreement_pooled(refs, hyps, tolerance) -> dict:
    rep = pooled_boundary_report(refs, hyps, tolerance)
    return {"boundaries": int(rep["n_boundaries"]), "mean_abs_ms": rep["mean_abs_ms"],
            "median_abs_ms": rep["median_abs_ms"], "within_20ms": rep["within_20ms"],
            "within_50ms": rep["within_50ms"], "f1_20ms": rep["boundary_f1"]}
