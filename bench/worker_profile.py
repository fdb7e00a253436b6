"""`--profile-worker`: the backlog through a worker with every thread under cProfile."""

from __future__ import annotations

import pstats
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import profiling
from bench.driver import produce, start_process, wait_count
from bench.progress import Progress
from bench.servers import LocalServers
from wiredesk.connectors.elastic import sync_client
from wiredesk.connectors.runner import stop_worker


def profile_worker(
    srv: LocalServers, files: Sequence[Path], warmup: Path, logs: Path, progress: Progress
) -> dict[str, Any]:
    """The same backlog through a worker with every thread under cProfile (bench/profiled_worker.py); the
    main thread's start-up is dropped after the warm-up article. Profiling slows the worker: only the
    shares and CPU ms per article mean something here, not the rate."""
    s = srv.settings
    es = sync_client(s)
    prefix = logs / "worker"
    log = logs / "profiled-worker.log"
    proc = start_process([sys.executable, "-m", "bench.profiled_worker", str(prefix)], srv, log)
    try:
        warm_ids = produce(s, [warmup])
        wait_count(es, s.outcomes_index, len(warm_ids), proc, log, label="warm-up")
        proc.send_signal(signal.SIGHUP)
        ids = produce(s, files)
        wait_count(es, s.outcomes_index, len(set(ids) | set(warm_ids)), proc, log, progress, "outcomes (profiled)")
    finally:
        code = stop_worker(proc)
        progress.say(f"  profiled worker stopped (exit {code})")
    n = len(set(ids))
    main = pstats.Stats(str(prefix.with_suffix(".main.prof")))
    others = sorted(logs.glob("worker.thread-*.prof"))
    threads = {p.name.split(".thread-", 1)[1].removesuffix(".prof"): pstats.Stats(str(p)) for p in others}
    busy = {name: st for name, st in threads.items() if _total(st) > 0.05}
    combined = pstats.Stats(*[str(p) for p in others]) if others else None
    return {
        "main_thread": profiling.summarise(main, n),
        "other_threads": profiling.summarise(combined, n) if combined else None,
        "cpu_ms_per_article_by_thread": {
            "main": round(_total(main) * 1000 / n, 1),
            **{name: round(_total(st) * 1000 / n, 1) for name, st in busy.items()},
        },
    }


def _total(st: pstats.Stats) -> float:
    stats: dict[Any, Any] = st.stats  # type: ignore[attr-defined]
    return float(sum(v[2] for v in stats.values()))
