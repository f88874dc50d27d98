"""The steps the realtime checks share: opening the target's REST WebSocket as somebody, and reading or changing
the cast's posts over it (`items` messages), as ../shared/spec/directus-auth-surfaces.md §2 describes them."""

from __future__ import annotations

import contextlib
from typing import Any

from conformance.cast import Cast, Persona
from conformance.checks.steps import an_admin, post_by
from conformance.client import DirectusClient, bearer
from conformance.evidence import expect, expect_status, received, require
from conformance.facts import SocketDoor, TargetFacts
from conformance.realtime import GRAPHQL_WS, Message, Refused, Socket, open_socket
from conformance.seeding import Loader

__all__ = [
    "AUTH_TIMEOUT_BOUND_S",
    "CONTROLLERS",
    "REALTIME_DOCS",
    "auth_ok",
    "authenticated",
    "door",
    "expect_upgrade_refused",
    "foreign_post",
    "graphql_door",
    "graphql_socket",
    "items",
    "other_author_writes",
    "post_ids",
    "posts_refused",
]

AUTH_TIMEOUT_BOUND_S = 35.0
"""How long a check waits for the target to act on an unauthenticated socket: WEBSOCKETS_*_AUTH_TIMEOUT is 10 s by
default (the docs say 30), 3 s on the embedded target; not published, so a bound, ended early by the close."""

CONTROLLERS = "api/src/websocket/controllers/base.ts"
REALTIME_DOCS = "/guides/realtime/authentication"


def door(facts: TargetFacts) -> SocketDoor:
    """The REST WebSocket (applicability skips a check needing it when the target has none)."""
    return received(facts.socket_rest, "the target lists its REST WebSocket in GET /server/info")


def graphql_door(facts: TargetFacts) -> SocketDoor:
    return received(facts.socket_graphql, "the target lists its GraphQL WebSocket in GET /server/info")


def expect_upgrade_refused(directus: DirectusClient, path: str, status: int, what: str, **upgrade: Any) -> None:
    """The upgrade (`open_socket`'s options) is answered with HTTP `status`, not switched to a WebSocket."""
    try:
        socket = open_socket(directus, path, **upgrade)
    except Refused as refused:
        expect(refused.status == status, f"{what} refused with {status}", refused.transcript)
        return
    with socket:
        expect(False, f"{what} refused with {status}, not switched to a WebSocket", socket.transcript)


def auth_ok(message: Message | None) -> bool:
    return bool(message) and message.get("type") == "auth" and message.get("status") == "ok"  # type: ignore[union-attr]


def authenticated(directus: DirectusClient, facts: TargetFacts, token: str) -> Socket:
    """A REST WebSocket of the token's holder: the token in the upgrade URL in strict mode, else a first `auth`
    message, answered `status: ok` (a precondition: a check using it tests what comes after)."""
    found = door(facts)
    if found.authentication == "strict":
        try:
            return open_socket(directus, found.path, access_token=token)
        except Refused as refused:
            require(False, "a strict upgrade with a valid token is answered 101", refused.transcript)
    socket = open_socket(directus, found.path)
    socket.send({"type": "auth", "access_token": token})
    require(
        auth_ok(socket.receive()), "an auth message with a valid access token is answered status ok", socket.transcript
    )
    return socket


def graphql_socket(directus: DirectusClient, facts: TargetFacts, token: str | None) -> Socket:
    """A graphql-transport-ws socket whose `connection_init` carries `token` (none when None); the caller reads the
    answer (`connection_ack`, or a close)."""
    found = graphql_door(facts)
    socket = open_socket(directus, found.path, subprotocol=GRAPHQL_WS)
    socket.send({"type": "connection_init", "payload": {"access_token": token} if token else {}})
    return socket


def items(socket: Socket, cast: Cast, action: str, **fields: Any) -> Message | None:
    """One `items` message on the cast's posts, and its answer (None when none came)."""
    return socket.ask({"type": "items", "collection": cast.collection, "action": action, **fields})


def post_ids(message: Message | None) -> list[int] | None:
    """The ids of the posts an answer or event carries (a list of rows, one row, or keys); None when it carries
    no data (an error, nothing)."""
    if not message or "data" not in message:
        return None
    data = message["data"]
    rows = data if isinstance(data, list) else [data]
    return sorted(int(row["id"]) if isinstance(row, dict) else int(row) for row in rows if row is not None)


def posts_refused(answer: Message | None) -> bool:
    """No posts came back: an error answer (FORBIDDEN), nothing at all, or an empty list."""
    return not post_ids(answer)


def foreign_post(loader: Loader, cast: Cast) -> contextlib.AbstractContextManager[int]:
    """A post by the cast's admin, created for the check's duration: no member's to read or change (and a check that
    a member can, on a faulty server, spoils no seeded post)."""
    return post_by(loader, cast, an_admin(cast))


def other_author_writes(directus: DirectusClient, cast: Cast, owner: Persona) -> Persona:
    """Another member with posts of their own rewrites one (its seeded title, by their static token): an event for
    them, none for the owner. Returns who wrote."""
    writer = received(
        next((p for p in cast.personas.values() if not p.is_admin and p != owner and cast.posts_of(p)), None),
        "a member besides the owner with posts of their own",
    )
    post = cast.posts_of(writer)[0]
    answer = directus.request(
        "PATCH",
        f"/items/{cast.collection}/{post}",
        json={"title": cast.titles[post]},
        headers=bearer(writer.static_token),
    )
    expect_status(answer, 200, why=f"{writer.name} updates their own post {post}")
    return writer
