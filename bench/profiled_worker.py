"""`python -m bench.profiled_worker PREFIX`: the wiredesk worker (`python -m connectors.cli worker`) with every
thread under cProfile, for `python -m bench --profile-worker`.

cProfile sees one thread per profiler, so each thread gets its own, timed with that thread's CPU clock
(time.thread_time): no idle waits, and clean (run in an executor thread) is charged to its own thread.
SIGHUP clears the main thread's profile, so the bench can drop the start-up (imports, building the cleaning
tables, loading the encoder) once the worker has processed its warm-up article. At exit the main thread's
profile goes to PREFIX.main.prof and each other thread's to PREFIX.thread-<n>-<name>.prof. NER runs in the
worker's child process (connectors/ner_process.py), outside these profiles; the bench's in-process `enrich`
phase measures it."""

from __future__ import annotations

import cProfile
import marshal
import runpy
import signal
import sys
import threading
import time
from typing import Any

_threads: list[tuple[str, cProfile.Profile]] = []
# Every thread, whatever its class overrides (mode's WorkerThread overrides run()), starts in _bootstrap_inner.
_original_bootstrap = threading.Thread._bootstrap_inner  # type: ignore[attr-defined]


def _profiled_bootstrap(self: threading.Thread) -> None:
    profiler = cProfile.Profile(time.thread_time)
    _threads.append((self.name, profiler))
    profiler.enable()
    try:
        _original_bootstrap(self)
    finally:
        profiler.disable()


def _dump(profiler: cProfile.Profile, path: str) -> None:
    # snapshot_stats() reads the profiler's table without disabling it: a thread still running at exit keeps
    # its profiler, and disable() would act on the calling (main) thread instead.
    profiler.snapshot_stats()
    with open(path, "wb") as fh:
        marshal.dump(profiler.stats, fh)


def main() -> None:
    prefix = sys.argv[1]
    sys.argv = ["wiredesk.connectors.cli", "worker"]
    threading.Thread._bootstrap_inner = _profiled_bootstrap  # type: ignore[attr-defined]
    profiler = cProfile.Profile(time.thread_time)

    def reset(*_: Any) -> None:
        profiler.disable()
        profiler.clear()
        profiler.enable()

    # SIGHUP: Faust/mode handle INT, TERM, USR1 and USR2, not HUP.
    signal.signal(signal.SIGHUP, reset)
    profiler.enable()
    try:
        runpy.run_module("wiredesk.connectors.cli", run_name="__main__", alter_sys=True)
    except SystemExit:
        pass  # the worker exits through SystemExit after SIGTERM: that is the normal end
    finally:
        profiler.disable()
        _dump(profiler, f"{prefix}.main.prof")
        for n, (name, thread_profiler) in enumerate(_threads):
            safe = "".join(c if c.isalnum() else "_" for c in name)[:40]
            _dump(thread_profiler, f"{prefix}.thread-{n}-{safe}.prof")


if __name__ == "__main__":
    main()
