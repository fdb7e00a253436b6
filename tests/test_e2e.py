"""The whole pipeline on real servers: producer -> Kafka -> worker -> Elasticsearch."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from rich.console import Console

from tests.conftest import SEEDS, WorkerProcess
from wiredesk.connectors.elastic import sync_client
from wiredesk.connectors.producer import send_paths
from wiredesk.connectors.runner import wait_for_outcomes
from wiredesk.connectors.search import search_articles
from wiredesk.connectors.status import pipeline_lag
from wiredesk.pipeline.settings import Settings

pytestmark = pytest.mark.integration

EXPECTED_ENTITIES = {"Antony Blinken", "Liu Jianchao", "Matthew Miller", "China", "Taiwan", "Washington"}
BOILERPLATE = re.compile(r"^(•|WATCH \||ALSO READ \||Also read:|\(With inputs from agencies\))", re.M)
# A worker loads spaCy and joins its group within seconds; two minutes leaves room for a slow CI machine.
TIMEOUT_S = 120.0


def produce(settings: Settings) -> list[str]:
    summary = send_paths(settings, [SEEDS])
    assert not summary.failed and not summary.dead_lettered
    return summary.sent


def count(settings: Settings, index: str) -> int:
    es = sync_client(settings)
    es.indices.refresh(index=index)
    return int(es.count(index=index)["count"])


def test_seeds_are_indexed_once_with_entities(backend: Settings, worker: WorkerProcess) -> None:
    ids = produce(backend)
    assert len(ids) == 2 and len(set(ids)) == 2
    try:
        outcomes = wait_for_outcomes(backend, ids, worker.proc, TIMEOUT_S, Console(quiet=True))
    except Exception:
        print(worker.tail())
        raise
    assert {o["outcome"] for o in outcomes.values()} == {"indexed"}

    es = sync_client(backend)
    for article_id in ids:
        doc = es.get(index=backend.index_name, id=article_id)["_source"]
        names = {e["name"] for e in doc["entities"]}
        # Washington is only in the first seed; every other expected entity is in both.
        missing = EXPECTED_ENTITIES - names - ({"Washington"} if "Washington" not in doc["body"] else set())
        assert not missing, f"{doc['origin']}: missing {missing}; got {sorted(names)}"
        assert not BOILERPLATE.search(doc["body"]), doc["body"]
        assert doc["story_id"] and doc["indexed_at"]
    assert count(backend, backend.index_name) == 2


def test_reproducing_creates_no_new_documents(backend: Settings, worker: WorkerProcess) -> None:
    ids = produce(backend)
    wait_for_outcomes(backend, ids, worker.proc, TIMEOUT_S, Console(quiet=True))
    before_articles = count(backend, backend.index_name)
    before_outcomes = count(backend, backend.outcomes_index)
    again = produce(backend)
    assert again == ids
    # The worker must have consumed the re-sent messages before counting: wait for the raw topic to drain.
    _wait_consumed(backend, worker)
    assert count(backend, backend.index_name) == before_articles == 2
    assert count(backend, backend.outcomes_index) == before_outcomes


def test_search_finds_both_seeds(backend: Settings, worker: WorkerProcess) -> None:
    ids = produce(backend)
    wait_for_outcomes(backend, ids, worker.proc, TIMEOUT_S, Console(quiet=True))
    count(backend, backend.index_name)  # refreshes: documents are searchable after a refresh (≤ 1 s anyway)
    hits = search_articles(backend, "Blinken")
    assert {h["article_id"] for h in hits} >= set(ids)
    assert all(h["highlight"] for h in hits)


def _wait_consumed(settings: Settings, worker: WorkerProcess) -> None:
    """Until the workers have committed everything written to the pipeline's topics."""
    deadline = time.monotonic() + TIMEOUT_S
    while pipeline_lag(settings) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert pipeline_lag(settings) == 0, f"worker did not catch up: {worker.tail()}"


def test_near_copy_is_one_story_and_reuses_entities(backend: Settings, worker: WorkerProcess, tmp_path: Path) -> None:
    original = (SEEDS / "000_88e60c92ae50af0c.txt").read_text()
    ids = produce(backend)
    wait_for_outcomes(backend, ids, worker.proc, TIMEOUT_S, Console(quiet=True))
    # Another outlet runs the same copy with a changed sign-off and one word edited.
    copy = original.replace("constructive discussion", "constructive talk").replace(
        "(With inputs from agencies)", "(Reporting by agencies; editing by the desk)"
    )
    (tmp_path / "copy.txt").write_text(copy)
    (copy_id,) = send_paths(backend, [tmp_path / "copy.txt"]).sent
    (outcome,) = wait_for_outcomes(backend, [copy_id], worker.proc, TIMEOUT_S, Console(quiet=True)).values()
    assert outcome["outcome"] == "indexed"
    es = sync_client(backend)
    doc = es.get(index=backend.index_name, id=copy_id)["_source"]
    originals = {i: es.get(index=backend.index_name, id=i)["_source"] for i in ids}
    assert doc["dedup"]["level"] == "near"
    assert doc["story_id"] in {o["story_id"] for o in originals.values()}
    # It is a copy of the first seed (files are sent in name order), whose entities it takes over.
    assert doc["dedup"]["matched"] == ids[0]
    assert doc["dedup"]["duplicate_of"] == next(i for i, o in originals.items() if o["dedup"]["is_canonical"])
    assert {e["name"] for e in doc["entities"]} == {e["name"] for e in originals[ids[0]]["entities"]}
