"""Send article files to the raw topic with kafka-python: acks=all, idempotent, every send checked."""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaError, KafkaTimeoutError

from wiredesk.connectors.files import is_candidate, read_articles
from wiredesk.connectors.formats import ItemError
from wiredesk.connectors.security import kafka_kwargs
from wiredesk.pipeline.errors import InvalidInput
from wiredesk.pipeline.fate import dead_letter, headers
from wiredesk.pipeline.models import DeadLetter, RawArticle
from wiredesk.pipeline.settings import Settings

STAGE = "produce"
log = logging.getLogger(__name__)


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
        """Bounded, so Ctrl-C never hangs on a broker that stopped answering. Every send is already awaited where
        it is made (nothing is recorded as sent before the broker's ack), so what a timeout leaves unsent is sent
        again by the next run."""
        try:
            self._producer.flush(timeout=self.settings.request_timeout_s)
        except KafkaTimeoutError:
            log.warning("the broker did not take the last records within %.0f s", self.settings.request_timeout_s)
        self._producer.close(timeout=self.settings.request_timeout_s)

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

    def send_dead_letters(self, letters: Sequence[DeadLetter]) -> Summary:
        """Dead-letter what a poller could not make an article of, and wait until the broker has every letter;
        `Summary.dead_lettered` lists (origin, reason) of those it acknowledged."""
        summary = Summary()
        futures = [(letter, self._send_letter(letter)) for letter in letters]
        self._producer.flush()
        for letter, future in futures:
            try:
                future.get(timeout=self.settings.request_timeout_s)
            except KafkaError as exc:
                summary.failed.append((letter.origin or "", f"{type(exc).__name__}: {exc}"))
            else:
                summary.dead_lettered.append((letter.origin or "", letter.message))
        return summary

    def _send_letter(self, letter: DeadLetter) -> Any:
        return self._producer.send(
            self.settings.topic_dlq,
            key=(letter.origin or letter.article_id or "").encode(),
            value=letter.model_dump_json().encode(),
            headers=headers(letter),
        )

    def send_files(
        self, files: Iterable[tuple[Path, Path | None]], on_done: Callable[[Path, str | None], None] | None = None
    ) -> Summary:
        """Send every article of each file, and a dead letter for the file (unreadable, unrecognised) or for each
        item of it that is not an article; then wait for every future. `on_done(path, article_id)` is called only
        once the broker has acknowledged everything sent for that file; `article_id` is its first article's
        (None when it held none)."""
        summary = Summary()
        # per file: [(article id, or None for a dead letter; origin; reason; future)]
        pending: dict[Path, list[tuple[str | None, str, str, Any]]] = {}
        for path, root in files:
            sends = pending.setdefault(path, [])
            try:
                items = read_articles(path, max_bytes=self.settings.max_file_bytes, root=root)
            except InvalidInput as exc:
                raw = _safe_read(path, self.settings.max_file_bytes)
                sends.append((None, str(path), str(exc), self._refuse(raw, exc, origin=str(path))))
                continue
            for item in items:
                if isinstance(item, ItemError):
                    future = self._refuse(item.payload.encode(), item.error, origin=item.origin)
                    sends.append((None, item.origin, str(item.error), future))
                else:
                    future = self._producer.send(
                        self.settings.topic_raw, key=item.article_id.encode(), value=item.model_dump_json().encode()
                    )
                    sends.append((item.article_id, item.origin, "", future))
        self._producer.flush()
        for path, sends in pending.items():
            delivered = True
            for article_id, origin, reason, future in sends:
                try:
                    future.get(timeout=self.settings.request_timeout_s)
                except KafkaError as exc:
                    summary.failed.append((origin, f"{type(exc).__name__}: {exc}"))
                    delivered = False
                    continue
                if article_id is None:
                    summary.dead_lettered.append((origin, reason))
                else:
                    summary.sent.append(article_id)
            if delivered and on_done:
                # Recorded only when all of it is in: a file with one unsent item is sent again, whole (the
                # articles already sent get the same ids and are recognised as redeliveries downstream).
                on_done(path, next((a for a, *_ in sends if a is not None), None))
        return summary

    def _refuse(self, raw: bytes, exc: InvalidInput, *, origin: str) -> Any:
        """Dead-letter a file, or an item of one, that is no article."""
        letter = dead_letter(
            raw, exc, stage=STAGE, worker_id=self.settings.worker_id, source_topic="(file)", origin=origin
        )
        return self._send_letter(letter)


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
