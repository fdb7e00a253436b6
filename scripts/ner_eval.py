"""Entity-level precision/recall of the enrich stage against tests/data/ner_gold.json, and NER throughput.

    python scripts/ner_eval.py                 # P/R on the gold sample (24 corpus articles)
    python scripts/ner_eval.py --errors        # ... and list every miss and every extra
    python scripts/ner_eval.py --bench 200     # throughput on 200 corpus articles, one core

Evaluation. The gold file holds article ids and, per article, the entities (name, label) whose first
mention lies in the title or the first `span_chars` characters of the text, annotated by reading that span
(conventions in the file). The script rebuilds each article from the corpus (title + text split into blocks
at runs of 3+ spaces, the corpus's only paragraph marks), enriches the whole sample as one batch, and keeps
the predicted entities whose first_position falls in the span. A gold entity is found when a predicted
entity has the same label and the gold name as its name or one of its aliases (case, dots, accents, a
leading "the" and a demonym's plural "s" do not matter); each prediction finds at most one gold entity.
"strict" asks the predicted *name* to be the gold name; "untyped" ignores labels. The "raw model" row is
the spaCy spans of the kept labels as the model gives them (exact text, no normalisation), for comparison.

Throughput. One BLAS/OpenMP thread (optionally pinned to one CPU), a warm-up, then the best of two runs in
process CPU time (so other load on a shared machine does not count; all of it is single-threaded, so CPU
seconds are seconds of one core) of: the full default pipeline on whole texts, the NER-only pipeline
(load_nlp) on whole texts and on paragraphs, and enrich() end to end (NER on title and paragraphs,
normalisation, language, tags), all with batched nlp.pipe.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# One thread: set before numpy/thinc are imported (by spacy below).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import spacy  # noqa: E402

from wiredesk.connectors.corpus import NewsArticle, load_news_articles  # noqa: E402
from wiredesk.pipeline.enrich import MODEL, enrich, load_nlp  # noqa: E402
from wiredesk.pipeline.entities import KEPT_LABELS, clean_surface, fold  # noqa: E402
from wiredesk.pipeline.models import Block, CleanedArticle, DedupedArticle, DedupInfo, Entity, utcnow  # noqa: E402

GOLD = ROOT / "tests" / "data" / "ner_gold.json"
PARAGRAPH_BREAK = re.compile(r"\s{3,}")


# ---------------------------------------------------------------------------------------------- articles


@dataclass(frozen=True)
class Prepared:
    item: DedupedArticle
    body_cut: int  # body offset of text[span]: entities first mentioned before it are in the span


def prepare(article: NewsArticle, span: int | None = None) -> Prepared:
    """The corpus article as the clean stage would hand it on, and where `text[:span]` ends in its body."""
    text = article.text
    blocks: list[Block] = []
    body_pos = 0
    body_cut = -1
    raw_pos = 0
    pieces = [*PARAGRAPH_BREAK.finditer(text), None]
    for match in pieces:
        end = match.start() if match else len(text)
        chunk = text[raw_pos:end]
        lead_ws = len(chunk) - len(chunk.lstrip())
        paragraph = chunk.strip()
        if paragraph:
            if span is not None and body_cut < 0 and raw_pos + len(chunk) >= span:
                body_cut = body_pos + max(0, span - raw_pos - lead_ws)
            blocks.append(Block(text=paragraph))
            body_pos += len(paragraph) + 2
        raw_pos = match.end() if match else len(text)
    cleaned = CleanedArticle(
        article_id=article.article_id,
        origin=article.url,
        source=article.source,
        url=article.url,
        received_at=utcnow(),
        title=article.title,
        blocks=tuple(blocks),
    )
    info = DedupInfo(story_id=article.article_id, is_canonical=True, fingerprint=article.article_id)
    return Prepared(DedupedArticle(article=cleaned, dedup=info), body_cut if body_cut >= 0 else body_pos)


# ---------------------------------------------------------------------------------------------- scoring


def key(name: str, label: str) -> str:
    k = fold(clean_surface(name))
    if label == "NORP" and len(k) > 4 and k.endswith("s") and not k.endswith("ss"):
        k = k[:-1]
    return k


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def row(self, name: str) -> str:
        return (
            f"{name:<26} P {self.precision:6.1%}  R {self.recall:6.1%}  F1 {self.f1:6.1%}"
            f"   (tp {self.tp}, fp {self.fp}, fn {self.fn})"
        )


@dataclass(frozen=True)
class Pred:
    name: str
    label: str
    forms: tuple[str, ...]  # the name and its aliases


def match(
    gold: Sequence[tuple[str, str]], preds: Sequence[Pred], *, strict: bool = False, typed: bool = True
) -> tuple[list[tuple[str, str]], list[Pred], list[tuple[str, str]]]:
    """(found gold, unmatched predictions, missed gold) for one article."""
    free = list(preds)
    found: list[tuple[str, str]] = []
    missed: list[tuple[str, str]] = []
    for name, label in gold:
        want = key(name, label)
        hit = next(
            (
                p
                for p in free
                if (not typed or p.label == label)
                and want in {key(f, label) for f in (p.forms[:1] if strict else p.forms)}
            ),
            None,
        )
        if hit is None:
            missed.append((name, label))
        else:
            found.append((name, label))
            free.remove(hit)
    return found, free, missed


def evaluate(show_errors: bool) -> None:
    gold_doc: dict[str, Any] = json.loads(GOLD.read_text(encoding="utf-8"))
    span: int = gold_doc["span_chars"]
    by_id = {a.article_id: a for a in load_news_articles()}
    golds = gold_doc["articles"]
    prepared = [prepare(by_id[g["article_id"]], span) for g in golds]
    nlp = load_nlp()
    enriched = enrich([p.item for p in prepared], nlp)

    # Raw model output for comparison: spans of the kept labels, as written, per article.
    raw_preds: list[list[Pred]] = []
    for p in prepared:
        a = p.item.article
        texts = [a.title, *a.paragraphs]
        offsets = [0]
        for block in a.blocks:
            offsets.append(offsets[-1] + len(block.text) + 2)
        seen: dict[tuple[str, str], Pred] = {}
        for i, doc in enumerate(nlp.pipe(texts)):
            for ent in doc.ents:
                start = 0 if i == 0 else offsets[i - 1] + ent.start_char
                if ent.label_ in KEPT_LABELS and start < p.body_cut:
                    seen.setdefault((ent.text, ent.label_), Pred(ent.text, ent.label_, (ent.text,)))
        raw_preds.append(list(seen.values()))

    modes: dict[str, Score] = {m: Score() for m in ("alias-aware", "strict name", "untyped", "raw model")}
    per_label: dict[str, Score] = {}
    errors: list[str] = []
    for g, p, e, raw in zip(golds, prepared, enriched, raw_preds, strict=True):
        gold = [(n, lab) for n, lab in g["entities"]]
        preds = [Pred(x.name, x.label, (x.name, *x.aliases)) for x in e.entities if x.first_position < p.body_cut]
        for mode, kwargs in (("alias-aware", {}), ("strict name", {"strict": True}), ("untyped", {"typed": False})):
            found, extra, missed = match(gold, preds, **kwargs)
            modes[mode].tp += len(found)
            modes[mode].fp += len(extra)
            modes[mode].fn += len(missed)
            if mode == "alias-aware":
                for label in {lab for _, lab in gold} | {x.label for x in preds}:
                    s = per_label.setdefault(label, Score())
                    s.tp += sum(lab == label for _, lab in found)
                    s.fp += sum(x.label == label for x in extra)
                    s.fn += sum(lab == label for _, lab in missed)
                if missed or extra:
                    errors.append(f"[{g['article_id']}] {g['title'][:70]}")
                    errors += [f"    missed {lab:<6} {n}" for n, lab in missed]
                    errors += [f"    extra  {x.label:<6} {x.name}  {list(x.forms[1:]) or ''}" for x in extra]
        found, extra, missed = match(gold, raw, strict=True)
        modes["raw model"].tp += len(found)
        modes["raw model"].fp += len(extra)
        modes["raw model"].fn += len(missed)

    n_gold = sum(len(g["entities"]) for g in golds)
    print(f"{len(golds)} articles, {n_gold} gold entities, span: title + first {span} characters\n")
    for mode, s in modes.items():
        print(s.row(mode))
    print("\nper label (alias-aware):")
    for label in sorted(per_label, key=lambda lab: -(per_label[lab].tp + per_label[lab].fn)):
        print(per_label[label].row(f"  {label}"))
    if show_errors:
        print("\nerrors (alias-aware):")
        print("\n".join(errors))


# ---------------------------------------------------------------------------------------------- throughput


def pin_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned (no sched_setaffinity)"


def timed(label: str, n_articles: int, n_words: int, fn: Callable[[], object], repeat: int = 2) -> float:
    """Best CPU seconds of `repeat` runs (process time: other load on the machine does not count against it;
    everything here is single-threaded, so CPU seconds are seconds of one core). Wall time for reference."""
    best_cpu = best_wall = float("inf")
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        fn()
        best_cpu = min(best_cpu, time.process_time() - c0)
        best_wall = min(best_wall, time.perf_counter() - w0)
    print(
        f"{label:<52} {n_articles / best_cpu:7.1f} articles/s  {1000 * best_cpu / n_articles:6.1f} ms/article"
        f"  {n_words / best_cpu / 1000:6.1f} k words/s   (wall {n_articles / best_wall:5.1f} articles/s)"
    )
    return best_cpu


def bench(n: int, pin: bool) -> None:
    where = pin_one_core() if pin else "not pinned, 1 BLAS/OpenMP thread"
    pool = [a for a in load_news_articles() if len(a.text) >= 200]
    sample = random.Random(7).sample(pool, n)
    prepared = [prepare(a) for a in sample]
    items = [p.item for p in prepared]
    texts = [f"{a.title}\n\n{a.text}" for a in sample]
    paragraphs = [t for p in prepared for t in (p.item.article.title, *p.item.article.paragraphs) if t]
    words = sum(len(t.split()) for t in texts)
    chars = sum(len(t) for t in texts)
    print(
        f"{n} corpus articles, {words} words, {chars / n:.0f} chars/article, {len(paragraphs)} paragraph texts; "
        f"{where}; spaCy {spacy.about.__version__}, {MODEL}; best of 2 runs after a warm-up, in CPU time\n"
    )
    t0 = time.perf_counter()
    full = spacy.load(MODEL)
    load_full = time.perf_counter() - t0
    t0 = time.perf_counter()
    ner = load_nlp()
    load_ner = time.perf_counter() - t0
    print(f"load: full pipeline {load_full:.2f} s {full.pipe_names}; NER only {load_ner:.2f} s {ner.pipe_names}\n")
    for nlp in (full, ner):  # warm-up
        list(nlp.pipe(texts[:10]))

    def run(nlp: Any, docs: list[str]) -> Callable[[], object]:
        return lambda: sum(len(d.ents) for d in nlp.pipe(docs))

    full_t = timed("full default pipeline, whole texts (nlp.pipe)", n, words, run(full, texts))
    timed("NER only (load_nlp), whole texts (nlp.pipe)", n, words, run(ner, texts))
    timed("NER only (load_nlp), title + paragraphs (nlp.pipe)", n, words, run(ner, paragraphs))
    enrich_t = timed("enrich(): NER + normalise + language + tags", n, words, lambda: enrich(items, ner))
    print(f"\nenrich() is {full_t / enrich_t:.1f}x the full pipeline's throughput")
    entities: list[Entity] = [e for out in enrich(items, ner) for e in out.entities]
    labels = Counter(e.label for e in entities)
    print(f"entities per article: {len(entities) / n:.1f}  {dict(labels.most_common())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--errors", action="store_true", help="list every missed and every extra entity")
    parser.add_argument("--bench", type=int, metavar="N", help="measure throughput on N corpus articles instead")
    parser.add_argument("--pin", action="store_true", help="with --bench: pin the process to one CPU")
    args = parser.parse_args()
    if args.bench:
        bench(args.bench, args.pin)
    else:
        evaluate(args.errors)


if __name__ == "__main__":
    main()
