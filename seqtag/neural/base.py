"""The shared base of the neural taggers: data encoding, the Tagger hooks, save/load.

A subclass lists its parameters in ``__init__`` (scikit-learn style), adds its
own checks in ``_check_arch`` and builds its network in ``_build_net``; all
the rest (vocabularies, word dropout, constraints, seeding, training,
batched prediction, persistence) lives here.
"""

from __future__ import annotations

import copy
import math
import numbers
from collections import Counter
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch
from sklearn.utils import check_random_state

from .._validation import check_tagged
from ..base import MarginalsMixin, Tagger
from ..exceptions import InputError
from .embeddings import embedding_matrix, read_embeddings
from .modules import TaggerNet
from .train import HISTORY_COLUMNS, Encoded, fit_network, predict_ids, resolve_device
from .vocab import Vocab, word_affixes, word_chars

__all__ = ["NeuralTagger", "auto_constraints"]

_SCHEMES = ("BIO", "BIOES", "IOB1")


def _check_int(name: str, value: Any, low: int, none_ok: bool = False) -> None:
    if value is None and none_ok:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        extra = " or None" if none_ok else ""
        raise InputError(f"{name} must be an int >= {low}{extra}, got {value!r}")


def _check_float(name: str, value: Any, low: float, high: float, none_ok: bool = False,
                 high_open: bool = False) -> None:
    if value is None and none_ok:
        return
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and low <= value and (value < high if high_open else value <= high)
    if not ok:
        bracket = ")" if high_open else "]"
        raise InputError(f"{name} must be a number in [{low}, {high}{bracket}, got {value!r}")


def _check_bool(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise InputError(f"{name} must be True or False, got {value!r}")


def _check_choice(name: str, value: Any, choices: tuple) -> None:
    if value not in choices:
        raise InputError(f"{name} must be one of {list(choices)}, got {value!r}")


def auto_constraints(tags: list[str], y: list[list[str]]) -> str | None:
    """The chunking scheme of ``y`` (``"BIO"``, ``"BIOES"`` or ``"IOB1"``), or None.

    A scheme is chosen only if every tag fits it and every transition in ``y``
    (including sentence start and end) is allowed by it; POS tags give None.

    Examples
    --------
    >>> auto_constraints(["B-NP", "I-NP", "O"], [["B-NP", "I-NP", "O"]])
    'BIO'
    >>> auto_constraints(["DT", "NN"], [["DT", "NN"]]) is None
    True
    """
    if not any(t[:2] in ("B-", "I-", "E-", "S-") for t in tags):
        return None
    for scheme in _SCHEMES:
        if _fits(scheme, tags, y):
            return scheme
    return None


class NeuralTagger(MarginalsMixin, Tagger):
    """Shared machinery of :class:`BiLSTMTagger` and :class:`TransformerTagger` (not for direct use)."""

    warm_up_params: ClassVar[dict[str, Any] | None] = {"max_epochs": 1, "max_steps": 2, "min_steps": None,
                                                        "verbose": False}
    uses_dev_set: ClassVar[bool] = True  # fit takes X_dev/y_dev for early stopping

    # ------------------------------------------------------------ subclass hooks
    def _check_arch(self) -> None:
        raise NotImplementedError

    def _arch_config(self) -> dict[str, Any]:
        raise NotImplementedError

    def _build_net(self, cfg: dict[str, Any], pretrained: np.ndarray | None,
                   constraints: torch.Tensor | None) -> TaggerNet:
        raise NotImplementedError

    # ------------------------------------------------------------ checks
    def _check_params(self) -> None:
        _check_int("word_dim", self.word_dim, 0)
        _check_choice("char_encoder", self.char_encoder, ("lstm", "cnn", None))
        _check_int("char_dim", self.char_dim, 1)
        _check_int("char_hidden", self.char_hidden, 1)
        _check_int("affix_dim", self.affix_dim, 0)
        _check_int("max_word_len", self.max_word_len, 1)
        if self.word_dim == 0 and self.char_encoder is None and self.feature_sep is None and not self.affix_dim:
            raise InputError("the tagger has no input: set word_dim > 0, a char_encoder, affix_dim > 0 or feature_sep")
        _check_int("min_count", self.min_count, 1)
        _check_float("word_dropout", self.word_dropout, 0.0, math.inf)
        _check_float("dropout", self.dropout, 0.0, 1.0, high_open=True)
        if self.embeddings_path is not None and not isinstance(self.embeddings_path, str):
            raise InputError(f"embeddings_path must be a str path or None, got {self.embeddings_path!r}")
        if self.embeddings_path is not None and self.word_dim == 0:
            raise InputError("embeddings_path needs word_dim > 0 (set it to the file's vector size)")
        if self.feature_sep is not None and (not isinstance(self.feature_sep, str) or not self.feature_sep):
            raise InputError(f"feature_sep must be a non-empty str or None, got {self.feature_sep!r}")
        _check_int("feature_dim", self.feature_dim, 1)
        _check_choice("head", self.head, ("softmax", "crf"))
        _check_choice("constraints", self.constraints, ("auto", None, *_SCHEMES))
        _check_int("max_epochs", self.max_epochs, 1)
        _check_int("max_steps", self.max_steps, 1, none_ok=True)
        _check_int("min_steps", self.min_steps, 1, none_ok=True)
        _check_int("batch_size", self.batch_size, 1)
        _check_int("predict_batch_size", self.predict_batch_size, 1)
        _check_float("lr", self.lr, 0.0, math.inf)
        if self.lr <= 0:
            raise InputError(f"lr must be > 0, got {self.lr!r}")
        _check_float("weight_decay", self.weight_decay, 0.0, math.inf)
        _check_float("warmup", self.warmup, 0.0, 1.0, high_open=True)
        _check_choice("schedule", self.schedule, ("linear", "cosine", "constant", "onecycle"))
        _check_float("clip_norm", self.clip_norm, 0.0, math.inf, none_ok=True)
        _check_int("patience", self.patience, 1, none_ok=True)
        _check_bool("restore_best", self.restore_best)
        _check_float("validation_fraction", self.validation_fraction, 0.0, 1.0, high_open=True)
        dev = self.device
        if not (dev in ("auto", "cpu", "cuda") or (isinstance(dev, str) and dev.startswith("cuda:"))):
            raise InputError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {self.device!r}")
        if str(self.device).startswith("cuda") and not torch.cuda.is_available():
            raise InputError(f"device={self.device!r} but CUDA is not available here; use device='cpu' or 'auto'")
        self._check_arch()

    def _seed(self) -> int:
        """An int seed from ``random_state``, which is never mutated (a copy is drawn from)."""
        rs = self.random_state
        if isinstance(rs, numbers.Integral) and not isinstance(rs, bool):
            if not 0 <= rs < 2**32:
                raise InputError(f"random_state must be in [0, 2**32), got {rs}")
            return int(rs)
        if isinstance(rs, np.random.Generator):
            return int(copy.deepcopy(rs).integers(2**31 - 1))
        try:
            state = check_random_state(copy.deepcopy(rs))
        except ValueError:
            raise InputError(
                f"random_state must be None, an int or a numpy RandomState/Generator, got {rs!r}"
            ) from None
        return int(state.randint(2**31 - 1))

    # ------------------------------------------------------------ encoding
    def _split_features(self, X: list[list[str]], name: str) -> tuple[list[list[str]], list[list[str]] | None]:
        sep = self.feature_sep
        if sep is None:
            return X, None
        words, feats = [], []
        for i, sent in enumerate(X):
            ws, fs = [], []
            for j, tok in enumerate(sent):
                w, s, f = tok.rpartition(sep)
                if not s:
                    raise InputError(
                        f"{name}[{i}][{j}] = {tok!r} has no feature: with feature_sep={sep!r} every token "
                        f"must look like 'word{sep}FEATURE' (e.g. 'dog{sep}NN')"
                    )
                ws.append(w)
                fs.append(f)
            words.append(ws)
            feats.append(fs)
        return words, feats

    def _encode(self, X: list[list[str]], y: list[list[str]] | None, name: str = "X") -> Encoded:
        words, feats = self._split_features(X, name)
        types: dict[str, int] = {}
        type_chars: list[np.ndarray] = []
        cv, av = self.char_vocab_, self.affix_vocab_
        type_affixes: list[np.ndarray] | None = [] if av is not None else None
        for sent in words:
            for w in sent:
                if w not in types:
                    types[w] = len(type_chars)
                    type_chars.append(np.asarray(cv.encode(word_chars(w, self.max_word_len)) or [1], dtype=np.int64))
                    if type_affixes is not None:
                        type_affixes.append(np.asarray(av.encode(word_affixes(w)), dtype=np.int64))
        enc = Encoded(
            words=[np.asarray(self.word_vocab_.encode(s), dtype=np.int64) for s in words],
            types=[np.asarray([types[w] for w in s], dtype=np.int64) for s in words],
            type_chars=type_chars,
            type_affixes=type_affixes,
        )
        if feats is not None:
            enc.feats = [np.asarray(self.feat_vocab_.encode(s), dtype=np.int64) for s in feats]
        if y is not None:
            tag_id = {t: i for i, t in enumerate(self.tags_)}
            enc.tags = [np.asarray([tag_id[t] for t in s], dtype=np.int64) for s in y]
        return enc

    def _constraint_tensor(self) -> torch.Tensor | None:
        if self.head != "crf" or self.constraint_scheme_ is None:
            return None
        from ..crf.constraints import allowed_transitions

        return allowed_transitions(self.constraint_scheme_, self.tags_)

    # ------------------------------------------------------------ Tagger hooks
    def _fit(self, X: list[list[str]], y: list[list[str]], **kwargs: Any) -> None:
        X_dev, y_dev = kwargs.pop("X_dev", None), kwargs.pop("y_dev", None)
        if kwargs:
            raise InputError(
                f"{type(self).__name__}.fit takes only X_dev and y_dev as extra arguments, got {sorted(kwargs)}"
            )
        if (X_dev is None) != (y_dev is None):
            raise InputError("pass both X_dev and y_dev (or neither)")
        seed = self._seed()
        device = resolve_device(self.device)
        if X_dev is not None:
            X_dev, y_dev = check_tagged(X_dev, y_dev)
        elif self.validation_fraction > 0 and len(X) >= 2:
            perm = np.random.default_rng(seed).permutation(len(X))
            n_dev = min(len(X) - 1, max(1, int(round(self.validation_fraction * len(X)))))
            dev_idx, tr_idx = sorted(perm[:n_dev]), sorted(perm[n_dev:])
            X_dev, y_dev = [X[i] for i in dev_idx], [y[i] for i in dev_idx]
            X, y = [X[i] for i in tr_idx], [y[i] for i in tr_idx]

        words, feats = self._split_features(X, "X")
        counts = Counter(w for s in words for w in s)
        self.word_vocab_ = Vocab.from_counts(counts, self.min_count, lowercase_fallback=True)
        self.char_vocab_ = Vocab.from_counts(Counter(c for w in counts for c in word_chars(w, self.max_word_len)))
        self.feat_vocab_ = Vocab.from_counts(Counter(f for s in feats for f in s)) if feats is not None else None
        self.affix_vocab_ = (Vocab.from_counts(Counter(a for w in counts for a in word_affixes(w)))
                             if self.affix_dim else None)
        pretrained = None
        self.n_pretrained_ = 0
        if self.embeddings_path is not None:
            file_words, vectors = read_embeddings(self.embeddings_path, dim=self.word_dim)
            for w in file_words:
                self.word_vocab_.add(w)
            pretrained, self.n_pretrained_ = embedding_matrix(
                self.word_vocab_, file_words, vectors, np.random.default_rng(seed)
            )
        tags = sorted({t for s in y for t in s} | ({t for s in y_dev for t in s} if y_dev else set()))
        self.tags_ = tags
        if self.constraints == "auto":
            self.constraint_scheme_ = auto_constraints(tags, y + (y_dev or []))
        else:
            self.constraint_scheme_ = self.constraints
            if self.constraints is not None and not _fits(self.constraints, tags, y + (y_dev or [])):
                raise InputError(
                    f"constraints={self.constraints!r} but the tags do not follow the {self.constraints} "
                    f"scheme (a tag or a transition in y is not allowed); use constraints='auto' or None"
                )
        self.net_config_ = {
            "n_words": len(self.word_vocab_),
            "n_chars": len(self.char_vocab_),
            "n_feats": len(self.feat_vocab_) if self.feat_vocab_ is not None else 0,
            "n_affixes": len(self.affix_vocab_) if self.affix_vocab_ is not None else 0,
            "n_tags": len(tags),
            **self._arch_config(),
        }
        train = self._encode(X, y)
        dev = self._encode(X_dev, y_dev, "X_dev") if X_dev else None
        drop_prob = None
        if self.word_dropout > 0:
            c = torch.tensor([0.0, 0.0] + [float(counts.get(w, 0)) for w in self.word_vocab_.itos[2:]])
            drop_prob = self.word_dropout / (self.word_dropout + c)
            drop_prob[:2] = 0.0
        fork = [device.index or 0] if device.type == "cuda" else []
        with torch.random.fork_rng(devices=fork):
            torch.manual_seed(seed)
            net = self._build_net(self.net_config_, pretrained, self._constraint_tensor()).to(device)
            history, best = fit_network(
                net, train, dev, seed=seed, max_epochs=self.max_epochs, max_steps=self.max_steps,
                min_steps=self.min_steps,
                batch_size=self.batch_size,
                lr=self.lr, weight_decay=self.weight_decay, warmup=self.warmup, schedule=self.schedule,
                clip_norm=self.clip_norm, patience=self.patience, restore_best=self.restore_best,
                device=device, drop_prob=drop_prob,
                eval_batch_size=self.predict_batch_size, verbose=bool(self.verbose), desc=type(self).__name__,
            )
        self.net_ = net
        self.history_ = history
        self.best_epoch_ = best
        self.device_ = device

    def _predict(self, X: list[list[str]]) -> list[list[str]]:
        ids = predict_ids(self.net_, self._encode(X, None), self.predict_batch_size, self.device_)
        tags = self.tags_
        return [[tags[i] for i in row] for row in ids]

    def _posteriors(self, sents: list[list[str]]) -> np.ndarray:
        """(tokens, K): the CRF head's forward-backward marginals, or the softmax head's distributions."""
        probs = predict_ids(self.net_, self._encode(sents, None), self.predict_batch_size, self.device_,
                            marginals=True)
        return np.concatenate(probs).astype(np.float64)

    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        hist = self.history_.astype(object).where(self.history_.notna(), None)
        state = {
            "tags": list(self.tags_),
            "word_vocab": self.word_vocab_.to_json(),
            "char_vocab": self.char_vocab_.to_json(),
            "feat_vocab": self.feat_vocab_.to_json() if self.feat_vocab_ is not None else None,
            "affix_vocab": self.affix_vocab_.to_json() if self.affix_vocab_ is not None else None,
            "constraint_scheme": self.constraint_scheme_,
            "net_config": dict(self.net_config_),
            "best_epoch": int(self.best_epoch_),
            "n_pretrained": int(self.n_pretrained_),
            "history": {c: [None if v is None else (int(v) if c in ("epoch", "steps") else float(v)) for v in hist[c]]
                        for c in hist.columns},
        }
        return state, {}

    def _set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.tags_ = list(state["tags"])
        self.word_vocab_ = Vocab.from_json(state["word_vocab"])
        self.char_vocab_ = Vocab.from_json(state["char_vocab"])
        self.feat_vocab_ = Vocab.from_json(state["feat_vocab"]) if state["feat_vocab"] is not None else None
        affixes = state.get("affix_vocab")  # absent in files saved before the affix option
        self.affix_vocab_ = Vocab.from_json(affixes) if affixes is not None else None
        self.constraint_scheme_ = state["constraint_scheme"]
        self.net_config_ = dict(state["net_config"])
        self.best_epoch_ = int(state["best_epoch"])
        self.n_pretrained_ = int(state["n_pretrained"])
        hist = pd.DataFrame(state["history"])
        if "steps" not in hist:  # saved before step budgets: no step counts
            hist.insert(1, "steps", pd.NA)
        self.history_ = hist[HISTORY_COLUMNS].astype(
            {"epoch": int, "steps": "Int64", "train_loss": float, "dev_accuracy": float, "seconds": float, "lr": float}
        )

    def _get_weights(self):
        return {k: v.detach().cpu() for k, v in self.net_.state_dict().items()}  # saved from CPU

    def _set_weights(self, weights) -> None:
        # a model trained on a GPU loads on a machine without one: fall back to the CPU
        self.device_ = resolve_device(self.device) if torch.cuda.is_available() else torch.device("cpu")
        net = self._build_net(self.net_config_, None, self._constraint_tensor())
        net.load_state_dict(weights)
        self.net_ = net.to(self.device_).eval()


def _fits(scheme: str, tags: list[str], y: list[list[str]]) -> bool:
    """True if every tag and transition of ``y`` is allowed by ``scheme``."""
    from ..crf.constraints import allowed_transitions

    try:
        allowed = allowed_transitions(scheme, tags).numpy()
    except InputError:
        return False
    index, K = {t: i for i, t in enumerate(tags)}, len(tags)
    for seq in y:
        ids = [K] + [index[t] for t in seq] + [K + 1]
        if seq and not all(allowed[a, b] for a, b in zip(ids[:-1], ids[1:])):
            return False
    return True
