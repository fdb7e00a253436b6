"""The results: targets, the printed table, the JSON file."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"

# The targets. Reported, never tuned for.
TARGET_E2E_PER_S = 50.0
TARGET_P95_SEARCHABLE_MS = 2000.0
TARGET_WORKER_RSS_MB = 600.0


def _get(d: dict[str, Any], *path: str) -> Any:
    for key in path:
        if not isinstance(d, dict) or key not in d:
            return None
        d = d[key]
    return d


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    e2e = results.get("e2e", {})
    steady = _get(e2e, "wiredesk", "saturated", "steady_per_s")
    p95 = _get(e2e, "wiredesk", "paced", "produce_to_searchable", "p95_ms")
    rss = max(
        _get(e2e, "wiredesk", "saturated", "worker_peak_rss_mb") or 0,
        _get(e2e, "wiredesk", "paced", "worker_peak_rss_mb") or 0,
    )
    rows = [
        ("end to end >= 50 articles/s (steady, full cleaning, dedup, NER)", steady, ">=", TARGET_E2E_PER_S, "/s"),
        ("p95 produce->searchable < 2 s at 10 articles/s", p95, "<", TARGET_P95_SEARCHABLE_MS, " ms"),
        ("worker peak RSS < 600 MB", rss or None, "<", TARGET_WORKER_RSS_MB, " MB"),
    ]
    out = []
    for name, value, op, target, unit in rows:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            verdict = "not measured"
        else:
            ok = value >= target if op == ">=" else value < target
            verdict = "met" if ok else "MISSED"
        out.append({"target": name, "measured": value, "unit": unit.strip(), "verdict": verdict})
    if _get(e2e, "wiredesk", "paced", "lower_bound"):
        out[1]["lower_bound"] = True  # some paced articles were not searchable yet when the bench stopped waiting
    return out


def write(results: dict[str, Any], folder: Path = RESULTS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    # A single-phase run (--only) gets files of its own: it must not replace the latest full results.
    kind = results["meta"].get("only") or ("quick" if results["meta"]["quick"] else "full")
    path = folder / f"bench-{kind}-{stamp}.json"
    text = json.dumps(results, indent=2, default=str)
    path.write_text(text)
    (folder / f"latest-{kind}.json").write_text(text)
    return path
