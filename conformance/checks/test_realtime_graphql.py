"""GraphQL over WebSocket keeps the REST WebSocket's rules: no connection without a token the target issued
(handshake mode), and a member's `<collection>_mutated` subscription is told of their own posts only."""

from __future__ import annotations

import secrets

import pytest

from conformance.checks.api import (
    Cast,
    DirectusClient,
    Loader,
    Need,
    TargetFacts,
    check,
    expect,
)
from conformance.checks.sockets import (
    AUTH_TIMEOUT_BOUND_S,
    foreign_post,
    graphql_door,
    graphql_socket,
    other_author_writes,
)
from conformance.checks.test_realtime_ownership import EVENT_WAIT_S
from conformance.realtime import Message, Refused

BEHAVIOUR = "GraphQL WebSocket"
CONTROLLER = "api/src/websocket/controllers/graphql.ts"
SUBSCRIPTIONS = "api/src/services/graphql/subscription.ts"
DOCS = "/guides/realtime/authentication"
REFUSED = (4403, 4408)  # graphql-transport-ws: Forbidden; connection initialisation timeout


def acknowledged(message: Message | None) -> bool:
    return bool(message) and message.get("type") == "connection_ack"  # type: ignore[union-attr]


@check(
    "GQL-SOCKET-INIT-NEEDS-TOKEN",
    level="MUST",
    needs=(Need.GRAPHQL_SOCKET,),
    refs=(CONTROLLER, DOCS),
    title="A GraphQL WebSocket whose connection_init carries no token, or one the target never issued, is closed "
    "(4403 Forbidden, or 4408 once the initialisation times out) and never acknowledged (handshake mode)",
)
@pytest.mark.parametrize("token", ["none", "garbage"])
def test_graphql_socket_needs_a_token(directus: DirectusClient, target_facts: TargetFacts, token: str) -> None:
    mode = graphql_door(target_facts).authentication
    if mode == "public":
        pytest.skip("the target's GraphQL WebSocket is in public mode: a connection without a token is the public")
    try:
        socket = graphql_socket(
            directus, target_facts, f"garbage-{secrets.token_hex(8)}" if token == "garbage" else None
        )
    except Refused as refused:  # strict mode: a token is needed at the upgrade
        expect(refused.status == 401, "an upgrade without a valid token refused with 401", refused.transcript)
        return
    with socket:
        answers = socket.collect(AUTH_TIMEOUT_BOUND_S, until=acknowledged)  # until acknowledged, or closed
        expect(
            not any(acknowledged(m) for m in answers) and socket.close_code in REFUSED,
            f"a connection_init with {token} token never acknowledged, and closed with 4403 Forbidden or 4408 (the "
            "initialisation timeout)",
            socket.transcript,
        )


@check(
    "GQL-SOCKET-SUBSCRIPTION-OWN-ONLY",
    level="MUST",
    needs=(Need.GRAPHQL_SOCKET, Need.CUSTOM_RULES),
    refs=(SUBSCRIPTIONS, "/guides/connect/graphql", "GHSA-gggm-66rh-pp98"),
    title="A member's GraphQL subscription to the posts is told of none of the writes others make (the admin creates "
    "a post, another member updates hers), and of their own post's update",
)
def test_graphql_subscription_delivers_own_posts_only(
    directus: DirectusClient, target_facts: TargetFacts, cast: Cast, loader: Loader
) -> None:
    owner = cast.playing("owner")
    own = cast.posts_of(owner)[0]
    query = f"subscription {{ {cast.collection}_mutated {{ key event data {{ id }} }} }}"
    with graphql_socket(directus, target_facts, owner.static_token) as socket:
        expect(acknowledged(socket.receive()), "connection_ack for the member's token", socket.transcript)
        socket.send({"id": "posts", "type": "subscribe", "payload": {"query": query}})
        with foreign_post(loader, cast):
            other_author_writes(directus, cast, owner)
            rewrite = {"title": cast.titles[own]}
            loader.admin.call("PATCH", f"/items/{cast.collection}/{own}", action="touch a post", json=rewrite)
            seen = socket.collect(EVENT_WAIT_S, until=lambda m: mutated(m, cast) == ("update", own))
    events = [event for event in (mutated(m, cast) for m in seen) if event and event[0] in ("create", "update")]
    expect(("update", own) in events, f"the update event of {owner.name}'s own post {own}", socket.transcript)
    foreign = sorted({key for _, key in events if key != own})
    expect(not foreign, f"no create or update event for posts not {owner.name}'s (got {foreign})", socket.transcript)


def mutated(message: Message, cast: Cast) -> tuple[str, int] | None:
    """(event, key) of a `<collection>_mutated` result; None for any other message."""
    payload = (message.get("payload") or {}) if message.get("type") == "next" else {}
    result = ((payload.get("data") or {}) if isinstance(payload, dict) else {}).get(f"{cast.collection}_mutated")
    if not isinstance(result, dict) or result.get("key") is None:
        return None
    return str(result.get("event")), int(result["key"])
