"""The WebSocket mutants: realistic ways a realtime server breaks Directus's auth, injected by the proxy's socket
relay (see socket_relay). Each names the checks that must catch it, and no others."""

from __future__ import annotations

import json
import re
import threading
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.mutants.exchange import ProxyRequest, Upstream
from tests.mutants.proxy import Described
from tests.mutants.socket_relay import Relay

__all__ = ["SOCKET_MUTANTS"]

POSTS = re.compile(r"^posts_[a-z0-9]+$")
REST_SOCKET, GRAPHQL_SOCKET = "/websocket", "/graphql"


def refused(upstream: Upstream, token: Any) -> bool:
    """Whether the target refuses `token` over REST (what a socket's auth would have found)."""
    if not isinstance(token, str):
        return True
    return upstream.request_as(token, "GET", "/users/me").status_code != 200


def on_posts(message: Any, kind: str) -> bool:
    return (
        isinstance(message, dict) and message.get("type") == kind and bool(POSTS.match(str(message.get("collection"))))
    )


class SocketAuthAsAdmin(Described):
    name = "socket-auth-as-admin"
    behaviour = "WebSocket auth"
    description = "the REST socket authenticates every valid access token as the system (the admin's rights)"
    expected = frozenset({"SOCKET-AUTH-CREDENTIALS", "SOCKET-ITEMS-OWNERSHIP", "SOCKET-SUBSCRIBE-OWN-ONLY"})

    def to_target(self, message: Any, relay: Relay) -> Any:
        token = message.get("access_token") if isinstance(message, dict) and message.get("type") == "auth" else None
        if relay.request.path == REST_SOCKET and token and not refused(relay.upstream, token):
            return {**message, "access_token": relay.upstream.admin_token}
        return message


class SocketFailedAuthAsAdmin(Described):
    name = "socket-failed-auth-as-admin"
    behaviour = "WebSocket auth"
    description = (
        "a REST socket whose auth message fails, or that sends none, runs with the system's rights (GHSA-97xr, "
        "GHSA-849r)"
    )
    expected = frozenset({"SOCKET-FAILED-AUTH-NO-RIGHTS", "SOCKET-ANONYMOUS-PUBLIC-RIGHTS"})

    def to_target(self, message: Any, relay: Relay) -> Any:
        if relay.request.path != REST_SOCKET or not isinstance(message, dict):
            return message
        first = not relay.state.get("seen")
        relay.state["seen"] = True
        if (
            message.get("type") == "auth"
            and "access_token" in message
            and refused(relay.upstream, message["access_token"])
        ):
            return {**message, "access_token": relay.upstream.admin_token}
        if first and message.get("type") != "auth":  # authenticate first; the message once that is done
            relay.state["held"] = message
            relay.to_target({"type": "auth", "access_token": relay.upstream.admin_token})
            return None
        return message

    def to_client(self, message: Any, relay: Relay) -> Any:
        if "held" in relay.state and isinstance(message, dict) and message.get("type") == "auth":
            relay.to_target(relay.state.pop("held"))  # the answer to the auth the client never sent is not theirs
            return None
        return message


class SocketUpgradeIgnoresBadToken(Described):
    name = "socket-upgrade-ignores-bad-token"
    behaviour = "WebSocket auth"
    description = "an upgrade whose ?access_token= is refused is upgraded anyway, as if it carried none"
    expected = frozenset({"SOCKET-BAD-UPGRADE-TOKEN-401"})

    def upgrade(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest:
        token = request.param("access_token")
        if token is not None and refused(upstream, token):
            request.query = [(k, v) for k, v in request.query if k != "access_token"]
        return request


class SocketItemsByIdAsAdmin(Described):
    name = "socket-items-by-id-as-admin"
    behaviour = "WebSocket ownership"
    description = "`items` messages naming one post are answered with the system's rights (no ownership filter)"
    expected = frozenset({"SOCKET-ITEMS-OWNERSHIP"})

    def to_target(self, message: Any, relay: Relay) -> Any:
        if relay.request.path != REST_SOCKET or not on_posts(message, "items") or "id" not in message:
            return message
        post, uid = message["id"], message.get("uid")
        if message.get("action") == "read":
            read = relay.upstream.admin("GET", f"/items/{message['collection']}/{post}")
            data = read.json().get("data")
        else:  # an update or delete said done, and not done: the cast stays as it was
            data = {"id": post}
        relay.to_client({"type": "items", "data": data, "uid": uid})
        return None


class SubscriptionEventsForEveryone(Described):
    name = "subscription-events-for-everyone"
    behaviour = "WebSocket ownership"
    description = "a subscription to the posts is sent every event on them, as the admin sees them"
    expected = frozenset({"SOCKET-SUBSCRIBE-OWN-ONLY"})

    def to_target(self, message: Any, relay: Relay) -> Any:
        if relay.request.path == REST_SOCKET and on_posts(message, "subscribe"):
            self._shadow(message, relay)
        return message

    def _shadow(self, message: dict[str, Any], relay: Relay) -> None:
        """The admin's own subscription beside the client's; its events go to the client, under the client's uid."""
        base = relay.upstream.base_url.replace("http://", "ws://", 1)
        admin = connect(f"{base}{REST_SOCKET}?access_token={relay.upstream.admin_token}").__enter__()
        relay.on_close.append(admin.close)
        admin.send(json.dumps({**message, "uid": "shadow"}))

        def forward() -> None:
            try:
                for text in admin:
                    event = json.loads(text)
                    if (
                        isinstance(event, dict)
                        and event.get("type") == "subscription"
                        and event.get("event") not in ("init", None)
                    ):
                        relay.to_client({**event, "uid": message.get("uid")})
            except ConnectionClosed:
                pass

        threading.Thread(target=forward, daemon=True).start()


class GraphqlSocketAsAdmin(Described):
    name = "graphql-socket-as-admin"
    behaviour = "GraphQL WebSocket"
    description = "GraphQL's socket initialises every connection with the system's token, whatever it carried"
    expected = frozenset({"GQL-SOCKET-INIT-NEEDS-TOKEN", "GQL-SOCKET-SUBSCRIPTION-OWN-ONLY"})

    def to_target(self, message: Any, relay: Relay) -> Any:
        if (
            relay.request.path == GRAPHQL_SOCKET
            and isinstance(message, dict)
            and message.get("type") == "connection_init"
        ):
            return {**message, "payload": {"access_token": relay.upstream.admin_token}}
        return message


SOCKET_MUTANTS: list[type[Described]] = [
    SocketAuthAsAdmin,
    SocketFailedAuthAsAdmin,
    SocketUpgradeIgnoresBadToken,
    SocketItemsByIdAsAdmin,
    SubscriptionEventsForEveryone,
    GraphqlSocketAsAdmin,
]
