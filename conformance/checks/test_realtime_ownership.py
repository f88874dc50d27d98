"""Ownership over the REST WebSocket: `items` messages read and change only the caller's own posts, as REST does,
and a subscription to the posts delivers the member's own posts only: in its first data and in every event,
whatever the admin and other members write meanwhile."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conformance.checks.api import (
    Cast,
    DirectusClient,
    Loader,
    Need,
    TargetFacts,
    bearer,
    check,
    expect,
)
from conformance.checks.sockets import (
    authenticated,
    foreign_post,
    items,
    other_author_writes,
    post_ids,
    posts_refused,
)
from conformance.realtime import Message, Socket

BEHAVIOUR = "WebSocket ownership"
NEEDS = (Need.SOCKET, Need.CUSTOM_RULES)
ITEMS_HANDLER = "api/src/websocket/handlers/items.ts"
SUBSCRIBE_HANDLER = "api/src/websocket/handlers/subscribe.ts"
SUBSCRIPTIONS_DOCS = "/guides/realtime/subscriptions"
EVENT_WAIT_S = 3.0  # the longest wait for the event a write owes a subscriber (on loopback it comes in milliseconds)
CREATE_QUIET_S = 1.0  # how long a create-only subscriber is watched for events it is not owed


def owner_socket(directus: DirectusClient, facts: TargetFacts, cast: Cast) -> Socket:
    """The owner's socket, by their static token (no login: it works where password login is off too)."""
    return authenticated(directus, facts, cast.playing("owner").static_token)


def admin_title(directus: DirectusClient, cast: Cast, loader: Loader, post: int) -> str | None:
    """The post's title as the admin reads it over REST (None when it is gone)."""
    response = directus.request("GET", f"/items/{cast.collection}/{post}", headers=bearer(loader.admin.token()))
    return (response.json().get("data") or {}).get("title") if response.status_code == 200 else None


@check(
    "SOCKET-ITEMS-OWNERSHIP",
    level="MUST",
    needs=NEEDS,
    refs=(ITEMS_HANDLER, "/guides/auth/access-control", "v5.0.0-8.2.2"),
    title="Over the WebSocket, a member reads exactly their own posts and cannot read, update or delete someone "
    "else's (a post of the admin's: refused, and the admin reads it unchanged)",
)
@pytest.mark.parametrize("action", ["read", "update", "delete"])
def test_socket_items_obey_ownership(
    directus: DirectusClient, target_facts: TargetFacts, cast: Cast, loader: Loader, action: str
) -> None:
    owner = cast.playing("owner")
    with foreign_post(loader, cast) as post, owner_socket(directus, target_facts, cast) as socket:
        before = admin_title(directus, cast, loader, post)
        if action == "read":
            listed = items(socket, cast, "read", query={"fields": ["id"]})
            mine = cast.posts_of(owner)
            expect(post_ids(listed) == mine, f"the list holds exactly {owner.name}'s posts {mine}", socket.transcript)
            answer = items(socket, cast, "read", id=post, query={"fields": ["id", "title"]})
        elif action == "update":
            answer = items(socket, cast, "update", id=post, data={"title": f"changed by {owner.name}"})
        else:
            answer = items(socket, cast, "delete", id=post)
        expect(posts_refused(answer), f"{action} of the admin's post {post} refused", socket.transcript)
        expect(
            admin_title(directus, cast, loader, post) == before,
            f"the admin reads post {post} unchanged after the refused {action}",
            socket.transcript,
        )


def subscribe(socket: Socket, cast: Cast, event: str) -> Message | None:
    """Subscribe the socket to the posts (to one kind of event, or to all); the first answer."""
    subscription: Message = {"type": "subscribe", "collection": cast.collection, "query": {"fields": ["id", "author"]}}
    if event != "every event":
        subscription["event"] = event
    return socket.ask(subscription)


def is_update_of(post: int) -> Callable[[Message], bool]:
    return lambda message: message.get("event") == "update" and post_ids(message) == [post]


@check(
    "SOCKET-SUBSCRIBE-OWN-ONLY",
    level="MUST",
    needs=NEEDS,
    refs=(SUBSCRIBE_HANDLER, SUBSCRIPTIONS_DOCS, "GHSA-gggm-66rh-pp98"),
    title="A member's subscription to the posts starts with their own posts only and, of the writes others make "
    "meanwhile (the admin creates a post, another member updates hers), delivers none; their own post's update "
    "arrives",
)
@pytest.mark.parametrize("event", ["every event", "create", "update"])
def test_subscription_delivers_own_posts_only(
    directus: DirectusClient, target_facts: TargetFacts, cast: Cast, loader: Loader, event: str
) -> None:
    owner = cast.playing("owner")
    mine, own = cast.posts_of(owner), cast.posts_of(owner)[0]
    with owner_socket(directus, target_facts, cast) as socket:
        first = subscribe(socket, cast, event)
        if event == "every event":
            expect(
                post_ids(first) == mine, f"the first data holds exactly {owner.name}'s posts {mine}", socket.transcript
            )
        with foreign_post(loader, cast):
            other_author_writes(directus, cast, owner)
            if event == "create":  # no post of the owner's own is made (their list is compared exactly): a quiet spell
                seen = socket.collect(CREATE_QUIET_S)
            else:
                rewrite = {"title": cast.titles[own]}
                loader.admin.call("PATCH", f"/items/{cast.collection}/{own}", action="touch a post", json=rewrite)
                seen = socket.collect(EVENT_WAIT_S, until=is_update_of(own))
                expect(
                    bool(seen) and is_update_of(own)(seen[-1]),
                    f"the update event of {owner.name}'s own post {own} (a write the subscription owes them)",
                    socket.transcript,
                )
    written = [m for m in seen if m.get("type") == "subscription" and m.get("event") in ("create", "update")]
    foreign = sorted({post for m in written for post in post_ids(m) or [] if post not in mine})
    expect(not foreign, f"no create or update event for posts not {owner.name}'s (got {foreign})", socket.transcript)


@check(
    "SOCKET-SUBSCRIBE-DELETE-NO-FOREIGN-KEYS",
    level="SHOULD",
    needs=NEEDS,
    refs=(SUBSCRIBE_HANDLER, "api/src/websocket/utils/items.ts", SUBSCRIPTIONS_DOCS),
    title="A member subscribed to the posts is not sent the keys of posts others delete (Directus sends every "
    "deleted key to every subscriber, unread: the spec's §2.3)",
)
@pytest.mark.parametrize("event", ["every event", "delete"])
def test_subscription_gets_no_foreign_deletes(
    directus: DirectusClient, target_facts: TargetFacts, cast: Cast, loader: Loader, event: str
) -> None:
    with owner_socket(directus, target_facts, cast) as socket:
        subscribe(socket, cast, event)
        with foreign_post(loader, cast) as draft:
            pass
        deletes = [m for m in socket.collect(CREATE_QUIET_S) if m.get("event") == "delete"]
    leaked = [m for m in deletes if draft in (post_ids(m) or [])]
    expect(not leaked, f"no delete event naming the admin's post {draft}", socket.transcript)
