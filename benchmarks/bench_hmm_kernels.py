"""Speed of seqtag's HMM kernels vs hmmlearn on the same random model and data.

Setup: K = 45 states, V = 10,000 symbols, ~110k tokens in ~4,000 sequences (random
lengths around 27).  Measures tokens/s for Viterbi (``decode``), the forward pass
(``score``) and one Baum-Welch iteration (``fit`` with ``n_iter=1`` from the same start),
for seqtag with 1 and 2 numba threads and for hmmlearn (single-threaded C++,
``implementation="log"`` by default and ``"scaling"``).  Also reports numba compile
time: the first calls in a fresh process with an empty cache, then with the on-disk
cache warm.

Usage::

    python benchmarks/bench_hmm_kernels.py            # full run
    python benchmarks/bench_hmm_kernels.py --quick    # small smoke run
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import best_time  # noqa: E402

TARGETS = {"viterbi": 3.5, "score": 10.0, "baum-welch": 20.0}

_FIRST_CALLS = """
import time, numpy as np
t0 = time.perf_counter()
from seqtag.hmm import CategoricalHMM
rng = np.random.default_rng(0)
X = rng.integers(0, 20, 300); L = np.array([100, 200])
m = CategoricalHMM(5, n_iter=2, random_state=0).fit(X, L)
m.score(X, L); m.predict(X, L); m.predict_proba(X, L)
from seqtag.chains import dense as hk
s, t, e = np.zeros(3), np.zeros((3, 3)), np.zeros((4, 3))
hk.forward(s, t, e); hk.backward(s, t, e); hk.nbest_viterbi(s, t, e, 2); hk.sample(s, t, e, 2)
print(time.perf_counter() - t0)
"""


def compile_times() -> tuple[float, float]:
    """Seconds for the first calls of every kernel: cold cache, then warm cache (fresh processes)."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        out = []
        for _ in range(2):
            res = subprocess.run([sys.executable, "-c", _FIRST_CALLS], env=env, capture_output=True, text=True, check=True)
            out.append(float(res.stdout.strip().splitlines()[-1]))
    return out[0], out[1]


def make_data(n_seq: int, K: int, V: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    lengths = np.maximum(1, rng.poisson(27, n_seq)).astype(np.int64)
    X = rng.integers(0, V, lengths.sum())
    start = rng.dirichlet(np.ones(K))
    trans = rng.dirichlet(np.ones(K), size=K)
    emis = rng.dirichlet(np.full(V, 0.5), size=K)
    return X, lengths, (start, trans, emis)


def ours(params, K, V, n_iter=1):
    from seqtag.hmm import CategoricalHMM

    m = CategoricalHMM(K, n_iter=n_iter, tol=-np.inf, init="params")
    m.startprob_, m.transmat_, m.emissionprob_ = (p.copy() for p in params)
    m.n_features_ = V
    return m


def theirs(params, K, V, implementation):
    from hmmlearn.hmm import CategoricalHMM

    m = CategoricalHMM(K, n_iter=1, tol=-np.inf, init_params="", params="ste", implementation=implementation)
    m.startprob_, m.transmat_, m.emissionprob_ = (p.copy() for p in params)
    m.n_features = V
    return m


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small smoke run (400 sequences, 1 repeat)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-compile", action="store_true", help="skip the compile-time measurement")
    args = ap.parse_args()
    import numba
    from threadpoolctl import threadpool_limits

    K, V = 45, 10_000
    n_seq, repeat = (400, 1) if args.quick else (4000, args.repeat)
    X, lengths, params = make_data(n_seq, K, V)
    N = int(lengths.sum())
    X2 = X[:, None]
    print(f"K={K} V={V} sequences={n_seq} tokens={N} numba threads available={numba.config.NUMBA_NUM_THREADS}")

    if not args.no_compile:
        cold, warm = compile_times()
        print(f"first calls, fresh process: cold cache {cold:.1f} s, warm cache {warm:.1f} s")

    m = ours(params, K, V)
    m.score(X, lengths), m.decode(X, lengths), m.fit(X, lengths)  # compile / load cache
    results = {}
    tasks = {
        "viterbi": (lambda: ours(params, K, V).decode(X, lengths), lambda h: h.decode(X2, lengths)),
        "score": (lambda: ours(params, K, V).score(X, lengths), lambda h: h.score(X2, lengths)),
        "baum-welch": (lambda: ours(params, K, V).fit(X, lengths), lambda h: h.fit(X2, lengths)),
    }
    impls = ["log", "scaling"]
    for name, (our_fn, their_fn) in tasks.items():
        row = {}
        for threads in (1, numba.config.NUMBA_NUM_THREADS):
            numba.set_num_threads(threads)
            with threadpool_limits(threads):
                row[f"seqtag {threads}t"] = best_time(our_fn, repeat)
        for impl in impls:
            row[f"hmmlearn {impl}"] = best_time(lambda: their_fn(theirs(params, K, V, impl)), repeat)
        results[name] = row

    # agreement check on the same input (not timed)
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    diff = abs(ours(params, K, V).score(X, lengths) - theirs(params, K, V, "log").score(X2, lengths))
    print(f"|score difference| seqtag vs hmmlearn: {diff:.2e}\n")

    nt = numba.config.NUMBA_NUM_THREADS
    print(f"| task | seqtag 1t tok/s | seqtag {nt}t tok/s | hmmlearn log tok/s | hmmlearn scaling tok/s "
          f"| ratio {nt}t / hmmlearn log | ratio 1t / log | ratio {nt}t / scaling | target |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, row in results.items():
        tps = {k: N / v for k, v in row.items()}
        r_log = row["hmmlearn log"] / row[f"seqtag {nt}t"]
        r_1 = row["hmmlearn log"] / row["seqtag 1t"]
        r_sc = row["hmmlearn scaling"] / row[f"seqtag {nt}t"]
        print(
            f"| {name} | {tps['seqtag 1t']:,.0f} | {tps[f'seqtag {nt}t']:,.0f} | {tps['hmmlearn log']:,.0f} | "
            f"{tps['hmmlearn scaling']:,.0f} | {r_log:.1f}x | {r_1:.1f}x | {r_sc:.1f}x | >= {TARGETS[name]}x |"
        )


if __name__ == "__main__":
    main()
