"""The producer against real servers: watch mode sends each file once across restarts; bad files become
dead letters with an outcome."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from rich.console import Console

from tests.conftest import SEEDS, WorkerProcess
from wiredesk.connectors.dlq import read_letters
from wiredesk.connectors.elastic import sync_client
from wiredesk.connectors.producer import ArticleProducer, Summary, send_paths, watch
from wiredesk.connectors.runner import wait_for_outcomes
from wiredesk.connectors.status import topic_sizes
from wiredesk.pipeline.fate import origin_id
from wiredesk.pipeline.settings import Settings

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


def test_each_item_of_a_file_is_sent_or_dead_lettered(backend: Settings, tmp_path: Path) -> None:
    """A JSON array with one bad item: the good ones go to raw, the bad one to the dead-letter topic under its
    own origin, and the file counts as done once, after all three are acknowledged."""
    path = tmp_path / "batch.json"
    docs = [{"title": "A", "body": "First story."}, {"title": "no body"}, {"title": "C", "body": "Third story."}]
    path.write_text(json.dumps(docs))
    done: list[tuple[Path, str | None]] = []
    producer = ArticleProducer(backend)
    try:
        summary = producer.send_files([(path, None)], on_done=lambda p, a: done.append((p, a)))
    finally:
        producer.close()
    assert len(summary.sent) == 2 and not summary.failed
    assert summary.dead_lettered == [(f"{path}#2", "JSON article fields: body: Field required")]
    assert done == [(path, summary.sent[0])]
    letters = [item.letter for item in read_letters(backend) if item.letter.origin == f"{path}#2"]
    assert [(json.loads(letter.payload), letter.stage) for letter in letters] == [({"title": "no body"}, "produce")]


def test_wire_files_are_indexed_with_their_wire_facts(backend: Settings, worker: WorkerProcess, tmp_path: Path) -> None:
    """A ninjs and a NewsML-G2 sample, dropped as files, go all the way to the index with guid and version."""
    samples = Path(__file__).parent / "data" / "samples"
    ninjs = samples / "ninjs" / "dpa_text_v3.0.json"
    newsml = samples / "newsml-g2" / "LISTING_2_NewsML-G2_Text_Document.xml"
    for sample in (ninjs, newsml):
        (tmp_path / sample.name).write_bytes(sample.read_bytes())
    summary = send_paths(backend, [tmp_path])
    assert len(summary.sent) == 2 and not summary.dead_lettered
    found = wait_for_outcomes(backend, summary.sent, worker.proc, 120, Console(quiet=True))
    assert {o["outcome"] for o in found.values()} == {"indexed"}
    es = sync_client(backend)
    guids = {es.get(index=backend.index_name, id=i)["_source"]["wire"]["guid"] for i in summary.sent}
    assert guids == {"urn:newsml:dpa.com:20090101:190510-99-167362", "urn:newsml:acmenews.com:20161121:US-FINANCE-FED"}
