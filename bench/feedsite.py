"""A local news site in a thread: RSS 2.0 feeds and the article pages they link to, with ETag/Last-Modified
conditional GET, scripted failures, and a record of every request. For the feed poller's tests and bench."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Item:
    slug: str
    title: str
    summary: str
    body: tuple[str, ...]  # the page's paragraphs
    author: str = "Jane Reporter"
    published: datetime | None = None
    updated: datetime | None = None  # an Atom-style update date, sent as <atom:updated>
    page_status: int = 200


@dataclass(frozen=True)
class Seen:
    path: str
    headers: dict[str, str]  # lower-case names
    status: int


@dataclass
class Site:
    """feeds: path -> the slugs it lists (newest first); feed_status: path -> a status to answer instead."""

    items: dict[str, Item] = field(default_factory=dict)
    feeds: dict[str, list[str]] = field(default_factory=dict)
    feed_status: dict[str, int] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)
    honour_validators: bool = True  # False: a server that always answers in full (many do)
    page_delay_s: float = 0.0  # each page answers this much later: a remote site's latency
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def add(self, feed: str, item: Item) -> None:
        with self.lock:
            self.items[item.slug] = item
            self.feeds.setdefault(feed, []).insert(0, item.slug)

    def page_url(self, slug: str) -> str:
        return f"{self.url}/news/{slug}.html"

    def seen(self, path: str) -> list[Seen]:
        with self.lock:
            return [r for r in self.requests if r.path == path]

    def feed_xml(self, path: str) -> bytes:
        entries = []
        for slug in self.feeds.get(path, []):
            item = self.items[slug]
            dates = f"<pubDate>{format_datetime(item.published)}</pubDate>" if item.published else ""
            if item.updated:
                dates += f"<atom:updated>{item.updated.isoformat()}</atom:updated>"
            entries.append(
                f"<item><title>{escape(item.title)}</title><link>{self.page_url(slug)}</link>"
                f'<guid isPermaLink="false">urn:site:{slug}</guid>{dates}'
                f"<description>{escape(item.summary)}</description></item>"
            )
        return (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
            f"<title>Local Gazette</title><link>{self.url}/</link><language>en</language>"
            f"{''.join(entries)}</channel></rss>"
        ).encode()

    def page_html(self, item: Item) -> bytes:
        paragraphs = "".join(f"<p>{escape(p)}</p>" for p in item.body)
        date = (
            f'<meta property="article:published_time" content="{item.published.isoformat()}">' if item.published else ""
        )
        return (
            f'<!DOCTYPE html><html lang="en"><head><title>{escape(item.title)} | Local Gazette</title>'
            f'<meta name="author" content="{escape(item.author)}">{date}'
            '<meta property="og:site_name" content="Local Gazette"></head><body>'
            '<nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a></nav>'
            f"<article><h1>{escape(item.title)}</h1>{paragraphs}</article>"
            "<footer>© Local Gazette. All rights reserved. Subscribe to our newsletter.</footer></body></html>"
        ).encode()


@contextmanager
def serve(site: Site) -> Iterator[Site]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body, headers = self._answer()
            with site.lock:
                site.requests.append(Seen(self.path, {k.lower(): v for k, v in self.headers.items()}, status))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _answer(self) -> tuple[int, bytes, dict[str, str]]:
            with site.lock:
                if self.path in site.feed_status:
                    return site.feed_status[self.path], b"scripted failure", {}
                if self.path in site.feeds:
                    body = site.feed_xml(self.path)
                    # The validators change whenever the feed does, as a real server's do.
                    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                    modified = f"Thu, 01 Jan 2026 00:00:{len(site.feeds[self.path]) % 60:02d} GMT"
                    validators = {"ETag": etag, "Last-Modified": modified}
                    if site.honour_validators and self.headers.get("If-None-Match") == etag:
                        return 304, b"", validators
                    return 200, body, {"Content-Type": "application/rss+xml; charset=utf-8", **validators}
                slug = self.path.removeprefix("/news/").removesuffix(".html")
                item = site.items.get(slug)
            if item is None:
                return 404, b"not found", {}
            time.sleep(site.page_delay_s)
            if item.page_status != 200:
                return item.page_status, b"<html><body>Internal error</body></html>", {"Content-Type": "text/html"}
            return 200, site.page_html(item), {"Content-Type": "text/html; charset=utf-8"}

        def log_message(self, format: str, *args: object) -> None:  # quiet output
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
