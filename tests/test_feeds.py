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
from typing import Any

import pytest

from bench.feedsite import Item, Site, serve
from tests.conftest import ROOT, WorkerProcess, free_port, settings_env
from wiredesk.connectors.elastic import sync_client
from wiredesk.connectors.feeds import FeedConfig, FeedPoller, FeedsFileError, load_feeds, save_feeds
from wiredesk.connectors.formats import ItemError
from wiredesk.connectors.formats.feed import parse_feed, read_feed
from wiredesk.connectors.producer import ArticleProducer
from wiredesk.pipeline.errors import InvalidInput
from wiredesk.pipeline.models import ContentType, Subject, article_id_for
from wiredesk.pipeline.settings import Settings

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
    <content:encoded><![CDATA[<p>Dock workers returned on <b>Tuesday</b>.</p>
      <p>Cranes moved again.</p>]]></content:encoded>
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
    items = parse_feed(RSS2, origin="harbour.xml", folder_source=None)
    articles = [i for i in items if not isinstance(i, ItemError)]
    assert [a.title for a in articles] == ["Port strike ends", "Ferry timetable", "Link only"]
    assert articles[2].text == "Link only"
    # The entry with neither text nor link is dead-lettered with its reason, not lost.
    assert [(i.origin, str(i.error)) for i in items if isinstance(i, ItemError)] == [
        ("harbour.xml#3", "entry has neither text (content or summary) nor a link")
    ]


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
        # A truncated feed is still a feed (feedparser reads what it can): an empty entry, dead-lettered.
        (item,) = parse_feed(document, origin="x", folder_source=None)
        assert isinstance(item, ItemError) and item.origin == "x#1"
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


# Integration: the poller against a local site, broker and index. The worker loads spaCy and joins its group
# within seconds; two minutes leaves room for a slow CI machine.
TIMEOUT_S = 120.0
PARAGRAPHS = (
    "The harbour authority confirmed on Tuesday that the container terminal will reopen after a week of repairs.",
    "Shipping lines had diverted more than forty vessels to neighbouring ports while the quay was rebuilt.",
    "Officials said the new cranes can handle ships twice the size of those that called last year.",
)


def make_item(slug: str, *, summary: str | None = None, **kw: Any) -> Item:
    body = tuple(f"{p} ({slug})" for p in PARAGRAPHS)
    summary = f"Short summary of {slug}." if summary is None else summary
    return Item(slug=slug, title=f"Terminal reopens {slug}", summary=summary, body=body, **kw)


@pytest.fixture
def site() -> Iterator[Site]:
    with serve(Site()) as s:
        yield s


@pytest.fixture
def settings(backend: Settings, tmp_path: Path) -> Settings:
    """The session's servers, with this test's own poll state and feeds file; no waiting between polls."""
    return backend.model_copy(update={"data_dir": tmp_path, "feeds_path": tmp_path / "feeds.yml", "feed_tick_s": 0.1})


@pytest.fixture
def producer(settings: Settings) -> Iterator[ArticleProducer]:
    p = ArticleProducer(settings)
    yield p
    p.close()


def indexed(settings: Settings, worker: WorkerProcess, ids: list[str]) -> dict[str, dict[str, Any]]:
    from rich.console import Console

    from wiredesk.connectors.runner import wait_for_outcomes

    outcomes = wait_for_outcomes(settings, ids, worker.proc, TIMEOUT_S, Console(quiet=True))
    assert {o["outcome"] for o in outcomes.values()} == {"indexed"}, outcomes
    es = sync_client(settings)
    return {i: es.get(index=settings.index_name, id=i)["_source"] for i in ids}


@pytest.mark.integration
def test_poll_indexes_page_text_then_304_then_restart_then_new_item(
    settings: Settings, worker: WorkerProcess, site: Site, producer: ArticleProducer
) -> None:
    for slug in ("a1", "a2", "a3"):
        site.add("/rss.xml", make_item(slug, published=datetime(2026, 12, 1, 9, tzinfo=UTC)))
    feed = FeedConfig(url=f"{site.url}/rss.xml", interval_s=60)
    poller = FeedPoller(settings, producer)
    first = poller.poll(feed)
    assert first.status == "ok" and first.entries == 3 and first.from_page == 3 and not first.fallbacks
    ids = [a.article_id for a in first.articles]
    assert len(set(ids)) == 3
    # (a) every item indexed with the page's main text (not the summary, not the navigation or footer)
    slugs = {a.article_id: str(a.url).rsplit("/", 1)[1].removesuffix(".html") for a in first.articles}
    for article_id, doc in indexed(settings, worker, ids).items():
        slug = slugs[article_id]
        assert doc["title"] == f"Terminal reopens {slug}"
        assert doc["url"] == site.page_url(slug)
        assert doc["wire"]["byline"] == "Jane Reporter"
        assert doc["wire"]["guid"] == f"urn:site:{slug}"
        assert doc["source"] == "Local Gazette"
        body = str(doc["body"])
        assert all(p in body for p in (f"{q} ({slug})" for q in PARAGRAPHS)), body
        assert "Short summary" not in body and "newsletter" not in body and "Sport" not in body
    # (b) nothing changed: the server answers 304 to the validators it gave, and nothing is sent
    second = poller.poll(feed)
    assert second.status == "not modified" and second.articles == []
    last = site.seen("/rss.xml")[-1]
    assert last.status == 304 and last.headers["if-none-match"] and last.headers["if-modified-since"]
    assert last.headers["user-agent"].startswith("wiredesk/")
    poller.close()
    # (c) a restarted poller, against a server that ignores the validators, sends nothing it sent before
    site.honour_validators = False
    restarted = FeedPoller(settings, producer)
    third = restarted.poll(feed)
    assert third.status == "ok" and third.entries == 3 and third.articles == []
    # (d) a new item is picked up by the next poll, alone
    site.add("/rss.xml", make_item("a4"))
    fourth = restarted.poll(feed)
    assert [a.url for a in fourth.articles] == [site.page_url("a4")]
    (doc,) = indexed(settings, worker, [fourth.articles[0].article_id]).values()
    assert PARAGRAPHS[1] in str(doc["body"])
    assert restarted.state.status(feed.url).items_seen == 4
    restarted.close()


@pytest.mark.integration
def test_updated_entry_is_sent_again_as_a_new_version(
    settings: Settings, worker: WorkerProcess, site: Site, producer: ArticleProducer
) -> None:
    v1 = datetime(2026, 12, 1, 9, tzinfo=UTC)
    site.add("/rss.xml", make_item("u1", updated=v1))
    feed = FeedConfig(url=f"{site.url}/rss.xml", fetch_pages=False)
    poller = FeedPoller(settings, producer)
    (first,) = poller.poll(feed).articles
    assert first.wire.version == int(v1.timestamp()) and first.text == "Short summary of u1."
    assert poller.poll(feed).articles == []
    site.items["u1"].updated = v2 = datetime(2026, 12, 1, 11, tzinfo=UTC)
    site.items["u1"].summary = "Corrected summary of u1."
    (second,) = poller.poll(feed).articles
    assert second.article_id == first.article_id and second.wire.version == int(v2.timestamp())
    assert second.text == "Corrected summary of u1."
    poller.close()


@pytest.mark.integration
def test_page_error_falls_back_to_the_summary_and_no_text_is_dead_lettered(
    settings: Settings, worker: WorkerProcess, site: Site, producer: ArticleProducer
) -> None:
    site.add("/rss.xml", make_item("e1", page_status=500))
    site.add("/rss.xml", make_item("e2", page_status=500, summary=""))
    poller = FeedPoller(settings, producer)
    result = poller.poll(FeedConfig(url=f"{site.url}/rss.xml"))
    (article,) = result.articles
    assert article.url == site.page_url("e1") and article.text == "Short summary of e1."
    assert [(where, why) for where, why in result.fallbacks] == [
        (site.page_url("e2"), f"page {site.page_url('e2')}: HTTP 500 Internal Server Error"),
        (site.page_url("e1"), f"page {site.page_url('e1')}: HTTP 500 Internal Server Error"),
    ]
    ((where, reason),) = result.dead_lettered
    assert where == site.page_url("e2") and reason.startswith("no text: the entry has no content or summary")
    (doc,) = indexed(settings, worker, [article.article_id]).values()
    assert "Short summary of e1." in str(doc["body"])
    # The dead-lettered entry is recorded too: it is not dead-lettered again on every poll.
    site.honour_validators = False
    assert poller.poll(FeedConfig(url=f"{site.url}/rss.xml")).dead_lettered == []
    poller.close()


@pytest.mark.integration
def test_failing_feed_backs_off_and_does_not_stop_the_others(
    settings: Settings, site: Site, producer: ArticleProducer
) -> None:
    import threading

    site.add("/good.xml", make_item("g1"))
    site.feed_status["/bad.xml"] = 500
    bad = FeedConfig(url=f"{site.url}/bad.xml", interval_s=10)
    good = FeedConfig(url=f"{site.url}/good.xml", interval_s=10)
    save_feeds(settings.feeds_path, [bad, good])
    # The jitter at its upper bound: the delays are the exponential ceiling itself.
    poller = FeedPoller(settings, producer, uniform=lambda low, high: high)
    results = []
    delays = []
    for _ in range(3):
        poller.run(settings.feeds_path, results.append, threading.Event(), once=True)
        st = poller.state.status(bad.url)
        assert st.last_poll is not None and st.next_poll is not None
        delays.append(round(st.next_poll - st.last_poll))
    assert delays == [20, 40, 80]
    assert poller.state.status(bad.url).errors == 3
    assert poller.state.status(bad.url).last_error == "HTTP 500 Internal Server Error"
    assert results[4].line() == f"{bad.url}: error (HTTP 500 Internal Server Error); next try in 80 s"
    assert [r.status for r in results] == ["error", "ok", "error", "not modified", "error", "not modified"]
    assert [a.url for a in results[1].articles] == [site.page_url("g1")]
    # A failing feed is not due before its back-off is over; the good one is due after its interval.
    assert poller.due([bad, good], time.time() + 11) == [good]
    del site.feed_status["/bad.xml"]
    site.add("/bad.xml", make_item("b1"))
    recovered = poller.poll(bad)
    assert recovered.status == "ok" and poller.state.status(bad.url).errors == 0
    poller.close()


def run_settings(tmp_path: Path, worker_id: str, **extra: float) -> Settings:
    """Settings for a `wiredesk run` of its own: its own local servers, ports and data dir."""
    return Settings(
        broker_url=f"kafka://127.0.0.1:{free_port()}",
        search_url=f"http://127.0.0.1:{free_port()}",
        data_dir=tmp_path / "data",
        worker_id=worker_id,
        web_port=free_port(),
        metrics_port=free_port(),
        feeds_path=tmp_path / "feeds.yml",
        **extra,
    )


def start_run(tmp_path: Path, settings: Settings) -> tuple[subprocess.Popen[bytes], Path]:
    """`wiredesk run` in its own process with `settings`, no seeds; its output in run.log."""
    log = tmp_path / "run.log"
    env = {**os.environ, **settings_env(settings)}
    args = ["run", "--seeds", str(tmp_path / "no-seeds"), "--inbox", str(tmp_path / "inbox")]
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "wiredesk.connectors.cli", *args], cwd=ROOT, env=env, stdout=fh, stderr=fh
        )
    return proc, log


@pytest.mark.integration
def test_run_polls_feeds_in_the_background(tmp_path: Path, site: Site) -> None:
    """`wiredesk run` with a feeds.yml: an item is indexed, then one added later is indexed too."""
    site.add("/rss.xml", make_item("r1"))
    settings = run_settings(tmp_path, "test-run-feeds", feed_tick_s=0.2)
    save_feeds(settings.feeds_path, [FeedConfig(url=f"{site.url}/rss.xml", interval_s=1)])
    proc, log = start_run(tmp_path, settings)
    try:
        guid_id = {n: article_id_for(guid=f"urn:site:r{n}", url=None, source=None, title=None, text="") for n in "12"}
        wait_doc(settings, guid_id["1"], proc, log)
        site.add("/rss.xml", make_item("r2"))
        doc = wait_doc(settings, guid_id["2"], proc, log)
        assert doc["title"] == "Terminal reopens r2" and PARAGRAPHS[0] in doc["body"]
        assert "Terminal reopens r1" in log.read_text()  # the progress line of the first item
    finally:
        # SIGTERM, what a supervisor sends; it stops like Ctrl-C (SIGINT is ignored if the suite runs in the
        # background of a non-interactive shell).
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGUSR1)  # every thread's stack into the log: where it waits
            time.sleep(1)
            proc.kill()
            proc.wait()
    worker_logs = "".join(f.read_text(errors="replace")[-3000:] for f in (tmp_path / "data").glob("*.log"))
    assert "local servers stopped" in log.read_text(), f"{log.read_text()[-6000:]}\n--- worker:\n{worker_logs}"


@pytest.mark.integration
def test_a_killed_run_takes_its_worker_with_it(tmp_path: Path) -> None:
    """kill -9 of `wiredesk run` (no chance to clean up): its worker stops too instead of living on as an orphan."""
    import re

    from wiredesk.connectors import servers

    settings = run_settings(tmp_path, "test-run-killed")
    proc, log = start_run(tmp_path, settings)
    worker = 0
    try:
        deadline = time.monotonic() + TIMEOUT_S
        while not (found := re.search(r"worker started \(pid (\d+)", log.read_text())):
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)
        worker = int(found.group(1))
        proc.kill()
        proc.wait()
        # SIGTERM on the parent's death: the worker stops as it does on Ctrl-C (Faust's stop, then exit).
        deadline = time.monotonic() + 60
        while Path(f"/proc/{worker}").exists() and "zombie" not in _state(worker):
            assert time.monotonic() < deadline, f"worker {worker} outlived its killed run"
            time.sleep(0.2)
    finally:
        if proc.poll() is None:
            proc.kill()
        if worker and Path(f"/proc/{worker}").exists():
            os.kill(worker, signal.SIGKILL)  # the failure's orphan: not left to the next tests
        servers.down(settings)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split("\n")[0].lower()
    except (OSError, IndexError):
        return "zombie"


@pytest.mark.integration
def test_run_once_polls_each_feed_once_and_shows_what_was_indexed(tmp_path: Path, site: Site) -> None:
    site.add("/rss.xml", make_item("o1"))
    settings = run_settings(tmp_path, "test-run-once-feeds")
    save_feeds(settings.feeds_path, [FeedConfig(url=f"{site.url}/rss.xml")])
    env = {**os.environ, **settings_env(settings), "COLUMNS": "200"}
    args = ["run", "--once", "--seeds", str(tmp_path / "no-seeds"), "--inbox", str(tmp_path / "inbox")]
    done = subprocess.run(
        [sys.executable, "-m", "wiredesk.connectors.cli", *args], cwd=ROOT, env=env, capture_output=True, timeout=300
    )
    output = (done.stdout + done.stderr).decode()
    assert done.returncode == 0, output
    assert "sent Terminal reopens o1" in output and "indexed Terminal reopens o1" in output
    assert len(site.seen("/rss.xml")) == 1


def wait_doc(settings: Settings, article_id: str, proc: subprocess.Popen[bytes], log: Path) -> dict[str, str]:
    from elastic_transport import ConnectionError as SearchUnreachable
    from elasticsearch import NotFoundError

    deadline = time.monotonic() + TIMEOUT_S
    while True:
        assert proc.poll() is None, f"wiredesk run exited: {log.read_text()[-3000:]}"
        assert time.monotonic() < deadline, f"not indexed within {TIMEOUT_S:.0f} s: {log.read_text()[-3000:]}"
        try:
            return dict(sync_client(settings).get(index=settings.index_name, id=article_id)["_source"])
        except (NotFoundError, SearchUnreachable):
            time.sleep(0.5)


def test_feeds_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from wiredesk.connectors import cli as cli_module
    from wiredesk.connectors.cli import main

    monkeypatch.setattr(cli_module.out, "width", 250)  # the whole table on one line per feed

    env = {"WIREDESK_FEEDS_PATH": str(tmp_path / "feeds.yml"), "WIREDESK_DATA_DIR": str(tmp_path / "data")}

    def cli(*args: str) -> str:
        result = CliRunner().invoke(main, list(args), env=env)
        assert result.exit_code == 0, result.output
        return result.output

    assert "no feeds in" in cli("feeds", "list")
    cli("feeds", "add", "https://a.example/rss", "--interval", "60", "--source", "Example")
    cli("feeds", "add", "https://b.example/atom", "--no-pages")
    assert load_feeds(tmp_path / "feeds.yml") == [
        FeedConfig(url="https://a.example/rss", interval_s=60, source="Example"),
        FeedConfig(url="https://b.example/atom", fetch_pages=False),
    ]
    listing = cli("feeds", "list")
    assert "https://a.example/rss" in listing and "never polled" in listing and "60 s" in listing
    cli("feeds", "remove", "https://a.example/rss")
    assert [f.url for f in load_feeds(tmp_path / "feeds.yml")] == ["https://b.example/atom"]
    result = CliRunner().invoke(main, ["feeds", "remove", "https://a.example/rss"], env=env)
    assert result.exit_code == 1 and "is not in" in result.output
    result = CliRunner().invoke(main, ["feeds", "add", "file:///etc/passwd"], env=env)
    assert result.exit_code == 1 and "must start with http" in result.output


@pytest.mark.integration
def test_feeds_poll_once_command(settings: Settings, site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from wiredesk.connectors import cli as cli_module
    from wiredesk.connectors.cli import main

    monkeypatch.setattr(cli_module.out, "width", 250)
    site.add("/rss.xml", make_item("c1"))
    env = settings_env(settings)
    for args in (["feeds", "add", f"{site.url}/rss.xml"], ["feeds", "poll", "--once"]):
        result = CliRunner().invoke(main, args, env=env)
        assert result.exit_code == 0, result.output
    assert f"{site.url}/rss.xml: 1 new of 1, 1 with page text" in result.output
    listing = CliRunner().invoke(main, ["feeds", "list"], env=env).output
    row = next(line for line in listing.splitlines() if site.url in line)
    cells = [c.strip() for c in row.split("│")[1:-1]]
    assert cells[0] == f"{site.url}/rss.xml" and cells[3:5] == ["ok", "1"] and cells[6] == "", row


def test_a_dropped_feed_entry_with_nothing_to_index_is_an_item_error() -> None:
    empty = RSS2.replace("<channel>", "<channel><item><guid>urn:empty:1</guid></item>", 1)
    items = parse_feed(empty, origin="harbour.xml", folder_source=None)
    errors = [i for i in items if isinstance(i, ItemError)]
    assert len(items) == 5 and [e.origin for e in errors] == ["harbour.xml#1", "harbour.xml#4"]
