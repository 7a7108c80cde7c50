"""Sphinx model definition (``mdef``): phones, triphones, senone sequences.

Two on-disk formats, both read into one :class:`ModelDefinition`:

* **binary** (``BMDF``; what PocketSphinx ships). Little-endian files start with
  the bytes ``BMDF``, big-endian ones with ``FDMB``. Then ``int32`` version (1),
  ``int32`` length of a text format description (skipped), ten ``int32`` counts
  (``n_ciphone, n_phone, n_emit_state, n_ci_sen, n_sen, n_tmat, n_sseq, n_ctx,
  n_cd_tree, sil``), the CI phone names (NUL-terminated, sorted, padded to a
  4-byte boundary counted from the first name), the context tree
  (``n_cd_tree`` x ``{int16 ctx, int16 n_down, int32 down_or_pid}``), the phone
  table (``n_phone`` x ``{int32 ssid, int32 tmat, uint8 attr[4]}``; ``attr`` is
  ``filler, -, -, -`` for CI phones and ``wpos, base, lc, rc`` for triphones),
  an ``int32`` count (``n_sseq * n_emit_state``) and the ``uint16`` senone
  sequences. The tree has 4 levels (word position -> base -> left -> right);
  children of a node are the ``n_down`` nodes starting at index ``down``, and a
  leaf on the last level holds a phone id.
* **text** (first non-comment line ``0.3``): six ``<count> <name>`` header lines,
  then one line per phone ``base lc rc wpos attrib tmat s0 .. s{n-1} N``
  (``-`` for the contexts and position of CI phones).

Word positions use PocketSphinx's codes: 0 ``i`` (internal), 1 ``b`` (begin),
2 ``e`` (end), 3 ``s`` (single), 4 ``u`` (undefined; CI phones).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from typing import NoReturn

import numpy as np

from ...exceptions import InputError
from .s3file import invalid_model_file, read_bytes

__all__ = ["ModelDefinition", "read_mdef", "WPOS_NAMES"]

#: Word-position codes, indexed by code (``"ibesu"[code]``).
WPOS_NAMES = "ibesu"
_N_WPOS = 4
_TEXT_KEYS = ("n_base", "n_tri", "n_state_map", "n_tied_state", "n_tied_ci_state", "n_tied_tmat")


def _fail(path, message: str) -> NoReturn:
    invalid_model_file(path, "Sphinx model definition (mdef)", message)


@dataclass(eq=False)
class ModelDefinition:
    """Phones, triphones and senone sequences of a Sphinx acoustic model.

    Attributes
    ----------
    path : str
        File it was read from.
    ci_phones : list of str
        Context-independent phone names (phone ids ``0 .. n_ci - 1``).
    filler : numpy.ndarray of bool, shape (n_ci,)
        Filler (non-speech) CI phones.
    n_emit_state, n_sen, n_ci_sen, n_tmat : int
        Emitting states per phone, senones, CI senones (the first ones),
        transition matrices.
    sseq : numpy.ndarray of int32, shape (n_sseq, n_emit_state)
        Senone ids of each senone sequence.
    base, lc, rc : numpy.ndarray of int32, shape (n_phone,)
        Base phone, left and right context of each phone (CI phones first;
        ``lc = rc = -1`` for them, ``base`` is their own id).
    wpos : numpy.ndarray of uint8, shape (n_phone,)
        Word position code (:data:`WPOS_NAMES`; 4 for CI phones).
    ssid, tmat : numpy.ndarray of int32, shape (n_phone,)
        Senone sequence and transition matrix of each phone.
    sil : int
        Id of the ``SIL`` phone, -1 if there is none.
    sen2cimap : numpy.ndarray of int32, shape (n_sen,)
        Base phone of each senone: that of the first phone (in id order) using
        it, as ``bin_mdef_read`` derives it; -1 for an unused senone. For a PTM
        model this is the senone's codebook.
    cd2cisen : numpy.ndarray of int32, shape (n_sen,)
        The CI senone (same base phone, same state) each senone backs off to.
    """

    path: str
    ci_phones: list[str]
    filler: np.ndarray = field(repr=False)
    n_emit_state: int
    n_sen: int
    n_ci_sen: int
    n_tmat: int
    sseq: np.ndarray = field(repr=False)
    base: np.ndarray = field(repr=False)
    lc: np.ndarray = field(repr=False)
    rc: np.ndarray = field(repr=False)
    wpos: np.ndarray = field(repr=False)
    ssid: np.ndarray = field(repr=False)
    tmat: np.ndarray = field(repr=False)
    sil: int = field(init=False)
    sen2cimap: np.ndarray = field(init=False, repr=False)
    cd2cisen: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._ci_index = {name: i for i, name in enumerate(self.ci_phones)}
        self.sil = self._ci_index.get("SIL", -1)
        _check_phones(self.path, self)
        self._derive_senone_maps()

    def _derive_senone_maps(self) -> None:
        """``sen2cimap`` and ``cd2cisen`` as ``bin_mdef_read`` builds them (see the class docstring)."""
        sen = self.sseq[self.ssid].ravel()  # senone of (phone, state), phones in id order
        ci_sen = self.sseq[self.ssid[self.base]].ravel()  # the base phone's senone for that state
        order = np.argsort(sen, kind="stable")
        ranked = sen[order]
        starts = np.r_[True, ranked[1:] != ranked[:-1]]
        used, first, last = ranked[starts], order[starts], order[np.r_[starts[1:], True]]
        self.sen2cimap = np.full(self.n_sen, -1, dtype=np.int32)
        self.sen2cimap[used] = np.repeat(self.base, self.n_emit_state)[first]  # the first phone decides
        self.cd2cisen = np.full(self.n_sen, -1, dtype=np.int32)
        self.cd2cisen[: self.n_ci_sen] = np.arange(self.n_ci_sen, dtype=np.int32)
        self.cd2cisen[used] = ci_sen[last]  # C loops over all phones: the last write wins

    @property
    def n_ci(self) -> int:
        """Number of CI phones."""
        return len(self.ci_phones)

    @property
    def n_phone(self) -> int:
        """Number of phones (CI phones and triphones)."""
        return int(self.base.size)

    @property
    def n_sseq(self) -> int:
        """Number of distinct senone sequences."""
        return int(self.sseq.shape[0])

    def _keys(self) -> np.ndarray:
        n, cd = self.n_ci, slice(self.n_ci, None)
        return ((self.wpos[cd].astype(np.int64) * n + self.base[cd]) * n + self.lc[cd]) * n + self.rc[cd]

    @cached_property
    def _lookup(self) -> dict[int, int]:
        return dict(zip(self._keys().tolist(), range(self.n_ci, self.n_phone)))

    def ci_id(self, name: str | int) -> int:
        """Id of a CI phone given its name (ids pass through after a range check); :class:`InputError` if unknown."""
        if isinstance(name, (int, np.integer)) and not isinstance(name, bool):
            if 0 <= name < self.n_ci:
                return int(name)
            raise InputError(f"CI phone id {name} is out of range: the model has {self.n_ci} CI phones")
        try:
            return self._ci_index[name]
        except (KeyError, TypeError):
            raise InputError(f"phone {name!r} is not in the acoustic model (it has {' '.join(self.ci_phones)})") from None

    def _exact(self, b: int, l: int, r: int, pos: int) -> int:
        """``bin_mdef_phone_id``: exact lookup after mapping filler contexts to SIL."""
        if self.sil >= 0:
            l = self.sil if self.filler[l] else l
            r = self.sil if self.filler[r] else r
        n = self.n_ci
        return self._lookup.get(((pos * n + b) * n + l) * n + r, -1)

    def phone_id(self, base: str | int, lc: str | int | None = None, rc: str | int | None = None,
                 wpos: str | int = "i", *, backoff: bool = True) -> int:
        """Phone id of a triphone, backing off like PocketSphinx when it is not modelled.

        Mirrors ``bin_mdef_phone_id_nearest`` (used by ``dict2pid.c``):

        1. no context (``lc`` or ``rc`` is None) -> the CI phone ``base``;
        2. the exact triphone, filler contexts being replaced by ``SIL``;
        3. the same context in the other word positions, in the order i, b, e, s;
        4. ``SIL`` as left context if ``lc`` is a filler or the position is b/s,
           ``SIL`` as right context if ``rc`` is a filler or the position is e/s
           (only if that changes something): the requested position, then the others;
        5. the CI phone ``base``.

        Parameters
        ----------
        base, lc, rc : str or int
            Phone names or CI phone ids.
        wpos : {"i", "b", "e", "s"} or int
            Word position (name or code).
        backoff : bool
            With False, only step 2: -1 when the triphone does not exist.

        Returns
        -------
        int
            A phone id (``< n_ci`` means the CI phone).
        """
        b = self.ci_id(base)
        if lc is None or rc is None:
            return b
        l, r = self.ci_id(lc), self.ci_id(rc)
        if isinstance(wpos, str):
            pos = WPOS_NAMES.find(wpos) if len(wpos) == 1 else -1
        else:
            pos = int(wpos) if isinstance(wpos, (int, np.integer)) and not isinstance(wpos, bool) else -1
        if not 0 <= pos < _N_WPOS:
            raise InputError(f"word position must be one of 'i', 'b', 'e', 's' (or 0-3), not {wpos!r}")
        p = self._exact(b, l, r, pos)
        if p >= 0 or not backoff:
            return p
        others = [q for q in range(_N_WPOS) if q != pos]
        for q in others:
            if (p := self._exact(b, l, r, q)) >= 0:
                return p
        if self.sil >= 0:
            nl = self.sil if (self.filler[l] or pos in (1, 3)) else l
            nr = self.sil if (self.filler[r] or pos in (2, 3)) else r
            if (nl, nr) != (l, r):
                for q in [pos, *others]:
                    if (p := self._exact(b, nl, nr, q)) >= 0:
                        return p
        return b

    def phone_name(self, pid: int) -> str:
        """``"AA"`` for a CI phone, ``"AA B C i"`` (base left right position) for a triphone."""
        if not 0 <= pid < self.n_phone:
            raise InputError(f"phone id {pid} is out of range: the model has {self.n_phone} phones")
        if pid < self.n_ci:
            return self.ci_phones[pid]
        names = self.ci_phones
        return f"{names[self.base[pid]]} {names[self.lc[pid]]} {names[self.rc[pid]]} {WPOS_NAMES[self.wpos[pid]]}"

    def senones(self, pid: int) -> np.ndarray:
        """Senone ids of phone ``pid``'s emitting states, shape ``(n_emit_state,)``."""
        return self.sseq[self.ssid[pid]]


def read_mdef(path: str | os.PathLike) -> ModelDefinition:
    """Read a binary (``BMDF``) or text (``0.3``) model definition.

    Parameters
    ----------
    path : path
        The ``mdef`` file.

    Returns
    -------
    ModelDefinition

    Raises
    ------
    ModelFileError
        Unreadable, truncated or inconsistent file.
    """
    data = read_bytes(path, "model definition (mdef)")
    if data[:4] in (b"BMDF", b"FDMB"):
        return _read_binary(data, str(path))
    return _read_text(data, str(path))


def _check_common(path, n_ci, n_phone, n_emit, n_ci_sen, n_sen, n_tmat) -> None:
    for ok, message in (
        (0 < n_ci <= 255, f"expected 1 to 255 CI phones, found {n_ci}"),
        (n_phone >= n_ci, f"expected at least as many phones as CI phones ({n_ci}), found {n_phone}"),
        (n_emit > 0, f"expected a positive number of emitting states, found {n_emit} (mixed topologies unsupported)"),
        (0 < n_ci_sen <= n_sen < 0xFFFF, f"expected 0 < CI senones ({n_ci_sen}) <= senones ({n_sen}) < 65535"),
        (n_ci_sen == n_ci * n_emit, f"expected {n_ci} CI phones x {n_emit} states CI senones, found {n_ci_sen}"),
        (n_tmat > 0, f"expected a positive number of transition matrices, found {n_tmat}"),
    ):
        if not ok:
            _fail(path, message)


def _check_phones(path, m: ModelDefinition) -> None:
    n_ci = m.n_ci
    shapes = [a.shape for a in (m.base, m.lc, m.rc, m.wpos, m.ssid, m.tmat)]
    if m.sseq.ndim != 2 or m.sseq.shape[1] != m.n_emit_state or m.filler.shape != (n_ci,) or len(set(shapes)) != 1:
        _fail(path, "expected sseq (n_sseq, n_emit_state), filler (n_ci,) and phone arrays of one common length")
    ci = slice(0, n_ci)
    if np.any(m.base[ci] != np.arange(n_ci)) or np.any(m.lc[ci] != -1) or np.any(m.rc[ci] != -1):
        _fail(path, "expected the first phones to be the CI phones themselves (no context)")
    checks = [("senone sequence of a phone", lambda: m.ssid, m.n_sseq),
              ("transition matrix of a phone", lambda: m.tmat, m.n_tmat),
              ("base, left or right phone of a triphone", lambda: np.r_[m.base[n_ci:], m.lc[n_ci:], m.rc[n_ci:]], n_ci),
              ("word position of a triphone", lambda: m.wpos[n_ci:], 4),
              ("senone in a senone sequence", lambda: m.sseq, m.n_sen),
              ("senone of a CI phone", lambda: m.sseq[m.ssid[ci]], m.n_ci_sen)]
    for name, get, hi in checks:
        arr = get()
        bad = arr[(arr < 0) | (arr >= hi)]
        if bad.size:
            _fail(path, f"expected every {name} in 0 to {hi - 1}, found {bad.ravel()[0]}")
    keys = np.sort(m._keys())
    if np.any(keys[1:] == keys[:-1]):
        _fail(path, "expected each (base, left, right, position) triphone once, found duplicates")


def _phones_from(n_ci: int, cd: np.ndarray) -> dict[str, np.ndarray]:
    """Phone arrays: CI phones (own base, no context, position 4) then triphones ``cd = [[wpos, b, l, r]]``."""
    ci, none = np.arange(n_ci, dtype=np.int32), np.full(n_ci, -1, dtype=np.int32)
    cd = cd.astype(np.int32).reshape(-1, 4)
    return {"base": np.r_[ci, cd[:, 1]], "lc": np.r_[none, cd[:, 2]], "rc": np.r_[none, cd[:, 3]],
            "wpos": np.r_[np.full(n_ci, _N_WPOS), cd[:, 0]].astype(np.uint8)}


def _read_binary(data: bytes, path: str) -> ModelDefinition:
    order = "<" if data[:4] == b"BMDF" else ">"

    def ints(offset: int, count: int, what: str) -> list[int]:
        if offset + 4 * count > len(data):
            _fail(path, f"truncated: expected {4 * count} bytes of {what} at byte {offset}, found {len(data) - offset}")
        return np.frombuffer(data, order + "i4", count, offset).tolist()

    version, hdr_len = ints(4, 2, "version and description length")
    if version != 1 or hdr_len < 0:
        _fail(path, f"expected format version 1 and a description length >= 0, found {version} and {hdr_len}")
    pos = 12 + hdr_len
    n_ci, n_phone, n_emit, n_ci_sen, n_sen, n_tmat, n_sseq, n_ctx, n_tree, _sil = ints(pos, 10, "header counts")
    _check_common(path, n_ci, n_phone, n_emit, n_ci_sen, n_sen, n_tmat)
    if n_ctx != 3 or not 0 < n_sseq <= n_phone or n_tree < _N_WPOS:
        _fail(path, f"expected 3 phones of context, 1 to {n_phone} senone sequences and at least {_N_WPOS} tree "
              f"nodes, found {n_ctx}, {n_sseq} and {n_tree}")
    start = pos = pos + 40
    names = []
    for i in range(n_ci):
        end = data.find(b"\0", pos)
        if end < 0:
            _fail(path, f"truncated: expected {n_ci} NUL-terminated phone names, found {i}")
        names.append(data[pos:end].decode("latin-1"))
        pos = end + 1
    if any(not s.isascii() or s.split() != [s] for s in names) or names != sorted(set(names)):
        _fail(path, f"expected distinct ASCII CI phone names in sorted order, found {names[:50]}")
    pos = start + ((pos - start + 3) & ~3)  # padded to 4 bytes, counted from the first name
    if pos + 8 * n_tree + 12 * n_phone + 4 > len(data):
        _fail(path, f"truncated: expected {n_tree} tree nodes and {n_phone} phones after byte {pos}, "
              f"found {len(data) - pos} bytes")
    tree = np.frombuffer(data, [("ctx", order + "i2"), ("n_down", order + "i2"), ("down", order + "i4")], n_tree, pos)
    pos += 8 * n_tree
    phones = np.frombuffer(data, [("ssid", order + "i4"), ("tmat", order + "i4"), ("attr", "u1", 4)], n_phone, pos)
    pos += 12 * n_phone
    (size,) = ints(pos, 1, "senone-sequence size")
    if size != n_sseq * n_emit or pos + 4 + 2 * size != len(data):
        _fail(path, f"expected {n_sseq} sequences x {n_emit} states = {n_sseq * n_emit} senone ids ending the file, "
              f"found a size field of {size} and {len(data) - pos - 4} bytes left")
    sseq = np.frombuffer(data, order + "u2", size, pos + 4).astype(np.int32).reshape(n_sseq, n_emit)
    attr = phones["attr"]
    if np.any(attr[:n_ci, 0] > 1):
        _fail(path, f"expected filler flags 0 or 1 for CI phones, found {attr[:n_ci, 0].max()}")
    m = ModelDefinition(path=path, ci_phones=names, filler=attr[:n_ci, 0].astype(bool), n_emit_state=n_emit,
                        n_sen=n_sen, n_ci_sen=n_ci_sen, n_tmat=n_tmat, sseq=sseq, **_phones_from(n_ci, attr[n_ci:]),
                        ssid=phones["ssid"].astype(np.int32), tmat=phones["tmat"].astype(np.int32))
    _check_tree(path, tree, m)
    return m


def _check_tree(path, tree: np.ndarray, m: ModelDefinition) -> None:
    """Walk the 4-level context tree: every node reached once, leaves agree with the phone table."""
    ctx, n_down, down = (tree[k].astype(np.int64) for k in ("ctx", "n_down", "down"))
    n_tree, n_ci = len(tree), m.n_ci
    seen = np.zeros(n_tree, dtype=np.int64)
    nodes, path_ctx = np.arange(_N_WPOS), []
    for level in range(4):
        seen[nodes] += 1
        c, hi = ctx[nodes], (_N_WPOS if level == 0 else n_ci)
        if np.any((c < 0) | (c >= hi)):
            _fail(path, f"expected contexts 0 to {hi - 1} on context-tree level {level}, found {c.min()} to {c.max()}")
        path_ctx.append(c)
        leaf = n_down[nodes] == 0
        if level == 3:
            break
        inner = ~leaf
        first, count = down[nodes[inner]], n_down[nodes[inner]]
        if np.any(down[nodes[leaf]] != -1) or np.any(count < 0) or np.any(first < 0) or np.any(first + count > n_tree):
            _fail(path, f"expected leaves (-1) or child ranges inside the {n_tree} nodes on context-tree level {level}")
        rep = np.repeat(np.arange(count.size), count)
        nodes = first[rep] + np.arange(rep.size) - np.repeat(np.cumsum(count) - count, count)
        path_ctx = [p[inner][rep] for p in path_ctx]
    pid = down[nodes]
    if not np.all(leaf) or np.any((pid < n_ci) | (pid >= m.n_phone)):
        _fail(path, f"expected triphone ids {n_ci} to {m.n_phone - 1} in the context tree's leaves")
    if any(np.any(a[pid] != c) for a, c in zip((m.wpos, m.base, m.lc, m.rc), path_ctx)):
        _fail(path, "expected the context tree and the phone table to agree on every triphone's contexts")
    if np.any(np.bincount(pid, minlength=m.n_phone)[n_ci:] != 1) or np.any(seen != 1):
        _fail(path, f"expected every triphone once in the context tree and each of its {n_tree} nodes reached once")


def _read_text(data: bytes, path: str) -> ModelDefinition:
    lines = (ln.split() for ln in data.decode("latin-1").splitlines() if ln.strip() and not ln.startswith("#"))
    first = next(lines, [])
    if first != ["0.3"]:
        _fail(path, f"expected the magic 'BMDF' (binary) or a first line '0.3' (text), found {' '.join(first)[:40]!r}")
    hdr: dict[str, int] = {}
    while len(hdr) < len(_TEXT_KEYS):
        words = next(lines, [])
        if len(words) != 2 or not words[0].isdigit() or words[1] not in _TEXT_KEYS:
            _fail(path, f"expected '<count> <name>' header lines for {', '.join(_TEXT_KEYS)}, found {' '.join(words)!r}")
        hdr[words[1]] = int(words[0])
    n_ci, n_phone = hdr["n_base"], hdr["n_base"] + hdr["n_tri"]
    n_emit = hdr["n_state_map"] // max(n_phone, 1) - 1
    if n_phone == 0 or (n_emit + 1) * n_phone != hdr["n_state_map"]:
        _fail(path, f"expected n_state_map = phones ({n_phone}) x (states + 1), found {hdr['n_state_map']}")
    _check_common(path, n_ci, n_phone, n_emit, hdr["n_tied_ci_state"], hdr["n_tied_state"], hdr["n_tied_tmat"])
    rows = [next(lines, []) for _ in range(n_phone)]
    bad = next((i for i, r in enumerate(rows) if len(r) != 7 + n_emit or r[-1] != "N"), None)
    if bad is not None:
        _fail(path, f"expected phone {bad} as 'base left right position attrib tmat' + {n_emit} senones + 'N', "
              f"found {' '.join(rows[bad])[:80]!r}")
    if next(lines, None) is not None:
        _fail(path, f"expected {n_phone} phone lines, found more")
    names = [r[0] for r in rows[:n_ci]]
    if names != sorted(set(names)) or any(r[1:4] != ["-", "-", "-"] for r in rows[:n_ci]):
        _fail(path, "expected distinct CI phones in sorted order, with '- - -' as contexts and position")
    index, attrib = {s: i for i, s in enumerate(names)}, [r[4] for r in rows]
    try:
        cd = np.array([["ibes".index(r[3]), index[r[0]], index[r[1]], index[r[2]]] for r in rows[n_ci:]], np.int64)
        nums = np.array([[int(x) for x in r[5:-1]] for r in rows], np.int64)
    except (KeyError, ValueError):
        _fail(path, "expected triphone lines with known phone names, a position among i/b/e/s and integer ids")
    if np.any(nums < 0) or np.any(nums >= 1 << 31) or any(len(r[3]) != 1 for r in rows[n_ci:]):
        _fail(path, "expected single-letter positions and non-negative transition-matrix and senone ids")
    if any(a not in ("filler", "n/a") for a in attrib):
        _fail(path, "expected the attribute 'filler' or 'n/a' on every phone")
    filler = np.array([a == "filler" for a in attrib])
    if cd.size and np.any(filler[cd[:, 1]] != filler[n_ci:]):
        _fail(path, "expected every triphone to have its base phone's filler attribute")
    uniq, ssid = np.unique(nums[:, 1:], axis=0, return_inverse=True)
    first = np.full(len(uniq), n_phone)
    np.minimum.at(first, ssid.ravel(), np.arange(n_phone))
    rank = np.argsort(np.argsort(first))  # sequences numbered in order of first use, like PocketSphinx
    sseq = np.empty_like(uniq)
    sseq[rank] = uniq
    return ModelDefinition(path=path, ci_phones=names, filler=filler[:n_ci], n_emit_state=n_emit,
                           n_sen=hdr["n_tied_state"], n_ci_sen=hdr["n_tied_ci_state"], n_tmat=hdr["n_tied_tmat"],
                           sseq=sseq.astype(np.int32), **_phones_from(n_ci, cd),
                           ssid=rank[ssid.ravel()].astype(np.int32), tmat=nums[:, 0].astype(np.int32))
