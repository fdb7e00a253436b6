"""Is the rewrite decision limited by its labels or by its evidence? Two measurements (issue 17).

    .venv/bin/python scripts/rewrite_limits.py [--no-sentences] [--out bench/results/rewrite_limits.json]

Issue 17 asks for rewrite-level recall >= 0.85 at precision >= 0.95 on pairs never tuned on. The fitted model
(scripts/fit_rewrite.py) reaches P 0.80 / R 0.60 pairwise on the held-out pairs. This script asks what would move
that, with the same evidence recording, cross-validation and thresholds as fit_rewrite.py:

1. Learning curve: the model refitted on 25 / 50 / 75 / 100 % of the training stories (5 draws each), scored on
   the held-out pairs. Reported: AUC, and the recall at precision 0.90 and 0.95 with the threshold chosen on the
   held-out scores themselves, i.e. the best any threshold could do there (a ceiling, not an estimate). A curve
   that is flat before 100 % says more labels of this kind will not help.
2. More evidence: each candidate input added to the model's inputs, judged by the cross-validated figures on the
   training labels only (grouped by story; the held-out pairs are reported at the threshold where the
   cross-validated precision reaches 0.95, never chosen on):
   - numbers shared (Jaccard; count), the gap in hours, overlaps with the smaller article (body, title, head, lead),
     the articles' length ratio;
   - sentence-level alignment (unless --no-sentences): the title and the first 5 sentences of each article encoded
     separately with the stage's encoder; title-title cosine, best title-sentence cosine, best sentence pair,
     and the mean best match of each article's sentences in the other (a BERTScore over sentences);
   - a learned similarity: the element-wise product of the two articles' mean sentence vectors (384 inputs) beside
     the model's inputs, strongly regularised (L2 300, the best of 1-3000 in cross-validation).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import fit_rewrite as fr  # noqa: E402
from dedup_eval import CACHE, HELDOUT  # noqa: E402
from rewrite_features import auc  # noqa: E402

from wiredesk.connectors.corpus import load_news_articles  # noqa: E402
from wiredesk.pipeline import encoder as enc  # noqa: E402
from wiredesk.pipeline import rewrite_model as rm  # noqa: E402
from wiredesk.pipeline.dedup import Deduplicator, _Entry, _Features, _jaccard, _overlap  # noqa: E402
from wiredesk.pipeline.text import split_sentences  # noqa: E402

# Title + this many sentences per article: a wire lead is 1-3 sentences; 5 covers the lead and what follows it.
SENTENCES = 5
# Sentences under 4 words are datelines and bylines, not content.
MIN_SENTENCE_WORDS = 4
# The ridge on the 384 vector inputs: chosen by the cross-validated AUC over 1, 30, 300, 3000 (300 was best; with
# less, the 677 training pairs are memorised).
VECTOR_L2 = 300.0
FRACTIONS = (0.25, 0.5, 0.75, 1.0)
# The stage's operating point (scripts/fit_rewrite.py --precision).
OPERATING_PRECISION = 0.95
DRAWS = 5


class Probing(Deduplicator):
    """The stage, offering the candidate inputs beside its own evidence."""

    def _evidence(
        self, f: _Features, e: _Entry, cos: float | None, head: float, quotes: int, gap_h: float
    ) -> dict[str, float]:
        ev = super()._evidence(f, e, cos, head, quotes, gap_h)
        both_numbers = min(f.numbers.size, e.numbers.size) > 0
        return ev | {
            "num_j": _jaccard(f.numbers, e.numbers),
            "num_shared": float(np.intersect1d(f.numbers, e.numbers).size),
            "num_min": _overlap(f.numbers, e.numbers) if both_numbers else 0.0,
            "gap": gap_h,
            "body_min": self._weighted_overlaps(f.body, e.body, self._body_df)[1],
            "title_min": self._weighted_overlaps(f.title, e.title, self._head_df)[1],
            "head_min": self._weighted_overlaps(f.head, e.head, self._head_df)[1],
            "lead_min": _overlap(f.lead, e.lead),
            "length_ratio": min(f.n_words, e.n_words) / max(f.n_words, e.n_words, 1),
        }


PROBES: dict[str, Any] = {
    "num_j": lambda ev: math.sqrt(ev["num_j"]),
    "num_shared": lambda ev: min(ev["num_shared"], 4.0),
    "num_min": lambda ev: ev["num_min"],
    "gap": lambda ev: min(ev["gap"], 48.0) / 24,
    "body_min": lambda ev: math.sqrt(ev["body_min"]),
    "title_min": lambda ev: math.sqrt(ev["title_min"]),
    "head_min": lambda ev: math.sqrt(ev["head_min"]),
    "lead_min": lambda ev: ev["lead_min"],
    "length_ratio": lambda ev: ev["length_ratio"],
}
SENTENCE_PROBES = ("title_title", "title_sentence", "sentence_max", "sentence_bertscore")


def sentence_vectors(ids: set[str]) -> dict[str, np.ndarray]:
    """Title + first SENTENCES sentences of each article, each encoded alone (rows L2-normalised)."""
    model = enc.load()
    out = {}
    for a in load_news_articles(CACHE):
        if a.article_id not in ids:
            continue
        sents: list[str] = []
        for para in a.text.split("\n"):
            sents += [s for s in split_sentences(para.strip()) if len(s.split()) >= MIN_SENTENCE_WORDS]
            if len(sents) >= SENTENCES:
                break
        out[a.article_id] = np.array([model.encode(s, 64) for s in [a.title, *sents[:SENTENCES]]], dtype=np.float32)
    return out


def sentence_evidence(va: np.ndarray, vb: np.ndarray) -> dict[str, float]:
    s = va @ vb.T
    body = s[1:, 1:] if s.shape[0] > 1 and s.shape[1] > 1 else np.zeros((1, 1))
    title_sentence = max([*s[0, 1:].tolist(), *s[1:, 0].tolist(), 0.0])
    return {
        "title_title": float(s[0, 0]),
        "title_sentence": float(title_sentence),
        "sentence_max": float(body.max()),
        "sentence_bertscore": float((body.max(1).mean() + body.max(0).mean()) / 2),
    }


def recall_at(z: np.ndarray, y: np.ndarray, precision: float) -> float:
    return fr.prf(z >= fr.threshold_for(z, y, precision), y)["R"]


def labels(rows: list[dict[str, Any]]) -> np.ndarray:
    return np.array([r["label"] == "same" for r in rows], dtype=float)


def fit(x: np.ndarray, y: np.ndarray, l2: float = fr.L2) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    mu, sd = x.mean(0), x.std(0) + 1e-9
    w, b = fr.logreg((x - mu) / sd, y, l2)
    return mu, sd, w, b


def learning_curve(train: list[dict[str, Any]], held: list[dict[str, Any]]) -> list[dict[str, float]]:
    xh, yh = fr.matrix(held, fr.FEATURES), labels(held)
    story = np.array(fr.groups(train))
    out = []
    for frac in FRACTIONS:
        runs = []
        for draw in range(DRAWS):
            stories = np.unique(story)
            np.random.default_rng(draw).shuffle(stories)
            keep = np.isin(story, stories[: max(2, round(len(stories) * frac))])
            sub = [r for r, k in zip(train, keep, strict=True) if k]
            mu, sd, w, b = fit(fr.matrix(sub, fr.FEATURES), labels(sub))
            zh = ((xh - mu) / sd) @ w + b
            runs.append((len(sub), auc(zh, yh), recall_at(zh, yh, 0.90), recall_at(zh, yh, 0.95)))
        a = np.array(runs)
        out.append(
            {
                "fraction": frac,
                "pairs": round(float(a[:, 0].mean())),
                "heldout_auc": round(float(a[:, 1].mean()), 3),
                "heldout_auc_sd": round(float(a[:, 1].std()), 3),
                "heldout_best_recall_at_p90": round(float(a[:, 2].mean()), 3),
                "heldout_best_recall_at_p95": round(float(a[:, 3].mean()), 3),
            }
        )
        print(out[-1], file=sys.stderr)
    return out


def judge(
    name: str,
    x: np.ndarray,
    xh: np.ndarray,
    train: list[dict[str, Any]],
    held: list[dict[str, Any]],
    l2: float = fr.L2,
) -> dict[str, Any]:
    """Cross-validated figures on the training labels; the held-out pairs at the CV threshold, reported only."""
    y, yh = labels(train), labels(held)
    z = fr.cross_validated_logits(x, y, fr.groups(train), l2)
    thr = fr.threshold_for(z, y, OPERATING_PRECISION)
    mu, sd, w, b = fit(x, y, l2)
    zh = ((xh - mu) / sd) @ w + b
    row = {
        "inputs": name,
        "cv_auc": round(auc(z, y), 3),
        "cv_recall_at_p90": recall_at(z, y, 0.90),
        "cv_recall_at_p95": recall_at(z, y, 0.95),
        "heldout_auc": round(auc(zh, yh), 3),
        "heldout_at_cv_threshold_p95": fr.prf(zh >= thr, yh),
    }
    print(row, file=sys.stderr)
    return row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-sentences", action="store_true", help="skip the sentence probes (~4 min of encoding)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "rewrite_limits.json")
    args = ap.parse_args()
    started = time.perf_counter()
    rm.TRANSFORMS.update(PROBES)
    training = [path for path in fr.TRAINING if path.exists()]
    pairs = [p for path in (*training, HELDOUT) for p in json.loads(path.read_text())["pairs"]]
    found = fr.evidence(pairs, stage=Probing)
    train, held = [r for path in training for r in fr.rows_of(path, found)], fr.rows_of(HELDOUT, found)
    result: dict[str, Any] = {"training_pairs": len(train), "heldout_pairs": len(held)}
    result["learning_curve"] = learning_curve(train, held)

    probes = [("model inputs", ())] + [(f"+ {p}", (p,)) for p in PROBES]
    vectors: dict[str, np.ndarray] = {}
    if not args.no_sentences:
        vectors = sentence_vectors({i for r in train + held for i in (r["a"], r["b"])})
        for r in train + held:
            r["ev"] = r["ev"] | sentence_evidence(vectors[r["a"]], vectors[r["b"]])
        for p in SENTENCE_PROBES:
            rm.TRANSFORMS[p] = lambda ev, p=p: ev[p]
        probes += [(f"+ {p}", (p,)) for p in SENTENCE_PROBES] + [("+ all four sentence inputs", SENTENCE_PROBES)]
    rows = []
    for name, extra in probes:
        features = fr.FEATURES + tuple(extra)
        rows.append(judge(name, fr.matrix(train, features), fr.matrix(held, features), train, held))
    if vectors:

        def product(rs: list[dict[str, Any]]) -> np.ndarray:
            def mean(i: str) -> np.ndarray:
                v = vectors[i].mean(0)
                return np.asarray(v / np.linalg.norm(v))

            return np.hstack([fr.matrix(rs, fr.FEATURES), np.array([mean(r["a"]) * mean(r["b"]) for r in rs])])

        name = "+ learned vector similarity (384 products)"
        rows.append(judge(name, product(train), product(held), train, held, VECTOR_L2))
    result["more_evidence"] = rows
    result["seconds"] = round(time.perf_counter() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"-> {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
