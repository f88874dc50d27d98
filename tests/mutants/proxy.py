"""A reverse proxy on loopback that injects one named fault ("mutant") between the suite and a real Directus.

Requests and responses pass through a Mutant's two hooks; the default Mutant changes nothing, so a run through the
proxy with it must be as green as a direct one. Forwarding uses an httpx transport directly (no cookie jar), so the
proxy never adds or keeps credentials of its own.
"""

from __future__ import annotations

import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

import httpx

from tests.mutants.exchange import ProxyRequest, Upstream
from tests.mutants.socket_relay import SocketRelay, is_upgrade

if TYPE_CHECKING:
    from tests.mutants.socket_relay import Relay

__all__ = [
    "CookieRewrite",
    "Described",
    "FaultProxy",
    "Mutant",
    "ProxyRequest",
    "Upstream",
    "error",
    "respond",
    "set_cookie_headers",
    "with_headers",
]

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "content-encoding",
    "host",
    "accept-encoding",
    "upgrade",
    "te",
    "trailer",
    "proxy-authorization",
    "proxy-connection",
}


def respond(status: int, body: Any = None, headers: list[tuple[str, str]] | None = None) -> httpx.Response:
    """A response made up by a mutant (JSON body, or empty)."""
    content = b"" if body is None else json.dumps(body).encode()
    json_type = [("content-type", "application/json; charset=utf-8")] if body is not None else []
    return httpx.Response(status, content=content, headers=json_type + (headers or []))


def set_cookie_headers(response: httpx.Response) -> list[tuple[str, str]]:
    return [("set-cookie", value) for value in response.headers.get_list("set-cookie")]


def with_headers(response: httpx.Response, headers: list[tuple[str, str]]) -> httpx.Response:
    """The same response with its headers replaced."""
    return httpx.Response(response.status_code, content=response.content, headers=headers)


def error(status: int, code: str) -> httpx.Response:
    return respond(status, {"errors": [{"message": code.lower(), "extensions": {"code": code}}]})


class Mutant:
    """No fault: every request and response passes unchanged. Subclasses override one or both hooks."""

    name = "none"

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        return request

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        return response

    # WebSockets (see socket_relay): the upgrade, then each message (parsed JSON) either way; None drops a message

    def upgrade(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest:
        return request

    def to_target(self, message: Any, relay: Relay) -> Any:
        return message

    def to_client(self, message: Any, relay: Relay) -> Any:
        return message


class Described(Mutant):
    """A mutant of the catalogue: the behaviour it breaks, how, and the checks that must catch it (no others)."""

    behaviour: ClassVar[str]
    description: ClassVar[str]
    expected: ClassVar[frozenset[str]]


class CookieRewrite(Described):
    """A gateway that rewrites the Set-Cookie headers of the cookies named in `cookies` (by `rewrite`), and passes
    everything else unchanged."""

    cookies: ClassVar[tuple[str, ...]]

    def rewrite(self, set_cookie: str) -> str:
        raise NotImplementedError

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        def rewritten(name: str, value: str) -> str:
            ours = name == "set-cookie" and value.startswith(tuple(f"{cookie}=" for cookie in self.cookies))
            return self.rewrite(value) if ours else value

        return with_headers(response, [(k, rewritten(k, v)) for k, v in response.headers.multi_items()])


class FaultProxy:
    """`with FaultProxy(upstream, mutant) as proxy: proxy.base_url …` — a threaded proxy on 127.0.0.1."""

    def __init__(self, upstream: Upstream, mutant: Mutant, tls: ssl.SSLContext | None = None) -> None:
        self.upstream = upstream
        self.mutant = mutant
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        if tls is not None:  # HTTPS in front of the plain-HTTP target
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.scheme = "https" if tls else "http"
        self.crashes: list[str] = []  # the mutant's own exceptions: a harness bug, never the target's
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.sockets = SocketRelay(upstream, mutant, self.crashes)

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FaultProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.sockets.close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are two writes: without it, each answer waits 40 ms

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _handle(self) -> None:
                if is_upgrade(self):
                    proxy.sockets.splice(self)
                    return
                parts = urlsplit(self.path)
                length = int(self.headers.get("content-length") or 0)
                incoming = ProxyRequest(
                    self.command,
                    parts.path,
                    parse_qsl(parts.query, keep_blank_values=True),
                    {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP},
                    self.rfile.read(length) if length else b"",
                )
                # as a reverse proxy does (nginx's $proxy_add_x_forwarded_for): the target sees each client's address
                claimed = incoming.header("X-Forwarded-For")
                client = self.client_address[0]
                incoming.set_header("X-Forwarded-For", f"{claimed}, {client}" if claimed else client)
                try:
                    changed = proxy.mutant.request(incoming, proxy.upstream)
                    if isinstance(changed, httpx.Response):
                        response = changed
                    else:
                        response = proxy.mutant.response(changed, proxy.upstream.send(changed), proxy.upstream)
                except Exception as crash:
                    proxy.crashes.append(f"{incoming.method} {incoming.path}: {crash!r}")
                    raise
                self.send_response(response.status_code)
                for name, value in response.headers.multi_items():
                    if name.lower() not in HOP_BY_HOP:
                        self.send_header(name, value)
                self.send_header("content-length", str(len(response.content)))
                self.end_headers()
                self.wfile.write(response.content)

            do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = do_SEARCH = _handle

        return Handler
