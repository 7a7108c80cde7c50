"""CTC forced aligner: a small acoustic model trained here, aligned by the CTC trellis.

The model (:mod:`seqtag.align.aligners._ctc_net`: conv front end + BiLSTM over log-mel)
is trained with CTC on the utterances given to :meth:`CTCAligner.fit`; alignment runs
:func:`seqtag.align.ctc.ctc_align` over its emissions and turns the unit spans into
words with the rule of :mod:`seqtag.align.word_timing`. The start and end shifts
of that rule are *calibrated* at the end of ``fit`` when the training utterances
carry reference words: each becomes the median signed difference between reference
and raw CTC boundaries on those utterances (``start_shift_`` / ``end_shift_``); the
end shift absorbs the systematic gap between the last unit's spike and the end of
the word. Shifts passed to the constructor override the calibrated ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._validation import store_params
from ..result import AlignmentResult
from ..word_timing import align_emissions, refine_result
from .neural import NeuralAligner

__all__ = ["CTCAligner"]


class CTCAligner(NeuralAligner):
    """Train a small CTC acoustic model and use it for forced alignment.

    Parameters
    ----------
    units : {"chars", "phones"}, default "chars"
        CTC targets: characters of the training transcripts, or ARPAbet phones (CMUdict + G2P).
    word_sep : bool, default False
        Train with a ``"|"`` token between words.
    model_params : dict or None
        Passed to :class:`~seqtag.align.aligners._ctc_net.CTCAcousticModel` (``hidden``,
        ``channels``, ``layers``, ``stride``, ``dropout``).
    feature_config : dict or None
        Overrides of :data:`~seqtag.align.aligners._ctc_net.FEATURE_DEFAULTS`.
    start_shift, end_shift : float or None
        Boundary shifts in seconds; ``None``: the calibrated ones (``start_shift_``,
        ``end_shift_``), else ``-hop / 2``.
    refine : {"energy", None}, default "energy"
        ``"energy"``: after the shifts, move word boundaries that face a pause to the
        pause's edges (:func:`seqtag.align.refine.refine_word_boundaries`); ``None``: shifts only.
    epochs, batch_size, lr : int, int, float
        Training schedule (AdamW, one-cycle; small batches give CTC the steps it needs to
        leave the all-blank start).
    calibrate : bool, default True
        Calibrate the shifts at the end of ``fit`` (when the utterances have reference words).
    random_state : int, default 0
        Seeds the weights, dropout and batch order.
    verbose : bool, default False
        Progress bars while training.

    Attributes
    ----------
    model_ : CTCAcousticModel
    tokenizer_ : CharTokenizer or PhoneTokenizer
    start_shift_, end_shift_ : float or None
        Calibrated shifts (None when not calibrated).
    history_ : list of float
        Mean loss per utterance of every epoch.

    Examples
    --------
    >>> from seqtag.corpora import load_speech_corpus
    >>> train = load_speech_corpus("synthetic", "train", n=300)  # doctest: +SKIP
    >>> aligner = CTCAligner(epochs=30).fit(train)  # doctest: +SKIP
    >>> aligner.align("utt.wav", "hello world").words  # doctest: +SKIP
    """

    def __init__(self, units: str = "chars", word_sep: bool = False, model_params: dict | None = None,
                 feature_config: dict | None = None, start_shift: float | None = None,
                 end_shift: float | None = None, refine: str | None = "energy", epochs: int = 30,
                 batch_size: int = 4, lr: float = 2e-3, calibrate: bool = True, random_state: int = 0,
                 verbose: bool = False):
        store_params(self, locals())

    def emissions(self, audio, sr: int | None = None) -> np.ndarray:
        """Log probabilities ``(frames, classes)`` of an audio path or array."""
        import torch

        from ...training import torch_threads
        from ._ctc_net import features
        from .base import load_audio

        self._check_fitted()
        f = features(load_audio(audio, self.sample_rate, sr), self._features)
        with torch_threads(1), torch.no_grad():  # one utterance: a single thread is fastest
            lp, _ = self.model_(torch.from_numpy(f)[None], torch.tensor([f.shape[0]]))  # (1, time, classes)
        return lp[0].numpy()

    # --------------------------------------------------------------- training
    def _fit(self, items) -> None:
        import torch

        from ._ctc_net import CTCAcousticModel, features, train_ctc

        tokenizer = self._tokenizer([t for _, t, _ in items])
        targets = [tokenizer.encode(t)[0] for _, t, _ in items]
        feats = [features(x, self._features) for x, _, _ in items]
        params = {**(self.model_params or {}), "n_mels": self._features["n_mels"]}
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.random_state)
            model = CTCAcousticModel(len(tokenizer.vocab), **params)
        history = train_ctc(model, feats, targets, epochs=self.epochs, batch_size=self.batch_size, lr=self.lr,
                            seed=self.random_state, progress=self.verbose)
        self.model_, self.tokenizer_, self.history_ = model, tokenizer, history
        self._calibrate(items)

    # -------------------------------------------------------------- alignment
    def _align_one(self, x: np.ndarray, transcript: str, shifts, refine: bool) -> AlignmentResult:
        tok = self.tokenizer_
        ids, lengths = tok.encode(transcript)
        lp = self.emissions(x, self.sample_rate)
        units, k = [], 0
        sep = tok.index.get("|") if tok.word_sep else None
        flat = [i for i in ids if i != sep] if sep is not None else ids
        for n in lengths:
            units.append(flat[k : k + n])
            k += n
        result = align_emissions(
            lp, transcript, tok.vocab, self.frame_shift, word_sep="|" if sep is not None else None,
            start_shift=shifts[0], end_shift=shifts[1], duration=x.size / self.sample_rate, word_units=units,
            unit_labels=tok.unit_labels(transcript), unit_kind=tok.kind,
        )
        return refine_result(result, self.refine, x, self.sample_rate) if refine else result

    # ------------------------------------------------------------ persistence
    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {**self._state(), "history": list(self.history_)}, {}

    def _set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        from ._ctc_net import CTCAcousticModel

        self._restore(state, CTCAcousticModel)
        self.history_ = [float(v) for v in state["history"]]
