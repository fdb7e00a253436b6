"""Editor corrections on real servers: `wiredesk story split|merge` -> corrections topic -> worker (dedup state)
-> deduped topic -> Elasticsearch, and the labelled-pairs file."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from rich.console import Console

from tests.conftest import SEEDS, WorkerProcess
from tests.test_cli import wiredesk
from wiredesk.connectors.corrections import labels_path
from wiredesk.connectors.elastic import sync_client
from wiredesk.connectors.producer import send_paths
from wiredesk.connectors.runner import wait_for_outcomes
from wiredesk.pipeline.settings import Settings

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

    def story_docs(story_id: str) -> list[dict[str, Any]]:
        """Every document of the story: earlier tests of the session may have added copies to the seeds' story."""
        es.indices.refresh(index=backend.index_name)
        hits = es.search(index=backend.index_name, query={"term": {"story_id": story_id}}, size=100)["hits"]["hits"]
        return [h["_source"] for h in hits]

    def one_canonical(story_id: str) -> bool:
        return sum(d["dedup"]["is_canonical"] for d in story_docs(story_id)) == 1

    (story,) = {d["story_id"] for d in docs().values()}  # the two seeds report one development: one story

    assert "split correction" in wiredesk(backend, "story", "split", ids[1])
    _wait("the split article in a story of its own", lambda: docs()[ids[1]]["story_id"] != story, worker)
    split = docs()[ids[1]]
    assert split["dedup"]["story_id"] == split["story_id"] and split["dedup"]["is_canonical"]
    assert [d["article_id"] for d in story_docs(split["story_id"])] == [ids[1]]
    assert docs()[ids[0]]["story_id"] == story and one_canonical(story)
    # Two stories now, of one storyline (what an editor splits off is a development of its own).
    storyline = docs()[ids[0]]["storyline_id"]
    assert storyline and split["storyline_id"] == split["dedup"]["storyline_id"] == storyline
    found = wiredesk(backend, "search", "--storyline", storyline, "--json").splitlines()
    assert {json.loads(line)["article_id"] for line in found if line} >= set(ids)

    wiredesk(backend, "story", "merge", story, split["story_id"], "--by", "desk-test")
    _wait("one story again", lambda: {d["story_id"] for d in docs().values()} == {story}, worker)
    assert story_docs(split["story_id"]) == [] and one_canonical(story)
    # The canonical of the two that is not the earlier one is a member now, put there by the editor.
    assert [d["dedup"]["level"] for d in story_docs(story)].count("editor") == 1

    lines = [json.loads(x) for x in labels_path(backend).read_text().splitlines()]
    different = {(x["a"], x["b"]) for x in lines if x["label"] == "different" and x["by"] == "editor"}
    same = {frozenset((x["a"], x["b"])) for x in lines if x["label"] == "same" and x["by"] == "desk-test"}
    assert (ids[1], ids[0]) in different and {a for a, _ in different} == {ids[1]}
    assert frozenset(ids) in same
