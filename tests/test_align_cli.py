"""``seqtag align``: one recording with the pretrained default, and folder mode like MFA."""

from __future__ import annotations

import json
import shutil

import pytest

pytest.importorskip("soundfile")

from .conftest import SPEECH_TEXTS, run_cli  # noqa: E402


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    from seqtag.align.sphinx.model import find_model_dir
    from seqtag.corpora.synthetic import generate_synthetic
    from seqtag.exceptions import ModelFileError

    try:
        find_model_dir()
    except ModelFileError:
        pytest.skip("PocketSphinx's en-us model is not installed (pip install pocketsphinx)")
    return generate_synthetic(4, "test", seed=2, cache_dir=tmp_path_factory.mktemp("syn"), texts=SPEECH_TEXTS)


def test_align_one_recording_needs_no_model(speech, tmp_path, capsys):
    from seqtag.intervals import read_textgrid

    u = speech[0]
    written = u.transcript.capitalize() + "."
    code, out, err = run_cli(["align", u.audio_path, written, "-o", str(tmp_path / "out" / "u.TextGrid")],
                             capsys=capsys)
    assert code == 0, err
    assert "aligned by EnglishAligner" in out
    tiers = read_textgrid(tmp_path / "out" / "u.TextGrid")
    assert [w.label for w in tiers["words"]] == written.split()
    assert len(tiers["phones"]) >= len(tiers["words"])
    (tmp_path / "t.txt").write_text(u.transcript, encoding="utf-8")
    code, _, err = run_cli(["align", u.audio_path, str(tmp_path / "t.txt"), "-o", str(tmp_path / "u.json")],
                           capsys=capsys)
    doc = json.loads((tmp_path / "u.json").read_text())
    assert code == 0 and doc["score"] > 0.3 and doc["warnings"] == []  # 0.3: min_confidence


def test_align_errors_are_one_line(speech, tmp_path, capsys):
    u = speech[0]
    (tmp_path / "afile").write_text("x")
    code, _, err = run_cli(["align", u.audio_path, "the cat", "-o", str(tmp_path / "afile" / "u.TextGrid")],
                           capsys=capsys)
    assert code == 2 and err.count("\n") == 1 and "is a file, not a folder" in err
    (tmp_path / "bad.txt").write_bytes(b"the caf\xe9 is open")
    code, _, err = run_cli(["align", u.audio_path, str(tmp_path / "bad.txt"), "-o", str(tmp_path / "u.TextGrid")],
                           capsys=capsys)
    assert code == 2 and "not UTF-8" in err and "byte offset 7" in err and "bad.txt" in err
    code, _, err = run_cli(["align", u.audio_path, " ".join([u.transcript] * 40), "-o",
                            str(tmp_path / "u.TextGrid")], capsys=capsys)
    assert code == 2 and "stops fitting at word" in err


@pytest.mark.parametrize("jobs", [1, 2])
def test_align_a_folder_like_mfa(speech, tmp_path, capsys, jobs):
    corpus = tmp_path / "corpus"
    (corpus / "spk1").mkdir(parents=True)
    for i, u in enumerate(speech[:3]):
        target = corpus / ("spk1" if i else "") / f"u{i}.wav"
        shutil.copy(u.audio_path, target)
        target.with_suffix(".lab" if i % 2 else ".txt").write_text(u.transcript, encoding="utf-8")
    shutil.copy(speech[3].audio_path, corpus / "no_transcript.wav")
    (corpus / "spk1" / "wrong.wav").write_bytes(b"RIFF not really audio")
    (corpus / "spk1" / "wrong.lab").write_text("hello")
    out = tmp_path / "aligned"
    code, stdout, err = run_cli(["align", str(corpus), "-o", str(out), "--jobs", str(jobs), "--quiet"],
                                capsys=capsys)
    assert code == 1, "a failed file makes a non-zero exit, never a stopped run"
    assert "aligned 3 of 5 recordings" in stdout
    assert "failed   no_transcript.wav: no transcript" in stdout and "failed   spk1/wrong.wav" in stdout
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.TextGrid"))
    assert written == ["spk1/u1.TextGrid", "spk1/u2.TextGrid", "u0.TextGrid"]
