"""The WSJ part of the Penn Treebank 3 (LDC99T42), read from its ``parsed/mrg/wsj`` trees.

The treebank is licensed by the LDC, so seqtag never downloads it: a user who
has it points seqtag at it (``path=``, ``SEQTAG_DATA``, ``--data``).
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

from ..exceptions import CorpusNotFoundError, InputError
from ._base import Corpus, data_home, env_paths

__all__ = [
    "LDC_NOTE",
    "PTB_WSJ_SPLITS",
    "find_ptb_wsj",
    "load_ptb_wsj",
    "parse_mrg",
    "ptb_wsj_roots",
]

#: Where the trees lie inside the LDC release folder ``treebank_3``.
TREEBANK_DIR = "treebank_3"
WSJ_SUBDIR = Path("parsed", "mrg", "wsj")

#: split scheme -> split -> WSJ sections (00..24)
PTB_WSJ_SPLITS: dict[str, dict[str, tuple[int, ...]]] = {
    # the standard POS-tagging split (Collins 2002; Toutanova et al. 2003)
    "pos": {
        "train": tuple(range(19)),
        "dev": (19, 20, 21),
        "test": (22, 23, 24),
        "all": tuple(range(25)),
    },
    # the sections of the CoNLL-2000 chunking shared task (it has no dev split)
    "conll2000": {"train": (15, 16, 17, 18), "test": (20,)},
}

#: How to get the treebank; shared by the not-found error and ``seqtag download ptb-wsj``.
LDC_NOTE = (
    "The Penn Treebank 3 is licensed by the Linguistic Data Consortium (LDC99T42, "
    "https://catalog.ldc.upenn.edu/LDC99T42); seqtag cannot download it. If you have it, point seqtag "
    "at its parsed/mrg/wsj folder or at the treebank_3 folder: load_corpus('ptb-wsj', path=FOLDER), "
    "`seqtag train ... --corpus ptb-wsj --data FOLDER`, or SEQTAG_DATA set to a folder holding treebank_3/. "
    "Without it, the 'ptb-sample' corpus is NLTK's free 10 % sample of the same treebank."
)

_TOKEN = re.compile(r"\(|\)|[^\s()]+")
_FILE = re.compile(r"wsj_\d{4}\.mrg")


def ptb_wsj_roots(path: str | os.PathLike | None = None) -> list[Path]:
    """Candidate ``parsed/mrg/wsj`` folders, in lookup order.

    Parameters
    ----------
    path : path-like, optional
        The ``wsj`` folder itself, the ``treebank_3`` folder, or a folder holding
        ``treebank_3/``.  Without it: ``$SEQTAG_DATA/treebank_3/parsed/mrg/wsj``
        for each folder in ``SEQTAG_DATA``, then the same under the data home.

    Returns
    -------
    list of pathlib.Path
    """
    if path is not None:
        p = Path(path)
        return [p, p / WSJ_SUBDIR, p / TREEBANK_DIR / WSJ_SUBDIR]
    return [p / TREEBANK_DIR / WSJ_SUBDIR for p in env_paths("SEQTAG_DATA")] + [data_home() / TREEBANK_DIR / WSJ_SUBDIR]


def _sections(folder: Path) -> list[int]:
    """The section numbers (00..24) that have a folder in ``folder``."""
    return [s for s in range(25) if (folder / f"{s:02d}").is_dir()]


def find_ptb_wsj(path: str | os.PathLike | None = None) -> Path:
    """The first folder of :func:`ptb_wsj_roots` that holds WSJ section folders (``00``..``24``).

    Cheap: only folder names are looked at.

    Parameters
    ----------
    path : path-like, optional
        See :func:`ptb_wsj_roots`.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    CorpusNotFoundError
        No candidate holds a section folder; the message lists the places
        looked in and says how to point seqtag at the treebank.
    """
    roots = ptb_wsj_roots(path)
    for root in roots:
        if root.is_dir() and _sections(root):
            return root
    where = "\n  ".join(str(r) for r in roots) or "(nowhere)"
    raise CorpusNotFoundError(f"corpus 'ptb-wsj' was not found. Looked in:\n  {where}\n{LDC_NOTE}")


def parse_mrg(text: str, source: str = "<string>") -> list[list[tuple[str, str]]]:
    """The ``(word, tag)`` leaves of each bracketed tree in ``text``, in order.

    A leaf is ``(TAG word)``; any other bracket holds only brackets and may
    lack a label (the PTB's outer wrapper ``( (S ...) )``).  Traces
    (``-NONE-``) are kept: the caller decides.  On well-formed input the
    result equals NLTK's ``BracketParseCorpusReader.tagged_sents``.

    Parameters
    ----------
    text : str
        One ``.mrg`` file's contents: trees one after another.
    source : str
        The file name used in error messages.

    Returns
    -------
    list of list of (str, str)
        One list per tree (a tree without leaves gives an empty list).

    Raises
    ------
    InputError
        Unbalanced brackets, a word outside a ``(TAG word)`` leaf, or an empty
        bracket; the message names ``source`` and the line.

    Examples
    --------
    >>> parse_mrg("( (S (NP-SBJ (-NONE- *)) (VP (VB Go)) (. .)) )\\n(X (UH Hi))")
    [[('*', '-NONE-'), ('Go', 'VB'), ('.', '.')], [('Hi', 'UH')]]
    """
    trees: list[list[tuple[str, str]]] = []
    # open brackets: [label, word, leaves, has_subtrees, offset of "("]
    stack: list[list] = []

    def fail(offset: int, what: str):
        line = text.count("\n", 0, offset) + 1
        raise InputError(
            f"{source}, line {line}: {what}; expected bracketed trees whose leaves are (TAG word), "
            f"e.g. ( (S (NP (DT The) (NN cat)) (VP (VBD sat))) ). Fix or remove that tree"
        )

    for m in _TOKEN.finditer(text):
        tok = m.group()
        if tok == "(":
            if stack and stack[-1][1] is not None:
                fail(m.start(), f"({stack[-1][0]} {stack[-1][1]} ...) holds both a word and a subtree")
            stack.append([None, None, [], False, m.start()])
        elif tok == ")":
            if not stack:
                fail(m.start(), "')' closes no open bracket")
            label, word, leaves, has_subtrees, start = stack.pop()
            if word is not None:
                leaves = [(word, label)]
            elif not has_subtrees:
                fail(start, f"empty bracket ({label or ''})")
            if stack:
                stack[-1][2].extend(leaves)
                stack[-1][3] = True
            else:
                trees.append(leaves)
        else:
            if not stack:
                fail(m.start(), f"{tok!r} is outside any bracket")
            node = stack[-1]
            if node[3]:
                fail(m.start(), f"word {tok!r} follows a subtree inside ({node[0] or ''} ...)")
            if node[0] is None:
                node[0] = tok
            elif node[1] is None:
                node[1] = tok
            else:
                fail(m.start(), f"({node[0]} {node[1]} {tok} ...) has more than one word")
    if stack:
        fail(stack[0][4], "the bracket opened here is never closed")
    return trees


def _read_file(path: Path) -> list[list[tuple[str, str]]]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not a text file of Penn Treebank trees ({exc})") from None
    return parse_mrg(text, str(path))


def load_ptb_wsj(split: str = "train", split_scheme: str = "pos", traces: bool = False, path=None) -> Corpus:
    """WSJ part of the Penn Treebank 3 with POS tags; one document per ``wsj_SSNN.mrg`` file.

    ``split_scheme="pos"`` is the standard POS-tagging split: train =
    sections 00-18, dev = 19-21, test = 22-24 (``"all"`` = 00-24).
    ``split_scheme="conll2000"`` takes the sections of the CoNLL-2000
    chunking task: train = 15-18, test = 20, no dev.  Only the sections
    change: the labels are still the POS tags of the trees (chunk tags are
    not derived from them; the ``conll2000`` corpus has those).

    ``-NONE-`` (trace and empty-element) leaves are removed unless
    ``traces=True``, and a sentence left empty is dropped, as in
    ``ptb-sample``.  Sections missing from the folder are skipped with a
    warning (a partial copy gives a partial split).

    Parameters
    ----------
    split : str
        ``"train"``, ``"dev"``, ``"test"`` (``"all"`` with the ``"pos"`` scheme).
    split_scheme : str
        ``"pos"`` (default) or ``"conll2000"``.
    traces : bool
        Keep ``-NONE-`` leaves.
    path : path-like, optional
        The ``parsed/mrg/wsj`` folder, the ``treebank_3`` folder, or a folder
        holding ``treebank_3/``; else ``SEQTAG_DATA``, then the data home.

    Returns
    -------
    Corpus
        ``doc_ids`` are file stems such as ``"wsj_0001"``.

    Raises
    ------
    CorpusNotFoundError
        The treebank is not found, or none of the split's sections is there.
    InputError
        Unknown split or scheme, or a malformed ``.mrg`` file (named, with the line).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> wsj = pathlib.Path(tempfile.mkdtemp()) / "treebank_3" / "parsed" / "mrg" / "wsj"
    >>> for s in ("22", "23", "24"):
    ...     (wsj / s).mkdir(parents=True)
    ...     _ = (wsj / s / f"wsj_{s}01.mrg").write_text("( (S (NP-SBJ (-NONE- *)) (VP (VB Go)) (. .)) )\\n")
    >>> test = load_ptb_wsj("test", path=wsj.parents[2])   # the treebank_3 folder
    >>> test[0], test.doc_ids
    ([('Go', 'VB'), ('.', '.')], ['wsj_2201', 'wsj_2301', 'wsj_2401'])
    """
    scheme = PTB_WSJ_SPLITS.get(split_scheme)
    if scheme is None:
        raise InputError(f"unknown split_scheme {split_scheme!r}; valid schemes: {', '.join(PTB_WSJ_SPLITS)}")
    if split not in scheme:
        extra = " (the CoNLL-2000 sections have no dev split)" if split == "dev" else ""
        raise InputError(
            f"unknown split {split!r} for split_scheme={split_scheme!r}{extra}; valid splits: {', '.join(scheme)}"
        )
    root = find_ptb_wsj(path)
    wanted = scheme[split]
    present = [s for s in wanted if (root / f"{s:02d}").is_dir()]
    if not present:
        raise CorpusNotFoundError(
            f"ptb-wsj: none of the {split} sections ({_ranges(wanted)}) is in {root} "
            f"(it has sections {_ranges(_sections(root))}); copy them from treebank_3/parsed/mrg/wsj"
        )
    if len(present) < len(wanted):
        missing = [s for s in wanted if s not in present]
        warnings.warn(
            f"ptb-wsj: {root} lacks section(s) {_ranges(missing)}; the {split} split is partial",
            stacklevel=2,
        )
    X, y, docs = [], [], []
    for s in present:
        for f in sorted(p for p in (root / f"{s:02d}").iterdir() if _FILE.fullmatch(p.name)):
            for sent in _read_file(f):
                pairs = [(w, t) for w, t in sent if traces or t != "-NONE-"]
                if pairs:
                    X.append([w for w, _ in pairs])
                    y.append([t for _, t in pairs])
                    docs.append(f.stem)
    return Corpus("ptb-wsj", split, X, y, docs)


def _ranges(sections) -> str:
    """``[0, 1, 2, 5]`` -> ``"00-02, 05"``."""
    runs: list[list[int]] = []
    for s in sorted(sections):
        if runs and runs[-1][1] == s - 1:
            runs[-1][1] = s
        else:
            runs.append([s, s])
    return ", ".join(f"{a:02d}" if a == b else f"{a:02d}-{b:02d}" for a, b in runs) or "none"
