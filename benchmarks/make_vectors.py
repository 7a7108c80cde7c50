"""Word vectors from unlabelled text, made locally: PPMI + truncated SVD over the Brown corpus.

Nothing can be downloaded here, so the "bring your own vectors" road of the neural taggers is
benchmarked with vectors this script builds from the raw words of NLTK's Brown corpus (1.16 M
tokens, no WSJ text, its tags ignored) in a minute or two::

    NLTK_DATA=... python benchmarks/make_vectors.py -o brown.100d.txt
    python benchmarks/bench_neural.py --corpus ptb --model bilstm-crf --embeddings brown.100d.txt

Method (Levy, Goldberg & Dagan 2015): lowercased words seen at least ``--min-count`` times,
symmetric window of ``--window`` words weighted 1/distance, positive PMI with context
distribution smoothing (alpha 0.75), truncated SVD, vectors ``U * sqrt(S)`` normalised to unit
length. Output: GloVe text format (``word v1 ... vD`` per line).
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

import numpy as np
from scipy import sparse
from sklearn.utils.extmath import randomized_svd


def brown_sentences():
    """Lowercased token lists of the Brown corpus (read through NLTK, tags ignored)."""
    from seqtag.corpora.nltk_corpora import find_resource
    from nltk.corpus.reader import CategorizedTaggedCorpusReader

    root = find_resource("corpora/brown", "brown", None)
    reader = CategorizedTaggedCorpusReader(root, r"c[a-z]\d\d", cat_file="cats.txt", tagset="brown",
                                           encoding="ascii")
    return [[w.lower() for w in s] for s in reader.sents()]


def ppmi_svd(sentences, dim: int = 100, window: int = 4, min_count: int = 3, alpha: float = 0.75,
             seed: int = 0) -> tuple[list[str], np.ndarray]:
    """PPMI-SVD vectors of every word seen ``min_count`` times; returns (words, (V, dim) float32)."""
    counts = Counter(w for s in sentences for w in s)
    words = [w for w, c in counts.most_common() if c >= min_count]
    index = {w: i for i, w in enumerate(words)}
    rows, cols, vals = [], [], []
    for s in sentences:
        ids = np.array([index.get(w, -1) for w in s])
        for d in range(1, window + 1):
            a, b = ids[:-d], ids[d:]
            keep = (a >= 0) & (b >= 0)
            a, b = a[keep], b[keep]
            rows += [a, b]
            cols += [b, a]
            vals.append(np.full(2 * a.size, 1.0 / d))
    V = len(words)
    C = sparse.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                          shape=(V, V)).tocsr()  # (V, V) weighted co-occurrences
    C.sum_duplicates()
    total = C.sum()
    w_sum = np.asarray(C.sum(axis=1)).ravel()
    c_sum = np.asarray(C.sum(axis=0)).ravel() ** alpha
    c_prob = c_sum / c_sum.sum()
    C = C.tocoo()
    pmi = np.log(C.data * 1.0 / total) - np.log(w_sum[C.row] / total) - np.log(c_prob[C.col])
    keep = pmi > 0
    P = sparse.csr_matrix((pmi[keep], (C.row[keep], C.col[keep])), shape=(V, V))
    U, S, _ = randomized_svd(P, n_components=dim, n_iter=5, random_state=seed)
    vecs = U * np.sqrt(S)
    vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
    return words, vecs.astype(np.float32)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("-o", "--output", required=True, help="GloVe-format text file to write")
    p.add_argument("--dim", type=int, default=100)
    p.add_argument("--window", type=int, default=4)
    p.add_argument("--min-count", type=int, default=3)
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    sents = brown_sentences()
    words, vecs = ppmi_svd(sents, dim=args.dim, window=args.window, min_count=args.min_count)
    with open(args.output, "w", encoding="utf-8") as f:
        for w, v in zip(words, vecs):
            f.write(w + " " + " ".join(f"{x:.5f}" for x in v) + "\n")
    print(f"{len(words)} words x {args.dim} from {sum(map(len, sents))} Brown tokens "
          f"in {time.perf_counter() - t0:.1f} s -> {args.output}")


if __name__ == "__main__":
    main()
