"""Alerting: evaluate the rules on each batch of new stories, record each alert once, send it to the sinks.

Exactly once, as far as an external system can tell it, and never lost:

1. `claim`: `create` the alert's record (deterministic id: rule + story) in the alerts index as *pending*.
   201 -> a new alert. 409 -> it was claimed before: *delivered* means it already fired (a redelivered
   story, a restarted worker) and is skipped; *pending* means a worker died between claim and step 3, so
   the stored alert is sent again.
2. Deliver to the external sinks in DELIVERY_ORDER: the alerts topic (waits for the broker's ack), the
   JSON-lines file (fsync'd), the webhook (bounded retries).
3. Mark the record *delivered*, with how each sink took it. Only then is the story message acknowledged.

A crash anywhere before step 3 leaves the record pending and the story unacknowledged, so it is
evaluated again and the alert re-sent: at worst a duplicate on an external sink (each carries the same
alert_id — the webhook also as an Idempotency-Key header — so a receiver can drop it), never a loss.
A crash after step 3 finds the record delivered and sends nothing. The one deliberate exception: a
webhook that still fails after settings.webhook_attempts is recorded as failed in the alert's record
(`deliveries`) and the stream moves on, so one dead endpoint cannot stop alerting for good.

Rules see a story's FIRST indexed article only (the stories topic carries nothing else): one alert per
story, never one per outlet copy — and so a story whose first article does not match stays silent even if
a later copy would match.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from elasticsearch import ApiError, AsyncElasticsearch, BadRequestError
from pydantic import ValidationError

from wiredesk.connectors.alert_sinks import (
    AlertLedger,
    JsonlSink,
    Publish,
    Sink,
    TopicSink,
    WebhookSink,
    jsonl_path,
    retrying,
)
from wiredesk.connectors.retry import backoff_s
from wiredesk.connectors.security import search_kwargs
from wiredesk.pipeline.alerts import (
    ALERT_SOURCE_FIELDS,
    DELIVERY_ORDER,
    Alert,
    AlertRule,
    AlertRulesError,
    Delivery,
    RuleSet,
    SinkKind,
    evaluation_query,
    make_alert,
    matched_rules,
    parse_rules,
    validation_query,
)
from wiredesk.pipeline.models import DedupedArticle, WireAction, utcnow
from wiredesk.pipeline.settings import Settings

log = logging.getLogger(__name__)

# The index stage hands a story on once Elasticsearch accepted its article, but search sees it only after
# the next refresh (~1 s). The alerter refreshes once and asks again; the further attempts (with backoff,
# ~8 s in all) only cover a refresh that failed. An article still invisible then was deleted meanwhile.
VISIBILITY_ATTEMPTS = 5


def load_rules(path: Path) -> RuleSet:
    """Read and validate the rules file; every problem is an AlertRulesError that names the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise AlertRulesError(
            f"{path}: no alert rules file there (set WIREDESK_ALERT_RULES_PATH, or create it: see alerts.yml "
            "in the repository; `rules: []` turns alerting off)"
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise AlertRulesError(f"{path}: cannot read the alert rules file: {exc}") from exc
    return parse_rules(text, str(path))


@dataclass
class Alerter:
    """Evaluates every rule on each batch of new stories (one search) and fires what matched."""

    settings: Settings
    rules: RuleSet
    es: AsyncElasticsearch
    sinks: dict[SinkKind, Sink]
    now: Callable[[], datetime] = utcnow

    @classmethod
    def create(cls, settings: Settings, rules: RuleSet, publish: Publish) -> Alerter:
        sinks: dict[SinkKind, Sink] = {
            SinkKind.TOPIC: TopicSink(publish, settings.retry_base_s, settings.retry_max_s),
            SinkKind.JSONL: JsonlSink(jsonl_path(settings)),
        }
        webhook = WebhookSink.from_settings(settings)
        if webhook is not None:
            sinks[SinkKind.WEBHOOK] = webhook
        es = AsyncElasticsearch(**search_kwargs(settings))
        return cls(settings=settings, rules=rules, es=es, sinks=sinks)

    @property
    def ledger(self) -> AlertLedger:
        s = self.settings
        return AlertLedger(self.es, s.alerts_index, s.retry_base_s, s.retry_max_s)

    async def close(self) -> None:
        await self.es.close()

    async def start(self) -> None:
        """Check every rule's query on the server before the first story, and say what is not wired."""
        s = self.settings
        try:
            await retrying(
                lambda: self.es.search(index=s.index_name, query=validation_query(self.rules), size=0),
                "check alert rules",
                s.retry_base_s,
                s.retry_max_s,
            )
        except BadRequestError as exc:
            raise AlertRulesError(
                f"{s.alert_rules_path}: Elasticsearch refuses a rule's query: {_reason(exc)}"
            ) from exc
        for rule in self.rules.rules:
            missing = [k.value for k in rule.sinks if k is not SinkKind.INDEX and k not in self.sinks]
            if missing:
                log.warning(
                    "rule %s sends to %s, which is not configured (WIREDESK_WEBHOOK_URL): skipped",
                    rule.name,
                    ", ".join(missing),
                )
        log.info("alerting: %d rule(s) from %s", len(self.rules.rules), s.alert_rules_path)

    async def on_story(self, payload: bytes) -> list[Alert]:
        """One message of the stories topic -> the alerts it fired now (none when they fired before)."""
        return await self.on_stories([payload])

    async def on_stories(self, payloads: Sequence[bytes]) -> list[Alert]:
        """A batch of the stories topic, evaluated in one search (one refresh at most), fired in order."""
        items: dict[str, DedupedArticle] = {}  # by article id: a redelivered story in the batch counts once
        for payload in payloads:
            try:
                item = DedupedArticle.model_validate_json(payload)
            except ValidationError as exc:
                # Not dead-lettered: the dead-letter ledger records an outcome per article id, and this
                # article was indexed; its outcome must stay "indexed". The log says what was skipped.
                log.error("unreadable message on %s skipped: %s", self.settings.topic_stories, exc)
                continue
            items[item.article.article_id] = item
        kills = [aid for aid, item in items.items() if item.action is WireAction.KILL]
        if kills:
            await self._withdraw(kills)
            items = {aid: item for aid, item in items.items() if item.action is not WireAction.KILL}
        if not self.rules.rules or not items:
            return []
        hits = await self._evaluate(list(items))
        fired_at = self.now()
        fired = []
        for article_id, item in items.items():
            hit = hits.get(article_id)
            if hit is None:
                log.warning(
                    "article %s of story %s is not in %s: alert rules not evaluated",
                    article_id,
                    item.dedup.story_id,
                    self.settings.index_name,
                )
                continue
            for rule in matched_rules(hit, self.rules):
                sent = await self._fire(make_alert(rule, item, hit.get("_source") or {}, fired_at), rule)
                if sent is not None:
                    fired.append(sent)
        return fired

    async def _evaluate(self, article_ids: list[str]) -> dict[str, dict[str, Any]]:
        """Article id -> its hit (with `matched_queries`), for every article search can see."""
        s = self.settings
        found: dict[str, dict[str, Any]] = {}
        for attempt in range(VISIBILITY_ATTEMPTS):
            missing = [a for a in article_ids if a not in found]
            query = evaluation_query(missing, self.rules)
            resp = await retrying(
                partial(
                    self.es.search,
                    index=s.index_name,
                    query=query,
                    size=len(missing),
                    source_includes=ALERT_SOURCE_FIELDS,
                ),
                f"evaluate alert rules on {len(missing)} stories",
                s.retry_base_s,
                s.retry_max_s,
            )
            found.update((hit["_id"], hit) for hit in resp["hits"]["hits"])
            if len(found) == len(article_ids) or attempt == VISIBILITY_ATTEMPTS - 1:
                break
            if attempt:
                await asyncio.sleep(backoff_s(attempt - 1, s.retry_base_s, s.retry_max_s))
            await retrying(
                lambda: self.es.indices.refresh(index=s.index_name), "refresh", s.retry_base_s, s.retry_max_s
            )
        return found

    async def _withdraw(self, article_ids: list[str]) -> None:
        """Killed articles: every alert fired on one is sent again as a withdrawal, to the sinks of its rule
        (of the rules file in force; a rule since removed still gets its index record marked)."""
        for alert in await self.ledger.fired_on(article_ids):
            notice = alert.model_copy(update={"withdrawn_at": self.now()})
            rule = next((r for r in self.rules.rules if r.name == alert.rule), None)
            deliveries = await self._deliver(notice, rule) if rule is not None else ()
            await self.ledger.delivered(notice, deliveries)
            log.info(
                "alert %s (%s, story %s) withdrawn: article %s killed",
                alert.alert_id,
                alert.rule,
                alert.story_id,
                alert.article_id,
            )

    async def _deliver(self, alert: Alert, rule: AlertRule) -> tuple[Delivery, ...]:
        """Send to each external sink of the rule that is configured, in DELIVERY_ORDER."""
        deliveries = []
        for kind in DELIVERY_ORDER:
            sink = self.sinks.get(kind)
            if kind in rule.sinks and sink is not None:
                deliveries.append(await sink.send(alert))
        return tuple(deliveries)

    async def _fire(self, alert: Alert, rule: AlertRule) -> Alert | None:
        """The alert as sent (the stored one when an earlier attempt was cut short), or None: fired before."""
        claimed = await self.ledger.claim(alert)
        if claimed is None:
            log.info("alert %s (%s, story %s) fired before: skipped", alert.alert_id, alert.rule, alert.story_id)
            return None
        deliveries = await self._deliver(claimed, rule)
        await self.ledger.delivered(claimed, deliveries)
        log.info(
            "alert %s fired: %s on story %s (%s)",
            claimed.alert_id,
            claimed.rule,
            claimed.story_id,
            ", ".join(f"{d.sink.value}={'ok' if d.ok else 'failed'}" for d in deliveries) or "index only",
        )
        return claimed


def _reason(exc: ApiError) -> str:
    info: Any = exc.info
    if isinstance(info, dict):
        err = info.get("error")
        if isinstance(err, dict):
            root = (err.get("root_cause") or [err])[0]
            return f"{root.get('type', '')}: {root.get('reason', '')}".strip(": ")
    return str(exc.message)
