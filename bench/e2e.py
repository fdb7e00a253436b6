"""End to end through the real local broker and search server: files -> producer -> worker process ->
indexed and searchable. The same driver runs the wiredesk worker and the naive baseline.

How each number is measured:
* throughput: the clock starts before the first file is produced and stops when the bench first sees every
  article completed (all outcomes in the ledger for wiredesk, all documents for the baseline; polled every
  0.5 s with a refresh). "steady" is the rate from the first completed batch to the last completion (outcome
  `at` / document `indexed_at`), which leaves out the pipeline filling up.
* produce->indexed latency: the document's indexed_at minus its received_at (set by the producer when it read
  the file); indexed_at is taken just before the bulk request, so the bulk itself (a few ms) is not in it.
* produce->searchable latency at a paced rate: see bench/paced.py.
* memory: the worker's VmHWM (peak RSS, kept by the kernel); the servers' RSS sampled every 0.5 s.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import sysinfo
from bench.driver import fetch, produce, start_process, ts, wait_count
from bench.paced import run_paced
from bench.progress import Progress
from bench.servers import LocalServers
from bench.stats import latency_summary
from wiredesk.connectors.elastic import sync_client
from wiredesk.connectors.runner import stop_worker
from wiredesk.connectors.security import kafka_kwargs


def _throughput(t0: float, t_end: float, done_at: Sequence[float]) -> dict[str, float]:
    """Overall: articles / (last seen complete - first produced). Steady: the articles completed after the
    first batch, over the time from the first batch to the last completion; this leaves out the pipeline
    filling up (first_done_s), which a continuous stream pays only once."""
    done = sorted(done_at)
    first_batch = sum(1 for t in done if t - done[0] <= 0.5)
    span = done[-1] - done[0]
    return {
        "articles": len(done),
        "wall_s": round(t_end - t0, 2),
        "per_s": round(len(done) / (t_end - t0), 2),
        "steady_per_s": round((len(done) - first_batch) / span, 2) if span > 1 else float("nan"),
        "first_done_s": round(done[0] - t0, 2),
    }


def _batch_sizes(log: Path) -> dict[str, float]:
    """The index agent logs every batch ("batch of N: ..."): how full the NER/bulk batches actually were."""
    sizes = [int(m) for m in re.findall(r"batch of (\d+):", log.read_text(errors="replace"))]
    if not sizes:
        return {}
    return {"batches": len(sizes), "mean": round(sum(sizes) / len(sizes), 1), "max": max(sizes)}


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
    proc = start_process([sys.executable, "-m", "wiredesk.connectors.cli", "worker"], srv, log)
    try:
        progress.say("  starting the worker and waiting for a warm-up article")
        t_start = time.monotonic()
        warm_ids = produce(s, [warmup])
        wait_count(es, s.outcomes_index, len(warm_ids), proc, log, label="warm-up")
        ready_s = time.monotonic() - t_start
        warm_rss = sysinfo.tree_rss_mb(proc.pid)
        idle = _idle_cores(proc.pid, srv.pid)

        pids = {"worker": proc.pid, **({"servers": srv.pid} if srv.pid else {})}
        cpu = sysinfo.CpuMeter({**pids, "bench+producer": os.getpid()}, split="worker")
        with sysinfo.Sampler(pids) as sampler:
            cpu.start()
            t0 = time.time()
            ids = produce(s, files)
            produced_s = time.time() - t0
            expected = len(set(ids) | set(warm_ids))
            t_end = wait_count(es, s.outcomes_index, expected, proc, log, progress, "outcomes")
            cpu.stop()
        outcomes = fetch(es, s.outcomes_index, list(dict.fromkeys(ids)), ["outcome", "at"])
        docs = fetch(es, s.index_name, list(dict.fromkeys(ids)), ["received_at", "indexed_at"])
        kinds: dict[str, int] = {}
        for o in outcomes.values():
            kinds[str(o["outcome"])] = kinds.get(str(o["outcome"]), 0) + 1
        worker_peak = sysinfo.tree_peak_rss_mb(proc.pid)
        own_peak = sysinfo.peak_rss_mb(proc.pid) or 0.0
        saturated = {
            **_throughput(t0, t_end, [ts(o["at"]) for o in outcomes.values()]),
            "produce_s": round(produced_s, 2),
            "outcomes": kinds,
            "produce_to_indexed_under_backlog": latency_summary(
                [ts(d["indexed_at"]) - ts(d["received_at"]) for d in docs.values()]
            ),
            "cpu_s": cpu.used,
            "cores_used": cpu.cores(),
            "worker_cpu_ms_per_article": round(cpu.used["worker"] * 1000 / len(outcomes), 1),
            # Main thread: the event loop (Faust, Kafka I/O, dedup, (de)serialisation, the Elasticsearch client,
            # ledger and alerts agents); other threads: clean + head vector (an executor thread), the Kafka
            # consumer; the child process: NER.
            "worker_cpu_s_by_thread": cpu.threads,
            "worker_peak_rss_mb": round(worker_peak or 0, 1),
            "worker_peak_rss_mb_by_process": {
                "worker": round(own_peak, 1),
                "NER process": round((worker_peak or 0) - own_peak, 1),
            },
            # Model loaded, one article processed: the worker's floor before any batch.
            "worker_rss_after_warmup_mb": round(warm_rss or 0, 1),
            "servers_peak_rss_mb": round(sampler.peak_mb.get("servers", 0), 1),
            "max_load_average": round(sampler.max_load, 2),
            "worker_ready_s": round(ready_s, 1),
            # With nothing to do: what the worker and servers burn on polling alone.
            "idle_cores": idle,
            "index_batches": _batch_sizes(log),
        }
        progress.say(f"  saturated run: {saturated['per_s']} articles/s; paced run at {paced_rate}/s next")
        with sysinfo.Sampler(pids, trees=frozenset({"worker"})) as sampler:
            paced = run_paced(srv, es, paced_files, paced_rate, proc, log, progress)
        # VmHWM covers the worker's whole life (the backlog run too); the sampled peak covers this run only.
        paced["worker_peak_rss_mb"] = round(sampler.peak_mb.get("worker", 0), 1)
        paced["servers_peak_rss_mb"] = round(sampler.peak_mb.get("servers", 0), 1)
        return {"saturated": saturated, "paced": paced}
    finally:
        code = stop_worker(proc)
        progress.say(f"  worker stopped (exit {code}); log kept at {log}")


IDLE_S = 5.0


def _idle_cores(worker: int, servers: int | None) -> dict[str, float]:
    cpu = sysinfo.CpuMeter({"worker": worker, **({"servers": servers} if servers else {})}, split="worker")
    cpu.start()
    time.sleep(IDLE_S)
    cpu.stop()
    return cpu.cores()


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
    admin = KafkaAdminClient(**kafka_kwargs(s))
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
    proc = start_process(cmd, srv, log)
    try:
        progress.say("  starting the baseline consumer and waiting for a warm-up article")
        warm_ids = produce(s, [warmup])
        wait_count(es, BASELINE_INDEX, len(warm_ids), proc, log, label="baseline warm-up")
        pids = {"worker": proc.pid, **({"servers": srv.pid} if srv.pid else {})}
        cpu = sysinfo.CpuMeter(pids)
        with sysinfo.Sampler(pids) as sampler:
            cpu.start()
            t0 = time.time()
            ids = produce(s, files)
            expected = len(set(ids) | set(warm_ids))
            t_end = wait_count(es, BASELINE_INDEX, expected, proc, log, progress, "baseline documents")
            cpu.stop()
        docs = fetch(es, BASELINE_INDEX, list(dict.fromkeys(ids)), ["received_at", "indexed_at"])
        return {
            **_throughput(t0, t_end, [ts(d["indexed_at"]) for d in docs.values()]),
            "produce_to_indexed_under_backlog": latency_summary(
                [ts(d["indexed_at"]) - ts(d["received_at"]) for d in docs.values()]
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
