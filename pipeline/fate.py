"""Dead letters: what a stage could not process, why, and the original bytes to replay it from."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from datetime import datetime

from wiredesk.pipeline.models import DeadLetter, utcnow


def dead_letter(
    payload: bytes,
    exc: BaseException,
    *,
    stage: str,
    worker_id: str,
    source_topic: str,
    article_id: str | None = None,
    origin: str | None = None,
    history: Sequence[tuple[str, bytes]] = (),
) -> DeadLetter:
    try:
        text, encoding = payload.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = base64.b64encode(payload).decode("ascii"), "base64"
    now = utcnow()
    prior = dict(history)
    attempts = int(prior.get("wiredesk-attempts", b"0").decode() or 0) + 1
    first = prior.get("wiredesk-first-failure")
    return DeadLetter(
        article_id=article_id,
        origin=origin,
        stage=stage,
        error_class=type(exc).__name__,
        message=str(exc) or repr(exc),
        attempts=attempts,
        first_failure_at=datetime.fromisoformat(first.decode()) if first else now,
        last_failure_at=now,
        worker_id=worker_id,
        source_topic=source_topic,
        payload=text,
        payload_encoding="utf-8" if encoding == "utf-8" else "base64",
    )


def outcome_id(letter: DeadLetter) -> str:
    """The outcome record's id: the article id, or for a file refused before it had one, its path."""
    return letter.article_id or origin_id(letter.origin or letter.payload)


def origin_id(origin: str) -> str:
    return hashlib.sha256(origin.encode()).hexdigest()[:32]


def headers(letter: DeadLetter) -> list[tuple[str, bytes]]:
    """The same facts as Kafka headers, so tools can filter the dead-letter topic without parsing values."""
    return [
        ("wiredesk-stage", letter.stage.encode()),
        ("wiredesk-error-class", letter.error_class.encode()),
        ("wiredesk-error", letter.message[:1000].encode()),
        ("wiredesk-attempts", str(letter.attempts).encode()),
        ("wiredesk-first-failure", letter.first_failure_at.isoformat().encode()),
        ("wiredesk-last-failure", letter.last_failure_at.isoformat().encode()),
        ("wiredesk-worker", letter.worker_id.encode()),
    ]


def payload_bytes(letter: DeadLetter) -> bytes:
    return base64.b64decode(letter.payload) if letter.payload_encoding == "base64" else letter.payload.encode()
