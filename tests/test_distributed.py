"""Dask: a real 2-process LocalCluster on 127.0.0.1 gives the single-process rows, error rows included."""

from __future__ import annotations

import io
import sys

import numpy as np
import pandas as pd
import pytest

distributed = pytest.importorskip("dask.distributed")
pytest.importorskip("pyarrow")
import dask  # noqa: E402
import dask.bag as db  # noqa: E402
import dask.dataframe as dd  # noqa: E402

from seqtag import HMMTagger  # noqa: E402
from seqtag import _model_payload as payload_mod  # noqa: E402
from seqtag import distributed as sd  # noqa: E402
from seqtag.cli import main  # noqa: E402
from seqtag.dataframe import align_dataframe, tag_dataframe  # noqa: E402
from seqtag.exceptions import InputError, SeqtagError  # noqa: E402

from .conftest import SPEECH_TEXTS, need_corpus  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address=None)
    c = distributed.Client(cluster)
    try:
        yield c
    finally:
        c.close()
        cluster.close()


@pytest.fixture(scope="module")
def ptb():
    train = need_corpus("ptb-sample", split="train")
    test = need_corpus("ptb-sample", split="test")
    return HMMTagger(order=2).fit(train.X, train.y), test


@pytest.fixture(scope="module")
def poisoned(ptb):
    """Test sentences with three bad documents among them."""
    _, test = ptb
    cells = list(test.X[:120])
    cells[7], cells[50], cells[101] = 17, ["ok", None], None
    return pd.DataFrame({"text": cells}, index=np.arange(1000, 1120))


def loads(client):
    """How many times each worker process rebuilt each shipped model."""
    return client.run(lambda: dict(payload_mod._LOADS))


def test_dask_dataframe_equals_single_process(client, ptb, poisoned):
    tagger, _ = ptb
    want = tag_dataframe(poisoned, tagger, tokenized=True, batch_size=16)
    assert want.loc[want["error"].notna(), "doc_id"].tolist() == [1007, 1050, 1101]
    with dask.config.set({"dataframe.convert-string": False}):  # keep token lists as lists
        ddf = dd.from_pandas(poisoned, npartitions=5)
    result = sd.tag_dask(ddf, tagger, client=client, tokenized=True, batch_size=16)
    got = result.compute()
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want)
    per_worker = loads(client)
    assert len(per_worker) == 2
    key = sd.pack_model(tagger).key
    assert all(counts.get(key) == 1 for counts in per_worker.values())  # shipped and rebuilt once per worker
    # a second job with the same model reuses what the workers hold
    again = sd.tag_dask(ddf, tagger, client=client, tokenized=True, batch_size=16).compute()
    pd.testing.assert_frame_equal(again, got)
    assert loads(client) == per_worker


def test_bags_of_texts(client, ptb, poisoned):
    tagger, _ = ptb
    want = tag_dataframe(poisoned, tagger, tokenized=True)
    pairs = db.from_sequence(list(zip(poisoned.index.tolist(), poisoned["text"])), npartitions=4)
    got = sd.tag_dask(pairs, tagger, client=client, ids=True, tokenized=True).compute()
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want)
    raw = ["The dog barked. It was late.", 42, "Shares fell 3 %."]
    plain = sd.tag_dask(db.from_sequence(raw, npartitions=2), tagger, client=client).compute()
    ids = plain.drop_duplicates("doc_id")["doc_id"].tolist()
    assert ids == ["0:0", "0:1", "1:0"]  # partition:position
    single = tag_dataframe(pd.DataFrame({"text": raw}, index=ids), tagger)
    pd.testing.assert_frame_equal(plain.reset_index(drop=True), single, check_dtype=False)
    odd = sd.tag_dask(db.from_sequence([("x", "It rose"), "oops"], npartitions=1), tagger, client=client,
                      ids=True).compute()
    assert odd["doc_id"].tolist() == ["x", "x", "0:1"] and odd["tag"].notna().sum() == 2
    assert odd["error"].iloc[-1] == "InputError: a bag item must be (item_id, text), got 'oops'"


def test_parquet_parts_as_completed(client, ptb, poisoned, tmp_path):
    tagger, _ = ptb
    with dask.config.set({"dataframe.convert-string": False}):
        ddf = dd.from_pandas(poisoned, npartitions=3)
    seen = []
    stats = sd.to_parquet_as_completed(sd.tag_dask(ddf, tagger, client=client, tokenized=True),
                                       tmp_path / "out.parquet", client=client, progress=seen.append)
    assert sorted(p.name for p in (tmp_path / "out.parquet").iterdir()) == [f"part-0000{i}.parquet" for i in range(3)]
    want = tag_dataframe(poisoned, tagger, tokenized=True)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "out.parquet"), want)
    assert stats["rows"] == len(want) and stats["errors"] == 3 and [s["parts"] for s in seen] == [1, 2, 3]
    with pytest.raises(InputError, match="already holds 3 part files"):
        sd.to_parquet_as_completed(sd.tag_dask(ddf, tagger, client=client, tokenized=True),
                                   tmp_path / "out.parquet", client=client)


def test_cli_on_an_existing_scheduler(client, ptb, tmp_path, capsys):
    tagger, test = ptb
    model = tagger.save(tmp_path / "hmm")
    lines = [" ".join(s) for s in test.X[:90]]
    (tmp_path / "big.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    address = client.scheduler.address
    old, sys.stdin = sys.stdin, io.StringIO("")
    try:
        code = main(["tag", str(model), "--input", str(tmp_path / "big.txt"), "--output",
                     str(tmp_path / "out.parquet"), "--scheduler", address, "--chunk-lines", "20", "--tokenized"])
    finally:
        sys.stdin = old
    out = capsys.readouterr().out
    assert code == 0 and f"tagged 90 lines on {address}" in out and "(5 parts)" in out
    want = tag_dataframe(pd.DataFrame({"text": lines}, index=range(1, 91)), tagger, tokenized=True)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "out.parquet"), want)


def test_align_dask_equals_align_dataframe(client, tmp_path_factory):
    pytest.importorskip("espeakng_loader")
    from seqtag.align.aligners.hmm_gmm import HMMAligner
    from seqtag.corpora.synthetic import generate_synthetic

    corpus = generate_synthetic(6, "train", seed=0, cache_dir=tmp_path_factory.mktemp("syn"), texts=SPEECH_TEXTS)
    aligner = HMMAligner(max_components=1, viterbi_iter=2, em_iter=2).fit(corpus)
    df = pd.DataFrame({"audio_path": [str(u.audio_path) for u in corpus] + ["/no/such.wav"],
                       "transcript": [u.transcript for u in corpus] + ["the cat"]})
    want = align_dataframe(df, aligner, batch_size=2)
    assert want["error"].notna().sum() == 1 and "audio file not found" in want["error"].dropna().iloc[0]
    got = sd.align_dask(dd.from_pandas(df, npartitions=3), aligner, client=client, batch_size=2).compute()
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want)
    triples = db.from_sequence([(i, a, t) for i, a, t in zip(df.index, df["audio_path"], df["transcript"])],
                               npartitions=2)
    got = sd.align_dask(triples, aligner, client=client, ids=True, batch_size=2).compute()
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want)

    class AlignOnly:  # no save/load: travels in memory through Dask's serialization
        def align(self, audio, transcript):
            return aligner.align(audio, transcript)

    assert sd.pack_model(AlignOnly()).files == ()
    got = sd.align_dask(dd.from_pandas(df, npartitions=2), AlignOnly(), client=client).compute()
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want)


def test_a_model_the_workers_cannot_rebuild_is_a_setup_error(client, ptb):
    tagger, _ = ptb
    payload = sd.pack_model(tagger)
    broken = sd.ModelPayload(payload.kind, payload.loader, tuple((n, b"{") for n, _ in payload.files), "broken")
    with pytest.raises(SeqtagError, match="the workers could not load the model"):
        sd.ship_model(broken, client)
    rows = sd._tag_chunk(broken, [1, 2], ["a b", "c"], True, False, 8, np.dtype(np.int64))  # inside a task
    assert rows["doc_id"].tolist() == [1, 2] and rows["error"].str.startswith("ModelFileError: ").all()
    with pytest.raises(InputError, match="expects a dask DataFrame or Bag, got DataFrame"):
        sd.tag_dask(pd.DataFrame({"text": ["a"]}), tagger, client=client)
