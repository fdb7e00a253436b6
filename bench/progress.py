"""Progress lines on stderr while the bench runs: which phase, how far, how long it has taken."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager


class Progress:
    # At most one progress line per this many seconds per phase: enough to see it move, not a flood.
    EVERY_S = 5.0

    def __init__(self, phases: int) -> None:
        self.phases = phases
        self.index = 0
        self.start = time.monotonic()
        self.durations: dict[str, float] = {}
        self._phase = ""
        self._last = 0.0

    def _elapsed(self) -> str:
        s = int(time.monotonic() - self.start)
        return f"{s // 60:02d}:{s % 60:02d}"

    def say(self, message: str) -> None:
        print(f"[{self._elapsed()}] {message}", file=sys.stderr, flush=True)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        self.index += 1
        self._phase = name
        self._last = time.monotonic()
        self.say(f"phase {self.index}/{self.phases}: {name}")
        t0 = time.monotonic()
        try:
            yield
        finally:
            self.durations[name] = round(time.monotonic() - t0, 1)
            self.say(f"  {name} done in {self.durations[name]:.1f} s")

    def step(self, done: int, total: int, detail: str = "", *, force: bool = False) -> None:
        now = time.monotonic()
        if force or done >= total or now - self._last >= self.EVERY_S:
            self._last = now
            extra = f" · {detail}" if detail else ""
            self.say(f"  {self._phase}: {done}/{total}{extra}")
