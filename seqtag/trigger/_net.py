"""The frame tagger of trigger-word detection (torch).

:class:`TriggerNet`: an optional causal 1-D conv front end (left padding only, so frame
``j`` never sees the future) -> a unidirectional GRU or LSTM -> one logit per frame. Every
layer is causal, so padding at the end of a batch never changes the outputs of the real
frames and the model could run on a live stream.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ..exceptions import InputError

__all__ = ["CELLS", "TriggerNet"]

#: Recurrent cells a :class:`TriggerNet` can use.
CELLS = {"gru": nn.GRU, "lstm": nn.LSTM}


class TriggerNet(nn.Module):
    """Causal conv front end (optional) -> GRU/LSTM -> per-frame logit of "the trigger just ended".

    An LSTM's forget-gate biases start at 1 (``bias_ih`` 1, ``bias_hh`` 0), as Keras does.

    Parameters
    ----------
    n_mels : int
        Feature dimension.
    cell : {"gru", "lstm"}
    hidden : int
        Recurrent units.
    layers : int
        Recurrent layers.
    conv_channels : int or None
        Channels of the conv front end (kernel 5, GELU, layer norm); ``None``: no front end.
    stride : int
        Time subsampling of the front end (1 without it).
    dropout : float

    Examples
    --------
    >>> net = TriggerNet(40, "lstm", hidden=8, conv_channels=8, stride=2)
    >>> tuple(net(torch.zeros(3, 11, 40)).shape), net.out_frames(11)
    ((3, 6), 6)
    """

    kernel = 5

    def __init__(self, n_mels: int, cell: str = "gru", hidden: int = 64, layers: int = 1,
                 conv_channels: int | None = 64, stride: int = 2, dropout: float = 0.1):
        super().__init__()
        if cell not in CELLS:
            raise InputError(f"cell must be one of {', '.join(CELLS)}, got {cell!r}")
        if conv_channels is None and stride != 1:
            raise InputError(f"stride={stride} needs the conv front end; set conv_channels or stride=1")
        self.config = {"n_mels": int(n_mels), "cell": cell, "hidden": int(hidden), "layers": int(layers),
                           "conv_channels": None if conv_channels is None else int(conv_channels),
                           "stride": int(stride), "dropout": float(dropout)}
        self.stride = int(stride)
        self.conv = None if conv_channels is None else nn.Conv1d(n_mels, conv_channels, self.kernel, stride=stride)
        self.norm = None if conv_channels is None else nn.LayerNorm(conv_channels)
        self.drop = nn.Dropout(dropout)
        self.rnn = CELLS[cell](conv_channels or n_mels, hidden, num_layers=layers, batch_first=True,
                               dropout=dropout if layers > 1 else 0.0)
        self.out = nn.Linear(hidden, 1)
        if cell == "lstm":  # forget gates start open (bias 1, Keras' unit_forget_bias): the LSTM leaves
            with torch.no_grad():  # the all-zero plateau of these rare labels as fast as the GRU
                for name, b in self.rnn.named_parameters():
                    if name.startswith("bias_"):
                        b[hidden : 2 * hidden] = 1.0 if name.startswith("bias_ih") else 0.0

    def out_frames(self, n: int) -> int:
        """Output frames for ``n`` input frames: ``(n - 1) // stride + 1``."""
        return (int(n) - 1) // self.stride + 1

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        """``feats`` (batch, time, n_mels) -> logits (batch, out_frames(time))."""
        x = feats
        if self.conv is not None:
            x = F.pad(x.transpose(1, 2), (self.kernel - 1, 0))  # (batch, n_mels, kernel - 1 + time), causal
            x = self.drop(F.gelu(self.norm(self.conv(x).transpose(1, 2))))  # (batch, time', channels)
        y, _ = self.rnn(x)  # (batch, time', hidden)
        return self.out(self.drop(y)).squeeze(-1)  # (batch, time')
