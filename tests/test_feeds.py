"""RSS/Atom parsing (unit) and the feed poller against a real local HTTP site, broker and index (integration)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.feedsite import Item, Site, serve
from connectors.elastic import sync_client
from connectors.feeds import FeedConfig, FeedPoller, FeedsFileError, load_feeds, save_feeds
from connectors.formats.feed import parse_feed, read_feed
from connectors.producer import ArticleProducer
from pipeline.errors import InvalidInput
from pipeline.models import ContentType, Subject, article_id_for
from pipeline.settings import Settings
from tests.conftest import ROOT, WorkerProcess, free_port, settings_env

RSS2 = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>Harbour Times</title><link>https://harbour.example/</link><language>en-gb</language>
  <item>
    <title>Port strike ends</title>
    <link>https://harbour.example/news/strike</link>
    <guid isPermaLink="false">ht-1001</guid>
    <pubDate>Tue, 01 Dec 2026 09:30:00 +0100</pubDate>
    <dc:creator>Ann Quay</dc:creator>
    <category domain="http://cv.iptc.org/newscodes/mediatopic/">medtop:09000000</category>
    <category>Shipping</category>
    <description>Dock workers return.</description>
    <content:encoded><![CDATA[<p>Dock workers returned on <b>Tuesday</b>.</p><p>Cranes moved again.</p>]]></content:encoded>
  </item>
  <item>
    <title>Ferry timetable</title>
    <link>https://harbour.example/news/ferry</link>
    <description>Winter sailings start on Monday.</description>
  </item>
  <item><title>Only a title</title></item>
  <item><title>Link only</title><link>https://harbour.example/news/link-only</link></item>
</channel>
</rss>"""

RSS1 = """<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://valley.example/rss">
    <title>Valley Courier</title><link>https://valley.example/</link><description>News</description>
    <dc:language>de</dc:language>
  </channel>
  <item rdf:about="https://valley.example/a/1">
    <title>Brücke gesperrt</title>
    <link>https://valley.example/a/1</link>
    <description>Die Brücke bleibt bis Freitag gesperrt.</description>
    <dc:date>2026-12-02T08:00:00Z</dc:date>
    <dc:creator>Max Muster</dc:creator>
    <dc:subject>Verkehr</dc:subject>
  </item>
</rdf:RDF>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="fr">
  <title>Mountain Wire</title>
  <id>urn:mw</id><updated>2026-12-03T10:00:00Z</updated>
  <entry>
    <title>Avalanche warning raised</title>
    <id>urn:mw:entry:77</id>
    <link rel="alternate" href="https://mw.example/77"/>
    <published>2026-12-03T06:00:00Z</published>
    <updated>2026-12-03T09:15:00Z</updated>
    <author><name>Luc Neige</name></author>
    <category term="weather" scheme="https://mw.example/topics/" label="Weather"/>
    <content type="html">&lt;p&gt;Level four in the &lt;em&gt;north&lt;/em&gt;.&lt;/p&gt;</content>
  </entry>
</feed>"""


def test_rss2_entries() -> None:
    parsed = read_feed(RSS2, origin="harbour.xml", folder_source="inbox-source")
    assert parsed.title == "Harbour Times" and parsed.input_format == "rss"
    assert parsed.skipped == [("harbour.xml#3", "entry has neither text (content or summary) nor a link")]
    strike, ferry, link_only = (e.article for e in parsed.entries)
    assert strike.article_id == article_id_for(guid="ht-1001", url=None, source=None, title=None, text="")
    assert strike.content_type is ContentType.HTML
    assert strike.text.startswith("<p>Dock workers returned on <b>Tuesday</b>.</p>")
    assert strike.title == "Port strike ends" and strike.url == "https://harbour.example/news/strike"
    assert strike.source == "Harbour Times"
    assert strike.published_at == datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
    assert strike.wire.input_format == "rss" and strike.wire.guid == "ht-1001"
    assert strike.wire.byline == "Ann Quay" and strike.wire.language == "en-gb"
    assert strike.wire.subjects == (Subject(code="medtop:09000000"), Subject(name="Shipping"))
    assert strike.wire.version is None  # no update date: one version
    # No guid: the link names the entry; a description without markup is plain text.
    assert ferry.wire.guid == "https://harbour.example/news/ferry"
    assert ferry.content_type is ContentType.TEXT and ferry.text == "Winter sailings start on Monday."
    assert link_only.text == "" and not parsed.entries[2].has_text


def test_parse_feed_gives_a_link_only_entry_its_title() -> None:
    articles = parse_feed(RSS2, origin="harbour.xml", folder_source=None)
    assert [a.title for a in articles] == ["Port strike ends", "Ferry timetable", "Link only"]
    assert articles[2].text == "Link only"


def test_rss1_rdf() -> None:
    (article,) = parse_feed(RSS1, origin="valley.rdf", folder_source=None)
    assert article.source == "Valley Courier" and article.wire.input_format == "rss"
    assert article.wire.guid == "https://valley.example/a/1" and article.wire.language == "de"
    assert article.text == "Die Brücke bleibt bis Freitag gesperrt."
    assert article.published_at == datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    assert article.wire.byline == "Max Muster" and article.wire.subjects == (Subject(name="Verkehr"),)


def test_atom() -> None:
    parsed = read_feed(ATOM.encode(), origin="mw.atom", folder_source=None)
    (entry,) = parsed.entries
    article = entry.article
    assert parsed.input_format == "atom" and article.source == "Mountain Wire"
    assert article.content_type is ContentType.HTML and "<em>north</em>" in article.text
    assert article.url == "https://mw.example/77" and article.wire.guid == "urn:mw:entry:77"
    assert article.published_at == datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
    assert entry.updated == datetime(2026, 12, 3, 9, 15, tzinfo=UTC)
    assert article.wire.version == int(entry.updated.timestamp())
    assert article.wire.byline == "Luc Neige" and article.wire.language == "fr"
    assert article.wire.subjects == (Subject(code="https://mw.example/topics/weather", name="Weather"),)


def test_folder_source_when_the_feed_has_no_title() -> None:
    untitled = RSS1.replace("<title>Valley Courier</title>", "")
    (article,) = parse_feed(untitled, origin="v.rdf", folder_source="valley")
    assert article.source == "valley"


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ("just some words", "not an RSS or Atom feed"),
        ("<html><body><p>A web page</p></body></html>", "not an RSS or Atom feed"),
        ('<rss version="2.0"><channel><title>x</title><item>', "not an RSS or Atom feed"),
    ],
)
def test_not_a_feed(document: str, reason: str) -> None:
    if document.startswith("<rss"):
        # A truncated feed is still a feed (feedparser reads what it can): no entry, but a version.
        assert parse_feed(document, origin="x", folder_source=None) == []
        return
    with pytest.raises(InvalidInput, match=reason):
        parse_feed(document, origin="x", folder_source=None)


def test_feeds_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yml"
    assert load_feeds(path) == []  # missing file: no feeds
    feeds = [FeedConfig(url="https://a.example/rss"), FeedConfig(url="https://b.example/atom", interval_s=60)]
    save_feeds(path, feeds)
    assert load_feeds(path) == feeds
    path.write_text("feeds:\n  - url: ftp://x\n")
    with pytest.raises(FeedsFileError, match="must start with http"):
        load_feeds(path)
    path.write_text("feeds:\n  - url: https://x\n    intervall_s: 5\n")
    with pytest.raises(FeedsFileError, match="intervall_s"):
        load_feeds(path)
