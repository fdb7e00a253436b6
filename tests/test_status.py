"""`wiredesk status` probes the configured servers, wherever they are, and fails when one is down."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import settings_env
from wiredesk.connectors import servers
from wiredesk.connectors.cli import main
from wiredesk.connectors.status import EXIT_SERVER_DOWN
from wiredesk.pipeline.settings import Settings

# Another loopback address: a probe of 127.0.0.1 instead of the configured host finds nothing there.
HOST = "127.0.0.2"


def closed_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@pytest.fixture
def listener() -> Iterator[int]:
    """A TCP server on HOST that accepts connections (all the broker probe asks of a broker)."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        s.listen()
        yield int(s.getsockname()[1])


class _Elastic(BaseHTTPRequestHandler):
    def do_HEAD(self) -> None:
        # The root answers (the server is up); no index exists.
        self.send_response(200 if self.path == "/" else 404)
        # The client refuses a server that does not say it is Elasticsearch.
        self.send_header("X-Elastic-Product", "Elasticsearch")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def search_stub() -> Iterator[str]:
    server = ThreadingHTTPServer((HOST, 0), _Elastic)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://{HOST}:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_probes_the_configured_host_not_loopback(listener: int, search_stub: str, tmp_path: Path) -> None:
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", listener)) != 0, "the port is taken on 127.0.0.1 too: the test proves nothing"
    s = Settings(data_dir=tmp_path, broker_url=f"kafka://{HOST}:{listener}", search_url=search_stub)
    assert servers.state(s) == servers.ServerState(kafka=True, search=True)
    # The same ports on 127.0.0.1, where nothing listens.
    local = Settings(
        data_dir=tmp_path,
        broker_url=f"kafka://127.0.0.1:{listener}",
        search_url=search_stub.replace(HOST, "127.0.0.1"),
    )
    assert servers.state(local) == servers.ServerState(kafka=False, search=False)


def test_any_broker_of_the_list_will_do(listener: int, tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path, broker_url=f"kafka://{HOST}:{closed_port(HOST)},{HOST}:{listener}")
    assert servers.state(s).kafka


def test_status_names_the_configured_servers_and_exits_69_when_one_is_down(search_stub: str, tmp_path: Path) -> None:
    broker = f"kafka://{HOST}:{closed_port(HOST)}"
    env = settings_env(Settings(data_dir=tmp_path, broker_url=broker, search_url=search_stub))
    result = CliRunner().invoke(main, ["status", "--json"], env=env)
    assert result.exit_code == EXIT_SERVER_DOWN == 69, result.output
    report = json.loads(result.stdout)
    assert report["servers"] == {
        "kafka": False,
        "elasticsearch": True,
        "broker_url": broker,
        "search_url": search_stub,
    }

    text = CliRunner().invoke(main, ["status"], env=env)
    assert text.exit_code == 69
    assert f"Kafka {broker}: down" in text.output and f"Elasticsearch {search_stub}: up" in text.output


@pytest.mark.integration
def test_status_exits_0_with_both_up_and_69_with_the_search_server_down(backend: Settings) -> None:
    up = CliRunner().invoke(main, ["status", "--json"], env=settings_env(backend))
    assert up.exit_code == 0, up.output
    assert set(json.loads(up.stdout)["topics"]) == set(backend.all_topics)

    down = backend.model_copy(update={"search_url": f"http://{HOST}:{closed_port(HOST)}"})
    result = CliRunner().invoke(main, ["status", "--json"], env=settings_env(down))
    assert result.exit_code == 69, result.output
    report = json.loads(result.stdout)
    assert report["servers"]["kafka"] is True and report["servers"]["elasticsearch"] is False
    assert "topics" in report and "outcomes" not in report  # what can be known is still reported
