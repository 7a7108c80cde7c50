"""numba's thread pool must not change the number of threads torch uses."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("torch")

CODE = """
import sys
import torch
torch.set_num_threads(1)
torch.ones(256, 256) @ torch.ones(256, 256)  # torch's OpenMP runtime in use
from seqtag.crf.tagger import CRFTagger
X = [["the", "dog", "runs"], ["a", "cat", "sleeps"]] * 20
y = [["DT", "NN", "VBZ"]] * 40
CRFTagger(max_iter=3).fit(X, y)  # numba parallel kernels
print(torch.get_num_threads())
"""


def test_numba_parallel_kernels_leave_torch_threads_alone():
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1"
