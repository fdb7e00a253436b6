"""One batch of the index stage: every message in it leaves with exactly one outcome — indexed, merged as
an exact duplicate, or dead-lettered with a reason. Kafka-free: the sink and the dead-letter queue are
passed in, so this is tested without a broker."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from pydantic import TypeAdapter, ValidationError

from wiredesk.pipeline.index import (
    ItemFate,
    ItemResult,
    delete_action,
    index_action,
    outcome_actions,
    story_update_action,
    to_document,
)
from wiredesk.pipeline.models import (
    CorrectedStory,
    DedupedArticle,
    DedupLevel,
    EnrichedArticle,
    Outcome,
    OutcomeKind,
    WireAction,
    utcnow,
)

log = logging.getLogger(__name__)
STAGE = "index"


class Sink(Protocol):
    async def write(self, actions: Sequence[dict[str, Any]]) -> list[ItemResult]: ...


# (original message bytes, the exception, article id, origin) -> sends a dead letter
DeadLetterFn = Callable[[bytes, BaseException, str | None, str | None], Awaitable[None]]
# What the deduped topic carries: articles, and the story facts an editor's correction changed.
_MESSAGE: TypeAdapter[DedupedArticle | CorrectedStory] = TypeAdapter(DedupedArticle | CorrectedStory)
EnrichFn = Callable[[Sequence[DedupedArticle]], Awaitable[list[EnrichedArticle]]]


@dataclass
class BatchReport:
    indexed: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    updated: int = 0  # writethrus and corrections among `indexed`: they replaced their earlier version
    stale: int = 0  # versions older than one already acted on: nothing written, the article keeps its outcome
    # indexed_at - received_at of each article indexed, in seconds: the produce -> indexed latency.
    latencies_s: list[float] = field(default_factory=list)
    corrected: int = 0  # story facts an editor's correction changed (no outcome: the article has one already)
    # Articles indexed as the first of their story: the ones alert rules are evaluated on.
    new_stories: list[DedupedArticle] = field(default_factory=list)
    # Articles their provider killed, now gone from the index: their alerts are withdrawn.
    killed: list[DedupedArticle] = field(default_factory=list)


class DocumentRejected(Exception):
    """Elasticsearch refused the document itself (mapping or parsing error)."""


async def index_batch(
    payloads: Sequence[bytes],
    *,
    enrich: EnrichFn,
    sink: Sink,
    to_dlq: DeadLetterFn,
    index_name: str,
    outcomes_index: str,
    now: Callable[[], datetime] = utcnow,
) -> BatchReport:
    report = BatchReport()
    parsed: list[tuple[bytes, DedupedArticle]] = []
    corrected: list[CorrectedStory] = []
    for payload in payloads:
        try:
            message = _MESSAGE.validate_json(payload)
        except ValidationError as exc:
            await to_dlq(payload, exc, None, None)
            report.dead_lettered += 1
            continue
        if isinstance(message, CorrectedStory):
            corrected.append(message)
        else:
            parsed.append((payload, message))

    outcomes: list[Outcome] = []
    fresh: list[tuple[bytes, DedupedArticle]] = []
    copies: list[DedupedArticle] = []
    for payload, item in parsed:
        if item.action is WireAction.STALE:
            log.info("older version of %s (%s) ignored", item.article.article_id, item.article.origin)
            report.stale += 1
        elif item.action is WireAction.KILL:
            outcomes.append(_outcome(item, OutcomeKind.KILLED))
            report.killed.append(item)
        elif item.dedup.level is DedupLevel.EXACT:
            outcomes.append(_outcome(item, OutcomeKind.DUPLICATE))
            copies.append(item)
            report.duplicates += 1
        else:
            fresh.append((payload, item))

    enriched = await _enrich_isolating_failures(fresh, enrich, to_dlq, report)
    indexed_at = now()
    actions = [index_action(index_name, to_document(e, indexed_at)) for _, _, e in enriched]
    results = await sink.write(actions) if actions else []
    accepted: list[DedupedArticle] = []
    for (payload, item, e), result in zip(enriched, results, strict=True):
        if result.fate is ItemFate.OK:
            outcomes.append(_outcome(item, OutcomeKind.INDEXED))
            accepted.append(item)
            report.indexed += 1
            report.latencies_s.append((indexed_at - item.article.received_at).total_seconds())
            if item.action is WireAction.UPDATE:
                report.updated += 1  # the story was new with its first version: alerts have seen it
            elif item.dedup.level is DedupLevel.UNIQUE:
                report.new_stories.append(item)
        else:
            reason = f"Elasticsearch refused the document ({result.status}): {result.reason}"
            await to_dlq(payload, DocumentRejected(reason), e.article.article_id, e.article.origin)
            report.dead_lettered += 1

    # Exact copies and killed articles: no document, even one an earlier decision indexed (see
    # index.delete_action); before the ledger, so "duplicate" or "killed" is recorded once the document is gone.
    deletes = [delete_action(index_name, item.article.article_id) for item in copies + report.killed]
    for result in await sink.write(deletes) if deletes else []:
        if result.fate not in (ItemFate.OK, ItemFate.GONE):
            log.error("document of an exact copy or kill not deleted (%s): %s", result.status, result.reason)

    # Story changes for other articles go after the articles themselves, so an update never precedes the
    # document it updates within this batch; an editor's corrections last, as they came after both.
    story_updates = [u for item in accepted + report.killed for u in item.story_updates]
    story_updates += [c.update for c in corrected]
    report.corrected = len(corrected)
    updates = [story_update_action(index_name, u.article_id, u.dedup) for u in story_updates]
    for result in await sink.write(updates) if updates else []:
        if result.fate is not ItemFate.OK:
            log.info("story update not applied (%s): %s", result.status, result.reason)

    # The ledger last: an outcome says "indexed" only once the document is in.
    for result in await sink.write(outcome_actions(outcomes_index, outcomes)) if outcomes else []:
        if result.fate is not ItemFate.OK:
            log.error("outcome record refused (%s): %s", result.status, result.reason)
    return report


async def _enrich_isolating_failures(
    fresh: list[tuple[bytes, DedupedArticle]], enrich: EnrichFn, to_dlq: DeadLetterFn, report: BatchReport
) -> list[tuple[bytes, DedupedArticle, EnrichedArticle]]:
    """Enrich the batch at once; if that fails, article by article, so one poison article is dead-lettered
    alone and the rest of the batch goes on."""
    if not fresh:
        return []
    try:
        done = await enrich([i for _, i in fresh])
        return [(p, i, e) for (p, i), e in zip(fresh, done, strict=True)]
    except Exception:
        log.exception("batch enrichment failed; retrying article by article to isolate the cause")
    out = []
    for payload, item in fresh:
        try:
            (enriched,) = await enrich([item])
        except Exception as exc:
            await to_dlq(payload, exc, item.article.article_id, item.article.origin)
            report.dead_lettered += 1
        else:
            out.append((payload, item, enriched))
    return out


def _outcome(item: DedupedArticle, kind: OutcomeKind) -> Outcome:
    a = item.article
    reason = None
    if kind is OutcomeKind.KILLED:
        version = f", version {a.wire.version}" if a.wire.version is not None else ""
        reason = f"pubStatus {a.wire.pub_status.value}{version}: removed from the index"
    return Outcome(
        article_id=a.article_id,
        outcome=kind,
        stage="dedup" if kind is OutcomeKind.DUPLICATE else STAGE,
        source=a.source,
        origin=a.origin,
        story_id=item.dedup.story_id,
        duplicate_of=item.dedup.duplicate_of,
        reason=reason,
    )
