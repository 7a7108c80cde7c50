"""Mixture weights of a Sphinx model: the quantised ``sendump`` and the float ``mixture_weights``.

**sendump** (what PocketSphinx ships; read like ``read_sendump`` in
``ptm_mgau.c`` / ``s2_semi_mgau.c``). No S3 header. A sequence of
``int32 length`` + ``length`` bytes strings: a title and a header (both
NUL-terminated), then any number of ``key value`` strings (``feature_count``,
``mixture_count``, ``model_count``, ``cluster_count``, ``cluster_bits``), ended
by a length of 0. The byte order is guessed from the title length (1 to 999).
Then, without clusters (``cluster_count 0``): ``int32 rows`` (Gaussians) and
``int32 columns`` (senones), and the weights **transposed**, one ``uint8`` per
senone, row after row: ``w[feature][gaussian][senone]``. With a 16-entry
cluster codebook (``cluster_count 15`` or ``16``; 15 means 16) the codebook
bytes come first and each value is a 4-bit index into it (two senones per byte:
the low nibble for even senones, the high nibble for odd ones, as in
``s2_semi_mgau.c``; ``ptm_mgau.c`` tests the parity of the byte instead of the
senone, which looks like a bug there).

Each byte ``q`` is a negated log weight in PocketSphinx's fixed point: base
``1.0001`` (``-logbase``) shifted right by 10 bits (``SENSCR_SHIFT``), i.e.
``q = -(trunc(log_b w) >> 10)`` as ``read_mixw`` quantises float weights, so
``q`` stands for ``log_b w`` in ``[-1024 q, -1024 (q - 1))``. PocketSphinx's
scorer uses the lower end (``ln w = -q * 1024 * ln(1.0001) = -0.10240 q``);
this module returns the bin centre by default, ``ln w = -(q - 1/2) * 0.10240``
(``q = 0`` gives ``ln w = 0``). Measured on the ``en-us`` sendump (5,126
senones x 3 streams), ``sum(exp(ln w))`` over a senone's 128 Gaussians is 0.957
to 1.041 (mean 1.0006, median 1.0005) with the centre, and 0.910 to 0.989
(mean 0.951) with PocketSphinx's value (``dequantize="pocketsphinx"``, a
constant -0.0512 nats per stream): the file was quantised by truncation as
above. The largest byte there is 158, i.e. weights floored at 1e-7.

**mixture_weights** (S3 file, :mod:`.s3file`): ``int32 n_sen, n_feat,
n_density``, array size, then ``float32`` counts ``[senone][feature][gaussian]``;
each vector is normalised, floored at ``-mixwfloor`` (default 1e-7) and
normalised again, as ``read_mixw`` does.
"""

from __future__ import annotations

import math
import os
from typing import Literal, NoReturn

import numpy as np

from .s3file import invalid_model_file, read_bytes, read_s3_file

__all__ = ["read_sendump", "read_mixture_weights", "MIXWFLOOR"]

#: PocketSphinx's default ``-mixwfloor``.
MIXWFLOOR = 1e-7
_KEYS = ("feature_count", "mixture_count", "model_count", "cluster_count", "cluster_bits")


def read_sendump(
    path: str | os.PathLike,
    *,
    n_sen: int | None = None,
    n_feat: int | None = None,
    n_density: int | None = None,
    logbase: float = 1.0001,
    shift: int = 10,
    dequantize: Literal["center", "pocketsphinx"] = "center",
) -> np.ndarray:
    """Read a quantised ``sendump`` into natural-log mixture weights.

    Parameters
    ----------
    path : path
        The ``sendump`` file.
    n_sen, n_feat, n_density : int, optional
        Expected senones, streams, Gaussians (from the mdef and the codebooks);
        checked against the file, needed only when the file does not say.
    logbase, shift : float, int
        PocketSphinx's ``-logbase`` (1.0001) and the 10-bit shift of 8-bit scores.
    dequantize : {"center", "pocketsphinx"}
        Map a byte to the centre of its quantisation bin (default) or to the
        value PocketSphinx's scorer uses (see the module docstring).

    Returns
    -------
    numpy.ndarray of float32, shape (n_sen, n_feat, n_density)
        ``ln`` of the weights (finite: the format cannot store a zero weight).

    Raises
    ------
    ModelFileError
        Truncated or inconsistent file, or counts that differ from the expected ones.
    """
    if dequantize not in ("center", "pocketsphinx"):
        raise ValueError(f"dequantize must be 'center' or 'pocketsphinx', not {dequantize!r}")
    data = read_bytes(path, "senone dump (sendump)")

    def fail(message: str) -> NoReturn:
        invalid_model_file(path, "PocketSphinx sendump file", message)

    pos = 0

    def int32() -> int:
        nonlocal pos
        if pos + 4 > len(data):
            fail(f"truncated: expected a 4-byte integer at byte {pos}, found {len(data) - pos} bytes")
        pos += 4
        return int.from_bytes(data[pos - 4 : pos], order, signed=True)

    order = "little"
    first = int32()
    if not 1 <= first <= 999:
        order, pos = "big", 0
        if not 1 <= int32() <= 999:
            fail(f"expected a title length of 1 to 999 bytes in either byte order, found {first}")
    pos = 0
    fields: dict[str, int] = {}
    for i in range(1 << 16):
        n = int32()
        if n == 0 and i >= 2:
            break
        if not 0 < n <= len(data) - pos:
            fail(f"expected a header string of 1 to {len(data) - pos} bytes at byte {pos - 4}, found length {n}")
        text = data[pos : pos + n]
        pos += n
        if i < 2 and not text.endswith(b"\0"):
            fail("expected the title and header strings to end with a NUL byte")
        key, _, value = text.rstrip(b"\0").decode("latin-1").partition(" ")
        if key in _KEYS:
            try:
                fields[key] = int(value.split()[0])
            except (ValueError, IndexError):
                fail(f"expected an integer after {key!r}, found {value[:20]!r}")
    else:
        fail("expected the header strings to end with a zero length, found none")
    n_clust, n_bits = fields.get("cluster_count", 0), fields.get("cluster_bits", 8)
    if n_clust not in (0, 15, 16) or n_bits not in (4, 8) or (n_bits == 4) != (n_clust != 0):
        fail(f"expected cluster_count 0 with 8-bit values or 15/16 with 4-bit values, found {n_clust} and {n_bits}")
    file_sen = fields.get("model_count")
    if n_clust == 0:
        rows, cols = int32(), int32()
        if file_sen is not None and cols < file_sen:
            fail(f"expected at least model_count = {file_sen} columns, found {cols}")
        file_sen = cols if file_sen is None else file_sen
        step = cols
    else:
        rows, cols = fields.get("mixture_count", n_density), file_sen if file_sen is not None else n_sen
        if rows is None or cols is None:
            fail("a clustered sendump needs mixture_count and model_count (or pass n_density and n_sen)")
        step = (cols + 1) // 2
    for name, found, expected in (("Gaussians (rows)", rows, n_density), ("senones", file_sen, n_sen),
                                  ("feature streams", fields.get("feature_count"), n_feat),
                                  ("Gaussians (rows)", rows, fields.get("mixture_count"))):
        if expected is not None and found is not None and found != expected:
            fail(f"expected {expected} {name} (from the header, model definition or codebooks), found {found}")
    if not (0 < rows <= 1 << 16 and 0 < cols < 1 << 24):
        fail(f"expected positive Gaussian and senone counts, found {rows} and {cols}")
    n_sen = cols if file_sen is None else file_sen
    cb = np.frombuffer(data[pos : pos + 16], np.uint8) if n_clust else None
    if n_clust and cb.size != 16:
        fail(f"truncated: expected a 16-byte cluster codebook at byte {pos}, found {cb.size} bytes")
    pos += 16 if n_clust else 0
    left, row_bytes = len(data) - pos, rows * step
    feats = fields.get("feature_count", n_feat)
    if feats is None:
        feats = left // row_bytes if left % row_bytes == 0 else -1
    if not 0 < feats <= 64 or left != feats * row_bytes:
        fail(f"expected {feats} streams x {rows} Gaussians x {step} bytes = {feats * row_bytes} bytes of weights "
             f"after byte {pos}, found {left}")
    raw = np.frombuffer(data, np.uint8, feats * row_bytes, pos).reshape(feats, rows, step)
    if n_clust:
        sen = np.arange(n_sen)
        nib = np.where(sen & 1, raw[:, :, sen // 2] >> 4, raw[:, :, sen // 2] & 0x0F)
        q = cb[nib]
    else:
        q = raw[:, :, :n_sen]
    codes = np.arange(256, dtype=np.float64)  # byte -> ln weight, then one gather into (n_sen, n_feat, n_density)
    if dequantize == "center":
        codes = np.maximum(codes - 0.5, 0.0)
    table = (-codes * ((1 << shift) * math.log(logbase))).astype(np.float32)
    return table[np.ascontiguousarray(q.transpose(2, 0, 1))]


def read_mixture_weights(path: str | os.PathLike, *, mixwfloor: float = MIXWFLOOR) -> np.ndarray:
    """Read a float ``mixture_weights`` S3 file into normalised natural-log weights.

    Parameters
    ----------
    path : path
        The file.
    mixwfloor : float
        Floor applied between two normalisations (PocketSphinx's ``-mixwfloor``);
        with 0, zero weights stay zero and come out as ``-inf``.

    Returns
    -------
    numpy.ndarray of float32, shape (n_sen, n_feat, n_density)

    Raises
    ------
    ModelFileError
        Corrupt file, negative or non-finite counts, or a vector that is all
        zeros with ``mixwfloor = 0``.
    """
    if not mixwfloor >= 0:
        raise ValueError(f"mixwfloor must be >= 0, not {mixwfloor}")
    r = read_s3_file(path, "mixture weights")
    n_sen, n_feat, n_comp = (r.int32(name) for name in ("number of senones", "number of streams", "number of Gaussians"))
    for name, n in (("senones", n_sen), ("streams", n_feat), ("Gaussians", n_comp)):
        if n <= 0:
            r.fail(f"expected a positive number of {name}, found {n}")
    w = r.nonnegative_array("mixture-weight", (n_sen, n_feat, n_comp),
                            f"{n_sen} senones x {n_feat} streams x {n_comp} Gaussians")
    sums = w.sum(axis=-1, keepdims=True)
    w = np.where(sums > 0, w / np.where(sums > 0, sums, 1.0), w)
    w = np.maximum(w, mixwfloor)
    sums = w.sum(axis=-1, keepdims=True)
    if np.any(sums <= 0):
        s, f = np.argwhere(sums[..., 0] <= 0)[0]
        r.fail(f"senone {s} stream {f} has only zero weights; load it with mixwfloor > 0")
    with np.errstate(divide="ignore"):
        return np.log(w / sums).astype(np.float32)
