"""Servers that do not answer: a starting worker waits for them, then says which one is missing; every other
command says so at once, in one line (no Kafka needed)."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import pytest
from click.testing import CliRunner

from tests.conftest import SEEDS, free_port
from wiredesk.connectors.cli import main
from wiredesk.connectors.worker import wait_for_broker
from wiredesk.pipeline.settings import Settings


def test_no_broker_is_a_clear_error_after_the_wait() -> None:
    port = free_port()
    started = time.monotonic()
    with pytest.raises(SystemExit) as exc:
        wait_for_broker(Settings(broker_url=f"kafka://127.0.0.1:{port}", server_wait_s=1.0))
    assert time.monotonic() - started >= 1.0
    assert f"broker 127.0.0.1:{port} not reachable" in str(exc.value)
    assert "wiredesk up" in str(exc.value) and "WIREDESK_BROKER_URL" in str(exc.value)


def test_a_broker_that_comes_up_during_the_wait_is_used() -> None:
    port = free_port()
    listener = socket.socket()

    def come_up() -> None:
        time.sleep(1.5)
        listener.bind(("127.0.0.1", port))
        listener.listen()

    threading.Thread(target=come_up, daemon=True).start()
    try:
        # The second address is tried too: a cluster answers on any of its brokers.
        wait_for_broker(Settings(broker_url=f"kafka://127.0.0.1:{free_port()},127.0.0.1:{port}", server_wait_s=30))
    finally:
        listener.close()


@pytest.mark.parametrize(("args", "names"), [(["produce", str(SEEDS)], "broker"), (["search", "x"], "search server")])
def test_commands_name_the_server_that_does_not_answer(args: list[str], names: str, monkeypatch: Any) -> None:
    monkeypatch.setenv("WIREDESK_BROKER_URL", f"kafka://127.0.0.1:{free_port()}")
    monkeypatch.setenv("WIREDESK_SEARCH_URL", f"http://127.0.0.1:{free_port()}")
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert f"Error: {names} 127.0.0.1:" in result.output or f"Error: {names} http://127.0.0.1:" in result.output
    assert "wiredesk up" in result.output and "Traceback" not in result.output
