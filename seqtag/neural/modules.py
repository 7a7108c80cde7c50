"""Building blocks of the neural taggers: token encoder, char encoders, positions, heads.

Every module works on a *batch* dict made by :func:`seqtag.neural.train.make_batch`:

- ``words``: LongTensor (B, T) word ids (0 = padding, 1 = unknown);
- ``types``: LongTensor (B, T) index of each token's string in ``type_chars``;
- ``type_chars``: LongTensor (U, L) character ids of the U distinct strings of the batch;
- ``feats``: LongTensor (B, T) ids of an extra per-token feature (e.g. a POS tag), or absent;
- ``mask``: BoolTensor (B, T), right-padded;
- ``tags``: LongTensor (B, T) gold tag ids (training only; anything at padding).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..crf.layer import CRF

__all__ = [
    "RNN_CELLS",
    "CRFHead",
    "CharCNN",
    "CharLSTM",
    "LearnedPositions",
    "SinusoidalPositions",
    "SoftmaxHead",
    "TaggerNet",
    "TokenEncoder",
    "make_rnn",
    "reverse_padded",
    "run_birnn",
]


#: Recurrent cells of :func:`make_rnn`: torch class and the ``torch._VF`` function of one layer.
RNN_CELLS = {"lstm": (nn.LSTM, "lstm"), "gru": (nn.GRU, "gru"), "rnn": (nn.RNN, "rnn_tanh")}


def make_rnn(cell: str, input_size: int, hidden: int, num_layers: int = 1, dropout: float = 0.0) -> nn.RNNBase:
    """A bidirectional, batch-first ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN`` (tanh Elman cell)."""
    cls = RNN_CELLS[cell][0]
    return cls(input_size, hidden, num_layers=num_layers, batch_first=True, bidirectional=True,
               dropout=dropout if num_layers > 1 else 0.0)


def reverse_padded(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Each sequence of a right-padded batch reversed within its own length; padding stays put.

    ``x``: (B, T, ...); ``lengths``: (B,). Its own inverse.
    """
    B, T = x.shape[:2]
    pos = torch.arange(T, device=x.device).expand(B, T)  # (B, T)
    rev = lengths[:, None].to(x.device) - 1 - pos
    rev = torch.where(rev >= 0, rev, pos)  # (B, T) source position of every output position
    index = rev.reshape(B, T, *([1] * (x.dim() - 2))).expand_as(x)
    return x.gather(1, index)


def run_birnn(rnn: nn.RNNBase, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """A bidirectional ``rnn`` over a right-padded batch: (B, T, D) -> (B, T, 2H), anything at padding.

    While gradients are recorded (training), without packing: the forward
    direction reads the padded batch as it is (padding comes after every real
    token), the backward direction reads each sentence reversed within its
    length, each direction of each layer one dense call of torch's fused kernel
    (oneDNN on CPU) -- 2-3x faster than the per-time-step loop torch's autograd
    runs on packed sequences. Without gradients (tagging, where one batch mixes
    many lengths) torch's packed call, which skips the padding. Both are the
    same function; the parameters are ``rnn``'s own, so saved weights are unchanged.
    """
    if not torch.is_grad_enabled():
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = rnn(packed)
        return nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])[0]
    fn = getattr(torch._VF, RNN_CELLS[_cell_name(rnn)][1])
    B = x.shape[0]
    n = 4 if rnn.bias else 2  # tensors per layer and direction
    weights = rnn._flat_weights
    for layer in range(rnn.num_layers):
        if layer and rnn.dropout and rnn.training:
            x = nn.functional.dropout(x, rnn.dropout, training=True)
        outs = []
        for d in (0, 1):
            inp = x if d == 0 else reverse_padded(x, lengths)
            h0 = x.new_zeros(1, B, rnn.hidden_size)
            hx = (h0, h0) if isinstance(rnn, nn.LSTM) else h0
            w = weights[(2 * layer + d) * n:(2 * layer + d + 1) * n]
            out = fn(inp, hx, w, rnn.bias, 1, 0.0, rnn.training, False, True)[0]  # (B, T, H)
            outs.append(out if d == 0 else reverse_padded(out, lengths))
        x = torch.cat(outs, dim=-1)  # (B, T, 2H)
    return x


def _cell_name(rnn: nn.RNNBase) -> str:
    if isinstance(rnn, nn.LSTM):
        return "lstm"
    if isinstance(rnn, nn.GRU):
        return "gru"
    if rnn.mode == "RNN_TANH":
        return "rnn"
    raise ValueError(f"unsupported recurrent module {rnn!r}")


class CharCNN(nn.Module):
    """Character CNN: embeddings, one convolution (width 3), max-pool over the word.

    Output size is ``hidden``.
    """

    def __init__(self, n_chars: int, char_dim: int, hidden: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(n_chars, char_dim, padding_idx=0)
        self.conv = nn.Conv1d(char_dim, hidden, kernel_size=3, padding=1)
        self.out_dim = hidden

    def forward(self, chars: torch.Tensor) -> torch.Tensor:
        # chars: (U, L) -> (U, hidden)
        x = self.embed(chars).transpose(1, 2)  # (U, C, L)
        h = self.conv(x)  # (U, H, L)
        h = h.masked_fill((chars == 0)[:, None, :], float("-inf"))
        return torch.tanh(h.amax(2))  # (U, H); every word has >= 1 char


class CharLSTM(nn.Module):
    """Character BiLSTM: the last forward and first backward states, concatenated.

    Output size is ``2 * hidden``.
    """

    def __init__(self, n_chars: int, char_dim: int, hidden: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(n_chars, char_dim, padding_idx=0)
        self.lstm = nn.LSTM(char_dim, hidden, batch_first=True, bidirectional=True)
        self.out_dim = 2 * hidden

    def forward(self, chars: torch.Tensor) -> torch.Tensor:
        # chars: (U, L) -> (U, 2 * hidden). Packed even in training: the words of a batch
        # differ in length far more than its sentences do, and the dense path of run_birnn
        # paid for that padding (109 vs 101 ms a step for 572 words, measured).
        lengths = (chars != 0).sum(1).clamp(min=1).cpu()
        packed = nn.utils.rnn.pack_padded_sequence(
            self.embed(chars), lengths, batch_first=True, enforce_sorted=False
        )
        _, (h, _) = self.lstm(packed)  # h: (2, U, hidden)
        return torch.cat([h[0], h[1]], dim=1)


class TokenEncoder(nn.Module):
    """Token vectors: word embedding ++ char encoding ++ optional feature embedding.

    Parameters
    ----------
    n_words, word_dim : int
        Word table size and width (``word_dim=0`` drops word embeddings).
    n_chars, char_dim, char_hidden : int
        Character table and encoder sizes.
    char_encoder : {"lstm", "cnn", None}
    n_feats, feat_dim : int
        Extra feature table (``n_feats=0`` for none).
    pretrained : ndarray (n_words, word_dim), optional
        Initial word vectors.
    n_affixes, affix_dim : int
        Affix table (suffixes and shape of each word type, ``n_affixes=0`` for none);
        each of a word's ``n_per_word`` affixes gets ``affix_dim`` values, concatenated.
    n_per_word : int
        Affixes per word (the width of ``batch["type_affixes"]``).
    """

    def __init__(
        self,
        n_words: int,
        word_dim: int,
        n_chars: int,
        char_dim: int,
        char_hidden: int,
        char_encoder: str | None,
        n_feats: int = 0,
        feat_dim: int = 0,
        pretrained: np.ndarray | None = None,
        n_affixes: int = 0,
        affix_dim: int = 0,
        n_per_word: int = 0,
    ) -> None:
        super().__init__()
        self.out_dim = 0
        self.words = None
        if word_dim > 0:
            self.words = nn.Embedding(n_words, word_dim, padding_idx=0)
            if pretrained is not None:
                with torch.no_grad():
                    self.words.weight.copy_(torch.as_tensor(pretrained))
            self.out_dim += word_dim
        self.chars = None
        if char_encoder == "cnn":
            self.chars = CharCNN(n_chars, char_dim, char_hidden)
        elif char_encoder == "lstm":
            self.chars = CharLSTM(n_chars, char_dim, char_hidden)
        if self.chars is not None:
            self.out_dim += self.chars.out_dim
        self.feats = None
        if n_feats > 0 and feat_dim > 0:
            self.feats = nn.Embedding(n_feats, feat_dim, padding_idx=0)
            self.out_dim += feat_dim
        self.affixes = None
        if n_affixes > 0 and affix_dim > 0:
            self.affixes = nn.Embedding(n_affixes, affix_dim, padding_idx=0)
            self.out_dim += n_per_word * affix_dim

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        # -> (B, T, out_dim)
        parts = []
        if self.words is not None:
            parts.append(self.words(batch["words"]))  # (B, T, word_dim)
        if self.chars is not None:
            per_type = self.chars(batch["type_chars"])  # (U, C)
            parts.append(per_type[batch["types"]])  # (B, T, C)
        if self.affixes is not None:
            per_type = self.affixes(batch["type_affixes"]).flatten(1)  # (U, n_per_word * affix_dim)
            parts.append(per_type[batch["types"]])  # (B, T, n_per_word * affix_dim)
        if self.feats is not None:
            parts.append(self.feats(batch["feats"]))  # (B, T, feat_dim)
        return torch.cat(parts, dim=-1)


class SinusoidalPositions(nn.Module):
    """Fixed sinusoidal position encodings (Vaswani et al. 2017), any length."""

    def __init__(self, d_model: int) -> None:
        super().__init__()
        self.d_model = d_model
        inv = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float32) * (-math.log(10000.0) / d_model))
        self.register_buffer("inv_freq", inv, persistent=False)

    def forward(self, T: int) -> torch.Tensor:
        # -> (T, d_model)
        pos = torch.arange(T, dtype=torch.float32, device=self.inv_freq.device)[:, None] * self.inv_freq
        pe = torch.zeros(T, self.d_model, device=pos.device)
        pe[:, 0::2] = torch.sin(pos)
        pe[:, 1::2] = torch.cos(pos[:, : self.d_model // 2])
        return pe


class LearnedPositions(nn.Module):
    """Learned absolute positions; positions >= ``max_len`` share the last vector."""

    def __init__(self, d_model: int, max_len: int) -> None:
        super().__init__()
        self.max_len = max_len
        self.table = nn.Embedding(max_len, d_model)
        nn.init.normal_(self.table.weight, std=0.02)

    def forward(self, T: int) -> torch.Tensor:
        # -> (T, d_model)
        pos = torch.arange(T, device=self.table.weight.device).clamp(max=self.max_len - 1)
        return self.table(pos)


class SoftmaxHead(nn.Module):
    """Independent per-token softmax: cross-entropy loss, argmax decoding."""

    def loss(self, em: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        # em (B, T, K), tags (B, T), mask (B, T) -> mean over valid tokens
        return F.cross_entropy(em[mask], tags[mask])

    def decode(self, em: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        # -> (B, T) tag ids, -1 at padding
        return em.argmax(-1).masked_fill(~mask, -1)

    def marginals(self, em: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        # -> (B, T, K) per-token softmax, zeros at padding
        return em.softmax(-1) * mask[..., None]


class CRFHead(nn.Module):
    """Linear-chain CRF (:class:`seqtag.crf.layer.CRF`): sentence NLL, Viterbi decoding."""

    def __init__(self, n_tags: int, constraints: torch.Tensor | None = None) -> None:
        super().__init__()
        self.crf = CRF(n_tags, batch_first=True, constraints=constraints)

    def loss(self, em: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        # NLL summed over sentences, divided by the number of valid tokens
        return self.crf(em, tags, mask=mask, reduction="token_mean")

    def decode(self, em: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        paths, _ = self.crf.decode(em, mask=mask, k=1)  # (B, 1, T)
        return paths[:, 0]

    def marginals(self, em: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        # -> (B, T, K) forward-backward posteriors, zeros at padding
        return self.crf.marginals(em, mask=mask)


class TaggerNet(nn.Module):
    """Base of the networks: subclasses compute ``emissions(batch) -> (B, T, K)``."""

    head: nn.Module

    def emissions(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        raise NotImplementedError

    def loss(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Training loss of a batch (scalar)."""
        return self.head.loss(self.emissions(batch), batch["tags"], batch["mask"])

    def decode(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Best tag ids (B, T), -1 at padding."""
        return self.head.decode(self.emissions(batch).float(), batch["mask"])

    def marginals(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Posterior tag probabilities (B, T, K): softmax per token, or the CRF's forward-backward."""
        return self.head.marginals(self.emissions(batch).float(), batch["mask"])


def make_head(head: str, n_tags: int, constraints: torch.Tensor | None) -> nn.Module:
    """``"softmax"`` -> :class:`SoftmaxHead`, ``"crf"`` -> :class:`CRFHead`."""
    return CRFHead(n_tags, constraints) if head == "crf" else SoftmaxHead()
