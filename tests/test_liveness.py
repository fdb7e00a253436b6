"""Dead-worker expiry on a stand-in search server: a peer whose beat stops changing for longer than the
session timeout is removed from the group once; live peers never are, not even after an outage."""

from __future__ import annotations

import time
from typing import Any

import pytest

from wiredesk.connectors import liveness
from wiredesk.connectors.liveness import Liveness
from wiredesk.pipeline.settings import Settings

TIMEOUT_S = 0.3


class FakeSearch:
    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}
        self.down = False

    def index(self, *, index: str, id: str, document: dict[str, Any]) -> None:
        if self.down:
            raise ConnectionError("search server down")
        self.docs[id] = document

    def search(self, **_: Any) -> dict[str, Any]:
        return {"hits": {"hits": [{"_source": d} for d in self.docs.values()]}}

    def options(self, **_: Any) -> FakeSearch:
        return self

    def delete(self, *, index: str, id: str) -> None:
        self.docs.pop(id, None)


@pytest.fixture
def removed(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    calls: list[list[str]] = []

    def remove(settings: Settings, group: str, ids: list[str]) -> list[str]:
        calls.append(ids)
        return ids

    monkeypatch.setattr(liveness, "remove_members", remove)
    return calls


def beat_of(es: FakeSearch, peer: str, n: int) -> None:
    es.docs[peer] = {"worker_id": peer, "group": "wiredesk", "beat_at": f"beat-{n}"}


def run(live: Liveness) -> list[str]:
    return live.beat()


def test_a_silent_peer_is_removed_once_and_a_beating_one_never(removed: list[list[str]]) -> None:
    es = FakeSearch()
    live = Liveness(Settings(worker_id="w1", session_timeout_s=TIMEOUT_S), es)  # type: ignore[arg-type]
    beat_of(es, "dead", 1)
    deadline = time.monotonic() + 3 * TIMEOUT_S
    n = 0
    while time.monotonic() < deadline:
        n += 1
        beat_of(es, "alive", n)
        run(live)
        time.sleep(TIMEOUT_S / 5)
    assert removed == [["dead"]]
    assert "dead" not in es.docs and "w1" in es.docs and "alive" in es.docs


def test_an_outage_of_our_own_beat_makes_nobody_look_dead(removed: list[list[str]]) -> None:
    es = FakeSearch()
    live = Liveness(Settings(worker_id="w1", session_timeout_s=TIMEOUT_S), es)  # type: ignore[arg-type]
    beat_of(es, "peer", 1)
    run(live)
    es.down = True  # the peer cannot beat either while the server is down
    time.sleep(2 * TIMEOUT_S)
    assert run(live) == []
    es.down = False
    assert run(live) == []  # first sighting after the outage: the count starts again
    beat_of(es, "peer", 2)
    assert run(live) == [] and removed == []
