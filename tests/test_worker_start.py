"""A worker started before its servers waits for them, then says which one is missing (no Kafka needed)."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from connectors.worker import wait_for_broker
from pipeline.settings import Settings
from tests.conftest import free_port


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
