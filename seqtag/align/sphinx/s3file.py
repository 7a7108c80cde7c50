"""The Sphinx-3 binary file container (``means``, ``variances``, ``mixture_weights``, ...).

Layout, as written by SphinxTrain and read by PocketSphinx:

1. a text header: the line ``s3``, then ``key value`` lines (``#`` lines are
   comments), then a line ``endhdr`` (SphinxTrain pads it with spaces so that
   the data is 4-byte aligned). An older variant has the version alone on the
   first line and ends the header at a line ``*end_comment*``;
2. the ``uint32`` byte-order magic ``0x11223344``: reading it as little-endian
   gives ``0x11223344`` for a little-endian file and ``0x44332211`` for a
   big-endian one; anything else is not an S3 file;
3. the payload, a sequence of typed arrays (``int32`` counts, ``float32``
   values), all in the file's byte order;
4. when the header has ``chksum0`` (any value), a ``uint32`` checksum of every
   value read: ``sum = rotl(sum, 5 * size) + value`` (mod 2**32) over the
   values' unsigned bit patterns, ``size`` being the value's byte size;
5. nothing after that.

:class:`S3Reader` reads the payload step by step and checks every length, so a
truncated or inconsistent file raises :class:`~seqtag.exceptions.ModelFileError`.
:func:`write_s3_file` writes the same layout (used by the tests).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import numpy as np

from ...exceptions import ModelFileError

__all__ = ["S3_MAGIC", "S3Reader", "read_s3_file", "s3_checksum", "write_s3_file"]

#: Byte-order magic written after the header.
S3_MAGIC = 0x11223344
_MASK = 0xFFFFFFFF
_ROTATE = {1: 5, 2: 10, 4: 20}  # bits rotated per value, by value size


def invalid_model_file(path, what: str, message: str) -> NoReturn:
    """Raise :class:`ModelFileError`: ``path`` is not a valid Sphinx ``what`` file, and how to repair it."""
    raise ModelFileError(
        f"{path}: not a valid {what}: {message}. "
        "Re-install or re-download the acoustic model (e.g. `pip install --force-reinstall pocketsphinx`)."
    )


def read_bytes(path: str | os.PathLike, what: str) -> bytes:
    """Whole content of ``path``; an unreadable file is a :class:`ModelFileError`.

    Parameters
    ----------
    path : path
        File to read.
    what : str
        What the file should hold (for the message), e.g. ``"Gaussian means"``.

    Returns
    -------
    bytes
    """
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ModelFileError(
            f"{path}: cannot read the {what} file ({exc.strerror or exc}); "
            "check that the acoustic-model folder is complete."
        ) from None


def s3_checksum(values: np.ndarray, start: int = 0) -> int:
    """Continue the S3 checksum ``start`` over ``values`` (1-, 2- or 4-byte items).

    Parameters
    ----------
    values : numpy.ndarray
        Values in native byte order; their unsigned bit patterns are summed.
    start : int
        Checksum so far.

    Returns
    -------
    int
        The checksum, in ``[0, 2**32)``.

    Examples
    --------
    >>> s3_checksum(np.array([1, 2], dtype=np.int32))
    1048578
    """
    arr = np.ascontiguousarray(values)
    size = arr.dtype.itemsize
    if size not in _ROTATE:
        raise ValueError(f"S3 checksums cover 1-, 2- or 4-byte values, not {size}-byte ones")
    left = _ROTATE[size]
    right = 32 - left
    s = int(start)
    for v in arr.view(f"u{size}").ravel().tolist():
        s = ((((s << left) | (s >> right)) & _MASK) + v) & _MASK
    return s


class S3Reader:
    """Sequential reader of an S3 file's payload.

    Parameters
    ----------
    data : bytes
        The whole file.
    path : path
        File name, for messages.
    what : str
        What the file holds, for messages (``"transition matrices"``).

    Attributes
    ----------
    header : dict of str to str
        The ``key value`` header lines (``version``, ``chksum0``, ...).
    byteorder : {"<", ">"}
        Byte order of the payload.
    offset : int
        Position of the next unread byte.
    """

    def __init__(self, data: bytes, path: str | os.PathLike, what: str) -> None:
        self.data = data
        self.path = str(path)
        self.what = what
        self.header: dict[str, str] = {}
        self._checksum = 0
        pos = self._parse_header()
        if len(data) < pos + 4:
            self.fail(f"expected the 4-byte byte-order magic 0x{S3_MAGIC:08x} at byte {pos}, found end of file")
        magic = int.from_bytes(data[pos : pos + 4], "little")
        if magic == S3_MAGIC:
            self.byteorder = "<"
        elif int.from_bytes(data[pos : pos + 4], "big") == S3_MAGIC:
            self.byteorder = ">"
        else:
            self.fail(f"expected the byte-order magic 0x{S3_MAGIC:08x} after the header, found 0x{magic:08x}")
        self.offset = pos + 4

    @property
    def has_checksum(self) -> bool:
        """Whether the header announces a checksum (``chksum0``)."""
        return "chksum0" in self.header

    def fail(self, message: str) -> NoReturn:
        """Raise :class:`ModelFileError` naming the file and what it should hold."""
        invalid_model_file(self.path, f"Sphinx {self.what} file", message)

    def _parse_header(self) -> int:
        data = self.data
        first_end = data.find(b"\n")
        if first_end < 0:
            self.fail("expected a text header starting with the line 's3', found no line break")
        first = data[:first_end].decode("latin-1").strip()
        pos = first_end + 1
        if first != "s3":  # old format: version line, free comment, '*end_comment*'
            if not first or len(first.split()) != 1 or not first[0].isdigit():
                self.fail(f"expected the header line 's3' (or a version number), found {first[:40]!r}")
            self.header["version"] = first
            end = data.find(b"*end_comment*\n", pos)
            if end < 0:
                self.fail("expected the old-style header to end with a line '*end_comment*', found none")
            return end + len(b"*end_comment*\n")
        while True:
            end = data.find(b"\n", pos)
            if end < 0:
                self.fail("expected the header to end with a line 'endhdr', found end of file")
            words = data[pos:end].decode("latin-1").split()
            pos = end + 1
            if not words:
                self.fail("expected 'key value' lines in the header, found an empty line")
            if words[0] == "endhdr":
                return pos
            if words[0].startswith("#"):
                continue
            if len(words) < 2:
                self.fail(f"expected 'key value' in the header, found {words[0][:40]!r} without a value")
            if len(self.header) >= 32:
                self.fail("expected at most 32 header lines, found more")
            self.header[words[0]] = words[1]

    def _take(self, dtype: str, count: int, name: str) -> np.ndarray:
        dt = np.dtype(dtype).newbyteorder(self.byteorder)
        if count < 0:
            self.fail(f"expected a non-negative number of {name}, found {count}")
        need = count * dt.itemsize
        left = len(self.data) - self.offset
        if need > left:
            self.fail(
                f"truncated: expected {count} {dt.itemsize}-byte values ({need} bytes) for {name} "
                f"at byte {self.offset}, found only {left} bytes"
            )
        arr = np.frombuffer(self.data, dtype=dt, count=count, offset=self.offset).astype(dt.newbyteorder("="))
        self.offset += need
        if self.has_checksum and count:
            self._checksum = s3_checksum(arr, self._checksum)
        return arr

    def int32(self, name: str, count: int | None = None) -> int | np.ndarray:
        """Read one ``int32`` (``count=None``) or an array of ``count`` of them.

        Parameters
        ----------
        name : str
            What the value means, for messages (``"number of codebooks"``).
        count : int or None
            Number of values; ``None`` for a single Python ``int``.

        Returns
        -------
        int or numpy.ndarray
        """
        arr = self._take("i4", 1 if count is None else count, name)
        return int(arr[0]) if count is None else arr

    def float32(self, name: str, count: int) -> np.ndarray:
        """Read ``count`` ``float32`` values (native byte order)."""
        return self._take("f4", count, name)

    def uint8(self, name: str, count: int) -> np.ndarray:
        """Read ``count`` bytes as ``uint8``."""
        return self._take("u1", count, name)

    def nonnegative_array(self, name: str, dims: tuple[int, ...], shape: str) -> np.ndarray:
        """The float32 array after its ``int32`` size, as float64 of shape ``dims``; the file ends there.

        Raises :class:`ModelFileError` unless the values are finite and non-negative.
        """
        total = int(np.prod(dims))
        self.array_size(name, total, shape)
        out = self.float32(f"{name} values", total).reshape(dims).astype(np.float64)
        self.finish()
        if not np.all(np.isfinite(out)) or np.any(out < 0):
            self.fail(f"expected finite, non-negative {name} values")
        return out

    def array_size(self, name: str, expected: int, shape: str) -> None:
        """Read the ``int32`` element count that precedes an array and check it.

        Parameters
        ----------
        name : str
            What the array holds.
        expected : int
            Product of the dimensions read before.
        shape : str
            The dimensions, for the message (``"42 x 3 x 128 x 39"``).
        """
        n = self.int32(f"size of the {name} array")
        if n != expected:
            self.fail(f"expected the {name} array to hold {shape} = {expected} values, its size field says {n}")

    def finish(self) -> None:
        """Check the checksum (if announced) and that nothing follows the data."""
        if self.has_checksum:
            left = len(self.data) - self.offset
            if left < 4:
                self.fail(f"truncated: expected a 4-byte checksum at byte {self.offset}, found {left} bytes")
            stored = int.from_bytes(self.data[self.offset : self.offset + 4], "little" if self.byteorder == "<" else "big")
            self.offset += 4
            if stored != self._checksum:
                self.fail(f"checksum mismatch: the file says 0x{stored:08x}, the data gives 0x{self._checksum:08x}")
        extra = len(self.data) - self.offset
        if extra:
            self.fail(f"expected the file to end at byte {self.offset}, found {extra} more bytes")


def read_s3_file(path: str | os.PathLike, what: str) -> S3Reader:
    """Open an S3 file and read its header and byte-order magic.

    Parameters
    ----------
    path : path
        The file.
    what : str
        What it should hold, for messages.

    Returns
    -------
    S3Reader
        Positioned at the first payload value.

    Raises
    ------
    ModelFileError
        Unreadable file, bad header or magic.
    """
    return S3Reader(read_bytes(path, what), path, what)


def write_s3_file(
    path: str | os.PathLike,
    arrays: list[np.ndarray],
    *,
    header: dict[str, str] | None = None,
    byteorder: str = "<",
    checksum: bool = True,
) -> None:
    """Write ``arrays`` (``int32``/``float32``/``uint8``) in the S3 container.

    Parameters
    ----------
    path : path
        Output file.
    arrays : list of numpy.ndarray
        Payload pieces, written one after another (flattened, C order).
    header : dict of str to str, optional
        Header lines; default ``{"version": "1.0"}``.
    byteorder : {"<", ">"}
        Byte order of the magic and the payload.
    checksum : bool
        Add ``chksum0 yes`` and the trailing checksum.

    Examples
    --------
    >>> import tempfile, os
    >>> f = os.path.join(tempfile.mkdtemp(), "x")
    >>> write_s3_file(f, [np.array([2], np.int32), np.array([0.5, 1.5], np.float32)])
    >>> r = read_s3_file(f, "test")
    >>> r.int32("count"), r.float32("values", 2).tolist()
    (2, [0.5, 1.5])
    >>> r.finish()
    """
    if byteorder not in ("<", ">"):
        raise ValueError(f"byteorder must be '<' or '>', not {byteorder!r}")
    fields = dict(header or {"version": "1.0"})
    if checksum:
        fields["chksum0"] = "yes"
    text = "s3\n" + "".join(f"{k} {v}\n" for k, v in fields.items())
    pad = (-(len(text) + len("endhdr\n"))) % 4
    out = [(text + " " * pad + "endhdr\n").encode("latin-1")]
    out.append(np.array([S3_MAGIC], dtype=np.uint32).astype(np.dtype("u4").newbyteorder(byteorder)).tobytes())
    total = 0
    for arr in arrays:
        arr = np.ascontiguousarray(arr)
        total = s3_checksum(arr, total)
        out.append(arr.astype(arr.dtype.newbyteorder(byteorder)).tobytes())
    if checksum:
        out.append(np.array([total], dtype=np.dtype("u4").newbyteorder(byteorder)).tobytes())
    Path(path).write_bytes(b"".join(out))
