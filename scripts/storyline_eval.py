"""Calibrate and measure storylines (DedupConfig.storyline_cos / storyline_names) on the story labels.

    .venv/bin/python scripts/storyline_eval.py [--out bench/results/storyline_eval.json]

1. Pair evidence the way the stage sees it: the corpus is streamed in the order of scripts/dedup_eval.py
   (published day, then id) through a Deduplicator, and when the later article of a labelled pair arrives, its
   head-vector cosine and idf-weighted name overlap with the earlier article's stored entry are taken, with
   whether the earlier one is among its candidates (a storyline can only be joined through a candidate).
2. Thresholds: a grid over (cos, names) on the dev half's 'related' (positive) and 'different' (negative) pairs.
   The labelled negatives are look-alikes pre-filtered for relatedness, so they cannot show how often unrelated
   articles would join: names >= 0.1 (a shared distinctive name) is required, and cos is the highest value whose
   dev F1 is within 0.05 of the best at that names threshold. Same-outlet pairs get their own (cos, names), set
   against chaining (see DedupConfig): the labels prefer looser values but cannot see it; reported here with the
   cross-outlet rule fixed, and the largest storylines (in stories) below. The test half is reported only.
3. The stage itself, streamed with the chosen defaults: pairwise precision/recall of "same storyline" for
   'same' + 'related' pairs against 'different' ones, per half.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from dedup_eval import CACHE, LABELS, cleaned, day_of, prf  # noqa: E402

from wiredesk.connectors.corpus import load_news_articles  # noqa: E402
from wiredesk.pipeline.dedup import DedupConfig, Deduplicator  # noqa: E402
from wiredesk.pipeline.models import DedupInfo  # noqa: E402

COS_GRID = [round(0.15 + 0.05 * i, 2) for i in range(14)]  # 0.15 .. 0.80
NAMES_GRID = [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3]
NAMES_GUARD = 0.1  # see 2. above
F1_SLACK = 0.05


def stream(config: DedupConfig, pairs: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, DedupInfo]]:
    arts = sorted(load_news_articles(CACHE), key=lambda a: (day_of(a), int(a.article_id)))
    pos = {a.article_id: i for i, a in enumerate(arts)}
    later: dict[str, list[dict[str, Any]]] = {}
    for p in pairs:
        a, b = sorted((p["a"], p["b"]), key=lambda x: pos[x])
        later.setdefault(b, []).append({"first": a, **p})
    d = Deduplicator({}, config)
    rows: list[dict[str, Any]] = []
    info: dict[str, DedupInfo] = {}
    for art in arts:
        ca = cleaned(art.article_id, art.title, art.text, day_of(art), art.source)
        if art.article_id in later:
            d._advance(d._clock_time(ca))  # what `process` does first: the window as the article will see it
            f = d._features(ca)
            _, cands = d._links(f, ca.published_at.timestamp() if ca.published_at else 0.0)
            in_cands = {e.article_id for e in cands}
            for p in later[art.article_id]:
                e = d._entries.get(p["first"])
                if e is None or e.sig is None:
                    rows.append({"pair": p, "x": None})
                    continue
                x = {
                    "cos": d._cosine(f, e) or 0.0,
                    "names": d._weighted_jaccard(f.names, e.names, d._name_df),
                    "same_source": bool(f.source) and f.source == e.source,
                }
                rows.append({"pair": p, "x": x | {"candidate": p["first"] in in_cands}})
        result = d.process(ca)
        info[art.article_id] = result.info
        info.update(result.updates)
    return rows, info


def grid(rows: list[dict[str, Any]], part: str, cross: tuple[float, float] | None = None) -> list[dict[str, Any]]:
    """P/R/F1 of (cos, names) rules; with `cross`, the rules are for same-outlet pairs and `cross` for the rest."""
    judged = [r for r in rows if r["pair"]["split"] == part and r["pair"]["label"] in ("related", "different")]
    pos = sum(r["pair"]["label"] == "related" for r in judged)
    out = []
    for c in COS_GRID:
        for n in NAMES_GRID:

            def joins(x: dict[str, Any], c: float = c, n: float = n) -> bool:
                cos, names = (c, n) if cross is None or x["same_source"] else cross
                return bool(x["candidate"]) and x["cos"] >= cos and x["names"] >= names

            hit = [r for r in judged if r["x"] and joins(r["x"])]
            tp = sum(r["pair"]["label"] == "related" for r in hit)
            out.append({"cos": c, "names": n, **prf(tp, len(hit) - tp, pos - tp)})
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "storyline_eval.json"))
    args = ap.parse_args()
    pairs = json.loads(LABELS.read_text(encoding="utf-8"))["pairs"]
    config = DedupConfig()
    rows, info = stream(config, pairs)
    reach = Counter(
        (r["pair"]["label"], "candidate" if r["x"] and r["x"]["candidate"] else "no") for r in rows if r["x"]
    )
    dev = sorted(grid(rows, "dev"), key=lambda m: (m["f1"], m["precision"]), reverse=True)
    guarded = [m for m in dev if m["names"] == NAMES_GUARD]
    rule = max((m for m in guarded if m["f1"] >= guarded[0]["f1"] - F1_SLACK), key=lambda m: m["cos"])
    test = {(m["cos"], m["names"]): m for m in grid(rows, "test")}
    cross = (rule["cos"], rule["names"])
    same = (config.storyline_same_source_cos, config.storyline_same_source_names)
    dev_same = {(m["cos"], m["names"]): m for m in grid(rows, "dev", cross)}
    test_same = {(m["cos"], m["names"]): m for m in grid(rows, "test", cross)}
    stage: dict[str, Any] = {}
    for part in ("dev", "test", "all"):
        ps = [p for p in pairs if part == "all" or p["split"] == part]
        joined = [p for p in ps if info[p["a"]].storyline_id == info[p["b"]].storyline_id]
        tp = sum(p["label"] != "different" for p in joined)
        pos = sum(p["label"] != "different" for p in ps)
        related = [p for p in ps if p["label"] == "related"]
        stage[part] = prf(tp, len(joined) - tp, pos - tp) | {
            "related_joined": f"{sum(p in joined for p in related)}/{len(related)}"
        }
    stories_of: dict[str | None, set[str]] = {}
    for i in info.values():
        stories_of.setdefault(i.storyline_id, set()).add(i.story_id)
    result = {
        "defaults": {k: v for k, v in config.model_dump().items() if k.startswith("storyline")},
        "reach": {f"{k[0]}:{k[1]}": v for k, v in reach.items()},
        "dev_best_unguarded": dev[0],
        "dev_rule": rule,
        "test_at_rule": test[(rule["cos"], rule["names"])],
        "dev_same_source_best": max(dev_same.values(), key=lambda m: (m["f1"], m["precision"], m["cos"])),
        "dev_at_same_source_defaults": dev_same[same],
        "test_at_same_source_defaults": test_same[same],
        "stage": stage,
        "storylines_with_2plus_stories": sum(1 for s in stories_of.values() if len(s) > 1),
        "largest_storylines_stories": sorted((len(s) for s in stories_of.values()), reverse=True)[:5],
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
