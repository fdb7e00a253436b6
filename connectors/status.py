"""`wiredesk status`: are the servers up, how much is in each topic, what became of every article."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from wiredesk.connectors import servers
from wiredesk.connectors.elastic import sync_client
from wiredesk.connectors.liveness import read_beats
from wiredesk.connectors.security import kafka_kwargs
from wiredesk.pipeline.models import utcnow
from wiredesk.pipeline.settings import Settings, redact_url

# The exit status of `wiredesk status` when a server does not answer: EX_UNAVAILABLE (sysexits.h, "a service is
# unavailable"), distinct from 1 (an error of the command itself) and 2 (wrong usage), so a script or a health
# check can tell "the pipeline's servers are down" from "the command failed".
EXIT_SERVER_DOWN = 69


def topic_sizes(settings: Settings) -> dict[str, int]:
    """Messages ever written per topic (end offsets; the local server keeps everything)."""
    consumer = KafkaConsumer(**kafka_kwargs(settings), request_timeout_ms=5000)
    try:
        sizes = {}
        for topic in settings.all_topics:
            tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
            sizes[topic] = sum(consumer.end_offsets(tps).values()) if tps else 0
        return sizes
    finally:
        consumer.close()


def pipeline_lag(settings: Settings) -> int:
    """Messages written to the pipeline's input topics that the workers have not committed yet."""
    consumer = KafkaConsumer(**kafka_kwargs(settings), group_id=settings.app_id, enable_auto_commit=False)
    try:
        lag = 0
        for topic in (settings.topic_raw, settings.topic_cleaned, settings.topic_deduped):
            tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
            for tp, end in consumer.end_offsets(tps).items():
                lag += end - (consumer.committed(tp) or 0)
        return lag
    finally:
        consumer.close()


def outcome_counts(settings: Settings) -> dict[str, int]:
    es = sync_client(settings)
    if not es.indices.exists(index=settings.outcomes_index):
        return {}
    resp = es.search(index=settings.outcomes_index, size=0, aggs={"o": {"terms": {"field": "outcome"}}})
    return {b["key"]: b["doc_count"] for b in resp["aggregations"]["o"]["buckets"]}


def worker_beats(settings: Settings) -> dict[str, float]:
    """Seconds since each worker's last beat (connectors/liveness.py), by this machine's clock."""
    es = sync_client(settings)
    if not es.indices.exists(index=settings.workers_index):
        return {}
    now = utcnow()
    beats = read_beats(es, settings)
    return {w: round((now - datetime.fromisoformat(beats[w])).total_seconds(), 1) for w in sorted(beats)}


def collect(settings: Settings) -> dict[str, Any]:
    state = servers.state(settings)
    report: dict[str, Any] = {
        "servers": {
            "kafka": state.kafka,
            "elasticsearch": state.search,
            "broker_url": settings.broker_url,
            "search_url": redact_url(settings.search_url),
        },
    }
    if state.kafka:
        report["topics"] = topic_sizes(settings)
    if state.search:
        counts = outcome_counts(settings)
        report["outcomes"] = counts
        report["workers"] = worker_beats(settings)
    if state.kafka:
        # Re-sending an article adds a raw message but not an outcome (outcomes are per article id), so
        # what is in flight is the workers' uncommitted backlog, not a difference of counts.
        report["in_flight"] = pipeline_lag(settings)
    return report


def render(report: dict[str, Any], out: Console) -> None:
    srv = report["servers"]
    mark = {True: "[green]up[/]", False: "[red]down[/]"}
    out.print(
        f"Kafka {escape(srv['broker_url'])}: {mark[srv['kafka']]}   Elasticsearch {escape(srv['search_url'])}: "
        f"{mark[srv['elasticsearch']]}"
    )
    if "topics" in report:
        table = Table("topic", "messages", title="topics")
        for name, size in report["topics"].items():
            table.add_row(escape(name), f"{size:,}")
        out.print(table)
    if "outcomes" in report:
        o = report["outcomes"]
        flight = report.get("in_flight", 0)
        out.print(
            f"articles in {sum(o.values()) + flight:,} = indexed {o.get('indexed', 0):,} + duplicates "
            f"{o.get('duplicate', 0):,} + killed {o.get('killed', 0):,} + dead-lettered {o.get('dead_lettered', 0):,} "
            f"+ in flight {flight:,}"
        )
    elif "in_flight" in report:
        out.print(f"in flight (messages not yet committed by the workers): {report['in_flight']:,}")
    if "workers" in report:
        # Older than the session timeout: the worker is gone, and its partitions pass to the others.
        beats = report["workers"]
        out.print(
            "workers: " + (", ".join(f"{escape(w)} (last beat {age:.0f} s ago)" for w, age in beats.items()) or "none")
        )
