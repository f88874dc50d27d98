"""WebSocket auth keeps REST's rules: a socket is whoever its credential says, a failed or expired credential leaves
it with the public's rights at most (then closes it), a bad token or a foreign page's Origin is refused before the
upgrade, and an anonymous socket reads nothing the public may not."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

import pytest

from conformance.checks.api import (
    Cast,
    DirectusClient,
    Loader,
    Members,
    Need,
    Persona,
    Target,
    TargetFacts,
    access_token,
    check,
    claims_of,
    expect,
    expect_status,
    forge,
    login,
    needs,
    received,
    refresh_with,
    register_secret,
    require,
)
from conformance.checks.sockets import (
    AUTH_TIMEOUT_BOUND_S,
    CONTROLLERS,
    REALTIME_DOCS,
    auth_ok,
    authenticated,
    door,
    expect_upgrade_refused,
    items,
    post_ids,
    posts_refused,
)
from conformance.realtime import Refused, Socket, open_socket

BEHAVIOUR = "WebSocket auth"
REFS = (CONTROLLERS, REALTIME_DOCS)
ESCALATION = "GHSA-97xr-jchp-xm3c"  # a failed or expired auth left the socket with system rights (<12.1.0)
FOREIGN_ORIGIN = "https://evil.example"

AUTH_FORMS = [
    pytest.param("access token", marks=needs(Need.PASSWORD_LOGIN)),
    "static token",
    pytest.param("refresh token", marks=needs(Need.PASSWORD_LOGIN)),
    pytest.param("email and password", marks=needs(Need.PASSWORD_LOGIN)),
]


def auth_message(directus: DirectusClient, cast: Cast, form: str) -> tuple[dict[str, str], str | None]:
    """The owner's `auth` message in one of its forms, and the refresh token it spends (refresh form only)."""
    owner = cast.playing("owner")
    if form == "access token":
        return {"access_token": access_token(directus, owner)}, None
    if form == "static token":
        return {"access_token": owner.static_token}, None
    if form == "refresh token":
        answer = login(directus, owner, "json")
        spent = received(answer.refresh_token, "a json login returns a refresh token", answer.response)
        return {"refresh_token": spent}, spent
    return {"email": owner.email, "password": owner.password}, None


@check(
    "SOCKET-AUTH-CREDENTIALS",
    level="MUST",
    needs=(Need.SOCKET_HANDSHAKE, Need.CUSTOM_RULES),
    refs=(*REFS, "api/src/websocket/authenticate.ts"),
    title="An auth message authenticates the socket as the credential's user, by access token, static token, refresh "
    "token or email and password: it reads exactly their own posts; a refresh token it spends is single-use",
)
@pytest.mark.parametrize("form", AUTH_FORMS)
def test_auth_message_authenticates_as_the_credential_s_user(
    directus: DirectusClient, target_facts: TargetFacts, cast: Cast, form: str
) -> None:
    credential, spent = auth_message(directus, cast, form)
    owner = cast.playing("owner")
    with open_socket(directus, door(target_facts).path) as socket:
        socket.send({"type": "auth", **credential})
        answer = socket.receive()
        expect(auth_ok(answer), f"auth by {form} answered status ok", socket.transcript)
        if form in ("refresh token", "email and password"):
            expect(bool(answer and answer.get("refresh_token")), "a new refresh_token in the answer", socket.transcript)
        read = items(socket, cast, "read", query={"fields": ["id"]})
        expect(
            post_ids(read) == cast.posts_of(owner),
            f"the socket reads exactly {owner.name}'s posts {cast.posts_of(owner)}",
            socket.transcript,
        )
    if spent:
        replayed = refresh_with(directus, "json", spent)
        expect_status(replayed.response, 401, why="the refresh token the socket's auth spent, replayed over REST")


def bad_auth(socket: Socket) -> None:
    """An auth message with a token the target never issued; Directus answers it with an AUTH_FAILED error."""
    socket.send({"type": "auth", "access_token": f"not-a-token-{secrets.token_hex(8)}"})


def expect_no_rights(socket: Socket, cast: Cast, after: str) -> None:
    """After `after`, the socket is closed or reads no posts (the public may read none)."""
    if socket.closed or socket.wait_closed(0.3):
        return
    answer = items(socket, cast, "read", query={"fields": ["id", "author"]})
    expect(
        posts_refused(answer),
        f"after {after}, the socket has the public's rights at most: closed, or no posts (the public may read none)",
        socket.transcript,
    )


@check(
    "SOCKET-FAILED-AUTH-NO-RIGHTS",
    level="MUST",
    needs=(Need.SOCKET, Need.CAST),
    refs=(*REFS, ESCALATION),
    title="A failed auth message, first or after authenticating, leaves the socket with the public's rights at most "
    "(closed, or no posts)",
)
@pytest.mark.parametrize("when", ["first message", "after authenticating"])
def test_failed_auth_leaves_no_rights(
    directus: DirectusClient, target_facts: TargetFacts, cast: Cast, when: str
) -> None:
    found = door(target_facts)
    if when == "first message":
        try:
            socket = open_socket(directus, found.path)
        except Refused as refused:  # strict mode: no socket without a token at all
            expect(refused.status == 401, "an upgrade without a token refused with 401", refused.transcript)
            return
    else:
        socket = authenticated(directus, target_facts, cast.playing("owner").static_token)
    with socket:
        bad_auth(socket)
        expect_no_rights(socket, cast, f"a failed auth message ({when})")


@check(
    "SOCKET-EXPIRED-TOKEN-NO-RIGHTS",
    level="MUST",
    needs=(Need.SOCKET, Need.CAST, Need.PASSWORD_LOGIN),  # an access token that expires: a login's
    refs=(*REFS, ESCALATION),
    title="When the socket's access token expires it is told so (TOKEN_EXPIRED), has the public's rights at most "
    "(it reads no posts) and, without a new auth message, is closed after the auth timeout (but in public mode)",
    waits=True,
)
def test_expired_token_leaves_no_rights(
    directus: DirectusClient, target_facts: TargetFacts, target: Target, cast: Cast
) -> None:
    token = access_token(directus, cast.playing("owner"))
    wait = claims_of(token)["exp"] - time.time()
    if wait > target.max_wait_s:
        pytest.skip(f"the access token expires in {wait:.0f} s, beyond --max-wait {target.max_wait_s:.0f} s")
    with authenticated(directus, target_facts, token) as socket:
        told = socket.wait_for(lambda m: (m.get("error") or {}).get("code") == "TOKEN_EXPIRED", wait + 5)
        expect(told is not None, "a TOKEN_EXPIRED message when the socket's access token expires", socket.transcript)
        expect_no_rights(socket, cast, "TOKEN_EXPIRED")
        if door(target_facts).authentication != "public":
            expect(
                socket.wait_closed(AUTH_TIMEOUT_BOUND_S),
                f"the socket closed within {AUTH_TIMEOUT_BOUND_S:g} s of TOKEN_EXPIRED, no new auth message sent",
                socket.transcript,
            )


@check(
    "SOCKET-BAD-UPGRADE-TOKEN-401",
    level="MUST",
    needs=(Need.SOCKET,),
    refs=REFS,
    title="An upgrade carrying a token the target did not issue, or one altered, is refused with HTTP 401 (no socket)",
)
@pytest.mark.parametrize("how", ["garbage", "re-signed with another key", "alg none"])
def test_upgrade_with_a_bad_token_is_refused(
    directus: DirectusClient, target_facts: TargetFacts, members: Members, how: str
) -> None:
    token = (
        f"garbage-{secrets.token_hex(8)}" if how == "garbage" else forge(access_token(directus, members.reader), how)
    )
    what = f"the upgrade with a {how} token"
    expect_upgrade_refused(directus, door(target_facts).path, 401, what, access_token=token)


@check(
    "SOCKET-FOREIGN-ORIGIN-REFUSED",
    level="MUST",
    needs=(Need.SOCKET,),
    refs=(*REFS, "api/src/websocket/utils/is-origin-allowed.ts", "GHSA-mww8-4gwh-rjfw"),
    title="An upgrade from a foreign page's Origin is refused with HTTP 403 (cross-site WebSocket hijacking)",
)
def test_upgrade_from_a_foreign_origin_is_refused(directus: DirectusClient, target_facts: TargetFacts) -> None:
    what = f"the upgrade from Origin {FOREIGN_ORIGIN}"
    expect_upgrade_refused(directus, door(target_facts).path, 403, what, origin=FOREIGN_ORIGIN)


@check(
    "SOCKET-ANONYMOUS-PUBLIC-RIGHTS",
    level="MUST",
    needs=(Need.SOCKET, Need.CAST),
    refs=(*REFS, "GHSA-849r-qrwj-8rv4"),
    title="A socket that never authenticated reads no posts: refused at the upgrade (strict), closed (handshake), "
    "or the public's rights (public)",
)
def test_anonymous_socket_reads_nothing(directus: DirectusClient, target_facts: TargetFacts, cast: Cast) -> None:
    try:
        socket = open_socket(directus, door(target_facts).path)
    except Refused as refused:  # strict mode
        expect(refused.status == 401, "an upgrade without a token refused with 401", refused.transcript)
        return
    with socket:
        answer = items(socket, cast, "read", query={"fields": ["id"]})
        expect(posts_refused(answer), "no posts for a socket that never authenticated", socket.transcript)


REVOCATIONS = {"static token regenerated": "token", "user suspended": "status", "password changed": "password"}
"""What an admin does to end a user's access, by the user field it changes."""


def revoke(loader: Loader, user: Persona, change: str) -> None:
    field = REVOCATIONS[change]
    value = "suspended" if field == "status" else f"dc-revoked-{secrets.token_urlsafe(18)}"
    register_secret(value)
    loader.admin.call("PATCH", f"/users/{user.id}", action=f"end a user's access ({change})", json={field: value})


@check(
    "SOCKET-REVOKED-USER-SERVED-NO-MORE",
    level="SHOULD",
    needs=(Need.SOCKET, Need.CUSTOM_RULES),  # a member's socket is served (their own posts) before the change
    refs=(*REFS, "api/src/services/users.ts", "/guides/auth/tokens-cookies"),
    title="An open socket of a user whose static token is regenerated, who is suspended or whose password is changed "
    "is served no more: closed, or its next items message refused (Directus computes a socket's rights once, at "
    "auth: the spec's §2.4)",
)
@pytest.mark.parametrize("change", list(REVOCATIONS))
def test_revoked_user_s_socket_is_served_no_more(
    directus: DirectusClient,
    target_facts: TargetFacts,
    cast: Cast,
    loader: Loader,
    throwaway: Callable[[], Persona],
    change: str,
) -> None:
    user = throwaway()
    token = user.static_token if change == "static token regenerated" else access_token(directus, user)
    with authenticated(directus, target_facts, token) as socket:
        served = items(socket, cast, "read", query={"fields": ["id"]})
        require(
            served is not None and "data" in served, "the user's socket is served before the change", socket.transcript
        )
        revoke(loader, user, change)
        answer = None if socket.wait_closed(0.3) else items(socket, cast, "read", query={"fields": ["id"]})
        expect(
            answer is None or "data" not in answer,
            f"after the admin's change ({change}), the socket closed or its items message refused",
            socket.transcript,
        )
