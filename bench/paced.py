"""Latency at a paced rate: articles produced at `rate` per second for a while, each timed from produce
(RawArticle.received_at, set when the producer reads the file) to searchable.

A poller searches the article alias for the pending ids every 0.1 s without forcing a refresh, i.e. what a
user's search would find; an article's latency is the time the poll that first returned it completed minus
its received_at. That includes the search server's 1 s refresh interval and up to ~0.1 s of polling
granularity. produce->indexed (the document's indexed_at minus received_at) is reported beside it."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch

from bench import sysinfo
from bench.driver import Stalled, fetch, tail, ts
from bench.progress import Progress
from bench.servers import LocalServers
from bench.stats import latency_summary, percentile
from wiredesk.connectors.producer import ArticleProducer, expand
from wiredesk.connectors.security import search_kwargs


class _Poller:
    """Searches the article alias for pending ids every 0.1 s; records when each first became searchable."""

    def __init__(self, es: Elasticsearch, index: str) -> None:
        self.es = es
        self.index = index
        self.pending: set[str] = set()
        self.seen: dict[str, tuple[float, dict[str, Any]]] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="bench-poller", daemon=True)

    def add(self, ids: Sequence[str]) -> None:
        with self.lock:
            self.pending.update(i for i in ids if i not in self.seen)

    def drop(self, ids: Sequence[str]) -> None:
        with self.lock:
            self.pending.difference_update(ids)

    def _run(self) -> None:
        while not self.stop.is_set():
            with self.lock:
                ids = list(self.pending)
            if ids:
                resp = self.es.search(
                    index=self.index,
                    query={"ids": {"values": ids}},
                    size=len(ids),
                    source_includes=["received_at", "indexed_at"],
                )
                now = time.time()
                with self.lock:
                    for hit in resp["hits"]["hits"]:
                        if hit["_id"] in self.pending:
                            self.pending.discard(hit["_id"])
                            self.seen[hit["_id"]] = (now, hit["_source"])
            self.stop.wait(0.1)


def run_paced(
    srv: LocalServers,
    es: Elasticsearch,
    files: Sequence[Path],
    rate: float,
    proc: subprocess.Popen[bytes],
    log: Path,
    progress: Progress,
) -> dict[str, Any]:
    s = srv.settings
    poller = _Poller(Elasticsearch(**search_kwargs(s)), s.index_name)
    producer = ArticleProducer(s)
    sent_at: dict[str, float] = {}
    lateness: list[float] = []
    poller.thread.start()
    cpu = sysinfo.CpuMeter({"worker": proc.pid, **({"servers": srv.pid} if srv.pid else {})}, split="worker")
    cpu.start()
    try:
        t0 = time.monotonic()
        for i, path in enumerate(files):
            # Absolute schedule: a slow send does not shift every later one, it only shows up as lateness.
            due = t0 + i / rate
            time.sleep(max(0.0, due - time.monotonic()))
            lateness.append(time.monotonic() - due)
            before = time.time()
            sent = producer.send_files(expand([path])).sent
            sent_at.update((i, before) for i in sent)
            poller.add(sent)
            if proc.poll() is not None:
                raise Stalled(f"worker exited with code {proc.returncode}:\n{tail(log)}")
            progress.step(i + 1, len(files), f"{len(poller.seen)} searchable")
        produce_s = time.monotonic() - t0
        with poller.lock:
            behind = len(poller.pending)
        _drain(es, s.outcomes_index, poller, list(sent_at), progress)
        cpu.stop()
    finally:
        poller.stop.set()
        poller.thread.join()
        producer.close()
    end = time.time()
    with poller.lock:
        seen = dict(poller.seen)
        unseen = sorted(poller.pending)
    searchable = [t - ts(src["received_at"]) for t, src in seen.values()]
    indexed = [ts(src["indexed_at"]) - ts(src["received_at"]) for _, src in seen.values()]
    # An article still not searchable when the bench stopped waiting has a latency of at least this: the
    # percentiles are then lower bounds, and say so.
    at_least = [end - sent_at[i] for i in unseen]
    return {
        "rate_per_s": rate,
        "produced": len(sent_at),
        "produce_s": round(produce_s, 1),
        "send_lateness_p95_ms": round(percentile(lateness, 95) * 1000, 1),
        "searchable": len(seen),
        "not_searchable_in_time": len(unseen),
        "not_yet_searchable_when_production_ended": behind,
        "kept_up": behind <= rate * 3,
        "produce_to_searchable": latency_summary(searchable + at_least),
        "lower_bound": bool(unseen),
        "produce_to_indexed": latency_summary(indexed),
        "cores_used": cpu.cores(),
    }


# After the last article is produced, wait at most this long for the rest: a worker that cannot keep up with
# the rate has a growing backlog, and waiting it out would only add minutes to the bench, not information.
DRAIN_S = 60.0


def _drain(es: Elasticsearch, outcomes_index: str, poller: _Poller, ids: list[str], progress: Progress) -> None:
    deadline = time.monotonic() + DRAIN_S
    while time.monotonic() < deadline:
        outcomes = fetch(es, outcomes_index, ids, ["outcome"])
        # Exact duplicates and dead letters are never searchable: they leave the poller's list.
        poller.drop([i for i, o in outcomes.items() if o["outcome"] != "indexed"])
        with poller.lock:
            pending = len(poller.pending)
        if not pending and len(outcomes) >= len(set(ids)):
            return
        progress.step(len(ids) - pending, len(ids), "draining")
        time.sleep(0.5)
