"""One model format for taggers and aligners: atomic saves, safe loads, validated parameters."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import seqtag
from seqtag import persistence
from seqtag.exceptions import InputError, ModelFileError

SENT = [["The", "market", "rose", "."]]


@pytest.fixture
def two_taggers(toy_data):
    X, y = toy_data
    old = seqtag.HMMTagger(order=1).fit(X, y)
    # a model that tags differently: trained on the same words with other tags
    new = seqtag.HMMTagger(order=1).fit(X, [["X"] * len(t) for t in y])
    return old, new


def _folder_state(path):
    return {p.name: p.read_bytes() for p in sorted(path.iterdir())}


def _inject(monkeypatch, step, exc):
    """Make the ``step``-th file write or rename of the next save raise ``exc``."""
    calls = [0]

    def counting(real):
        def wrapped(*args, **kwargs):
            calls[0] += 1
            if calls[0] - 1 == step:
                raise exc
            return real(*args, **kwargs)

        return wrapped

    monkeypatch.setattr(persistence, "_write", counting(persistence._write))
    monkeypatch.setattr(persistence.os, "rename", counting(os.rename))


@pytest.mark.parametrize("exc", [OSError(28, "No space left on device"), KeyboardInterrupt()])
@pytest.mark.parametrize("step", range(4))  # arrays.npz, seqtag.json, old folder aside, new folder in
def test_a_failed_save_leaves_the_old_model_intact(two_taggers, tmp_path, monkeypatch, exc, step):
    old, new = two_taggers
    path = old.save(tmp_path / "model")
    before = _folder_state(path)
    expected = old.predict(SENT)
    assert new.predict(SENT) != expected
    _inject(monkeypatch, step, exc)
    with pytest.raises(type(exc)):
        new.save(path)
    monkeypatch.undo()
    assert _folder_state(path) == before, "the model on disk changed"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"], "a partial folder was left behind"
    assert seqtag.load(path).predict(SENT) == expected


@pytest.mark.parametrize("step", range(3))
def test_a_failed_first_save_leaves_nothing(toy_data, tmp_path, monkeypatch, step):
    _inject(monkeypatch, step, OSError(5, "I/O error"))
    with pytest.raises(OSError):
        seqtag.HMMTagger().fit(*toy_data).save(tmp_path / "model")
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


def test_a_successful_save_replaces_the_model(two_taggers, tmp_path):
    old, new = two_taggers
    path = old.save(tmp_path / "model")
    new.save(path)
    assert seqtag.load(path).predict(SENT) == new.predict(SENT)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_lone_surrogates_survive_a_save(tmp_path):
    X = [["caf\udce9", "is", "open"], ["the", "caf\udce9"]]
    y = [["NN", "VBZ", "JJ"], ["DT", "NN"]]
    tagger = seqtag.HMMTagger(order=1).fit(X, y)
    path = tagger.save(tmp_path / "m")
    assert "caf\\udce9" in (path / "seqtag.json").read_text(encoding="ascii")
    loaded = seqtag.load(path)
    assert loaded.predict([["caf\udce9", "is"]]) == tagger.predict([["caf\udce9", "is"]]) == [["NN", "VBZ"]]


def test_save_refuses_a_file_or_a_foreign_folder(toy_data, tmp_path):
    tagger = seqtag.BaselineTagger().fit(*toy_data)
    (tmp_path / "afile").write_text("x")
    with pytest.raises(InputError, match="is a file, not a folder"):
        tagger.save(tmp_path / "afile" / "model")
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "cat.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(InputError, match="not a saved seqtag model"):
        tagger.save(tmp_path / "photos")
    assert (tmp_path / "photos" / "cat.jpg").read_bytes() == b"\xff\xd8"


def test_train_checks_the_output_before_training(tmp_path, capsys):
    from seqtag.cli import main

    (tmp_path / "afile").write_text("x")
    rc = main(["train", "--model", "hmm2", "--corpus", "ptb-sample", "-o", str(tmp_path / "afile" / "model")])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and "is a file, not a folder" in err
    rc = main(["train", "--model", "hmm2", "--corpus", "ptb-sample", "--param", "nosuch=1", "-o",
               str(tmp_path / "m")])
    err = capsys.readouterr().err
    assert rc == 2 and "has no parameter 'nosuch'" in err and "order" in err


@pytest.mark.parametrize("key,value,message", [
    ("order", 7, "order must be 1"),
    ("decode", "bogus", "decode must be one of"),
    ("nosuch", 1, "does not accept"),
])
def test_loaded_parameters_are_validated(toy_data, tmp_path, key, value, message):
    path = seqtag.HMMTagger().fit(*toy_data).save(tmp_path / "m")
    cfg = json.loads((path / "seqtag.json").read_text())
    cfg["params"][key] = value
    (path / "seqtag.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelFileError, match=message):
        seqtag.load(path)


# ------------------------------------------------------------------------------ fuzzing
def _mutants(path, rng):
    """(file name, bytes) variants of every file of a saved folder: truncations, bit flips, garbage."""
    for name, data in _folder_state(path).items():
        for cut in sorted({0, 1, len(data) // 3, len(data) // 2, len(data) - 1}):
            yield name, data[:cut]
        for _ in range(12):
            b = bytearray(data)
            for i in rng.integers(0, len(b), size=int(rng.integers(1, 4))):
                b[i] ^= 1 << int(rng.integers(0, 8))
            yield name, bytes(b)
        yield name, pickle.dumps(os.system)


def _json_mutants(cfg):
    yield '{"format": "seqtag-model", "x": ' + '{"x": ' * 100_000 + "{}" + "}" * 100_001
    yield "[" * 200_000 + "]" * 200_000
    for key in ("params", "state", "class", "format_version", "kind"):
        for bad in (None, 1, "x", [1, 2], {"a": [1]}, 1e308, True):
            yield json.dumps({**cfg, key: bad})
    for key in list(cfg["state"]):
        for bad in (None, -1, "x", [[]], {"a": 1}, [1e308]):
            yield json.dumps({**cfg, "state": {**cfg["state"], key: bad}})


def _check_only_model_file_errors(path):
    try:
        model = seqtag.load(path)
    except ModelFileError:
        return
    # a mutation the format cannot notice (a changed letter in a word) still gives a working model
    model.predict(SENT)


@pytest.mark.parametrize("make", ["hmm2", "crf", "baseline"])
def test_fuzzed_model_files_raise_only_model_file_errors(toy_data, tmp_path, make):
    rng = np.random.default_rng(0)
    model = seqtag.make_model(make, **({"max_iter": 5} if make == "crf" else {})).fit(*toy_data)
    good = model.save(tmp_path / "good")
    files = _folder_state(good)
    target = tmp_path / "bad"
    cfg = json.loads(files["seqtag.json"])
    variants = list(_mutants(good, rng)) + [("seqtag.json", t.encode()) for t in _json_mutants(cfg)]
    for name, data in variants:
        target.mkdir(exist_ok=True)
        for n, d in files.items():
            (target / n).write_bytes(data if n == name else d)
        _check_only_model_file_errors(target)


def test_a_pickle_in_the_weights_is_refused(tmp_path, toy_data):
    torch = pytest.importorskip("torch")
    from tests.contract import CONTRACT_TAGGERS

    model = CONTRACT_TAGGERS["bilstm"]().set_params(max_epochs=1).fit(*toy_data)
    path = model.save(tmp_path / "m")

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned > " + str(tmp_path / "pwned"),))

    torch.save({"w": Evil()}, path / "weights.pt")
    with pytest.raises(ModelFileError, match="weights.pt"):
        seqtag.load(path)
    assert not (tmp_path / "pwned").exists()
    (path / "weights.pt").unlink()
    with pytest.raises(ModelFileError, match="weights.pt is missing"):
        seqtag.load(path)


def test_npz_with_an_object_array_is_refused(tmp_path, toy_data):
    path = seqtag.HMMTagger().fit(*toy_data).save(tmp_path / "m")
    with zipfile.ZipFile(path / "arrays.npz", "a") as z:
        with z.open("evil.npy", "w") as fh:
            np.lib.format.write_array(fh, np.array([os.system], dtype=object), allow_pickle=True)
    with pytest.raises(ModelFileError, match="pickle refused"):
        seqtag.load(path)


def test_save_and_load_in_a_fresh_process(toy_data, tmp_path):
    path = seqtag.HMMTagger().fit(*toy_data).save(tmp_path / "m")
    code = "import sys, seqtag; print(seqtag.load(sys.argv[1]).predict([['the', 'dog']]))"
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(seqtag.HMMTagger().fit(*toy_data).predict([["the", "dog"]]))
