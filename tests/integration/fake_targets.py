"""Loopback servers that are not (healthy) Directus: canned answers, or silence, for the bad-target tests."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Answer = tuple[int, dict[str, str], bytes]


@contextmanager
def canned_server(answer: Callable[[str], Answer]) -> Iterator[str]:
    """A server answering every GET/POST with `answer(path)`; yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _answer(self) -> None:
            status, headers, body = answer(self.path)
            self.send_response(status)
            for name, value in {**headers, "Content-Length": str(len(body))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers (a black-holed port); yields its base URL."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def html_page(path: str) -> Answer:
    return 200, {"Content-Type": "text/html"}, b"<!doctype html><title>Welcome to nginx!</title>"


def rate_limited(path: str) -> Answer:
    body = b'{"errors":[{"message":"Too many requests, retry after 1s.","extensions":{"code":"REQUESTS_EXCEEDED"}}]}'
    return 429, {"Content-Type": "application/json", "Retry-After": "1"}, body


def failing_behind_ping(path: str) -> Answer:
    """`pong` to the ping, 500 to everything else (a Directus whose database is down)."""
    if path.startswith("/server/ping"):
        return 200, {"Content-Type": "text/html"}, b"pong"
    body = b'{"errors":[{"message":"An unexpected error occurred.","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}'
    return 500, {"Content-Type": "application/json"}, body
