"""Faust wiring. Each agent is a thin loop around a pure stage; it acknowledges a message only after the
stage's output is handed on (Faust flushes the producer before it commits offsets), so delivery is
at-least-once, and a message a stage cannot process is dead-lettered, never dropped.

    raw ──clean──▶ cleaned (1 partition) ──dedup──▶ deduped ──enrich+index──▶ Elasticsearch
      └──────────────┴─────────── dlq ◀──────────────┘   ▲     └─▶ outcomes ledger
                     corrections (1 partition) ──dedup───┘  (story facts an editor changed)
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import faust
import mode

from wiredesk.connectors import faust_fixes
from wiredesk.connectors.alerter import Alerter, load_rules
from wiredesk.connectors.corrections import append_labels, labels_path
from wiredesk.connectors.elastic import SearchSink, stored_entities
from wiredesk.connectors.metrics import Metrics, consumer_lags
from wiredesk.connectors.ner_process import NerProcess
from wiredesk.connectors.security import faust_credentials
from wiredesk.pipeline import batch, corrections
from wiredesk.pipeline import encoder as enc
from wiredesk.pipeline.dedup import DedupConfig, Deduplicator
from wiredesk.pipeline.errors import CorrectionRefused
from wiredesk.pipeline.fate import dead_letter, headers, outcome_id
from wiredesk.pipeline.index import outcome_actions
from wiredesk.pipeline.learned import EVICT_INTERVAL_S as LEARNED_EVICT_INTERVAL_S
from wiredesk.pipeline.learned import LearnedConfig, LineMemory
from wiredesk.pipeline.models import (
    Correction,
    DeadLetter,
    DedupedArticle,
    DedupLevel,
    EnrichedArticle,
    Outcome,
    OutcomeKind,
    utcnow,
)
from wiredesk.pipeline.settings import Settings
from wiredesk.pipeline.steps import clean_step, dedup_step

log = logging.getLogger(__name__)
# faust's annotations say noack_take() yields values, but it yields events (value + message to ack); the
# agents therefore take their stream untyped.
Stream = Any


faust_fixes.install()


def create_app(settings: Settings) -> faust.App:
    datadir = settings.data_dir / "faust" / settings.worker_id
    datadir.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        settings.app_id,
        broker=settings.broker_url,
        broker_credentials=faust_credentials(settings),
        # Tables live in memory and are rebuilt from their changelog topic on start: no local disk state
        # that could disagree with Kafka.
        store="memory://",
        datadir=str(datadir),
        # Static membership: a worker that crashed and restarts with the same id takes its old place at
        # once; without it the local broker never expires the dead member and the group wedges.
        consumer_group_instance_id=settings.worker_id,
        broker_session_timeout=settings.session_timeout_s,
        # Kafka wants heartbeats at most a third of the session timeout apart.
        broker_heartbeat_interval=settings.session_timeout_s / 10,
        web_bind=settings.web_host,
        web_host=settings.web_host,
        web_port=settings.web_port,
        producer_acks=-1,
        consumer_auto_offset_reset="earliest",
        topic_partitions=settings.partitions,
        # Commit acknowledged offsets every second: at most a second of work is redone after a crash.
        broker_commit_interval=1.0,
        # Bounded read-ahead per topic: when Elasticsearch is slow the buffer fills and Faust stops fetching,
        # so the backlog waits in Kafka, not in memory (4,096 × ~5 KB ≈ 20 MB per topic at most). A smaller
        # buffer pauses and resumes partitions constantly under a backlog, and Faust 0.15 can then miss a
        # resume and leave a partition unread.
        stream_buffer_maxsize=settings.stream_buffer,
        # An agent that crashes outside the per-message handling takes the worker down with a non-zero
        # exit, instead of the worker living on with a dead agent.
        agent_supervisor=mode.CrashingSupervisor,
    )
    return app


class Wiring:
    """Topics, table, sink and the agents, built for one Settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.app = app = create_app(settings)
        self.raw_topic = self._topic(settings.topic_raw, settings.partitions)
        self.cleaned_topic = self._topic(settings.topic_cleaned, 1)
        self.deduped_topic = self._topic(settings.topic_deduped, settings.partitions)
        self.dlq_topic = self._topic(settings.topic_dlq, settings.partitions)
        self.stories_topic = self._topic(settings.topic_stories, settings.partitions)
        self.alerts_topic = self._topic(settings.topic_alerts, settings.partitions)
        self.corrections_topic = self._topic(settings.topic_corrections, 1)
        # The dedup state: one JSON record per article in the window, replicated to a changelog topic.
        self.dedup_table = app.Table("dedup-state", partitions=1, key_type=str, value_type=str)
        # Lines each source repeats across its articles (pipeline/learned.py), changelog-backed like dedup-state;
        # one partition because the dedup stream it is written from has one.
        self.learned_table = app.Table("learned-lines", partitions=1, key_type=str, value_type=str)
        self.learned = LineMemory(
            self.learned_table,
            LearnedConfig(
                min_articles=settings.learned_min_articles,
                ttl_days=settings.learned_ttl_days,
                max_lines_per_source=settings.learned_max_lines_per_source,
            ),
        )
        self._last_learned_eviction = time.monotonic()
        self.sink = SearchSink(settings)
        self._deduplicator: Deduplicator | None = None
        # NER in a child process of its own (see connectors/ner_process.py for why and how it is looked after).
        self.ner = NerProcess()
        # Clean and the head vector (~35 ms of CPU per article, most of it numpy, which releases the GIL) run in
        # a thread of their own too. On the event loop they would starve the other agents under a backlog: the
        # loop gives dedup, index and the fetcher a turn only between two articles, so NER would start once nearly
        # the whole backlog was cleaned, and the two would run one after the other (make bench, 400-article
        # backlog: 13.8 articles/s with the thread, 10.8 without; paced 10/s, produce -> searchable p95 3.2 s
        # with it, 4.1 s without).
        self._clean_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clean")
        # The rules are read here so that a bad rules file stops the worker at start, with the reason.
        self.alerter = Alerter.create(settings, load_rules(settings.alert_rules_path), self._publish_alert)

        app.agent(self.raw_topic, name="clean")(self.clean_agent)
        app.agent(self.cleaned_topic, name="dedup")(self.dedup_agent)
        app.agent(self.deduped_topic, name="index")(self.index_agent)
        app.agent(self.dlq_topic, name="ledger")(self.ledger_agent)
        app.agent(self.stories_topic, name="alerts")(self.alerts_agent)
        app.agent(self.corrections_topic, name="corrections")(self.corrections_agent)
        app.on_partitions_revoked.connect(self._on_revoked)
        self._watchdog = faust_fixes.StallWatchdog(set(settings.all_topics))
        # Often enough that a lost record costs seconds, rarely enough to cost nothing.
        app.timer(interval=5.0, on_leader=False)(self._check_stalls)
        self.metrics = Metrics()
        # Every 5 s: a third of Prometheus' default 15 s scrape interval, so a scrape sees a lag at most 5 s old; it
        # costs nothing (offsets the consumer holds already, no request to the broker).
        app.timer(interval=5.0, on_leader=False)(self._update_lag)

    def _topic(self, name: str, partitions: int) -> faust.TopicT:
        # Raw bytes in and out: the stages parse with pydantic themselves, so a malformed message becomes a
        # dead letter with a reason instead of a deserialisation error inside Faust.
        return self.app.topic(name, partitions=partitions, key_serializer="raw", value_serializer="raw")

    async def _check_stalls(self) -> None:
        await self._watchdog.check(self.app)

    async def _update_lag(self) -> None:
        self.metrics.set_lag(consumer_lags(self.app.consumer, set(self.settings.all_topics)))

    async def _on_revoked(self, *args: Any, **kwargs: Any) -> None:
        # The derived dedup index must be rebuilt from the table once partitions come back.
        self._deduplicator = None

    def deduplicator(self) -> Deduplicator:
        if self._deduplicator is None:
            config = DedupConfig(window_hours=self.settings.dedup_window_hours)
            self._deduplicator = Deduplicator(self.dedup_table, config, enc.load())
        return self._deduplicator

    def _maybe_evict(self) -> None:
        """Forget learned lines gone stale. Done between events of the dedup stream, because a table may only be
        written in the context of an event of its partition. (The dedup window evicts itself, in event time, as
        each article advances its watermark.)"""
        now = time.monotonic()
        if now - self._last_learned_eviction >= LEARNED_EVICT_INTERVAL_S:
            self._last_learned_eviction = now
            if forgotten := self.learned.evict(utcnow()):
                log.info(
                    "learned lines: forgot %d not seen for %.0f days or over the cap",
                    forgotten,
                    self.settings.learned_ttl_days,
                )

    def warm_up(self) -> None:
        """Load the NER model and the sentence encoder before consuming, so the first batch is not slow and a
        missing or broken model stops the worker at start instead of dead-lettering every article."""
        self.ner.start()
        enc.load()  # cached for the process: the clean and dedup agents get this one

    def close(self) -> None:
        self.ner.close()

    async def to_dlq(
        self,
        payload: bytes,
        exc: BaseException,
        *,
        stage: str,
        source_topic: str,
        article_id: str | None = None,
        origin: str | None = None,
        history: Sequence[tuple[str, bytes]] = (),
    ) -> None:
        letter = dead_letter(
            payload,
            exc,
            stage=stage,
            worker_id=self.settings.worker_id,
            source_topic=source_topic,
            article_id=article_id,
            origin=origin,
            history=history,
        )
        log.warning("dead-lettered %s at %s: %s: %s", article_id or origin, stage, letter.error_class, letter.message)
        await self.dlq_topic.send(
            key=(article_id or origin or "").encode(), value=letter.model_dump_json().encode(), headers=headers(letter)
        )

    async def _event_failed(self, event: Any, exc: BaseException, *, stage: str) -> None:
        """Any failure on one message is that message's, never the stream's: dead-letter it, named by its key."""
        await self.to_dlq(
            event.value,
            exc,
            stage=stage,
            source_topic=event.message.topic,
            article_id=_key(event),
            history=_history(event),
        )

    async def clean_agent(self, stream: Stream) -> None:
        async for event in stream.noack().events():
            payload: bytes = event.value
            try:
                loop = asyncio.get_running_loop()
                cleaned = await loop.run_in_executor(self._clean_thread, clean_step, payload)
            except Exception as exc:
                await self._event_failed(event, exc, stage="clean")
                self.metrics.stage("clean", failed=1)
            else:
                await self.cleaned_topic.send(key=cleaned.article_id.encode(), value=cleaned.model_dump_json().encode())
                self.metrics.stage("clean", processed=1)
            await stream.ack(event)

    async def dedup_agent(self, stream: Stream) -> None:
        async for event in stream.noack().events():
            payload: bytes = event.value
            try:
                learned = self.learned if self.settings.learned_lines else None
                out = dedup_step(payload, self.deduplicator(), learned)
            except Exception as exc:
                await self._event_failed(event, exc, stage="dedup")
                self.metrics.stage("dedup", failed=1)
            else:
                key = out.article.article_id.encode()
                await self.deduped_topic.send(key=key, value=out.model_dump_json().encode())
                self.metrics.stage("dedup", processed=1)
            self._maybe_evict()
            await stream.ack(event)

    async def corrections_agent(self, stream: Stream) -> None:
        """Applies an editor's merge or split to the dedup state (this worker holds it: the corrections topic and
        the table have one partition each, assigned together), records the labelled pairs, then sends the changed
        story facts on the deduped topic, each keyed by its article so it follows the article's own message.
        A redelivered correction changes nothing and sends the same facts again (at-least-once, idempotent)."""
        async for event in stream.noack().events():
            try:
                correction = Correction.model_validate_json(event.value)
                done = corrections.apply(correction, self.deduplicator())
                append_labels(
                    labels_path(self.settings),
                    correction.correction_id,
                    corrections.labelled_pairs(correction, done),
                )
                for message in corrections.index_messages(correction, done):
                    key = message.update.article_id.encode()
                    await self.deduped_topic.send(key=key, value=message.model_dump_json().encode())
            except CorrectionRefused as exc:
                # The editor's mistake (or a story gone from the window), not the pipeline's: replaying cannot help.
                log.warning("correction %s not applied: %s", _key(event), exc)
            except Exception as exc:
                await self._event_failed(event, exc, stage="corrections")
            else:
                log.info(
                    "correction %s (%s) applied: %d articles changed",
                    correction.correction_id,
                    correction.kind.value,
                    len(done.updates),
                )
            await stream.ack(event)

    async def _enrich(self, items: Sequence[DedupedArticle]) -> list[EnrichedArticle]:
        # Near-identical copies take their canonical's entities instead of running NER (the expensive part);
        # canonicals in this batch are found by enrich itself, earlier ones are read back from the index.
        in_batch = {i.article.article_id for i in items}
        wanted = {i.dedup.matched for i in items if i.dedup.level is DedupLevel.NEAR and i.dedup.matched} - in_batch
        known = await stored_entities(self.sink.es, self.settings.index_name, sorted(wanted))
        return await self.ner.enrich(items, known)

    async def _index_to_dlq(
        self,
        meta: dict[int, tuple[str | None, list[tuple[str, bytes]]]],
        payload: bytes,
        exc: BaseException,
        article_id: str | None,
        origin: str | None,
    ) -> None:
        # A message that did not even parse is named by its Kafka key.
        key, history = meta.get(id(payload), (None, []))
        await self.to_dlq(
            payload,
            exc,
            stage="index",
            source_topic=self.settings.topic_deduped,
            article_id=article_id or key,
            origin=origin,
            history=history,
        )

    async def index_agent(self, stream: Stream) -> None:
        s = self.settings
        async for events in faust_fixes.take_batches(stream, s.batch_size, s.batch_timeout_s):
            meta = {id(e.value): (_key(e), _history(e)) for e in events}
            report = await batch.index_batch(
                [e.value for e in events],
                enrich=self._enrich,
                sink=self.sink,
                to_dlq=partial(self._index_to_dlq, meta),
                index_name=s.index_name,
                outcomes_index=s.outcomes_index,
            )
            # New stories for the rules, kills for withdrawing what the rules fired on them.
            for item in report.new_stories + report.killed:
                await self.stories_topic.send(key=item.dedup.story_id.encode(), value=item.model_dump_json().encode())
            log.info(
                "batch of %d: indexed %d (%d writethrus), duplicates %d, killed %d, stale versions %d, "
                "story corrections %d, dead-lettered %d",
                len(events),
                report.indexed,
                report.updated,
                report.duplicates,
                len(report.killed),
                report.stale,
                report.corrected,
                report.dead_lettered,
            )
            self.metrics.index_batch(len(events), report)
            for event in events:
                await stream.ack(event)

    async def ledger_agent(self, stream: Stream) -> None:
        """Records a dead-lettered outcome for every dead letter, whichever stage (or the producer) sent it."""
        s = self.settings
        async for events in stream.noack_take(s.batch_size, within=s.batch_timeout_s):
            outcomes = []
            for event in events:
                try:
                    letter = DeadLetter.model_validate_json(event.value)
                except Exception:
                    log.error("unreadable message on %s at offset %s", s.topic_dlq, event.message.offset)
                    continue
                outcomes.append(_dead_outcome(letter))
            if outcomes:
                await self.sink.write(outcome_actions(s.outcomes_index, outcomes))
            self.metrics.stage("ledger", processed=len(outcomes), failed=len(events) - len(outcomes))
            self.metrics.dead_lettered(len(outcomes))
            for event in events:
                await stream.ack(event)

    async def _publish_alert(self, key: bytes, value: bytes) -> None:
        # The first await queues the message, the second waits for the broker's ack: the alert is on the
        # topic before its record says "delivered" (see connectors/alerter.py).
        sent = await self.alerts_topic.send(key=key, value=value)
        await sent

    async def alerts_agent(self, stream: Stream) -> None:
        """Evaluates the alert rules once per new story (never per outlet copy) and fires what matched.
        Batched like the index stage: one search and at most one refresh per batch, however many stories."""
        s = self.settings
        await self.alerter.start()
        async for events in stream.noack_take(s.batch_size, within=s.batch_timeout_s):
            await self.alerter.on_stories([e.value for e in events])
            self.metrics.stage("alerts", processed=len(events))
            for event in events:
                await stream.ack(event)


def _history(event: Any) -> list[tuple[str, bytes]]:
    """Failure history a replayed message carries in its headers (see connectors/dlq.py)."""
    headers = event.message.headers or []
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    return [(k, v) for k, v in pairs if k.startswith("wiredesk-")]


def _key(event: Any) -> str | None:
    key = event.key
    return key.decode("utf-8", "replace") if isinstance(key, bytes) else None


def _dead_outcome(letter: DeadLetter) -> Outcome:
    return Outcome(
        article_id=outcome_id(letter),
        outcome=OutcomeKind.DEAD_LETTERED,
        stage=letter.stage,
        origin=letter.origin,
        reason=f"{letter.error_class}: {letter.message}",
        at=letter.last_failure_at,
    )
