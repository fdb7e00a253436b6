"""The feed poller's throughput: N feeds of M items each, and their article pages, served by a local site; items
polled, extracted (with page fetching) and acknowledged by the local broker, per second."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.feedsite import Item, Site, serve
from bench.progress import Progress
from bench.servers import LocalServers
from wiredesk.connectors.corpus import NewsArticle
from wiredesk.connectors.feeds import FeedConfig, FeedPoller, PollResult, extract_page, save_feeds
from wiredesk.connectors.producer import ArticleProducer

# (name, fetch pages, page latency in s). The local site answers in ~1 ms; a remote news site takes 50-500 ms
# per page, and 100 ms shows how far the page-fetch threads (WIREDESK_FEED_PAGE_WORKERS) overlap that wait.
MODES = (("with_pages", True, 0.0), ("with_pages_100ms", True, 0.1), ("without_pages", False, 0.0))
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")
# The corpus text is flattened to one line: three sentences a paragraph is what news pages typically have.
SENTENCES_PER_PARAGRAPH = 3


def paragraphs(text: str) -> tuple[str, ...]:
    sentences = _SENTENCE_END.split(text)
    step = SENTENCES_PER_PARAGRAPH
    return tuple(" ".join(sentences[i : i + step]) for i in range(0, len(sentences), step))


def build_site(site: Site, articles: Sequence[NewsArticle], feeds: int, items: int) -> list[str]:
    """`feeds` feeds of `items` items, each a corpus article on a page of its own; the feeds' paths."""
    paths = [f"/feed{f}.xml" for f in range(feeds)]
    for n in range(feeds * items):
        article = articles[n % len(articles)]
        body = paragraphs(article.text)
        site.add(paths[n % feeds], Item(slug=f"a{n}", title=article.title, summary=body[0], body=body))
    return paths


def bench_feeds(
    srv: LocalServers, articles: Sequence[NewsArticle], feeds: int, items: int, work: Path, progress: Progress
) -> dict[str, Any]:
    results: dict[str, Any] = {
        "feeds": feeds,
        "items_per_feed": items,
        "page_workers": srv.settings.feed_page_workers,
    }
    with serve(Site()) as site:
        paths = build_site(site, articles, feeds, items)
        # trafilatura's first call loads its modules (~1 s): not part of any poll.
        extract_page(site.page_html(site.items["a0"]), site.page_url("a0"))
        for name, pages, delay in MODES:
            site.page_delay_s = delay
            settings = srv.settings.model_copy(update={"data_dir": work / name, "feeds_path": work / f"{name}.yml"})
            save_feeds(settings.feeds_path, [FeedConfig(url=site.url + p, fetch_pages=pages) for p in paths])
            producer = ArticleProducer(settings)
            poller = FeedPoller(settings, producer)
            try:
                polls: list[PollResult] = []
                t0, cpu0 = time.monotonic(), time.process_time()
                poller.run(settings.feeds_path, polls.append, threading.Event(), once=True)
                wall, cpu = time.monotonic() - t0, time.process_time() - cpu0
                again: list[PollResult] = []
                t1 = time.monotonic()
                poller.run(settings.feeds_path, again.append, threading.Event(), once=True)
                conditional = time.monotonic() - t1
            finally:
                poller.close()
                producer.close()
            sent = sum(len(p.articles) for p in polls)
            errors = [p.error for p in polls if p.status == "error"]
            results[name] = {
                "items": sent,
                "from_page": sum(p.from_page for p in polls),
                "fallbacks": sum(len(p.fallbacks) for p in polls),
                "errors": errors,
                "wall_s": round(wall, 2),
                "per_s": round(sent / wall, 1) if wall else None,
                # The local site's threads serve the pages in this same process: their CPU is included.
                "cpu_s": round(cpu, 2),
                "cpu_ms_per_item": round(cpu * 1000 / sent, 2) if sent else None,
                "second_poll_all_304": all(p.status == "not modified" for p in again),
                "second_poll_ms": round(conditional * 1000, 1),
            }
            progress.say(f"  {name.replace('_', ' ')}: {sent} items in {wall:.1f} s = {results[name]['per_s']}/s")
    return results
