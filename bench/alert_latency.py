"""Drop folder -> alert latency, end to end through the real processes: `wiredesk produce --watch` on a drop
folder, one worker with a bench-only rule that matches every story, alerts read from the JSON-lines sink.

How it is measured:
* each article is written under a temporary name outside the folder and renamed in (atomic, as a feed
  should drop files); its landing time is the wall clock right after the rename.
* latency = the alert's fired_at (stamped by the worker when the rules matched) - landing time. The same
  machine's clock on both sides, so no skew. "in the file" is when the bench saw the alert's line in the
  JSON-lines sink (polled every POLL_S): fired_at plus delivery to the topic and the fsync'd file.
* the parts: landing -> received_at (the watcher picked the file up and read it), -> indexed_at (clean,
  dedup, NER, bulk), -> fired_at (stories topic, refresh, rule search).
* an article without an alert TIMEOUT_S after landing is missing: counted, named, and its fate looked up
  in the outcomes and article indices; percentiles are over the alerts that fired.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch

from bench.alert_corpus import land
from bench.driver import STALL_S, Stalled, start_process, tail
from bench.progress import Progress
from bench.servers import LocalServers
from bench.stats import latency_summary, percentile
from wiredesk.connectors.alert_sinks import read_new
from wiredesk.connectors.corpus import NewsArticle
from wiredesk.connectors.elastic import sync_client
from wiredesk.connectors.runner import stop_worker
from wiredesk.pipeline.alerts import Alert
from wiredesk.pipeline.settings import Settings

RULE = "bench-every-story"
RULES_YML = f"""# Written by the bench (bench/alert_latency.py): one rule that matches every new story.
rules:
  - name: {RULE}
    description: every new story (bench)
    query: {{match_all: {{}}}}
    # The topic as in production; the file is what the bench reads. No webhook: none is configured.
    sinks: [topic, jsonl]
"""

# Gaps between landings are drawn uniformly from this range (mean 1 s, i.e. 1 article/s). Why this pace: the
# e2e phase measures ~13-15 articles/s of capacity, so at 1/s the worker is idle most of the time and each
# article meets an empty pipeline: the number is the latency of one story, not of a queue. Why random: the
# watcher polls every watch_interval_s (0.25 s); files landing at a fixed multiple of it would all hit the same
# point of its cycle and measure one pickup delay 100 times instead of sampling the whole cycle. Seeded:
# reproducible.
GAP_S = (0.5, 1.5)
SEED = 6
# An article with no alert this long after landing is missing. The expected latency is a second or two
# (0.25-0.5 s pickup, batching, NER, refresh); the alerter alone retries visibility for ~8 s; 60 s is
# far past every legitimate path (the same wait as the paced e2e run's drain).
TIMEOUT_S = 60.0
# How often the bench reads the alerts file: fine enough that "in the file" is within 50 ms, cheap (a stat).
POLL_S = 0.05
# Seconds the drop-folder watcher gets to close its producer after Ctrl-C (SIGINT) before it is killed.
WATCHER_GRACE_S = 10.0


class _AlertsFile:
    """Follows the JSON-lines sink; every alert with the time the bench first saw it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.seen: list[tuple[float, Alert]] = []

    def poll(self) -> None:
        alerts, self.offset = read_new(self.path, self.offset)
        now = time.time()
        self.seen.extend((now, a) for a in alerts)

    def names(self) -> set[str]:
        return {Path(a.origin).name for _, a in self.seen}


def _wait(until: float, alerts: _AlertsFile, alive: Callable[[], None]) -> None:
    """Sleep until the wall clock `until`, reading the alerts file meanwhile."""
    while True:
        alerts.poll()
        alive()
        left = until - time.time()
        if left <= 0:
            return
        time.sleep(min(POLL_S, left))


def run_alert_latency(
    srv: LocalServers,
    stories: Sequence[NewsArticle],
    warmup: NewsArticle,
    work: Path,
    logs: Path,
    progress: Progress,
) -> dict[str, Any]:
    drop, staging = work / "drop", work / "staging"
    drop.mkdir(parents=True)
    staging.mkdir()
    rules = work / "alerts-bench.yml"
    rules.write_text(RULES_YML)
    settings = srv.settings.model_copy(update={"alert_rules_path": rules, "alerts_jsonl_path": work / "alerts.jsonl"})
    run = LocalServers(settings, srv.pid)
    alerts = _AlertsFile(work / "alerts.jsonl")
    worker_log, watcher_log = logs / "alert-latency-worker.log", logs / "alert-latency-watcher.log"
    worker = start_process([sys.executable, "-m", "wiredesk.connectors.cli", "worker"], run, worker_log)
    watcher = start_process(
        [sys.executable, "-m", "wiredesk.connectors.cli", "produce", "--watch", str(drop)], run, watcher_log
    )

    def alive() -> None:
        for proc, log, what in ((worker, worker_log, "worker"), (watcher, watcher_log, "drop-folder watcher")):
            if proc.poll() is not None:
                raise Stalled(f"alert latency: the {what} exited with code {proc.returncode}:\n{tail(log)}")

    try:
        progress.say("  starting the worker and the drop-folder watcher; waiting for a warm-up alert")
        t_ready = time.time()
        land(warmup, "warmup.json", staging, drop)
        while "warmup.json" not in alerts.names():
            if time.time() - t_ready > STALL_S:
                raise Stalled(f"alert latency: no warm-up alert after {STALL_S:.0f} s:\n{tail(worker_log)}")
            _wait(time.time() + 0.5, alerts, alive)
        ready_s = time.time() - t_ready
        landed, lateness = _drop_paced(stories, staging, drop, alerts, alive, progress)
        _drain(landed, alerts, alive, progress)
        return _summary(settings, drop, landed, alerts, lateness, ready_s)
    finally:
        _stop(watcher)
        code = stop_worker(worker)
        progress.say(f"  worker stopped (exit {code})")


def _drop_paced(
    stories: Sequence[NewsArticle],
    staging: Path,
    drop: Path,
    alerts: _AlertsFile,
    alive: Callable[[], None],
    progress: Progress,
) -> tuple[dict[str, float], list[float]]:
    """Land each article on an absolute schedule (a slow write shows up as lateness, it does not shift the
    rest); returns file name -> landing time, and how late each landing was."""
    rng = random.Random(SEED)
    landed: dict[str, float] = {}
    lateness: list[float] = []
    due = time.time()
    for i, article in enumerate(stories):
        due += rng.uniform(*GAP_S)
        _wait(due, alerts, alive)
        name = f"story{i:04d}.json"
        landed[name] = land(article, name, staging, drop)
        lateness.append(landed[name] - due)
        fired = len(alerts.names() & landed.keys())
        progress.step(i + 1, len(stories), f"landed; {fired} alerts fired so far")
    return landed, lateness


def _drain(landed: dict[str, float], alerts: _AlertsFile, alive: Callable[[], None], progress: Progress) -> None:
    """Wait for the alerts still due, each at most TIMEOUT_S after its own landing."""
    while True:
        pending = landed.keys() - alerts.names()
        if not pending:
            return
        deadline = max(landed[n] for n in pending) + TIMEOUT_S
        if time.time() >= deadline:
            return
        progress.step(len(landed) - len(pending), len(landed), "alerts fired; waiting for the rest")
        _wait(min(deadline, time.time() + 0.5), alerts, alive)


def _summary(
    settings: Settings,
    drop: Path,
    landed: dict[str, float],
    alerts: _AlertsFile,
    lateness: list[float],
    ready_s: float,
) -> dict[str, Any]:
    by_name: dict[str, list[tuple[float, Alert]]] = {}
    for seen, alert in alerts.seen:
        by_name.setdefault(Path(alert.origin).name, []).append((seen, alert))
    # A file's alert counts only if it fired within TIMEOUT_S of landing; a later one is reported as late.
    on_time = {
        n: by_name[n][0]
        for n in landed
        if n in by_name and by_name[n][0][1].fired_at.timestamp() - landed[n] <= TIMEOUT_S
    }
    missing = sorted(n for n in landed if n not in on_time)
    fired = [(landed[n], seen, a) for n, (seen, a) in on_time.items()]
    ids = Counter(a.alert_id for _, a in alerts.seen)
    span = max(landed.values()) - min(landed.values()) if len(landed) > 1 else 0.0
    es = sync_client(settings)
    es.indices.refresh(index=settings.alerts_index)
    return {
        "articles": len(landed),
        "gap_s": list(GAP_S),
        "rate_per_s": round((len(landed) - 1) / span, 2) if span else None,
        "landing_lateness_p95_ms": round(percentile(lateness, 95) * 1000, 1),
        "timeout_s": TIMEOUT_S,
        "fired": len(on_time),
        "missing": len(missing),
        "missing_files": {n: _fate(es, settings, str(drop / n)) for n in missing},
        # Should all be 0: a second line for one alert id, or a second alert for one file, is a bug.
        "duplicate_alert_lines": sum(c - 1 for c in ids.values()),
        "files_with_several_alerts": sorted(n for n, v in by_name.items() if len(v) > 1),
        "alerts_for_unknown_files": sorted(n for n in by_name if n not in landed and n != "warmup.json"),
        # The alerts index is the ledger of record: it should hold fired + 1 (the warm-up), all delivered.
        "alerts_index": {
            status: int(es.count(index=settings.alerts_index, query={"term": {"status": status}})["count"])
            for status in ("pending", "delivered")
        },
        "land_to_fired": latency_summary([a.fired_at.timestamp() - t for t, _, a in fired]),
        "land_to_in_file": latency_summary([seen - t for t, seen, _ in fired]),
        "parts_ms": {
            "land_to_received (watcher pickup)": _p(a.received_at.timestamp() - t for t, _, a in fired),
            "received_to_indexed (clean, dedup, NER, bulk)": _p(
                a.indexed_at.timestamp() - a.received_at.timestamp() for _, _, a in fired if a.indexed_at
            ),
            "indexed_to_fired (stories topic, refresh, rule search)": _p(
                a.fired_at.timestamp() - a.indexed_at.timestamp() for _, _, a in fired if a.indexed_at
            ),
        },
        "worker_ready_s": round(ready_s, 1),
    }


def _p(seconds: Iterable[float]) -> dict[str, float]:
    values = list(seconds)
    return {"p50": round(percentile(values, 50) * 1000, 1), "p95": round(percentile(values, 95) * 1000, 1)}


def _fate(es: Elasticsearch, settings: Settings, origin: str) -> str:
    """What became of a file without an alert: its outcome, its dedup level, or nothing at all."""
    query = {"term": {"origin": origin}}
    out = es.search(index=settings.outcomes_index, query=query, size=1, source_includes=["outcome", "reason"])
    doc = es.search(index=settings.index_name, query=query, size=1, source_includes=["dedup.level", "story_id"])
    parts = [f"outcome {h['_source'].get('outcome')} {h['_source'].get('reason') or ''}" for h in out["hits"]["hits"]]
    parts += [f"indexed, dedup {h['_source'].get('dedup', {}).get('level')}" for h in doc["hits"]["hits"]]
    return "; ".join(p.strip() for p in parts) or "no outcome and no document: never reached the worker's ledger"


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """The watcher exits cleanly on Ctrl-C (it closes its producer); killed if it does not."""
    stop_worker(proc, signal.SIGINT, WATCHER_GRACE_S)
