"""SearchSink.write: items the server could not take are sent again until each has a final fate."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from wiredesk.connectors.elastic import SearchSink
from wiredesk.connectors.retry import backoff_s
from wiredesk.pipeline.errors import TransientError
from wiredesk.pipeline.index import ItemFate, ItemResult
from wiredesk.pipeline.settings import Settings


class ScriptedSink(SearchSink):
    """_bulk_once answers from a script: first the whole request fails, then one item gets 429."""

    def __init__(self) -> None:
        super().__init__(Settings(retry_base_s=0.001, retry_max_s=0.002))
        self.sent: list[list[str]] = []

    async def _bulk_once(self, actions: Sequence[dict[str, Any]]) -> list[ItemResult]:
        self.sent.append([a["_id"] for a in actions])
        if len(self.sent) == 1:
            raise TransientError("connection refused")
        if len(self.sent) == 2:
            return [ItemResult(ItemFate.RETRY if a["_id"] == "b" else ItemFate.OK, 200) for a in actions]
        return [ItemResult(ItemFate.REJECT if a["_id"] == "b" else ItemFate.OK, 400) for a in actions]


def test_retries_only_what_was_not_taken() -> None:
    sink = ScriptedSink()
    actions = [{"_id": i, "_index": "x", "_op_type": "index", "_source": {}} for i in ("a", "b", "c")]
    results = asyncio.run(sink.write(actions))
    assert sink.sent == [["a", "b", "c"], ["a", "b", "c"], ["b"]]
    assert [r.fate for r in results] == [ItemFate.OK, ItemFate.REJECT, ItemFate.OK]


def test_backoff_is_bounded_full_jitter() -> None:
    delays = [backoff_s(attempt, base=0.5, cap=30.0) for attempt in range(20) for _ in range(20)]
    assert all(0 <= d <= 30.0 for d in delays)
    assert max(backoff_s(0, 0.5, 30.0) for _ in range(200)) <= 0.5
