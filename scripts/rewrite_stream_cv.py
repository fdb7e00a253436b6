"""Story-level cross-validation of a learned rewrite decision: does transitivity rescue what pairwise CV shows?

    .venv/bin/python scripts/rewrite_stream_cv.py [--budget 0] [--k 5]

For each of K folds (grouped by story as in scripts/rewrite_features.py), a logistic model over the stage's own
features (shared non-background quotes, weighted names, lead Jaccard, gap, same source) is fitted on the training
folds' pairs, its threshold chosen on the training pairs with at most `--budget` merged hard negatives; then the
whole corpus is streamed through a Deduplicator whose rewrite decision is that model and whose rewrite candidates
are the stage's own (LSH, quote index) plus every window article with lead Jaccard >= MIN_LEAD (no quote needed:
what a lead-word candidate index would find; see MIN_LEAD for the share of labelled same-story pairs above it).
Only the test fold's pairs are scored, at story level (same story_id), as in scripts/dedup_eval.py. The
chaining guard, near/exact levels and eviction are unchanged. An experiment, not the stage.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from dedup_eval import CACHE, Tracker, cleaned, day_of, stream  # noqa: E402
from rewrite_features import FEATURES, best_threshold, folds, groups_of, logreg, prf  # noqa: E402

from wiredesk.connectors.corpus import load_news_articles  # noqa: E402
from wiredesk.pipeline.dedup import Deduplicator, _Entry, _Features, _jaccard, _Link  # noqa: E402
from wiredesk.pipeline.models import DedupLevel  # noqa: E402

COLS = ["quotes", "names", "lead", "gap_h", "same_source"]
MIN_LEAD = 0.03  # 97% of the labelled same-story pairs have a lead Jaccard >= 0.03


class LearnedDedup(Deduplicator):
    """Rewrite = logistic score >= threshold over every window article (near/exact as in the stage)."""

    def __init__(self, w: np.ndarray, mu: np.ndarray, sd: np.ndarray, thr: float) -> None:
        self.w, self.mu, self.sd, self.thr = w, mu, sd, thr
        self._lead_sets: dict[str, set[int]] = {}
        super().__init__({})

    def _links(self, f: _Features, t: float) -> tuple[list[_Link], list[_Entry]]:
        same = [i for i in self._by_fp.get(f.fp, ()) if i in self._entries]
        if same:
            return super()._links(f, t)
        # The stage's candidates (LSH bands, quote index) plus every window article whose lead shares at least
        # `MIN_LEAD` content-word Jaccard (what an index on lead words would yield); no quote is required.
        staged_links, candidates = super()._links(f, t)
        staged = {lk.target for lk in staged_links}
        background = self._background_quotes(f)
        mine = set(f.lead.tolist())
        out = []
        for e in list(self._entries.values()):
            if e.sig is None:
                continue
            theirs = self._lead_sets.get(e.article_id)
            if theirs is None:
                theirs = self._lead_sets[e.article_id] = set(e.lead.tolist())
            union = len(mine | theirs)
            if e.article_id not in staged and (not union or len(mine & theirs) / union < MIN_LEAD):
                continue
            link = self._compare(f, t, e, background)
            if link is not None:
                out.append(link)
        return out, candidates

    def _compare(self, f: _Features, t: float, e: _Entry, background: set[int]) -> _Link | None:
        if e.sig is None:
            return None
        link = super()._compare(f, t, e, background)
        if link is not None and link.level is DedupLevel.NEAR:
            return link
        gap_h = abs(t - e.key[1]) / 3600
        if gap_h > self.config.rewrite_max_gap_hours:
            return None
        shared = 0
        if f.quotes and e.qgrams.size:
            shared = sum(1 for i, (_, g) in enumerate(f.quotes) if i not in background and np.isin(g, e.qgrams).any())
        names = self._weighted_jaccard(f.names, e.names, self._name_df)
        lead = _jaccard(f.lead, e.lead)
        ss = float(bool(f.source) and f.source == e.source)
        x = (np.array([shared, names, lead, gap_h, ss]) - self.mu) / self.sd
        score = float(self.w[0] + x @ self.w[1:])
        if score < self.thr:
            return None
        scores = {"learned": round(score, 3), "names": round(names, 4), "lead": round(lead, 4)}
        return _Link(e.article_id, DedupLevel.REWRITE, score, scores)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--features", default="/tmp/wiredesk_rewrite_features_rows.json")
    ap.add_argument("--budget", type=int, default=0, help="max hard negatives merged on the training pairs")
    ap.add_argument("--k", type=int, default=5)
    # tests/data/rewrite_stream_cv.json is the curated summary of the --budget 0 and 5 runs (with a spot check)
    ap.add_argument("--out", default="/tmp/rewrite_stream_cv.json")
    args = ap.parse_args()
    rows = [r for r in json.loads(Path(args.features).read_text(encoding="utf-8")) if not r.get("missing")]
    X = np.array([[float(r["x"][c]) for c in COLS] for r in rows])
    y = np.array([1 if r["pair"]["label"] == "same" else 0 for r in rows])
    assert set(COLS) <= set(FEATURES)
    fold = np.array(folds(groups_of(rows), args.k, seed=0))
    corpus = sorted(load_news_articles(CACHE), key=lambda a: (day_of(a), int(a.article_id)))
    pred = np.zeros_like(y)
    per_fold: list[dict[str, Any]] = []
    for k in range(args.k):
        tr, te = fold != k, fold == k
        mu, sd = X[tr].mean(0), X[tr].std(0) + 1e-9
        w = logreg((X[tr] - mu) / sd, y[tr], 1.0)
        thr = best_threshold(np.hstack([np.ones((tr.sum(), 1)), (X[tr] - mu) / sd]) @ w, y[tr], args.budget)
        d, tracker = LearnedDedup(w, mu, sd, thr), Tracker()
        stream(d, tracker, (cleaned(a.article_id, a.title, a.text, day_of(a), a.source) for a in corpus))
        for i in np.flatnonzero(te):
            pred[i] = int(tracker.same(rows[i]["pair"]["a"], rows[i]["pair"]["b"]))
        sizes = Counter(i.story_id for i in tracker.info.values())
        per_fold.append(
            {
                "fold": k,
                "threshold": round(thr, 3),
                "coef_standardised": dict(zip(["intercept", *COLS], np.round(w, 3).tolist(), strict=True)),
                "test": prf(y[te], pred[te]),
                "stories_with_2plus": sum(1 for s in sizes.values() if s > 1),
                "articles_in_2plus_stories": sum(s for s in sizes.values() if s > 1),
                "largest_story": max(sizes.values()),
            }
        )
        print(json.dumps(per_fold[-1]), flush=True)
    report = {"budget": args.budget, "k": args.k, "pooled_held_out": prf(y, pred), "per_fold": per_fold}
    Path(args.out).write_text(json.dumps(report, indent=1), encoding="utf-8")
    print(json.dumps(report["pooled_held_out"]))


if __name__ == "__main__":
    main()
