"""Numbers: percentiles and the rate record every measurement reports."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100): always a value that was measured, never an interpolation."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/max in milliseconds."""
    return {
        "n": float(len(seconds)),
        "p50_ms": round(percentile(seconds, 50) * 1000, 1),
        "p95_ms": round(percentile(seconds, 95) * 1000, 1),
        "p99_ms": round(percentile(seconds, 99) * 1000, 1),
        "max_ms": round(max(seconds) * 1000, 1) if seconds else math.nan,
    }


@dataclass(frozen=True)
class Rate:
    """`items` done in `wall_s` seconds of wall clock and `cpu_s` seconds of CPU (all threads of the process).

    Both are kept because this machine is shared: wall time shows what a user gets, CPU time what the work
    costs, and their ratio shows how much of a core the work actually had."""

    items: int
    wall_s: float
    cpu_s: float

    @property
    def per_s(self) -> float:
        return self.items / self.wall_s if self.wall_s > 0 else math.nan

    @property
    def ms_per_item(self) -> float:
        return self.wall_s * 1000 / self.items if self.items else math.nan

    @property
    def per_cpu_s(self) -> float:
        """Items per CPU-second: the rate of one fully available core."""
        return self.items / self.cpu_s if self.cpu_s > 0 else math.nan

    def as_dict(self) -> dict[str, float]:
        return {
            "items": self.items,
            "wall_s": round(self.wall_s, 3),
            "cpu_s": round(self.cpu_s, 3),
            "per_s": round(self.per_s, 2),
            "ms_per_item": round(self.ms_per_item, 3),
            "per_cpu_s": round(self.per_cpu_s, 2),
            # How many cores the work actually had: below 1 (or below N for N processes) the machine was busy.
            "cores_used": round(self.cpu_s / self.wall_s, 2) if self.wall_s > 0 else math.nan,
        }
