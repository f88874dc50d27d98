"""A WebSocket client for Directus's realtime doors, keeping a redacted transcript of everything sent and received.

`/websocket` speaks Directus's own JSON messages (`auth`, `items`, `subscribe`, `ping`); `/graphql` speaks
graphql-transport-ws. Every wait is bounded: a check that waits for a message that never comes ends in seconds
with what it did receive, and the transcript is the evidence a failure shows (see evidence.render).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from conformance.client import DirectusClient, tls_context
from conformance.redaction import redact_body, redact_text

__all__ = ["GRAPHQL_WS", "Message", "Refused", "Socket", "Transcript", "open_socket"]

GRAPHQL_WS = "graphql-transport-ws"
WAIT_S = 3.0  # the longest wait for an answer the target owes at once (a reply, an upgrade)

Message = dict[str, Any]


@dataclass
class Transcript:
    """What was sent and received on one socket, in order, redacted as it is written down."""

    url: str
    lines: list[str] = field(default_factory=list)

    def note(self, line: str) -> None:
        self.lines.append(redact_text(line))

    def sent(self, message: Message) -> None:
        self.lines.append(f"  → {redact_body(json.dumps(message), limit=300)}")

    def got(self, text: str) -> None:
        self.lines.append(f"  ← {redact_body(text, limit=300)}")

    def evidence(self) -> list[str]:
        """The `received:` and `request:` parts of a failure, as for an HTTP exchange."""
        return [f"socket:   {redact_text(self.url)}", *self.lines[-24:]]


class Refused(Exception):
    """The upgrade was answered with an HTTP status instead of 101 (401 for a bad token, 403 for a foreign Origin)."""

    def __init__(self, status: int, transcript: Transcript) -> None:
        super().__init__(f"upgrade refused with HTTP {status}")
        self.status = status
        self.transcript = transcript


class Socket:
    """One open WebSocket: send JSON messages, receive them with bounded waits, see whether and how it closed."""

    def __init__(self, connection: ClientConnection, transcript: Transcript, stack: ExitStack) -> None:
        self.connection = connection
        self.transcript = transcript
        self._stack = stack  # the connection was entered as a context manager (websockets 17 asks for it)
        self.close_code: int | None = None

    def send(self, message: Message) -> None:
        self.transcript.sent(message)
        try:
            self.connection.send(json.dumps(message))
        except ConnectionClosed as closed:
            self._closed(closed)

    def receive(self, timeout: float = WAIT_S) -> Message | None:
        """The next message, or None when none came within `timeout` or the socket closed."""
        if self.close_code is not None:
            return None
        try:
            text = self.connection.recv(timeout=timeout)
        except TimeoutError:
            self.transcript.note(f"  (nothing within {round(timeout, 1):g} s)")
            return None
        except ConnectionClosed as closed:
            self._closed(closed)
            return None
        self.transcript.got(str(text))
        try:
            message = json.loads(text)
        except ValueError:
            return {"unparsed": str(text)}
        return message if isinstance(message, dict) else {"unparsed": str(text)}

    def collect(self, seconds: float, until: Callable[[Message], bool] | None = None) -> list[Message]:
        """Every message within `seconds`, ending early when the socket closes or at the first message `until`
        accepts (the last of the list then)."""
        found: list[Message] = []
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0 and (message := self.receive(left)) is not None:
            found.append(message)
            if until is not None and until(message):
                break
        return found

    def wait_for(self, wanted: Callable[[Message], bool], timeout: float = WAIT_S) -> Message | None:
        """The first message `wanted` accepts within `timeout` seconds in all (the others are kept in the transcript
        only); None when it did not come or the socket closed."""
        found = self.collect(timeout, until=wanted)
        return found[-1] if found and wanted(found[-1]) else None

    def ask(self, message: Message, timeout: float = WAIT_S) -> Message | None:
        """Send `message` with a fresh uid and return the answer that echoes it (None when none came)."""
        uid = f"u{time.monotonic_ns()}"
        self.send({**message, "uid": uid})
        return self.wait_for(lambda answer: answer.get("uid") == uid or is_error_without_uid(answer), timeout)

    def wait_closed(self, timeout: float) -> bool:
        """Whether the target closes the socket within `timeout` seconds (messages until then are transcribed)."""
        deadline = time.monotonic() + timeout
        while self.close_code is None and (left := deadline - time.monotonic()) > 0:
            self.receive(left)
        return self.close_code is not None

    @property
    def closed(self) -> bool:
        return self.close_code is not None

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> Socket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _closed(self, closed: ConnectionClosed) -> None:
        received = closed.rcvd
        self.close_code = received.code if received is not None else 1006
        reason = f" {received.reason!r}" if received is not None and received.reason else ""
        self.transcript.note(f"  (closed by the target: {self.close_code}{reason})")


def is_error_without_uid(message: Message) -> bool:
    """Directus answers some refusals without echoing the uid (an items FORBIDDEN in 11.x; an auth error)."""
    return message.get("status") == "error" and "uid" not in message


def socket_url(client: DirectusClient, path: str, access_token: str | None = None) -> str:
    """The ws:// or wss:// URL of `path` on the client's target (the base URL's sub-path kept)."""
    base = client.base_url.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
    return base + path + (f"?{urlencode({'access_token': access_token})}" if access_token else "")


def open_socket(
    client: DirectusClient,
    path: str,
    *,
    access_token: str | None = None,
    origin: str | None = None,
    headers: dict[str, str] | None = None,
    subprotocol: str | None = None,
) -> Socket:
    """Open a WebSocket to `path` on the client's target; Refused when the upgrade is answered with a status."""
    url = socket_url(client, path, access_token)
    transcript = Transcript(url)
    shown = {"Origin": origin} if origin else {}
    transcript.note(f"  upgrade GET {path}" + "".join(f"; {k}: {v}" for k, v in shown.items()))
    stack = ExitStack()
    try:
        connection = stack.enter_context(
            connect(
                url,
                origin=origin,  # type: ignore[arg-type]  # websockets types it as its Origin NewType of str
                additional_headers=headers,
                subprotocols=[subprotocol] if subprotocol else None,  # type: ignore[list-item]
                ssl=tls_context(client.verify) if url.startswith("wss://") else None,
                open_timeout=WAIT_S,
                close_timeout=1,
                max_size=2**22,
            )
        )
    except InvalidStatus as refused:
        transcript.note(f"  ← HTTP {refused.response.status_code} (no upgrade)")
        raise Refused(refused.response.status_code, transcript) from refused
    transcript.note("  ← HTTP 101 Switching Protocols")
    return Socket(connection, transcript, stack)
