"""Gaussian codebooks of a Sphinx model: the ``means`` and ``variances`` S3 files.

Both files hold, after the S3 header (:mod:`.s3file`): ``int32 n_mgau`` (codebooks),
``int32 n_feat`` (feature streams), ``int32 n_density`` (Gaussians per codebook
and stream), ``int32 veclen[n_feat]`` (dimensions of each stream), ``int32``
array size ``n_mgau * n_density * sum(veclen)``, then the ``float32`` values in
the order codebook, stream, Gaussian, dimension, then the checksum.

Streams of different lengths are padded to the longest one (means 0,
variances 1, precisions 0) so that every array is rectangular; ``veclen`` tells
the real lengths. The PocketSphinx ``en-us`` model has 3 streams of 13.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ...exceptions import ModelFileError
from .s3file import read_s3_file

__all__ = ["GaussianCodebooks", "load_codebooks", "read_gauden"]

#: PocketSphinx's default ``-varfloor``.
VARFLOOR = 1e-4


def read_gauden(path: str | os.PathLike, what: str = "Gaussian parameters") -> tuple[np.ndarray, np.ndarray]:
    """Read a ``means`` or ``variances`` file as stored (no flooring).

    Parameters
    ----------
    path : path
        The file.
    what : str
        What it holds, for messages (``"Gaussian means"``).

    Returns
    -------
    values : numpy.ndarray of float32, shape (n_mgau, n_feat, n_density, max(veclen))
        Padded with 0 beyond a stream's length.
    veclen : numpy.ndarray of int32, shape (n_feat,)
        Dimensions of each stream.

    Raises
    ------
    ModelFileError
        Bad header, counts that do not match, truncation, non-finite values.
    """
    r = read_s3_file(path, what)
    n_mgau = r.int32("number of codebooks")
    n_feat = r.int32("number of feature streams")
    n_density = r.int32("number of Gaussians per codebook")
    for name, n in (("codebooks", n_mgau), ("feature streams", n_feat), ("Gaussians per codebook", n_density)):
        if not 0 < n <= 1 << 20:
            r.fail(f"expected a positive number of {name}, found {n}")
    veclen = r.int32("stream lengths", n_feat)
    if np.any(veclen <= 0) or np.any(veclen > 1 << 16):
        r.fail(f"expected positive stream lengths, found {veclen.tolist()}")
    blk = int(veclen.sum())
    total = n_mgau * n_density * blk
    r.array_size("Gaussian", total, f"{n_mgau} codebooks x {n_density} Gaussians x {blk} dimensions")
    flat = r.float32("Gaussian values", total)
    r.finish()
    if not np.all(np.isfinite(flat)):
        r.fail(f"expected finite values, found {int(np.sum(~np.isfinite(flat)))} NaN or infinite ones")
    values = np.zeros((n_mgau, n_feat, n_density, int(veclen.max())), dtype=np.float32)
    per_cb = flat.reshape(n_mgau, n_density * blk)
    start = 0
    for f, length in enumerate(veclen.tolist()):
        stop = start + n_density * length
        values[:, f, :, :length] = per_cb[:, start:stop].reshape(n_mgau, n_density, length)
        start = stop
    return values, veclen.astype(np.int32)


class CodebookShape:
    """``n_mgau``, ``n_feat`` and ``n_density`` of anything holding ``means`` (n_mgau, n_feat, n_density, dim)."""

    means: np.ndarray

    @property
    def n_mgau(self) -> int:
        """Number of codebooks."""
        return int(self.means.shape[0])

    @property
    def n_feat(self) -> int:
        """Number of feature streams."""
        return int(self.means.shape[1])

    @property
    def n_density(self) -> int:
        """Gaussians per codebook and stream."""
        return int(self.means.shape[2])


@dataclass(eq=False)
class GaussianCodebooks(CodebookShape):
    """Diagonal Gaussians of a Sphinx model, ready for scoring.

    The log density of frame stream ``x`` (natural log) under Gaussian
    ``(m, f, d)`` is ``log_norm[m, f, d] - 0.5 * sum(precision * (x - mean) ** 2)``
    over the stream's dimensions.

    Attributes
    ----------
    means, variances, precisions : numpy.ndarray of float32, shape (n_mgau, n_feat, n_density, max(veclen))
        Variances are floored (see :func:`load_codebooks`); ``precisions = 1 / variances``,
        0 in the padding of short streams.
    log_norm : numpy.ndarray of float32, shape (n_mgau, n_feat, n_density)
        ``-0.5 * sum(log(2 * pi * variance))`` over the stream's real dimensions.
    veclen : numpy.ndarray of int32, shape (n_feat,)
        Dimensions of each stream.
    varfloor : float
        Floor that was applied.
    n_floored : int
        How many variance values were raised to the floor.
    """

    means: np.ndarray
    variances: np.ndarray
    precisions: np.ndarray
    log_norm: np.ndarray
    veclen: np.ndarray
    varfloor: float
    n_floored: int


def load_codebooks(
    means_path: str | os.PathLike, variances_path: str | os.PathLike, *, varfloor: float = VARFLOOR
) -> GaussianCodebooks:
    """Read means and variances, floor the variances and precompute the scorer's terms.

    The floor follows PocketSphinx's ``gauden_dist_precompute``: every variance
    below ``varfloor`` (``-varfloor``, default 0.0001) becomes ``varfloor``;
    means are left alone. This matters for the PocketSphinx ``en-us`` model:
    222 of its variances are below the floor, 208 of them the all-zero
    variances of 16 degenerate Gaussians (log normaliser +47.9 after flooring).

    Parameters
    ----------
    means_path, variances_path : path
        The ``means`` and ``variances`` files.
    varfloor : float
        Variance floor, > 0.

    Returns
    -------
    GaussianCodebooks

    Raises
    ------
    ModelFileError
        Unreadable or corrupt files, or files whose shapes differ.
    ValueError
        ``varfloor <= 0``.
    """
    if not varfloor > 0:
        raise ValueError(f"varfloor must be > 0, not {varfloor}")
    means, veclen = read_gauden(means_path, "Gaussian means")
    variances, vlen = read_gauden(variances_path, "Gaussian variances")
    if means.shape != variances.shape or not np.array_equal(veclen, vlen):
        raise ModelFileError(
            f"{variances_path}: the variances do not match the means in {means_path}: expected codebooks x streams x "
            f"Gaussians {means.shape[:3]} with stream lengths {veclen.tolist()}, found {variances.shape[:3]} with "
            f"{vlen.tolist()}. Both files must come from the same acoustic model."
        )
    real = np.arange(means.shape[3])[None, :] < veclen[:, None]  # (n_feat, max_len)
    real = np.broadcast_to(real[None, :, None, :], means.shape)
    low = real & (variances < varfloor)
    n_floored = int(low.sum())
    variances = np.where(low, np.float32(varfloor), variances)
    variances = np.where(real, variances, np.float32(1.0)).astype(np.float32)
    precisions = np.where(real, 1.0 / variances, 0.0).astype(np.float32)
    log_norm = -0.5 * np.where(real, np.log(2.0 * np.pi * variances.astype(np.float64)), 0.0).sum(axis=-1)
    return GaussianCodebooks(
        means=means, variances=variances, precisions=precisions, log_norm=log_norm.astype(np.float32),
        veclen=veclen, varfloor=float(varfloor), n_floored=n_floored,
    )
