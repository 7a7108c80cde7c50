"""Corpora that ship as NLTK data packages: the PTB sample, CoNLL-2000 and Brown."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..exceptions import InputError
from ._base import Corpus, data_home, env_paths, not_found

__all__ = ["load_ptb_sample", "load_conll2000", "load_brown_universal", "nltk_roots", "find_resource"]

PTB_SPLITS = {"train": (1, 159), "dev": (160, 179), "test": (180, 199), "all": (1, 199)}


def nltk_roots(path: str | os.PathLike | None = None) -> list[Path]:
    """NLTK data folders in lookup order: ``path``, ``NLTK_DATA``, seqtag's data home, NLTK's defaults."""
    if path is not None:
        return [Path(path)]
    import nltk  # here, not at import time: `seqtag tag` and `seqtag list` need no NLTK

    roots = env_paths("NLTK_DATA") + [data_home() / "nltk_data"]
    roots += [Path(p) for p in nltk.data.path if Path(p) not in roots]
    return roots


def find_resource(resource: str, name: str, path, is_dir: bool = True) -> Any:
    """Find ``kind/package/rest`` unzipped or inside ``kind/package.zip`` (how NLTK ships data).

    Parameters
    ----------
    resource : str
        E.g. ``"corpora/cmudict"``.
    name : str
        The corpus name used in the error message (``seqtag download NAME``).
    path : path or None
        An explicit NLTK data folder (else ``NLTK_DATA``, the data home, NLTK's defaults).
    is_dir : bool
        The resource is a folder (else a file).

    Returns
    -------
    nltk.data.PathPointer

    Raises
    ------
    CorpusNotFoundError
        Nowhere to be found; the message says how to get it.
    """
    import nltk

    roots = [str(r) for r in nltk_roots(path)]
    kind, package, *rest = resource.split("/")
    inner = "/".join([package, *rest]) + ("/" if is_dir else "")
    for candidate in (f"{kind}/{package}.zip/{inner}", f"{kind}/{inner}"):
        try:
            return nltk.data.find(candidate, paths=roots)
        except LookupError:
            continue
    raise not_found(name, [Path(r) for r in roots], "NLTK_DATA")


def _check_split(split: str, valid) -> None:
    if split not in valid:
        raise InputError(f"unknown split {split!r}; valid splits: {', '.join(valid)}")


def load_ptb_sample(split: str = "train", traces: bool = False, path=None) -> Corpus:
    """NLTK's 10 % Penn Treebank sample with a fixed document split.

    train = wsj_0001-0159 (3,396 sentences, 81,793 tokens), dev = wsj_0160-0179
    (273 / 6,327), test = wsj_0180-0199 (245 / 5,964), counted without
    ``-NONE-`` trace tokens, which are removed unless ``traces=True``.
    """
    from nltk.corpus.reader import BracketParseCorpusReader

    _check_split(split, PTB_SPLITS)
    root = find_resource("corpora/treebank/combined", "ptb-sample", path)
    reader = BracketParseCorpusReader(root, r"wsj_.*\.mrg", tagset="wsj", encoding="ascii")
    lo, hi = PTB_SPLITS[split]
    X, y, docs = [], [], []
    for fid in reader.fileids():
        if not lo <= int(fid[4:8]) <= hi:
            continue
        for sent in reader.tagged_sents(fid):
            pairs = [(w, t) for w, t in sent if traces or t != "-NONE-"]
            if pairs:
                X.append([w for w, _ in pairs])
                y.append([t for _, t in pairs])
                docs.append(fid[:8])
    return Corpus("ptb-sample", split, X, y, docs)


def load_conll2000(split: str = "train", task: str = "chunk", dev_size: int = 1000, path=None) -> Corpus:
    """CoNLL-2000 chunking: words with POS tags and IOB2 chunk tags.

    ``task="chunk"`` makes the chunk tags the labels and keeps POS tags in
    ``columns["pos"]``; ``task="pos"`` makes POS tags the labels and keeps
    chunk tags in ``columns["chunk"]``.  The dev split is the last
    ``dev_size`` sentences of the official training file (deterministic), and
    ``train`` is the rest; ``test`` is the official test file.  The files have
    no document ids, so blocks of 50 consecutive sentences stand in for
    documents (used by folds).
    """
    from nltk.corpus.reader import ConllChunkCorpusReader

    _check_split(split, ("train", "dev", "test", "all"))
    if task not in ("chunk", "pos"):
        raise InputError(f"task must be 'chunk' or 'pos', got {task!r}")
    root = find_resource("corpora/conll2000", "conll2000", path)
    reader = ConllChunkCorpusReader(root, ["train.txt", "test.txt"], ("NP", "VP", "PP"), encoding="ascii")
    parts = {"train": "train.txt", "dev": "train.txt", "test": "test.txt"}
    files = ["train.txt", "test.txt"] if split == "all" else [parts[split]]
    X, y, other, docs = [], [], [], []
    for fname in files:
        sents = reader.iob_sents(fname)
        if split == "train":
            sents = sents[: len(sents) - dev_size]
        elif split == "dev":
            sents = sents[len(sents) - dev_size :]
        for i, sent in enumerate(sents):
            words = [w for w, _, _ in sent]
            pos = [p for _, p, _ in sent]
            chunk = [c for _, _, c in sent]
            X.append(words)
            y.append(chunk if task == "chunk" else pos)
            other.append(pos if task == "chunk" else chunk)
            docs.append(f"{fname}:{i // 50}")
    return Corpus("conll2000", split, X, y, docs, {"pos" if task == "chunk" else "chunk": other})


def load_brown_universal(split: str = "train", path=None) -> Corpus:
    """Brown with the 12-tag universal tagset; split by document (file).

    Files are sorted; the 9th of every 10 is dev, the 10th test, the rest train
    (400 / 50 / 50 documents).
    """
    from nltk.corpus.reader import CategorizedTaggedCorpusReader

    _check_split(split, ("train", "dev", "test", "all"))
    root = find_resource("corpora/brown", "brown-universal", path)
    mapping_file = find_resource("taggers/universal_tagset/en-brown.map", "brown-universal", path, is_dir=False)
    mapping = {}
    for line in mapping_file.open().read().decode("utf-8").splitlines():
        if line.strip():
            fine, coarse = line.split("\t")
            mapping[fine] = coarse
    reader = CategorizedTaggedCorpusReader(
        root, r"c[a-z]\d\d", cat_file="cats.txt", tagset="brown", encoding="ascii"
    )
    X, y, docs = [], [], []
    for i, fid in enumerate(sorted(reader.fileids())):
        role = {8: "dev", 9: "test"}.get(i % 10, "train")
        if split != "all" and role != split:
            continue
        for sent in reader.tagged_sents(fid):
            X.append([w for w, _ in sent])
            y.append([mapping.get(t, "X") for _, t in sent])  # NLTK's rule: unmapped -> X
            docs.append(fid)
    return Corpus("brown-universal", split, X, y, docs)

