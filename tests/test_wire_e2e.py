"""Wire versions end to end (producer -> Kafka -> worker -> Elasticsearch -> alerts): a writethru replaces the
indexed document and is no duplicate, a late older version changes nothing, a kill removes the document and
withdraws the alert its story fired."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console

from tests.conftest import WorkerProcess
from tests.test_e2e import TIMEOUT_S, _wait_consumed
from wiredesk.connectors.elastic import sync_client
from wiredesk.connectors.producer import ArticleProducer, send_paths
from wiredesk.connectors.runner import wait_for_outcomes
from wiredesk.pipeline.models import PubStatus, RawArticle, WireMeta, article_id_for
from wiredesk.pipeline.settings import Settings

pytestmark = pytest.mark.integration

GUID = "urn:newsml:wiredesk.test:20261203:tallinn-talks"
TAKE_1 = (
    "Estonia and Finland open border talks in Tallinn\n\n"
    "TALLINN, Dec 3 - The foreign ministers of Estonia and Finland opened talks in Tallinn on Thursday on a treaty "
    "to share the surveillance of their maritime border, diplomats said."
)
WRITETHRU = TAKE_1 + (
    "\n\nThe two ministers, Margus Tsahkna and Elina Valtonen, told reporters the envoys would meet again in "
    'Helsinki next month to negotiate the text. "We are close to an agreement on the principles," Valtonen said.'
    "\n\nThe embassy of Sweden said it would join the negotiations as an observer."
)


def item(version: int, text: str, status: PubStatus = PubStatus.USABLE) -> RawArticle:
    return RawArticle(
        article_id=article_id_for(guid=GUID, url=None, source=None, title=None, text=text),
        origin=f"test://{GUID}@{version}",
        text=text,
        title="Estonia and Finland open border talks in Tallinn",
        source="Baltic Wire",
        wire=WireMeta(input_format="ninjs", guid=GUID, version=version, pub_status=status, urgency=3),
    )


def send(settings: Settings, *articles: RawArticle) -> None:
    producer = ArticleProducer(settings)
    try:
        summary = producer.send_articles(list(articles))
    finally:
        producer.close()
    assert not summary.failed, summary.failed


def alerts_for(settings: Settings, article_id: str) -> list[dict[str, object]]:
    path = settings.data_dir / "alerts.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    return [a for a in map(json.loads, lines) if a["article_id"] == article_id]


def wait_until(check: object, what: str, worker: WorkerProcess) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"{what} within {TIMEOUT_S:.0f} s: {worker.problems()}"
        time.sleep(0.3)


def test_writethru_replaces_stale_is_ignored_kill_removes(backend: Settings, worker: WorkerProcess) -> None:
    es = sync_client(backend)
    first = item(1, TAKE_1)
    aid = first.article_id
    console = Console(quiet=True)
    send(backend, first)
    (outcome,) = wait_for_outcomes(backend, [aid], worker.proc, TIMEOUT_S, console).values()
    assert outcome["outcome"] == "indexed"
    wait_until(lambda: alerts_for(backend, aid), "the story's alert fired", worker)

    since = datetime.now(UTC)
    send(backend, item(2, WRITETHRU))
    (outcome,) = wait_for_outcomes(backend, [aid], worker.proc, TIMEOUT_S, console, since=since).values()
    assert outcome["outcome"] == "indexed"  # not "duplicate": a writethru is the same item
    doc = es.get(index=backend.index_name, id=aid)["_source"]
    assert doc["wire"]["version"] == 2 and "Valtonen" in doc["body"]
    assert doc["dedup"]["level"] == "unique" and doc["dedup"]["is_canonical"]
    assert "Elina Valtonen" in doc["persons"]

    send(backend, item(1, TAKE_1))  # the first take again, late
    _wait_consumed(backend, worker)
    assert es.get(index=backend.index_name, id=aid)["_source"]["wire"]["version"] == 2
    assert len(alerts_for(backend, aid)) == 1  # a writethru or a stale take fires nothing more

    since = datetime.now(UTC)
    send(backend, item(3, "", PubStatus.CANCELED))
    (outcome,) = wait_for_outcomes(backend, [aid], worker.proc, TIMEOUT_S, console, since=since).values()
    assert outcome["outcome"] == "killed" and "pubStatus canceled, version 3" in outcome["reason"]
    assert not es.exists(index=backend.index_name, id=aid)
    wait_until(lambda: len(alerts_for(backend, aid)) == 2, "the alert was withdrawn", worker)
    fired, withdrawn = alerts_for(backend, aid)
    assert fired["withdrawn_at"] is None and withdrawn["withdrawn_at"] and withdrawn["alert_id"] == fired["alert_id"]

    def recorded() -> bool:  # the record follows the sinks: the JSON line can be there a moment before it
        return es.get(index=backend.alerts_index, id=fired["alert_id"])["_source"]["status"] == "withdrawn"

    wait_until(recorded, "the alert's record says withdrawn", worker)


def ninjs(version: int, body: str | None, pubstatus: str = "usable") -> str:
    item: dict[str, object] = {
        "uri": "urn:ninjs:wiredesk.test:harbour-strike",
        "type": "text",
        "version": str(version),
        "pubstatus": pubstatus,
        "versioncreated": "2026-12-03T09:00:00Z",
        "language": "en",
        "headline": "Dock workers end strike at Rotterdam port",
        "byline": "Test Desk",
        "located": "Rotterdam",
        "subject": [{"code": "04000000", "scheme": "subj", "name": "economy, business and finance"}],
    }
    if body is not None:
        item["body_text"] = body
    return json.dumps(item)


def test_ninjs_files_writethru_and_kill(backend: Settings, worker: WorkerProcess, tmp_path: Path) -> None:
    """The same round trip from files a wire desk drops: three ninjs versions of one uri."""
    es = sync_client(backend)
    lead = "Dock workers at Rotterdam port ended a three-day strike on Thursday after the union accepted a pay offer."
    files = {
        "v1.json": ninjs(1, lead),
        "v2.json": ninjs(2, lead + "\n\nShips queued outside the harbour began to berth within hours, the port said."),
        "kill.json": ninjs(3, None, "canceled"),
    }
    console = Console(quiet=True)
    for name, text in files.items():
        (tmp_path / name).write_text(text)
        since = datetime.now(UTC)
        (aid,) = send_paths(backend, [tmp_path / name]).sent
        (outcome,) = wait_for_outcomes(backend, [aid], worker.proc, TIMEOUT_S, console, since=since).values()
        if name == "v1.json":
            assert outcome["outcome"] == "indexed"
            doc = es.get(index=backend.index_name, id=aid)["_source"]
            assert doc["wire"]["located"] == "Rotterdam" and doc["wire"]["byline"] == "Test Desk"
            assert doc["wire"]["subjects"][0]["code"] == "subj:04000000" and doc["dateline"] == "Rotterdam"
        elif name == "v2.json":
            doc = es.get(index=backend.index_name, id=aid)["_source"]
            assert outcome["outcome"] == "indexed" and doc["wire"]["version"] == 2 and "berth" in doc["body"]
        else:
            assert outcome["outcome"] == "killed" and not es.exists(index=backend.index_name, id=aid)
