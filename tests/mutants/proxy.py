"""A reverse proxy on loopback that injects one named fault ("mutant") between the suite and a real Directus.

Requests and responses pass through a Mutant's two hooks; the default Mutant changes nothing, so a run through the
proxy with it must be as green as a direct one. Forwarding uses an httpx transport directly (no cookie jar), so the
proxy never adds or keeps credentials of its own.
"""

from __future__ import annotations

import json
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

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


@dataclass
class Upstream:
    """What a mutant may know about the real server behind the proxy (the embedded target's settings)."""

    base_url: str
    admin_token: str
    secret: str
    transport: httpx.HTTPTransport = field(default_factory=httpx.HTTPTransport)

    def send(self, request: ProxyRequest) -> httpx.Response:
        url = f"{self.base_url}{request.path}" + (f"?{urlencode(request.query)}" if request.query else "")
        outgoing = httpx.Request(request.method, url, headers=request.headers, content=request.body)
        response = self.transport.handle_request(outgoing)
        response.read()
        response.request = outgoing  # httpx needs it to parse cookies
        return response

    def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        with httpx.Client(base_url=self.base_url, transport=httpx.HTTPTransport()) as client:
            return client.request(method, path, headers={"Authorization": f"Bearer {self.admin_token}"}, **kwargs)


@dataclass
class ProxyRequest:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)

    def set_header(self, name: str, value: str | None) -> None:
        for key in [k for k in self.headers if k.lower() == name.lower()]:
            del self.headers[key]
        if value is not None:
            self.headers[name] = value

    def param(self, name: str) -> str | None:
        return next((v for k, v in self.query if k == name), None)

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    def set_json(self, value: Any) -> None:
        self.body = json.dumps(value).encode()

    @property
    def is_anonymous(self) -> bool:
        """Carries no credential Directus would use: no Bearer header of two parts, no query token, no session."""
        authorization = (self.header("authorization") or "").split(" ")
        bearer = len(authorization) == 2 and authorization[0].lower() == "bearer" and authorization[1] != ""
        return (
            not bearer
            and self.param("access_token") is None
            and "directus_session_token=" not in (self.header("cookie") or "")
        )


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

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FaultProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are two writes: without it, each answer waits 40 ms

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("content-length") or 0)
                incoming = ProxyRequest(
                    self.command,
                    parts.path,
                    parse_qsl(parts.query, keep_blank_values=True),
                    {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP},
                    self.rfile.read(length) if length else b"",
                )
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
