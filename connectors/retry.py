"""The one retry policy for calls to a server: exponential back-off with full jitter (tenacity), every wait
logged with what is retried and why. Callers say only what is worth retrying and for how long: forever (the
stream waits: backpressure), a number of attempts (a webhook), or a deadline (a server that is starting)."""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any

import tenacity
from tenacity import AsyncRetrying, RetryCallState, Retrying

log = logging.getLogger(__name__)

RetryOn = type[BaseException] | tuple[type[BaseException], ...] | Callable[[BaseException], bool]


def backoff_s(attempt: int, base: float, cap: float) -> float:
    """The wait before retry `attempt` (from 0): uniform in [0, min(cap, base * 2**attempt)]. Full jitter: many
    workers retrying a recovering server do not stampede it."""
    return random.uniform(0, min(cap, base * 2**attempt))


def _retry(on: RetryOn) -> tenacity.retry_base:
    if isinstance(on, type | tuple):
        return tenacity.retry_if_exception_type(on)
    return tenacity.retry_if_exception(on)


def _stop(attempts: int | None, deadline_s: float | None) -> tenacity.stop.stop_base:
    stop: tenacity.stop.stop_base = tenacity.stop_never
    if attempts is not None:
        stop = tenacity.stop_after_attempt(max(1, attempts))
    if deadline_s is not None:
        stop = stop | tenacity.stop_after_delay(deadline_s)
    return stop


def _logger(what: str) -> Callable[[RetryCallState], None]:
    def before_sleep(state: RetryCallState) -> None:
        # The first wait, then every tenth: a server away for minutes would otherwise write a line a second.
        if state.attempt_number % 10 != 1:
            return
        exc = state.outcome.exception() if state.outcome else None
        reason = f"{type(exc).__name__}: {exc}" if exc else "no result"
        delay = state.next_action.sleep if state.next_action else 0.0
        log.warning("%s: %s (attempt %d); retrying in %.1f s", what, reason[:300], state.attempt_number, delay)

    return before_sleep


def _common(
    what: str, on: RetryOn, base_s: float, cap_s: float, attempts: int | None, deadline_s: float | None
) -> dict[str, Any]:
    return {
        "retry": _retry(on),
        "stop": _stop(attempts, deadline_s),
        # tenacity's random exponential wait is full jitter: uniform(0, min(cap, base * 2**n)), as backoff_s.
        "wait": tenacity.wait_random_exponential(multiplier=base_s, max=cap_s),
        "before_sleep": _logger(what),
        # The caller gets the last error itself, not tenacity's RetryError around it.
        "reraise": True,
    }


def async_policy(
    what: str,
    *,
    on: RetryOn,
    base_s: float,
    cap_s: float,
    attempts: int | None = None,
    deadline_s: float | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
) -> AsyncRetrying:
    """For coroutines: `await async_policy(...)(call)`, or `async for attempt in ...: with attempt: ...`.
    `sleep` replaces asyncio.sleep (tests)."""
    extra: dict[str, Any] = {"sleep": sleep} if sleep is not None else {}
    return AsyncRetrying(**_common(what, on, base_s, cap_s, attempts, deadline_s), **extra)


def policy(
    what: str,
    *,
    on: RetryOn,
    base_s: float,
    cap_s: float,
    attempts: int | None = None,
    deadline_s: float | None = None,
) -> Retrying:
    """The same for blocking calls."""
    return Retrying(**_common(what, on, base_s, cap_s, attempts, deadline_s))
