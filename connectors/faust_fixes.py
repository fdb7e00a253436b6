"""Five defects of faust-streaming 0.15.3's consumer that lose or strand messages, and the repairs.
Pinned version: re-check each one on upgrade (they live in `faust/transport/consumer.py`).

1. Faust drops records it has fetched when a rebalance or a flow stop interrupts a fetch (and the record
   whose hand-over was interrupted is still marked read). When the next fetch jumps ahead, Faust calls the
   skipped offsets a "gap" — a device for compacted topics and transaction markers, which our topics do not
   have — and acknowledges them. `refetch_gap` replaces that: read the skipped offsets again instead.
2. `_new_offset` lets the commit jump over a single unacknowledged message at the committed offset: it
   tests `min(acked) - committed > 1`, but the committed offset is already the *next* message to read, so a
   hole of one message passes (and with a committed offset of 0 there is no test at all). `new_offset`
   commits only a run of acknowledged offsets that starts at the committed one.
3. With 1 and 2 nothing is committed past a lost record, but nothing reads it again either when no later
   record reveals the gap. `StallWatchdog` finds partitions whose committed offset is stuck below the end
   while the message at that offset is in no stream, and reads them again from the committed offset.
4. The same loss hits table recovery, where it wedges the worker: after a broker restart, the changelog
   records recovery seeks back to can be fetched (the consumer's position reaches the end) and never reach
   recovery, which then waits for them forever with every stream paused (more likely with the CPU loaded).
   `StallWatchdog` also finds a recovery that has seen no new changelog record across two checks while the
   consumer has fetched past it, and reads the changelog again from the record after the last one recovery
   applied. Re-applying changelog records is harmless: each sets a key to its value, in order.

5. A record can also be lost before Faust marks it read: the consumer has fetched it (its position is past
   it), the partition is not paused, no buffer is full, and yet Faust never hands it over, so the committed
   offset waits below the end for ever. It shows when records arrive together at an idle worker whose event
   loop is free while an article is cleaned (clean runs in a thread): of two seed files sent at once, the
   second can stay unread. `StallWatchdog` reads such a partition again from the committed offset too.

Messages read twice are harmless: every stage is idempotent (deterministic ids, create-or-skip writes).

And one that costs latency, not messages: Faust's `noack_take(max, within)` idles `within` before every batch,
even with a queue waiting. `take_batches` replaces it for the index agent.

Plus one accommodation of the local server: it answers an empty fetch at once instead of holding it for
`fetch.max.wait.ms` as Kafka does, so aiokafka's fetch loop would spin (it would keep an idle worker ~0.9 of a
core busy, and under load compete for the GIL). `throttled_fetch` pauses after an empty answer that came back at
once; against Kafka an empty answer takes the full wait and nothing changes. How often each defect showed, and
the figures before and after each repair: docs/measurements.md."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from aiokafka.consumer.fetcher import Fetcher
from faust.transport.consumer import Consumer
from faust.utils.functional import consecutive_numbers

log = logging.getLogger(__name__)
_background: set[asyncio.Future[None]] = set()


async def seek(consumer: Any, tp: Any, offset: int) -> None:
    """Seek on the consumer's own thread. Faust's `Consumer.seek` calls aiokafka from the app's thread, while the
    consumer thread may be handing out fetched records: aiokafka drops the partition's buffer on seek, and the
    consumer thread's own removal of it then fails (KeyError in `Fetcher.fetched_records`, which crashes the
    worker; likeliest when a restart after kill -9 re-reads many gaps). `seek_wait` is Faust's seek through the
    consumer thread, with the same read-offset bookkeeping."""
    await consumer._thread.seek_wait({tp: offset})


async def refetch_gap(self: Any, tp: Any, offset_from: int, offset_to: int) -> None:
    log.warning("offsets %d..%d of %s were skipped by a fetch: reading them again", offset_from, offset_to, tp)

    async def seek_back() -> None:
        # After the message that revealed the gap has been taken: seeking first would have it dropped as
        # "already read" when the fetcher moves the read offset past it.
        await asyncio.sleep(0.1)
        await seek(self, tp, offset_from)

    _background.add(task := asyncio.ensure_future(seek_back()))
    task.add_done_callback(_background.discard)


def new_offset(self: Any, tp: Any) -> int | None:
    """The offset to commit for `tp`: one past the run of acknowledged offsets that starts at the committed
    offset; None while the message at the committed offset is not acknowledged."""
    acked: list[int] = self._acked[tp]
    if not acked:
        return None
    acked.sort()
    # Faust stores a committed offset of 0 as None; before the first commit the run starts where we began.
    committed = self._committed_offset[tp]
    if committed is not None and acked[0] > committed:
        return None
    run = next(consecutive_numbers(acked))
    acked[: len(run)] = []
    self._acked_index[tp].difference_update(run)
    return int(run[-1]) + 1


# Pause after an instant empty fetch: adds at most this much to the time a new message waits (well under
# the 1 s commit interval and the 0.25 s batch timeout), and cuts an idle fetch loop to ~10 requests a second.
EMPTY_FETCH_PAUSE_S = 0.1
# An empty answer faster than this was not held by the broker (Kafka holds it for fetch.max.wait.ms: 1.5 s
# as Faust configures aiokafka).
INSTANT_S = 0.05
_proc_fetch_request = Fetcher._proc_fetch_request


async def throttled_fetch(self: Any, assignment: Any, node_id: Any, request: Any) -> Any:
    started = time.monotonic()
    buffered = len(self._records)
    try:
        result = await _proc_fetch_request(self, assignment, node_id, request)
    except asyncio.CancelledError:
        # The original ends a cancelled fetch quietly, except in its back-off after a failed fetch (broker gone):
        # there the CancelledError escapes, fetcher.close() re-raises it, the consumer thread dies without
        # signalling its shutdown, and a SIGTERM waits out mode's 60 s shutdown timeout.
        return False
    if len(self._records) == buffered and time.monotonic() - started < INSTANT_S:
        try:
            await asyncio.sleep(EMPTY_FETCH_PAUSE_S)
        except asyncio.CancelledError:
            # Like the original: the fetcher cancels its fetch tasks on close or a new assignment and awaits
            # them, expecting them to end quietly (a raised CancelledError kills the consumer thread).
            return False
    return result


def install() -> None:
    Consumer._add_gap = refetch_gap  # type: ignore[method-assign]
    Consumer._new_offset = new_offset  # type: ignore[method-assign]
    Fetcher._proc_fetch_request = throttled_fetch


# Asking the consumer thread for a position takes milliseconds; longer means it is busy (e.g. reconnecting).
POSITION_TIMEOUT_S = 2.0


class StallWatchdog:
    """Reads a partition again from its committed offset when, across two checks, the committed offset has
    not moved, is below the partition's end, and the message at it is neither waiting in a stream's buffer nor
    being processed, although the fetcher handed it over (defect 3) or the consumer fetched past it with nothing
    holding the hand-over back (defect 5): lost, not slow (a message being processed, however slowly — e.g.
    while Elasticsearch is down — is in a stream).

    While tables are being restored it watches the restore instead (defect 4): a changelog partition whose
    applied offset has not moved across two checks, with the consumer's position past it and no changelog
    record queued for recovery, is read again from the record after the last one applied.

    A false alarm (commits failing while the broker is away) only makes processed messages arrive again."""

    def __init__(self, topics: set[str]) -> None:
        self.topics = topics
        self._last: dict[Any, tuple[int, int]] = {}
        self._recovery_last: dict[Any, tuple[int, int]] = {}

    async def check(self, app: Any) -> list[Any]:
        consumer = app.consumer
        if not consumer.flow_active:  # a rebalance is under way; it seeks to the committed offsets itself
            self._last.clear()
            self._recovery_last.clear()
            return []
        recovery = app.tables.recovery
        if recovery.in_recovery:
            # Streams are paused until the tables are restored: the stream checks below would misread that.
            self._last.clear()
            return await self._check_recovery(app, recovery)
        self._recovery_last.clear()
        present = _in_streams(app)
        seen: dict[Any, tuple[int, int]] = {}
        stalled = []
        for tp in list(consumer.assignment()):
            if tp.topic not in self.topics:
                continue
            committed = consumer._committed_offset.get(tp) or 0
            read = consumer._read_offset.get(tp)
            end = consumer.highwater(tp)
            if end is None or committed >= end or read is None or (tp, committed) in present:
                continue
            # Not handed over yet (read < committed): normally waiting, to be fetched or behind a full buffer;
            # lost if the consumer has fetched past it with nothing holding the fetcher back (defect 5).
            if read < committed and not await _fetched_and_dropped(app, tp, committed):
                continue
            state = (committed, read)
            if self._last.get(tp) == state:
                log.warning(
                    "%s: offset %d was %s but is in no stream and not committed (read up to %d, end %d): "
                    "reading the partition again from it",
                    tp,
                    committed,
                    "fetched" if read < committed else "handed over",
                    read,
                    end,
                )
                await seek(consumer, tp, committed)
                stalled.append(tp)
            else:
                seen[tp] = state
        self._last = seen
        return stalled

    async def _check_recovery(self, app: Any, recovery: Any) -> list[Any]:
        consumer = app.consumer
        seen: dict[Any, tuple[int, int]] = {}
        stalled = []
        for tp, last in list(recovery.active_highwaters.items()):
            applied = recovery.active_offsets.get(tp)
            if last is None or applied is None or applied >= last:
                continue  # restored (or nothing to restore)
            position = await _position(consumer, tp)
            # Fetched past the last record recovery applied: those records are in flight or lost.
            if position is None or position <= applied + 1:
                continue
            state = (applied, position)
            if self._recovery_last.get(tp) == state and not app.tables.changelog_queue.qsize():
                log.warning(
                    "%s: table recovery has applied up to offset %d of %d, the consumer has fetched up to %d and "
                    "nothing is on its way: reading the changelog again from offset %d",
                    tp,
                    applied,
                    last,
                    position,
                    applied + 1,
                )
                await seek(consumer, tp, applied + 1)
                stalled.append(tp)
            else:
                seen[tp] = state
        self._recovery_last = seen
        return stalled


async def _fetched_and_dropped(app: Any, tp: Any, offset: int) -> bool:
    """The consumer has fetched past `offset` of `tp` while the partition is not paused and no stream buffer is
    full (a full one blocks the fetcher's hand-over, which would explain a wait)."""
    if tp in getattr(app.consumer, "_paused_partitions", ()) or any(c.queue.full() for c in _channels(app)):
        return False
    position = await _position(app.consumer, tp)
    return position is not None and position > offset


async def _position(consumer: Any, tp: Any) -> int | None:
    """The consumer's fetch position in `tp`, asked through its thread; None when it has none to give."""
    try:
        position: int | None = await asyncio.wait_for(consumer.position(tp), timeout=POSITION_TIMEOUT_S)
    except Exception:  # no position yet (a reset pending, the broker away): not a verdict
        return None
    return position


def _channels(app: Any) -> list[Any]:
    """Every stream's channel of every topic partition (each holds its buffer as `queue`)."""
    return [channel for channels in list(app.topics._tp_index.values()) for channel in list(channels)]


def _in_streams(app: Any) -> set[tuple[Any, int]]:
    """(partition, offset) of every message a stream holds: taken and not acknowledged, or still waiting in
    the stream's buffer (Faust only tracks a message once a stream takes it)."""
    held = {(m.tp, m.offset) for m in list(app.consumer._unacked_messages)}
    for channel in _channels(app):
        held.update((e.message.tp, e.message.offset) for e in list(channel.queue._queue))
    return held


async def take_batches(stream: Any, max_: int, within: float) -> AsyncIterator[list[Any]]:
    """Lists of at most `max_` unacknowledged events, like Faust's `noack_take(max_, within)`, except that
    `within` bounds how long an *event* waits for its batch to fill, counted from its arrival, and events keep
    arriving while the previous batch is processed. Faust's take holds arrivals back during a batch and then
    restarts its timer, so every batch begins with `within` of idle time even with a queue waiting: at 10
    articles/s, with NER at ~80-90 % of the time per article, 0.5 s idle per batch stretches a cycle to ~5 s
    (cycle = idle / (1 - utilisation)) and produce->indexed to p50 ~6 s. Here a batch starts as soon as the
    previous one is done when its oldest event has waited `within` (under load: always), and the model
    waits only when idle. Same Faust hooks as its take (a stream processor fills the buffer, the stream is
    drained passively); at most `max_` events wait here, then the processor blocks, which is the
    backpressure: the rest stays in the stream's bounded buffer."""
    loop = asyncio.get_running_loop()
    buffer: list[Any] = []
    arrived: list[float] = []  # loop.time() each buffered event came in, oldest first
    waiting = asyncio.Event()  # the buffer holds an event
    full = asyncio.Event()  # the buffer holds max_ events
    room = asyncio.Event()  # a batch was taken: the processor may add again

    async def add(value: Any) -> Any:
        try:
            while len(buffer) >= max_ and not stream.should_stop:
                room.clear()
                await stream.wait(room)
            event = stream.current_event
            if event is None:
                raise RuntimeError("take_batches found no current event")
            buffer.append(event)
            arrived.append(loop.time())
            waiting.set()
            if len(buffer) >= max_:
                full.set()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # as Faust's take: an error here is the stream's, not one message's
            log.exception("error adding to the batch buffer: %r", exc)
            await stream.crash(exc)
        return value

    acks = stream.enable_acks
    stream.enable_acks = False
    stream.add_processor(add)
    stream._enable_passive(aiter(stream.channel))
    try:
        while not stream.should_stop:
            if not buffer:
                waiting.clear()
                await stream.wait_for_stopped(waiting)
                continue
            linger = arrived[0] + within - loop.time()
            if linger > 0 and len(buffer) < max_:
                await stream.wait_for_stopped(full, timeout=linger)
            batch = buffer[:max_]
            del buffer[: len(batch)], arrived[: len(batch)]
            full.clear()
            room.set()
            yield batch
    finally:
        stream.enable_acks = acks
        stream._processors.remove(add)
