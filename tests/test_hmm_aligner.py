"""GMM-HMM aligner: kernels against scipy / generic chain DP / brute force, EM monotonicity, spans, errors."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("espeakng_loader")
scipy_stats = pytest.importorskip("scipy.stats")
from scipy.special import logsumexp  # noqa: E402

import seqtag  # noqa: E402
from seqtag.align.aligners import _gmm_kernels as _g  # noqa: E402
from seqtag.align.aligners.hmm_gmm import HMMAligner, _chains, _Graph  # noqa: E402
from seqtag.align.lexicon import SPOKEN_NOISE, Lexicon, cmudict  # noqa: E402
from seqtag.chains import dense as hk  # noqa: E402
from seqtag.chains.banded import band_to_dense, lr_posteriors, lr_viterbi  # noqa: E402
from seqtag.corpora.synthetic import generate_synthetic  # noqa: E402
from seqtag.exceptions import InputError, ModelFileError, NotFittedError  # noqa: E402
from seqtag.intervals import read_textgrid  # noqa: E402

from . import naive_hmm as nv  # noqa: E402

NEG = -np.inf
from .conftest import SPEECH_TEXTS  # noqa: E402

TEXTS = SPEECH_TEXTS


def _close(a, b, tol=1e-8):
    a, b = np.asarray(a, float), np.asarray(b, float)
    assert a.shape == b.shape
    ok = (a == b) | (np.isfinite(a) & np.isfinite(b) & np.isclose(a, b, rtol=tol, atol=tol))
    assert ok.all(), (a, b)


# ------------------------------------------------------------------------------- GMM kernels
def _random_gmm(rng, S=3, M=3, D=4):
    aligner = HMMAligner()
    w = rng.dirichlet(np.ones(M), size=S)
    w[0, 1] = 0.0  # a dead component: log weight -inf
    with np.errstate(divide="ignore"):
        aligner.log_weights_ = np.log(w / w.sum(axis=1, keepdims=True))
    aligner.means_ = rng.normal(size=(S, M, D))
    aligner.variances_ = rng.uniform(0.2, 2.0, size=(S, M, D))
    return aligner


def _scipy_loglik(aligner, x, s):
    vals = [lw + scipy_stats.multivariate_normal(mean=mu, cov=np.diag(var)).logpdf(x)
            for lw, mu, var in zip(aligner.log_weights_[s], aligner.means_[s], aligner.variances_[s])
            if lw > -np.inf]
    return logsumexp(vals)


def test_gmm_loglik_matches_scipy():
    rng = np.random.default_rng(0)
    aligner = _random_gmm(rng)
    X = rng.normal(size=(25, 4)) * 1.5
    out = aligner._emissions(X)
    ref = np.array([[_scipy_loglik(aligner, x, s) for s in range(3)] for x in X])
    _close(out, ref, 1e-9)
    sub = aligner._emissions(X, np.array([2, 0], dtype=np.int64))
    _close(sub, ref[:, [2, 0]], 1e-9)


def test_gmm_stats_match_direct_computation():
    rng = np.random.default_rng(1)
    aligner = _random_gmm(rng)
    X = rng.normal(size=(30, 4))
    occ = rng.random((30, 3))
    occ[rng.random((30, 3)) < 0.3] = 0.0
    S, M, D = aligner.means_.shape
    chunk_off = np.array([0, 7, 30], dtype=np.int64)
    n, sx, sxx = np.zeros((2, S, M)), np.zeros((2, S, M, D)), np.zeros((2, S, M, D))
    _g._gmm_stats(X, occ, aligner._log_const(), aligner.means_, 1 / aligner.variances_, 1e-12, chunk_off, n, sx, sxx)
    rn, rx, rxx = np.zeros((S, M)), np.zeros((S, M, D)), np.zeros((S, M, D))
    for t, s in itertools.product(range(30), range(S)):
        comp = np.array([lw + scipy_stats.multivariate_normal(mu, np.diag(v)).logpdf(X[t]) if lw > -np.inf else NEG
                         for lw, mu, v in zip(aligner.log_weights_[s], aligner.means_[s], aligner.variances_[s])])
        r = occ[t, s] * np.exp(comp - logsumexp(comp))
        rn[s] += r
        rx[s] += r[:, None] * X[t]
        rxx[s] += r[:, None] * X[t] ** 2
    _close(n.sum(0), rn, 1e-9)
    _close(sx.sum(0), rx, 1e-9)
    _close(sxx.sum(0), rxx, 1e-9)


# ----------------------------------------------------------------------- left-to-right chains
def _band_model(rng, K, W, T, p_inf):
    band, start, end, emit = rng.normal(size=(K, W)), rng.normal(size=K), rng.normal(size=K), rng.normal(size=(T, K))
    for a in (band, start, end, emit):
        a[rng.random(a.shape) < p_inf] = NEG
    return band, start, emit, end


def _xi_dense(xi):
    K, W = xi.shape
    out = np.zeros((K, K))
    for d in range(W):
        k = np.arange(max(0, K - d))
        out[k, k + d] = xi[k, d]
    return out


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 6), st.integers(1, 4), st.integers(1, 7), st.sampled_from([0.0, 0.25]), st.integers(0, 10**6))
def test_lr_chain_matches_generic_kernels(K, W, T, p_inf, seed):
    band, start, emit, end = _band_model(np.random.default_rng(seed), K, W, T, p_inf)
    dense = band_to_dense(band)
    ll, post, xi = lr_posteriors(band, start, emit, end)
    ll2, _, xi2, _, post2 = hk.batch_expected_counts(start, dense, emit, [T], end)
    _close(ll, ll2[0])
    _close(post, post2)
    _close(_xi_dense(xi), xi2)
    path, score = lr_viterbi(band, start, emit, end)
    path2, score2 = hk.viterbi(start, dense, emit, end)
    _close(score, score2)
    if np.isfinite(score):  # the path's score is the best score (ties may pick another path)
        _close(nv.path_score(start, dense, emit, end, path), score)
    else:
        assert (path == -1).all() and (path2 == -1).all()


def test_lr_chain_against_brute_force():
    rng = np.random.default_rng(3)
    for K, W, T in [(3, 2, 4), (4, 3, 3), (5, 5, 4), (1, 1, 3)]:
        band, start, emit, end = _band_model(rng, K, W, T, 0.15)
        dense = band_to_dense(band)
        ll, post, _ = lr_posteriors(band, start, emit, end)
        _close(ll, nv.log_likelihood(start, dense, emit, end), 1e-9)
        paths = nv.all_paths(start, dense, emit, end)
        best = max(s for _, s in paths)
        _, score = lr_viterbi(band, start, emit, end)
        _close(score, best, 1e-9)
        if np.isfinite(ll):
            brute = np.zeros((T, K))
            for p, s in paths:
                if s > -np.inf:
                    brute[np.arange(T), list(p)] += math.exp(s - ll)
            _close(post, brute, 1e-9)


def test_lr_chain_long_sequence_no_underflow():
    rng = np.random.default_rng(4)
    band, start, emit, end = _band_model(rng, 6, 3, 20000, 0.0)
    emit -= 50.0
    ll, post, _ = lr_posteriors(band, start, emit, end)
    assert np.isfinite(ll) and np.allclose(post.sum(axis=1), 1.0)


def test_lr_chain_log_space_fallback_matches_generic():
    """Reachable states emit e^-800 times worse than an unreachable one: the scaled pass underflows."""
    rng = np.random.default_rng(6)
    K, T = 4, 6
    band = np.log(np.full((K, 2), 0.5))
    start = np.array([0.0, NEG, NEG, NEG])
    emit = rng.normal(size=(T, K)) - 800.0
    emit[:, 3] = 0.0
    emit[:, 3] += np.where(np.arange(T) < 3, 0.0, -1600.0)  # state 3 becomes reachable at t = 3
    ll, post, xi = lr_posteriors(band, start, emit)
    ll2, _, xi2, _, post2 = hk.batch_expected_counts(start, band_to_dense(band), emit, [T])
    assert np.isfinite(ll)
    _close(ll, ll2[0])
    _close(post, post2)
    _close(_xi_dense(xi), xi2)


def test_utterance_chain_is_normalised_with_optional_silences():
    log_self = np.log(np.random.default_rng(5).uniform(0.2, 0.8, size=12))
    g = _Graph([[1, 2], [3]])
    smap, band, start, end, _ = _chains([g], log_self, 0.3)
    assert g.K == 3 * (1 + 2 + 1 + 1 + 1) and g.n_required == 9
    emit = np.zeros((g.K + 2, g.K))
    hk.forward(start, band_to_dense(band), emit, end, check_normalized=True)  # raises unless normalised
    # every path with a finite score (enumerated along allowed transitions) visits the phones in
    # order, each silence is skipped or taken whole, and the paths' probabilities sum to 1
    T, total = 13, 0.0  # room for one silence and one extra frame

    def walk(path, score):
        nonlocal total
        if len(path) == T:
            if score + end[path[-1]] > -np.inf:
                phones = [g.phone[k] for k in path if g.phone[k] >= 0]
                assert sorted(set(phones)) == [0, 1, 2] and phones == sorted(phones)
                total += math.exp(score + end[path[-1]])
            return
        k = path[-1]
        for d in range(band.shape[1]):
            if k + d < g.K and band[k, d] > -np.inf:
                walk(path + [k + d], score + band[k, d])

    for k0 in np.flatnonzero(start > -np.inf):
        walk([int(k0)], start[k0])
    ll, _ = hk.forward(start, band_to_dense(band), np.zeros((T, g.K)), end)
    assert total > 0 and math.isclose(total, math.exp(ll), rel_tol=1e-9)


# --------------------------------------------------------------------------- the aligner
@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return generate_synthetic(6, "train", seed=0, cache_dir=tmp_path_factory.mktemp("syn"), texts=TEXTS)


@pytest.fixture(scope="module")
def trained(corpus):
    return HMMAligner(max_components=2, viterbi_iter=2, em_iter=3).fit(corpus)


def test_baum_welch_never_lowers_the_likelihood(trained):
    h = trained.history_
    assert [e["kind"] for e in h] == ["viterbi"] * 2 + ["em"] * 6
    assert all(math.isfinite(e["log_likelihood"]) for e in h)
    for level in (1, 2):
        ll = [e["log_likelihood"] for e in h if e["kind"] == "em" and e["n_components"] == level]
        assert len(ll) == 3
        assert all(b >= a - 1e-6 * abs(a) for a, b in zip(ll, ll[1:])), ll
    assert h[-1]["per_frame"] > h[0]["per_frame"]  # flat start -> trained: much better fit
    assert trained.means_.shape[1] == 2 and trained.phones_[0] == "sil"


def check_result(result, words, phones_of):
    assert [w.label for w in result.words] == words
    assert [p.label for p in result.units] == [p for w in words for p in phones_of[w]]
    prev = 0.0
    for w in result.words:
        assert prev - 1e-9 <= w.start < w.end <= result.duration + 1e-9
        assert 0.0 <= w.score <= 1.0
        prev = w.end
    i = 0
    for w in result.words:  # phones tile their word
        ph = result.units[i:i + len(phones_of[w.label])]
        i += len(ph)
        assert ph[0].start == w.start and ph[-1].end == w.end
        assert all(a.end == b.start for a, b in zip(ph, ph[1:]))
        assert all(p.start < p.end for p in ph)


def test_spans_are_ordered_nested_and_cover_the_words(trained, corpus):
    results = trained.align_batch(corpus)
    err, naive = [], []
    for u, r in zip(corpus, results):
        check_result(r, u.transcript.split(), trained.lexicon_)
        assert r.unit_kind == "phones" and r.frame_shift == 0.01
        err += [abs(a.start - b.start) for a, b in zip(r.words, u.words)]
        edges = np.linspace(0, u.duration, len(u.words) + 1)  # words spread evenly over the audio
        naive += [abs(a - b.start) for a, b in zip(edges, u.words)]
    # trained on 9 s of audio only, the alignment is already much better than an even split
    assert np.median(err) < 0.5 * np.median(naive), (np.median(err), np.median(naive))
    one = trained.align(corpus[0].audio_path, corpus[0].transcript)
    assert one.words == results[0].words
    audio, sr = corpus[0].load_audio(sr=8000)  # arrays at another rate are resampled
    check_result(trained.align(audio, corpus[0].transcript, sr=sr), corpus[0].transcript.split(), trained.lexicon_)


def test_save_load_roundtrip_and_textgrid(trained, corpus, tmp_path):
    folder = trained.save(tmp_path / "m")
    assert sorted(p.name for p in folder.iterdir()) == ["arrays.npz", "seqtag.json"]  # no torch weights
    loaded = seqtag.load(folder)
    assert type(loaded) is HMMAligner and loaded.get_params() == trained.get_params()
    assert loaded.phones_ == trained.phones_ and loaded.lexicon_ == trained.lexicon_
    for name in ("log_weights_", "means_", "variances_", "log_self_", "global_var_"):
        assert np.array_equal(getattr(loaded, name), getattr(trained, name)), name
    a = trained.align(corpus[1].audio_path, corpus[1].transcript)
    b = loaded.align(corpus[1].audio_path, corpus[1].transcript)
    assert a.words == b.words and a.units == b.units
    assert loaded.history_ == trained.history_
    b.write(tmp_path / "x.TextGrid")
    tiers = read_textgrid(tmp_path / "x.TextGrid")
    assert [w.label for w in tiers["words"] if w.label] == corpus[1].transcript.split()
    (tmp_path / "bad").mkdir()
    with pytest.raises(ModelFileError, match="is not a saved seqtag model: seqtag.json is missing"):
        seqtag.load(tmp_path / "bad")
    # arrays that do not fit the phone list are refused
    with np.load(folder / "arrays.npz") as npz:
        arrays = dict(npz)
    arrays["means"] = arrays["means"][:-3]
    (folder / "arrays.npz").unlink()
    np.savez(folder / "arrays.npz", **arrays)
    with pytest.raises(ModelFileError, match="arrays do not match its"):
        seqtag.load(folder)


def test_errors(trained, corpus):
    with pytest.raises(NotFittedError, match="fit"):
        HMMAligner().align(corpus[0].audio_path, "the cat")
    with pytest.raises(InputError, match="'blorptangle'.*g2p=True"):
        HMMAligner(g2p=False).fit([(corpus[0].audio_path, "the blorptangle sat")])
    with pytest.raises(InputError, match="too short"):
        trained.align(np.zeros(800, dtype=np.float32), "the cat sat on the mat", sr=16000)
    with pytest.raises(InputError, match="empty"):
        trained.align(corpus[0].audio_path, "   ")
    with pytest.raises(InputError, match="never occurred in the training"):
        trained.align(corpus[0].audio_path, "joy")  # JH and OY are not in the training transcripts
    with pytest.raises(InputError, match="pass sr="):
        trained.align(np.zeros(16000, dtype=np.float32), "the cat")
    with pytest.raises(InputError, match="max_components"):
        HMMAligner(max_components=0).fit(corpus)


def test_unseen_noise_token_is_aligned_with_the_silence_model(trained, corpus):
    u = corpus[0]
    assert "spn" not in trained.phones_
    words = u.transcript.split()
    text = " ".join([words[0], "[noise]", *words[1:]])
    res = trained.align(u.audio_path, text)
    assert [w.label for w in res.words] == text.split()  # nothing the user gave is dropped
    noise = [p for p in res.units if p.label == "spn"]
    assert len(noise) == 1 and noise[0].end > noise[0].start
    plain = trained.align(u.audio_path, u.transcript)
    assert abs(res.words[-1].end - plain.words[-1].end) < 0.1


def test_lexicon_cmudict_g2p_and_noise():
    cmu = cmudict()
    assert cmu["cat"] == ["K", "AE", "T"]
    inventory = {p for prons in list(cmu.values())[:20000] for p in prons}
    lex = Lexicon()
    out = lex.pronounce(["Cat", "blorptangle", "<VOCNOISE>", "[laugh]"])
    assert out["cat"] == ["K", "AE", "T"]
    assert len(out["blorptangle"]) >= 6 and set(out["blorptangle"]) <= inventory
    assert out["<vocnoise>"] == out["[laugh]"] == [SPOKEN_NOISE]
    with pytest.raises(InputError, match="1 word.*'blorptangle'"):
        Lexicon(g2p=False).pronounce(["cat", "blorptangle"])
