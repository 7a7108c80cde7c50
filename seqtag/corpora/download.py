"""``seqtag download NAME``: fetch a corpus for a user with internet (never used by tests)."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import urllib.request
from pathlib import Path

from ..exceptions import InputError, SeqtagError
from ._base import data_home
from .ptb_wsj import LDC_NOTE
from .ud import UD_EWT_DIR, UD_EWT_FILES, UD_EWT_RELEASE, UD_EWT_URL

__all__ = ["NLTK_PACKAGES", "download"]

#: corpus name -> NLTK data packages it needs
NLTK_PACKAGES = {
    "ptb-sample": ["treebank"],
    "conll2000": ["conll2000"],
    "brown-universal": ["brown", "universal_tagset"],
    "cmudict": ["cmudict"],  # pronunciations for the phone-based aligners
}


def download(name: str, dest: str | Path | None = None, quiet: bool = False) -> Path:
    """Download a corpus into ``dest`` (default: :func:`~seqtag.corpora.data_home`).

    NLTK corpora go to ``dest/nltk_data`` through ``nltk.download``; UD EWT
    files are fetched from the UD release and checked against their sha256.
    ``ptb-wsj`` is licensed by the LDC and cannot be downloaded.

    Parameters
    ----------
    name : str
        A corpus name from :data:`seqtag.corpora.CORPORA`.
    dest : str or path-like, optional
    quiet : bool

    Returns
    -------
    pathlib.Path
        The folder the data went to.

    Raises
    ------
    InputError
        An unknown name, or ``ptb-wsj`` (the message says how to use your own copy).
    SeqtagError
        The download failed or is corrupt.
    """
    dest = Path(dest) if dest is not None else data_home()
    if name in NLTK_PACKAGES:
        import nltk

        target = dest / "nltk_data"
        for package in NLTK_PACKAGES[name]:
            if not nltk.download(package, download_dir=str(target), quiet=quiet, raise_on_error=True):
                raise SeqtagError(f"nltk.download({package!r}) failed; check your internet connection")
        return target
    if name == "ud-ewt":
        target = dest / UD_EWT_DIR
        target.mkdir(parents=True, exist_ok=True)
        for fname, sha in UD_EWT_FILES.values():
            _fetch(UD_EWT_URL.format(release=UD_EWT_RELEASE, file=fname), target / fname, sha, quiet)
        return target
    if name == "ptb-wsj":
        raise InputError(f"ptb-wsj cannot be downloaded. {LDC_NOTE}")
    raise InputError(f"unknown corpus {name!r}; corpora to download: {', '.join([*NLTK_PACKAGES, 'ud-ewt'])}")


def _fetch(url: str, out: Path, sha256: str, quiet: bool) -> None:
    if out.is_file() and _sha256(out) == sha256:
        return
    if not quiet:
        print(f"downloading {url}")
    with tempfile.NamedTemporaryFile(dir=out.parent, delete=False) as tmp:
        try:
            with urllib.request.urlopen(url, timeout=60) as resp:
                shutil.copyfileobj(resp, tmp)
        except OSError as exc:
            Path(tmp.name).unlink(missing_ok=True)
            raise SeqtagError(f"could not download {url}: {exc}") from None
    got = _sha256(Path(tmp.name))
    if got != sha256:
        Path(tmp.name).unlink(missing_ok=True)
        raise SeqtagError(f"{url} has sha256 {got}, expected {sha256}; the download is corrupt, try again")
    Path(tmp.name).replace(out)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
