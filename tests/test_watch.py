"""The drop-folder watcher without Kafka: a file is sent once it has settled, again when its content changes,
and a file already sent is not read again on every look (only when its size or modification time moves)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from wiredesk.connectors import producer
from wiredesk.connectors.producer import Ledger, Summary, watch
from wiredesk.pipeline.settings import Settings

INTERVAL_S = 0.05


class FakeProducer:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def send_files(
        self, files: Iterable[tuple[Path, Path | None]], on_done: Callable[[Path, str | None], None] | None = None
    ) -> Summary:
        summary = Summary()
        for path, _root in files:
            self.sent.append(path.name)
            summary.sent.append(path.name)
            if on_done:
                on_done(path, path.name)
        return summary


def watching(tmp_path: Path, inbox: Path, act: Callable[[], None], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    reads: list[str] = []
    real = Ledger.digest

    def counting(path: Path) -> str:
        reads.append(path.name)
        return real(path)

    monkeypatch.setattr(producer.Ledger, "digest", staticmethod(counting))
    settings = Settings(data_dir=tmp_path / "state", watch_interval_s=INTERVAL_S)
    fake = FakeProducer()
    stop = threading.Event()
    thread = threading.Thread(target=watch, args=(settings, inbox, fake, lambda _s: None, stop.is_set))
    thread.start()
    try:
        act()
    finally:
        stop.set()
        thread.join(5)
    return {"sent": fake.sent, "reads": reads}


def settle() -> None:
    time.sleep(10 * INTERVAL_S)


def test_sent_once_resent_when_changed_and_not_reread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    story = inbox / "story.txt"

    def act() -> None:
        story.write_text("Title\n\nFirst version of the body.")
        settle()
        story.write_text("Title\n\nSecond version of the body, corrected.")
        os.utime(story, ns=(time.time_ns(), time.time_ns() + 1_000_000))  # a new mtime even on a coarse clock
        settle()

    seen = watching(tmp_path, inbox, act, monkeypatch)
    assert seen["sent"] == ["story.txt", "story.txt"]
    # Read once per version: the looks in between cost a stat, not a read (~20 looks happened).
    assert seen["reads"] == ["story.txt", "story.txt"]
