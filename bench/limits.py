"""The limits of this machine's servers, with no pipeline in the way: how fast the local broker moves the
same raw messages with empty processing (kafka-python), and how fast the search server takes the same
documents with elasticsearch.helpers.bulk. Every stage rate can be read against these."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from elasticsearch import Elasticsearch, helpers

from wiredesk.connectors.security import kafka_kwargs, search_kwargs
from wiredesk.pipeline.index import ARTICLE_MAPPING
from wiredesk.pipeline.settings import Settings

LIMIT_TOPIC = "bench-limit-raw"


def broker_limit(settings: Settings, payloads: Sequence[bytes], messages: int) -> dict[str, Any]:
    from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
    from kafka.admin import NewTopic

    admin = KafkaAdminClient(**kafka_kwargs(settings))
    try:
        admin.create_topics([NewTopic(LIMIT_TOPIC, settings.partitions, 1)])
    finally:
        admin.close()
    # Configured like connectors/producer.py (acks=all, idempotent, 5 ms linger): the producer's own ceiling.
    producer = KafkaProducer(
        **kafka_kwargs(settings),
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_request_size=settings.max_file_bytes * 2,
    )
    total_bytes = 0
    t0 = time.perf_counter()
    for i in range(messages):
        value = payloads[i % len(payloads)]
        total_bytes += len(value)
        producer.send(LIMIT_TOPIC, key=str(i).encode(), value=value)
    producer.flush()
    produce_s = time.perf_counter() - t0
    producer.close()

    # assign() rather than subscribe(): no consumer-group join in the measured time, only fetching.
    consumer = KafkaConsumer(**kafka_kwargs(settings), enable_auto_commit=False)
    partitions = [TopicPartition(LIMIT_TOPIC, p) for p in range(settings.partitions)]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    received = 0
    t0 = time.perf_counter()
    deadline = t0 + 300
    while received < messages and time.perf_counter() < deadline:
        for records in consumer.poll(timeout_ms=500, max_records=2000).values():
            received += len(records)
    consume_s = time.perf_counter() - t0
    consumer.close()
    mb = total_bytes / 1024 / 1024
    return {
        "messages": messages,
        "avg_message_kb": round(total_bytes / messages / 1024, 1),
        "produce_per_s": round(messages / produce_s),
        "produce_mb_per_s": round(mb / produce_s, 1),
        "consume_per_s": round(received / consume_s),
        "consume_mb_per_s": round(mb / consume_s, 1),
        "consumed": received,
    }


def bulk_limit(settings: Settings, docs: Sequence[dict[str, Any]], chunk_sizes: Sequence[int]) -> dict[str, Any]:
    """helpers.bulk of the pipeline's own documents into a fresh index with the article mapping, once per
    chunk size (500 is helpers.bulk's default, the worker sends batch_size)."""
    es = Elasticsearch(**{**search_kwargs(settings), "request_timeout": 120})
    out: dict[str, Any] = {"documents": len(docs)}
    for chunk in chunk_sizes:
        index = f"bench-limit-{chunk}"
        es.indices.create(
            index=index, settings={"number_of_shards": 1, "number_of_replicas": 0}, mappings=ARTICLE_MAPPING
        )
        actions = [{"_index": index, "_id": d["article_id"], "_source": d} for d in docs]
        t0 = time.perf_counter()
        ok, errors = helpers.bulk(es, actions, chunk_size=chunk, max_chunk_bytes=100 * 1024 * 1024)
        seconds = time.perf_counter() - t0
        if errors:
            raise RuntimeError(f"bulk limit: {errors}")
        out[f"chunk_{chunk}_per_s"] = round(ok / seconds)
    return out
