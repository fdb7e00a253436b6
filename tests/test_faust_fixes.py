"""The repairs of Faust's consumer bookkeeping, on a stand-in consumer (no Kafka): commits never pass an
unacknowledged message, and a partition whose committed offset is stuck on a lost message is read again."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from faust.types import TP

from wiredesk.connectors.faust_fixes import StallWatchdog, new_offset

RAW = TP("raw", 0)


@dataclass
class Msg:
    tp: Any
    offset: int


@dataclass
class Event:
    message: Msg


@dataclass
class FakeConsumer:
    committed: dict[Any, int | None] = field(default_factory=dict)
    ends: dict[Any, int] = field(default_factory=dict)
    unacked: list[Msg] = field(default_factory=list)
    flow_active: bool = True
    seeks: list[tuple[Any, int]] = field(default_factory=list)

    queued: list[Msg] = field(default_factory=list)
    # Table recovery (app.tables.recovery, app.tables.changelog_queue) and the consumer's fetch positions.
    recovery: SimpleNamespace = field(
        default_factory=lambda: SimpleNamespace(in_recovery=False, active_highwaters={}, active_offsets={})
    )
    positions: dict[Any, int] = field(default_factory=dict)
    changelog_queued: int = 0
    paused: set[Any] = field(default_factory=set)
    buffer_full: bool = False

    def __post_init__(self) -> None:
        # The stand-in is its own app: app.consumer, app.topics._tp_index[tp] -> channels with a queue.
        self.consumer = self
        self.topics = self
        self.tables = self
        self.changelog_queue = SimpleNamespace(qsize=lambda: self.changelog_queued)
        self._thread = self  # seeks go through the consumer thread (faust_fixes.seek)
        queue = SimpleNamespace(_queue=[Event(m) for m in self.queued], full=lambda: self.buffer_full)
        self._tp_index = {RAW: [SimpleNamespace(queue=queue)]}
        self._paused_partitions = self.paused
        self._acked: dict[Any, list[int]] = defaultdict(list)
        self._acked_index: dict[Any, set[int]] = defaultdict(set)
        self._committed_offset: dict[Any, int | None] = defaultdict(lambda: None, self.committed)
        self._unacked_messages = self.unacked
        self._read_offset: dict[Any, int | None] = defaultdict(lambda: None)

    def ack(self, tp: Any, *offsets: int) -> None:
        self._acked[tp].extend(offsets)
        self._acked_index[tp].update(offsets)

    def assignment(self) -> set[Any]:
        return set(self.ends)

    def highwater(self, tp: Any) -> int | None:
        return self.ends.get(tp)

    async def seek_wait(self, partitions: dict[Any, int]) -> None:
        self.seeks.extend(partitions.items())

    async def position(self, tp: Any) -> int | None:
        return self.positions.get(tp)


def test_commit_never_passes_a_single_unacknowledged_message() -> None:
    # Faust's own test (min(acked) - committed > 1) lets this commit reach 13 and lose offset 10.
    c = FakeConsumer(committed={RAW: 10})
    c.ack(RAW, 11, 12)
    assert new_offset(c, RAW) is None
    c.ack(RAW, 10)
    assert new_offset(c, RAW) == 13
    assert c._acked[RAW] == [] and c._acked_index[RAW] == set()


def test_commit_stops_at_the_first_hole() -> None:
    c = FakeConsumer(committed={RAW: 5})
    c.ack(RAW, 8, 5, 6)
    assert new_offset(c, RAW) == 7
    assert c._acked[RAW] == [8]


def test_before_the_first_commit_the_run_starts_at_the_first_acknowledged() -> None:
    c = FakeConsumer()
    c.ack(RAW, 0, 1, 2)
    assert new_offset(c, RAW) == 3
    assert new_offset(c, RAW) is None


def check(dog: StallWatchdog, c: FakeConsumer) -> list[Any]:
    return asyncio.run(dog.check(c))


def test_a_lost_message_is_read_again_after_two_checks() -> None:
    c = FakeConsumer(committed={RAW: 10}, ends={RAW: 12})
    c._read_offset[RAW] = 11  # 10 and 11 were handed over; 10 never reached its stream
    c.ack(RAW, 11)
    dog = StallWatchdog({"raw"})
    assert check(dog, c) == []  # one sighting may be a commit about to happen
    assert check(dog, c) == [RAW]
    assert c.seeks == [(RAW, 10)]


@pytest.mark.parametrize(
    "where",
    [
        {"unacked": [Msg(RAW, 10)]},  # being processed, e.g. the index stage waiting for Elasticsearch
        {"queued": [Msg(RAW, 10), Msg(RAW, 11)]},  # waiting in the stream's buffer behind a slow stage
    ],
)
def test_a_message_still_in_a_stream_is_slow_not_lost(where: dict[str, list[Msg]]) -> None:
    c = FakeConsumer(committed={RAW: 10}, ends={RAW: 50}, **where)  # type: ignore[arg-type]
    c._read_offset[RAW] = 11
    dog = StallWatchdog({"raw"})
    assert check(dog, c) == [] and check(dog, c) == [] and c.seeks == []


@pytest.mark.parametrize(
    "why",
    [
        {},  # no position yet
        {"positions": {RAW: 10}},  # not fetched yet
        {"positions": {RAW: 50}, "paused": {RAW}},  # fetched, and the partition paused
        {"positions": {RAW: 50}, "buffer_full": True},  # fetched, the hand-over blocked by a full buffer
    ],
)
def test_a_message_the_fetcher_has_not_handed_over_is_waiting_not_lost(why: dict[str, Any]) -> None:
    c = FakeConsumer(committed={RAW: 10}, ends={RAW: 50}, **why)
    c._read_offset[RAW] = 9
    dog = StallWatchdog({"raw"})
    assert check(dog, c) == [] and check(dog, c) == [] and c.seeks == []


def test_a_message_fetched_but_never_handed_over_is_read_again() -> None:
    # Two files sent together to an idle worker: 9 was processed; 10 was fetched (position 12) and dropped
    # before Faust marked it read, with nothing paused or full.
    c = FakeConsumer(committed={RAW: 10}, ends={RAW: 12}, positions={RAW: 12})
    c._read_offset[RAW] = 9
    dog = StallWatchdog({"raw"})
    assert check(dog, c) == []
    assert check(dog, c) == [RAW]
    assert c.seeks == [(RAW, 10)]


def test_progress_between_checks_is_not_a_stall() -> None:
    c = FakeConsumer(committed={RAW: 10}, ends={RAW: 50})
    c._read_offset[RAW] = 20
    dog = StallWatchdog({"raw"})
    check(dog, c)
    c._committed_offset[RAW] = 20
    assert check(dog, c) == []
    c._read_offset[RAW] = 30  # delivering, not stuck: wait until it settles
    c._committed_offset[RAW] = 20
    assert check(dog, c) == []


def test_caught_up_partitions_other_topics_and_rebalances_are_left_alone() -> None:
    other = TP("dedup-state-changelog", 0)
    c = FakeConsumer(committed={RAW: 12, other: 0}, ends={RAW: 12, other: 9})
    dog = StallWatchdog({"raw"})
    assert check(dog, c) == [] and check(dog, c) == []
    c = FakeConsumer(committed={RAW: 3}, ends={RAW: 12}, flow_active=False)
    c._read_offset[RAW] = 5
    assert check(dog, c) == [] and check(dog, c) == []
    assert c.seeks == []


def test_a_partition_never_committed_is_read_from_its_start() -> None:
    c = FakeConsumer(ends={RAW: 4})
    c._read_offset[RAW] = 0
    dog = StallWatchdog({"raw"})
    check(dog, c)
    assert check(dog, c) == [RAW] and c.seeks == [(RAW, 0)]


CHANGELOG = TP("dedup-state-changelog", 0)


def restoring(applied: int, last: int, position: int, **kwargs: Any) -> FakeConsumer:
    recovery = SimpleNamespace(
        in_recovery=True, active_highwaters={CHANGELOG: last}, active_offsets={CHANGELOG: applied}
    )
    return FakeConsumer(recovery=recovery, positions={CHANGELOG: position}, **kwargs)


def test_a_restore_whose_records_were_fetched_but_never_applied_reads_the_changelog_again() -> None:
    # The state a broker restart can leave: recovery seeked to 0, the consumer fetched to the end, none arrived.
    c = restoring(applied=-1, last=787, position=788)
    dog = StallWatchdog({"raw"})
    assert check(dog, c) == []
    assert check(dog, c) == [CHANGELOG] and c.seeks == [(CHANGELOG, 0)]
    c.recovery.active_offsets[CHANGELOG] = 300  # lost again half-way: resume after the last applied record
    check(dog, c)
    assert check(dog, c) == [CHANGELOG] and c.seeks[-1] == (CHANGELOG, 301)


def test_a_restore_making_progress_or_with_records_queued_is_left_alone() -> None:
    c = restoring(applied=100, last=787, position=400)
    dog = StallWatchdog({"raw"})
    check(dog, c)
    c.recovery.active_offsets[CHANGELOG] = 200
    assert check(dog, c) == []
    queued = restoring(applied=100, last=787, position=788, changelog_queued=50)
    assert check(dog, queued) == [] and check(dog, queued) == []
    # Not yet fetched past the last applied record: the fetcher is behind, nothing is lost.
    behind = restoring(applied=100, last=787, position=101)
    assert check(dog, behind) == [] and check(dog, behind) == []
    done = restoring(applied=787, last=787, position=788)
    assert check(dog, done) == [] and check(dog, done) == []
    assert c.seeks == queued.seeks == behind.seeks == done.seeks == []


def test_stream_partitions_paused_for_a_restore_are_not_called_stalled() -> None:
    c = restoring(applied=-1, last=787, position=0, committed={RAW: 10}, ends={RAW: 50})
    c._read_offset[RAW] = 10  # what a seek leaves behind; the stream is paused until the restore is done
    dog = StallWatchdog({"raw"})
    assert check(dog, c) == [] and check(dog, c) == [] and c.seeks == []


async def _fetch_cancelled_in_backoff() -> Any:
    """aiokafka's own fetch request (wrapped as installed) against a broker that is gone, cancelled during the
    back-off after the failed fetch, and awaited as `Fetcher.close()` does."""
    from aiokafka.errors import KafkaConnectionError

    from wiredesk.connectors.faust_fixes import throttled_fetch

    class GoneBroker:
        async def send(self, node_id: int, request: Any) -> Any:
            raise KafkaConnectionError("broker gone")

    fetcher = SimpleNamespace(
        _client=GoneBroker(),
        _records={},
        _retry_backoff=30.0,  # long: the cancel lands inside the back-off sleep
        _invalidate_preferred_read_replica_for_node=lambda node_id, request: None,
    )
    task = asyncio.ensure_future(throttled_fetch(fetcher, None, 0, SimpleNamespace()))
    await asyncio.sleep(0.05)
    task.cancel()
    return await task


def test_a_fetch_cancelled_while_the_broker_is_gone_ends_quietly() -> None:
    # A CancelledError out of the fetch task kills the consumer thread on close, and the worker then waits
    # out mode's 60 s shutdown timeout on SIGTERM (seen: 61 s with the servers stopped; 3 s with this fix).
    assert asyncio.run(_fetch_cancelled_in_backoff()) is False
