"""Small conversions every wire format needs: text fields, timestamps, versions, HTML or not."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from wiredesk.pipeline.errors import InvalidInput
from wiredesk.pipeline.models import ContentType, PubStatus, RawArticle

_SPACE_RE = re.compile(r"\s+")


@dataclass(frozen=True)
class ItemError:
    """One item of a many-item document that cannot be an article. `origin` names the item (`path#3`);
    `payload` is the item's own text, for its dead letter."""

    origin: str
    error: InvalidInput
    payload: str = ""


Item = RawArticle | ItemError


def one_line(value: object) -> str | None:
    """A string field with its whitespace collapsed (XML text is indented and wrapped); None when absent or
    blank, so an empty element reads as "not given"."""
    if not isinstance(value, str):
        return None
    return _SPACE_RE.sub(" ", value).strip() or None


def looks_like_html(body: str) -> bool:
    # An opening and a closing tag: a stray "<" in prose ("profits < 5%") does not make markup.
    return "<" in body and "</" in body


def body_type(body: str, declared: str | None = None) -> ContentType:
    """HTML when the provider says so (text/html, application/xhtml+xml, "body_xhtml") or, when it says nothing,
    when the body looks like markup."""
    if declared:
        return ContentType.HTML if "html" in declared.lower() else ContentType.TEXT
    return ContentType.HTML if looks_like_html(body) else ContentType.TEXT


def timestamp(value: object, field: str) -> datetime | None:
    """An ISO 8601 date-time (wire formats use it throughout); a value that is not one is refused, naming the
    field, rather than silently dropped: published_at orders versions and feeds the date filters."""
    text = one_line(value)
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(f"{field}: {text!r} is not an ISO 8601 date-time") from exc


def integer(value: object, field: str) -> int | None:
    """A version or urgency: wire formats give it as a number or a string of digits."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):  # bool is an int subclass: `true` is not a version
        raise InvalidInput(f"{field}: {value!r} is not an integer")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        return int(value)
    raise InvalidInput(f"{field}: {value!r} is not an integer")


def pub_status(value: object, field: str) -> PubStatus:
    """usable / canceled / withheld, bare (ninjs) or as a qcode ("stat:canceled", NewsML-G2); absent = usable."""
    text = one_line(value)
    if text is None:
        return PubStatus.USABLE
    try:
        return PubStatus(text.rpartition(":")[2].lower())
    except ValueError as exc:
        known = ", ".join(s.value for s in PubStatus)
        raise InvalidInput(f"{field}: {text!r} is not a publishing status ({known})") from exc
