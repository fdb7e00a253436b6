"""A tiny HTTP server in a thread that records every request and answers from a script: stands in for a
webhook receiver or Kibana in tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case: HTTP header names are case-insensitive
    body: bytes
    status: int  # what the stub answered


@dataclass
class Stub:
    """Answers `fail_first` requests with `fail_status`, then `status`/`body`."""

    status: int = 200
    body: bytes = b'{"ok": true}'
    fail_first: int = 0
    fail_status: int = 500
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def answer(self) -> tuple[int, bytes]:
        with self.lock:
            if len(self.requests) < self.fail_first:
                return self.fail_status, b'{"message": "scripted failure"}'
            return self.status, self.body

    def ok_requests(self) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if 200 <= r.status < 300]


@contextmanager
def serve(stub: Stub) -> Iterator[Stub]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            status, answer = stub.answer()
            with stub.lock:
                stub.requests.append(
                    Request("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body, status)
                )
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:  # quiet test output
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
