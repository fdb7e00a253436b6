"""Alert sinks and the alerts ledger: the alerts topic, the JSON-lines file (and reading it back for
`wiredesk alerts tail`), the webhook with retries, and the alerts index that records each alert once.
connectors/alerter.py decides what to send and in which order."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Protocol, TypeVar

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout
from elasticsearch import ApiError, AsyncElasticsearch, ConflictError
from pydantic import ValidationError

from wiredesk.connectors.retry import async_policy
from wiredesk.pipeline.alerts import (
    Alert,
    AlertStatus,
    Delivery,
    SinkKind,
    alert_record,
)
from wiredesk.pipeline.models import utcnow
from wiredesk.pipeline.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

# Webhook answers worth retrying: timeout, too early, too many requests, and the server's own trouble.
RETRY_STATUSES = frozenset({408, 425, 429})
# Alerts one kill can withdraw: one per rule on the article's story, and a rules file holds a few dozen rules.
MAX_WITHDRAWN = 1000

# (key, value) -> sent and acknowledged by the broker
Publish = Callable[[bytes, bytes], Awaitable[None]]


def jsonl_path(settings: Settings) -> Path:
    return settings.alerts_jsonl_path or settings.data_dir / "alerts.jsonl"


class Sink(Protocol):
    kind: SinkKind

    async def send(self, alert: Alert) -> Delivery: ...


class TopicSink:
    """The alerts topic. A broker that is away (restarting, a leader moving) is waited for, however long:
    the alert is not recorded as delivered before the broker has it, and a second copy after a send that
    did get through is the at-least-once duplicate the alert id lets consumers drop."""

    kind = SinkKind.TOPIC

    def __init__(self, publish: Publish, base_s: float = 0.5, cap_s: float = 30.0) -> None:
        self.publish = publish
        self.base_s = base_s
        self.cap_s = cap_s

    async def send(self, alert: Alert) -> Delivery:
        # The producer's errors vary by client; all of them mean "not sent".
        retry = async_policy(
            f"alert {alert.alert_id} to the alerts topic", on=Exception, base_s=self.base_s, cap_s=self.cap_s
        )

        async def attempt() -> None:
            # Keyed by story: every alert of one story lands on one partition, in order.
            await self.publish(alert.story_id.encode(), alert.model_dump_json().encode())

        await retry(attempt)
        return Delivery(sink=self.kind, ok=True, attempts=retry.statistics["attempt_number"], at=utcnow())


class JsonlSink:
    kind = SinkKind.JSONL

    def __init__(self, path: Path) -> None:
        self.path = path

    def _append(self, line: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            # On disk before the record says "delivered": a power cut cannot lose a line marked as sent.
            os.fsync(fh.fileno())

    async def send(self, alert: Alert) -> Delivery:
        await asyncio.to_thread(self._append, alert.model_dump_json() + "\n")
        return Delivery(sink=self.kind, ok=True, at=utcnow())


class WebhookFailed(Exception):
    def __init__(self, reason: str, retry: bool) -> None:
        super().__init__(reason)
        self.retry = retry


def _post(url: str, body: bytes, headers: dict[str, str], timeout_s: float) -> None:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as resp:
            resp.read()
    except urllib.error.HTTPError as exc:
        retry = exc.code in RETRY_STATUSES or exc.code >= 500
        raise WebhookFailed(f"HTTP {exc.code} {exc.reason}", retry=retry) from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise WebhookFailed(f"unreachable: {reason}", retry=True) from exc


class WebhookSink:
    """POST the alert as JSON. Connection errors, timeouts, 408/425/429 and 5xx are retried with exponential
    backoff and full jitter, `attempts` times in all; any other 4xx is final (the receiver refuses this
    payload; sending it again cannot help)."""

    kind = SinkKind.WEBHOOK

    def __init__(
        self,
        url: str,
        *,
        attempts: int,
        timeout_s: float,
        base_s: float,
        cap_s: float,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.url = url
        self.attempts = max(1, attempts)
        self.timeout_s = timeout_s
        self.base_s = base_s
        self.cap_s = cap_s
        self.sleep = sleep

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhookSink | None:
        if not settings.webhook_url:
            return None
        return cls(
            settings.webhook_url,
            attempts=settings.webhook_attempts,
            timeout_s=settings.webhook_timeout_s,
            base_s=settings.retry_base_s,
            cap_s=settings.retry_max_s,
        )

    async def send(self, alert: Alert) -> Delivery:
        body = alert.model_dump_json().encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "wiredesk-alerts",
            # The same alert sent twice (after a crash) carries the same key: receivers can deduplicate.
            "Idempotency-Key": alert.alert_id,
        }
        retry = async_policy(
            f"webhook {self.url}",
            on=lambda exc: isinstance(exc, WebhookFailed) and exc.retry,
            base_s=self.base_s,
            cap_s=self.cap_s,
            attempts=self.attempts,
            sleep=self.sleep,
        )
        try:
            await retry(asyncio.to_thread, _post, self.url, body, headers, self.timeout_s)
        except WebhookFailed as exc:
            attempts = retry.statistics["attempt_number"]
            log.error("alert %s (%s) not delivered to webhook %s: %s", alert.alert_id, alert.rule, self.url, exc)
            return Delivery(sink=self.kind, ok=False, attempts=attempts, error=str(exc), at=utcnow())
        return Delivery(sink=self.kind, ok=True, attempts=retry.statistics["attempt_number"], at=utcnow())


def search_trouble(exc: BaseException) -> bool:
    """Elasticsearch unreachable, 429 or 5xx: the server's trouble, worth waiting out; anything else is not."""
    if isinstance(exc, TransportConnectionError | ConnectionTimeout):
        return True
    return isinstance(exc, ApiError) and (exc.meta.status == 429 or exc.meta.status >= 500)


async def retrying(call: Callable[[], Awaitable[T]], what: str, base_s: float, cap_s: float) -> T:
    """Retry `call` on search-server trouble however long it takes. The story stays unacknowledged meanwhile,
    which is the backpressure; any other error is raised."""

    async def attempt() -> T:  # tenacity awaits only what it sees is a coroutine function; a partial is not
        return await call()

    return await async_policy(what, on=search_trouble, base_s=base_s, cap_s=cap_s)(attempt)


class AlertLedger:
    """The alerts index: one record per alert id, created once (the protocol: connectors/alerter.py)."""

    def __init__(self, es: AsyncElasticsearch, index: str, base_s: float, cap_s: float) -> None:
        self.es = es
        self.index = index
        self.base_s = base_s
        self.cap_s = cap_s

    async def claim(self, alert: Alert) -> Alert | None:
        """The alert to send — this one, or the stored one of an unfinished earlier attempt — or None when
        it was delivered before."""

        async def create() -> bool:
            try:
                await self.es.create(
                    index=self.index, id=alert.alert_id, document=alert_record(alert, AlertStatus.PENDING)
                )
            except ConflictError:
                return False
            return True

        if await retrying(create, f"claim alert {alert.alert_id}", self.base_s, self.cap_s):
            return alert
        stored = await retrying(
            lambda: self.es.get(index=self.index, id=alert.alert_id), "read alert", self.base_s, self.cap_s
        )
        source = dict(stored["_source"])
        if source.get("status") in (AlertStatus.DELIVERED, AlertStatus.WITHDRAWN):
            return None
        log.warning(
            "alert %s (%s) was claimed but not delivered (a worker stopped mid-way): sending it again",
            alert.alert_id,
            alert.rule,
        )
        return Alert.model_validate({k: v for k, v in source.items() if k in Alert.model_fields})

    async def fired_on(self, article_ids: Sequence[str]) -> list[Alert]:
        """Alerts fired on these articles and not withdrawn yet (a kill withdraws them)."""
        await retrying(lambda: self.es.indices.refresh(index=self.index), "refresh alerts", self.base_s, self.cap_s)
        query = {
            "bool": {
                "filter": [{"terms": {"article_id": list(article_ids)}}],
                "must_not": [{"term": {"status": AlertStatus.WITHDRAWN.value}}],
            }
        }
        resp = await retrying(
            lambda: self.es.search(index=self.index, query=query, size=MAX_WITHDRAWN),
            "find alerts to withdraw",
            self.base_s,
            self.cap_s,
        )
        return [
            Alert.model_validate({k: v for k, v in h["_source"].items() if k in Alert.model_fields})
            for h in resp["hits"]["hits"]
        ]

    async def delivered(self, alert: Alert, deliveries: tuple[Delivery, ...]) -> None:
        await self._record(alert, AlertStatus.WITHDRAWN if alert.withdrawn_at else AlertStatus.DELIVERED, deliveries)

    async def _record(self, alert: Alert, status: AlertStatus, deliveries: tuple[Delivery, ...]) -> None:
        record = alert_record(alert, status, deliveries)
        await retrying(
            lambda: self.es.index(index=self.index, id=alert.alert_id, document=record),
            f"record alert {alert.alert_id}",
            self.base_s,
            self.cap_s,
        )


# --- reading the JSON-lines file: `wiredesk alerts tail` ------------------------------------------------


def read_new(path: Path, offset: int) -> tuple[list[Alert], int]:
    """Complete lines written after byte `offset` -> (alerts, offset after the last complete line). A half
    written last line is left for the next call; a file that shrank (rotated, truncated) is read anew."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return [], 0
    if size < offset:
        offset = 0
    with path.open("rb") as fh:
        fh.seek(offset)
        data = fh.read()
    end = data.rfind(b"\n") + 1
    alerts = []
    for raw in data[:end].splitlines():
        if not raw.strip():
            continue
        try:
            alerts.append(Alert.model_validate_json(raw))
        except ValidationError:
            log.warning("%s: skipped a line that is not an alert: %.80r", path, raw)
    return alerts, offset + end


def follow_alerts(path: Path, offset: int, *, poll_s: float, stop: Callable[[], bool]) -> Iterator[Alert]:
    """Alerts appended after `offset`, as they are written, until `stop()` (or Ctrl-C)."""
    while not stop():
        alerts, offset = read_new(path, offset)
        yield from alerts
        if not alerts:
            time.sleep(poll_s)


def alert_line(alert: Alert) -> str:
    where = " · ".join(x for x in (alert.source, f"story {alert.story_id}") if x)
    if alert.withdrawn_at is not None:
        when = alert.withdrawn_at.isoformat(timespec="seconds")
        return f"{when}  WITHDRAWN {alert.rule}  {alert.title}  ({where}; the article was killed)"
    when = alert.fired_at.isoformat(timespec="seconds")
    return f"{when}  {alert.rule}  {alert.title}  ({where})"


def alert_json(alert: Alert) -> str:
    return json.dumps(alert.model_dump(mode="json"), ensure_ascii=False)
