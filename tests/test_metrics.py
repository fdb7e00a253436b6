"""The worker's /metrics, /health and /ready, and the log formats."""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faust.types import TP
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import SEEDS, WorkerProcess, free_port
from wiredesk.connectors import servers
from wiredesk.connectors.logs import JsonFormatter, configure_cli, worker_logging_config
from wiredesk.connectors.metrics import Metrics, consumer_lags, serve
from wiredesk.connectors.producer import send_paths
from wiredesk.connectors.worker import prepare_search
from wiredesk.pipeline.batch import BatchReport
from wiredesk.pipeline.settings import Settings

# Seconds for a worker to load its models, join its group and index two seeds (as tests/test_e2e.py).
TIMEOUT_S = 120.0


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus exposition, by name and sorted labels."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_batch_report_counts_outcomes_and_latency() -> None:
    metrics = Metrics()
    metrics.index_batch(5, BatchReport(indexed=2, duplicates=1, dead_lettered=2, latencies_s=[0.4, 7.0]))
    metrics.dead_lettered(3)
    metrics.stage("clean", processed=4, failed=1)
    got = samples(metrics.exposition().decode())
    assert got[("wiredesk_articles_total", (("outcome", "indexed"),))] == 2
    assert got[("wiredesk_articles_total", (("outcome", "duplicate"),))] == 1
    assert got[("wiredesk_articles_total", (("outcome", "dead_lettered"),))] == 3
    assert got[("wiredesk_articles_total", (("outcome", "killed"),))] == 0
    assert got[("wiredesk_stage_messages_total", (("result", "processed"), ("stage", "index")))] == 3
    assert got[("wiredesk_stage_messages_total", (("result", "failed"), ("stage", "index")))] == 2
    assert got[("wiredesk_stage_messages_total", (("result", "failed"), ("stage", "clean")))] == 1
    assert got[("wiredesk_produce_to_indexed_seconds_count", ())] == 2
    assert got[("wiredesk_produce_to_indexed_seconds_sum", ())] == pytest.approx(7.4)
    assert got[("wiredesk_produce_to_indexed_seconds_bucket", (("le", "0.5"),))] == 1
    assert got[("wiredesk_produce_to_indexed_seconds_bucket", (("le", "5.0"),))] == 1
    assert got[("wiredesk_produce_to_indexed_seconds_bucket", (("le", "10.0"),))] == 2


class FakeConsumer:
    def __init__(self, ends: dict[TP, int | None], committed: dict[TP, int | None]) -> None:
        self.ends = ends
        self._committed_offset = committed

    def assignment(self) -> set[TP]:
        return set(self.ends)

    def highwater(self, tp: TP) -> int | None:
        return self.ends[tp]


def test_lag_is_end_minus_committed_for_assigned_partitions_only() -> None:
    raw0, raw1, other, unfetched = TP("raw", 0), TP("raw", 1), TP("app-dedup-state-changelog", 0), TP("raw", 2)
    consumer = FakeConsumer({raw0: 10, raw1: 7, other: 99, unfetched: None}, {raw0: 4, raw1: None})
    lags = consumer_lags(consumer, {"raw"})
    # A committed offset Faust keeps as None is 0; a partition with no known end is left out.
    assert lags == [("raw", 0, 6), ("raw", 1, 7)]

    metrics = Metrics()
    metrics.set_lag(lags)
    metrics.set_lag([("raw", 1, 2)])  # partition 0 went to another worker
    got = {k: v for k, v in samples(metrics.exposition().decode()).items() if k[0] == "wiredesk_consumer_lag"}
    assert got == {("wiredesk_consumer_lag", (("partition", "1"), ("topic", "raw"))): 2}


@pytest.fixture
def http_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, metrics_port=free_port())


def test_server_answers_health_ready_and_metrics(http_settings: Settings) -> None:
    metrics = Metrics()
    metrics.stage("dedup", processed=3)
    reasons = ["the NER process is not running"]
    server = serve(http_settings, metrics, lambda: list(reasons))
    base = f"http://127.0.0.1:{http_settings.metrics_port}"
    try:
        assert get(f"{base}/health") == (200, b'{"status": "alive"}')
        status, body = get(f"{base}/ready")
        assert status == 503 and json.loads(body) == {"ready": False, "reasons": reasons}
        reasons.clear()
        status, body = get(f"{base}/ready")
        assert status == 200 and json.loads(body) == {"ready": True, "reasons": []}
        status, body = get(f"{base}/metrics")
        assert status == 200
        assert (
            samples(body.decode())[("wiredesk_stage_messages_total", (("result", "processed"), ("stage", "dedup")))]
            == 3
        )
        assert get(f"{base}/nope")[0] == 404
    finally:
        server.shutdown()
        server.server_close()


def test_a_taken_port_stops_the_worker_naming_the_setting(http_settings: Settings) -> None:
    server = serve(http_settings, Metrics(), list)
    try:
        with pytest.raises(SystemExit, match="WIREDESK_METRICS_PORT"):
            serve(http_settings, Metrics(), list)
    finally:
        server.shutdown()
        server.server_close()


def record(msg: str, *args: object, exc: bool = False) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise ValueError("boom")
        except ValueError:
            import sys

            exc_info = sys.exc_info()
    return logging.LogRecord("wiredesk.connectors.app", logging.WARNING, __file__, 1, msg, args, exc_info)


def test_json_log_lines() -> None:
    line = JsonFormatter().format(record('dead-lettered %s: "%s"', "a[/]b.txt", "bad\nfile"))
    entry = json.loads(line)
    assert entry["level"] == "WARNING" and entry["logger"] == "wiredesk.connectors.app"
    assert entry["message"] == 'dead-lettered a[/]b.txt: "bad\nfile"'
    assert entry["time"].endswith("+00:00") and "\n" not in line  # one line per record, whatever the message
    assert "ValueError: boom" in json.loads(JsonFormatter().format(record("x", exc=True)))["exc_info"]


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_cli_logs_json_at_the_configured_level(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    logging.getLogger().handlers.clear()  # as in a fresh process: configure_cli leaves a logging set up alone
    configure_cli(Settings(data_dir=tmp_path, log_format="json", log_level="WARNING"))
    logging.getLogger("wiredesk.connectors.producer").info("not shown")
    logging.getLogger("wiredesk.connectors.producer").warning("shown %d", 1)
    logging.getLogger("elastic_transport.transport").warning("retrying")  # the command says it in its own words
    logging.getLogger("kafka.conn").error("refused")
    lines = capsys.readouterr().err.splitlines()
    assert [json.loads(line)["message"] for line in lines] == ["shown 1", "refused"]
    # A filter on the command's handler, not a logger level: the worker, which replaces the handler, keeps them.
    assert logging.getLogger("elastic_transport.transport").getEffectiveLevel() == logging.WARNING


def test_worker_json_config_replaces_fausts_text_handler(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    from mode.utils.logging import setup_logging

    config = worker_logging_config(Settings(data_dir=tmp_path, log_format="json"))
    assert config is not None
    setup_logging(loglevel="info", logging_config=config)  # what Faust's worker does with it
    logging.getLogger("faust.worker").info("[^Worker]: Ready")
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line)["message"] == "[^Worker]: Ready"
    assert worker_logging_config(Settings(data_dir=tmp_path)) is None  # text: Faust's own format


@pytest.mark.integration
@pytest.mark.parametrize("log_format", ["text", "json"])
def test_worker_serves_metrics_health_and_readiness(backend: Settings, tmp_path: Path, log_format: str) -> None:
    # Topics, indices and group of its own, so the counters start at zero whatever other tests sent.
    prefix = f"metrics-{log_format}"
    settings = backend.model_copy(
        update={
            "app_id": f"wiredesk-{prefix}",
            "worker_id": f"{prefix}-worker",
            "web_port": free_port(),
            "metrics_port": free_port(),
            "log_format": log_format,
            **{
                f"topic_{t}": f"{prefix}-{t}"
                for t in ("raw", "cleaned", "deduped", "dlq", "stories", "alerts", "corrections")
            },
            **{i: f"{prefix}-{i}" for i in ("index_name", "outcomes_index", "alerts_index", "workers_index")},
        }
    )
    servers.create_topics(settings)
    prepare_search(settings)
    worker = WorkerProcess(settings, tmp_path / "worker.log")
    base = f"http://127.0.0.1:{settings.metrics_port}"
    worker.start()
    try:
        wait_until(lambda: _status(f"{base}/health") == 200, worker, "/health")
        # The server is up before the models are loaded: not ready, and it says why.
        status, body = get(f"{base}/ready")
        assert status == 503, body
        assert any("Faust worker is not ready" in r for r in json.loads(body)["reasons"])

        worker.wait_ready(TIMEOUT_S)
        wait_until(lambda: _status(f"{base}/ready") == 200, worker, "/ready")
        sent = send_paths(settings, [SEEDS]).sent
        assert len(sent) == 2

        def indexed() -> dict[Any, float]:
            got = samples(get(f"{base}/metrics")[1].decode())
            return got if got.get(("wiredesk_articles_total", (("outcome", "indexed"),))) == len(sent) else {}

        got = wait_until(indexed, worker, "the indexed counter")
        assert got[("wiredesk_produce_to_indexed_seconds_count", ())] == len(sent)
        # Produce -> indexed took more than nothing and less than the test's whole wait.
        total_s = got[("wiredesk_produce_to_indexed_seconds_sum", ())]
        assert 0 < total_s < len(sent) * TIMEOUT_S
        print(f"produce -> indexed, mean of {len(sent)} seeds on an idle worker: {total_s / len(sent):.2f} s")
        for stage in ("clean", "dedup", "index"):
            assert got[("wiredesk_stage_messages_total", (("result", "processed"), ("stage", stage)))] == len(sent)
            assert got[("wiredesk_stage_messages_total", (("result", "failed"), ("stage", stage)))] == 0

        def drained() -> dict[Any, float]:
            got = samples(get(f"{base}/metrics")[1].decode())
            lags = {k: v for k, v in got.items() if k[0] == "wiredesk_consumer_lag"}
            raw = [k for k in lags if ("topic", settings.topic_raw) in k[1]]
            return lags if len(raw) == settings.partitions and not any(lags.values()) else {}

        # Every raw partition is reported, and once everything is committed the lag is 0 everywhere.
        wait_until(drained, worker, "consumer lag 0")
        if log_format == "json":
            # Faust's own records too: every log line of the worker is one JSON object.
            records = [json.loads(line) for line in worker.log.read_text().splitlines() if line.startswith("{")]
            assert any(r["message"] == "[^Worker]: Ready" for r in records)
            assert not [line for line in worker.log.read_text().splitlines() if line.startswith("[20")]
    finally:
        worker.stop()


def _status(url: str) -> int:
    try:
        return get(url)[0]
    except OSError:
        return 0


def wait_until(check: Any, worker: WorkerProcess, what: str) -> Any:
    deadline = time.monotonic() + TIMEOUT_S
    while not (result := check()):
        assert worker.proc is not None and worker.proc.poll() is None, f"the worker exited: {worker.tail()}"
        assert time.monotonic() < deadline, f"{what}: not within {TIMEOUT_S:.0f} s\n{worker.tail()}"
        time.sleep(0.2)
    return result
