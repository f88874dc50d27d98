"""WebSockets through the fault proxy: an upgrade the proxy receives is spliced to a websockets server on loopback,
which opens the same socket to the target and relays every message through the mutant's socket hooks.

The upgrade is made to the target first (as the mutant's `upgrade` hook leaves it), so a target's refusal (401 for a
bad token, 403 for a foreign Origin) reaches the client as the status it was; closes are relayed with their code.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.http11 import Request, Response
from websockets.sync.client import ClientConnection, connect
from websockets.sync.server import Server, ServerConnection, serve
from websockets.typing import Subprotocol

from tests.mutants.exchange import ProxyRequest, Upstream

if TYPE_CHECKING:
    from tests.mutants.proxy import Mutant

__all__ = ["Relay", "SocketRelay", "is_upgrade"]

FORWARDED_HEADERS = ("cookie", "authorization")
SUBPROTOCOLS = [Subprotocol("graphql-transport-ws")]


def is_upgrade(handler: BaseHTTPRequestHandler) -> bool:
    return (handler.headers.get("upgrade") or "").lower() == "websocket"


@dataclass
class Relay:
    """One relayed socket, as a mutant's hooks see it: the upgrade request, the target, and both sides."""

    request: ProxyRequest
    upstream: Upstream
    client: ServerConnection
    target: ClientConnection
    state: dict[str, Any] = field(default_factory=dict)  # the mutant's own notes about this socket
    on_close: list[Callable[[], None]] = field(default_factory=list)  # what the mutant opened beside it

    def to_client(self, message: Any) -> None:
        self.client.send(json.dumps(message))

    def to_target(self, message: Any) -> None:
        self.target.send(json.dumps(message))


class SocketRelay:
    """The proxy's WebSocket side; `splice(handler)` hands it an upgrade the HTTP proxy received."""

    def __init__(self, upstream: Upstream, mutant: Mutant, crashes: list[str]) -> None:
        self.upstream, self.mutant, self.crashes = upstream, mutant, crashes
        self.pending: dict[int, tuple[ProxyRequest, ClientConnection]] = {}
        self.server: Server = serve(
            self._relay, "127.0.0.1", 0, process_request=self._upgrade, select_subprotocol=_select, max_size=2**22
        )
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()

    def splice(self, handler: BaseHTTPRequestHandler) -> None:
        """Pass the raw upgrade and everything after it between the client and the relay server, both ways."""
        request_line: bytes = getattr(handler, "raw_requestline")  # noqa: B009  # set by handle_one_request
        head = request_line + b"".join(f"{k}: {v}\r\n".encode() for k, v in handler.headers.items())
        inner = socket.create_connection(self.server.socket.getsockname()[:2])
        inner.sendall(head + b"\r\n")
        client = handler.connection
        back = threading.Thread(target=_pump, args=(inner.recv, client.sendall, client), daemon=True)
        back.start()
        _pump(handler.rfile.read1, inner.sendall, inner)
        back.join(timeout=2)
        inner.close()
        handler.close_connection = True

    def _upgrade(self, connection: ServerConnection, request: Request) -> Response | None:
        parts = urlsplit(request.path)
        incoming = ProxyRequest(
            "GET",
            parts.path,
            [tuple(pair.split("=", 1)) for pair in parts.query.split("&") if "=" in pair],  # type: ignore[misc]
            {k: v for k, v in request.headers.raw_items() if k.lower() in (*FORWARDED_HEADERS, "origin")},
            b"",
        )
        changed = self.mutant.upgrade(incoming, self.upstream)
        base = self.upstream.base_url.replace("http://", "ws://", 1)
        url = base + changed.path + (f"?{urlencode(changed.query)}" if changed.query else "")
        offered = [Subprotocol(p.strip()) for p in (request.headers.get("sec-websocket-protocol") or "").split(",")]
        try:
            target = connect(
                url,
                origin=changed.header("origin"),  # type: ignore[arg-type]
                additional_headers={k: v for k, v in changed.headers.items() if k.lower() in FORWARDED_HEADERS},
                subprotocols=[p for p in offered if p] or None,
                open_timeout=5,
                max_size=2**22,
            ).__enter__()
        except InvalidStatus as refused:
            return connection.respond(refused.response.status_code, refused.response.body.decode(errors="replace"))
        self.pending[id(connection)] = (changed, target)
        return None

    def _relay(self, client: ServerConnection) -> None:
        request, target = self.pending.pop(id(client))
        relay = Relay(request, self.upstream, client, target)
        back = threading.Thread(target=self._to_client, args=(relay,), daemon=True)
        back.start()
        try:
            for text in client:
                self._pass(relay, text, self.mutant.to_target, relay.to_target)
        except ConnectionClosed:
            pass
        finally:
            target.close()
            back.join(timeout=2)
            for close in relay.on_close:
                close()

    def _to_client(self, relay: Relay) -> None:
        try:
            for text in relay.target:
                self._pass(relay, text, self.mutant.to_client, relay.to_client)
        except ConnectionClosed:
            pass
        received = relay.target.protocol.close_rcvd
        code = received.code if received is not None and received.code not in (1005, 1006) else 1000
        relay.client.close(code, received.reason if received is not None else "")

    def _pass(self, relay: Relay, text: str | bytes, hook: Any, send: Any) -> None:
        try:
            message = json.loads(text)
            changed = hook(message, relay)
        except Exception as crash:
            self.crashes.append(f"socket {relay.request.path}: {crash!r}")
            raise
        if changed is not None:
            send(changed)


def _select(connection: ServerConnection, offered: Sequence[Subprotocol]) -> Subprotocol | None:
    """GraphQL's subprotocol when the client offers it; none otherwise (the REST socket has none)."""
    return next((p for p in offered if p in SUBPROTOCOLS), None)


def _pump(read: Any, write: Any, destination: socket.socket) -> None:
    """Copy bytes from `read` to `write` until the source ends, then end the destination's side too (the TCP close
    a WebSocket client waits for after the close handshake)."""
    with contextlib.suppress(OSError):
        while chunk := read(65536):
            write(chunk)
    with contextlib.suppress(OSError):
        destination.shutdown(socket.SHUT_WR)
