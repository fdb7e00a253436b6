"""The classic baseline for online story clustering, on the same labels as the dedup stage: single-pass TF-IDF.

    .venv/bin/python scripts/tfidf_baseline.py [--compare] [--out bench/results/tfidf_baseline.json]

Each article, in publication order, is a TF-IDF vector (sublinear term frequency, document frequencies of the
articles seen so far: an online system knows no others) of its headline and text. It joins the cluster whose
centroid is closest by cosine if that cosine reaches the threshold, else it starts a cluster; only clusters with an
article in the last 72 hours are candidates (the dedup stage's window). The threshold is the one with the best
pairwise F1 on the dev half of tests/data/story_labels.json and is reported on the test half, whose stories the dev
half does not share. Pairs are scored as the dedup evaluation scores them: a "same" pair is a positive, any other
labelled pair (related, different) a hard negative. `--compare` also runs the dedup stage on the same stream
(scripts/dedup_eval.eval_labelled, ~2 min for the sentence vectors) and reports the ratio of the two F1s.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from connectors.corpus import NewsArticle, load_news_articles  # noqa: E402
from pipeline import similarity as sim  # noqa: E402

LABELS = ROOT / "tests" / "data" / "story_labels.json"
WINDOW_H = 72.0  # DedupConfig.window_hours: the same candidates in time as the stage has
# Thresholds tried on the dev half: the useful range of TF-IDF cosines between two news articles (unrelated
# articles of one day score ~0.05-0.15, copies ~0.9+), in steps fine enough not to miss the best.
GRID = [round(0.10 + 0.02 * i, 2) for i in range(41)]


@dataclass
class Cluster:
    centroid: dict[str, float] = field(default_factory=dict)  # sum of the members' unit vectors
    norm2: float = 0.0
    last_h: float = 0.0


def tokens(a: NewsArticle) -> list[str]:
    return [w for w in sim.words(f"{a.title}\n{a.text}") if len(w) > 2 and not w.isdigit()]


def hours(a: NewsArticle) -> float:
    y, m, d = (int(x) for x in a.published.split()[0].split("/"))
    return time.mktime((y, m, d, 12, 0, 0, 0, 0, 0)) / 3600  # the corpus gives days only: noon for everyone


def cluster(arts: list[NewsArticle], threshold: float) -> dict[str, int]:
    """Article id -> cluster number, single pass in the order given."""
    df: Counter[str] = Counter()
    clusters: list[Cluster] = []
    postings: dict[str, set[int]] = defaultdict(set)  # term -> clusters whose centroid has it
    out: dict[str, int] = {}
    for n, a in enumerate(arts):
        tf = Counter(tokens(a))
        df.update(tf.keys())
        idf = {t: math.log((n + 2) / (df[t] + 1)) + 1.0 for t in tf}
        vec = {t: (1.0 + math.log(c)) * idf[t] for t, c in tf.items()}
        length = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        vec = {t: v / length for t, v in vec.items()}
        now = hours(a)
        dots: dict[int, float] = defaultdict(float)
        for t, v in vec.items():
            for c in postings.get(t, ()):
                dots[c] += v * clusters[c].centroid[t]
        best, best_cos = -1, 0.0
        for c, dot in dots.items():
            if now - clusters[c].last_h > WINDOW_H:
                continue
            cos = dot / math.sqrt(clusters[c].norm2)
            if cos > best_cos:
                best, best_cos = c, cos
        if best < 0 or best_cos < threshold:
            clusters.append(Cluster())
            best = len(clusters) - 1
        target = clusters[best]
        for t, v in vec.items():
            old = target.centroid.get(t, 0.0)
            target.centroid[t] = old + v
            target.norm2 += (old + v) ** 2 - old**2
            postings[t].add(best)
        target.last_h = max(target.last_h, now)
        out[a.article_id] = best
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
    pairs = json.loads(LABELS.read_text(encoding="utf-8"))["pairs"]
    dev = [p for p in pairs if p["split"] == "dev"]
    test = [p for p in pairs if p["split"] == "test"]
    started = time.perf_counter()
    runs = {t: cluster(arts, t) for t in GRID}
    seconds = (time.perf_counter() - started) / len(GRID)
    best = max(GRID, key=lambda t: (score(runs[t], dev)["f1"], -t))
    result: dict[str, object] = {
        "articles": len(arts),
        "threshold_chosen_on_dev": best,
        "dev": score(runs[best], dev),
        "test": score(runs[best], test),
        "all": score(runs[best], pairs),
        "seconds_per_pass": round(seconds, 2),
        "curve_test": {t: score(runs[t], test) for t in GRID[::5]},
    }
    if args.compare:
        from dedup_eval import eval_labelled

        from pipeline.dedup import DedupConfig

        stage, _ = eval_labelled(corpus, DedupConfig())
        result["dedup_stage"] = {part: stage[part]["all_levels"] for part in ("dev", "test", "all")}  # type: ignore[index]
        stage_f1 = result["dedup_stage"]["test"]["f1"]  # type: ignore[index]
        result["f1_ratio_stage_over_baseline_test"] = round(stage_f1 / max(result["test"]["f1"], 1e-9), 3)  # type: ignore[index]
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
