"""Fixtures: the servers an integration test runs against, and a worker process.

`backend` is parametrised: "local" (noida-db on loopback, started here; always runs) and "docker" (Apache
Kafka + Elasticsearch containers through testcontainers; skipped with the reason when no Docker engine
answers)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from tests.factories import seed_paragraphs
from wiredesk.connectors import servers
from wiredesk.connectors.runner import stop_worker
from wiredesk.connectors.worker import prepare_search
from wiredesk.pipeline.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
KAFKA_IMAGE = "apache/kafka:3.8.0"
ES_IMAGE = "docker.elastic.co/elasticsearch/elasticsearch:8.15.3"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def settings_env(settings: Settings) -> dict[str, str]:
    """The same settings as WIREDESK_* variables, for a worker in another process."""
    fields = settings.model_dump()
    # None stays unset: str(None) would arrive as the string "None" (a webhook URL, a file called None). A secret
    # is passed as itself: str(SecretStr) is its mask, "**********".
    return {
        f"WIREDESK_{k.upper()}": v.get_secret_value() if isinstance(v, SecretStr) else str(v)
        for k, v in fields.items()
        if v is not None
    }


def docker_available() -> str | None:
    """None when a Docker engine answers, else why not."""
    try:
        import docker

        docker.from_env(timeout=3).ping()
    except Exception as exc:
        return f"no Docker engine: {type(exc).__name__}"
    return None


def _local(tmp: Path) -> Iterator[Settings]:
    settings = Settings(
        broker_url=f"kafka://127.0.0.1:{free_port()}",
        search_url=f"http://127.0.0.1:{free_port()}",
        data_dir=tmp,
        worker_id="test-worker-1",
        web_port=free_port(),
        metrics_port=free_port(),
    )
    servers.up(settings)
    try:
        yield settings
    finally:
        servers.down(settings)


def _docker(tmp: Path) -> Iterator[Settings]:
    reason = docker_available()
    if reason:
        pytest.skip(f"docker variant skipped: {reason}")
    from testcontainers.elasticsearch import ElasticSearchContainer
    from testcontainers.kafka import KafkaContainer

    # Single node, small heap, generous start-up wait: the usual causes of flaky Elasticsearch containers.
    es = ElasticSearchContainer(ES_IMAGE, mem_limit="1g").with_env("ES_JAVA_OPTS", "-Xms512m -Xmx512m")
    kafka = KafkaContainer(KAFKA_IMAGE).with_kraft()
    with kafka, es:
        settings = Settings(
            broker_url=kafka.get_bootstrap_server(),
            search_url=es.get_url(),
            data_dir=tmp,
            worker_id="test-worker-1",
            web_port=free_port(),
            metrics_port=free_port(),
        )
        servers.create_topics(settings)
        yield settings


@pytest.fixture(scope="session", params=["local", "docker"])
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    tmp = tmp_path_factory.mktemp(f"wiredesk-{request.param}")
    factory = _local if request.param == "local" else _docker
    yield from factory(tmp)


class WorkerProcess:
    def __init__(self, settings: Settings, log: Path) -> None:
        self.settings = settings
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, **settings_env(self.settings)}
        with self.log.open("ab") as fh:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "wiredesk.connectors.cli", "worker"],
                cwd=ROOT,
                env=env,
                stdout=fh,
                stderr=subprocess.STDOUT,
            )

    def stop(self) -> int:
        assert self.proc is not None
        return stop_worker(self.proc)

    def wait_ready(self, timeout_s: float) -> None:
        """Until Faust says the worker is ready: it has joined its group and got its partitions."""
        deadline = time.monotonic() + timeout_s
        while "[^Worker]: Ready" not in self.log.read_text(errors="replace"):
            assert self.proc is not None and self.proc.poll() is None, f"the worker exited: {self.tail()}"
            assert time.monotonic() < deadline, f"the worker was not ready within {timeout_s:.0f} s: {self.tail()}"
            time.sleep(0.2)

    def tail(self, n: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])

    def problems(self, n: int = 40) -> str:
        """The last warnings and errors, repeats folded: what a failed test needs to say why the worker stalled
        (CI shows only the test output, not the worker's log file)."""
        lines = [
            line
            for line in self.log.read_text(errors="replace").splitlines()
            if "] [WARNING] " in line or "] [ERROR] " in line
        ]
        unique = list(dict.fromkeys(line.split("] ", 3)[-1] for line in lines))
        return "\n".join(unique[-n:])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.when == "call" and report.failed:
        for name, proc in getattr(item, "funcargs", {}).items():  # every worker the test used, whatever its fixture
            if isinstance(proc, WorkerProcess) and proc.log.exists():
                report.sections.append((f"{name} log: last warnings and errors", proc.problems()))


@pytest.fixture(scope="session")
def worker(backend: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerProcess]:
    prepare_search(backend)
    proc = WorkerProcess(backend, tmp_path_factory.mktemp("logs") / "worker.log")
    proc.start()
    time.sleep(0.1)
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
def wion() -> list[str]:
    """The first seed's reporting paragraphs, without its headline (the first line)."""
    return seed_paragraphs("000_88e60c92ae50af0c.txt")[1:]


@pytest.fixture(scope="session")
def other() -> list[str]:
    """The second seed's reporting paragraphs: the same story by another outlet."""
    return seed_paragraphs("002_d9abfc66759522b5.txt")
