"""CRFTagger vs CRFsuite (sklearn-crfsuite) on PTB, plus UD EWT XPOS and CoNLL-2000 chunking.

1. **Same features, same iterations**: both trainers get exactly the attribute strings
   produced by seqtag's template extractor (CRFsuite receives them as dicts) and run
   L-BFGS for the same number of iterations with c1=0, c2=1 and no early stop.
   seqtag's time includes extracting features from raw tokens; CRFsuite's does not.
2. **Best configuration**: the default templates (``DEFAULT_FEATURES``), (c1, c2, min_freq)
   picked on the PTB dev split (wsj_0160-0179), then scored once on test (wsj_0180-0199),
   next to ``CRFTagger()`` itself (whose defaults are that dev choice) and ``crf`` under the
   ``quick`` preset of ``seqtag compare``.
3. UD EWT XPOS and CoNLL-2000 chunk F1 (POS tags as features) with that configuration.

Data comes from ``NLTK_DATA`` / ``SEQTAG_DATA`` through :func:`seqtag.load_corpus`.
Usage::

    python benchmarks/bench_crf_tagger.py            # full run (~25 min on 2 loaded cores)
    python benchmarks/bench_crf_tagger.py --only same,best   # the PTB part (~12 min)
    python benchmarks/bench_crf_tagger.py --quick    # smoke run (~1 min)
    python benchmarks/bench_crf_tagger.py --only templates   # template additions on dev (~10 min)
"""

from __future__ import annotations

import argparse
import time

from seqtag.corpora import load_corpus
from seqtag.crf.features import DEFAULT_FEATURES, FeatureExtractor, short_shape
from seqtag.crf.tagger import CRFTagger
from seqtag.metrics import accuracy, known_unknown_accuracy, span_f1
from seqtag.registry import make_model

#: The "rich" CRFsuite feature set of the reference measurement (96.13 %):
#: word, lowercase, prefixes/suffixes 1-3, case/digit/hyphen flags, +-2 words.
SAME_FEATURES = {
    "local": ["bias", "word", "lower", "prefix1", "prefix2", "prefix3", "suffix1", "suffix2", "suffix3",
              "has_digit", "is_digit", "has_hyphen", "has_upper", "is_upper", "is_title"],
    "context": ["lower"],
    "window": 2,
}

#: Richer templates for the best configuration: longer affixes, shapes, neighbours' suffixes
#: (chosen on dev; they are ``CRFTagger``'s default templates).
RICH_FEATURES = DEFAULT_FEATURES


#: (c1, c2, min_freq) tried on dev; OWL-QN (c1=0.1, c2=0.1) lost on dev in the 2026-11-22 run and
#: is slower; c2=0.1 and 0.2 (min_freq=2) lost to 0.3 on 2026-11-30 (docs/benchmarks.md).
GRID = [(0.0, 1.0, 1), (0.0, 0.3, 1), (0.0, 0.3, 2)]


def _case(word: str) -> str:
    """U(pper), T(itle), L(ower), M(ixed) or N(o letter)."""
    if word.isupper():
        return "U"
    if word.istitle():
        return "T"
    return "L" if word.islower() else "M" if any(c.isalpha() for c in word) else "N"


def _lsuffix_case(n: int):
    return lambda w: f"{w.lower()[-n:]}|{_case(w)}" if len(w) >= n else None


#: Templates tried on dev for the unknown words (issue 18, item 6), defined here, not in the library:
#: lower-cased suffixes joined with the word's case, short shape joined with the last two letters,
#: the part after a word's last hyphen.
TRIAL_TEMPLATES = {
    "case": _case,
    **{f"lsuffix{n}_case": _lsuffix_case(n) for n in (2, 3, 4)},
    "shape_suffix2": lambda w: f"{short_shape(w)}|{w.lower()[-2:]}",
    "hyphen_tail": lambda w: w.rsplit("-", 1)[1].lower() if "-" in w.strip("-") else None,
}

#: Additions to DEFAULT_FEATURES scored on dev by ``--only templates``.
TEMPLATE_TRIALS = {
    "defaults": [],
    "+ suffixes 2-4 joined with case": ["lsuffix2_case", "lsuffix3_case", "lsuffix4_case"],
    "+ suffix 3 joined with case, case": ["lsuffix3_case", "case"],
    "+ wider context: suffix2[-1], suffix3[+-2], short_shape[+-2]":
        ["suffix2[-1]", "suffix3[-2]", "suffix3[+2]", "short_shape[-2]", "short_shape[+2]"],
    "+ shape joined with suffix 2, hyphen tail": ["shape_suffix2", "hyphen_tail"],
    "+ lower-cased suffixes 4, 5": ["lsuffix4", "lsuffix5"],
}


def template_trials(args, rows):
    """Each of :data:`TEMPLATE_TRIALS` with the default c2 and min_freq, scored on the PTB dev split."""
    from seqtag.crf import features

    features.TEMPLATES.update(TRIAL_TEMPLATES)  # this process only
    Xtr, ytr = _ptb("train")
    Xdev, ydev = _ptb("dev")
    if args.quick:
        Xtr, ytr = Xtr[:800], ytr[:800]
    for label, extra in TEMPLATE_TRIALS.items():
        t = time.perf_counter()
        m = CRFTagger(features=DEFAULT_FEATURES + extra, max_iter=args.max_iter).fit(Xtr, ytr)
        dt = time.perf_counter() - t
        acc, unk = _tag_scores(Xtr, Xdev, ydev, m.predict(Xdev))
        rows.append((f"PTB dev, default templates {label}", f"{acc:.2f}", f"{unk:.2f}", f"{dt:.1f}", str(m.n_iter_)))
        print(f"[templates] {label}: dev {acc:.2f} (unknown {unk:.2f}) {dt:.1f}s", flush=True)


def _grid(text: str) -> list[tuple[float, float, int]]:
    try:
        return [(float(a), float(b), int(c)) for a, b, c in (item.split(":") for item in text.split(","))]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--grid takes c1:c2:min_freq items separated by commas, got {text!r}") from None


def _ptb(split):
    c = load_corpus("ptb-sample", split=split)
    return c.X, c.y


def _tag_scores(X_train, X, y, pred):
    vocab = {w for s in X_train for w in s}
    ku = known_unknown_accuracy(X, y, pred, vocab)
    return 100 * accuracy(y, pred), 100 * ku["unknown"]


def same_features(args, rows):
    Xtr, ytr = _ptb("train")
    Xte, yte = _ptb("test")
    if args.quick:
        Xtr, ytr = Xtr[:800], ytr[:800]
    import sklearn_crfsuite

    dicts_tr = FeatureExtractor(SAME_FEATURES).to_dicts(Xtr)
    dicts_te = FeatureExtractor(SAME_FEATURES).to_dicts(Xte)
    # warm the numba cache outside the timing (a fresh install compiles once, ~20 s)
    CRFTagger(features=["word"], max_iter=1).fit(Xtr[:5], ytr[:5]).predict(Xtr[:5])
    label = f"PTB test, same features, L-BFGS {args.max_iter} it., c2=1"
    walls = {"CRFsuite": [], "seqtag": []}
    # A B B A ordering (with --repeat 2) cancels a drift in the load of the shared machine
    order = ["CRFsuite", "seqtag", "seqtag", "CRFsuite"][: 2 * args.repeat] if args.repeat > 1 else ["CRFsuite", "seqtag"]
    for who in order:
        t, c = time.perf_counter(), time.process_time()
        if who == "CRFsuite":
            model = sklearn_crfsuite.CRF(algorithm="lbfgs", c1=0.0, c2=1.0, max_iterations=args.max_iter,
                                         delta=0.0, epsilon=0.0)
            model.fit(dicts_tr, ytr)
        else:
            model = CRFTagger(features=SAME_FEATURES, c1=0.0, c2=1.0, min_freq=1, max_iter=args.max_iter, tol=0.0)
            model.fit(Xtr, ytr)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        walls[who].append(wall)
        if who == "CRFsuite":
            acc, unk = _tag_scores(Xtr, Xte, yte, model.predict(dicts_te))
            n_it = str(model.training_log_.last_iteration["num"]) if model.training_log_ else "?"
        else:
            acc, unk = _tag_scores(Xtr, Xte, yte, model.predict(Xte))
            n_it = f"{model.n_iter_} ({model.training_info_['n_evals']} evals)"
        rows.append((f"{label}: {who}", f"{acc:.2f}", f"{unk:.2f}", f"{wall:.1f} (cpu {cpu:.1f})", n_it))
        print(f"[same features] {who}: wall {wall:.1f}s cpu {cpu:.1f}s acc {acc:.2f} unknown {unk:.2f}", flush=True)
    ratio = sum(walls["seqtag"]) / sum(walls["CRFsuite"])
    print(f"[same features] wall-time ratio seqtag/CRFsuite = {ratio:.2f}", flush=True)
    rows.append(("wall-time ratio seqtag / CRFsuite (same features)", "", "", f"{ratio:.2f}", ""))


def best_config(args, rows):
    Xtr, ytr = _ptb("train")
    Xdev, ydev = _ptb("dev")
    grid = args.grid
    if args.quick:
        Xtr, ytr, grid = Xtr[:800], ytr[:800], grid[:2]
    best = None
    for c1, c2, mf in grid:
        t = time.perf_counter()
        m = CRFTagger(features=RICH_FEATURES, c1=c1, c2=c2, min_freq=mf, max_iter=args.max_iter).fit(Xtr, ytr)
        dt = time.perf_counter() - t
        acc, unk = _tag_scores(Xtr, Xdev, ydev, m.predict(Xdev))
        rows.append((f"PTB dev, rich templates, c1={c1}, c2={c2}, min_freq={mf}", f"{acc:.2f}", f"{unk:.2f}",
                     f"{dt:.1f}", str(m.n_iter_)))
        print(f"[dev] c1={c1} c2={c2} min_freq={mf}: {acc:.2f} (unknown {unk:.2f}) {dt:.1f}s", flush=True)
        if best is None or (acc, unk) > best[0]:  # ties go to the better unknown-word accuracy
            best = ((acc, unk), c1, c2, mf, m, dt)
    _, c1, c2, mf, m, dt = best
    Xte, yte = _ptb("test")
    acc, unk = _tag_scores(Xtr, Xte, yte, m.predict(Xte))
    rows.append((f"PTB test, best on dev: rich templates, c1={c1}, c2={c2}, min_freq={mf}", f"{acc:.2f}",
                 f"{unk:.2f}", f"{dt:.1f}", str(m.n_iter_)))
    print(f"[best] c1={c1} c2={c2} min_freq={mf} PTB test {acc:.2f} unknown {unk:.2f}", flush=True)
    crfsuite_same_templates(args, rows, (Xtr, ytr), (Xte, yte), c2, mf)
    defaults = CRFTagger().get_params()
    same = (defaults["features"] is None and defaults["max_iter"] == args.max_iter
            and (defaults["c1"], defaults["c2"], defaults["min_freq"]) == (c1, c2, mf))
    print(f"[defaults] CRFTagger() {'is' if same else 'is NOT'} the configuration chosen on dev", flush=True)
    rows.append(("CRFTagger() defaults " + ("= the dev choice above" if same else "differ from the dev choice"),
                 "", "", "", ""))
    if not args.quick:  # crf as `seqtag compare --preset quick` trains it
        t = time.perf_counter()
        m = make_model("crf", preset="quick").fit(Xtr, ytr)
        dt = time.perf_counter() - t
        acc, unk = _tag_scores(Xtr, Xte, yte, m.predict(Xte))
        rows.append((f"PTB test, `crf` in the quick preset ({m.get_params()['max_iter']} it.)", f"{acc:.2f}",
                     f"{unk:.2f}", f"{dt:.1f}", str(m.n_iter_)))
        print(f"[quick preset] PTB test {acc:.2f} unknown {unk:.2f} {dt:.1f}s", flush=True)
    return c1, c2, mf


def crfsuite_same_templates(args, rows, train, test, c2, mf):
    """CRFsuite on the attribute strings of the chosen configuration (min_freq applied), same iterations."""
    import sklearn_crfsuite

    (Xtr, ytr), (Xte, yte) = train, test
    ex = FeatureExtractor(RICH_FEATURES)
    ex.fit_transform(Xtr, mf)
    kept = set(ex.attributes_)
    dicts_tr = [[{a: v for a, v in tok.items() if a in kept} for tok in s] for s in ex.to_dicts(Xtr)]
    dicts_te = ex.to_dicts(Xte)  # attributes CRFsuite never saw in training are ignored, as in seqtag
    t = time.perf_counter()
    model = sklearn_crfsuite.CRF(algorithm="lbfgs", c1=0.0, c2=c2, max_iterations=args.max_iter, delta=0.0,
                                 epsilon=0.0)
    model.fit(dicts_tr, ytr)
    dt = time.perf_counter() - t
    acc, unk = _tag_scores(Xtr, Xte, yte, model.predict(dicts_te))
    n_it = str(model.training_log_.last_iteration["num"]) if model.training_log_ else "?"
    rows.append((f"PTB test, CRFsuite on the same attributes, c2={c2}, min_freq={mf}", f"{acc:.2f}", f"{unk:.2f}",
                 f"{dt:.1f}", n_it))
    print(f"[crfsuite, same templates] PTB test {acc:.2f} unknown {unk:.2f} {dt:.1f}s", flush=True)


def ewt(args, rows, c1, c2, mf):
    tr, te = load_corpus("ud-ewt", split="train", tagset="xpos"), load_corpus("ud-ewt", split="test", tagset="xpos")
    Xtr, ytr = tr.X, tr.y
    if args.quick:
        Xtr, ytr = Xtr[:1000], ytr[:1000]
    t = time.perf_counter()
    m = CRFTagger(features=RICH_FEATURES, c1=c1, c2=c2, min_freq=mf, max_iter=args.max_iter).fit(Xtr, ytr)
    dt = time.perf_counter() - t
    acc, unk = _tag_scores(Xtr, te.X, te.y, m.predict(te.X))
    rows.append((f"UD EWT XPOS test, rich templates, c1={c1}, c2={c2}, min_freq={mf}", f"{acc:.2f}", f"{unk:.2f}", f"{dt:.1f}",
                 str(m.n_iter_)))
    print(f"[ewt] {acc:.2f} unknown {unk:.2f} {dt:.1f}s", flush=True)


_SEP = "\x1f"  # token = word + _SEP + POS: the CRF sees the POS through feature_fn


def chunk_features(tokens, i):
    """CRFsuite's CoNLL-2000 example features: words and POS in a +-2 window, bigrams, trigrams."""
    def at(j):
        if j < 0:
            return "<s>", "<s>"
        if j >= len(tokens):
            return "</s>", "</s>"
        w, p = tokens[j].split(_SEP)
        return w, p

    w = {o: at(i + o)[0] for o in range(-2, 3)}
    p = {o: at(i + o)[1] for o in range(-2, 3)}
    feats = ["bias"]
    feats += [f"w[{o}]={w[o]}" for o in range(-2, 3)]
    feats += [f"w[-1]|w[0]={w[-1]}|{w[0]}", f"w[0]|w[1]={w[0]}|{w[1]}"]
    feats += [f"pos[{o}]={p[o]}" for o in range(-2, 3)]
    feats += [f"pos[{o}]|pos[{o + 1}]={p[o]}|{p[o + 1]}" for o in range(-2, 2)]
    feats += [f"pos[{o}]|pos[{o + 1}]|pos[{o + 2}]={p[o]}|{p[o + 1]}|{p[o + 2]}" for o in range(-2, 1)]
    return feats


def conll2000(args, rows):
    def load(split):
        c = load_corpus("conll2000", split=split, task="chunk")
        return [[w + _SEP + q for w, q in zip(s, ps)] for s, ps in zip(c.X, c.columns["pos"])], c.y

    Xtr, ytr = load("train")
    Xdv, ydv = load("dev")
    Xtr, ytr = Xtr + Xdv, ytr + ydv  # the official training file
    Xte, yte = load("test")
    if args.quick:
        Xtr, ytr = Xtr[:1000], ytr[:1000]
    t = time.perf_counter()
    m = CRFTagger(features=[], feature_fn=chunk_features, c1=0.0, c2=1.0, min_freq=1,
                  max_iter=args.max_iter).fit(Xtr, ytr)
    dt = time.perf_counter() - t
    f1 = 100 * span_f1(yte, m.predict(Xte))["f1"]
    rows.append(("CoNLL-2000 chunk test F1 (words+POS window, c2=1)", f"F1 {f1:.2f}", "", f"{dt:.1f}", str(m.n_iter_)))
    print(f"[conll2000] F1 {f1:.2f} {dt:.1f}s", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small smoke run")
    ap.add_argument("--max-iter", type=int, default=None, help="L-BFGS iterations (default 150, quick 15)")
    ap.add_argument("--only", default="same,best,ewt,conll", help="comma list of: same, best, templates, ewt, conll")
    ap.add_argument("--repeat", type=int, default=1, help="2: time CRFsuite, seqtag, seqtag, CRFsuite")
    ap.add_argument("--c1", type=float, default=None, help="skip dev tuning: use this c1 (with --c2)")
    ap.add_argument("--c2", type=float, default=None)
    ap.add_argument("--min-freq", type=int, default=2, help="with --c1/--c2")
    ap.add_argument("--grid", type=_grid, default=GRID, help="dev grid, e.g. 0:0.1:2,0:0.2:2 (c1:c2:min_freq)")
    args = ap.parse_args()
    if args.max_iter is None:
        args.max_iter = 15 if args.quick else 150
    parts = set(args.only.split(","))
    rows: list[tuple[str, ...]] = []
    c1, c2 = (args.c1, args.c2) if args.c1 is not None and args.c2 is not None else (0.0, 1.0)
    mf = args.min_freq
    if "same" in parts:
        same_features(args, rows)
    if "best" in parts and args.c1 is None:
        c1, c2, mf = best_config(args, rows)
    if "templates" in parts:
        template_trials(args, rows)
    if "ewt" in parts:
        ewt(args, rows, c1, c2, mf)
    if "conll" in parts:
        conll2000(args, rows)
    print("\n| setting | accuracy % | unknown-word acc. % | train time s | iterations |")
    print("|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main()
