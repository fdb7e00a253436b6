"""RSS 0.9x/1.0/2.0 and Atom documents (a dropped file, or a polled feed) to RawArticle, with feedparser."""

from __future__ import annotations

import calendar
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import feedparser

from wiredesk.connectors.formats.common import Item, ItemError
from wiredesk.pipeline.errors import InvalidInput
from wiredesk.pipeline.models import ContentType, RawArticle, Subject, WireMeta, article_id_for

# A category term that is a code rather than a word: a qcode ("medtop:11000000", "subj:04000000"), a URI, or
# a bare number (IPTC subject codes are eight digits). Anything else ("Politics") is a name.
_CODE_RE = re.compile(r"^(?:[\w.-]+:\S+|\d+)$")
# feedparser calls every RSS description text/html; only one that holds a tag needs the HTML path of cleaning.
_TAG_RE = re.compile(r"<[a-zA-Z][^>]*>")


@dataclass(frozen=True)
class FeedEntry:
    """One usable entry. `article.text` is the entry's own content or summary, "" when it has only a link (a
    poller fetches the page; a dropped file cannot). `updated` is when the provider last changed the entry."""

    article: RawArticle
    updated: datetime | None

    @property
    def has_text(self) -> bool:
        return bool(self.article.text.strip())


@dataclass
class ParsedFeed:
    title: str | None
    input_format: str  # rss or atom
    entries: list[FeedEntry] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (origin of the entry, reason)


def read_feed(data: str | bytes, *, origin: str, folder_source: str | None) -> ParsedFeed:
    """Every entry of the feed in `data` (bytes: feedparser honours the document's own encoding declaration).
    Raises InvalidInput when `data` is not a feed at all."""
    parsed: Any = feedparser.parse(data, sanitize_html=True, resolve_relative_uris=True)
    version = parsed.get("version") or ""
    if not parsed.entries and not version:
        why = parsed.get("bozo_exception")
        raise InvalidInput(f"not an RSS or Atom feed: {why or 'no rss, rdf:RDF or feed root element'}")
    channel = parsed.feed
    title = _clean(channel.get("title"))
    feed = ParsedFeed(title=title, input_format="atom" if version.startswith("atom") else "rss")
    source, language = title or folder_source, channel.get("language")
    for n, entry in enumerate(parsed.entries, start=1):
        where = f"{origin}#{n}"
        try:
            feed.entries.append(_entry(entry, where, source=source, language=language, fmt=feed.input_format))
        except InvalidInput as exc:
            feed.skipped.append((where, str(exc)))
    return feed


def parse_feed(text: str | bytes, *, origin: str, folder_source: str | None) -> list[Item]:
    """Each entry of a dropped feed file as an article (its own content or summary as the text). An entry with
    only a link carries its title as its text (a file cannot fetch the page); one with nothing to index is an
    ItemError saying why, so it is dead-lettered, not lost."""
    parsed = read_feed(text, origin=origin, folder_source=folder_source)
    items: list[Item] = [ItemError(where, InvalidInput(reason)) for where, reason in parsed.skipped]
    for entry in parsed.entries:
        article = entry.article
        if not entry.has_text:
            if not article.title:
                items.append(ItemError(article.origin, InvalidInput("feed entry has no text and no title")))
                continue
            article = article.model_copy(update={"text": article.title})
        items.append(article)
    # In the document's order (every origin ends in "#n"), as the other many-item formats give theirs.
    return sorted(items, key=lambda i: int(i.origin.rpartition("#")[2]))


def _entry(entry: Any, where: str, *, source: str | None, language: str | None, fmt: str) -> FeedEntry:
    text, content_type = _text(entry)
    link = _clean(entry.get("link"))
    if not text and not link:
        raise InvalidInput("entry has neither text (content or summary) nor a link")
    guid = _clean(entry.get("id")) or link
    title = _clean(entry.get("title"))
    # dict.get, not entry.get: feedparser answers `updated` with `published` when the entry has no updated date,
    # and a publication date is not a change.
    updated = _when(dict.get(entry, "updated_parsed"))
    published = _when(entry.get("published_parsed")) or updated
    wire = WireMeta(
        input_format=fmt,
        guid=guid,
        # The update time orders an entry's versions: a later `updated` replaces the indexed document.
        version=int(updated.timestamp()) if updated else None,
        byline=_clean(entry.get("author")),
        language=_clean(language),
        subjects=tuple(s for s in (_subject(t) for t in entry.get("tags") or ()) if s is not None),
    )
    article = RawArticle(
        article_id=article_id_for(guid=guid, url=link, source=source, title=title, text=text),
        origin=where,
        content_type=content_type,
        text=text,
        title=title,
        source=source,
        url=link,
        published_at=published,
        wire=wire,
    )
    return FeedEntry(article=article, updated=updated)


def _text(entry: Any) -> tuple[str, ContentType]:
    """content:encoded or Atom content first (the full text), else the summary or description."""
    details = [*(entry.get("content") or ()), entry.get("summary_detail") or {}]
    for detail in details:
        value = (detail.get("value") or "").strip()
        if value:
            is_html = "html" in (detail.get("type") or "") and _TAG_RE.search(value) is not None
            return value, ContentType.HTML if is_html else ContentType.TEXT
    return "", ContentType.TEXT


def _subject(tag: Any) -> Subject | None:
    term, label, scheme = _clean(tag.get("term")), _clean(tag.get("label")), _clean(tag.get("scheme"))
    if term and _CODE_RE.match(term):
        return Subject(code=term, name=label)
    if term and scheme and scheme.startswith(("http://", "https://")) and label:
        # A term in a vocabulary named by URI, with its own label: the term is that vocabulary's code.
        return Subject(code=f"{scheme.rstrip('/')}/{term}", name=label)
    name = label or term
    return Subject(name=name) if name else None


def _when(parsed: time.struct_time | None) -> datetime | None:
    """feedparser's dates are UTC struct_times."""
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC) if parsed else None


def _clean(value: Any) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None
