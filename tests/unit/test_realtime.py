"""The WebSocket client and the fault proxy's relay, against a small websockets server on loopback standing in for
Directus's realtime door: refusals come back as statuses, waits are bounded, transcripts are redacted."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from websockets.http11 import Request, Response
from websockets.sync.server import ServerConnection, serve

from conformance.client import DirectusClient
from conformance.realtime import Refused, Socket, open_socket
from conformance.redaction import MASK
from tests.mutants.exchange import Upstream
from tests.mutants.proxy import FaultProxy, Mutant
from tests.mutants.socket_relay import Relay

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJpZCI6InVzZXIifQ.c2lnbmF0dXJl"


def directus_like(connection: ServerConnection) -> None:
    """Answers `auth` with ok, `ping` with pong (echoing uid), and closes with 4403 on `bye`; silent otherwise."""
    for text in connection:
        message = json.loads(text)
        if message.get("type") == "auth":
            connection.send(json.dumps({"type": "auth", "status": "ok"}))
        elif message.get("type") == "ping":
            connection.send(json.dumps({"type": "pong", "uid": message.get("uid")}))
        elif message.get("type") == "bye":
            connection.close(4403, "Forbidden")


def refuse_foreign_origins(connection: ServerConnection, request: Request) -> Response | None:
    if request.headers.get("origin") == "https://evil.example":
        return connection.respond(403, "Forbidden\n")
    return None


@contextmanager
def realtime_server() -> Iterator[DirectusClient]:
    with serve(directus_like, "127.0.0.1", 0, process_request=refuse_foreign_origins) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = server.socket.getsockname()[1]
        with DirectusClient(f"http://127.0.0.1:{port}") as client:
            yield client
        server.shutdown()


def test_a_socket_answers_by_uid_within_a_bounded_wait_and_its_transcript_hides_tokens() -> None:
    with realtime_server() as client, open_socket(client, "/websocket") as socket:
        socket.send({"type": "auth", "access_token": TOKEN})
        assert socket.receive() == {"type": "auth", "status": "ok"}
        assert (socket.ask({"type": "ping"}) or {}).get("type") == "pong"
        assert socket.wait_for(lambda m: m.get("type") == "never", timeout=0.2) is None
        transcript = "\n".join(socket.transcript.evidence())
    assert TOKEN not in transcript and MASK in transcript
    assert "(nothing within 0.2 s)" in transcript


def test_a_refused_upgrade_is_its_status_and_a_close_keeps_its_code() -> None:
    with realtime_server() as client:
        with pytest.raises(Refused) as refused:
            open_socket(client, "/websocket", origin="https://evil.example")
        assert refused.value.status == 403
        with open_socket(client, "/websocket") as socket:
            socket.send({"type": "bye"})
            assert socket.wait_closed(2.0) and socket.close_code == 4403


class Renamed(Mutant):
    """Turns every `ping` into a `bye` on its way to the target."""

    def to_target(self, message: Any, relay: Relay) -> Any:
        return {"type": "bye"} if message.get("type") == "ping" else message


@contextmanager
def through_proxy(client: DirectusClient, mutant: Mutant) -> Iterator[tuple[FaultProxy, DirectusClient]]:
    with FaultProxy(Upstream(client.base_url, "admin", ""), mutant) as proxy, DirectusClient(proxy.base_url) as via:
        yield proxy, via


def test_the_fault_proxy_relays_messages_refusals_and_closes_through_the_mutant() -> None:
    with realtime_server() as client:
        with through_proxy(client, Mutant()) as (proxy, via):
            with open_socket(via, "/websocket") as socket:
                assert (socket.ask({"type": "ping"}) or {}).get("type") == "pong"
            with pytest.raises(Refused) as refused:  # the relay upgrades nothing the target refused
                open_socket(via, "/websocket", origin="https://evil.example")
            assert refused.value.status == 403
        with through_proxy(client, Renamed()) as (proxy, via):
            with open_socket(via, "/websocket") as socket:
                socket.send({"type": "ping"})
                assert socket.wait_closed(2.0) and socket.close_code == 4403
            assert not proxy.crashes


def test_waits_end_when_the_socket_closes() -> None:
    with realtime_server() as client, open_socket(client, "/websocket") as socket:
        socket.send({"type": "bye"})
        assert socket.collect(5.0) == [] and socket.closed
        assert isinstance(socket, Socket) and socket.receive() is None
