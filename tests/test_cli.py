"""The command line, run in-process through ``main``."""

from __future__ import annotations

import json

import pytest

from seqtag.cli import main

from .conftest import need_corpus
from .conftest import run_cli as run


def test_train_tag_evaluate(tmp_path, capsys):
    need_corpus("ptb-sample", split="dev")
    model = tmp_path / "m"
    code, out, _ = run(["train", "--model", "baseline", "--corpus", "ptb-sample", "--split", "dev",
                        "-o", str(model), "--param", "max_suffix=2"], capsys=capsys)
    assert code == 0 and "273 sentences, 6327 tokens" in out
    assert json.loads((model / "seqtag.json").read_text())["params"]["max_suffix"] == 2
    code, out, _ = run(["tag", str(model)], "The company said .\n\nIt rose\n", capsys=capsys)
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("The/") and lines[0].endswith("./.") and lines[1] == ""
    assert len(lines[2].split()) == 2
    code, out, _ = run(["tag", str(model), "--format", "conllu"], "It rose\n", capsys=capsys)
    assert out.splitlines()[0].startswith("1\tIt\t_\t_\t")
    conllu = "# sent_id = 1\n1\tIt\tit\tPRON\t_\t_\t_\t_\t_\t_\n2\trose\trise\tVERB\t_\t_\t_\t_\t_\t_\n\n"
    code, out, _ = run(["tag", str(model), "--input", "conllu"], conllu, capsys=capsys)
    rows = out.splitlines()
    assert rows[0] == "# sent_id = 1" and rows[1].split("\t")[4] != "_" and rows[1].split("\t")[3] == "PRON"
    code, out, _ = run(["evaluate", str(model), "--corpus", "ptb-sample", "--split", "test",
                        "--vocab-split", "dev"], capsys=capsys)
    assert code == 0 and "accuracy" in out and "unknown_accuracy" in out


def test_user_errors_exit_2_without_traceback(tmp_path, capsys):
    code, _, err = run(["train", "--model", "nope", "--corpus", "ptb-sample", "-o", str(tmp_path)], capsys=capsys)
    assert code == 2 and "unknown model 'nope'; valid models: baseline" in err and "Traceback" not in err
    code, _, err = run(["evaluate", str(tmp_path / "none"), "--corpus", "ptb-sample"], capsys=capsys)
    assert code == 2 and "seqtag.json is missing" in err
    code, _, err = run(["train", "--model", "baseline", "--corpus", "nope", "-o", str(tmp_path)], capsys=capsys)
    assert code == 2 and "unknown corpus 'nope'" in err
    code, _, err = run(["train", "--model", "baseline", "--corpus", "ptb-sample", "-o", str(tmp_path),
                        "--param", "oops"], capsys=capsys)
    assert code == 2 and "--param takes key=value" in err


@pytest.mark.parametrize("command", ["download", "train", "tag", "evaluate", "list"])
def test_help_on_every_command(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    assert "usage: seqtag" in capsys.readouterr().out


def test_list(capsys):
    code, out, _ = run(["list"], capsys=capsys)
    assert code == 0 and "baseline" in out and "ud-ewt" in out
