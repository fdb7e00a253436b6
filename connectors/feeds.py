"""Poll RSS/Atom feeds: each new entry (or new version of one) becomes an article, with the linked page's main
text when it can be fetched, sent to the raw topic once the broker acknowledges it.

The feeds are listed in feeds.yml (`Settings.feeds_path`); what was polled and sent is kept in
<data_dir>/feeds.sqlite, so a restarted poller resends nothing, and an entry is recorded there only after the
broker acknowledged it, so a crash resends at most what had not been acknowledged."""

from __future__ import annotations

import logging
import random
import sqlite3
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from http.client import HTTPException
from importlib.metadata import version
from pathlib import Path

import yaml
from kafka.errors import KafkaError
from pydantic import Field, ValidationError, field_validator

from wiredesk.connectors.formats.feed import FeedEntry, read_feed
from wiredesk.connectors.producer import ArticleProducer
from wiredesk.pipeline.errors import InvalidInput
from wiredesk.pipeline.fate import dead_letter
from wiredesk.pipeline.models import ContentType, DeadLetter, RawArticle, Strict
from wiredesk.pipeline.settings import Settings

log = logging.getLogger(__name__)

STAGE = "feed"
USER_AGENT = f"wiredesk/{version('wiredesk')} (news wire feed poller)"
FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, */*;q=0.5"


class FeedsFileError(ValueError):
    """feeds.yml cannot be read: the message says where and what."""


class FeedConfig(Strict):
    url: str
    # Five minutes: news sites update their feeds every few minutes at most, and most ask for no more.
    interval_s: float = Field(default=300.0, gt=0)
    source: str | None = None  # names the outlet; default: the feed's own title
    fetch_pages: bool = True  # the linked page's main text as the article (else the entry's own text)

    @field_validator("url")
    @classmethod
    def _http(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"{url!r}: a feed URL must start with http:// or https://")
        return url


class FeedsFile(Strict):
    feeds: tuple[FeedConfig, ...] = ()


def load_feeds(path: Path) -> list[FeedConfig]:
    """The configured feeds; a missing file is no feeds."""
    try:
        data = yaml.safe_load(path.read_text()) if path.exists() else None
        return list(FeedsFile.model_validate(data or {}).feeds)
    except (yaml.YAMLError, OSError) as exc:
        raise FeedsFileError(f"{path}: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise FeedsFileError(f"{path}: {problems}") from exc


def save_feeds(path: Path, feeds: Sequence[FeedConfig]) -> None:
    data = {"feeds": [f.model_dump(exclude_defaults=True) | {"url": f.url} for f in feeds]}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(yaml.safe_dump(data, sort_keys=False))
    tmp.replace(path)  # atomic: a poller re-reading the file never sees half of it


@dataclass(frozen=True)
class FeedStatus:
    url: str
    last_poll: float | None
    next_poll: float | None
    status: str | None
    errors: int
    last_error: str | None
    items_seen: int


class FeedState:
    """Per feed: ETag, Last-Modified, last and next poll, consecutive errors. Per entry guid: its `updated` date
    when it was sent. One connection per poller thread (sqlite connections are not shared across threads)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path)
        self._db.executescript(
            "CREATE TABLE IF NOT EXISTS feeds (url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, last_poll REAL,"
            " next_poll REAL, status TEXT, errors INTEGER NOT NULL DEFAULT 0, last_error TEXT);"
            # A guid names an item wherever it appears: an item in two feeds of one site is sent once.
            "CREATE TABLE IF NOT EXISTS entries (guid TEXT PRIMARY KEY, feed TEXT, updated TEXT, article_id TEXT,"
            " at REAL);"
        )

    def close(self) -> None:
        self._db.close()

    def validators(self, url: str) -> tuple[str | None, str | None]:
        row = self._db.execute("SELECT etag, last_modified FROM feeds WHERE url=?", (url,)).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def errors(self, url: str) -> int:
        row = self._db.execute("SELECT errors FROM feeds WHERE url=?", (url,)).fetchone()
        return int(row[0]) if row else 0

    def next_poll(self, url: str) -> float | None:
        row = self._db.execute("SELECT next_poll FROM feeds WHERE url=?", (url,)).fetchone()
        return float(row[0]) if row and row[0] is not None else None

    def polled(
        self,
        url: str,
        *,
        at: float,
        next_poll: float,
        status: str,
        error: str | None = None,
        validators: tuple[str | None, str | None] | None = None,
    ) -> None:
        """Record one poll. `validators` (ETag, Last-Modified) replace the stored ones only when given: a failed
        poll keeps the old ones, so the entries it could not send are fetched again next time."""
        etag, modified = validators if validators is not None else self.validators(url)
        errors = self.errors(url) + 1 if error else 0
        self._db.execute(
            "INSERT OR REPLACE INTO feeds VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (url, etag, modified, at, next_poll, status, errors, error),
        )
        self._db.commit()

    def sent_version(self, guid: str) -> tuple[bool, str | None]:
        """(seen, the `updated` date it was sent with)."""
        row = self._db.execute("SELECT updated FROM entries WHERE guid=?", (guid,)).fetchone()
        return (row is not None, row[0] if row else None)

    def record(self, feed: str, entries: Sequence[tuple[str, str | None, str | None]]) -> None:
        """(guid, updated, article_id) of entries the broker has acknowledged."""
        now = time.time()
        self._db.executemany(
            "INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?)", [(g, feed, u, a, now) for g, u, a in entries]
        )
        self._db.commit()

    def forget_feed(self, url: str) -> None:
        """The feed's poll state; its entries stay, so adding the feed again resends nothing."""
        self._db.execute("DELETE FROM feeds WHERE url=?", (url,))
        self._db.commit()

    def status(self, url: str) -> FeedStatus:
        row = self._db.execute(
            "SELECT last_poll, next_poll, status, errors, last_error FROM feeds WHERE url=?", (url,)
        ).fetchone()
        seen = self._db.execute("SELECT COUNT(*) FROM entries WHERE feed=?", (url,)).fetchone()[0]
        if row is None:
            return FeedStatus(url, None, None, None, 0, None, int(seen))
        return FeedStatus(url, row[0], row[1], row[2], int(row[3]), row[4], int(seen))


def state_path(settings: Settings) -> Path:
    return settings.data_dir / "feeds.sqlite"


class FetchError(Exception):
    """A feed or page could not be fetched: the message says why (HTTP status, timeout, size)."""


@dataclass(frozen=True)
class Response:
    status: int  # 200, or 304 for "not modified"
    body: bytes
    headers: Message


def fetch(url: str, settings: Settings, headers: Mapping[str, str] = {}) -> Response:
    """GET with the timeout and size limit of the settings; any failure is a FetchError."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **headers})
    limit = settings.max_file_bytes
    try:
        with urllib.request.urlopen(request, timeout=settings.feed_timeout_s) as resp:
            body = resp.read(limit + 1)
            if len(body) > limit:
                raise FetchError(f"over the {limit:,}-byte limit (WIREDESK_MAX_FILE_BYTES)")
            return Response(resp.status, body, resp.headers)
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return Response(304, b"", exc.headers)
        raise FetchError(f"HTTP {exc.code} {exc.reason}") from exc
    except urllib.error.URLError as exc:
        raise FetchError(f"unreachable: {exc.reason}") from exc
    except (TimeoutError, OSError, HTTPException) as exc:
        raise FetchError(f"{type(exc).__name__}: {exc}") from exc


@dataclass(frozen=True)
class Page:
    text: str
    title: str | None
    published_at: datetime | None
    author: str | None
    sitename: str | None


def extract_page(html: bytes, url: str) -> Page:
    """The main text and metadata of an article page (trafilatura); InvalidInput when it finds no text."""
    import trafilatura  # imported here: it takes a while to load and only page fetching needs it

    try:
        doc = trafilatura.bare_extraction(
            html, url=url, with_metadata=True, include_comments=False, include_tables=False, deduplicate=False
        )
    except Exception as exc:  # any parser failure on hostile markup falls back to the entry's own text
        raise InvalidInput(f"page extraction failed: {type(exc).__name__}: {exc}") from exc
    text = getattr(doc, "text", None)
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("no main text found in the page")

    def meta(name: str) -> str | None:
        value = getattr(doc, name, None)
        return (value.strip() or None) if isinstance(value, str) else None

    date = meta("date")
    try:
        published = datetime.fromisoformat(date) if date else None
    except ValueError:
        published = None
    if published is not None and published.tzinfo is None:
        published = published.replace(tzinfo=UTC)  # a bare date: read as UTC midnight
    return Page(text, meta("title"), published, meta("author"), meta("sitename"))


@dataclass
class PollResult:
    url: str
    status: str  # ok, not modified, error
    entries: int = 0  # in the feed
    articles: list[RawArticle] = field(default_factory=list)  # sent and acknowledged
    from_page: int = 0  # of those, with the linked page's text
    fallbacks: list[tuple[str, str]] = field(default_factory=list)  # (entry url, why its page was not used)
    dead_lettered: list[tuple[str, str]] = field(default_factory=list)  # (entry, reason)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (entry, reason) left out by the parser
    error: str | None = None
    retry_in_s: float | None = None  # after an error: the back-off delay

    def line(self) -> str:
        if self.status == "error":
            return f"{self.url}: error ({self.error}); next try in {self.retry_in_s or 0:.0f} s"
        if self.status != "ok":
            return f"{self.url}: {self.status}"
        parts = [f"{len(self.articles)} new of {self.entries}"]
        if self.articles:
            parts.append(f"{self.from_page} with page text")
        if self.fallbacks:
            parts.append(f"{len(self.fallbacks)} from the feed's own text")
        if self.dead_lettered or self.skipped:
            parts.append(f"{len(self.dead_lettered) + len(self.skipped)} unusable")
        return f"{self.url}: {', '.join(parts)}"


Uniform = Callable[[float, float], float]


class FeedPoller:
    """Polls feeds with one producer. Use from one thread (it holds a sqlite connection); page fetches run on
    a small pool of its own."""

    def __init__(self, settings: Settings, producer: ArticleProducer, *, uniform: Uniform = random.uniform) -> None:
        self.settings = settings
        self.producer = producer
        self.state = FeedState(state_path(settings))
        self._uniform = uniform  # the jitter; tests pass the upper bound to make back-off deterministic
        self._pages = ThreadPoolExecutor(settings.feed_page_workers, thread_name_prefix="feed-page")

    def close(self) -> None:
        self._pages.shutdown(wait=True)
        self.state.close()

    def due(self, feeds: Sequence[FeedConfig], now: float) -> list[FeedConfig]:
        return [f for f in feeds if (self.state.next_poll(f.url) or 0.0) <= now]

    def poll(self, feed: FeedConfig) -> PollResult:
        """Poll one feed now. Never raises for what the feed or its pages do: a failure is the result's error."""
        started = time.time()
        try:
            result = self._poll(feed)
        except (FetchError, InvalidInput, _SendFailed) as exc:
            result = PollResult(feed.url, "error", error=str(exc))
        except KafkaError as exc:  # the broker is down: nothing was recorded, the next poll retries it all
            result = PollResult(feed.url, "error", error=f"broker: {type(exc).__name__}: {exc}")
        except Exception as exc:  # a bug or a surprise in one feed must not stop the others
            log.exception("feed %s: unexpected failure", feed.url)
            result = PollResult(feed.url, "error", error=f"{type(exc).__name__}: {exc}")
        if result.status == "error":
            # Full jitter between the feed's interval and its exponential ceiling (see feed_backoff_max_s).
            errors = self.state.errors(feed.url) + 1
            ceiling = min(self.settings.feed_backoff_max_s, feed.interval_s * 2.0**errors)
            delay = self._uniform(feed.interval_s, max(feed.interval_s, ceiling))
            self.state.polled(feed.url, at=started, next_poll=started + delay, status="error", error=result.error)
            result.retry_in_s = delay
            # info, not warning: the caller reports every result (`wiredesk run` and `feeds poll` print it).
            log.info("feed %s: %s; next poll in %.0f s", feed.url, result.error, delay)
        return result

    def _poll(self, feed: FeedConfig) -> PollResult:
        started = time.time()
        etag, modified = self.state.validators(feed.url)
        headers = {"Accept": FEED_ACCEPT}
        if etag:
            headers["If-None-Match"] = etag
        if modified:
            headers["If-Modified-Since"] = modified
        response = fetch(feed.url, self.settings, headers)
        next_poll = started + feed.interval_s
        if response.status == 304:
            self.state.polled(feed.url, at=started, next_poll=next_poll, status="not modified")
            return PollResult(feed.url, "not modified")
        parsed = read_feed(response.body, origin=feed.url, folder_source=feed.source)
        result = PollResult(feed.url, "ok", entries=len(parsed.entries) + len(parsed.skipped), skipped=parsed.skipped)
        fresh = [e for e in parsed.entries if self._is_new(e)]
        prepared = list(self._pages.map(lambda e: self._prepare(feed, e), fresh))
        articles: list[tuple[FeedEntry, RawArticle]] = []
        letters: list[tuple[FeedEntry, DeadLetter]] = []
        page_text: set[str] = set()  # article ids
        for entry, (article, why) in zip(fresh, prepared, strict=True):
            if why:
                result.fallbacks.append((entry.article.url or entry.article.origin, why))
            elif feed.fetch_pages and entry.article.url:
                page_text.add(entry.article.article_id)
            if article is not None:
                articles.append((entry, article))
            else:
                page = why or "page fetching is off for this feed"
                reason = f"no text: the entry has no content or summary, and {page}"
                letters.append((entry, self._letter(entry, reason)))
        self._send(feed, result, articles, letters)
        result.from_page = sum(1 for a in result.articles if a.article_id in page_text)
        validators = (response.headers.get("ETag"), response.headers.get("Last-Modified"))
        self.state.polled(feed.url, at=started, next_poll=next_poll, status="ok", validators=validators)
        return result

    def _is_new(self, entry: FeedEntry) -> bool:
        seen, updated = self.state.sent_version(_key(entry))
        return not seen or (entry.updated is not None and updated != entry.updated.isoformat())

    def _prepare(self, feed: FeedConfig, entry: FeedEntry) -> tuple[RawArticle | None, str | None]:
        """The article to send (None: nothing usable), and why the linked page was not used (None: it was, or
        it was not to be fetched)."""
        article = entry.article
        update: dict[str, object] = {"origin": article.url or article.origin}
        if feed.source:
            update["source"] = feed.source
        article = article.model_copy(update=update)
        if not feed.fetch_pages or not article.url:
            return (article if entry.has_text else None), None
        try:
            response = fetch(article.url, self.settings, {"Accept": "text/html,application/xhtml+xml"})
            kind = response.headers.get_content_type()
            if "html" not in kind:
                raise InvalidInput(f"not an HTML page ({kind})")
            page = extract_page(response.body, article.url)
        except (FetchError, InvalidInput) as exc:
            why = f"page {article.url}: {exc}"
            log.info("feed %s: %s; using the entry's own text", feed.url, why)
            return (article if entry.has_text else None), why
        wire = article.wire.model_copy(update={"byline": article.wire.byline or page.author})
        return article.model_copy(
            update={
                "text": page.text,
                # trafilatura's output is plain text, one paragraph a line, which is what cleaning expects.
                "content_type": ContentType.TEXT,
                "title": article.title or page.title,
                "published_at": article.published_at or page.published_at,
                "source": article.source or page.sitename,
                "wire": wire,
            }
        ), None

    def _letter(self, entry: FeedEntry, reason: str) -> DeadLetter:
        article = entry.article
        return dead_letter(
            article.model_dump_json().encode(),
            InvalidInput(reason),
            stage=STAGE,
            worker_id=self.settings.worker_id,
            source_topic="(feed)",
            article_id=article.article_id,
            origin=article.url or article.origin,
        )

    def _send(
        self,
        feed: FeedConfig,
        result: PollResult,
        articles: Sequence[tuple[FeedEntry, RawArticle]],
        letters: Sequence[tuple[FeedEntry, DeadLetter]],
    ) -> None:
        """Send, then record what the broker acknowledged. Anything refused fails the poll (the feed's
        validators are then not stored, so the next poll fetches the feed in full and retries it)."""
        sent = self.producer.send_articles([a for _, a in articles]) if articles else None
        done = set(sent.sent) if sent else set()
        acked = [(e, a) for e, a in articles if a.article_id in done]
        result.articles = [a for _, a in acked]
        lettered = self.producer.send_dead_letters([d for _, d in letters]) if letters else None
        letter_done = {origin for origin, _ in lettered.dead_lettered} if lettered else set()
        result.dead_lettered = [(d.origin or "", d.message) for _, d in letters if d.origin in letter_done]
        self.state.record(
            feed.url,
            [(_key(e), _iso(e.updated), a.article_id) for e, a in acked]
            + [(_key(e), _iso(e.updated), None) for e, d in letters if d.origin in letter_done],
        )
        failed = (sent.failed if sent else []) + (lettered.failed if lettered else [])
        if failed:
            raise _SendFailed(f"the broker refused {len(failed)} of them: {failed[0][1]}")

    def run(
        self,
        path: Path,
        report: Callable[[PollResult], None],
        stop: threading.Event,
        *,
        once: bool = False,
    ) -> None:
        """Poll the feeds of `path` when each is due until `stop` is set (re-reading the file, so a feed added
        or removed meanwhile is picked up), or each feed once with `once`."""
        feeds: list[FeedConfig] = []
        problem = None  # the file's last error: said once, not on every tick
        while not stop.is_set():
            try:
                feeds, problem = load_feeds(path), None
            except FeedsFileError as exc:
                if str(exc) != problem:
                    log.error("%s (polling the feeds read before)", exc)
                problem = str(exc)
            for feed in feeds if once else self.due(feeds, time.time()):
                if stop.is_set():
                    return
                report(self.poll(feed))
            if once:
                return
            stop.wait(self.settings.feed_tick_s)


class _SendFailed(Exception):
    pass


def _key(entry: FeedEntry) -> str:
    return entry.article.wire.guid or entry.article.article_id


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def statuses(settings: Settings, feeds: Sequence[FeedConfig]) -> Iterator[tuple[FeedConfig, FeedStatus]]:
    state = FeedState(state_path(settings))
    try:
        for feed in feeds:
            yield feed, state.status(feed.url)
    finally:
        state.close()
