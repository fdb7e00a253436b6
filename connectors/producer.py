"""Send article files to the raw topic with kafka-python: acks=all, idempotent, every send checked."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaError

from connectors.files import is_candidate, read_article
from connectors.security import kafka_kwargs
from pipeline.errors import InvalidInput
from pipeline.fate import dead_letter, headers
from pipeline.models import RawArticle
from pipeline.settings import Settings

STAGE = "produce"


@dataclass
class Summary:
    sent: list[str] = field(default_factory=list)  # article ids
    dead_lettered: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, error): not delivered at all

    def line(self) -> str:
        return f"sent {len(self.sent)}, dead-lettered {len(self.dead_lettered)}, failed {len(self.failed)}"


def expand(paths: Iterable[Path]) -> Iterator[tuple[Path, Path | None]]:
    """(file, drop-folder root) pairs: a folder means every candidate file below it, in name order."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if is_candidate(child):
                    yield child, path
        else:
            yield path, None


class ArticleProducer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._producer = KafkaProducer(
            **kafka_kwargs(settings),
            client_id=f"{settings.app_id}-producer",
            acks="all",
            enable_idempotence=True,
            # A few ms of lingering batches a folder of files into a handful of requests.
            linger_ms=5,
            max_request_size=settings.max_file_bytes * 2,
        )

    def close(self) -> None:
        self._producer.flush()
        self._producer.close()

    def send_articles(self, articles: Sequence[RawArticle]) -> Summary:
        """Send articles that did not come from a file (a polled feed) and wait until the broker has every one;
        `Summary.failed` names what it refused, by origin."""
        summary = Summary()
        futures = [
            (
                a,
                self._producer.send(
                    self.settings.topic_raw, key=a.article_id.encode(), value=a.model_dump_json().encode()
                ),
            )
            for a in articles
        ]
        self._producer.flush()
        for article, future in futures:
            try:
                future.get(timeout=self.settings.request_timeout_s)
            except KafkaError as exc:
                summary.failed.append((article.origin, f"{type(exc).__name__}: {exc}"))
            else:
                summary.sent.append(article.article_id)
        return summary

    def send_files(
        self, files: Iterable[tuple[Path, Path | None]], on_done: Callable[[Path, str | None], None] | None = None
    ) -> Summary:
        """Send each file (or its dead letter), then wait for every future. `on_done(path, article_id)` is
        called only once the broker has acknowledged that file."""
        summary = Summary()
        pending: list[tuple[Path, str | None, str | None, Any]] = []
        for path, root in files:
            try:
                article = read_article(path, max_bytes=self.settings.max_file_bytes, root=root)
            except InvalidInput as exc:
                raw = _safe_read(path, self.settings.max_file_bytes)
                letter = dead_letter(
                    raw, exc, stage=STAGE, worker_id=self.settings.worker_id, source_topic="(file)", origin=str(path)
                )
                future = self._producer.send(
                    self.settings.topic_dlq,
                    key=str(path).encode(),
                    value=letter.model_dump_json().encode(),
                    headers=headers(letter),
                )
                pending.append((path, None, str(exc), future))
                continue
            future = self._producer.send(
                self.settings.topic_raw, key=article.article_id.encode(), value=article.model_dump_json().encode()
            )
            pending.append((path, article.article_id, None, future))
        self._producer.flush()
        for path, article_id, reason, future in pending:
            try:
                future.get(timeout=self.settings.request_timeout_s)
            except KafkaError as exc:
                summary.failed.append((str(path), f"{type(exc).__name__}: {exc}"))
                continue
            if article_id is None:
                summary.dead_lettered.append((str(path), reason or ""))
            else:
                summary.sent.append(article_id)
            if on_done:
                on_done(path, article_id)
        return summary


def send_paths(settings: Settings, paths: Iterable[Path]) -> Summary:
    """Send files or folders once, with a producer of their own: for scripts, tests and benchmarks."""
    producer = ArticleProducer(settings)
    try:
        return producer.send_files(expand(paths))
    finally:
        producer.close()


def _safe_read(path: Path, limit: int) -> bytes:
    """What to keep of an unusable file in its dead letter: at most `limit` bytes, nothing if it is gone."""
    try:
        with path.open("rb") as fh:
            return fh.read(limit)
    except OSError:
        return b""


class Ledger:
    """Which files of a drop folder were already sent, by path and content hash, so a restarted watcher
    resends nothing, and a file whose content changed is sent again."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS sent"
            " (path TEXT, sha256 TEXT, article_id TEXT, at REAL, PRIMARY KEY (path, sha256))"
        )

    @staticmethod
    def digest(path: Path) -> str:
        return hashlib.sha256(path.read_bytes()).hexdigest()

    def seen(self, path: Path, digest: str) -> bool:
        row = self._db.execute("SELECT 1 FROM sent WHERE path=? AND sha256=?", (str(path), digest)).fetchone()
        return row is not None

    def record(self, path: Path, digest: str, article_id: str | None) -> None:
        self._db.execute("INSERT OR IGNORE INTO sent VALUES (?, ?, ?, ?)", (str(path), digest, article_id, time.time()))
        self._db.commit()


def watch(
    settings: Settings,
    folder: Path,
    producer: ArticleProducer,
    report: Callable[[Summary], None],
    stop: Callable[[], bool] = lambda: False,
) -> None:
    """Poll `folder`; send each new or changed file once. A file is picked up once its size and modification
    time have stayed the same for one poll interval, so a file still being copied in is not sent half-written.
    A file is read and hashed only when its size or modification time changed: a folder of thousands of
    sent files costs a `stat` each per poll, not a read."""
    folder.mkdir(parents=True, exist_ok=True)
    ledger = Ledger(settings.data_dir / "produced.sqlite")
    last: dict[Path, tuple[int, int]] = {}  # (size, mtime) at the previous poll
    settled: dict[Path, tuple[int, int]] = {}  # (size, mtime) at which a file was sent or found in the ledger
    pending: dict[Path, tuple[str, tuple[int, int]]] = {}  # this poll's files to send: digest, (size, mtime)

    def done(path: Path, article_id: str | None) -> None:
        digest, state = pending[path]
        ledger.record(path, digest, article_id)
        settled[path] = state

    while not stop():
        ready: list[tuple[Path, Path | None]] = []
        pending.clear()
        for path, root in expand([folder]):
            try:
                st = path.stat()
                state = (st.st_size, st.st_mtime_ns)
                if settled.get(path) == state:
                    continue
                if last.get(path) != state:
                    last[path] = state
                    continue
                digest = ledger.digest(path)
            except OSError:
                continue  # vanished between listing and reading: nothing to send
            if ledger.seen(path, digest):
                settled[path] = state
            else:
                ready.append((path, root))
                pending[path] = (digest, state)
        if ready:
            report(producer.send_files(ready, on_done=done))
        time.sleep(settings.watch_interval_s)
