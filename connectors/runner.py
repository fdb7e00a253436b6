"""`wiredesk run`: the whole pipeline on the local servers, for a person at a terminal."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from wiredesk.connectors import servers
from wiredesk.connectors.elastic import sync_client
from wiredesk.connectors.feeds import FeedPoller, PollResult
from wiredesk.connectors.producer import ArticleProducer, Summary, watch
from wiredesk.connectors.progress import send_with_progress
from wiredesk.connectors.worker import EXIT_STOP_TIMEOUT, prepare_search
from wiredesk.pipeline.models import utcnow
from wiredesk.pipeline.settings import Settings

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
# Seconds a worker gets to finish its batch and commit after SIGTERM before it is killed.
STOP_GRACE_S = 30.0


class WorkerDied(RuntimeError):
    pass


def _stopped_with_parent() -> Callable[[], None] | None:
    """For the worker's fork: SIGTERM (a clean stop) when the `wiredesk run` that started it dies, even by kill -9,
    so no orphan keeps re-creating topics on the next run's servers. prctl is looked up here, before the fork: the
    child then only makes the system call. Not Linux: None, and a killed run leaves its worker behind."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return lambda: prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def start_worker(settings: Settings) -> tuple[subprocess.Popen[bytes], Path]:
    log_path = settings.data_dir / f"worker-{settings.worker_id}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "wiredesk.connectors.cli", "worker"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=os.environ.copy(),
            preexec_fn=_stopped_with_parent(),  # one system call in the child: no lock to deadlock on
        )
    return proc, log_path


def stop_worker(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, grace_s: float = STOP_GRACE_S) -> int:
    """Ask a process to stop; kill it if it has not within the grace period. Returns its exit code."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(grace_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def read_outcomes(es: Elasticsearch, index: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The outcomes recorded so far for `ids` (after a refresh, so what was just written is seen)."""
    found: dict[str, dict[str, Any]] = {}
    es.indices.refresh(index=index)
    # 500 ids per request keeps a request small (~20 KB of ids) however many articles are waited for.
    for start in range(0, len(ids), 500):
        for doc in es.mget(index=index, ids=list(ids[start : start + 500]))["docs"]:
            if doc.get("found"):
                found[doc["_id"]] = doc["_source"]
    return found


def wait_for_outcomes(
    settings: Settings,
    ids: Sequence[str],
    proc: subprocess.Popen[bytes] | None,
    timeout_s: float,
    console: Console,
    since: datetime | None = None,
) -> dict[str, dict[str, Any]]:
    """Poll the outcome ledger until every id has an outcome (recorded at or after `since`, so an article sent
    again is waited for anew, not answered from an earlier run); show progress; fail fast if the worker dies."""
    es = sync_client(settings)
    wanted = list(dict.fromkeys(ids))
    found: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + timeout_s
    with Progress(
        TextColumn("processing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("wait", total=len(wanted))
        while len(found) < len(wanted):
            if proc is not None and proc.poll() is not None:
                raise WorkerDied(f"the worker exited with code {proc.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{len(wanted) - len(found)} of {len(wanted)} articles still in flight after {timeout_s:.0f} s"
                )
            fresh = read_outcomes(es, settings.outcomes_index, [i for i in wanted if i not in found])
            found.update({i: o for i, o in fresh.items() if since is None or datetime.fromisoformat(o["at"]) >= since})
            bar.update(task, completed=len(found))
            if len(found) < len(wanted):
                time.sleep(0.3)
    return found


def show(settings: Settings, outcomes: dict[str, dict[str, Any]], out: Console) -> None:
    es = sync_client(settings)
    es.indices.refresh(index=settings.index_name)
    for article_id, outcome in outcomes.items():
        kind = outcome["outcome"]
        if kind != "indexed":
            detail = outcome.get("duplicate_of") or outcome.get("reason") or ""
            out.print(f"[yellow]{kind}[/] {escape(outcome.get('origin') or article_id)} {escape(detail)}")
            continue
        doc = es.get(index=settings.index_name, id=article_id, source_excludes=["body", "cleaning.removed"])["_source"]
        dedup = doc.get("dedup", {})
        out.print(f"[green]indexed[/] [bold]{escape(doc['title'])}[/]")
        out.print(
            f"  {escape(doc.get('origin') or '')} · source {escape(doc.get('source') or 'unknown')} · "
            f"story {doc['story_id']} ({dedup.get('level')}{', canonical' if dedup.get('is_canonical') else ''})"
        )
        by_label: dict[str, list[str]] = {}
        for ent in doc.get("entities", []):
            by_label.setdefault(ent["label"], []).append(ent["name"])
        for label, names in sorted(by_label.items()):
            out.print(f"  {label:<8} {escape(', '.join(names))}")
        if doc.get("tags"):
            out.print(f"  tags     {escape(', '.join(doc['tags']))}")


def _ingest(
    settings: Settings,
    summary: Summary,
    proc: subprocess.Popen[bytes],
    timeout_s: float,
    console: Console,
    out: Console,
    since: datetime | None = None,
) -> None:
    if summary.sent:
        show(settings, wait_for_outcomes(settings, summary.sent, proc, timeout_s, console, since), out)


def _feed_reporter(console: Console, out: Console, sent: list[str]) -> Callable[[PollResult], None]:
    """Print one line per poll that did something, and each article sent; collect the sent ids in `sent`."""

    def report(result: PollResult) -> None:
        if result.status == "not modified" or (result.status == "ok" and not result.articles and not result.skipped):
            return  # nothing new: a line every interval per feed would drown the rest
        colour = "red" if result.status == "error" else "cyan"
        console.print(f"[{colour}]feed[/] {escape(result.line())}")
        for article in result.articles:
            out.print(f"  [cyan]sent[/] {escape(article.title or article.origin)} · {escape(article.origin)}")
        for where, why in result.fallbacks:
            console.print(f"  [yellow]feed's own text[/] {escape(where)}: {escape(why)}")
        for where, why in result.dead_lettered + result.skipped:
            console.print(f"  [yellow]not usable[/] {escape(where)}: {escape(why)}")
        sent.extend(a.article_id for a in result.articles)

    return report


class FeedThread:
    """The feed poller in the background of `wiredesk run`: started and stopped with it."""

    def __init__(self, settings: Settings, producer: ArticleProducer, console: Console, out: Console) -> None:
        self._stop = threading.Event()
        report = _feed_reporter(console, out, [])

        def poll() -> None:
            poller = FeedPoller(settings, producer)  # made in this thread: its sqlite connection lives here
            try:
                poller.run(settings.feeds_path, report, self._stop)
            finally:
                poller.close()

        self._thread = threading.Thread(target=poll, name="feed-poller", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float) -> None:
        """Stop after the poll in progress (bounded by the HTTP timeout)."""
        self._stop.set()
        if self._thread.is_alive():  # not started with --once, or when the seeds failed
            self._thread.join(timeout_s)


def poll_feeds_once(settings: Settings, producer: ArticleProducer, console: Console, out: Console) -> Summary:
    """Each configured feed polled once, in this thread; the articles sent."""
    sent: list[str] = []
    poller = FeedPoller(settings, producer)
    try:
        poller.run(settings.feeds_path, _feed_reporter(console, out, sent), threading.Event(), once=True)
    finally:
        poller.close()
    return Summary(sent=sent)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run_local(
    settings: Settings,
    *,
    seeds_dir: Path,
    inbox_dir: Path,
    once: bool,
    timeout_s: float,
    console: Console,
    out: Console,
) -> int:
    # SIGTERM (`kill`, a supervisor, `docker stop`) stops like Ctrl-C: the worker, then the servers. Without it
    # Python would exit at once and leave both running; and a `wiredesk run` started in the background of a
    # script, where SIGINT is ignored, could not be stopped cleanly at all.
    signal.signal(signal.SIGTERM, _interrupt)
    console.print("starting the local servers …")
    started = servers.up(settings)
    prepare_search(settings)
    proc, log_path = start_worker(settings)
    console.print(f"worker started (pid {proc.pid}, log {escape(str(log_path))})")
    producer = ArticleProducer(settings)
    feeds = FeedThread(settings, producer, console, out)
    try:
        # The seeds are the same articles on every run: wait for this run's outcomes, not the last run's. A
        # second of slack for the worker's clock, read from the same machine.
        since = utcnow() - timedelta(seconds=1)
        summary = send_with_progress(producer, [seeds_dir], console) if seeds_dir.exists() else Summary()
        _ingest(settings, summary, proc, timeout_s, console, out, since)
        if once:
            _ingest(settings, poll_feeds_once(settings, producer, console, out), proc, timeout_s, console, out, since)
            return 0
        feeds.start()
        console.print(
            f"\nwatching {escape(str(inbox_dir))}/ — drop article files there; Ctrl-C stops. "
            "Search with: wiredesk search QUERY"
        )
        console.print(f"polling the feeds of {settings.feeds_path} (add one with: wiredesk feeds add URL)")

        def report(s: Summary) -> None:
            for path, reason in s.dead_lettered:
                out.print(f"[yellow]dead-lettered[/] {escape(path)}: {escape(reason)}")
            _ingest(settings, s, proc, timeout_s, console, out)

        watch(settings, inbox_dir, producer, report)
        return 0
    except KeyboardInterrupt:
        return 0
    except (WorkerDied, TimeoutError) as exc:
        console.print(f"[red]{escape(str(exc))}[/] — last lines of {escape(str(log_path))}:")
        console.print(escape("\n".join(log_path.read_text(errors="replace").splitlines()[-30:])))
        return 1
    finally:
        console.print("stopping …")
        # A poll in progress finishes within one HTTP timeout per request; the thread is a daemon, so a stuck
        # one cannot keep the process alive after that.
        feeds.stop(settings.feed_timeout_s)
        producer.close()
        code = stop_worker(proc)
        why = (
            " — a server stopped answering: uncommitted work is redone on the next run"
            if code == EXIT_STOP_TIMEOUT
            else ""
        )
        console.print(f"worker stopped (exit {code}){why}")
        if started:
            servers.down(settings)
            console.print("local servers stopped")
