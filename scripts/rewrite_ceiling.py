"""How far can the rewrite decision go on the evidence the stage computes? A learned model's ceiling.

    .venv/bin/python scripts/rewrite_ceiling.py [--out tests/data/rewrite_ceiling.json]

Issue 4 asks for rewrite-level F1 >= 0.9 with no hard negative merged on the blind labels
(tests/data/story_labels.json). The stage's hand rule reaches F1 0.76 on the test half. This script asks whether
any decision over the stage's own pair evidence could do much better, or whether the evidence itself is the limit.

Features are taken the way the stage sees them: the corpus is streamed in scripts/dedup_eval.py's order through
a Deduplicator, and when the later article of a labelled pair arrives, it is compared with the earlier article's
window entry under the window's state at that moment (idf weights, background quotes). Pairs the stage never
compares (not among its candidates, or evicted) get the features all the same, so the model is not limited by
candidate generation. The features: sentence-vector cosine, idf-weighted head / headline / name Jaccard, lead
Jaccard, shared non-background quotes, next-day, same outlet, explainer headline, and cosine x next-day.

Model: L2 logistic regression, 5-fold cross-validation grouped by story (the connected components of "same"
pairs, so one story's pairs are never on both sides), over 3 fold seeds. Reported per seed, on the pooled
out-of-fold scores: the best pairwise F1 at any threshold, and the recall reachable with at most B merged hard
negatives (of the 343). Thresholds are picked on the held-out scores themselves, so these figures flatter the
model: they are a ceiling, not an estimate. The hand rule's own pairwise decisions (a direct link between the
two articles) are given on the same pairs for comparison; its story-level figures are in dedup_eval.py.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from dedup_eval import CACHE, LABELS, Tracker, cleaned, day_of, stream  # noqa: E402
from rewrite_features import folds, frontier, groups_of, oof_scores, prf  # noqa: E402

from wiredesk.connectors.corpus import load_news_articles  # noqa: E402
from wiredesk.pipeline.dedup import Deduplicator, _Entry, _Features, _jaccard, _Link  # noqa: E402

FEATURES = ["cos", "head", "title", "names", "lead", "quotes", "late", "same_source", "explainer", "cos_late"]
BUDGETS = (0, 6, 12, 20, 40)
SEEDS = (0, 1, 2)


class Recorder(Deduplicator):
    """The stage, unchanged, plus the evidence of every labelled pair when its later article arrives."""

    def __init__(self, partners: dict[str, set[str]]) -> None:
        super().__init__({})
        self.partners = partners
        self.rows: dict[tuple[str, str], dict[str, float]] = {}
        self.linked: set[tuple[str, str]] = set()
        self._current = ""

    def _links(self, f: _Features, t: float) -> tuple[list[_Link], list[_Entry]]:
        links, candidates = super()._links(f, t)
        self.linked |= {(self._current, lk.target) for lk in links}
        background = self._background_quotes(f)
        for other in self.partners.get(self._current, ()):
            e = self._entries.get(other)
            if e is not None and e.sig is not None:
                self.rows[(self._current, other)] = self._evidence(f, t, e, background)
        return links, candidates

    def _evidence(self, f: _Features, t: float, e: _Entry, background: set[int]) -> dict[str, float]:
        late = float(abs(t - e.key[1]) / 3600 > self.config.rewrite_gap_hours)
        cos = self._cosine(f, e)
        assert cos is not None  # every record of this fresh stream has its vector
        return {
            "cos": cos,
            "head": self._weighted_jaccard(f.head, e.head, self._head_df),
            "title": self._weighted_jaccard(f.title, e.title, self._head_df),
            "names": self._weighted_jaccard(f.names, e.names, self._name_df),
            "lead": _jaccard(f.lead, e.lead),
            "quotes": float(min(len(self._shared_quotes(f, e, background)), 3)),
            "late": late,
            "same_source": float(bool(f.source) and f.source == e.source),
            "explainer": float(f.explainer or e.explainer),
            "cos_late": cos * late,
        }

    def process(self, article: Any) -> Any:
        self._current = article.article_id
        return super().process(article)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "tests" / "data" / "rewrite_ceiling.json")
    args = ap.parse_args()
    corpus = load_news_articles(CACHE)
    pairs = json.loads(LABELS.read_text(encoding="utf-8"))["pairs"]
    partners: dict[str, set[str]] = defaultdict(set)
    for p in pairs:
        partners[p["a"]].add(p["b"])
        partners[p["b"]].add(p["a"])
    d, tr = Recorder(partners), Tracker()
    arts = sorted(corpus, key=lambda a: (day_of(a), int(a.article_id)))
    print(f"streaming {len(arts)} articles ...", file=sys.stderr)
    stream(d, tr, (cleaned(a.article_id, a.title, a.text, day_of(a), a.source) for a in arts))

    rows, y, linked = [], [], []
    for p in pairs:
        row = d.rows.get((p["a"], p["b"])) or d.rows.get((p["b"], p["a"]))
        if row is None:  # the earlier article was evicted before the later one arrived: no stage could join them
            row = dict.fromkeys(FEATURES, 0.0)
        rows.append([row[k] for k in FEATURES])
        y.append(int(p["label"] == "same"))
        linked.append(int((p["a"], p["b"]) in d.linked or (p["b"], p["a"]) in d.linked))
    X, Y = np.array(rows), np.array(y)
    groups = groups_of([{"pair": p} for p in pairs])
    out: dict[str, Any] = {
        "what": __doc__.split("\n\n")[0],
        "pairs": len(pairs),
        "same": int(Y.sum()),
        "hard_negatives": int(len(Y) - Y.sum()),
        "features": FEATURES,
        "hand_rule_direct_links": prf(Y, np.array(linked)),
        "seeds": {},
    }
    for seed in SEEDS:
        scores = oof_scores(X, Y, folds(groups, 5, seed), list(range(len(FEATURES))), 1.0)
        best = max((prf(Y, (scores >= t).astype(int)) for t in np.unique(scores)), key=lambda m: m["F1"])
        out["seeds"][str(seed)] = {"best_f1": best, "recall_at_merged_negatives": frontier(scores, Y, BUDGETS)}
        print(seed, "best", best, file=sys.stderr)
    args.out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
