"""`wiredesk dlq list|replay`: read the dead-letter topic, and send its letters back to where they failed.

Replaying is safe to repeat: article ids are deterministic and every write is idempotent, so a letter
replayed twice yields one document. A replay that fails again is dead-lettered again, with attempts + 1."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from pydantic import ValidationError

from wiredesk.connectors.files import read_articles
from wiredesk.connectors.security import kafka_kwargs
from wiredesk.pipeline.errors import InvalidInput
from wiredesk.pipeline.fate import payload_bytes
from wiredesk.pipeline.models import DeadLetter, RawArticle
from wiredesk.pipeline.settings import Settings


@dataclass(frozen=True)
class Letter:
    partition: int
    offset: int
    letter: DeadLetter


def read_letters(settings: Settings) -> Iterator[Letter]:
    """Every letter on the dead-letter topic, oldest first per partition, up to the current end."""
    consumer = KafkaConsumer(
        **kafka_kwargs(settings),
        enable_auto_commit=False,
        consumer_timeout_ms=2000,
        # Letters carry whole articles (up to max_file_bytes); the local server may answer a fetch with more
        # than kafka-python's 1 MB default frame limit.
        receive_message_max_bytes=64 * 1024 * 1024,
    )
    try:
        tps = [
            TopicPartition(settings.topic_dlq, p)
            for p in sorted(consumer.partitions_for_topic(settings.topic_dlq) or ())
        ]
        if not tps:
            return
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        remaining = {tp for tp in tps if ends[tp] > 0}
        while remaining:
            batch = consumer.poll(timeout_ms=1000)
            if not batch and all(consumer.position(tp) >= ends[tp] for tp in remaining):
                break
            for tp, records in batch.items():
                for record in records:
                    if record.offset >= ends[tp]:
                        continue
                    try:
                        yield Letter(tp.partition, record.offset, DeadLetter.model_validate_json(record.value))
                    except ValidationError:
                        continue  # not ours: a foreign message on the topic is left alone
                if consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
    finally:
        consumer.close()


def replay_target(settings: Settings, letter: DeadLetter) -> str | None:
    """The topic a letter's payload goes back to: the input of the stage that failed it."""
    return {
        "clean": settings.topic_raw,
        "dedup": settings.topic_cleaned,
        "index": settings.topic_deduped,
        "corrections": settings.topic_corrections,
    }.get(letter.stage)


def file_articles(origin: str, max_bytes: int) -> list[RawArticle]:
    """What to resend for a letter of the produce stage: every article of the file when the letter names the
    file, the one item when it names an item of it (`path#3`). Empty while that is still not an article."""
    path, sep, number = origin.rpartition("#")
    whole = not (sep and number.isdigit()) or Path(origin).exists()
    try:
        items = read_articles(Path(origin if whole else path), max_bytes=max_bytes)
    except InvalidInput:
        return []
    return [i for i in items if isinstance(i, RawArticle) and (whole or i.origin == origin)]


def replay(settings: Settings, stage: str | None = None, dry_run: bool = False) -> dict[str, int]:
    """Send letters (of `stage`, or all) back. Files the producer refused are read again from their path:
    replaying those makes sense once the file was fixed, and a still-broken file is reported, not resent."""
    counts = {"replayed": 0, "still_invalid": 0, "skipped": 0}
    producer = None if dry_run else KafkaProducer(**kafka_kwargs(settings), acks="all", enable_idempotence=True)
    futures = []
    try:
        for item in read_letters(settings):
            letter = item.letter
            if stage and letter.stage != stage:
                continue
            if letter.stage == "produce":
                articles = file_articles(letter.origin or "", settings.max_file_bytes)
                if not articles:
                    counts["still_invalid"] += 1
                    continue
                messages = [(settings.topic_raw, a.article_id, a.model_dump_json().encode()) for a in articles]
            else:
                target = replay_target(settings, letter)
                if target is None:
                    counts["skipped"] += 1
                    continue
                messages = [(target, letter.article_id or "", payload_bytes(letter))]
            counts["replayed"] += 1
            if producer is not None:
                # The letter's history travels along, so a replay that fails again counts its attempts.
                history = [
                    ("wiredesk-attempts", str(letter.attempts).encode()),
                    ("wiredesk-first-failure", letter.first_failure_at.isoformat().encode()),
                ]
                for topic, key, value in messages:
                    futures.append(producer.send(topic, key=key.encode(), value=value, headers=history))
        if producer is not None:
            producer.flush()
            for future in futures:
                future.get(timeout=settings.request_timeout_s)
    finally:
        if producer is not None:
            producer.close()
    return counts
