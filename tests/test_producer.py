"""The producer against real servers: watch mode sends each file once across restarts; bad files become
dead letters with an outcome."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from rich.console import Console

from connectors.producer import ArticleProducer, Summary, send_paths, watch
from connectors.runner import wait_for_outcomes
from connectors.status import topic_sizes
from pipeline.fate import origin_id
from pipeline.settings import Settings
from tests.conftest import SEEDS, WorkerProcess

pytestmark = pytest.mark.integration


def run_watch(settings: Settings, folder: Path, seconds: float) -> list[Summary]:
    """Watch `folder` for `seconds`, return what each poll sent."""
    reports: list[Summary] = []
    stop = threading.Event()
    producer = ArticleProducer(settings)
    thread = threading.Thread(target=watch, args=(settings, folder, producer, reports.append, stop.is_set))
    thread.start()
    time.sleep(seconds)
    stop.set()
    thread.join(10)
    producer.close()
    return reports


def test_watch_sends_each_file_once_across_restarts(backend: Settings, tmp_path: Path) -> None:
    settings = backend.model_copy(update={"watch_interval_s": 0.1, "data_dir": tmp_path / "state"})
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for seed in SEEDS.iterdir():
        (inbox / seed.name).write_bytes(seed.read_bytes())
    (inbox / "partial.txt.part").write_text("still copying")
    before = topic_sizes(settings)[settings.topic_raw]

    first = run_watch(settings, inbox, 1.5)
    assert sum(len(r.sent) for r in first) == 2
    assert topic_sizes(settings)[settings.topic_raw] == before + 2

    second = run_watch(settings, inbox, 1.0)  # a restarted watcher: nothing new
    assert sum(len(r.sent) for r in second) == 0

    changed = next(inbox.glob("000_*.txt"))
    changed.write_text(changed.read_text() + "\nA correction was appended.")
    third = run_watch(settings, inbox, 1.0)
    assert sum(len(r.sent) for r in third) == 1


def test_bad_files_are_dead_lettered_with_an_outcome(backend: Settings, worker: WorkerProcess, tmp_path: Path) -> None:
    bad = {"empty.txt": b"", "binary.txt": b"\x00\x01\x02\x03", "broken.json": b'{"body": '}
    for name, data in bad.items():
        (tmp_path / name).write_bytes(data)
    summary = send_paths(backend, [tmp_path])
    assert len(summary.dead_lettered) == 3 and not summary.sent
    ids = [origin_id(path) for path, _ in summary.dead_lettered]
    found = wait_for_outcomes(backend, ids, worker.proc, 60, Console(quiet=True))
    reasons = {o["origin"].rsplit("/", 1)[1]: o["reason"] for o in found.values()}
    assert {o["outcome"] for o in found.values()} == {"dead_lettered"}
    assert "empty file" in reasons["empty.txt"]
    assert "binary" in reasons["binary.txt"]
    assert "malformed JSON" in reasons["broken.json"]
