"""Training the CRF: the regularised objective, L-BFGS (scipy) and OWL-QN (L1).

Regularisation follows CRFsuite's convention exactly::

    objective(w) = NLL(w) + c1 * sum |w_i| + c2 * sum w_i ** 2      (gradient of L2: 2 * c2 * w)

where NLL is *summed* (not averaged) over training sentences and every weight
(state features, transitions, start and end scores) is regularised.  With
``c1 == 0`` the smooth objective is minimised by ``scipy.optimize.minimize``
(``method="L-BFGS-B"``); with ``c1 > 0`` by OWL-QN (Andrew & Gao, 2007,
"Scalable training of L1-regularized log-linear models", ICML), implemented
here on the standard L-BFGS two-loop recursion.
"""

from __future__ import annotations

from collections import deque
from typing import Callable

import numba
import numpy as np

from ._kernels import crf_nll_grad

__all__ = ["CRFObjective", "lbfgs", "owlqn"]


class CRFObjective:
    """NLL + L2 of a CRF over a fixed training set, with preallocated per-thread buffers.

    Parameters
    ----------
    attr_ptr, feat_label : ndarray
        State features by attribute (see :mod:`seqtag.crf._kernels`).
    indptr, indices, data : ndarray
        CSR attribute matrix of all training tokens.
    labels : ndarray of int
        Gold label of every token.
    offsets : ndarray of int
        Sentence boundaries (n_sent + 1,).
    n_labels : int
    c2 : float
        L2 strength (``c2 * ||w||^2``).
    """

    def __init__(self, attr_ptr, feat_label, indptr, indices, data, labels, offsets, n_labels, c2=0.0):
        self.arrays = (
            np.ascontiguousarray(attr_ptr, dtype=np.int64),
            np.ascontiguousarray(feat_label, dtype=np.int64),
            np.ascontiguousarray(indptr, dtype=np.int64),
            np.ascontiguousarray(indices, dtype=np.int64),
            np.ascontiguousarray(data, dtype=np.float64),
            np.ascontiguousarray(labels, dtype=np.int64),
            np.ascontiguousarray(offsets, dtype=np.int64),
        )
        self.K = int(n_labels)
        self.F = int(len(feat_label))
        self.c2 = float(c2)
        self.n_params = self.F + self.K * self.K + 2 * self.K
        lengths = np.diff(self.arrays[6])
        self.max_len = int(lengths.max()) if len(lengths) else 1
        # chunks of about equal token counts, several per thread, scheduled dynamically so
        # that a thread slowed down by other processes does not hold the others up
        n_chunks = max(1, min(len(lengths), 8 * numba.get_num_threads()))
        cum = np.cumsum(lengths)
        cuts = np.searchsorted(cum, np.linspace(0, cum[-1], n_chunks + 1)[1:-1], side="right")
        self.chunks = np.unique(np.concatenate([[0], cuts, [len(lengths)]])).astype(np.int64)
        nc = len(self.chunks) - 1
        K = self.K
        self._gw = np.zeros((nc, self.F))
        self._gt = np.zeros((nc, K, K))
        self._gs = np.zeros((nc, K))
        self._ge = np.zeros((nc, K))
        self._nll = np.zeros(nc)
        self.n_evals = 0

    def split(self, theta: np.ndarray):
        """Views ``(w (F,), trans (K, K), start (K,), end (K,))`` of a parameter vector."""
        F, K = self.F, self.K
        return (theta[:F], theta[F:F + K * K].reshape(K, K),
                theta[F + K * K:F + K * K + K], theta[F + K * K + K:])

    def nll_grad(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """Unregularised NLL and its gradient."""
        theta = np.ascontiguousarray(theta, dtype=np.float64)
        w, tr, st, en = self.split(theta)
        with numba.parallel_chunksize(1):
            crf_nll_grad(w, np.ascontiguousarray(tr), st, en, *self.arrays, self.chunks, self.max_len,
                         self._gw, self._gt, self._gs, self._ge, self._nll)
        grad = np.concatenate([self._gw.sum(0), self._gt.sum(0).ravel(), self._gs.sum(0), self._ge.sum(0)])
        self.n_evals += 1
        return float(self._nll.sum()), grad

    def __call__(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """NLL + c2 * ||theta||^2 and its gradient."""
        f, g = self.nll_grad(theta)
        if self.c2 > 0:
            f += self.c2 * float(theta @ theta)
            g += 2.0 * self.c2 * theta
        return f, g


def lbfgs(fun: Callable, x0: np.ndarray, max_iter: int, tol: float, verbose: bool = False):
    """Minimise a smooth ``fun(x) -> (f, grad)`` with scipy's L-BFGS-B.

    Returns ``(x, info)`` with ``info`` a dict (``n_iter``, ``objective``, ``converged``, ``message``).
    """
    from scipy.optimize import minimize

    def report(intermediate_result):
        print(f"lbfgs iter: objective {intermediate_result.fun:.6g}")

    res = minimize(fun, x0, jac=True, method="L-BFGS-B", callback=report if verbose else None,
                   options={"maxiter": int(max_iter), "ftol": float(tol), "gtol": 1e-10 if tol > 0 else 0.0,
                            "maxcor": 10})
    return res.x, {"n_iter": int(res.nit), "objective": float(res.fun),
                   "converged": bool(res.success), "message": str(res.message)}


def _pseudo_gradient(x: np.ndarray, g: np.ndarray, c1: float) -> np.ndarray:
    """The OWL-QN pseudo-gradient of f(x) + c1 * |x|_1 (minimum-norm subgradient)."""
    pg = g + c1 * np.sign(x)
    zero = x == 0
    gz = g[zero]
    pg[zero] = np.where(gz + c1 < 0, gz + c1, np.where(gz - c1 > 0, gz - c1, 0.0))
    return pg


def _two_loop(v: np.ndarray, S: deque, Y: deque) -> np.ndarray:
    """L-BFGS two-loop recursion: approximately H^-1 v from the (s, y) history."""
    q = v.copy()
    alphas = []
    for s, y in zip(reversed(S), reversed(Y)):
        rho = 1.0 / float(y @ s)
        a = rho * float(s @ q)
        alphas.append((a, rho))
        q -= a * y
    if S:
        s, y = S[-1], Y[-1]
        q *= float(s @ y) / float(y @ y)
    for (s, y), (a, rho) in zip(zip(S, Y), reversed(alphas)):
        b = rho * float(y @ q)
        q += (a - b) * s
    return q


def owlqn(fun: Callable, x0: np.ndarray, c1: float, max_iter: int, tol: float, m: int = 10,
          period: int = 10, verbose: bool = False, history: list | None = None):
    """Minimise ``fun(x) + c1 * |x|_1`` by OWL-QN (Andrew & Gao 2007).

    ``fun(x) -> (f, grad)`` is the smooth part.  Each iteration: pseudo-gradient,
    two-loop direction, direction sign-constrained to the pseudo-gradient,
    backtracking line search projected onto the chosen orthant (Armijo condition on
    the pseudo-gradient), so the objective never increases.  Stops after
    ``max_iter`` iterations, when the relative decrease over ``period`` iterations
    falls below ``tol`` (CRFsuite's ``delta`` test), or when no step decreases it.

    Returns ``(x, info)`` like :func:`lbfgs`; if ``history`` is a list the objective
    after every iteration is appended to it.
    """
    x = np.array(x0, dtype=np.float64)
    f, g = fun(x)
    F = f + c1 * np.abs(x).sum()
    S: deque = deque(maxlen=m)
    Y: deque = deque(maxlen=m)
    past = [F]
    if history is not None:
        history.append(F)
    message, converged, it = "max_iter reached", False, 0
    for it in range(1, max_iter + 1):
        pg = _pseudo_gradient(x, g, c1)
        pg_norm = float(np.sqrt(pg @ pg))
        if pg_norm == 0.0:
            message, converged, it = "pseudo-gradient is zero", True, it - 1
            break
        d = -_two_loop(pg, S, Y)
        d[d * pg >= 0] = 0.0  # keep only descent components of the pseudo-gradient
        if not np.any(d):
            d = -pg
        orthant = np.where(x != 0, np.sign(x), np.sign(-pg))
        step = 1.0 / pg_norm if not S else 1.0
        for _ in range(40):
            xn = x + step * d
            xn[np.sign(xn) != orthant] = 0.0
            fn, gn = fun(xn)
            Fn = fn + c1 * np.abs(xn).sum()
            if Fn <= F + 1e-4 * float(pg @ (xn - x)):
                break
            step *= 0.5
        else:
            message, converged, it = "line search found no decrease", True, it - 1
            break
        s, yv = xn - x, gn - g
        if float(s @ yv) > 1e-12:
            S.append(s)
            Y.append(yv)
        x, f, g, F = xn, fn, gn, Fn
        past.append(F)
        if history is not None:
            history.append(F)
        if verbose:
            print(f"owlqn iter {it}: objective {F:.6g} nonzero {np.count_nonzero(x)}")
        if len(past) > period and (past[-period - 1] - F) / max(abs(F), 1e-12) < tol:
            message, converged = "relative decrease below tol", True
            break
    return x, {"n_iter": int(it), "objective": float(F), "converged": converged, "message": message}
