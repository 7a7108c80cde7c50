"""compare_aligners, its report folder, agreement with MFA TextGrids, the CLI and `align` dispatch."""

from __future__ import annotations

import html
import json
import math

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch")
pytest.importorskip("espeakng_loader")

import seqtag  # noqa: E402
from seqtag.align.formats import read_json, write_textgrid  # noqa: E402
from seqtag.comparison.aligner_report import format_aligner_table, write_aligner_report  # noqa: E402
from seqtag.comparison.aligners import compare_aligners, strip_references  # noqa: E402
from seqtag.comparison.mfa import MFA_CAVEAT, default_mfa_dir, mfa_agreement  # noqa: E402
from seqtag.corpora.synthetic import generate_synthetic  # noqa: E402
from seqtag.exceptions import InputError, ModelFileError  # noqa: E402
from seqtag.intervals import Interval  # noqa: E402
from seqtag.metrics import boundary_report, pooled_boundary_report  # noqa: E402
from seqtag.registry import MODELS, model_names  # noqa: E402

from .conftest import SPEECH_TEXTS  # noqa: E402


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    cache = tmp_path_factory.mktemp("syn")
    train = generate_synthetic(10, "train", seed=0, cache_dir=cache, texts=SPEECH_TEXTS)
    # test sentences the training set has spoken (other voices): every phone has a model
    test = generate_synthetic(3, "test", seed=0, cache_dir=cache, texts=sorted({u.transcript for u in train}))
    return train, test


@pytest.fixture(scope="module")
def compared(data):
    train, test = data
    return compare_aligners("hmm,ctc", train, test, preset="quick", return_details=True)


def _relabel(ref, hyp):
    return [Interval(r.label, h.start, h.end) for r, h in zip(ref, hyp)]


def _even(u):
    edges = np.linspace(0, u.duration, len(u.words) + 1)
    return [Interval(w.label, a, b) for w, a, b in zip(u.words, edges[:-1], edges[1:])]


def test_table_pools_every_word_boundary(data, compared):
    train, test = data
    table, details = compared
    assert list(table.index) == ["hmm", "ctc"]
    assert table.loc["hmm", "class"] == "HMMAligner" and table.loc["ctc", "class"] == "CTCAligner"
    n_words = sum(len(u.words) for u in test)
    for name in table.index:
        row, run = table.loc[name], details.runs[name]
        assert row["failed"] == 0 and row["trained_on"] == "train" and row["train_utts"] == len(train)
        assert row["word_boundaries"] == 2 * n_words
        assert row["train_s"] > 0 and row["x_realtime"] > 0
        # independent recomputation: per-utterance reports, weighted by boundary count
        reps = [boundary_report(u.words, _relabel(u.words, r.words)) for u, r in zip(test, run.results)]
        mae = sum(r["mean_abs_ms"] * r["n_boundaries"] for r in reps) / (2 * n_words)
        w20 = sum(r["within_20ms"] * r["n_boundaries"] for r in reps) / (2 * n_words)
        assert math.isclose(row["word_mae_ms"], mae, rel_tol=1e-9)
        assert math.isclose(row["word_within_20ms"], w20, rel_tol=1e-9)
        err = np.abs(np.concatenate(run.word_errors)) * 1000
        assert math.isclose(row["word_median_ms"], float(np.median(err)), rel_tol=1e-9)
        assert 0 <= row["word_f1_20ms"] <= 1
    # the HMM learns something: far better than spreading the words evenly over the audio
    even = pooled_boundary_report([u.words for u in test], [_even(u) for u in test])["mean_abs_ms"]
    assert table.loc["hmm", "word_mae_ms"] < 0.5 * even
    # phones: HMM (ARPAbet) scored where the counts match the espeak reference; CTC has characters
    hmm = table.loc["hmm"]
    assert hmm["phone_utts"] + hmm["phone_skipped"] == len(test)
    assert table.loc["ctc", "phone_utts"] == 0 and table.loc["ctc", "phone_skipped"] == len(test)
    assert math.isnan(table.loc["ctc", "phone_mae_ms"])
    for u, r, e in zip(test, details.runs["hmm"].results, details.runs["hmm"].phone_errors):
        assert (e is None) == (len(u.phones) != len(r.units))


def test_report_numbers_equal_the_dataframe(compared, tmp_path):
    table, details = compared
    out = write_aligner_report(table, details, tmp_path / "rep", title="t")
    back = pd.read_csv(out / "results.csv", index_col="aligner")
    pd.testing.assert_frame_equal(back, table, check_dtype=False, rtol=1e-12)
    md = (out / "results.md").read_text()
    page = (out / "index.html").read_text()
    shown = format_aligner_table(table)
    for name in table.index:
        assert "| " + " | ".join([name, *shown.loc[name]]) + " |" in md
        assert f"{table.loc[name, 'word_mae_ms']:.1f}" in page
    for png in ("word_boundary_errors.png", "example_alignment.png"):
        assert (out / png).stat().st_size > 5000 and f"({png})" in md and png in page
    per = pd.read_csv(out / "per_utterance.csv")
    assert len(per) == 2 * len(details.test)
    assert MFA_CAVEAT not in md  # no MFA folder given


def test_bad_names_and_inputs(data):
    train, test = data
    with pytest.raises(InputError, match="unknown aligner 'nope'; valid aligners: hmm, ctc, attention"):
        compare_aligners("hmm,nope", train, test)
    with pytest.raises(InputError, match="valid presets: quick, full"):
        compare_aligners("hmm", train, test, preset="huge")
    with pytest.raises(InputError, match="valid protocols"):
        compare_aligners("hmm", train, test, protocol="x")
    with pytest.raises(InputError, match="no reference words"):
        compare_aligners("hmm", train, strip_references(test))
    with pytest.raises(InputError, match="must be a name"):
        compare_aligners({"x": 3}, train, test)
    assert test[0].words is not None  # strip_references copies
    # the registry's named aligners (a pretrained "english" may be there too)
    assert {"hmm", "ctc", "attention"} <= set(model_names("aligner")) <= {"hmm", "ctc", "attention", "english"}
    assert all(MODELS[n].kind == "aligner" for n in model_names("aligner"))
    assert "hmm1" not in model_names("aligner") and "hmm1" in model_names("tagger")
    with pytest.raises(InputError, match="unknown aligner 'hmm2'"):  # a tagger's name is no aligner
        compare_aligners("hmm2", train, test)


def test_given_aligners_are_used_as_they_are(data, compared):
    _, test = data
    table, details = compared
    mine = compare_aligners({"mine": details.runs["hmm"].aligner}, [], test)
    assert mine.loc["mine", "trained_on"] == "given" and math.isnan(mine.loc["mine", "train_s"])
    assert mine.loc["mine", "word_mae_ms"] == table.loc["hmm", "word_mae_ms"]


def test_mfa_protocol_lets_unsupervised_aligners_hear_the_test_audio(data, monkeypatch):
    from seqtag.align.aligners.hmm_gmm import HMMAligner

    train, test = data
    seen = []

    real_fit = HMMAligner.fit

    def spy(self, utterances):
        seen.extend(utterances)
        return real_fit(self, seen)

    monkeypatch.setattr(HMMAligner, "fit", spy)
    table = compare_aligners("hmm", train, test, protocol="mfa")
    assert table.loc["hmm", "trained_on"] == "train+test" and table.loc["hmm", "failed"] == 0
    assert [u.id for u in seen] == [u.id for u in [*train, *test]]
    assert all(u.words is None and u.phones is None for u in seen[len(train):])  # references never shown
    assert all(u.words is not None for u in test)  # and the caller's utterances are untouched


def _mfa_folder(root, utts):
    """MFA-test layout; file 0's TextGrid has an extra <unk> word, file 1 has no word tier."""
    import soundfile as sf

    for d in ("audio", "lab", "textgrid"):
        (root / d).mkdir(parents=True)
    for i, u in enumerate(utts):
        audio, sr = u.load_audio()
        sf.write(root / "audio" / f"{u.id}.wav", audio, sr)
        (root / "lab" / f"{u.id}.lab").write_text(u.transcript.upper())
        words = list(u.words)
        if i == 0:
            words.insert(1, Interval("<unk>", words[0].end, words[0].end + 0.01))
        tiers = {"phones": u.phones} if i == 1 else {"words": words}
        write_textgrid(root / "textgrid" / f"{u.id}.TextGrid", tiers, u.duration)
    return root


def test_mfa_agreement_matches_boundary_report(data, compared, tmp_path):
    _, test = data
    aligner = compared[1].runs["hmm"].aligner
    df = mfa_agreement(aligner, _mfa_folder(tmp_path / "mfa", test))
    assert list(df.index) == [u.id for u in test] + ["all"]
    assert df.loc[test[1].id, "status"] == "no MFA word tier" and math.isnan(df.loc[test[1].id, "mean_abs_ms"])
    refs, hyps = [], []
    for u in (test[0], test[2]):
        hyp = aligner.align(u.audio_path, u.transcript).words
        rep = boundary_report(u.words, hyp)
        row = df.loc[u.id]
        assert row["status"] == "ok" and row["matched_words"] == len(u.words)
        assert row["mfa_words"] == len(u.words) + (u is test[0])  # the <unk> is not matched
        assert math.isclose(row["mean_abs_ms"], rep["mean_abs_ms"]) and math.isclose(row["median_abs_ms"],
                                                                                       rep["median_abs_ms"])
        refs.append(u.words)
        hyps.append(hyp)
    assert math.isclose(df.loc["all", "mean_abs_ms"], pooled_boundary_report(refs, hyps)["mean_abs_ms"])
    assert df.loc["all", "status"] == "2/3 files ok"


def test_default_mfa_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQTAG_DATA", str(tmp_path))
    assert default_mfa_dir() is None
    (tmp_path / "mfa_test_speech").mkdir()
    assert default_mfa_dir() == tmp_path / "mfa_test_speech"


def test_cli_compare_aligners_smoke(data, tmp_path, monkeypatch, capsys):
    import soundfile as sf

    import seqtag.cli as cli

    monkeypatch.setattr(cli, "COMMAND_MODULES", ("seqtag.align.cli",))
    train, test = data
    folder = tmp_path / "corpus"
    folder.mkdir()
    for u in [*train, *test]:
        audio, sr = u.load_audio()
        sf.write(folder / f"{u.id}.wav", audio, sr)
        (folder / f"{u.id}.txt").write_text(u.transcript)
        write_textgrid(folder / f"{u.id}.TextGrid", {"words": u.words, "phones": u.phones}, u.duration)
    mfa = _mfa_folder(tmp_path / "mfa", test)
    out = tmp_path / "report"
    assert cli.main(["compare-aligners", "--corpus", str(folder), "--aligners", "hmm", "--n-test", "3",
                     "--mfa-dir", str(mfa), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "word MAE ms" in printed and "agreement with MFA" in printed and MFA_CAVEAT in printed
    table = pd.read_csv(out / "results.csv", index_col="aligner")
    assert list(table.index) == ["hmm"] and table.loc["hmm", "test_utts"] == 3
    assert table.loc["hmm", "train_utts"] == len(train)
    assert MFA_CAVEAT in (out / "results.md").read_text() and (out / "mfa_agreement.csv").is_file()
    assert html.escape(MFA_CAVEAT) in (out / "index.html").read_text()
    assert cli.main(["compare-aligners", "--corpus", str(folder), "--aligners", "hmm,bogus"]) == 2
    assert "valid aligners: hmm, ctc, attention" in capsys.readouterr().err
    assert cli.main(["compare-aligners", "--corpus", str(tmp_path / "missing"), "--mfa-dir", "none"]) == 2


def test_align_dispatches_on_the_saved_class(data, compared, tmp_path, monkeypatch):
    import seqtag.cli as cli
    from seqtag.align import CTCAligner
    from seqtag.align.aligners.hmm_gmm import HMMAligner

    monkeypatch.setattr(cli, "COMMAND_MODULES", ("seqtag.align.cli",))
    _, test = data
    runs = compared[1].runs
    runs["hmm"].aligner.save(tmp_path / "hmm")
    runs["ctc"].aligner.save(tmp_path / "ctc")
    assert isinstance(seqtag.load(tmp_path / "hmm"), HMMAligner)
    assert isinstance(seqtag.load(tmp_path / "ctc"), CTCAligner)
    u = test[0]
    for kind in ("hmm", "ctc"):
        out = tmp_path / f"{kind}.json"
        assert cli.main(["align", u.audio_path, u.transcript, "--model", str(tmp_path / kind), "-o", str(out)]) == 0
        assert [w.label for w in read_json(out)["words"]] == u.transcript.split()
    hyp = read_json(tmp_path / "hmm.json")["words"]
    ref = runs["hmm"].aligner.align(u.audio_path, u.transcript).words
    assert [t for w in hyp for t in (w.start, w.end)] == pytest.approx([t for w in ref for t in (w.start, w.end)],
                                                                       abs=1e-6)
    # a saved folder can take part in a comparison as it is
    table = compare_aligners([str(tmp_path / "hmm")], [], test[:1])
    assert list(table.index) == ["hmm"] and table.loc["hmm", "trained_on"] == "given"
    (tmp_path / "odd").mkdir()
    (tmp_path / "odd" / "seqtag.json").write_text(json.dumps(
        {"format": "seqtag-model", "format_version": 1, "kind": "aligner", "class": "Mystery", "params": {},
         "state": {}}))
    with pytest.raises(ModelFileError, match=r"names an unknown model class 'Mystery'; known: "
                                             r".*AttentionAligner.*CTCAligner.*HMMAligner"):
        seqtag.load(tmp_path / "odd")
    with pytest.raises(ModelFileError, match="is not a saved seqtag model: seqtag.json is missing"):
        seqtag.load(tmp_path / "nothing")
    assert cli.main(["align", u.audio_path, "the cat", "--model", str(tmp_path / "odd"), "-o", str(out)]) == 2


def test_attention_aligner_takes_part(data, tmp_path):
    pytest.importorskip("seqtag.align.aligners.attention")
    train, test = data
    table, details = compare_aligners("attention", train, test, preset="quick", return_details=True)
    row = table.loc["attention"]
    assert row["class"] == "AttentionAligner" and row["failed"] == 0
    assert row["word_boundaries"] == 2 * sum(len(u.words) for u in test)
    assert all(len(r.words) == len(u.words) for u, r in zip(test, details.runs["attention"].results))
    folder = details.runs["attention"].aligner.save(tmp_path / "att")
    assert type(seqtag.load(folder)).__name__ == "AttentionAligner"
    u = test[0]
    again = seqtag.load(folder).align(u.audio_path, u.transcript).words
    first = details.runs["attention"].results[0].words
    assert [w.start for w in again] == pytest.approx([w.start for w in first], abs=1e-6)
