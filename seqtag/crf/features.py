"""Feature templates for the CRF tagger: tokens -> attribute strings -> indices -> CSR.

A *template* is a function of one word (``word``, ``lower``, ``suffix3``, ``shape``,
``has_digit`` ...) applied at a relative *offset* in the sentence.  Attribute strings
look like ``"suffix3=ing"`` (offset 0) or ``"lower[-1]=the"``; positions outside the
sentence give ``"lower[-1]=<s>"`` / ``"lower[+2]=</s>"``.

Speed: every template is a function of a single word, so its attribute id is computed
once per *word type* and per (template, offset); the token-level matrix is then
assembled with numpy gathers.  Python string building therefore costs
O(types x templates), not O(tokens x templates).  An optional user ``feature_fn(tokens, i)``
is called per token (it may look at the whole sentence).

Configuration (``features=``)
-----------------------------
- ``None``: :data:`DEFAULT_FEATURES` (the dev-tuned set; :data:`DEFAULT_FEATURES_V1` is
  what ``None`` meant before 2026-11-30).
- a list of template specs: ``"name"`` (offset 0) or ``"name[-1]"`` / ``"name[+2]"``;
  the group name ``"flags"`` expands to all boolean flags.
- a dict ``{"local": [names], "context": [names], "window": w}``: local names at offset
  0, context names at offsets ``-w..-1`` and ``1..w``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..exceptions import InputError

__all__ = [
    "DEFAULT_FEATURES",
    "DEFAULT_FEATURES_V1",
    "TEMPLATES",
    "FeatureExtractor",
    "parse_features",
    "short_shape",
    "template_specs",
    "word_shape",
]


def word_shape(word: str) -> str:
    """Map upper-case letters to ``X``, lower-case to ``x``, digits to ``d``; keep the rest.

    Examples
    --------
    >>> word_shape("McDonald's-42")
    "XxXxxxxx'x-dd"
    """
    return "".join("X" if c.isupper() else "x" if c.islower() else "d" if c.isdigit() else c for c in word)


def short_shape(word: str) -> str:
    """:func:`word_shape` with runs of the same class collapsed (``"Xxdd"`` for ``"Abc12"``).

    Examples
    --------
    >>> short_shape("McDonald's-42")
    "XxXx'x-d"
    """
    out: list[str] = []
    for c in word_shape(word):
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out)


def _flag(pred: Callable[[str], bool]) -> Callable[[str], str | None]:
    return lambda w: "1" if pred(w) else None


def _prefix(n: int) -> Callable[[str], str | None]:
    return lambda w: w[:n] if len(w) >= n else None


def _suffix(n: int) -> Callable[[str], str | None]:
    return lambda w: w[-n:] if len(w) >= n else None


def _lsuffix(n: int) -> Callable[[str], str | None]:
    return lambda w: w.lower()[-n:] if len(w) >= n else None


#: Template name -> function of one word returning the attribute value (None: no attribute).
TEMPLATES: dict[str, Callable[[str], str | None]] = {
    "bias": lambda w: "",
    "word": lambda w: w,
    "lower": str.lower,
    "shape": word_shape,
    "short_shape": short_shape,
    "length": lambda w: str(min(len(w), 10)),
    "has_digit": _flag(lambda w: any(c.isdigit() for c in w)),
    "is_digit": _flag(str.isdigit),
    "has_hyphen": _flag(lambda w: "-" in w),
    "has_upper": _flag(lambda w: any(c.isupper() for c in w)),
    "is_upper": _flag(str.isupper),
    "is_title": _flag(str.istitle),
    "is_lower": _flag(str.islower),
    **{f"prefix{n}": _prefix(n) for n in range(1, 7)},
    **{f"suffix{n}": _suffix(n) for n in range(1, 7)},
    **{f"lsuffix{n}": _lsuffix(n) for n in range(1, 7)},
}

_GROUPS = {"flags": ["has_digit", "is_digit", "has_hyphen", "has_upper", "is_upper", "is_title"]}

#: The default configuration, tuned on the PTB-sample dev split (docs/benchmarks.md, CRF section):
#: word identity, prefixes 1-4, suffixes 1-5, shapes, length, flags, +-2 context words, the
#: neighbours' suffixes and shapes.
DEFAULT_FEATURES: list[str] = [
    "bias", "word", "lower", "prefix1", "prefix2", "prefix3", "prefix4",
    "suffix1", "suffix2", "suffix3", "suffix4", "suffix5", "lsuffix3", "shape", "short_shape", "length",
    "flags", "lower[-2]", "lower[-1]", "lower[+1]", "lower[+2]",
    "suffix3[-1]", "suffix3[+1]", "suffix2[+1]", "short_shape[-1]", "short_shape[+1]",
    "is_title[-1]", "is_title[+1]",
]

#: What ``features=None`` meant before 2026-11-30: models saved then record no template list,
#: so loading them uses this.
DEFAULT_FEATURES_V1: dict[str, Any] = {
    "local": ["bias", "word", "lower", "prefix1", "prefix2", "prefix3", "prefix4",
              "suffix1", "suffix2", "suffix3", "suffix4", "shape", "flags"],
    "context": ["lower"],
    "window": 2,
}

_SPEC = re.compile(r"^([a-z_0-9]+)(?:\[([+-]?\d+)\])?$")


def _expand(name: str, offset: int, where: str) -> list[tuple[str, int]]:
    if name in _GROUPS:
        return [(n, offset) for n in _GROUPS[name]]
    if name not in TEMPLATES:
        raise InputError(
            f"unknown feature template {name!r} in {where}; known templates: "
            f"{', '.join(sorted([*TEMPLATES, *_GROUPS]))}"
        )
    return [(name, offset)]


def parse_features(features: Any) -> list[tuple[str, int]]:
    """Turn a ``features=`` configuration into a list of ``(template, offset)`` pairs.

    Parameters
    ----------
    features : None, list of str, or dict
        See the module docstring.

    Returns
    -------
    list of (str, int)
        Unique templates in configuration order.

    Examples
    --------
    >>> parse_features(["word", "suffix3", "lower[-1]"])
    [('word', 0), ('suffix3', 0), ('lower', -1)]
    >>> parse_features({"local": ["word"], "context": ["lower"], "window": 1})
    [('word', 0), ('lower', -1), ('lower', 1)]
    """
    if features is None:
        features = DEFAULT_FEATURES
    out: list[tuple[str, int]] = []
    if isinstance(features, Mapping):
        unknown = set(features) - {"local", "context", "window"}
        if unknown:
            raise InputError(
                f"features dict has unknown keys {sorted(unknown)}; use 'local', 'context' and 'window'"
            )
        window = features.get("window", 0)
        if not isinstance(window, int) or isinstance(window, bool) or window < 0:
            raise InputError(f"features['window'] must be an int >= 0, got {window!r}")
        for key in ("local", "context"):
            names = features.get(key, [])
            if isinstance(names, str) or not isinstance(names, Sequence):
                raise InputError(f"features[{key!r}] must be a list of template names, got {names!r}")
            for name in names:
                if not isinstance(name, str):
                    raise InputError(f"features[{key!r}] must hold template names (str), got {name!r}")
                offsets = [0] if key == "local" else [o for o in range(-window, window + 1) if o != 0]
                for o in offsets:
                    out += _expand(name, o, f"features[{key!r}]")
    elif isinstance(features, Sequence) and not isinstance(features, str):
        for spec in features:
            m = _SPEC.match(spec) if isinstance(spec, str) else None
            if m is None:
                raise InputError(
                    f"feature template spec {spec!r} is not valid; write 'name' or 'name[offset]', "
                    f"e.g. 'suffix3' or 'lower[-1]'"
                )
            out += _expand(m.group(1), int(m.group(2) or 0), "features")
    else:
        raise InputError(
            f"features must be None, a list of template names or a dict "
            f"{{'local': [...], 'context': [...], 'window': 2}}, got {type(features).__name__}"
        )
    return list(dict.fromkeys(out))


def template_specs(templates: Sequence[tuple[str, int]]) -> list[str]:
    """Write ``(template, offset)`` pairs as the specs :func:`parse_features` reads back.

    Examples
    --------
    >>> template_specs([("word", 0), ("lower", -1), ("suffix3", 2)])
    ['word', 'lower[-1]', 'suffix3[+2]']
    >>> parse_features(_) == [("word", 0), ("lower", -1), ("suffix3", 2)]
    True
    """
    return [name if offset == 0 else f"{name}[{offset:+d}]" for name, offset in templates]


def _attr_name(name: str, offset: int, value: str) -> str:
    return f"{name}={value}" if offset == 0 else f"{name}[{offset:+d}]={value}"


class FeatureExtractor:
    """Extract attribute matrices from sentences with templates and an optional ``feature_fn``.

    Parameters
    ----------
    features : None, list or dict
        Template configuration (see :func:`parse_features`).
    feature_fn : callable, optional
        ``feature_fn(tokens, i) -> list[str] | dict[str, float]``: extra attributes of
        token ``i`` (a list means value 1.0 each).

    Attributes
    ----------
    attributes_ : list of str
        Attribute strings known after :meth:`fit_transform`; index = attribute id.

    Examples
    --------
    >>> ex = FeatureExtractor(["word", "suffix2"])
    >>> M = ex.fit_transform([["the", "dog"]])
    >>> M.shape, ex.attributes_
    ((2, 4), ['word=the', 'word=dog', 'suffix2=he', 'suffix2=og'])
    """

    def __init__(self, features: Any = None, feature_fn: Callable | None = None):
        self.templates = parse_features(features)
        self.feature_fn = feature_fn

    def _encode(self, X: list[list[str]], index: dict[str, int], grow: bool) -> sp.csr_matrix:
        types: dict[str, int] = {}
        tok_type = np.fromiter((types.setdefault(w, len(types)) for s in X for w in s), dtype=np.int64)
        lengths = np.fromiter((len(s) for s in X), dtype=np.int64, count=len(X))
        N = int(lengths.sum())
        words = list(types)
        starts = np.repeat(np.cumsum(lengths) - lengths, lengths)  # sentence start of each token
        ends = starts + np.repeat(lengths, lengths)
        pos = np.arange(N, dtype=np.int64)

        def lookup(attr: str) -> int:
            if grow:
                return index.setdefault(attr, len(index))
            return index.get(attr, -1)

        values: dict[str, list[str | None]] = {}
        cols = []
        for name, offset in self.templates:
            if name not in values:
                fn = TEMPLATES[name]
                values[name] = [fn(w) for w in words]
            table = np.fromiter(
                (-1 if v is None else lookup(_attr_name(name, offset, v)) for v in values[name]),
                dtype=np.int64, count=len(words),
            )
            if offset == 0:
                cols.append(table[tok_type])
                continue
            src = pos + offset
            inside = (src >= starts) & (src < ends)
            col = np.full(N, lookup(_attr_name(name, offset, "<s>" if offset < 0 else "</s>")), dtype=np.int64)
            col[inside] = table[tok_type[src[inside]]]
            cols.append(col)
        if cols:
            ids = np.stack(cols, axis=1)  # (N, n_templates)
            rows = np.repeat(pos, ids.shape[1])
            ids = ids.ravel()
            keep = ids >= 0
            rows, ids, vals = rows[keep], ids[keep], np.ones(int(keep.sum()))
        else:
            rows = ids = np.zeros(0, dtype=np.int64)
            vals = np.zeros(0)
        if self.feature_fn is not None:
            r2, i2, v2 = self._user_features(X, lookup)
            rows, ids, vals = np.concatenate([rows, r2]), np.concatenate([ids, i2]), np.concatenate([vals, v2])
        M = sp.csr_matrix((vals, (rows, ids)), shape=(N, len(index)))
        M.sum_duplicates()
        M.sort_indices()
        return M

    def _user_features(self, X, lookup):
        rows, ids, vals = [], [], []
        t = 0
        for s_i, sent in enumerate(X):
            for i in range(len(sent)):
                out = self.feature_fn(list(sent), i)
                if isinstance(out, Mapping):
                    items = out.items()
                elif isinstance(out, Sequence) and not isinstance(out, str):
                    items = ((a, 1.0) for a in out)
                else:
                    raise InputError(
                        f"feature_fn(tokens, {i}) on sentence {s_i} returned {type(out).__name__}; it must "
                        f"return a list of attribute strings or a dict {{attribute: float value}}"
                    )
                for a, v in items:
                    if not isinstance(a, str) or isinstance(v, bool) or not isinstance(v, (int, float)) \
                            or not np.isfinite(v):
                        raise InputError(
                            f"feature_fn(tokens, {i}) on sentence {s_i} gave attribute {a!r} with value "
                            f"{v!r}; attributes must be str and values finite numbers"
                        )
                    j = lookup(a)
                    if j >= 0:
                        rows.append(t)
                        ids.append(j)
                        vals.append(float(v))
                t += 1
        return np.asarray(rows, dtype=np.int64), np.asarray(ids, dtype=np.int64), np.asarray(vals, dtype=float)

    def fit_transform(self, X: list[list[str]], min_freq: int = 1) -> sp.csr_matrix:
        """Learn the attribute index from ``X`` and return its CSR matrix (tokens x attributes).

        Attributes active on fewer than ``min_freq`` tokens are dropped.
        """
        index: dict[str, int] = {}
        M = self._encode(X, index, grow=True)
        names = list(index)
        if min_freq > 1:
            freq = np.bincount(M.indices, minlength=M.shape[1])
            keep = np.flatnonzero(freq >= min_freq)
            M = M[:, keep].tocsr()
            names = [names[j] for j in keep]
        self.attributes_ = names
        self._index = {a: j for j, a in enumerate(names)}
        return M

    def set_attributes(self, attributes: list[str]) -> FeatureExtractor:
        """Restore a learned attribute list (e.g. from a saved model)."""
        self.attributes_ = list(attributes)
        self._index = {a: j for j, a in enumerate(self.attributes_)}
        return self

    def transform(self, X: list[list[str]]) -> sp.csr_matrix:
        """CSR matrix of ``X`` over the learned attributes; unseen attributes are ignored."""
        return self._encode(X, self._index, grow=False)

    def to_dicts(self, X: list[list[str]]) -> list[list[dict[str, float]]]:
        """The attributes of every token as ``{string: value}`` dicts (all of them, learned or not).

        Useful to feed exactly the same features to another CRF implementation.
        """
        index: dict[str, int] = {}
        M = self._encode(X, index, grow=True)
        names = list(index)
        out, t = [], 0
        for s in X:
            sent = []
            for _ in s:
                lo, hi = M.indptr[t], M.indptr[t + 1]
                sent.append({names[j]: float(v) for j, v in zip(M.indices[lo:hi], M.data[lo:hi])})
                t += 1
            out.append(sent)
        return out
