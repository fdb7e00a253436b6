"""How much of everything the bench measures: the full plan and the --quick one."""

from __future__ import annotations

from dataclasses import dataclass

# A small nlp.pipe batch to compare spaCy's default (256 texts) against, for NER's peak memory.
NER_PIPE_BATCH = 16


@dataclass(frozen=True)
class Plan:
    """How much of everything. The full plan fits ~15 minutes on an idle 2-core machine (NER dominates)."""

    clean_articles: int | None = None  # None: the whole corpus
    # Dedup encodes every article's headline + first sentence (~30 ms on one core): 10k keep this phase ~5 min.
    scaled_total: int = 10_000
    windows: tuple[int, ...] = (10_000, 100_000)
    probes: int = 300
    ner_sample: int = 192
    baseline_ner_sample: int = 64
    profile_articles: int = 48
    index_docs: int = 2_000
    broker_messages: int = 10_000
    bulk_docs: int = 3_000
    e2e_articles: int = 400
    paced_rate: float = 10.0
    paced_seconds: float = 60.0
    # Drop folder -> alert: the issue asks for p50/p95 over 100 articles.
    alert_articles: int = 100
    # The feed poller: 20 feeds of 50 items, 1,000 linked pages (a busy news site's section feeds, all new at
    # once: the first poll after `wiredesk feeds add`).
    feed_count: int = 20
    feed_items: int = 50


QUICK = Plan(
    clean_articles=600,
    scaled_total=2_000,
    windows=(10_000,),
    probes=100,
    ner_sample=48,
    baseline_ner_sample=16,
    profile_articles=16,
    index_docs=500,
    broker_messages=5_000,
    bulk_docs=1_000,
    e2e_articles=100,
    paced_seconds=15.0,
    # 20 paced articles at ~1/s: a ~20 s smoke run of the same phase (percentiles only indicative).
    alert_articles=20,
    feed_count=5,
    feed_items=20,
)
