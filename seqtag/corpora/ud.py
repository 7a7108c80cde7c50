"""Universal Dependencies English EWT (r2.16) from its CoNLL-U release files."""

from __future__ import annotations

import os
from pathlib import Path

from ..exceptions import InputError
from ._base import Corpus, data_home, env_paths, not_found
from .readers import read_conllu

__all__ = ["load_ud_ewt", "UD_EWT_FILES", "UD_EWT_URL", "ud_ewt_roots"]

UD_EWT_DIR = "ud_english_ewt"
#: Release tag the files and checksums belong to.
UD_EWT_RELEASE = "r2.16"
UD_EWT_URL = "https://raw.githubusercontent.com/UniversalDependencies/UD_English-EWT/{release}/{file}"
#: split -> (file name, sha256 of the r2.16 file)
UD_EWT_FILES = {
    "train": ("en_ewt-ud-train.conllu", "3fb78e2b55482c8ee00caa653af436c88c9e5bc9a73ce26e4ae3ddc79d2b7e7b"),
    "dev": ("en_ewt-ud-dev.conllu", "531a54ff90d6ab12201c5a50c3e78e6ddac4de69abc4bce5d275d3cd29efe2b6"),
    "test": ("en_ewt-ud-test.conllu", "e266e515a0a7547657ed3d90d9ba46487d6bd251f27ad4269d4e8a427c8555cd"),
}


def ud_ewt_roots(path: str | os.PathLike | None = None) -> list[Path]:
    """Folders that may hold the EWT files: ``path``, ``$SEQTAG_DATA/ud_english_ewt``, the data home."""
    if path is not None:
        return [Path(path)]
    return [p / UD_EWT_DIR for p in env_paths("SEQTAG_DATA")] + [data_home() / UD_EWT_DIR]


def load_ud_ewt(split: str = "train", tagset: str = "xpos", path=None) -> Corpus:
    """UD English EWT, standard train/dev/test, PTB tags (``xpos``) or ``upos``.

    Multiword tokens and empty nodes are skipped; documents come from the
    ``# newdoc id`` comments.
    """
    if split not in UD_EWT_FILES:
        raise InputError(f"unknown split {split!r}; valid splits: {', '.join(UD_EWT_FILES)}")
    fname = UD_EWT_FILES[split][0]
    roots = ud_ewt_roots(path)
    for root in roots:
        if (root / fname).is_file():
            corpus = read_conllu(root / fname, tagset=tagset, name="ud-ewt", split=split)
            return corpus
    raise not_found("ud-ewt", [r / fname for r in roots], "SEQTAG_DATA")
