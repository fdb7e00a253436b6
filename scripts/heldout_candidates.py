"""Candidate pairs for the held-out story labels (tests/data/story_heldout.json): pairs the stage was never tuned on.

    .venv/bin/python scripts/heldout_candidates.py [--n 400] [--out .wiredesk/heldout/candidates.json]

The first label set (tests/data/story_labels.json) drew its candidates from the deduplicator's own merges and a
loose word-overlap filter, so the pairs that filter misses (a development told in other words, long articles whose
names dilute, next-day reports) were never labelled, and a stage tuned on it could not see them. This set is drawn
by two similarities the stage does not use: full-text TF-IDF cosine (sublinear tf, corpus idf) and the cosine of
sentence vectors of the title and the first ~200 word pieces of the text (the stage encodes headline + first
sentence only). Pool: pairs of articles (>= 40 words each) from two different outlets, published 0-2 days apart,
not in the first label set. Strata (seed 11), so that pairs far from any threshold the stage has are read too:

* tfidf >= 0.30                                  (likely copies and close rewrites)
* tfidf 0.15-0.30
* tfidf 0.08-0.15 and body cosine >= 0.55        (other words, same development?)
* body cosine >= 0.65 and tfidf < 0.08
* 1-2 days apart and tfidf >= 0.12               (next-day and the 36 h cut)

Output: the pairs in random order, each with both articles' outlet, day, title, subtitle and first ~170 words in
random order (what the readers see), and the stratum (what they do not).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from dedup_eval import CACHE, LABELS, day_of  # noqa: E402
from tfidf_baseline import tokens  # noqa: E402

from wiredesk.connectors.corpus import NewsArticle, load_news_articles  # noqa: E402
from wiredesk.pipeline import encoder as enc  # noqa: E402

# Shares of the sample per stratum (the strata are far from equal in size: most pool pairs sit in the weakest).
STRATA = {"tfidf_hi": 0.2, "tfidf_mid": 0.25, "tfidf_lo_vec": 0.2, "vec_only": 0.15, "next_day": 0.2}


def day(a: NewsArticle) -> date:
    return day_of(a).date()


def tfidf(arts: list[NewsArticle]) -> np.ndarray:
    docs = [Counter(tokens(a)) for a in arts]
    df: Counter[str] = Counter()
    for d in docs:
        df.update(d.keys())
    n = len(docs)
    # Words in 2+ articles and at most 30% of them: the rest cannot make two articles alike.
    vocab = {w: i for i, w in enumerate(w for w, k in df.items() if 2 <= k <= 0.3 * n)}
    x = np.zeros((n, len(vocab)), dtype=np.float32)
    for r, d in enumerate(docs):
        for w, k in d.items():
            if (c := vocab.get(w)) is not None:
                x[r, c] = (1 + math.log(k)) * math.log(n / df[w])
    x /= np.linalg.norm(x, axis=1, keepdims=True) + 1e-9
    return x @ x.T


def body_vectors(arts: list[NewsArticle]) -> np.ndarray:
    model = enc.load()
    out = np.zeros((len(arts), 384), dtype=np.float32)
    for i, a in enumerate(arts):
        out[i] = model.encode(f"{a.title}. {a.text}", 200)
        if i % 500 == 0:
            print(f"  vectors {i}/{len(arts)}", file=sys.stderr)
    return out @ out.T


def excerpt(a: NewsArticle, words: int = 170) -> str:
    toks = a.text.split()
    return " ".join(toks[:words]) + (" ..." if len(toks) > words else "")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=400)
    ap.add_argument("--out", type=Path, default=ROOT / ".wiredesk" / "heldout" / "candidates.json")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--exclude", type=Path, nargs="*", default=[], help="more label files whose pairs to leave out")
    args = ap.parse_args()
    arts = [a for a in load_news_articles(CACHE) if len(a.text.split()) >= 40]
    labelled = {
        frozenset((p["a"], p["b"]))
        for path in (LABELS, *args.exclude)
        for p in json.loads(path.read_text(encoding="utf-8"))["pairs"]
    }
    sims = CACHE.parent / "heldout" / "similarities.npz"
    if sims.exists():
        t, v = (np.load(sims)[k] for k in ("tfidf", "vectors"))
    else:
        print(f"{len(arts)} articles; tf-idf ...", file=sys.stderr)
        t = tfidf(arts)
        print("sentence vectors (~9 min on one core) ...", file=sys.stderr)
        v = body_vectors(arts)
        sims.parent.mkdir(parents=True, exist_ok=True)
        np.savez(sims, tfidf=t, vectors=v)
    days = [day(a).toordinal() for a in arts]
    pools: dict[str, list[tuple[int, int]]] = {k: [] for k in STRATA}
    for i in range(len(arts)):
        for j in range(i + 1, len(arts)):
            gap = abs(days[i] - days[j])
            if gap > 2 or arts[i].source == arts[j].source:
                continue
            if frozenset((arts[i].article_id, arts[j].article_id)) in labelled:
                continue
            ti, vi = float(t[i, j]), float(v[i, j])
            if gap >= 1 and ti >= 0.12:
                pools["next_day"].append((i, j))
            elif ti >= 0.30:
                pools["tfidf_hi"].append((i, j))
            elif ti >= 0.15:
                pools["tfidf_mid"].append((i, j))
            elif ti >= 0.08 and vi >= 0.55:
                pools["tfidf_lo_vec"].append((i, j))
            elif ti < 0.08 and vi >= 0.65:
                pools["vec_only"].append((i, j))
    rng = random.Random(args.seed)
    chosen = []
    for k, share in STRATA.items():
        pool = pools[k]
        take = rng.sample(pool, min(len(pool), round(share * args.n)))
        print(f"  {k}: pool {len(pool)}, sampled {len(take)}", file=sys.stderr)
        chosen += [(k, i, j) for i, j in take]
    rng.shuffle(chosen)
    pairs = []
    for n, (k, i, j) in enumerate(chosen):
        a, b = (arts[i], arts[j]) if rng.random() < 0.5 else (arts[j], arts[i])
        pairs.append(
            {
                "pair": n + 1,
                "stratum": k,
                "tfidf": round(float(t[i, j]), 3),
                "body_cos": round(float(v[i, j]), 3),
                "a": a.article_id,
                "b": b.article_id,
                "articles": [
                    {
                        "id": x.article_id,
                        "outlet": x.source,
                        "day": day(x).isoformat(),
                        "title": x.title,
                        "subtitle": x.subtitle,
                        "text": excerpt(x),
                    }
                    for x in (a, b)
                ],
            }
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    pool_sizes = {k: len(p) for k, p in pools.items()}
    args.out.write_text(json.dumps({"pool": pool_sizes, "pairs": pairs}, indent=1, ensure_ascii=False))
    print(f"{len(pairs)} pairs -> {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
