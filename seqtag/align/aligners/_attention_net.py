"""The attention aligner's network: encoder, location-aware attention, character decoder.

* :class:`SpeechEncoder`: two 1-D convolutions over log-mel (the second with
  stride 1 or 2: 10 or 20 ms frames), then a BiLSTM or a transformer encoder.
* :class:`LocationAwareAttention` (Chorowski et al. 2015): the energy of frame
  ``t`` at decoder step ``i`` adds a *content* score of the decoder state and
  the encoder frame to *location* features, a 1-D convolution of the previous
  (and the cumulative) attention weights. Content scores: ``additive`` (MLP),
  ``bilinear``, ``dot``, ``scaled_dot`` and ``multihead`` (scaled dot per head).
* :class:`AttentionNet`: encoder + autoregressive character decoder (teacher
  forced) + a CTC head on the encoder for the joint CTC loss.

Token ids follow :class:`~seqtag.align.tokenizers.CharTokenizer`: id 0 is the
CTC blank for the CTC head, ``<sos>`` as decoder input and ``<eos>`` as decoder
output (the decoder never needs a blank).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ...exceptions import InputError

__all__ = ["SCORES", "SpeechEncoder", "LocationAwareAttention", "AttentionNet"]

#: Content score types of :class:`LocationAwareAttention`.
SCORES = ("additive", "bilinear", "dot", "scaled_dot", "multihead")


def _sinusoids(n: int, dim: int) -> torch.Tensor:
    """Fixed positional encodings ``(n, dim)``."""
    pos = torch.arange(n, dtype=torch.float32)[:, None]
    freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    pe = torch.zeros(n, dim)
    pe[:, 0::2] = torch.sin(pos * freq)
    pe[:, 1::2] = torch.cos(pos * freq[: dim // 2])
    return pe


class SpeechEncoder(nn.Module):
    """Conv subsampling + BiLSTM (``kind="lstm"``) or transformer layers (``kind="transformer"``).

    Output ``(batch, frames', 2 * hidden)``; ``frames' = (frames - 1) // stride + 1``.
    """

    def __init__(self, n_mels: int, channels: int, hidden: int, layers: int, stride: int,
                 kind: str = "lstm", heads: int = 4, dropout: float = 0.1):
        super().__init__()
        self.stride, self.kind = stride, kind
        self.front = nn.Sequential(
            nn.Conv1d(n_mels, channels, kernel_size=5, padding=2), nn.GELU(), nn.Dropout(dropout),
            nn.Conv1d(channels, channels, kernel_size=5, stride=stride, padding=2), nn.GELU(), nn.Dropout(dropout),
        )
        self.dim = 2 * hidden
        if kind == "lstm":
            self.body = nn.LSTM(channels, hidden, num_layers=layers, batch_first=True, bidirectional=True,
                                dropout=dropout if layers > 1 else 0.0)
        else:
            self.proj = nn.Linear(channels, self.dim)
            layer = nn.TransformerEncoderLayer(self.dim, heads, dim_feedforward=2 * self.dim, dropout=dropout,
                                               batch_first=True, norm_first=True)
            self.body = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)

    def out_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        """Encoder frames for ``lengths`` input frames."""
        return (lengths - 1) // self.stride + 1

    def forward(self, feats: torch.Tensor, lengths: torch.Tensor):
        """``feats`` (batch, frames, n_mels) -> states (batch, frames', dim), lengths (batch,)."""
        x = self.front(feats.transpose(1, 2)).transpose(1, 2)  # (batch, frames', channels)
        out_len = self.out_lengths(lengths)
        if self.kind == "lstm":
            packed = nn.utils.rnn.pack_padded_sequence(x, out_len.cpu(), batch_first=True, enforce_sorted=False)
            y, _ = self.body(packed)
            y, _ = nn.utils.rnn.pad_packed_sequence(y, batch_first=True, total_length=x.shape[1])
        else:
            pad = torch.arange(x.shape[1])[None] >= out_len[:, None]  # (batch, frames') True = padding
            x = self.proj(x) + _sinusoids(x.shape[1], self.dim)[None]
            y = self.body(x, src_key_padding_mask=pad)
        return y, out_len  # (batch, frames', dim)


class LocationAwareAttention(nn.Module):
    """Content score + convolutional location features of the previous and cumulative attention.

    Parameters
    ----------
    query_dim, key_dim : int
        Decoder state and encoder frame sizes.
    att_dim : int
        Size of the projections (``additive``, ``dot``, ``scaled_dot``, ``multihead``).
    score : str
        One of :data:`SCORES`.
    heads : int
        Heads of ``multihead`` (``att_dim`` and ``key_dim`` must be divisible by it); 1 otherwise.
    filters, kernel : int
        Location convolution: ``filters`` channels, ``kernel`` frames wide (odd).
    location : bool
        ``False``: content only (no location features).
    """

    def __init__(self, query_dim: int, key_dim: int, att_dim: int = 128, score: str = "additive",
                 heads: int = 4, filters: int = 16, kernel: int = 31, location: bool = True):
        super().__init__()
        if score not in SCORES:
            raise InputError(f"score must be one of {SCORES}, got {score!r}")
        self.score = score
        self.heads = heads if score == "multihead" else 1
        if att_dim % self.heads or key_dim % self.heads:
            raise InputError(f"att_dim ({att_dim}) and key_dim ({key_dim}) must be divisible by heads ({heads})")
        self.att_dim = att_dim
        if score == "bilinear":
            self.query = nn.Linear(query_dim, key_dim, bias=False)  # s^T W h = (W^T s) . h
        else:
            self.query = nn.Linear(query_dim, att_dim, bias=score == "additive")
            self.key = nn.Linear(key_dim, att_dim, bias=score == "additive")
        if score == "additive":
            self.energy = nn.Linear(att_dim, 1, bias=False)
        if score == "multihead":
            self.value = nn.Linear(key_dim, key_dim)
            self.merge = nn.Linear(key_dim, key_dim)
        self.location = location
        if location:
            self.loc_conv = nn.Conv1d(2 * self.heads, filters, kernel, padding=kernel // 2, bias=False)
            self.loc_proj = nn.Linear(filters, att_dim if score == "additive" else self.heads, bias=False)

    def prepare(self, keys: torch.Tensor) -> dict:
        """Per-utterance projections of the encoder states ``keys`` (batch, frames, key_dim)."""
        memo = {"keys": keys}
        if self.score != "bilinear":
            memo["proj"] = self.key(keys)  # (batch, frames, att_dim)
        if self.score == "multihead":
            b, t, _ = keys.shape
            memo["proj"] = memo["proj"].view(b, t, self.heads, -1)  # (batch, frames, heads, att_dim / heads)
            memo["values"] = self.value(keys).view(b, t, self.heads, -1)  # (batch, frames, heads, key_dim / heads)
        return memo

    def forward(self, query: torch.Tensor, memo: dict, prev: torch.Tensor, cum: torch.Tensor, mask: torch.Tensor):
        """One decoder step.

        ``query`` (batch, query_dim); ``prev``/``cum`` (batch, heads, frames) previous and summed
        attention; ``mask`` (batch, frames) True on real frames. Returns the context
        (batch, key_dim) and the attention weights (batch, heads, frames).
        """
        loc = None
        if self.location:
            f = self.loc_conv(torch.cat([prev, cum], dim=1)).transpose(1, 2)  # (batch, frames, filters)
            loc = self.loc_proj(f)  # (batch, frames, att_dim) or (batch, frames, heads)
        q = self.query(query)
        if self.score == "additive":
            h = memo["proj"] + q[:, None, :]
            if loc is not None:
                h = h + loc
            e = self.energy(torch.tanh(h)).transpose(1, 2)  # (batch, 1, frames)
        elif self.score == "multihead":
            qh = q.view(q.shape[0], self.heads, -1)  # (batch, heads, d)
            e = torch.einsum("bhd,bthd->bht", qh, memo["proj"]) / math.sqrt(qh.shape[-1])  # (batch, heads, frames)
        else:
            k = memo["keys"] if self.score == "bilinear" else memo["proj"]
            e = torch.bmm(k, q[:, :, None]).transpose(1, 2)  # (batch, 1, frames)
            if self.score == "scaled_dot":
                e = e / math.sqrt(q.shape[-1])
        if loc is not None and self.score != "additive":
            e = e + loc.transpose(1, 2)
        e = e.masked_fill(~mask[:, None, :], float("-inf"))
        alpha = torch.softmax(e, dim=-1)  # (batch, heads, frames)
        if self.score == "multihead":
            ctx = torch.einsum("bht,bthd->bhd", alpha, memo["values"]).reshape(alpha.shape[0], -1)
            ctx = self.merge(ctx)
        else:
            ctx = torch.bmm(alpha, memo["keys"])[:, 0]  # (batch, key_dim)
        return ctx, alpha


class AttentionNet(nn.Module):
    """Speech encoder + location-aware attention decoder over characters + CTC head.

    Parameters
    ----------
    n_classes : int
        Tokenizer vocabulary size (id 0: blank / ``<sos>`` / ``<eos>``).
    n_mels : int, default 40
    channels, hidden, layers : int
        Encoder conv channels, units per direction (states are ``2 * hidden``), layers.
    stride : {1, 2}, default 2
        Encoder frame rate: 10 or 20 ms at a 10 ms hop.
    encoder : {"lstm", "transformer"}
    score : str, default "additive"
        One of :data:`SCORES`.
    heads : int, default 4
        Heads of the ``multihead`` score and of the transformer encoder.
    att_dim, dec_hidden, embed : int
        Attention projection, decoder LSTM and character embedding sizes.
    filters, kernel : int
        Location convolution.
    location : bool, default True
    dropout : float, default 0.1

    Examples
    --------
    >>> import torch
    >>> net = AttentionNet(6, hidden=16, channels=16, att_dim=16, dec_hidden=16, embed=8)
    >>> out = net(torch.zeros(2, 40, 40), torch.tensor([40, 30]), torch.tensor([[3, 4, 5], [2, 1, 0]]),
    ...           torch.tensor([3, 2]))
    >>> tuple(out["logits"].shape), tuple(out["attention"].shape), tuple(out["ctc"].shape)
    ((2, 4, 6), (2, 4, 1, 20), (2, 20, 6))
    """

    def __init__(self, n_classes: int, n_mels: int = 40, channels: int = 128, hidden: int = 128, layers: int = 2,
                 stride: int = 2, encoder: str = "lstm", score: str = "additive", heads: int = 4,
                 att_dim: int = 128, dec_hidden: int = 192, embed: int = 64, filters: int = 16, kernel: int = 31,
                 location: bool = True, dropout: float = 0.1):
        super().__init__()
        if stride not in (1, 2):
            raise InputError(f"stride must be 1 or 2 (10 or 20 ms frames), got {stride!r}")
        if encoder not in ("lstm", "transformer"):
            raise InputError(f"encoder must be 'lstm' or 'transformer', got {encoder!r}")
        if n_classes < 2:
            raise InputError(f"n_classes must be >= 2 (<eos> + at least one character), got {n_classes}")
        if kernel < 1 or kernel % 2 == 0:
            raise InputError(f"kernel must be an odd number of frames, got {kernel}")
        self.config = dict(n_classes=int(n_classes), n_mels=int(n_mels), channels=int(channels), hidden=int(hidden),
                           layers=int(layers), stride=int(stride), encoder=encoder, score=score, heads=int(heads),
                           att_dim=int(att_dim), dec_hidden=int(dec_hidden), embed=int(embed), filters=int(filters),
                           kernel=int(kernel), location=bool(location), dropout=float(dropout))
        self.encoder = SpeechEncoder(n_mels, channels, hidden, layers, stride, encoder, heads, dropout)
        key_dim = self.encoder.dim
        self.ctc_head = nn.Linear(key_dim, n_classes)
        self.embed = nn.Embedding(n_classes, embed)
        self.cell = nn.LSTMCell(embed + key_dim, dec_hidden)
        self.attend = LocationAwareAttention(dec_hidden, key_dim, att_dim, score, heads, filters, kernel, location)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(dec_hidden + key_dim, n_classes)

    def out_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        """Encoder frames for ``lengths`` feature frames."""
        return self.encoder.out_lengths(lengths)

    def ctc(self, keys: torch.Tensor) -> torch.Tensor:
        """CTC log-probs (batch, frames', classes) of encoder states (batch, frames', dim)."""
        return torch.log_softmax(self.ctc_head(self.drop(keys)), dim=-1)

    def forward(self, feats: torch.Tensor, lengths: torch.Tensor, targets: torch.Tensor, target_lengths: torch.Tensor):
        """Teacher-forced pass.

        ``feats`` (batch, frames, n_mels), ``lengths`` (batch,), ``targets`` (batch, U) character ids
        (padding anything), ``target_lengths`` (batch,). The decoder runs ``U + 1`` steps (the last
        predicts ``<eos>``). Returns a dict: ``logits`` (batch, U + 1, classes), ``attention``
        (batch, U + 1, heads, frames'), ``ctc`` log-probs (batch, frames', classes), ``lengths`` (batch,).
        """
        keys, enc_len = self.encoder(feats, lengths)  # (batch, frames', key_dim)
        b, t, _ = keys.shape
        mask = torch.arange(t)[None] < enc_len[:, None]  # (batch, frames')
        memo = self.attend.prepare(keys)
        sos = torch.zeros(b, 1, dtype=torch.long)
        emb = self.drop(self.embed(torch.cat([sos, targets], dim=1)))  # (batch, U + 1, embed)
        h = keys.new_zeros(b, self.cell.hidden_size)
        c = keys.new_zeros(b, self.cell.hidden_size)
        ctx = keys.new_zeros(b, keys.shape[2])
        heads = self.attend.heads
        prev = keys.new_zeros(b, heads, t)
        prev[:, :, 0] = 1.0  # attention starts on the first frame
        cum = prev.clone()
        logits, alphas = [], []
        for i in range(emb.shape[1]):
            h, c = self.cell(torch.cat([emb[:, i], ctx], dim=1), (h, c))
            ctx, prev = self.attend(h, memo, prev, cum, mask)
            cum = cum + prev
            logits.append(self.out(self.drop(torch.cat([h, ctx], dim=1))))
            alphas.append(prev)
        return {"logits": torch.stack(logits, 1), "attention": torch.stack(alphas, 1), "ctc": self.ctc(keys),
                "lengths": enc_len}
