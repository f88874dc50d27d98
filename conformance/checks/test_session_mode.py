"""Session mode: the session cookie alone authenticates, refreshes into a new cookie, and is subject to ownership."""

from __future__ import annotations

from conformance.checks.api import (
    SESSION_MODE,
    Cast,
    DirectusClient,
    Members,
    Need,
    check,
    expect,
    expect_status,
    expect_user,
    list_posts,
    login,
    received,
    refresh_with,
    whoami,
)

BEHAVIOUR = "Session mode"
MIDDLEWARE = "api/src/middleware/authenticate.ts"
SESSION_DOCS = "/guides/auth/email-login"


def session_headers(directus: DirectusClient, members: Members) -> dict[str, str]:
    """The owner's session cookie, from a session-mode login, as the headers that send it."""
    session = login(directus, members.owner, "session")
    cookie = received(session.cookie, f"a session login sets the {directus.session_cookie} cookie", session.response)
    return directus.session_headers(cookie.value)


@check(
    "SESSION-COOKIE-AUTHENTICATES",
    level="MUST",
    needs=(SESSION_MODE,),
    refs=(MIDDLEWARE, SESSION_DOCS),
    title="The session cookie alone authenticates: /users/me is the user",
)
def test_session_cookie_authenticates(directus: DirectusClient, members: Members) -> None:
    expect_user(whoami(directus, session_headers(directus, members)), members.owner, "the session cookie")


@check(
    "SESSION-COOKIE-OWNERSHIP",
    level="MUST",
    needs=(SESSION_MODE, Need.CUSTOM_RULES),
    refs=(MIDDLEWARE, SESSION_DOCS, "/guides/auth/access-control"),
    title="With the session cookie alone, the list holds only the user's own posts",
)
def test_session_cookie_sees_own_posts(directus: DirectusClient, cast: Cast, members: Members) -> None:
    listed = list_posts(directus, cast, session_headers(directus, members))
    expect_status(listed, 200)
    own = cast.posts_of(members.owner)
    ids = sorted(post["id"] for post in listed.json()["data"])
    expect(ids == own, f"exactly {members.owner.name}'s posts {own}", listed)


@check(
    "SESSION-COOKIE-ATTRIBUTES",
    level="MUST",
    needs=(SESSION_MODE,),
    refs=("api/src/constants.ts", "v5.0.0-3.3.2", "v5.0.0-3.3.4"),
    title="The session cookie is HttpOnly and has SameSite and Path",
)
def test_session_cookie_attributes(directus: DirectusClient, members: Members) -> None:
    result = login(directus, members.owner, "session")
    cookie = result.cookie
    expect(
        cookie is not None
        and cookie.has("httponly")
        and bool(cookie.attributes.get("samesite"))
        and bool(cookie.attributes.get("path")),
        "HttpOnly, SameSite and Path on the session cookie",
        result.response,
    )


@check(
    "SESSION-REFRESH",
    level="MUST",
    needs=(SESSION_MODE,),
    refs=("api/src/controllers/auth.ts", SESSION_DOCS),
    title="A session refresh answers only expires and sets a new session cookie that authenticates",
)
def test_session_refresh_sets_new_cookie(directus: DirectusClient, members: Members) -> None:
    owner = members.owner
    first = login(directus, owner, "session")
    old = received(first.cookie, f"a session login sets the {directus.session_cookie} cookie", first.response)
    refreshed = refresh_with(directus, "session", old.value)
    expect_status(refreshed.response, 200)
    expect(set(refreshed.response.json()["data"]) == {"expires"}, "a body holding only expires", refreshed.response)
    expect(
        refreshed.cookie is not None and refreshed.cookie.value not in ("", old.value),
        "a new session cookie",
        refreshed.response,
    )
    new = received(refreshed.cookie, "a new session cookie", refreshed.response)
    expect_user(whoami(directus, directus.session_headers(new.value)), owner, "the new session cookie")
