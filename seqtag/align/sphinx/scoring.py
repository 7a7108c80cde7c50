"""Senone scores of a Sphinx acoustic model on feature frames (top-N Gaussian selection).

:class:`SenoneScorer` turns ``(T, 39)`` features (:func:`~seqtag.align.sphinx.frontend.sphinx_frontend`)
into the per-frame log likelihoods of any set of senones:

1. every Gaussian of every codebook, per feature stream, with one float32 matrix product
   ``[x, x^2, 1] @ [mu / var; -1 / 2 var; c]`` (``log N(x)``; float32 costs at most about
   1e-3 nats on the densities that can enter a top-N, a tenth of the float64 product's time);
2. the ``topn`` best Gaussians of each (frame, codebook, stream) (numba);
3. each senone's mixture over its codebook's top-N Gaussians, summed over streams (numba).

The kernels are in :mod:`seqtag.align.sphinx._scoring`.
"""

from __future__ import annotations

import numpy as np

from ...exceptions import InputError
from . import _scoring as _k

__all__ = ["SenoneScorer", "TopN"]

_CHUNK = 512  # frames per matrix product (bounds the (frames, Gaussians) temporary)


class TopN:
    """The top-N Gaussians of every (frame, codebook, stream).

    Attributes
    ----------
    vals : ndarray (T, n_cb, n_feat, N) float32
        Log densities, best first.
    idx : ndarray (T, n_cb, n_feat, N) int16
        Gaussian indices within the codebook.
    """

    def __init__(self, vals: np.ndarray, idx: np.ndarray):
        self.vals = vals
        self.idx = idx

    def __len__(self) -> int:
        return int(self.vals.shape[0])

    def slice(self, t0: int, t1: int) -> TopN:
        """Frames ``t0 .. t1 - 1``."""
        return TopN(self.vals[t0:t1], self.idx[t0:t1])


class SenoneScorer:
    """Log likelihoods of the senones of a Sphinx model.

    Parameters
    ----------
    model : SphinxModel
    topn : int, default 4
        Gaussians per codebook and stream that enter a senone's mixture (PocketSphinx's ``-topn``).
    means : ndarray or None
        Codebook means to use instead of the model's (e.g. MAP-adapted), same shape as
        ``model.means``.

    Examples
    --------
    >>> from seqtag.align.sphinx import load_sphinx_model  # doctest: +SKIP
    >>> scorer = SenoneScorer(load_sphinx_model())  # doctest: +SKIP
    >>> scorer.scores(scorer.top_n(feats), np.arange(10)).shape  # doctest: +SKIP
    (412, 10)
    """

    def __init__(self, model, topn: int = 4, means: np.ndarray | None = None):
        if isinstance(topn, bool) or not isinstance(topn, (int, np.integer)) or not 1 <= topn <= model.n_density:
            raise InputError(f"topn must be an int in [1, {model.n_density}], got {topn!r}")
        self.model = model
        self.topn = int(topn)
        mu_all = model.means if means is None else np.asarray(means)
        if mu_all.shape != model.means.shape:
            raise InputError(f"means must have shape {model.means.shape}, got {mu_all.shape}")
        C, F, D, _ = model.means.shape
        self.n_cb, self.n_feat, self.n_den = C, F, D
        self.lengths = [int(v) for v in model.veclen]
        self.starts = np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.int64)
        self._proj = []
        for f, L in enumerate(self.lengths):
            mu = mu_all[:, f, :, :L].reshape(C * D, L).astype(np.float64)
            prec = model.precisions[:, f, :, :L].reshape(C * D, L).astype(np.float64)
            const = model.log_norm[:, f, :].reshape(C * D).astype(np.float64) - 0.5 * np.sum(mu * mu * prec, axis=1)
            proj = np.concatenate([mu * prec, -0.5 * prec, const[:, None]], axis=1).T  # (2L + 1, C * D)
            self._proj.append(np.ascontiguousarray(proj, dtype=np.float32))
        with np.errstate(under="ignore"):
            self.weights = np.exp(model.log_mixw).astype(np.float32)
        self.sen_cb = np.ascontiguousarray(model.senone_codebook, dtype=np.int64)

    @property
    def dim(self) -> int:
        """Feature dimensions (sum of the stream lengths)."""
        return int(sum(self.lengths))

    def top_n(self, feats: np.ndarray) -> TopN:
        """The top-N Gaussians of every frame of ``feats`` (T, dim)."""
        x = np.asarray(feats, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != self.dim:
            raise InputError(f"features must have shape (frames, {self.dim}), got {x.shape}")
        T, N = x.shape[0], self.topn
        vals = np.empty((T, self.n_cb, self.n_feat, N), dtype=np.float32)
        idx = np.empty((T, self.n_cb, self.n_feat, N), dtype=np.int16)
        v_f = np.empty((min(T, _CHUNK), self.n_cb, N), dtype=np.float32)
        i_f = np.empty((min(T, _CHUNK), self.n_cb, N), dtype=np.int16)
        for t0 in range(0, T, _CHUNK):
            t1 = min(T, t0 + _CHUNK)
            for f, L in enumerate(self.lengths):
                xs = x[t0:t1, self.starts[f]: self.starts[f] + L]
                dens = np.concatenate([xs, xs * xs, np.ones((t1 - t0, 1), np.float32)], axis=1) @ self._proj[f]
                _k.top_n(dens, self.n_cb, self.n_den, v_f[: t1 - t0], i_f[: t1 - t0])
                vals[t0:t1, :, f] = v_f[: t1 - t0]
                idx[t0:t1, :, f] = i_f[: t1 - t0]
        return TopN(vals, idx)

    def scores(self, top: TopN, senones) -> np.ndarray:
        """``(T, len(senones))`` float64 log likelihoods of the senones at every frame of ``top``."""
        sen = np.ascontiguousarray(senones, dtype=np.int64)
        if sen.ndim != 1 or (sen.size and (sen.min() < 0 or sen.max() >= self.weights.shape[0])):
            raise InputError(f"senones must be ids in [0, {self.weights.shape[0]}), got {sen[:5]}...")
        out = np.empty((len(top), sen.size))
        if sen.size and len(top):
            _k.senone_scores(top.vals, top.idx, self.weights, self.sen_cb, sen, out)
        return out

    def path_scores(self, top: TopN, frame_senone) -> np.ndarray:
        """``(T,)``: the score of senone ``frame_senone[t]`` at every frame ``t`` (``-1``: ``-inf``)."""
        sen = np.ascontiguousarray(frame_senone, dtype=np.int64)
        if sen.shape != (len(top),):
            raise InputError(f"frame_senone must have one senone per frame ({len(top)}), got shape {sen.shape}")
        out = np.empty(len(top))
        if len(top):
            _k.frame_senone_scores(top.vals, top.idx, self.weights, self.sen_cb, sen, out)
        return out

    def map_statistics(self, feats: np.ndarray, top: TopN, frame_senone: np.ndarray,
                       frame_weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-Gaussian occupancy ``(n_cb, n_feat, n_den)`` and feature sums ``(..., max_len)``.

        Frame ``t`` counts for the senones ``frame_senone[t, :]`` (-1: none) with weights
        ``frame_weight[t, :]`` (state posteriors, or one senone of weight 1 on a Viterbi path),
        each shared among that senone's top-N Gaussians by their posteriors.
        """
        chunks = 8
        L = max(self.lengths)
        acc_n = np.zeros((chunks, self.n_cb, self.n_feat, self.n_den))
        acc_x = np.zeros((chunks, self.n_cb, self.n_feat, self.n_den, L))
        ends = self.starts + np.asarray(self.lengths, dtype=np.int64)
        _k.map_stats(np.ascontiguousarray(feats, dtype=np.float64), top.vals, top.idx, self.weights, self.sen_cb,
                     np.ascontiguousarray(np.atleast_2d(frame_senone.T).T, dtype=np.int64),
                     np.ascontiguousarray(np.atleast_2d(frame_weight.T).T, dtype=np.float64), self.starts, ends,
                     acc_n, acc_x)
        return acc_n.sum(axis=0), acc_x.sum(axis=0)
