"""The bench's own local servers: noida-db on free loopback ports with a temporary data dir, so a bench never
touches the servers of `make run` or of a test suite running at the same time."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench import sysinfo
from wiredesk.connectors import servers
from wiredesk.connectors.worker import prepare_search
from wiredesk.pipeline.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def settings_env(settings: Settings) -> dict[str, str]:
    """The settings as WIREDESK_* variables for a worker process (None stays unset, never the string None)."""
    return {f"WIREDESK_{k.upper()}": str(v) for k, v in settings.model_dump().items() if v is not None}


@dataclass(frozen=True)
class LocalServers:
    settings: Settings
    pid: int | None  # the noida-db process: Kafka and Elasticsearch are one process, so one RSS for both

    def worker_env(self) -> dict[str, str]:
        return {**os.environ, **settings_env(self.settings)}


@contextmanager
def local_servers(name: str) -> Iterator[LocalServers]:
    """Start fresh servers (topics and indices created), yield them, always stop them and delete their data."""
    tmp = Path(tempfile.mkdtemp(prefix=f"wiredesk-bench-{name}-"))
    settings = Settings(
        broker_url=f"kafka://127.0.0.1:{free_port()}",
        search_url=f"http://127.0.0.1:{free_port()}",
        data_dir=tmp,
        worker_id=f"bench-{name}",
        web_port=free_port(),
        metrics_port=free_port(),
        # The repository's alert rules, wherever the bench is started from: the worker evaluates them, as
        # it would in production.
        alert_rules_path=ROOT / "alerts.yml",
    )
    started = False
    try:
        started = servers.up(settings)
        prepare_search(settings)
        pid = sysinfo.find_pid("noida-db", str(servers.local_data_dir(settings)))
        yield LocalServers(settings, pid)
    finally:
        if started:
            servers.down(settings)
        shutil.rmtree(tmp, ignore_errors=True)
