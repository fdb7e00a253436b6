"""The classic baseline for online story clustering, on the same labels as the dedup stage: single-pass TF-IDF.

    .venv/bin/python scripts/tfidf_baseline.py [--compare] [--out bench/results/tfidf_baseline.json]

Each article, in publication order, is a TF-IDF vector (sublinear term frequency, document frequencies of the
articles seen so far: an online system knows no others) of its headline and text. It joins the cluster whose
centroid is closest by cosine if that cosine reaches the threshold, else it starts a cluster; only clusters with an
article in the last 72 hours are candidates (the dedup stage's window). The threshold is the one with the best
pairwise F1 on the stage's training labels (tests/data/story_labels.json and story_labels2.json) and is reported on
the held-out pairs (tests/data/story_heldout.json), as the stage is. Pairs are scored as the dedup evaluation
scores them: a "same" pair is a positive, any other labelled pair (related, different) a hard negative.
`--compare` also runs the dedup stage on the same stream (scripts/dedup_eval.eval_labelled, ~3 min for the
sentence vectors) and reports the ratio of the two F1s on the held-out pairs.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from wiredesk.connectors.corpus import NewsArticle, load_news_articles  # noqa: E402
from wiredesk.pipeline import similarity as sim  # noqa: E402

LABELS = ROOT / "tests" / "data" / "story_labels.json"
LABELS2 = ROOT / "tests" / "data" / "story_labels2.json"
HELDOUT = ROOT / "tests" / "data" / "story_heldout.json"
WINDOW_H = 72.0  # DedupConfig.window_hours: the same candidates in time as the stage has
# Thresholds tried on the training labels: the useful range of TF-IDF cosines between two news articles (unrelated
# articles of one day score ~0.05-0.15, copies ~0.9+), in steps fine enough not to miss the best.
GRID = [round(0.10 + 0.025 * i, 3) for i in range(29)]


def tokens(a: NewsArticle) -> list[str]:
    return [w for w in sim.words(f"{a.title}\n{a.text}") if len(w) > 2 and not w.isdigit()]


def hours(a: NewsArticle) -> float:
    y, m, d = (int(x) for x in a.published.split()[0].split("/"))
    return time.mktime((y, m, d, 12, 0, 0, 0, 0, 0)) / 3600  # the corpus gives days only: noon for everyone


Vector = tuple[np.ndarray, np.ndarray]  # term ids, weights (unit length)


def vectors(arts: list[NewsArticle]) -> tuple[list[Vector], int]:
    """Unit TF-IDF vectors, each with the document frequencies of the articles before it (and itself); the
    vocabulary size."""
    vocab: dict[str, int] = {}
    df: Counter[str] = Counter()
    out = []
    for n, a in enumerate(arts):
        tf = Counter(tokens(a))
        df.update(tf.keys())
        ids = np.array([vocab.setdefault(t, len(vocab)) for t in tf], dtype=np.int64)
        vals = np.array([(1.0 + math.log(c)) * (math.log((n + 2) / (df[t] + 1)) + 1.0) for t, c in tf.items()])
        out.append((ids, vals / (np.linalg.norm(vals) or 1.0)))
    return out, len(vocab)


def cluster(arts: list[NewsArticle], vecs: list[Vector], vocab_size: int, threshold: float) -> dict[str, int]:
    """Article id -> cluster number, single pass in the order given. Centroids (sums of the members' unit
    vectors) of the clusters still in the window live in the rows of one matrix; a row whose cluster left the
    window is reused."""
    rows = 64
    centroids = np.zeros((rows, vocab_size), dtype=np.float32)
    norm2 = np.zeros(rows)
    last_h = np.full(rows, -np.inf)
    cluster_in_row = np.full(rows, -1)
    out: dict[str, int] = {}
    clusters = 0
    for a, (ids, vals) in zip(arts, vecs, strict=True):
        now = hours(a)
        live = (last_h >= now - WINDOW_H) & (norm2 > 0)
        dots = centroids[:, ids] @ vals
        cos = np.where(live, dots / np.sqrt(np.maximum(norm2, 1e-12)), -1.0)
        row = int(np.argmax(cos))
        if cos[row] < threshold:
            free = np.flatnonzero(~live)
            if free.size == 0:
                centroids = np.vstack([centroids, np.zeros_like(centroids)])
                norm2 = np.concatenate([norm2, np.zeros(rows)])
                last_h = np.concatenate([last_h, np.full(rows, -np.inf)])
                cluster_in_row = np.concatenate([cluster_in_row, np.full(rows, -1)])
                free, rows = np.arange(rows, 2 * rows), 2 * rows
            row = int(free[0])
            centroids[row] = 0.0
            norm2[row], dot = 0.0, 0.0
            cluster_in_row[row], clusters = clusters, clusters + 1
        else:
            dot = float(dots[row])
        centroids[row, ids] += vals
        norm2[row] += 2 * dot + 1.0  # |c + v|^2 = |c|^2 + 2 c.v + |v|^2, v a unit vector
        last_h[row] = max(last_h[row], now)
        out[a.article_id] = int(cluster_in_row[row])
    return out


def score(assign: dict[str, int], pairs: list[dict[str, str]]) -> dict[str, float | int]:
    pos = [p for p in pairs if p["label"] == "same"]
    neg = [p for p in pairs if p["label"] != "same"]
    tp = sum(assign[p["a"]] == assign[p["b"]] for p in pos)
    fp = sum(assign[p["a"]] == assign[p["b"]] for p in neg)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / len(pos) if pos else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4), "merged_negatives": fp}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--compare", action="store_true", help="also run the dedup stage on the same labels")
    parser.add_argument("--out", type=Path, default=None, help="write the result as JSON here")
    args = parser.parse_args()
    corpus = load_news_articles()
    arts = sorted(corpus, key=lambda a: (hours(a), int(a.article_id)))
    train = [p for path in (LABELS, LABELS2) for p in json.loads(path.read_text(encoding="utf-8"))["pairs"]]
    held = json.loads(HELDOUT.read_text(encoding="utf-8"))["pairs"]
    vecs, vocab_size = vectors(arts)
    started = time.perf_counter()
    runs = {t: cluster(arts, vecs, vocab_size, t) for t in GRID}
    seconds = (time.perf_counter() - started) / len(GRID)
    best = max(GRID, key=lambda t: (score(runs[t], train)["f1"], -t))
    result: dict[str, object] = {
        "articles": len(arts),
        "threshold_chosen_on_training_labels": best,
        "training_labels": score(runs[best], train),
        "heldout": score(runs[best], held),
        "seconds_per_pass": round(seconds, 2),
        "curve_heldout": {t: score(runs[t], held) for t in GRID[::4]},
    }
    if args.compare:
        from dedup_eval import eval_labelled

        from wiredesk.pipeline.dedup import DedupConfig

        stage, _ = eval_labelled(corpus, DedupConfig(), HELDOUT)
        result["dedup_stage_heldout"] = stage["all"]["all_levels"]  # type: ignore[index]
        stage_f1 = result["dedup_stage_heldout"]["f1"]  # type: ignore[index]
        result["f1_ratio_stage_over_baseline_heldout"] = round(stage_f1 / max(result["heldout"]["f1"], 1e-9), 3)  # type: ignore[index]
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
