"""Editor corrections on real servers: `wiredesk story split|merge` -> corrections topic -> worker (dedup state)
-> deduped topic -> Elasticsearch, and the labelled-pairs file."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from rich.console import Console

from connectors.corrections import labels_path
from connectors.elastic import sync_client
from connectors.producer import send_paths
from connectors.runner import wait_for_outcomes
from pipeline.settings import Settings
from tests.conftest import SEEDS, WorkerProcess
from tests.test_cli import wiredesk

pytestmark = pytest.mark.integration

# As in tests/test_e2e.py: room for a slow machine; a correction itself reaches the index in about a second.
TIMEOUT_S = 120.0


def _wait(what: str, check: Callable[[], Any], worker: WorkerProcess) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while not check():
        assert time.monotonic() < deadline, f"not within {TIMEOUT_S:.0f} s: {what}\n{worker.problems()}"
        time.sleep(0.3)


def test_editor_splits_a_story_and_merges_it_back(backend: Settings, worker: WorkerProcess) -> None:
    ids = send_paths(backend, [SEEDS]).sent
    wait_for_outcomes(backend, ids, worker.proc, TIMEOUT_S, Console(quiet=True))
    es = sync_client(backend)

    def docs() -> dict[str, dict[str, Any]]:
        return {i: es.get(index=backend.index_name, id=i)["_source"] for i in ids}

    before = docs()
    (story,) = {d["story_id"] for d in before.values()}  # the two seeds report one development: one story

    assert "split correction" in wiredesk(backend, "story", "split", ids[1])
    _wait("the split article in a story of its own", lambda: docs()[ids[1]]["story_id"] != story, worker)
    split = docs()
    assert split[ids[0]]["story_id"] == story and split[ids[1]]["dedup"]["story_id"] == split[ids[1]]["story_id"]
    assert split[ids[1]]["dedup"]["is_canonical"] and split[ids[0]]["dedup"]["is_canonical"]

    wiredesk(backend, "story", "merge", story, split[ids[1]]["story_id"], "--by", "desk-test")
    _wait("one story again", lambda: {d["story_id"] for d in docs().values()} == {story}, worker)
    merged = docs()
    assert sorted(d["dedup"]["is_canonical"] for d in merged.values()) == [False, True]
    assert {d["dedup"]["level"] for d in merged.values() if not d["dedup"]["is_canonical"]} == {"editor"}

    lines = [json.loads(x) for x in labels_path(backend).read_text().splitlines()]
    assert [(x["label"], x["by"]) for x in lines] == [("different", "editor"), ("same", "desk-test")]
    assert {frozenset((x["a"], x["b"])) for x in lines} == {frozenset(ids)}
