"""CategoricalHMM: a discrete-symbol hidden Markov model trained by Baum-Welch (EM).

The API follows hmmlearn's ``CategoricalHMM`` (``X`` of int symbols, shape (N,) or
(N, 1), with ``lengths``), on top of seqtag's parallel numba kernels.
"""

from __future__ import annotations

import copy
import sys

import numpy as np

from .._estimator import Estimator
from .._validation import store_params
from ..exceptions import InputError, NotFittedError
from ..chains.dense import (
    batch_expected_counts,
    batch_log_likelihood,
    batch_posteriors,
    batch_viterbi,
    lengths_to_offsets,
)
from ._kernels import symbol_counts

__all__ = ["CategoricalHMM", "ConvergenceMonitor"]


class ConvergenceMonitor:
    """History of the EM objective and the convergence test of :class:`CategoricalHMM`.

    Parameters
    ----------
    tol : float
        EM stops when the objective improves by less than ``tol``.
    n_iter : int
        Maximum number of iterations.
    verbose : bool
        Print one line per iteration to stderr.

    Attributes
    ----------
    history : list of float
        Objective (log-likelihood, plus log-prior when ``pseudocount > 0``) of the
        parameters each E-step used, in order; it never decreases.
    iter : int
        Number of EM iterations run.
    """

    def __init__(self, tol: float, n_iter: int, verbose: bool = False):
        self.tol = tol
        self.n_iter = n_iter
        self.verbose = verbose
        self.history: list[float] = []
        self.iter = 0

    def report(self, value: float) -> None:
        """Record the objective of one iteration."""
        if self.verbose:
            delta = value - self.history[-1] if self.history else np.nan
            print(f"{self.iter + 1:>6d} {value:>18.6f} {delta:>+14.6f}", file=sys.stderr)
        self.history.append(float(value))
        self.iter += 1

    @property
    def converged(self) -> bool:
        """True once the last improvement is below ``tol`` or ``n_iter`` is reached."""
        return self.iter >= self.n_iter or (
            len(self.history) >= 2 and self.history[-1] - self.history[-2] < self.tol
        )


def _generator(random_state) -> np.random.Generator:
    """A Generator from a seed / Generator / RandomState, never advancing the caller's object."""
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(copy.deepcopy(random_state).randint(2**32))
    if isinstance(random_state, np.random.Generator):
        return copy.deepcopy(random_state)
    return np.random.default_rng(random_state)


def _normalize_rows(counts: np.ndarray, old: np.ndarray) -> np.ndarray:
    """Rows of ``counts`` divided by their sums; a row without counts keeps ``old``."""
    tot = counts.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        new = counts / tot
    return np.where(tot > 0, new, old)


class CategoricalHMM(Estimator):
    """Hidden Markov model over discrete symbols, fitted by Baum-Welch (EM).

    Parameters
    ----------
    n_states : int
        Number of hidden states K.
    n_iter : int
        Maximum number of EM iterations per run.
    tol : float
        Stop when the objective improves by less than ``tol`` (``-inf``: never stop early).
    pseudocount : float
        0 is plain maximum-likelihood Baum-Welch; ``c > 0`` adds ``c`` to every expected
        start, transition and emission count (MAP estimate under a symmetric Dirichlet
        prior with concentration ``1 + c``); the objective then includes the log-prior.
    n_init : int
        Number of random restarts; the run with the best final objective is kept.
    init : {"random", "params"}
        ``"random"`` draws every row from a flat Dirichlet; ``"params"`` starts from
        ``startprob_``, ``transmat_`` and ``emissionprob_`` set on the instance before
        :meth:`fit` (like hmmlearn's ``init_params=""``; requires ``n_init == 1``).
    random_state : None, int, numpy Generator or RandomState
        Seed of the random initialisation (a passed object is never advanced).
    verbose : bool
        Print the objective of every iteration to stderr.

    Attributes
    ----------
    startprob_ : ndarray (K,)
    transmat_ : ndarray (K, K)
        ``transmat_[i, j] = P(next state j | state i)``.
    emissionprob_ : ndarray (K, n_features_)
    n_features_ : int
        Number of symbols (``max(X) + 1`` unless given by ``init="params"``).
    monitor_ : ConvergenceMonitor
        ``history``, ``converged`` and ``iter`` of the kept run.

    Notes
    -----
    A row without expected counts (an unused state with ``pseudocount == 0``) keeps its
    previous values instead of becoming 0/0.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1])
    >>> hmm = CategoricalHMM(2, n_iter=50, random_state=0).fit(X)
    >>> hmm.monitor_.history[-1] >= hmm.monitor_.history[0]
    True
    >>> hmm.predict(X).shape
    (12,)
    """

    def __init__(
        self,
        n_states: int,
        n_iter: int = 100,
        tol: float = 1e-4,
        pseudocount: float = 0.0,
        n_init: int = 1,
        init: str = "random",
        random_state=None,
        verbose: bool = False,
    ):
        store_params(self, locals())

    # ------------------------------------------------------------------ checks
    def _check_hyper(self) -> None:
        def is_int(v, lo):
            return isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= lo

        if not is_int(self.n_states, 1):
            raise InputError(f"n_states must be an int >= 1, got {self.n_states!r}")
        if not is_int(self.n_iter, 1):
            raise InputError(f"n_iter must be an int >= 1, got {self.n_iter!r}")
        if not is_int(self.n_init, 1):
            raise InputError(f"n_init must be an int >= 1, got {self.n_init!r}")
        if isinstance(self.tol, bool) or not isinstance(self.tol, (int, float)) or np.isnan(self.tol):
            raise InputError(f"tol must be a number (use -inf to always run n_iter iterations), got {self.tol!r}")
        if not (isinstance(self.pseudocount, (int, float)) and np.isfinite(self.pseudocount) and self.pseudocount >= 0):
            raise InputError(f"pseudocount must be a finite number >= 0, got {self.pseudocount!r}")
        if self.init not in ("random", "params"):
            raise InputError(f"init must be 'random' or 'params', got {self.init!r}")
        if self.init == "params" and self.n_init != 1:
            raise InputError(f"init='params' starts from one given parameter set, so n_init must be 1, got {self.n_init}")

    def _check_X(self, X, lengths, n_features=None):
        arr = np.asarray(X)
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim != 1:
            raise InputError(f"X must be int symbols of shape (N,) or (N, 1), got shape {arr.shape}")
        if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
            raise InputError(f"X must hold int symbols 0..V-1, got dtype {arr.dtype}; map tokens to ids first")
        if arr.size and arr.min() < 0:
            raise InputError(f"X must hold symbols >= 0, got {int(arr.min())} at index {int(np.argmin(arr))}")
        if n_features is not None and arr.size and arr.max() >= n_features:
            raise InputError(
                f"X holds symbol {int(arr.max())} but the model knows only {n_features} symbols (0..{n_features - 1})"
            )
        off = lengths_to_offsets(np.array([arr.shape[0]]) if lengths is None else lengths, arr.shape[0])
        return np.ascontiguousarray(arr, dtype=np.int64), off

    def _check_fitted(self) -> None:
        if not hasattr(self, "emissionprob_") or not hasattr(self, "n_features_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit(X, lengths) first")

    def _check_params(self, start, trans, emis):
        K = self.n_states
        start, trans, emis = (np.asarray(a, dtype=np.float64) for a in (start, trans, emis))
        for name, a, shape in (("startprob_", start, (K,)), ("transmat_", trans, (K, K))):
            if a.shape != shape:
                raise InputError(f"{name} must have shape {shape} for n_states={K}, got {a.shape}")
        if emis.ndim != 2 or emis.shape[0] != K:
            raise InputError(f"emissionprob_ must have shape ({K}, n_symbols), got {emis.shape}")
        for name, a in (("startprob_", start), ("transmat_", trans), ("emissionprob_", emis)):
            if not np.all(np.isfinite(a)) or (a < 0).any():
                raise InputError(f"{name} must hold probabilities (finite, >= 0)")
            sums = a.sum(axis=-1)
            if not np.allclose(sums, 1.0, atol=1e-6):
                raise InputError(f"{name} rows must sum to 1, got sums {np.round(np.atleast_1d(sums)[:5], 6)}")
        return start.copy(), trans.copy(), emis.copy()

    # ------------------------------------------------------------------ EM
    def _log_emit(self, X, log_emis_t, states=None):
        le = log_emis_t[X]  # (N, K)
        if states is not None:
            known = states >= 0
            if known.any():
                mask = np.full((int(known.sum()), le.shape[1]), -np.inf)
                mask[np.arange(mask.shape[0]), states[known]] = 0.0
                le[known] += mask
        return le

    def _log_prior(self, start, trans, emis) -> float:
        c = float(self.pseudocount)
        if c == 0:
            return 0.0
        with np.errstate(divide="ignore"):
            return c * float(np.log(start).sum() + np.log(trans).sum() + np.log(emis).sum())

    def _em(self, X, off, states, start, trans, emis):
        K, V = emis.shape
        c = float(self.pseudocount)
        monitor = ConvergenceMonitor(self.tol, self.n_iter, self.verbose)
        zero_end = np.zeros(K)
        for _ in range(self.n_iter):
            with np.errstate(divide="ignore"):
                ls, lt, le_t = np.log(start), np.log(trans), np.ascontiguousarray(np.log(emis).T)
            emit = self._log_emit(X, le_t, states)
            ll, sc, xi, _, post = batch_expected_counts(ls, lt, emit, np.diff(off), zero_end)
            objective = float(ll.sum()) + self._log_prior(start, trans, emis)
            ec = symbol_counts(X, post, V).T  # (K, V)
            start = _normalize_rows(sc + c, start)
            trans = _normalize_rows(xi + c, trans)
            emis = _normalize_rows(ec + c, emis)
            monitor.report(objective)
            if monitor.converged:
                break
        return start, trans, emis, monitor

    def fit(self, X, lengths=None, states=None) -> CategoricalHMM:
        """Estimate the parameters with Baum-Welch.

        Parameters
        ----------
        X : array of int (N,) or (N, 1)
            Symbols ``0..V-1`` of all sequences, concatenated.
        lengths : array of int (n,), optional
            Sequence lengths (``sum == N``); default one sequence.
        states : array of int (N,), optional
            Partial supervision: a known state per position, ``-1`` where unknown.
            Known positions are clamped to their state in every E-step.

        Returns
        -------
        self
        """
        self._check_hyper()
        K = self.n_states
        if self.init == "params":
            missing = [a for a in ("startprob_", "transmat_", "emissionprob_") if not hasattr(self, a)]
            if missing:
                raise InputError(f"init='params' needs {', '.join(missing)} set before fit; or use init='random'")
            given = self._check_params(self.startprob_, self.transmat_, self.emissionprob_)
            V = given[2].shape[1]
            X, off = self._check_X(X, lengths, V)
        else:
            X, off = self._check_X(X, lengths)
            V = int(X.max()) + 1 if X.size else 1
        if states is not None:
            st = np.asarray(states)
            if st.shape != X.shape or st.dtype == bool or not np.issubdtype(st.dtype, np.integer):
                raise InputError(f"states must be ints of shape {X.shape} (-1 = unknown), got {st.dtype} {st.shape}")
            if st.size and (st.min() < -1 or st.max() >= K):
                raise InputError(f"states must be -1 (unknown) or in 0..{K - 1}, got values {st.min()}..{st.max()}")
            states = np.ascontiguousarray(st, dtype=np.int64)
        rng = _generator(self.random_state)
        best = None
        for _ in range(self.n_init):
            if self.init == "params":
                init = given
            else:
                init = (rng.dirichlet(np.ones(K)), rng.dirichlet(np.ones(K), size=K), rng.dirichlet(np.ones(V), size=K))
            run = self._em(X, off, states, *init)
            if best is None or run[3].history[-1] > best[3].history[-1]:
                best = run
        self.startprob_, self.transmat_, self.emissionprob_, self.monitor_ = best
        self.n_features_ = V
        return self

    # ------------------------------------------------------------------ inference
    def _model(self, X, lengths):
        self._check_fitted()
        X, off = self._check_X(X, lengths, self.n_features_)
        with np.errstate(divide="ignore"):
            ls, lt = np.log(self.startprob_), np.log(self.transmat_)
            le_t = np.ascontiguousarray(np.log(self.emissionprob_).T)
        return ls, lt, self._log_emit(X, le_t), np.zeros(self.n_states), off

    def _chains(self, fn, X, lengths):
        """``fn`` (a batch function of :mod:`seqtag.chains.dense`) over the model's scores of ``X``."""
        ls, lt, le, end, off = self._model(X, lengths)
        return fn(ls, lt, le, np.diff(off), end)

    def score(self, X, lengths=None) -> float:
        """Total log-likelihood of the sequences.

        Parameters
        ----------
        X : array of int (N,) or (N, 1)
        lengths : array of int (n,), optional

        Returns
        -------
        float
        """
        return float(self._chains(batch_log_likelihood, X, lengths).sum())

    def score_samples(self, X, lengths=None) -> tuple[float, np.ndarray]:
        """Total log-likelihood and state posteriors (N, K)."""
        ll, post = self._chains(batch_posteriors, X, lengths)
        return float(ll.sum()), post

    def predict_proba(self, X, lengths=None) -> np.ndarray:
        """State posteriors ``P(state_t | sequence)``, shape (N, K)."""
        return self.score_samples(X, lengths)[1]

    def decode(self, X, lengths=None) -> tuple[float, np.ndarray]:
        """Viterbi: total log-probability of the best paths and the states (N,)."""
        paths, scores = self._chains(batch_viterbi, X, lengths)
        return float(scores.sum()), paths

    def predict(self, X, lengths=None) -> np.ndarray:
        """Most likely state sequence (Viterbi), shape (N,)."""
        return self.decode(X, lengths)[1]

    def sample(self, n_samples: int = 1, random_state=None) -> tuple[np.ndarray, np.ndarray]:
        """Generate one sequence from the model.

        Parameters
        ----------
        n_samples : int
            Length of the sequence.
        random_state : None, int, Generator or RandomState
            Seed (defaults to the estimator's ``random_state``); never advanced.

        Returns
        -------
        X : ndarray of int64 (n_samples, 1)
        states : ndarray of int64 (n_samples,)
        """
        self._check_fitted()
        if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 0:
            raise InputError(f"n_samples must be an int >= 0, got {n_samples!r}")
        rng = _generator(self.random_state if random_state is None else random_state)
        n = int(n_samples)
        u = rng.random(n)
        states = np.empty(n, dtype=np.int64)
        cum_start = np.cumsum(self.startprob_)
        cum_trans = np.cumsum(self.transmat_, axis=1)
        K = self.n_states
        for t in range(n):
            row = cum_start if t == 0 else cum_trans[states[t - 1]]
            states[t] = min(int(np.searchsorted(row, u[t] * row[-1], side="right")), K - 1)
        X = np.empty(n, dtype=np.int64)
        v = rng.random(n)
        cum_emis = np.cumsum(self.emissionprob_, axis=1)
        for k in range(K):
            idx = np.flatnonzero(states == k)
            sym = np.searchsorted(cum_emis[k], v[idx] * cum_emis[k, -1], side="right")
            X[idx] = np.minimum(sym, self.n_features_ - 1)
        return X[:, None], states
