"""seqtag.crf.layer.CRF and seqtag.crf.constraints against brute-force enumeration."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from seqtag.crf import _torch_dp
from seqtag.crf.constraints import allowed_transitions
from seqtag.crf.layer import CRF
from seqtag.exceptions import InputError

from . import naive_crf as nv

INF = float("inf")
BIO = ["O", "B-A", "I-A", "B-B", "I-B"]


def _crf(K, seed=0, **kw):
    torch.manual_seed(seed)
    crf = CRF(K, **kw).double()
    with torch.no_grad():
        for p in crf.parameters():
            p.normal_()
    return crf


def _pots(crf):
    return [x.detach().numpy() for x in crf._potentials(torch.float64)]


def _batch(B, T, K, lengths, seed=1):
    g = torch.Generator().manual_seed(seed)
    em = torch.randn(B, T, K, generator=g, dtype=torch.float64) * 2
    mask = torch.arange(T)[None, :] < torch.tensor(lengths)[:, None]
    return em, mask


def _decode_both(crf, em, mask=None, k=1):
    """crf.decode (numba kernels on CPU) after checking the pure-torch decoder gives the same."""
    paths, scores = crf.decode(em, mask, k=k)
    e, _, lengths = crf._prepare(em, mask)
    p2, s2 = _torch_dp.kbest_viterbi(e, *crf._potentials(e.dtype), lengths, k, use_numba=False)
    assert torch.equal(paths, p2) and torch.equal(scores, s2)
    return paths, scores


def _legal(path, m, K):
    """Is a tag path (list of ints) allowed by a (K+2, K+2) constraint mask?"""
    seq = [K, *path, K + 1]
    return all(bool(m[a, b]) for a, b in zip(seq[:-1], seq[1:]))


# ----------------------------------------------------------------------------- brute force
@pytest.mark.parametrize("constrained", [False, True])
def test_log_z_score_marginals_decode_match_enumeration(constrained):
    K = len(BIO)
    cons = allowed_transitions("BIO", BIO) if constrained else None
    crf = _crf(K, constraints=cons)
    lengths = [4, 1, 3, 0, 2]
    em, mask = _batch(5, 4, K, lengths)
    tags = torch.randint(0, K, (5, 4), generator=torch.Generator().manual_seed(2))
    tr, s0, en = _pots(crf)
    log_z = crf.log_partition(em, mask)
    score = crf.score(em, tags, mask)
    marg = crf.marginals(em, mask)
    paths, scores = _decode_both(crf, em, mask, k=4)
    assert torch.equal(_decode_both(crf, em, mask)[0][:, 0], paths[:, 0])
    for b, n in enumerate(lengths):
        e = em[b, :n].numpy()
        assert log_z[b].item() == pytest.approx(nv.log_partition(e, tr, s0, en), abs=1e-9)
        assert score[b].item() == pytest.approx(nv.path_score(e, tr, s0, en, tags[b, :n].tolist()), abs=1e-9)
        np.testing.assert_allclose(marg[b, :n].numpy(), nv.marginals(e, tr, s0, en), atol=1e-9)
        assert (marg[b, n:] == 0).all()
        if n == 0:
            assert scores[b].tolist() == [0.0, -INF, -INF, -INF] and (paths[b] == -1).all()
            continue
        best = nv.kbest(e, tr, s0, en, 4)
        np.testing.assert_allclose(scores[b, : len(best)].numpy(), [s for _, s in best], atol=1e-9)
        for r, (p, s) in enumerate(best):
            got = paths[b, r, :n].tolist()
            assert nv.path_score(e, tr, s0, en, got) == pytest.approx(s, abs=1e-9)
            if constrained:
                assert _legal(got, crf.constraint_mask, K)
        assert (paths[b, :, n:] == -1).all()
    loss = crf(em, tags, mask, reduction="none")
    expect = torch.where(mask.any(1), log_z - score, torch.zeros(5, dtype=torch.float64))
    torch.testing.assert_close(loss, expect)


def test_fewer_paths_than_k_give_minus_inf_and_minus_one():
    crf = _crf(2)
    em = torch.zeros(1, 2, 2, dtype=torch.float64)
    em[0, 1, 1] = -INF  # only 2 possible paths of length 2
    paths, scores = _decode_both(crf, em, k=5)
    assert torch.isfinite(scores[0, :2]).all() and torch.isneginf(scores[0, 2:]).all()
    assert (paths[0, 2:] == -1).all() and (paths[0, :2, 1] == 0).all()


def test_ignore_index_marginalises_unknown_positions():
    K = len(BIO)
    crf = _crf(K, constraints=allowed_transitions("BIO", BIO))
    em, mask = _batch(3, 4, K, [4, 3, 2])
    tags = torch.tensor([[1, -100, -100, 0], [-100, 2, 0, 7], [-100, -100, 9, 9]])  # 7, 9 are padding
    tr, s0, en = _pots(crf)
    num = crf.score(em, tags, mask)
    loss = crf(em, tags, mask, reduction="none")
    for b, n in enumerate([4, 3, 2]):
        e = em[b, :n].numpy()
        ref = nv.constrained_log_score(e, tr, s0, en, tags[b, :n].tolist())
        assert num[b].item() == pytest.approx(ref, abs=1e-9)
        assert loss[b].item() == pytest.approx(nv.log_partition(e, tr, s0, en) - ref, abs=1e-9)
    assert loss[2].item() == pytest.approx(0.0, abs=1e-9)  # nothing known -> probability 1


def test_illegal_gold_path_gives_inf_loss_with_finite_gradients():
    K = len(BIO)
    crf = _crf(K, constraints=allowed_transitions("BIO", BIO))
    em, mask = _batch(2, 3, K, [3, 3])
    em.requires_grad_(True)
    tags = torch.tensor([[0, 2, 0], [1, 2, 0]])  # O -> I-A is illegal; B-A I-A O is fine
    loss = crf(em, tags, mask, reduction="none")
    assert math.isinf(loss[0].item()) and loss[0] > 0 and math.isfinite(loss[1].item())
    loss.sum().backward()
    assert torch.isfinite(em.grad).all() and torch.isfinite(crf.transitions.grad).all()
    partial = crf(em, torch.tensor([[0, 2, -100], [1, -100, 0]]), mask, reduction="none")  # partial but illegal
    assert math.isinf(partial[0].item()) and math.isfinite(partial[1].item())


def test_all_minus_inf_is_minus_inf_without_nan_gradients():
    crf = _crf(3)
    em = torch.zeros(2, 3, 3, dtype=torch.float64)
    em[0, 1] = -INF  # no tag possible at t=1 for sequence 0
    em.requires_grad_(True)
    log_z = crf.log_partition(em)
    assert torch.isneginf(log_z[0]) and torch.isfinite(log_z[1])
    log_z.sum().backward()
    assert not torch.isnan(em.grad).any() and not torch.isnan(crf.transitions.grad).any()
    assert (em.grad[0] == 0).all()
    for k in (1, 2):
        paths, scores = _decode_both(crf, em.detach(), k=k)
        assert torch.isneginf(scores[0]).all() and (paths[0] == -1).all()


def test_no_allowed_path_gives_inf_loss_not_nan():
    """log Z = gold score = -inf: the loss is +inf (never NaN), for full and partial labels."""
    crf = _crf(3)
    em = torch.zeros(2, 3, 3, dtype=torch.float64)
    em[0, 1] = -INF  # sequence 0 has no possible path at all
    em.requires_grad_(True)
    for tags in (torch.tensor([[0, 1, 2], [0, 1, 2]]), torch.tensor([[0, -100, 2], [0, 1, 2]])):
        loss = crf(em, tags, reduction="none")
        assert torch.isposinf(loss[0]) and torch.isfinite(loss[1])
        assert torch.isposinf(crf(em, tags, reduction="mean"))
        em.grad = None
        loss.sum().backward()
        assert torch.isfinite(em.grad).all() and (em.grad[0] == 0).all()


@pytest.mark.parametrize("name", ["transitions", "start_transitions", "end_transitions"])
@pytest.mark.parametrize("bad", [float("nan"), INF])
def test_nan_or_inf_transition_scores_are_rejected(name, bad):
    crf = _crf(3)
    with torch.no_grad():
        getattr(crf, name).view(-1)[1] = bad
    em, tags = torch.zeros(1, 2, 3), torch.zeros(1, 2, dtype=torch.long)
    where = r"\[0, 1\]" if name == "transitions" else r"\[1\]"
    pattern = rf"CRF {name} contain NaN or \+inf \(first at {name}{where}\).*learning rate"
    for call in (lambda: crf.decode(em), lambda: crf(em, tags), lambda: crf.marginals(em)):
        with pytest.raises(InputError, match=pattern):
            call()
    with torch.no_grad():
        getattr(crf, name).view(-1)[1] = -INF  # -inf forbids a transition: allowed
    crf.decode(em)


def test_empty_sequences_and_reductions():
    crf = _crf(3)
    em, mask = _batch(3, 4, 3, [0, 2, 4])
    tags = torch.zeros(3, 4, dtype=torch.long)
    per = crf(em, tags, mask, reduction="none")
    assert per[0].item() == 0.0
    torch.testing.assert_close(crf(em, tags, mask, reduction="sum"), per.sum())
    torch.testing.assert_close(crf(em, tags, mask, reduction="mean"), per.sum() / 2)
    torch.testing.assert_close(crf(em, tags, mask, reduction="token_mean"), per.sum() / 6)
    assert crf(em, tags, torch.zeros(3, 4, dtype=torch.bool)).item() == 0.0


# ----------------------------------------------------------------------------- gradients
@pytest.mark.parametrize("constrained", [False, True])
@pytest.mark.parametrize("partial", [False, True])
def test_gradcheck_loss(constrained, partial):
    K = len(BIO)
    crf = _crf(K, constraints=allowed_transitions("BIO", BIO) if constrained else None)
    em, mask = _batch(3, 4, K, [4, 2, 3])
    tags = torch.tensor([[1, 2, 0, 3], [0, 0, 5, 5], [3, 4, 4, 0]])
    if partial:
        tags[0, 1] = tags[2, 2] = -100

    def f(e, tr, s0, en):
        params = {"transitions": tr, "start_transitions": s0, "end_transitions": en}
        return torch.func.functional_call(crf, params, (e, tags, mask), {"reduction": "sum"})

    inputs = [em.clone().requires_grad_(True)] + [p.detach().clone().requires_grad_(True) for p in
                                                    (crf.transitions, crf.start_transitions, crf.end_transitions)]
    assert torch.autograd.gradcheck(f, inputs, eps=1e-6, atol=1e-6)


def test_gradients_equal_marginals_minus_counts():
    crf = _crf(3)
    em, mask = _batch(2, 3, 3, [3, 2])
    em.requires_grad_(True)
    crf.log_partition(em, mask).sum().backward()
    torch.testing.assert_close(em.grad, crf.marginals(em.detach(), mask))


# ----------------------------------------------------------------------------- engines
def _engine_inputs(B, T, K, seed, scale=1.0, cons=None):
    g = torch.Generator().manual_seed(seed)
    em = torch.randn(T, B, K, generator=g, dtype=torch.float64) * scale
    tr = torch.randn(K, K, generator=g, dtype=torch.float64)
    if cons is not None:
        tr = tr.masked_fill(~cons[:K, :K], -INF)
    s0, en = torch.randn(K, generator=g, dtype=torch.float64), torch.randn(K, generator=g, dtype=torch.float64)
    lengths = torch.randint(0, T + 1, (B,), generator=g)
    lengths[0] = T
    return em, tr, s0, en, lengths


@pytest.mark.parametrize("scale", [1.0, 400.0])
def test_scaled_engine_equals_log_space_engine_and_detects_underflow(scale):
    cons = allowed_transitions("BIOES", ["O", "B-X", "I-X", "E-X", "S-X"])
    em, tr, s0, en, lengths = _engine_inputs(6, 30, 5, seed=3, scale=scale, cons=cons)
    em = em.masked_fill(torch.arange(30)[:, None, None] >= lengths[None, :, None], 0.0)
    st0 = _torch_dp._exp_forward(em, tr, s0, en, lengths)
    ref = _torch_dp._log_forward(em, tr, s0, en, lengths)
    if scale == 1.0:  # ordinary scores: the fast engine runs and agrees
        assert st0 is not None
        torch.testing.assert_close(st0["log_z"], ref["log_z"])
        g_fast = _torch_dp._exp_marginals(st0, tr, en, lengths, torch.ones(6, dtype=torch.float64))
        g_ref = _torch_dp._log_marginals(em, tr, en, lengths, ref["la"], ref["log_z"], torch.ones(6, dtype=torch.float64))
        torch.testing.assert_close(g_fast[0], g_ref[0])
        torch.testing.assert_close(g_fast[1], g_ref[1])
    else:  # scores ~400 nats apart under constraints: underflow is detected, results still exact
        assert st0 is None
        lz, _ = _torch_dp.log_partition_and_marginals(em, tr, s0, en, lengths)
        torch.testing.assert_close(lz, ref["log_z"])


def test_extreme_scores_match_enumeration_through_fallback():
    K = len(BIO)
    crf = _crf(K, constraints=allowed_transitions("BIO", BIO))
    em, mask = _batch(2, 4, K, [4, 3])
    em = em * 500  # exp-space would underflow
    tr, s0, en = _pots(crf)
    lz = crf.log_partition(em, mask)
    marg = crf.marginals(em, mask)
    for b, n in enumerate([4, 3]):
        e = em[b, :n].numpy()
        assert lz[b].item() == pytest.approx(nv.log_partition(e, tr, s0, en), rel=1e-12)
        np.testing.assert_allclose(marg[b, :n].numpy(), nv.marginals(e, tr, s0, en), atol=1e-9)


def test_numba_and_torch_decoders_identical():
    cons = allowed_transitions("BIO", BIO)
    for dtype in (torch.float32, torch.float64):
        em, tr, s0, en, lengths = _engine_inputs(7, 12, 5, seed=5, cons=cons)
        args = [x.to(dtype) for x in (em, tr, s0, en)]
        p1, s1 = _torch_dp.kbest_viterbi(*args, lengths, 1, use_numba=True)
        p2, s2 = _torch_dp.kbest_viterbi(*args, lengths, 1, use_numba=False)
        p3, s3 = _torch_dp.kbest_viterbi(*args, lengths, 4, use_numba=False)
        p4, s4 = _torch_dp.kbest_viterbi(*args, lengths, 4, use_numba=True)
        assert torch.equal(p1, p2) and torch.equal(s1, s2)
        assert torch.equal(p1[:, 0], p3[:, 0]) and torch.equal(s1[:, 0], s3[:, 0])
        assert torch.equal(p3, p4) and torch.equal(s3, s4)  # random scores: no ties


# ----------------------------------------------------------------------------- properties
@settings(max_examples=40, deadline=None)
@given(
    B=st.integers(1, 3), T=st.integers(1, 4), K=st.integers(1, 3), seed=st.integers(0, 10_000),
    k=st.integers(1, 3), use_cons=st.booleans(),
)
def test_property_random_shapes_match_enumeration(B, T, K, seed, k, use_cons):
    rng = np.random.default_rng(seed)
    cons = None
    if use_cons:
        cons = torch.as_tensor(rng.random((K + 2, K + 2)) < 0.7)
        cons[K, rng.integers(K)] = True
        cons[rng.integers(K), K + 1] = True
    crf = _crf(K, seed=seed, constraints=cons, batch_first=bool(seed % 2))
    lengths = [T] + list(rng.integers(0, T + 1, B - 1))
    em, mask = _batch(B, T, K, lengths, seed=seed)
    if not crf.batch_first:
        em, mask = em.transpose(0, 1), mask.t()
    tr, s0, en = _pots(crf)
    lz = crf.log_partition(em, mask)
    paths, scores = _decode_both(crf, em, mask, k=k)
    marg = crf.marginals(em, mask)
    if not crf.batch_first:
        em, marg = em.transpose(0, 1), marg.transpose(0, 1)
    for b, n in enumerate(lengths):
        e = em[b, :n].numpy()
        ref = nv.log_partition(e, tr, s0, en)
        assert lz[b].item() == pytest.approx(ref, abs=1e-9) or (math.isinf(ref) and torch.isneginf(lz[b]))
        if n and math.isfinite(ref):
            np.testing.assert_allclose(marg[b, :n].sum(-1).numpy(), 1.0, atol=1e-9)
            best = nv.kbest(e, tr, s0, en, k)
            np.testing.assert_allclose(scores[b, : len(best)].numpy(), [s for _, s in best], atol=1e-9)
            assert torch.isneginf(scores[b, len(best):]).all()
            for r in range(len(best)):
                assert nv.path_score(e, tr, s0, en, paths[b, r, :n].tolist()) == pytest.approx(best[r][1], abs=1e-9)


# ----------------------------------------------------------------------------- constraints
def _expected(K, pairs):
    m = torch.zeros(K + 2, K + 2, dtype=torch.bool)
    for i, j in pairs:
        m[i, j] = True
    return m


def test_allowed_transitions_bio():
    # 0=O 1=B-X 2=I-X 3=START 4=END
    exp = _expected(3, [(0, 0), (0, 1), (1, 0), (1, 1), (1, 2), (2, 0), (2, 1), (2, 2),
                        (3, 0), (3, 1), (0, 4), (1, 4), (2, 4)])
    assert torch.equal(allowed_transitions("BIO", ["O", "B-X", "I-X"]), exp)
    assert torch.equal(allowed_transitions("iob2", ["O", "B-X", "I-X"]), exp)


def test_allowed_transitions_bio_two_types():
    m = allowed_transitions("BIO", ["B-X", "I-X", "B-Y", "I-Y"])
    assert not m[0, 3] and not m[1, 3] and m[2, 3] and m[3, 3] and m[0, 2]  # I-Y only after B-Y/I-Y


def test_allowed_transitions_iob1():
    # 0=O 1=I-X 2=B-X 3=START 4=END: B-X only after I-X/B-X (it splits adjacent chunks)
    exp = _expected(3, [(0, 0), (0, 1), (1, 0), (1, 1), (1, 2), (2, 0), (2, 1), (2, 2),
                        (3, 0), (3, 1), (0, 4), (1, 4), (2, 4)])
    assert torch.equal(allowed_transitions("IOB1", ["O", "I-X", "B-X"]), exp)


def test_allowed_transitions_bioes():
    # 0=O 1=B-X 2=I-X 3=E-X 4=S-X 5=START 6=END
    after_end = [0, 1, 4]
    pairs = [(f, t) for f in (0, 3, 4) for t in after_end] + [(1, 2), (1, 3), (2, 2), (2, 3)]
    pairs += [(5, t) for t in after_end] + [(f, 6) for f in (0, 3, 4)]
    assert torch.equal(allowed_transitions("BIOES", ["O", "B-X", "I-X", "E-X", "S-X"]), _expected(5, pairs))


@pytest.mark.parametrize(
    "scheme, labels, match",
    [("BIOUL", ["O"], "unknown scheme"), ("BIO", ["O", "E-X"], "does not fit the BIO"),
     ("BIO", ["O", "PER"], "does not fit"), ("BIO", [], "empty"), ("BIO", ["O", "O"], "unique"),
     ("IOB1", ["O", "S-X"], "IOB1"), ("BIO", "O B-X", "single string")],
)
def test_allowed_transitions_errors(scheme, labels, match):
    with pytest.raises(InputError, match=match):
        allowed_transitions(scheme, labels)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), scheme=st.sampled_from(["IOB1", "BIO", "BIOES"]))
def test_constrained_decode_is_always_legal(seed, scheme):
    labels = {"IOB1": ["O", "I-A", "B-A", "I-B", "B-B"], "BIO": BIO,
              "BIOES": ["O", "B-A", "I-A", "E-A", "S-A", "B-B", "I-B", "E-B", "S-B"]}[scheme]
    K = len(labels)
    cons = allowed_transitions(scheme, labels)
    crf = _crf(K, seed=seed, constraints=cons)
    em, mask = _batch(4, 9, K, [9, 5, 1, 7], seed=seed)
    paths, scores = crf.decode(em * 3, mask, k=3)
    for b, n in enumerate([9, 5, 1, 7]):
        for r in range(3):
            if torch.isfinite(scores[b, r]):
                assert _legal(paths[b, r, :n].tolist(), cons, K)


def test_constraints_as_pairs_equal_matrix():
    m = allowed_transitions("BIO", BIO)
    pairs = [tuple(p) for p in m.nonzero().tolist()]
    a, b = _crf(5, constraints=m), _crf(5, constraints=pairs)
    assert torch.equal(a.constraint_mask, b.constraint_mask)


# ----------------------------------------------------------------------------- misc API
def test_float32_dtype_moves_and_state_dict():
    crf = CRF(4, constraints=allowed_transitions("BIO", ["O", "B-X", "I-X", "B-Y"]))
    em = torch.randn(2, 3, 4)
    assert crf.log_partition(em).dtype == torch.float32
    assert crf.decode(em)[1].dtype == torch.float32
    crf64 = crf.to(torch.float64)
    assert crf64.constraint_mask.dtype == torch.bool  # buffers move with .to()
    other = CRF(4, constraints=None)
    other.load_state_dict(crf.state_dict())
    assert torch.equal(other.constraint_mask, crf.constraint_mask)


def test_no_start_end_parameters():
    crf = CRF(3, include_start_end=False).double()
    assert crf.start_transitions is None
    em, mask = _batch(2, 3, 3, [3, 2])
    tr = crf.transitions.detach().numpy()
    z = np.zeros(3)
    assert crf.log_partition(em, mask)[1].item() == pytest.approx(nv.log_partition(em[1, :2].numpy(), tr, z, z))


def test_agrees_with_hmm_kernels():
    from seqtag.chains import dense as kernels

    crf = _crf(4, constraints=allowed_transitions("BIO", ["O", "B-X", "I-X", "B-Y"]))
    em, _ = _batch(1, 6, 4, [6])
    tr, s0, en = _pots(crf)
    ll, _ = kernels.forward(s0, tr, em[0].numpy(), en)
    path, lp = kernels.viterbi(s0, tr, em[0].numpy(), en)
    assert crf.log_partition(em)[0].item() == pytest.approx(ll, abs=1e-9)
    paths, scores = crf.decode(em)
    assert paths[0, 0].tolist() == list(path) and scores[0, 0].item() == pytest.approx(lp, abs=1e-9)
    long_em = torch.randn(1, 3000, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(3)) * 5
    ll, _ = kernels.forward(s0, tr, long_em[0].numpy(), en)  # no underflow over long sequences
    assert crf.log_partition(long_em)[0].item() == pytest.approx(ll, rel=1e-10)
    path, lp = kernels.viterbi(s0, tr, long_em[0].numpy(), en)
    paths, scores = crf.decode(long_em)
    assert paths[0, 0].tolist() == list(path) and scores[0, 0].item() == pytest.approx(lp, rel=1e-10)


def test_agrees_with_pytorch_crf():
    torchcrf = pytest.importorskip("torchcrf")
    ours = CRF(5)
    ref = torchcrf.CRF(5, batch_first=True)
    with torch.no_grad():
        for name in ("transitions", "start_transitions", "end_transitions"):
            getattr(ref, name).copy_(getattr(ours, name))
    em, mask = _batch(4, 6, 5, [6, 3, 1, 5])
    em = em.float()
    tags = torch.randint(0, 5, (4, 6), generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(ours(em, tags, mask, reduction="sum"), -ref(em, tags, mask, reduction="sum"))
    got = ours.decode(em, mask)[0][:, 0]
    for b, p in enumerate(ref.decode(em, mask)):
        assert got[b, : len(p)].tolist() == p


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda c, e, t, m: c(e[0], t, m), "3-D"),
        (lambda c, e, t, m: c(e[..., :2], t, m), "num_tags=3"),
        (lambda c, e, t, m: c(e.long(), t, m), "floating-point"),
        (lambda c, e, t, m: c(e, t[:, :2], m), "tags must have shape"),
        (lambda c, e, t, m: c(e, t.float(), m), "integer"),
        (lambda c, e, t, m: c(e, t + 5, m), "out of range"),
        (lambda c, e, t, m: c(e, t, m[:, :2]), "mask must have shape"),
        (lambda c, e, t, m: c(e, t, m.float()), "mask must be bool"),
        (lambda c, e, t, m: c(e, t, torch.tensor([[0, 1, 1], [1, 1, 1]]).bool()), "right-padded"),
        (lambda c, e, t, m: c(e, t, m, reduction="avg"), "unknown reduction"),
        (lambda c, e, t, m: c.decode(e, m, k=0), "k must be"),
        (lambda c, e, t, m: c(e.masked_fill(torch.ones_like(e, dtype=torch.bool), float("nan")), t, m), "NaN"),
    ],
)
def test_errors(call, match):
    crf = CRF(3)
    em = torch.randn(2, 3, 3)
    with pytest.raises(InputError, match=match):
        call(crf, em, torch.zeros(2, 3, dtype=torch.long), torch.ones(2, 3, dtype=torch.bool))


def test_constructor_errors_and_no_mutation():
    with pytest.raises(InputError, match="num_tags"):
        CRF(0)
    with pytest.raises(InputError, match="shape"):
        CRF(3, constraints=torch.ones(3, 3, dtype=torch.bool))
    with pytest.raises(InputError, match="no tag after START"):
        CRF(2, constraints=[(0, 1), (1, 3)])
    with pytest.raises(InputError, match="ignore_index"):
        CRF(3, ignore_index=1)
    em = torch.randn(2, 3, 3)
    before = em.clone()
    CRF(3)(em, torch.tensor([[0, 1, 2], [2, -100, 0]]), torch.tensor([[1, 1, 0], [1, 1, 1]], dtype=torch.bool))
    assert torch.equal(em, before)



def test_gradcheck_log_space_fallback():
    cons = allowed_transitions("BIO", BIO)
    em, tr, s0, en, lengths = _engine_inputs(3, 4, len(BIO), seed=7, scale=300.0, cons=cons)
    em = em.masked_fill(torch.arange(4)[:, None, None] >= lengths[None, :, None], 0.0)
    assert _torch_dp._exp_forward(em, tr, s0, en, lengths) is None  # the log-space engine runs
    inputs = [x.clone().requires_grad_(True) for x in (em, tr, s0, en)]
    assert torch.autograd.gradcheck(
        lambda e, t, s, n: _torch_dp.log_partition(e, t, s, n, lengths), inputs, eps=1e-6, atol=1e-5
    )


def test_backward_underflow_detected_after_exact_forward():
    # tag 1 may only be followed by tag 1, and ending in tag 1 costs 1000 nats: the scaled
    # betas of tag 1 underflow although the forward pass is fine
    cons = torch.ones(4, 4, dtype=torch.bool)
    cons[1, 0] = False
    cons[:, 2] = False  # nothing goes to START
    cons[3, :] = False  # nothing leaves END
    crf = _crf(2, constraints=cons)
    with torch.no_grad():
        crf.end_transitions.copy_(torch.tensor([0.0, -1000.0]))
    em, mask = _batch(2, 3, 2, [3, 2])
    e, _, lengths = crf._prepare(em, mask)
    tr, s0, en = crf._potentials(torch.float64)
    state = _torch_dp._exp_forward(e, tr.detach(), s0.detach(), en.detach(), lengths)
    assert state is not None
    assert _torch_dp._exp_marginals(state, tr.detach(), en.detach(), lengths, torch.ones(2, dtype=torch.float64)) is None
    em.requires_grad_(True)
    crf.log_partition(em, mask).sum().backward()  # exact forward, log-space backward
    tr_np, s0_np, en_np = _pots(crf)
    for b, n in enumerate([3, 2]):
        ref = nv.marginals(em[b, :n].detach().numpy(), tr_np, s0_np, en_np)
        np.testing.assert_allclose(em.grad[b, :n].numpy(), ref, atol=1e-9)
        np.testing.assert_allclose(crf.marginals(em.detach(), mask)[b, :n].numpy(), ref, atol=1e-9)


def test_partial_labels_with_extreme_scores():
    K = len(BIO)
    crf = _crf(K, constraints=allowed_transitions("BIO", BIO))
    em, mask = _batch(2, 4, K, [4, 3])
    em = em * 500
    tags = torch.tensor([[1, -100, -100, 0], [-100, 3, -100, 0]])
    tr, s0, en = _pots(crf)
    loss = crf(em, tags, mask, reduction="none")
    for b, n in enumerate([4, 3]):
        e = em[b, :n].numpy()
        ref = nv.log_partition(e, tr, s0, en) - nv.constrained_log_score(e, tr, s0, en, tags[b, :n].tolist())
        assert loss[b].item() == pytest.approx(ref, rel=1e-9, abs=1e-6)
