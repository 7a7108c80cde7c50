"""Sphinx acoustic-model readers: tiny hand-made files, the shipped en-us model, corrupted inputs."""

from __future__ import annotations

import math
import struct
import time

import numpy as np
import pytest

from seqtag.align.sphinx import (
    find_model_dir, load_codebooks, load_sphinx_model, read_dictionary, read_feat_params, read_gauden, read_mdef,
    read_mixture_weights, read_noisedict, read_s3_file, read_sendump, read_transition_matrices, write_s3_file,
)
from seqtag.align.sphinx.model import ENV_VAR, clear_sphinx_model_cache
from seqtag.exceptions import InputError, ModelFileError

ORDERS = ["<", ">"]
K = 1024 * math.log(1.0001)  # one sendump step in nats

# ----------------------------------------------------------------- tiny files written here

def checksum(values, size):  # the S3 checksum, written independently of seqtag
    s, rot = 0, {1: 5, 2: 10, 4: 20}[size]
    for v in values:
        s = ((((s << rot) | (s >> (32 - rot))) & 0xFFFFFFFF) + v) & 0xFFFFFFFF
    return s


def s3(ints, floats, order="<", check=True):
    """S3 file: header, magic, int32s, then float32s, then the checksum."""
    head = "s3\nversion 1.0\n" + ("chksum0 yes\n" if check else "") + "endhdr\n"
    body = struct.pack(f"{order}I{len(ints)}i{len(floats)}f", 0x11223344, *ints, *floats)
    float_bits = struct.unpack(f"{len(floats)}I", struct.pack(f"{len(floats)}f", *floats))
    bits = [x & 0xFFFFFFFF for x in ints] + list(float_bits)
    return head.encode() + body + (struct.pack(order + "I", checksum(bits, 4)) if check else b"")


PHONES, FILLER = ["+NSN+", "AA", "B", "SIL"], [1, 0, 0, 1]
#          base  left   right  pos  senones
TRI = [("AA", "B", "B", "b", (12, 13, 14)), ("AA", "SIL", "B", "i", (12, 13, 15)),
       ("B", "AA", "AA", "e", (16, 7, 17)), ("B", "AA", "SIL", "s", (16, 7, 17)), ("AA", "B", "SIL", "e", (3, 4, 5))]
N_SEN, WPOS = 18, "ibes"


def mdef_text():
    lines = ["# tiny", "0.3", "4 n_base", f"{len(TRI)} n_tri", f"{4 * (4 + len(TRI))} n_state_map",
             f"{N_SEN} n_tied_state", "12 n_tied_ci_state", "4 n_tied_tmat"]
    lines += [f"{p} - - - {'filler' if f else 'n/a'} {i} {3 * i} {3 * i + 1} {3 * i + 2} N"
              for i, (p, f) in enumerate(zip(PHONES, FILLER))]
    lines += [f"{b} {l} {r} {w} n/a {PHONES.index(b)} {' '.join(map(str, s))} N" for b, l, r, w, s in TRI]
    return ("\n".join(lines) + "\n").encode()


def mdef_binary(order="<"):
    """Binary mdef built like bin_mdef_read_text: tree levels wpos -> base -> lc -> rc."""
    ci = {p: i for i, p in enumerate(PHONES)}
    tri = [(WPOS.index(w), ci[b], ci[l], ci[r]) for b, l, r, w, _ in TRI]
    seqs = [(3 * i, 3 * i + 1, 3 * i + 2) for i in range(4)]
    for *_, s in TRI:
        seqs += [s] if s not in seqs else []
    lcs = [[sorted({t[2] for t in tri if t[:2] == (w, c)}) for c in range(4)] for w in range(4)]
    n_lc = sum(len(x) for row in lcs for x in row)
    lvl = [4, 4 + 16, 4 + 16 + n_lc]  # first node of levels 1, 2, 3
    tree, lc_nodes, rc_nodes = [(w, 4, lvl[0] + 4 * w) for w in range(4)], [], []
    for w in range(4):
        for c in range(4):
            tree.append((c, len(lcs[w][c]), lvl[1] + len(lc_nodes) if lcs[w][c] else -1))
            for l in lcs[w][c]:
                rcs = [(t[3], 4 + tri.index(t)) for t in tri if t[:3] == (w, c, l)]
                lc_nodes.append((l, len(rcs), lvl[2] + len(rc_nodes)))
                rc_nodes += [(r, 0, pid) for r, pid in rcs]
    tree += lc_nodes + rc_nodes
    names = b"".join(p.encode() + b"\0" for p in PHONES)
    names += b"\0" * (-len(names) % 4)
    out = [b"BMDF" if order == "<" else b"FDMB", struct.pack(order + "ii", 1, 8), b"desc\0\0\0\0",
           struct.pack(order + "10i", 4, 4 + len(TRI), 3, 12, N_SEN, 4, len(seqs), 3, len(tree), 3), names]
    out += [struct.pack(order + "hhi", *node) for node in tree]
    out += [struct.pack(order + "ii4B", i, i, f, 0, 0, 0) for i, f in enumerate(FILLER)]
    out += [struct.pack(order + "ii4B", seqs.index(s), ci[b], WPOS.index(w), ci[b], ci[l], ci[r])
            for b, l, r, w, s in TRI]
    flat = [x for s in seqs for x in s]
    return b"".join(out) + struct.pack(f"{order}i{len(flat)}H", len(flat), *flat)


MEANS = np.arange(2 * 2 * 5, dtype=np.float32) / 4  # 2 codebooks x 2 Gaussians x (2 + 3) dims
VARS = np.array([1, 2, 0.5, 1, 4, 0, 1, 1, 2, 3] * 2, np.float32)
MEANS_INTS = [2, 2, 2, 2, 3, 20]  # n_mgau, n_feat, n_density, veclen[2], size
TMAT = [3, 1, 0, 0, 0, 1, 1e-6, 0, 0, 0, 2, 2,  # row 0 -> 0,1; row 1 -> 1, 2 (tiny); row 2 -> 2, exit
        1, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0, 5]      # a skip 0 -> 2 and 1 -> exit; the last state only exits


def gauden(n_mgau, variances=False, seed=0):
    """Means or variances for the tiny model: 2 streams of 2 and 3 dims, 3 Gaussians."""
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.5, 2, n_mgau * 15) if variances else rng.normal(size=n_mgau * 15)
    return s3([n_mgau, 2, 3, 2, 3, n_mgau * 15], values.tolist())


def sendump(order="<", q=None, clustered=False):
    """q: bytes [feature][gaussian][senone]; clustered: 4-bit indices into codebook 3 i + 2."""
    q = np.arange(2 * 3 * 5, dtype=np.uint8).reshape(2, 3, 5) % 7 if q is None else q
    _, rows, cols = q.shape
    strings = [b"tiny sendump\0", b"header\0", b"feature_count 2\0", b"!!!"]
    if clustered:
        strings += [b"cluster_count 16\0", b"cluster_bits 4\0", b"mixture_count %d\0" % rows,
                    b"model_count %d\0" % cols]
    out = b"".join(struct.pack(order + "i", len(s)) + s for s in strings) + struct.pack(order + "i", 0)
    if not clustered:
        return out + struct.pack(order + "ii", rows, cols) + q.tobytes()
    pad = np.concatenate([q, np.zeros((2, rows, cols % 2), np.uint8)], axis=2)  # two senones a byte
    codebook = (np.arange(16) * 3 + 2).astype(np.uint8)
    return out + codebook.tobytes() + (pad[:, :, 0::2] | (pad[:, :, 1::2] << 4)).tobytes()


@pytest.fixture
def tiny(tmp_path):
    """A consistent PTM model folder: 4 CI phones, 4 codebooks, 18 senones."""
    files = {"mdef": mdef_binary(), "means": gauden(4), "variances": gauden(4, True),
             "sendump": sendump(q=np.arange(2 * 3 * 18, dtype=np.uint8).reshape(2, 3, 18) % 9 + 1),
             "transition_matrices": s3([4, 3, 4, 48], TMAT + TMAT),
             "noisedict": b"<sil> SIL\n[NOISE] +NSN+\n", "feat.params": b"-lowerf 130\n-svspec 0-1/2-4\n"}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    return tmp_path


# ----------------------------------------------------------------- S3 container

@pytest.mark.parametrize("order", ORDERS)
def test_s3_container_both_endians(tmp_path, order):
    f = tmp_path / "x"
    f.write_bytes(s3([7, -1], [0.25, -2.0], order))
    r = read_s3_file(f, "test")
    assert r.header == {"version": "1.0", "chksum0": "yes"} and r.byteorder == order
    assert (r.int32("a"), r.int32("b"), r.float32("c", 2).tolist()) == (7, -1, [0.25, -2.0])
    r.finish()
    write_s3_file(tmp_path / "y", [np.array([7, -1], np.int32), np.array([0.25, -2], np.float32)], byteorder=order)
    r = read_s3_file(tmp_path / "y", "test")
    assert r.int32("a", 2).tolist() == [7, -1] and r.float32("c", 2).tolist() == [0.25, -2.0]
    r.finish()


def test_s3_container_errors(tmp_path):
    def read_all(data):
        (tmp_path / "x").write_bytes(data)
        r = read_s3_file(tmp_path / "x", "test")
        r.int32("a"), r.float32("b", 1), r.finish()

    good = s3([7], [1.0])
    read_all(good)
    for data, msg in ((b"s3\nendhdr\n\x01\x02\x03\x04", "byte-order magic"),
                      (good.replace(b"endhdr", b"endhd"), "'endhd' without a value"),
                      (good[:-1], "truncated"), (good[:-4] + b"\0\0\0\0", "checksum mismatch"),
                      (good + b"\0", "1 more bytes"), (b"\x89PNG\r\n", "header line 's3'")):
        with pytest.raises(ModelFileError, match=msg):
            read_all(data)
    with pytest.raises(ModelFileError, match="cannot read"):
        read_s3_file(tmp_path / "missing", "test")


# ----------------------------------------------------------------- mdef

def check_tiny_mdef(m):
    assert m.ci_phones == PHONES and m.filler.tolist() == [True, False, False, True] and m.sil == 3
    assert (m.n_emit_state, m.n_sen, m.n_ci_sen, m.n_tmat, m.n_phone, m.n_sseq) == (3, 18, 12, 4, 9, 7)
    assert m.base.tolist() == [0, 1, 2, 3, 1, 1, 2, 2, 1] and m.lc.tolist() == [-1] * 4 + [2, 3, 1, 1, 2]
    assert m.rc.tolist() == [-1] * 4 + [2, 2, 1, 3, 3] and m.wpos.tolist() == [4] * 4 + [1, 0, 2, 3, 2]
    assert m.ssid.tolist() == [0, 1, 2, 3, 4, 5, 6, 6, 1] and m.tmat.tolist() == [0, 1, 2, 3, 1, 1, 2, 2, 1]
    assert m.sseq.tolist() == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11], [12, 13, 14], [12, 13, 15], [16, 7, 17]]
    assert m.sen2cimap.tolist() == [0] * 3 + [1] * 3 + [2] * 3 + [3] * 3 + [1] * 4 + [2] * 2
    assert m.cd2cisen.tolist() == list(range(12)) + [3, 4, 5, 5, 6, 8]
    assert m.phone_name(4) == "AA B B b" and m.senones(8).tolist() == [3, 4, 5]


@pytest.mark.parametrize("order", ORDERS)
def test_mdef_binary_and_text_agree(tmp_path, order):
    (tmp_path / "b").write_bytes(mdef_binary(order))
    (tmp_path / "t").write_bytes(mdef_text())
    check_tiny_mdef(read_mdef(tmp_path / "b"))
    check_tiny_mdef(read_mdef(tmp_path / "t"))


def test_mdef_phone_id_backoff(tmp_path):
    (tmp_path / "m").write_bytes(mdef_binary())
    m = read_mdef(tmp_path / "m")
    assert m.phone_id("AA", "B", "B", "b") == 4 and m.phone_id(1, 2, 2, 1) == 4  # exact, names or ids
    assert m.phone_id("AA", "B", "B", "e") == 4                     # other word position
    assert m.phone_id("AA", "+NSN+", "B", "i") == 5                 # filler context -> SIL
    assert m.phone_id("B", "AA", "B", "e") == 7                     # SIL on the right (end), then other positions
    assert m.phone_id("B", "B", "B", "i") == 2                      # nothing: the CI phone
    assert m.phone_id("B", "B", "B", "i", backoff=False) == -1
    assert m.phone_id("SIL") == 3 and m.phone_id("AA", None, "B") == 1
    with pytest.raises(InputError, match="not in the acoustic model"):
        m.phone_id("QQ", "B", "B")
    with pytest.raises(InputError, match="word position"):
        m.phone_id("AA", "B", "B", "x")


def test_mdef_bad_files(tmp_path):
    good, f = mdef_binary(), tmp_path / "m"
    counts = 12 + 8  # offset of the ten int32 counts
    cases = [(good[:counts] + struct.pack("<i", 300) + good[counts + 4:], "1 to 255 CI phones"),
             (good[:counts + 4 * 8] + struct.pack("<i", 99) + good[counts + 36:], "truncated|end|context-tree"),
             (good[:-2], "senone ids ending the file"), (good[:8] + b"\xff\xff\xff\x7f" + good[12:], "truncated"),
             (b"0.4\n", "first line '0.3'"), (mdef_text().replace(b"B SIL e n/a 1 3 4 5 N", b"B SIL e n/a 1 3 4 99 N"),
                                                 "in 0 to 17, found 99"),
             (mdef_text().replace(b"AA B B b", b"AA B B x"), "position among"),
             (mdef_text() + b"extra line\n", "found more")]
    for data, msg in cases:
        f.write_bytes(data)
        with pytest.raises(ModelFileError, match=msg):
            read_mdef(f)
    tree_leaf = good.rfind(struct.pack("<hhi", 3, 0, 7))  # rc=SIL leaf of "B AA SIL s" -> point at phone 8
    f.write_bytes(good[:tree_leaf] + struct.pack("<hhi", 3, 0, 8) + good[tree_leaf + 8:])
    with pytest.raises(ModelFileError, match="agree on every triphone"):
        read_mdef(f)


# ----------------------------------------------------------------- Gaussians, weights, transitions

@pytest.mark.parametrize("order", ORDERS)
def test_gauden_ragged_streams_and_floor(tmp_path, order):
    (tmp_path / "m").write_bytes(s3(MEANS_INTS, MEANS.tolist(), order))
    (tmp_path / "v").write_bytes(s3(MEANS_INTS, VARS.tolist(), order))
    means, veclen = read_gauden(tmp_path / "m")
    assert means.shape == (2, 2, 2, 3) and veclen.tolist() == [2, 3] and means.dtype == np.float32
    # codebook 0: stream 0 holds Gaussians [0, .25], [.5, .75]; stream 1 [1, 1.25, 1.5], [1.75, 2, 2.25]
    assert means[0, 0].tolist() == [[0, 0.25, 0], [0.5, 0.75, 0]]
    assert means[0, 1].tolist() == [[1, 1.25, 1.5], [1.75, 2, 2.25]] and means[1, 0, 0, :2].tolist() == [2.5, 2.75]
    cb = load_codebooks(tmp_path / "m", tmp_path / "v")
    assert cb.n_floored == 2 and cb.variances[0, 1, 0].tolist() == [4, np.float32(1e-4), 1]  # the 0 is floored
    assert cb.variances[0, 0, 0].tolist() == [1, 2, 1] and cb.means[0, 0, 0, 2] == 0  # padding: variance 1, mean 0
    assert cb.precisions[0, 0, 1].tolist() == [2, 1, 0] and cb.precisions[0, 1, 0, 0] == 0.25
    assert cb.log_norm[0, 0, 0] == pytest.approx(-0.5 * (math.log(2 * math.pi) + math.log(4 * math.pi)), rel=1e-6)
    assert cb.log_norm[0, 1, 0] == pytest.approx(-0.5 * sum(math.log(2 * math.pi * v) for v in (4, 1e-4, 1)), rel=1e-6)


@pytest.mark.parametrize("order", ORDERS)
def test_sendump_transposed_and_dequantised(tmp_path, order):
    q = np.arange(2 * 3 * 5, dtype=np.uint8).reshape(2, 3, 5) % 7  # includes 0 (weight 1)
    (tmp_path / "s").write_bytes(sendump(order, q))
    w = read_sendump(tmp_path / "s", n_sen=5, n_feat=2, n_density=3)
    assert w.shape == (5, 2, 3) and w.dtype == np.float32 and w.flags.c_contiguous
    qt = q.transpose(2, 0, 1).astype(float)  # [senone][feature][gaussian]
    np.testing.assert_allclose(w, -np.maximum(qt - 0.5, 0) * K, rtol=1e-6)
    assert w[4, 1, 2] == pytest.approx(-(q[1, 2, 4] - 0.5) * K) and w[0, 0, 0] == 0  # byte 0: weight 1
    np.testing.assert_allclose(read_sendump(tmp_path / "s", dequantize="pocketsphinx"), -qt * K, rtol=1e-6)
    (tmp_path / "c").write_bytes(sendump(order, q, clustered=True))  # 4-bit indices into a 16-byte codebook
    wc = read_sendump(tmp_path / "c")
    np.testing.assert_allclose(wc, -(qt * 3 + 2 - 0.5) * K, rtol=1e-6)
    with pytest.raises(ModelFileError, match="expected 6 senones"):
        read_sendump(tmp_path / "s", n_sen=6)


def test_mixture_weights_normalised_and_floored(tmp_path):
    counts = [2, 2, 0, 0, 0, 0, 4, 1, 1, 0]  # 2 senones x 1 stream x 5 Gaussians
    (tmp_path / "w").write_bytes(s3([2, 1, 5, 10], [float(c) for c in counts]))
    w = read_mixture_weights(tmp_path / "w")
    assert w.shape == (2, 1, 5) and w.dtype == np.float32
    p = np.exp(w.astype(np.float64))
    np.testing.assert_allclose(p.sum(-1), 1, rtol=1e-6)
    np.testing.assert_allclose(p[0, 0], np.array([0.5, 0.5, 1e-7, 1e-7, 1e-7]) / (1 + 3e-7), rtol=1e-5)
    w0 = read_mixture_weights(tmp_path / "w", mixwfloor=0)
    assert np.isneginf(w0[0, 0, 2:]).all() and w0[1, 0, 2] == pytest.approx(math.log(1 / 6), rel=1e-6)
    (tmp_path / "z").write_bytes(s3([1, 1, 2, 2], [0.0, 0.0]))
    with pytest.raises(ModelFileError, match="only zero weights"):
        read_mixture_weights(tmp_path / "z", mixwfloor=0)
    assert np.allclose(np.exp(read_mixture_weights(tmp_path / "z")), 0.5)  # PocketSphinx: floor -> uniform


@pytest.mark.parametrize("order", ORDERS)
def test_transition_matrices(tmp_path, order):
    (tmp_path / "t").write_bytes(s3([2, 3, 4, 24], TMAT, order))
    t = read_transition_matrices(tmp_path / "t")
    assert t.shape == (2, 3, 4) and t.dtype == np.float64
    p = np.exp(t)
    np.testing.assert_allclose(p.sum(-1), 1)
    a = 1 / (1 + 1e-6)  # row 1 normalised; then 1e-6 / (1 + 1e-6) is floored to 1e-4 and the row renormalised
    np.testing.assert_allclose(p[0], [[0.75, 0.25, 0, 0], [0, a / (a + 1e-4), 1e-4 / (a + 1e-4), 0], [0, 0, 0.5, 0.5]],
                               rtol=1e-6)
    assert np.isneginf(t[0, 1, 0]) and np.isneginf(t[0, 0, 3]) and t[1, 0, 2] == pytest.approx(math.log(1 / 3))
    assert t[1, 2].tolist() == [-np.inf, -np.inf, -np.inf, 0.0]
    assert np.exp(read_transition_matrices(tmp_path / "t", tmatfloor=0)[0, 1, 2]) == pytest.approx(1e-6, rel=1e-3)
    for bad, msg in (([2, 3], "left-to-right"), ([4], "left-to-right"), ([8, 9, 10, 11], "no transition")):
        vals = list(TMAT)
        for i in bad:
            vals[i] = 1.0 if msg != "no transition" else 0.0
        (tmp_path / "b").write_bytes(s3([2, 3, 4, 24], vals, order))
        with pytest.raises(ModelFileError, match=msg):
            read_transition_matrices(tmp_path / "b")


# ----------------------------------------------------------------- dictionaries, whole model

def test_dictionaries_and_feat_params(tmp_path):
    (tmp_path / "d").write_text(";; c\n## c\nread R IY D\nread(2) R EH D\nread(3) R IY D\n\nzoo Z UW # note\n")
    assert read_dictionary(tmp_path / "d") == {"read": [["R", "IY", "D"], ["R", "EH", "D"]], "zoo": [["Z", "UW"]]}
    (tmp_path / "n").write_text("<sil> SIL\n[NOISE] +NSN+\n")
    assert read_noisedict(tmp_path / "n") == {"<sil>": [["SIL"]], "[NOISE]": [["+NSN+"]]}
    (tmp_path / "f").write_text("-lowerf 130\n\n-svspec 0-12/13-25\n")
    assert read_feat_params(tmp_path / "f") == {"lowerf": "130", "svspec": "0-12/13-25"}
    for name, text, msg in (("d", "word\n", "no pronunciation"), ("f", "lowerf 130\n", "-key value")):
        (tmp_path / name).write_text(text)
        with pytest.raises(ModelFileError, match=msg):
            (read_dictionary if name == "d" else read_feat_params)(tmp_path / name)
    (tmp_path / "d").write_bytes(b"caf\xe9 K AE\n")
    with pytest.raises(ModelFileError, match="UTF-8"):
        read_dictionary(tmp_path / "d")


def test_tiny_model_folder(tiny, monkeypatch):
    clear_sphinx_model_cache()
    m = load_sphinx_model(tiny)
    assert (m.kind, m.n_mgau, m.n_sen, m.n_feat, m.n_density, m.veclen.tolist()) == ("ptm", 4, 18, 2, 3, [2, 3])
    assert m.senone_codebook.tolist() == m.mdef.sen2cimap.tolist() and m.log_tmat.shape == (4, 3, 4)
    assert m.feat_params["svspec"] == "0-1/2-4" and m.noise_dict["[NOISE]"] == [["+NSN+"]] and m.dictionary_path is None
    assert load_sphinx_model(tiny) is m and not m.log_mixw.flags.writeable and not m.mdef.sseq.flags.writeable
    monkeypatch.setenv(ENV_VAR, str(tiny))
    assert find_model_dir() == tiny and load_sphinx_model() is m
    (tiny / "feat.params").write_text("-lowerf 130\n-svspec 0-1/2-4\n-nfilt 25\n")  # changed file: reloaded
    assert load_sphinx_model(tiny) is not m and load_sphinx_model(tiny, varfloor=0.5) is not m


@pytest.mark.parametrize("n_mgau, kind", [(4, "ptm"), (1, "semi"), (18, "continuous"), (3, None)])
def test_model_kind(tiny, n_mgau, kind):
    (tiny / "means").write_bytes(gauden(n_mgau))
    (tiny / "variances").write_bytes(gauden(n_mgau, True))
    if kind is None:
        with pytest.raises(ModelFileError, match="expected 1 codebook"):
            load_sphinx_model(tiny)
        return
    m = load_sphinx_model(tiny)
    expected = {"ptm": m.mdef.sen2cimap, "semi": np.zeros(18), "continuous": np.arange(18)}[kind]
    assert m.kind == kind and m.senone_codebook.tolist() == expected.tolist() and m.log_mixw.shape == (18, 2, 3)


def test_model_folder_errors(tiny, tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    for name, data, msg in (("noisedict", b"<sil> SILENCE\n", "not in the model definition"),
                            ("feat.params", b"-svspec 0-12/13-25/26-38\n", "-svspec"),
                            ("transition_matrices", s3([2, 3, 4, 24], TMAT), "expected 4 matrices"),
                            ("sendump", sendump(), "expected 18 senones"),
                            ("variances", gauden(3, True), "do not match")):
        keep = (tiny / name).read_bytes()
        (tiny / name).write_bytes(data)
        with pytest.raises(ModelFileError, match=msg):
            load_sphinx_model(tiny)
        (tiny / name).write_bytes(keep)
    (tiny / "variances").unlink()
    with pytest.raises(ModelFileError, match="variances missing"):
        load_sphinx_model(tiny)
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "nowhere"))
    with pytest.raises(ModelFileError, match=ENV_VAR):
        find_model_dir()
    monkeypatch.delenv(ENV_VAR)
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(ModelFileError, match="pip install pocketsphinx"):
        find_model_dir()


# ----------------------------------------------------------------- corrupted inputs

MIXW = [2, 2, 0, 0, 0, 0, 4, 1, 1, 0]
FUZZ = {  # name: (file bytes, reader)
    "mdef-le": (mdef_binary("<"), read_mdef), "mdef-be": (mdef_binary(">"), read_mdef),
    "mdef-text": (mdef_text(), read_mdef),
    "means-le": (s3(MEANS_INTS, MEANS.tolist()), read_gauden),
    "means-be": (s3(MEANS_INTS, MEANS.tolist(), ">"), read_gauden),
    "tmat": (s3([2, 3, 4, 24], TMAT), read_transition_matrices),
    "tmat-be": (s3([2, 3, 4, 24], TMAT, ">"), read_transition_matrices),
    "mixw": (s3([2, 1, 5, 10], MIXW), read_mixture_weights),
    "sendump": (sendump(), read_sendump), "sendump-be": (sendump(">"), read_sendump),
    "sendump-4bit": (sendump(clustered=True), read_sendump),
}


@pytest.mark.parametrize("name", FUZZ)
def test_truncations_and_bit_flips_raise_model_file_error(tmp_path, name):
    good, read = FUZZ[name]
    f = tmp_path / name
    f.write_bytes(good)
    read(f)

    def outcome(data: bytes) -> str:
        f.write_bytes(data)
        try:
            read(f)
        except ModelFileError:
            return "error"
        return "ok"  # any other exception fails the test

    for n in range(len(good)):  # every truncation is an error (text: unless only the final newline goes)
        if not (name == "mdef-text" and good[:n].rstrip() == good.rstrip()):
            assert outcome(good[:n]) == "error", f"{name} truncated to {n} bytes was accepted"
    rng = np.random.default_rng(20240601)
    for _ in range(300):  # random bit flips and byte overwrites: accepted or ModelFileError, nothing else
        data = bytearray(good)
        for i in rng.integers(0, len(data), size=rng.integers(1, 4)):
            data[i] = data[i] ^ (1 << int(rng.integers(0, 8))) if rng.random() < 0.7 else int(rng.integers(0, 256))
        outcome(bytes(data))


@pytest.mark.parametrize("name", ["means-le", "means-be", "tmat", "tmat-be", "mixw", "mdef-le", "mdef-be"])
def test_flipped_counts(tmp_path, name):
    good, read = FUZZ[name]
    if name.startswith("mdef"):  # n_ciphone, n_phone, n_emit_state, n_ci_sen, -, -, n_sseq, n_ctx, n_cd_tree
        start, fields = 20, [0, 1, 2, 3, 6, 7, 8]  # (more senones or matrices than used, or another sil, is valid)
    else:  # the 4 int32 after the byte-order magic
        start, fields = good.index(b"endhdr\n") + 7 + 4, [0, 1, 2, 3]
    lsb, msb = (3, 0) if name.endswith("be") else (0, 3)
    f = tmp_path / "x"
    for k in fields:
        for byte, mask in ((lsb, 0x01), (lsb, 0x08), (msb, 0x40), (msb, 0x80)):
            data = bytearray(good)
            data[start + 4 * k + byte] ^= mask
            f.write_bytes(bytes(data))
            with pytest.raises(ModelFileError, match="expected|truncated"):
                read(f)


def test_wrong_file_types(tmp_path):
    readers = {"mdef": read_mdef, "gauden": read_gauden, "tmat": read_transition_matrices, "mixw": read_mixture_weights,
               "sendump": read_sendump, "dict": read_dictionary}
    files = {"mdef": mdef_binary(), "mdef-text": mdef_text(), "gauden": FUZZ["means-le"][0], "tmat": FUZZ["tmat"][0],
             "mixw": FUZZ["mixw"][0], "sendump": sendump(), "dict": b"read R IY D\n"}
    for fname, data in files.items():
        (tmp_path / fname).write_bytes(data)
        for rname, read in readers.items():
            same = fname.split("-")[0] == rname
            if same or (fname, rname) in {("tmat", "mixw"), ("mdef-text", "dict"), ("gauden", "dict"), ("tmat", "dict"),
                                          ("mixw", "dict")}:
                continue  # the same type; a tmat file is also a well-formed 3-d mixw file; a text file is a dict
            with pytest.raises(ModelFileError):
                read(tmp_path / fname)
    for read in readers.values():  # a folder or a missing file
        with pytest.raises(ModelFileError, match="cannot read"):
            read(tmp_path)
        with pytest.raises(ModelFileError, match="cannot read"):
            read(tmp_path / "missing")


# ----------------------------------------------------------------- the model shipped with PocketSphinx

@pytest.fixture(scope="module")
def en_us():
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(ENV_VAR, raising=False)
        try:
            return find_model_dir("en-us")
        except ModelFileError as exc:
            pytest.skip(f"PocketSphinx's en-us model is not installed: {exc}")


def test_real_mdef(en_us):
    m = read_mdef(en_us / "mdef")
    assert len(m.ci_phones) == 42 and [p for p, f in zip(m.ci_phones, m.filler) if f] == ["+NSN+", "+SPN+", "SIL"]
    assert (m.n_sen, m.n_ci_sen, m.n_phone, m.n_emit_state, m.n_tmat, m.n_sseq) == (5126, 126, 137095, 3, 42, 29324)
    assert np.bincount(m.wpos[42:], minlength=4).tolist() == [19733, 37960, 36160, 43200]  # i b e s: all positions
    assert m.sen2cimap[:126].tolist() == (np.arange(126) // 3).tolist() and m.sen2cimap.min() == 0
    assert np.array_equal(m.cd2cisen[m.sseq[m.ssid]], m.base[:, None] * 3 + np.arange(3))
    assert np.array_equal(m.tmat, m.base)  # one transition matrix per base phone
    assert m.phone_name(m.phone_id("AA", "B", "K", "b")) == "AA B K b"
    assert m.phone_name(m.phone_id("AA", "+NSN+", "K", "i")) == "AA SIL K b"  # filler -> SIL, then other positions


def test_real_parameters(en_us):
    means, veclen = read_gauden(en_us / "means")
    assert means.shape == (42, 3, 128, 13) and veclen.tolist() == [13, 13, 13]
    cb = load_codebooks(en_us / "means", en_us / "variances")
    assert cb.n_floored == 222 and cb.variances.min() == np.float32(1e-4) and np.isfinite(cb.log_norm).all()
    w = read_sendump(en_us / "sendump", n_sen=5126, n_feat=3, n_density=128)
    sums = np.exp(w.astype(np.float64)).sum(-1)  # quantised weights: 0.957 .. 1.041, mean 1.0006
    assert w.shape == (5126, 3, 128) and 0.95 < sums.min() and sums.max() < 1.05 and abs(sums.mean() - 1) < 2e-3
    t = read_transition_matrices(en_us / "transition_matrices")
    assert t.shape == (42, 3, 4) and np.allclose(np.exp(t).sum(-1), 1)
    assert np.isneginf(t[:, [0, 0, 1, 1, 2, 2], [2, 3, 3, 0, 0, 1]]).all()  # no skips, no backward moves
    assert np.isfinite(t[:, [0, 0, 1, 1, 2, 2], [0, 1, 1, 2, 2, 3]]).all()


def test_real_model_and_dictionary(en_us):
    clear_sphinx_model_cache()
    start = time.perf_counter()
    m = load_sphinx_model(en_us)
    seconds = time.perf_counter() - start
    assert seconds < 5, f"loading the en-us model took {seconds:.2f} s"  # about 0.2 s when the machine is idle
    assert (m.kind, m.n_mgau, m.n_sen, m.n_feat, m.n_density) == ("ptm", 42, 5126, 3, 128)
    assert np.array_equal(m.senone_codebook, m.mdef.sen2cimap) and m.feat_params["feat"] == "1s_c_d_dd"
    assert m.noise_dict["[NOISE]"] == [["+NSN+"]] and m.dictionary_path is not None
    words = read_dictionary(m.dictionary_path)
    assert len(words) > 100_000 and words["read"] == [["R", "EH", "D"], ["R", "IY", "D"]]
    phones = {ph.rstrip("012") for prons in words.values() for pron in prons for ph in pron}
    assert phones == {p for p, f in zip(m.mdef.ci_phones, m.mdef.filler) if not f}  # 39 CMUdict phones
