"""Array input of every public function: numpy arrays and torch tensors alike, without importing torch."""

from __future__ import annotations

import numpy as np

__all__ = ["is_tensor", "as_numpy"]


def is_tensor(x) -> bool:
    """Whether ``x`` is a torch tensor (or parameter); torch is not imported to find out."""
    return type(x).__module__.startswith("torch")


def as_numpy(x) -> np.ndarray:
    """``x`` as a numpy array; a tensor is detached and moved to the CPU first.

    Float dtypes numpy lacks (bfloat16, float8) are widened to float32, which holds
    them exactly.

    Examples
    --------
    >>> as_numpy([1, 2]).tolist()
    [1, 2]
    """
    if is_tensor(x):
        x = x.detach().cpu()
        try:
            return x.numpy()
        except TypeError:  # "Got unsupported ScalarType BFloat16"
            return x.float().numpy()
    return np.asarray(x)
