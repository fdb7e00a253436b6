"""What every end-to-end run needs: start a worker process, produce files, poll the search server."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch

from bench.progress import Progress
from bench.servers import ROOT, LocalServers
from wiredesk.connectors.producer import send_paths
from wiredesk.pipeline.settings import Settings

# A run whose completed count has not moved for this long is stuck (a dead or wedged worker): stop it and
# report, rather than hang the bench.
STALL_S = 180.0


class Stalled(RuntimeError):
    pass


def ts(value: Any) -> float:
    return datetime.fromisoformat(str(value)).timestamp()


def start_process(cmd: list[str], srv: LocalServers, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as fh:
        return subprocess.Popen(cmd, cwd=ROOT, env=srv.worker_env(), stdout=fh, stderr=subprocess.STDOUT)


def tail(log: Path, n: int = 25) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-n:])


def count(es: Elasticsearch, index: str) -> int:
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
        n = count(es, index)
        now = time.monotonic()
        if n != last:
            last, last_change = n, now
        if n >= expected:
            return time.time()
        if proc.poll() is not None:
            raise Stalled(f"{label} worker exited with code {proc.returncode}:\n{tail(log)}")
        if now - last_change > STALL_S:
            raise Stalled(f"{label}: no progress for {STALL_S:.0f} s at {n}/{expected}:\n{tail(log)}")
        if progress:
            progress.step(n, expected, label)
        time.sleep(0.5)


def fetch(es: Elasticsearch, index: str, ids: Sequence[str], fields: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), 500):
        resp = es.mget(index=index, ids=list(ids[start : start + 500]), source_includes=fields)
        for doc in resp["docs"]:
            if doc.get("found"):
                found[doc["_id"]] = doc["_source"]
    return found


def produce(settings: Settings, files: Sequence[Path]) -> list[str]:
    summary = send_paths(settings, files)
    if summary.failed:
        raise RuntimeError(f"producer failed for {len(summary.failed)} files: {summary.failed[:3]}")
    return summary.sent
