"""The one retry policy: what it retries, when it gives up, and what it logs."""

from __future__ import annotations

import asyncio
import logging

import pytest

from wiredesk.connectors.retry import async_policy, policy


class Flaky:
    def __init__(self, failures: int, exc: type[Exception] = ConnectionError) -> None:
        self.failures, self.exc, self.calls = failures, exc, 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.exc(f"failure {self.calls}")
        return "ok"


def test_retries_until_success_and_logs_the_first_wait_then_every_tenth(caplog: pytest.LogCaptureFixture) -> None:
    flaky = Flaky(failures=12)
    with caplog.at_level(logging.WARNING):
        assert policy("probe", on=ConnectionError, base_s=0.0, cap_s=0.0)(flaky) == "ok"
    assert flaky.calls == 13
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 2 and "attempt 1)" in warnings[0] and "attempt 11)" in warnings[1]
    assert "ConnectionError: failure 1" in warnings[0]


def test_other_errors_are_raised_at_once() -> None:
    flaky = Flaky(failures=1, exc=ValueError)
    with pytest.raises(ValueError):
        policy("probe", on=ConnectionError, base_s=0.0, cap_s=0.0)(flaky)
    assert flaky.calls == 1


def test_gives_up_after_the_attempts_with_the_last_error_itself() -> None:
    flaky = Flaky(failures=10)
    with pytest.raises(ConnectionError, match="failure 3"):
        policy("probe", on=ConnectionError, base_s=0.0, cap_s=0.0, attempts=3)(flaky)


def test_deadline() -> None:
    flaky = Flaky(failures=10**6)
    with pytest.raises(ConnectionError):
        policy("probe", on=ConnectionError, base_s=0.001, cap_s=0.002, deadline_s=0.05)(flaky)
    assert 2 < flaky.calls < 10**6


def test_async_waits_are_full_jitter_below_the_cap() -> None:
    waits: list[float] = []

    async def sleep(s: float) -> None:
        waits.append(s)

    flaky = Flaky(failures=8)

    async def call() -> str:
        return flaky()

    retry = async_policy("probe", on=lambda e: isinstance(e, ConnectionError), base_s=0.5, cap_s=2.0, sleep=sleep)
    assert asyncio.run(retry(call)) == "ok"
    assert len(waits) == 8 and all(0 <= w <= 2.0 for w in waits)
    assert retry.statistics["attempt_number"] == 9
