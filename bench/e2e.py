"""End to end through the real local broker and search server: files -> producer -> worker process ->
indexed and searchable. The same driver runs the wiredesk worker and the naive baseline.

How each number is measured:
* throughput: the clock starts before the first file is produced and stops when the bench first sees every
  article completed (all outcomes in the ledger for wiredesk, all documents for the baseline; polled every
  0.5 s with a refresh). "steady" is the rate between the 10th and 90th percentile completion times (outcome
  `at` / document `indexed_at`), which leaves out the start-up and the tail.
* produce->indexed latency: the document's indexed_at minus its received_at (set by the producer when it read
  the file); indexed_at is taken just before the bulk request, so the bulk itself (a few ms) is not in it.
* produce->searchable latency (paced run): a poller searches the article alias for the pending ids every
  0.1 s without forcing a refresh, i.e. what a user's search would find; latency = the time the poll that
  first returned the article completed minus received_at. It includes the server's 1 s refresh interval
  and up to ~0.1 s of polling granularity.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch

from bench import sysinfo
from bench.progress import Progress
from bench.servers import ROOT, LocalServers
from bench.stats import latency_summary, percentile
from connectors.elastic import sync_client
from connectors.producer import ArticleProducer, expand
from connectors.runner import stop_worker
from pipeline.settings import Settings

# A run whose completed count has not moved for this long is stuck (a dead or wedged worker): stop it and
# report, rather than hang the bench.
STALL_S = 180.0


class Stalled(RuntimeError):
    pass


def _ts(value: Any) -> float:
    return datetime.fromisoformat(str(value)).timestamp()


def _worker(cmd: list[str], srv: LocalServers, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as fh:
        return subprocess.Popen(cmd, cwd=ROOT, env=srv.worker_env(), stdout=fh, stderr=subprocess.STDOUT)


def _tail(log: Path, n: int = 25) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-n:])


def _count(es: Elasticsearch, index: str) -> int:
    es.indices.refresh(index=index)
    return int(es.count(index=index)["count"])


def wait_count(
    es: Elasticsearch,
    index: str,
    expected: int,
    proc: subprocess.Popen[bytes],
    log: Path,
    progress: Progress | None = None,
    label: str = "",
) -> float:
    """Poll until `index` holds `expected` documents; returns the wall clock (time.time()) when it did."""
    last, last_change = -1, time.monotonic()
    while True:
        n = _count(es, index)
        now = time.monotonic()
        if n != last:
            last, last_change = n, now
        if n >= expected:
            return time.time()
        if proc.poll() is not None:
            raise Stalled(f"{label} worker exited with code {proc.returncode}:\n{_tail(log)}")
        if now - last_change > STALL_S:
            raise Stalled(f"{label}: no progress for {STALL_S:.0f} s at {n}/{expected}:\n{_tail(log)}")
        if progress:
            progress.step(n, expected, label)
        time.sleep(0.5)


def _fetch(es: Elasticsearch, index: str, ids: Sequence[str], fields: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), 500):
        resp = es.mget(index=index, ids=list(ids[start : start + 500]), source_includes=fields)
        for doc in resp["docs"]:
            if doc.get("found"):
                found[doc["_id"]] = doc["_source"]
    return found


def _throughput(t0: float, t_end: float, done_at: Sequence[float]) -> dict[str, float]:
    lo, hi = percentile(done_at, 10), percentile(done_at, 90)
    middle = sum(1 for t in done_at if lo < t <= hi)
    return {
        "articles": len(done_at),
        "wall_s": round(t_end - t0, 2),
        "per_s": round(len(done_at) / (t_end - t0), 2),
        "steady_per_s": round(middle / (hi - lo), 2) if hi > lo else float("nan"),
    }


def _batch_sizes(log: Path) -> dict[str, float]:
    """The index agent logs every batch ("batch of N: ..."): how full the NER/bulk batches actually were."""
    sizes = [int(m) for m in re.findall(r"batch of (\d+):", log.read_text(errors="replace"))]
    if not sizes:
        return {}
    return {"batches": len(sizes), "mean": round(sum(sizes) / len(sizes), 1), "max": max(sizes)}


def _produce(settings: Settings, files: Sequence[Path]) -> list[str]:
    producer = ArticleProducer(settings)
    try:
        summary = producer.send_files(expand(files))
    finally:
        producer.close()
    if summary.failed:
        raise RuntimeError(f"producer failed for {len(summary.failed)} files: {summary.failed[:3]}")
    return summary.sent


# ------------------------------------------------------------------------------------------------ wiredesk


def run_wiredesk(
    srv: LocalServers,
    files: Sequence[Path],
    warmup: Path,
    paced_files: Sequence[Path],
    paced_rate: float,
    logs: Path,
    progress: Progress,
) -> dict[str, Any]:
    s = srv.settings
    es = sync_client(s)
    log = logs / "wiredesk-worker.log"
    proc = _worker([sys.executable, "-m", "pipeline.cli", "worker"], srv, log)
    try:
        progress.say("  starting the worker and waiting for a warm-up article")
        t_start = time.monotonic()
        warm_ids = _produce(s, [warmup])
        wait_count(es, s.outcomes_index, len(warm_ids), proc, log, label="warm-up")
        ready_s = time.monotonic() - t_start

        pids = {"worker": proc.pid, **({"servers": srv.pid} if srv.pid else {})}
        cpu = sysinfo.CpuMeter({**pids, "bench+producer": os.getpid()})
        with sysinfo.Sampler(pids) as sampler:
            cpu.start()
            t0 = time.time()
            ids = _produce(s, files)
            produced_s = time.time() - t0
            expected = len(set(ids) | set(warm_ids))
            t_end = wait_count(es, s.outcomes_index, expected, proc, log, progress, "outcomes")
            cpu.stop()
        outcomes = _fetch(es, s.outcomes_index, list(dict.fromkeys(ids)), ["outcome", "at"])
        docs = _fetch(es, s.index_name, list(dict.fromkeys(ids)), ["received_at", "indexed_at"])
        kinds: dict[str, int] = {}
        for o in outcomes.values():
            kinds[str(o["outcome"])] = kinds.get(str(o["outcome"]), 0) + 1
        worker_peak = sysinfo.peak_rss_mb(proc.pid)
        saturated = {
            **_throughput(t0, t_end, [_ts(o["at"]) for o in outcomes.values()]),
            "produce_s": round(produced_s, 2),
            "outcomes": kinds,
            "produce_to_indexed_under_backlog": latency_summary(
                [_ts(d["indexed_at"]) - _ts(d["received_at"]) for d in docs.values()]
            ),
            "cpu_s": cpu.used,
            "cores_used": cpu.cores(),
            "worker_cpu_ms_per_article": round(cpu.used["worker"] * 1000 / len(outcomes), 1),
            "worker_peak_rss_mb": round(worker_peak or 0, 1),
            "servers_peak_rss_mb": round(sampler.peak_mb.get("servers", 0), 1),
            "max_load_average": round(sampler.max_load, 2),
            "worker_ready_s": round(ready_s, 1),
            "index_batches": _batch_sizes(log),
        }
        progress.say(f"  saturated run: {saturated['per_s']} articles/s; paced run at {paced_rate}/s next")
        paced = _paced(srv, es, paced_files, paced_rate, proc, log, progress)
        paced["worker_peak_rss_mb"] = round(sysinfo.peak_rss_mb(proc.pid) or 0, 1)
        if srv.pid:
            paced["servers_rss_mb"] = round(sysinfo.rss_mb(srv.pid) or 0, 1)
        return {"saturated": saturated, "paced": paced}
    finally:
        code = stop_worker(proc)
        progress.say(f"  worker stopped (exit {code}); log kept at {log}")


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


def _paced(
    srv: LocalServers,
    es: Elasticsearch,
    files: Sequence[Path],
    rate: float,
    proc: subprocess.Popen[bytes],
    log: Path,
    progress: Progress,
) -> dict[str, Any]:
    s = srv.settings
    poller = _Poller(Elasticsearch(s.search_url, request_timeout=30), s.index_name)
    producer = ArticleProducer(s)
    ids: list[str] = []
    lateness: list[float] = []
    poller.thread.start()
    cpu = sysinfo.CpuMeter({"worker": proc.pid, **({"servers": srv.pid} if srv.pid else {})})
    cpu.start()
    try:
        t0 = time.monotonic()
        for i, path in enumerate(files):
            # Absolute schedule: a slow send does not shift every later one, it only shows up as lateness.
            due = t0 + i / rate
            time.sleep(max(0.0, due - time.monotonic()))
            lateness.append(time.monotonic() - due)
            sent = producer.send_files(expand([path])).sent
            ids.extend(sent)
            poller.add(sent)
            if proc.poll() is not None:
                raise Stalled(f"worker exited with code {proc.returncode}:\n{_tail(log)}")
            progress.step(i + 1, len(files), f"{len(poller.seen)} searchable")
        produce_s = time.monotonic() - t0
        # Articles that will never be searchable (exact duplicates, dead letters) leave the poller's list once
        # their outcome says so.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            outcomes = _fetch(es, s.outcomes_index, ids, ["outcome"])
            poller.drop([i for i, o in outcomes.items() if o["outcome"] != "indexed"])
            with poller.lock:
                if not poller.pending and len(outcomes) >= len(set(ids)):
                    break
            time.sleep(0.5)
        cpu.stop()
    finally:
        poller.stop.set()
        poller.thread.join()
        producer.close()
    with poller.lock:
        seen = dict(poller.seen)
        missing = len(poller.pending)
    searchable = [t - _ts(src["received_at"]) for t, src in seen.values()]
    indexed = [_ts(src["indexed_at"]) - _ts(src["received_at"]) for _, src in seen.values()]
    return {
        "rate_per_s": rate,
        "produced": len(ids),
        "produce_s": round(produce_s, 1),
        "send_lateness_p95_ms": round(percentile(lateness, 95) * 1000, 1),
        "searchable": len(seen),
        "never_searchable": missing,
        "produce_to_searchable": latency_summary(searchable),
        "produce_to_indexed": latency_summary(indexed),
        "cores_used": cpu.cores(),
    }


# ------------------------------------------------------------------------------------------------ baseline

BASELINE_TOPIC = "bench-baseline-raw"
BASELINE_INDEX = "bench-baseline"


def run_baseline(
    srv: LocalServers, files: Sequence[Path], warmup: Path, logs: Path, progress: Progress
) -> dict[str, Any]:
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic

    base = srv.settings
    # The same producer, settings and partitioning as wiredesk's raw topic, only another topic name.
    s = base.model_copy(update={"topic_raw": BASELINE_TOPIC})
    admin = KafkaAdminClient(bootstrap_servers=s.kafka_bootstrap)
    try:
        admin.create_topics([NewTopic(BASELINE_TOPIC, s.partitions, 1)])
    finally:
        admin.close()
    es = sync_client(s)
    es.indices.create(index=BASELINE_INDEX, settings={"number_of_shards": 1, "number_of_replicas": 0})
    log = logs / "baseline-worker.log"
    cmd = [
        sys.executable,
        "-m",
        "bench.baseline_worker",
        "--bootstrap",
        s.kafka_bootstrap,
        "--topic",
        BASELINE_TOPIC,
        "--search-url",
        s.search_url,
        "--index",
        BASELINE_INDEX,
        "--batch",
        str(s.batch_size),
    ]
    proc = _worker(cmd, srv, log)
    try:
        progress.say("  starting the baseline consumer and waiting for a warm-up article")
        warm_ids = _produce(s, [warmup])
        wait_count(es, BASELINE_INDEX, len(warm_ids), proc, log, label="baseline warm-up")
        pids = {"worker": proc.pid, **({"servers": srv.pid} if srv.pid else {})}
        cpu = sysinfo.CpuMeter(pids)
        with sysinfo.Sampler(pids) as sampler:
            cpu.start()
            t0 = time.time()
            ids = _produce(s, files)
            expected = len(set(ids) | set(warm_ids))
            t_end = wait_count(es, BASELINE_INDEX, expected, proc, log, progress, "baseline documents")
            cpu.stop()
        docs = _fetch(es, BASELINE_INDEX, list(dict.fromkeys(ids)), ["received_at", "indexed_at"])
        return {
            **_throughput(t0, t_end, [_ts(d["indexed_at"]) for d in docs.values()]),
            "produce_to_indexed_under_backlog": latency_summary(
                [_ts(d["indexed_at"]) - _ts(d["received_at"]) for d in docs.values()]
            ),
            "cpu_s": cpu.used,
            "cores_used": cpu.cores(),
            "worker_cpu_ms_per_article": round(cpu.used["worker"] * 1000 / len(docs), 1),
            "worker_peak_rss_mb": round(sysinfo.peak_rss_mb(proc.pid) or 0, 1),
            "servers_peak_rss_mb": round(sampler.peak_mb.get("servers", 0), 1),
            "max_load_average": round(sampler.max_load, 2),
        }
    finally:
        code = stop_worker(proc)
        progress.say(f"  baseline consumer stopped (exit {code})")
