"""The worker's metrics, and the small HTTP server that serves them with /health and /ready.

Metric names (Prometheus text format on GET /metrics):

- wiredesk_stage_messages_total{stage, result}: messages each agent handled; result "processed" or "failed"
  (failed = dead-lettered by that stage, or unreadable for the ledger).
- wiredesk_articles_total{outcome}: what became of articles, as the outcome ledger records it: indexed,
  duplicate, killed (from the index stage's batch report) and dead_lettered (from the ledger agent, so letters
  from every stage and from the producer count once).
- wiredesk_consumer_lag{topic, partition}: messages between this worker's committed offset and the end of each
  partition assigned to it.
- wiredesk_produce_to_indexed_seconds: indexed_at - received_at of every article indexed.

The server is a thread of its own (stdlib http.server), not a route on Faust's web server: Faust starts that one
only once its tables are recovered, so it could neither answer /health nor say "not ready" during a recovery."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from wiredesk.pipeline.batch import BatchReport
from wiredesk.pipeline.settings import Settings

log = logging.getLogger(__name__)

# Produce -> indexed, in seconds. A lone article is indexed in ~0.5-1 s (batch_timeout_s 0.25 s plus NER);
# under a steady 10 articles/s p95 is ~3 s (make bench); a backlog after a crash drains in 1-2 min (README,
# Reliability). The buckets resolve each of these: sub-second, the seconds of normal load, the minutes of a
# backlog, and 10 min beyond which an article is late whatever the cause.
LATENCY_BUCKETS = (0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)


class Metrics:
    """One worker's metrics, in a registry of their own (so tests and several apps in a process do not share)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.messages = Counter(
            "wiredesk_stage_messages",
            "Messages handled per stage: processed, or failed (dead-lettered or unreadable).",
            ["stage", "result"],
            registry=self.registry,
        )
        self.articles = Counter(
            "wiredesk_articles",
            "Articles by outcome (as recorded in the outcome ledger).",
            ["outcome"],
            registry=self.registry,
        )
        self.lag = Gauge(
            "wiredesk_consumer_lag",
            "Messages after this worker's committed offset, per assigned partition.",
            ["topic", "partition"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "wiredesk_produce_to_indexed_seconds",
            "From the producer reading an article (received_at) to its document being indexed (indexed_at).",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._lag_labels: set[tuple[str, str]] = set()

    def stage(self, stage: str, *, processed: int = 0, failed: int = 0) -> None:
        self.messages.labels(stage, "processed").inc(processed)
        self.messages.labels(stage, "failed").inc(failed)

    def index_batch(self, messages: int, report: BatchReport) -> None:
        self.stage("index", processed=messages - report.dead_lettered, failed=report.dead_lettered)
        self.articles.labels("indexed").inc(report.indexed)
        self.articles.labels("duplicate").inc(report.duplicates)
        self.articles.labels("killed").inc(len(report.killed))
        for seconds in report.latencies_s:
            self.latency.observe(seconds)

    def dead_lettered(self, n: int) -> None:
        self.articles.labels("dead_lettered").inc(n)

    def set_lag(self, lags: Iterable[tuple[str, int, int]]) -> None:
        """(topic, partition, lag) for every partition assigned now; partitions no longer assigned are dropped,
        so a partition that moved to another worker is not reported twice."""
        current = set()
        for topic, partition, lag in lags:
            labels = (topic, str(partition))
            self.lag.labels(*labels).set(lag)
            current.add(labels)
        for labels in self._lag_labels - current:
            self.lag.remove(*labels)
        self._lag_labels = current

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def consumer_lags(consumer: Any, topics: set[str]) -> list[tuple[str, int, int]]:
    """(topic, partition, end - committed) of a Faust consumer's assigned partitions of `topics`; partitions
    whose end is not known yet (nothing fetched since the assignment) are left out."""
    lags = []
    for tp in sorted(consumer.assignment()):
        if tp.topic not in topics:
            continue
        end = consumer.highwater(tp)
        if end is None:
            continue
        # Faust keeps a committed offset of 0 as None (see connectors/faust_fixes.py).
        committed = consumer._committed_offset.get(tp) or 0
        lags.append((tp.topic, tp.partition, max(end - committed, 0)))
    return lags


# What /ready needs: the reasons the worker is not ready, none when it is.
NotReady = Callable[[], list[str]]


def serve(settings: Settings, metrics: Metrics, not_ready: NotReady) -> ThreadingHTTPServer:
    """Serve /metrics, /health and /ready on metrics_host:metrics_port from a daemon thread."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self._send(200, metrics.exposition(), CONTENT_TYPE_LATEST)
            elif path == "/health":
                # The process answers: alive. Whether it can work is /ready's question.
                self._json(200, {"status": "alive"})
            elif path == "/ready":
                reasons = not_ready()
                self._json(503 if reasons else 200, {"ready": not reasons, "reasons": reasons})
            else:
                self._json(404, {"error": f"no such path: {path} (try /metrics, /health, /ready)"})

        def _json(self, status: int, body: dict[str, Any]) -> None:
            self._send(status, json.dumps(body).encode(), "application/json")

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            # A scrape every 15 s would otherwise fill the worker's log.
            log.debug("%s %s", self.address_string(), format % args)

    try:
        server = ThreadingHTTPServer((settings.metrics_host, settings.metrics_port), Handler)
    except OSError as exc:
        raise SystemExit(
            f"metrics server: cannot listen on {settings.metrics_host}:{settings.metrics_port} ({exc}); "
            "another worker on this machine may hold the port: set WIREDESK_METRICS_PORT"
        ) from exc
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="metrics-http", daemon=True).start()
    log.info("metrics, health and readiness on http://%s:%d/", settings.metrics_host, settings.metrics_port)
    return server
