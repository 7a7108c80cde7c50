"""Shared fixtures: seeded toy data and access to the corpora in ../shared."""

from __future__ import annotations

import io
import os
import random
import sys
from pathlib import Path

import pytest

REQUIRE_DATA = os.environ.get("SEQTAG_REQUIRE_DATA") == "1"

# Tests use tiny models: one torch thread avoids oversubscribing small CI machines
# (measured: a BiLSTM doctest took 100 s with 2 threads on a loaded 2-core box, 12 s with 1).
os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(scope="module")
def one_torch_thread():
    """Run a test module's torch code on one thread (tiny models; no oversubscription)."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def need_corpus(name: str, **kwargs):
    """Load a corpus split or skip; with SEQTAG_REQUIRE_DATA=1 (CI) a missing corpus fails."""
    from seqtag.corpora import load_corpus
    from seqtag.exceptions import CorpusNotFoundError

    try:
        return load_corpus(name, **kwargs)
    except CorpusNotFoundError as exc:
        if REQUIRE_DATA:
            raise
        pytest.skip(f"corpus not available here: {exc}")


#: Short sentences for tests that synthesize speech (few phones, many shared words).
SPEECH_TEXTS = [
    "the cat sat on the mat",
    "a dog ran to the park",
    "we like tea and cake",
    "she sat on a red hat",
    "the park is green",
    "a cat and a dog ran",
]


@pytest.fixture
def toy_data():
    """A tiny deterministic tagging task with structure a tagger can learn."""
    rng = random.Random(0)
    dets, nouns, verbs = ["the", "a", "this"], ["dog", "cat", "bird", "fish"], ["runs", "sees", "eats"]
    X, y = [], []
    for _ in range(60):
        n = rng.randint(1, 3)
        sent, tags = [], []
        for _ in range(n):
            sent += [rng.choice(dets), rng.choice(nouns), rng.choice(verbs)]
            tags += ["DT", "NN", "VBZ"]
        X.append(sent)
        y.append(tags)
    return X, y


@pytest.fixture
def shared_dir() -> Path | None:
    env = os.environ.get("SEQTAG_DATA")
    return Path(env) if env else None


def run_cli(argv, stdin: str = "", capsys=None):
    """Run ``seqtag`` in-process with ``stdin`` as standard input; returns (exit code, stdout, stderr)."""
    from seqtag.cli import main

    old = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        code = main(argv)
    finally:
        sys.stdin = old
    out, err = capsys.readouterr()
    return code, out, err
