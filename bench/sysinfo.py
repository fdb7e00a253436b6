"""What this machine is and what a process costs, read from /proc (psutil is not a dependency)."""

from __future__ import annotations

import os
import platform
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

_CLK_TCK = os.sysconf("SC_CLK_TCK")


def _status_kb(pid: int, field: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def rss_mb(pid: int) -> float | None:
    kb = _status_kb(pid, "VmRSS")
    return None if kb is None else kb / 1024


def peak_rss_mb(pid: int) -> float | None:
    """VmHWM: the largest resident set the process ever had (the kernel keeps it, no sampling needed)."""
    kb = _status_kb(pid, "VmHWM")
    return None if kb is None else kb / 1024


def descendants(pid: int) -> list[int]:
    """The process's children, their children, and so on (the worker's NER process)."""
    out: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return out
    for task in tasks:
        try:
            kids = [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
        for kid in kids:
            out += [kid, *descendants(kid)]
    return out


def _tree_sum(pid: int, measure: Callable[[int], float | None]) -> float | None:
    """`measure` of the process plus its descendants; None if it measured none of them (all gone)."""
    found = [v for p in (pid, *descendants(pid)) if (v := measure(p)) is not None]
    return sum(found) if found else None


def tree_rss_mb(pid: int) -> float | None:
    """RSS of the process and its descendants together."""
    return _tree_sum(pid, rss_mb)


def tree_peak_rss_mb(pid: int) -> float | None:
    """Sum of the VmHWM of the process and its descendants: an upper bound of their peak together (the peaks
    need not coincide), so a target met by it is met."""
    return _tree_sum(pid, peak_rss_mb)


def tree_cpu_seconds(pid: int) -> float | None:
    return _tree_sum(pid, cpu_seconds)


def cpu_times(pid: int) -> tuple[float, float] | None:
    """(user, system) CPU seconds the process has used so far (all its threads)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces; the fields after its closing parenthesis are fixed.
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[11]) / _CLK_TCK, int(fields[12]) / _CLK_TCK


def cpu_seconds(pid: int) -> float | None:
    times = cpu_times(pid)
    return None if times is None else sum(times)


def thread_cpu_seconds(pid: int) -> dict[int, float]:
    """CPU seconds per thread (tid) of a process: the worker's main thread runs the event loop (Faust, Kafka,
    dedup, serialisation), its other threads mostly clean (an executor thread); NER is a child process."""
    out: dict[int, float] = {}
    try:
        tids = [int(t.name) for t in Path(f"/proc/{pid}/task").iterdir()]
    except OSError:
        return out
    for tid in tids:
        try:
            stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        out[tid] = (int(fields[11]) + int(fields[12])) / _CLK_TCK
    return out


def find_pid(*needles: str) -> int | None:
    """The first process whose command line contains every needle (e.g. the noida-db binary and its data dir)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\x00", b" ").decode(errors="replace")
        except OSError:
            continue
        if all(n in cmdline for n in needles):
            return int(entry.name)
    return None


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = _meminfo_kb("MemTotal")
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(mem_kb / 1024 / 1024, 1) if mem_kb else None,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "commit": _commit(),
    }


def _meminfo_kb(field: str) -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _commit() -> str | None:
    # Read-only: which commit the numbers belong to (plus whether the tree had local changes).
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5)
        dirty = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if head.returncode != 0:
        return None
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


class Sampler:
    """Samples the RSS of some processes and the machine's load every `interval_s` in a background thread:
    peak RSS for processes whose VmHWM would include earlier phases (the shared server), and the load
    average so a busy machine is visible next to the numbers it distorted."""

    def __init__(self, pids: dict[str, int], interval_s: float = 0.5, trees: frozenset[str] = frozenset()) -> None:
        self.pids = pids
        self.trees = trees  # names measured with their descendants (the worker and its NER process)
        self.interval_s = interval_s
        self.peak_mb: dict[str, float] = {}
        self.max_load = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-sampler", daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            for name, pid in self.pids.items():
                mb = tree_rss_mb(pid) if name in self.trees else rss_mb(pid)
                if mb is not None:
                    self.peak_mb[name] = max(self.peak_mb.get(name, 0.0), mb)
            self.max_load = max(self.max_load, os.getloadavg()[0])
            self._stop.wait(self.interval_s)


class CpuMeter:
    """CPU seconds processes used between start() and stop(), i.e. during one phase; for the process named
    `split`, also its main thread apart from its other threads and its child processes. The process named
    `split` is counted with its descendants (the worker with its NER process)."""

    def __init__(self, pids: dict[str, int], split: str | None = None) -> None:
        self.pids = pids
        self.split = split
        self._own = 0.0  # CPU of the `split` process alone at start: the rest of its tree is its children
        self._start: dict[str, float] = {}
        self._threads: dict[int, float] = {}
        self._sys = 0.0
        self._t0 = 0.0
        self.used: dict[str, float] = {}
        self.threads: dict[str, float] = {}
        self.wall_s = 0.0

    def start(self) -> None:
        self._t0 = time.monotonic()
        self._start = {name: self._cpu(name) for name in self.pids}
        if self.split:
            self._threads = thread_cpu_seconds(self.pids[self.split])
            self._sys = (cpu_times(self.pids[self.split]) or (0.0, 0.0))[1]
            self._own = cpu_seconds(self.pids[self.split]) or 0.0

    def _cpu(self, name: str) -> float:
        pid = self.pids[name]
        return (tree_cpu_seconds(pid) if name == self.split else cpu_seconds(pid)) or 0.0

    def stop(self) -> dict[str, float]:
        self.wall_s = time.monotonic() - self._t0
        self.used = {name: round(self._cpu(name) - self._start[name], 2) for name in self.pids}
        if self.split:
            pid = self.pids[self.split]
            children = self.used[self.split] - ((cpu_seconds(pid) or 0.0) - self._own)
            delta = {t: s - self._threads.get(t, 0.0) for t, s in thread_cpu_seconds(pid).items()}
            main = delta.pop(pid, 0.0)
            # Threads have no useful OS names in Python 3.11: the busiest few, by CPU, tell clean (the executor
            # thread) from Faust's Kafka consumer thread well enough together with --profile-worker.
            busiest = sorted(delta.values(), reverse=True)[:4]
            self.threads = {
                # System time is mostly page faults: memory freed and taken again batch after batch.
                "system (kernel) time": round((cpu_times(pid) or (0.0, 0.0))[1] - self._sys, 2),
                "main": round(main, 2),
                "other threads": round(sum(delta.values()), 2),
                **{f"thread #{i + 1}": round(v, 2) for i, v in enumerate(busiest)},
                "child processes (NER)": round(children, 2),
            }
        return self.used

    def cores(self) -> dict[str, float]:
        """Average number of cores each process kept busy."""
        return {name: round(s / self.wall_s, 2) if self.wall_s else 0.0 for name, s in self.used.items()}


def rss_mb_self() -> float:
    return rss_mb(os.getpid()) or 0.0
